//! Who is in the call, with guest markers and microphone state.

use crate::call_state::CallState;
use leptos::prelude::*;

#[component]
pub fn ParticipantsPanel(state: CallState) -> impl IntoView {
    view! {
        <aside class="side-panel" aria-labelledby="people-title">
            <h3 id="people-title">"Participants"</h3>
            <ul class="participant-list">
                <li>"You"</li>
                <For
                    each=move || state.participants.get()
                    key=|p| (p.id, p.audio_muted, p.name.clone())
                    let(participant)
                >
                    <li>
                        <span>{participant.name.clone()}</span>
                        {participant.is_guest.then(|| view! { <span class="guest-tag">"Guest"</span> })}
                        {participant.audio_muted.then(|| view! { <span class="muted small">" (muted)"</span> })}
                    </li>
                </For>
            </ul>
        </aside>
    }
}
