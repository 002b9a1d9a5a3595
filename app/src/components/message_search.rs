//! One search box for every channel's messages: the words typed, the
//! newest matches with their channel, author and date, each a link that
//! opens the channel's history at that message.

use crate::api::messages::search_messages;
use crate::components::form::ErrorText;
use crate::dates;
use crate::error::AppError;
use crate::model::{MessageHit, shown_name};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn MessageSearch() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Result<Vec<MessageHit>, AppError>>);
    let searching = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let words = query.get_untracked();
        if words.trim().is_empty() {
            found.set(None);
            return;
        }
        searching.set(true);
        spawn_local(async move {
            found.set(Some(search_messages(words).await));
            searching.set(false);
        });
    };
    view! {
        <form class="search-row message-search" role="search" aria-label="Messages" on:submit=submit>
            <input
                type="search"
                aria-label="Search messages"
                placeholder="Search messages"
                prop:value=move || query.get()
                on:input=move |e| query.set(event_target_value(&e))
            />
            <button type="submit" class="quiet small" disabled=move || searching.get()>
                "Search"
            </button>
        </form>
        {move || {
            found
                .get()
                .map(|found| match found {
                    Ok(hits) if hits.is_empty() => {
                        view! { <p class="muted small" role="status">"No message has those words."</p> }.into_any()
                    }
                    Ok(hits) => {
                        view! {
                            <ul class="search-results" aria-label="Messages found">
                                {hits.into_iter().map(|hit| view! { <Hit hit /> }).collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorText error /> }.into_any(),
                })
        }}
    }
}

#[component]
fn Hit(hit: MessageHit) -> impl IntoView {
    let MessageHit { message, channel_name } = hit;
    let href = format!("/channel/{}?message={}", message.channel, message.id);
    let author = shown_name(&message.author_name, message.guest);
    let when = dates::time_text(message.sent_at / 1000);
    view! {
        <li>
            <a href=href>
                <span class="search-result-where muted small">{format!("#{channel_name} · {author} · {when}")}</span>
                <span>{snippet(&message.body)}</span>
            </a>
        </li>
    }
}

/// The start of a message, on one line, for a list of results.
fn snippet(body: &str) -> String {
    let line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(140) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}
