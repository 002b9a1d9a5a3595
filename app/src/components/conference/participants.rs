//! Who is in the call, with guest markers and microphone state. Members may
//! remove a guest from here.

use crate::api::guests::remove_guest;
use crate::call_state::CallState;
use crate::model::GuestId;
use leptos::prelude::*;

#[component]
pub fn ParticipantsPanel(
    state: CallState,
    /// Members inside the room may send a guest out; guests may not.
    can_remove_guests: bool,
) -> impl IntoView {
    let remove = Action::new(move |guest: &GuestId| {
        let guest = *guest;
        async move {
            if let Err(error) = remove_guest(guest).await {
                state.notice.set(Some(error.to_string()));
            }
        }
    });
    view! {
        <aside class="side-panel" aria-labelledby="people-title">
            <h3 id="people-title">"Participants"</h3>
            <ul class="participant-list">
                <li>"You"</li>
                // Drawn whole when someone comes, goes or mutes: a keyed
                // list is code of its own per item type in every download.
                {move || {
                    state
                        .participants
                        .get()
                        .into_iter()
                        .map(|participant| {
                            view! {
                                <li>
                                    <span>{participant.name.clone()}</span>
                                    {participant.guest.is_some().then(|| view! { <span class="guest-tag">"Guest"</span> })}
                                    {participant.audio_muted.then(|| view! { <span class="muted small">" (muted)"</span> })}
                                    {participant
                                        .guest
                                        .filter(|_| can_remove_guests)
                                        .map(|guest| {
                                            view! {
                                                <button
                                                    class="quiet small danger-text"
                                                    aria-label=format!("Remove {} from the call", participant.name)
                                                    on:click=move |_| {
                                                        remove.dispatch(guest);
                                                    }
                                                >
                                                    "Remove"
                                                </button>
                                            }
                                        })}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </aside>
    }
    .into_any()
}
