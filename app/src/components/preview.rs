//! The guest's own camera preview with microphone and camera toggles and a
//! live audio level meter. Shown before joining, so people can check how
//! they look and sound.

use leptos::html::Video;
use leptos::prelude::*;

/// State of the preview, shared with the page that uses it.
#[derive(Clone, Copy)]
pub struct PreviewState {
    pub mic_on: RwSignal<bool>,
    pub camera_on: RwSignal<bool>,
    /// Microphone level, 0..1.
    pub level: RwSignal<f64>,
    /// What the browser refused, as a sentence to show.
    pub problem: RwSignal<Option<String>>,
    /// True once the browser answered the camera/microphone request.
    pub ready: RwSignal<bool>,
}

impl PreviewState {
    pub fn new() -> Self {
        PreviewState {
            mic_on: RwSignal::new(true),
            camera_on: RwSignal::new(true),
            level: RwSignal::new(0.0),
            problem: RwSignal::new(None),
            ready: RwSignal::new(false),
        }
    }
}

impl Default for PreviewState {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub fn CameraPreview(state: PreviewState) -> impl IntoView {
    let video = NodeRef::<Video>::new();
    start_devices(video, state);
    let level_percent = move || (state.level.get() * 100.0).round() as u32;
    view! {
        <div class="preview">
            <video node_ref=video class="preview-video" autoplay=true playsinline=true muted=true aria-label="Your camera"></video>
            <Show when=move || !state.camera_on.get() || state.problem.get().is_some()>
                <div class="preview-off" aria-hidden="true">
                    {move || if state.camera_on.get() { "No camera" } else { "Camera is off" }}
                </div>
            </Show>
            <div class="preview-controls">
                <button
                    class="control"
                    class:off=move || !state.mic_on.get()
                    aria-pressed=move || (!state.mic_on.get()).to_string()
                    aria-label=move || if state.mic_on.get() { "Mute microphone" } else { "Unmute microphone" }
                    on:click=move |_| toggle(state.mic_on, "audio")
                >
                    {move || if state.mic_on.get() { "Mic on" } else { "Mic off" }}
                </button>
                <div
                    class="level-meter"
                    role="meter"
                    aria-label="Microphone level"
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=level_percent
                >
                    <div class="level-fill" style=move || format!("width: {}%", level_percent())></div>
                </div>
                <button
                    class="control"
                    class:off=move || !state.camera_on.get()
                    aria-pressed=move || (!state.camera_on.get()).to_string()
                    aria-label=move || if state.camera_on.get() { "Turn camera off" } else { "Turn camera on" }
                    on:click=move |_| toggle(state.camera_on, "video")
                >
                    {move || if state.camera_on.get() { "Cam on" } else { "Cam off" }}
                </button>
            </div>
        </div>
        <Show when=move || state.problem.get().is_some()>
            <p class="media-problem light" role="alert">{move || state.problem.get()}</p>
        </Show>
    }
    .into_any()
}

/// Flips a toggle and enables or disables the local tracks of `kind`.
fn toggle(on: RwSignal<bool>, kind: &str) {
    let turn_on = !on.get_untracked();
    on.set(turn_on);
    #[cfg(feature = "hydrate")]
    crate::client::media::devices::enable_local(kind, turn_on);
    #[cfg(not(feature = "hydrate"))]
    let _ = kind;
}

/// Asks for camera and microphone once the page runs in the browser, shows
/// the picture and starts the level meter; releases them when unmounted
/// (unless a call took them over).
fn start_devices(video: NodeRef<Video>, state: PreviewState) {
    #[cfg(feature = "hydrate")]
    {
        use crate::client::media::{devices, level::LevelMeter, streams};
        let meter = StoredValue::new_local(None::<LevelMeter>);
        Effect::new(move |_| {
            leptos::task::spawn_local(async move {
                let local = devices::held_or_new_camera_and_microphone().await;
                if meter.is_disposed() {
                    // The page was left while the browser asked: let go of a
                    // stream nobody else holds, and touch nothing of the page.
                    let held = streams::get(streams::LOCAL).is_some_and(|s| s.id() == local.stream.id());
                    if !held {
                        devices::stop_all(&local.stream);
                    }
                    return;
                }
                state.mic_on.set(devices::is_on(&local.stream, "audio"));
                state.camera_on.set(devices::is_on(&local.stream, "video"));
                state.problem.set(local.problem);
                if let Some(element) = video.get_untracked() {
                    element.set_src_object(Some(&local.stream));
                }
                meter.set_value(LevelMeter::start(&local.stream, state.level));
                meter.with_value(|m| {
                    if let Some(m) = m {
                        m.resume()
                    }
                });
                streams::set(streams::LOCAL, local.stream);
                state.ready.set(true);
            });
        });
        on_cleanup(move || meter.set_value(None));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (video, state);
}
