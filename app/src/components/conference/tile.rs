//! One video tile: a person (or a shared screen), their name, a guest tag,
//! muted state and the active-speaker highlight.

use crate::call_state::CallState;
use crate::protocol::signal::{Participant, Source};
use leptos::html::Video;
use leptos::prelude::*;

/// What a tile plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileMedia {
    /// This browser's own camera (muted, mirrored).
    Local,
    /// A remote stream by id.
    Remote(String),
    /// A participant who publishes no camera (yet).
    Nothing,
}

impl TileMedia {
    pub fn camera_of(participant: &Participant) -> Self {
        participant
            .streams
            .iter()
            .find(|s| s.source == Source::Camera)
            .map_or(TileMedia::Nothing, |s| TileMedia::Remote(s.stream_id.clone()))
    }
}

#[component]
pub fn Tile(state: CallState, media: TileMedia, label: String, participant: Option<Participant>) -> impl IntoView {
    let video = NodeRef::<Video>::new();
    let is_local = media == TileMedia::Local;
    let stream_key = match &media {
        TileMedia::Local => Some(crate::call_state::LOCAL_STREAM.to_string()),
        TileMedia::Remote(id) => Some(id.clone()),
        TileMedia::Nothing => None,
    };
    attach_stream(video, stream_key.clone(), state);

    let id = participant.as_ref().map(|p| p.id);
    let is_guest = participant.as_ref().is_some_and(|p| p.guest.is_some());
    let speaking = move || {
        let me = state.me.get();
        state.speaking.get().is_some_and(|who| Some(who) == id || (is_local && Some(who) == me))
    };
    let audio_muted = participant.as_ref().map(|p| p.audio_muted);
    let video_muted = participant.as_ref().map(|p| p.video_muted);
    let mic_off = move || if is_local { !state.mic_on.get() } else { audio_muted.unwrap_or(false) };
    let camera_off = move || {
        if is_local { !state.camera_on.get() } else { video_muted.unwrap_or(false) || stream_key.is_none() }
    };
    let initials: String = label.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    view! {
        <figure class="tile" class:speaking=speaking class:local=is_local data-stream=media_attribute(&media)>
            <video node_ref=video autoplay=true playsinline=true muted=is_local aria-label=format!("Video of {label}")></video>
            <Show when=camera_off>
                <div class="tile-placeholder" aria-hidden="true">
                    <span class="avatar large">{initials.clone()}</span>
                </div>
            </Show>
            <figcaption class="tile-name">
                <span>{label.clone()}</span>
                {is_guest.then(|| view! { <span class="guest-tag">"Guest"</span> })}
                <Show when=mic_off>
                    <span class="muted-icon" role="img" aria-label="microphone off">
                        <super::icons::MicOff />
                    </span>
                </Show>
            </figcaption>
        </figure>
    }
    .into_any()
}

fn media_attribute(media: &TileMedia) -> String {
    match media {
        TileMedia::Local => crate::call_state::LOCAL_STREAM.into(),
        TileMedia::Remote(id) => id.clone(),
        TileMedia::Nothing => String::new(),
    }
}

/// Points the video element at its stream whenever streams change.
fn attach_stream(video: NodeRef<Video>, stream_key: Option<String>, state: CallState) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        state.streams_version.track();
        let Some(element) = video.get() else { return };
        let stream = stream_key.as_deref().and_then(crate::client::media::streams::get);
        let current = element.src_object();
        if current.as_ref().map(|s| s.id()) != stream.as_ref().map(|s| s.id()) {
            element.set_src_object(stream.as_ref());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (video, stream_key, state);
}
