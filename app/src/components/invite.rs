//! The Invite Guest dialog: the room's guest link, Copy Link, and a way to
//! replace the link (the old one stops working at once).

use crate::api::invites::{regenerate_room_invite, room_invite};
use crate::components::confirm::ConfirmButton;
use crate::components::dialog::Dialog;
use crate::error::AppError;
use crate::model::RoomId;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A link-icon button that opens the dialog. Members inside the room see it.
#[component]
pub fn InviteButton(room: RoomId, room_name: String, #[prop(optional)] class: &'static str) -> impl IntoView {
    let open = RwSignal::new(false);
    let label = format!("Invite a guest to {room_name}");
    view! {
        <button class=format!("icon-button invite-button {class}") aria-label=label.clone() title=label on:click=move |_| open.set(true)>
            <svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor"
                stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                <path d="M10 14a5 5 0 0 0 7 0l3-3a5 5 0 0 0-7-7l-1 1" />
                <path d="M14 10a5 5 0 0 0-7 0l-3 3a5 5 0 0 0 7 7l1-1" />
            </svg>
        </button>
        <Show when=move || open.get()>
            <InviteDialog room room_name=room_name.clone() close=Callback::new(move |_| open.set(false)) />
        </Show>
    }
}

#[component]
fn InviteDialog(room: RoomId, room_name: String, close: Callback<()>) -> impl IntoView {
    let link = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<AppError>);
    let copied = RwSignal::new(false);
    let load = move |regenerate: bool| {
        spawn_local(async move {
            let result = if regenerate { regenerate_room_invite(room).await } else { room_invite(room).await };
            match result {
                Ok(url) => {
                    link.set(Some(url));
                    error.set(None);
                    copied.set(false);
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    load(false);
    let copy = move |_| {
        let Some(url) = link.get_untracked() else { return };
        copy_to_clipboard(url, copied, error);
    };
    view! {
        <Dialog title_id="invite-title" close>
            <h2 id="invite-title">"Invite a guest to " {room_name}</h2>
            <p class="muted small">
                "Anyone with this link can ask to join this room. Someone inside the room lets them in; they see nothing else."
            </p>
            <label for="invite-link" class="field-label">"Invite link"</label>
            <div class="copy-row">
                <input
                    id="invite-link"
                    type="text"
                    readonly=true
                    prop:value=move || link.get().unwrap_or_else(|| "Creating the link…".into())
                />
                <button class="primary" on:click=copy disabled=move || link.get().is_none() autofocus=true>
                    {move || if copied.get() { "Copied" } else { "Copy link" }}
                </button>
            </div>
            <p class="form-success" role="status">{move || copied.get().then_some("Link copied to the clipboard.")}</p>
            <p class="form-error" role="alert" hidden=move || error.get().is_none()>
                {move || error.get().map(|problem| problem.to_string())}
            </p>
            <div class="dialog-actions">
                <ConfirmButton
                    label="Create a new link"
                    warning="The current link will stop working."
                    confirm="Replace the link"
                    on_confirm=Callback::new(move |_| load(true))
                />
                <button class="quiet" on:click=move |_| close.run(())>"Close"</button>
            </div>
        </Dialog>
    }
}

/// Writes `text` to the clipboard and reports back through the signals.
fn copy_to_clipboard(text: String, copied: RwSignal<bool>, error: RwSignal<Option<AppError>>) {
    #[cfg(feature = "hydrate")]
    {
        let clipboard = window().navigator().clipboard();
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await {
                Ok(_) => copied.set(true),
                Err(_) => error.set(Some(AppError::invalid(
                    "invite-link",
                    "The browser did not allow copying. Select the link and copy it by hand.",
                ))),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, copied, error);
}
