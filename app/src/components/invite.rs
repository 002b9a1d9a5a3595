//! The Invite Guest dialog: the room's guest link, Copy Link, and a way to
//! replace the link (the old one stops working at once).

use crate::api::invites::{regenerate_room_invite, room_invite};
use crate::components::confirm::ConfirmButton;
use crate::components::copy_link::CopyLink;
use crate::components::dialog::Dialog;
use crate::components::form::ErrorLine;
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
    .into_any()
}

#[component]
fn InviteDialog(room: RoomId, room_name: String, close: Callback<()>) -> impl IntoView {
    let link = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<AppError>);
    let load = move |regenerate: bool| {
        spawn_local(async move {
            let result = if regenerate { regenerate_room_invite(room).await } else { room_invite(room).await };
            match result {
                Ok(url) => {
                    link.set(Some(url));
                    error.set(None);
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    load(false);
    view! {
        <Dialog title_id="invite-title" close>
            <h2 id="invite-title">"Invite a guest to " {room_name}</h2>
            <p class="muted small">
                "Anyone with this link can ask to join this room. Someone inside the room lets them in; they see nothing else."
            </p>
            <CopyLink id="invite-link" label="Invite link" link=link.into() autofocus=true />
            <ErrorLine error=error />
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
    .into_any()
}
