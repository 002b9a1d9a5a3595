//! The bottom bar: microphone, camera, screen share, chat, participants,
//! and hang up (in danger red). Every button says what it will do.

use super::client::ClientHandle;
use super::icons;
use crate::call_state::CallState;
use leptos::prelude::*;

#[component]
pub fn ControlBar(
    state: CallState,
    client: ClientHandle,
    chat_open: Signal<bool>,
    people_open: Signal<bool>,
    toggle_chat: Callback<()>,
    toggle_people: Callback<()>,
    hang_up: Callback<()>,
) -> impl IntoView {
    let unread = RwSignal::new(0usize);
    let seen = RwSignal::new(0usize);
    Effect::new(move |_| {
        let total = state.chat.with(Vec::len);
        if chat_open.get() {
            seen.set(total);
        }
        unread.set(total.saturating_sub(seen.get_untracked()));
    });
    view! {
        <div class="control-bar" role="toolbar" aria-label="Call controls">
            <button
                class="control"
                class:off=move || !state.mic_on.get()
                aria-pressed=move || (!state.mic_on.get()).to_string()
                aria-label=move || if state.mic_on.get() { "Mute microphone" } else { "Unmute microphone" }
                on:click=move |_| client.toggle_mic()
            >
                {move || if state.mic_on.get() { view! { <icons::Mic /> }.into_any() } else { view! { <icons::MicOff /> }.into_any() }}
            </button>
            <button
                class="control"
                class:off=move || !state.camera_on.get()
                aria-pressed=move || (!state.camera_on.get()).to_string()
                aria-label=move || if state.camera_on.get() { "Turn camera off" } else { "Turn camera on" }
                on:click=move |_| client.toggle_camera()
            >
                {move || {
                    if state.camera_on.get() {
                        view! { <icons::Camera /> }.into_any()
                    } else {
                        view! { <icons::CameraOff /> }.into_any()
                    }
                }}
            </button>
            <button
                class="control"
                class:active=move || state.sharing.get()
                aria-pressed=move || state.sharing.get().to_string()
                aria-label=move || if state.sharing.get() { "Stop sharing screen" } else { "Share screen" }
                on:click=move |_| client.toggle_screen()
            >
                <icons::Screen />
            </button>
            <button
                class="control"
                class:active=move || chat_open.get()
                aria-pressed=move || chat_open.get().to_string()
                aria-label=move || match unread.get() {
                    0 => "Chat".to_string(),
                    n => format!("Chat, {n} unread"),
                }
                on:click=move |_| toggle_chat.run(())
            >
                <icons::Chat />
                <Show when=move || { unread.get() > 0 }>
                    <span class="unread" aria-hidden="true">{move || unread.get()}</span>
                </Show>
            </button>
            <button
                class="control"
                class:active=move || people_open.get()
                aria-pressed=move || people_open.get().to_string()
                aria-label="Participants"
                on:click=move |_| toggle_people.run(())
            >
                <icons::People />
            </button>
            <button class="control hang-up" aria-label="Hang up" on:click=move |_| hang_up.run(())>
                <icons::HangUp />
            </button>
        </div>
    }
    .into_any()
}
