//! Knocks at the member's own room: notifications in the top-right corner
//! with the guest's name, email and the room, and Accept / Deny / Block
//! (deny, and turn away their network's knocks at this door for a day),
//! plus Accept all / Deny all when several wait. The server sends emails only
//! for the room the member is in and refuses answers from anywhere else;
//! this only shows what the member can act on.

use crate::api::guests::{answer_guests, deny_and_block_guest};
use crate::error::AppError;
use crate::model::GuestId;
use crate::model::RoomId;
use crate::protocol::guest::{RoomGuests, WaitingGuest};
use leptos::prelude::*;
use std::collections::HashMap;

/// What a member answers a knock with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Deny,
    /// Deny, and turn the guest's network away at this door for a day.
    Block,
}

#[component]
pub fn GuestRequests(
    waiting: RwSignal<Vec<RoomGuests>>,
    my_room: Memo<Option<RoomId>>,
    room_names: Signal<HashMap<RoomId, String>>,
) -> impl IntoView {
    let here = move || {
        let room = my_room.get()?;
        waiting.with(|rooms| rooms.iter().find(|r| r.room == room).map(|r| r.waiting.clone()))
    };
    let error = RwSignal::new(None::<String>);
    // One action for every answer (a block too): each action a page makes
    // is code in every browser's download.
    let answer = Action::new(move |(guests, answer): &(Vec<GuestId>, Answer)| {
        let (guests, answer) = (guests.clone(), *answer);
        async move {
            let done = match (answer, guests.first()) {
                (Answer::Block, Some(guest)) => deny_and_block_guest(*guest).await,
                (answer, _) => answer_guests(guests, answer == Answer::Accept).await,
            };
            match done {
                // Someone else was quicker; the list updates by itself.
                Ok(_) | Err(AppError::AlreadyAnswered) | Err(AppError::NotFound(_)) => error.set(None),
                Err(problem) => error.set(Some(problem.to_string())),
            }
        }
    });
    let room_name =
        move || my_room.get().and_then(|room| room_names.with(|names| names.get(&room).cloned())).unwrap_or_default();
    let room_name = Signal::derive(room_name);
    view! {
        <aside class="guest-requests" aria-label="Guests asking to join" aria-live="polite">
            {move || {
                let guests = here().unwrap_or_default();
                let all: Vec<GuestId> = guests.iter().map(|g| g.id).collect();
                (guests.len() > 1)
                    .then(|| {
                        let deny_all = all.clone();
                        view! {
                            <div class="toast toast-summary">
                                <p>{format!("{} guests are waiting", guests.len())}</p>
                                <div class="toast-actions">
                                    <button class="primary small" on:click=move |_| { answer.dispatch((all.clone(), Answer::Accept)); }>
                                        "Accept all"
                                    </button>
                                    <button
                                        class="small"
                                        on:click=move |_| { answer.dispatch((deny_all.clone(), Answer::Deny)); }
                                    >
                                        "Deny all"
                                    </button>
                                </div>
                            </div>
                        }
                    })
            }}
            <For
                // Newest on top.
                each=move || here().unwrap_or_default().into_iter().rev()
                key=|guest| guest.id
                children=move |guest: WaitingGuest| {
                    let id = guest.id;
                    let label = format!("{} asks to join", guest.name);
                    let block_label = format!("Block {}'s network: turn its requests away here for a day", guest.name);
                    view! {
                        <div class="toast" role="alertdialog" aria-label=label data-guest-id=id.0>
                            <p class="toast-title">
                                <strong>{guest.name.clone()}</strong>
                                " asks to join"
                            </p>
                            <p class="muted small toast-email">{guest.email.clone().unwrap_or_default()}</p>
                            <p class="muted small">{move || format!("Room: {}", room_name.get())}</p>
                            <div class="toast-actions">
                                <button class="primary small" on:click=move |_| { answer.dispatch((vec![id], Answer::Accept)); }>
                                    "Accept"
                                </button>
                                <button class="small" on:click=move |_| { answer.dispatch((vec![id], Answer::Deny)); }>
                                    "Deny"
                                </button>
                                <button
                                    class="small quiet"
                                    aria-label=block_label.clone()
                                    title=block_label
                                    on:click=move |_| { answer.dispatch((vec![id], Answer::Block)); }
                                >
                                    "Block"
                                </button>
                            </div>
                        </div>
                    }
                }
            />
            <Show when=move || error.get().is_some()>
                <p class="toast toast-error" role="alert">{move || error.get()}</p>
            </Show>
        </aside>
    }
    .into_any()
}

/// The pulsing orange badge on a room that guests are knocking at: a
/// question mark and how many wait, the list on hover or focus, and a click
/// walks the member into the room.
#[component]
pub fn KnockBadge(
    guests: Signal<Vec<WaitingGuest>>,
    room: RoomId,
    room_name: String,
    /// Walks the member into the room.
    go: Callback<()>,
) -> impl IntoView {
    let tooltip_id = format!("knock-tip-{room}");
    let count = move || guests.with(Vec::len);
    let any_waiting = move || count() != 0;
    let names = move || guests.with(|list| list.iter().map(|g| g.name.clone()).collect::<Vec<_>>());
    let label = move || {
        let waiting = if count() == 1 { "1 guest waiting".to_string() } else { format!("{} guests waiting", count()) };
        format!("{waiting} to join {room_name}")
    };
    let described_by = tooltip_id.clone();
    view! {
        <Show when=any_waiting>
            <span class="knock">
                <button
                    class="knock-badge"
                    aria-label=label.clone()
                    aria-describedby=described_by.clone()
                    on:click=move |_| go.run(())
                >
                    <span aria-hidden="true">"?"</span>
                    <span class="knock-count">{count}</span>
                </button>
                <span class="knock-tooltip" role="tooltip" id=tooltip_id.clone()>
                    <ul>
                        {move || names().into_iter().map(|name| view! { <li>{name}</li> }).collect_view()}
                    </ul>
                </span>
            </span>
        </Show>
    }
    .into_any()
}
