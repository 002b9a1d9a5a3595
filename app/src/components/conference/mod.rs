//! The conference view: a video grid that reflows by participant count, a
//! shared screen on stage with people in a strip, one bottom bar of
//! controls, and side panels for chat and participants.

mod chat;
mod client;
mod controls;
mod icons;
mod participants;
mod tile;

use crate::call_state::{CallState, CallStatus};
use crate::model::ConferenceId;
use client::ClientHandle;
use leptos::prelude::*;
use tile::{Tile, TileMedia};

/// Which side panel is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    None,
    Chat,
    People,
}

/// A live call. Mounting it asks for camera and microphone and joins
/// `conference`; unmounting leaves. `on_hang_up` runs when the person
/// presses the red button (the page decides where that takes them).
#[component]
pub fn Conference(
    conference: ConferenceId,
    /// The call's heading: a room's name follows renames without leaving
    /// the call.
    #[prop(into)]
    title: Signal<String>,
    on_hang_up: Callback<()>,
    /// A guest's admission pass; members join with their session.
    #[prop(optional)]
    guest_pass: Option<String>,
    /// Whether to offer Remove next to guests (the server decides anyway):
    /// by default every member may, as in a room.
    #[prop(optional)]
    may_remove_guests: Option<bool>,
    /// Extra buttons for the header (the member's invite button).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let state = CallState::new();
    let may_remove_guests = may_remove_guests.unwrap_or(guest_pass.is_none());
    let client = ClientHandle::start(conference, guest_pass, state);
    let panel = RwSignal::new(Panel::None);

    let status_text = move || match state.status.get() {
        CallStatus::Connecting => "Connecting…".to_string(),
        CallStatus::Live => String::new(),
        CallStatus::Reconnecting => "Connection lost. Reconnecting…".to_string(),
        CallStatus::Ended(reason) => reason,
    };
    let count = move || state.participants.with(Vec::len) + 1;
    let screen = move || state.shared_screen();

    view! {
        <section
            class="conference"
            aria-labelledby="conference-title"
            data-call-status=move || match state.status.get() {
                CallStatus::Connecting => "connecting",
                CallStatus::Live => "live",
                CallStatus::Reconnecting => "reconnecting",
                CallStatus::Ended(_) => "ended",
            }
        >
            <header class="conference-header">
                <h2 id="conference-title">{move || title.get()}</h2>
                <span class="conference-count" aria-label=move || format!("{} in the call", count())>
                    {count}
                </span>
                <p class="conference-status" role="status">{status_text}</p>
                <Show when=move || state.transcribing.get()>
                    <p class="transcription-on" role="status" title="Everyone's words are being written down for the call's transcript">
                        <span class="recording-dot" aria-hidden="true"></span>
                        "Transcription on"
                    </p>
                </Show>
                <p class="conference-activity muted small" role="status" aria-live="polite">
                    {move || state.activity.get()}
                </p>
                <div class="conference-actions">{children.map(|children| children())}</div>
            </header>
            <Show when=move || state.media_problem.get().is_some()>
                <p class="media-problem" role="alert">{move || state.media_problem.get()}</p>
            </Show>
            <div class="conference-body">
                <div class="stage" class:has-screen=move || screen().is_some()>
                    {move || {
                        screen()
                            .map(|(owner, stream_id)| {
                                let name = state
                                    .participants
                                    .with(|list| list.iter().find(|p| p.id == owner).map(|p| p.name.clone()))
                                    .unwrap_or_default();
                                view! {
                                    <div class="screen-stage">
                                        <Tile
                                            state
                                            media=TileMedia::Remote(stream_id)
                                            label=format!("{name}'s screen")
                                            participant=None
                                        />
                                    </div>
                                }
                            })
                    }}
                    <ul
                        class="tiles"
                        aria-label="People in the call"
                        style=move || format!("--tile-count: {}", count())
                    >
                        <li>
                            <Tile state media=TileMedia::Local label="You".to_string() participant=None />
                        </li>
                        <For
                            each=move || state.participants.get()
                            key=|p| (p.id, p.streams.clone(), p.name.clone(), p.audio_muted, p.video_muted)
                            let(participant)
                        >
                            <li>
                                <Tile
                                    state
                                    media=TileMedia::camera_of(&participant)
                                    label=participant.name.clone()
                                    participant=Some(participant.clone())
                                />
                            </li>
                        </For>
                    </ul>
                </div>
                <Show when=move || panel.get() == Panel::Chat>
                    <chat::ChatPanel state client conference />
                </Show>
                <Show when=move || panel.get() == Panel::People>
                    <participants::ParticipantsPanel state can_remove_guests=may_remove_guests />
                </Show>
            </div>
            <Show when=move || state.notice.get().is_some()>
                <p class="call-notice" role="alert">
                    {move || state.notice.get()}
                    <button class="quiet small" on:click=move |_| state.notice.set(None)>"Dismiss"</button>
                </p>
            </Show>
            <controls::ControlBar
                state
                client
                chat_open=Signal::derive(move || panel.get() == Panel::Chat)
                people_open=Signal::derive(move || panel.get() == Panel::People)
                toggle_chat=Callback::new(move |_| panel.update(|p| *p = if *p == Panel::Chat { Panel::None } else { Panel::Chat }))
                toggle_people=Callback::new(move |_| {
                    panel.update(|p| *p = if *p == Panel::People { Panel::None } else { Panel::People })
                })
                hang_up=Callback::new(move |_| {
                    client.hang_up();
                    on_hang_up.run(());
                })
            />
        </section>
    }
    .into_any()
}
