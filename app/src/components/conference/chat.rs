//! In-call chat: everyone in the call sees every message for as long as the
//! call lasts; late joiners get the history. A meeting channel keeps its
//! calls' chat in the channel's history, for its members: the panel says
//! so, since guests write in it too.

use super::client::ClientHandle;
use crate::call_state::CallState;
use crate::model::ConferenceId;
use crate::protocol::signal::MAX_CHAT_CHARS;
use leptos::prelude::*;

#[component]
pub fn ChatPanel(state: CallState, client: ClientHandle, conference: ConferenceId) -> impl IntoView {
    let kept = match conference {
        ConferenceId::Channel(_) => {
            "Messages are visible to everyone in the call, and kept in the channel's history for its members."
        }
        ConferenceId::Room(_) => "Messages are visible to everyone in the call, until it ends.",
    };
    let draft = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = draft.get_untracked().trim().to_string();
        if text.is_empty() {
            return;
        }
        if text.chars().count() > MAX_CHAT_CHARS {
            problem.set(Some(format!("Messages can be at most {MAX_CHAT_CHARS} characters.")));
            return;
        }
        problem.set(None);
        client.send_chat(text);
        draft.set(String::new());
    };
    let numbered = move || state.chat.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <aside class="side-panel" aria-labelledby="chat-title">
            <h3 id="chat-title">"Chat"</h3>
            <ol class="chat-messages" aria-live="polite">
                <For
                    each=numbered
                    key=|(index, _)| *index
                    children=|(_, message)| {
                        view! {
                            <li class="chat-message">
                                <span class="chat-from">{message.name}</span>
                                <p class="chat-text">{message.text}</p>
                            </li>
                        }
                    }
                />
            </ol>
            <Show when=move || state.chat.with(Vec::is_empty)>
                <p class="muted small">{kept}</p>
            </Show>
            <form class="chat-form" on:submit=submit>
                <label for="chat-input" class="visually-hidden">"Message"</label>
                <input
                    id="chat-input"
                    type="text"
                    placeholder="Message everyone"
                    autocomplete="off"
                    prop:value=move || draft.get()
                    on:input=move |event| draft.set(event_target_value(&event))
                />
                <button type="submit" class="primary small">"Send"</button>
            </form>
            <p class="field-message field-error" role="alert">{move || problem.get()}</p>
        </aside>
    }
    .into_any()
}
