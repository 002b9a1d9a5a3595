//! A meeting channel's Past calls, for members: each ended call with its
//! date, length and who took part, opening onto its summary, transcript
//! and chat; and a search over the workspace's transcripts.

use crate::api::calls::{MAX_SEARCH_CHARS, open_past_call, past_call_lines, past_calls, search_transcripts};
use crate::components::form::{ErrorLine, ErrorText};
use crate::dates::{clock_text, time_text};
use crate::error::AppError;
use crate::model::{
    CallId, CallLines, CallPart, ChannelId, PastCall, PastCallDetails, SpokenLine, TranscriptHit, TranscriptView,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Mounted in the browser once the page has woken up, never rendered on
/// the server: the list is below the fold, the page shows sooner without
/// it, and nothing of it has to match between the two.
#[component]
pub fn PastCalls(channel: ChannelId) -> impl IntoView {
    let awake = RwSignal::new(false);
    Effect::new(move |_| awake.set(true));
    view! {
        <Show when=move || awake.get()>
            <PastCallsList channel />
        </Show>
    }
}

#[component]
fn PastCallsList(channel: ChannelId) -> impl IntoView {
    let calls = LocalResource::new(move || past_calls(channel));
    let query = RwSignal::new(String::new());
    let hits = RwSignal::new(None::<Vec<TranscriptHit>>);
    let error = RwSignal::new(None::<AppError>);
    let search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let wanted = query.get_untracked();
        spawn_local(async move {
            match search_transcripts(wanted).await {
                Ok(found) => {
                    error.set(None);
                    hits.set(Some(found));
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    view! {
        <section class="card past-calls stack" aria-labelledby="past-calls-title">
            <h2 id="past-calls-title">"Past calls"</h2>
            <form class="search-row" role="search" on:submit=search>
                <label for="transcript-search" class="visually-hidden">"Search transcripts"</label>
                <input
                    id="transcript-search"
                    type="search"
                    name="query"
                    placeholder="Search what was said"
                    maxlength=MAX_SEARCH_CHARS.to_string()
                    bind:value=query
                />
                <button type="submit">"Search"</button>
            </form>
            <ErrorLine error=error />
            {move || hits.get().map(|found| view! { <SearchResults found /> })}
            <Transition fallback=|| view! { <p class="muted">"Loading past calls…"</p> }>
                {move || Suspend::new(async move {
                    match calls.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="muted">"No call has ended in this channel yet."</p> }.into_any()
                        }
                        Ok(list) => {
                            view! {
                                <ul class="past-call-list">
                                    {list.into_iter().map(|call| view! { <PastCallItem call /> }).collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(problem) => view! { <ErrorText error=problem /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn SearchResults(found: Vec<TranscriptHit>) -> impl IntoView {
    if found.is_empty() {
        return view! { <p class="muted" role="status">"No transcript has those words."</p> }.into_any();
    }
    view! {
        <p class="visually-hidden" role="status">{format!("{} lines found", found.len())}</p>
        <ul class="search-results" aria-label="Transcript lines found">
            {found
                .into_iter()
                .map(|hit| {
                    view! {
                        <li>
                            <span class="muted small search-result-where">
                                {format!("{} · {}", time_text(hit.line.said_at / 1000), hit.channel_name)}
                            </span>
                            <SpokenLineText line=hit.line />
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn PastCallItem(call: PastCall) -> impl IntoView {
    let PastCall { id, started_at, ended_at, people, transcript } = call;
    let details = RwSignal::new(None::<Result<PastCallDetails, AppError>>);
    let load = move |_| {
        if details.get_untracked().is_none() {
            spawn_local(async move { details.set(Some(open_past_call(id).await)) });
        }
    };
    let minutes = ((ended_at - started_at + 59) / 60).max(1);
    view! {
        <li class="past-call">
            <details on:toggle=load>
                <summary>
                    <span class="past-call-when">{time_text(started_at)}</span>
                    <span class="muted">{format!(" · {minutes} min · ")}{people.join(", ")}</span>
                    <span class="transcript-state">{transcript_state_text(&transcript)}</span>
                </summary>
                {move || match details.get() {
                    None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                    Some(Err(problem)) => view! { <ErrorText error=problem /> }.into_any(),
                    Some(Ok(found)) => view! { <CallRecordView call=id details=found /> }.into_any(),
                }}
            </details>
        </li>
    }
    .into_any()
}

#[component]
fn CallRecordView(call: CallId, details: PastCallDetails) -> impl IntoView {
    let PastCallDetails { summary, transcript, chat } = details;
    view! {
        <div class="call-record stack">
            {summary
                .map(|summary| {
                    view! {
                        <h3>"Summary"</h3>
                        <pre class="call-summary">{summary}</pre>
                    }
                })}
            {(!transcript.lines.is_empty())
                .then(|| {
                    view! {
                        <h3>"Transcript"</h3>
                        <PagedLines call part=CallPart::Transcript first=transcript />
                    }
                })}
            <h3>"Chat"</h3>
            {if chat.lines.is_empty() {
                view! { <p class="muted">"Nobody wrote in the chat."</p> }.into_any()
            } else {
                view! { <PagedLines call part=CallPart::Chat first=chat /> }.into_any()
            }}
        </div>
    }
    .into_any()
}

/// A past call's transcript or chat, its first page shown and the rest a
/// page at a time, on request.
#[component]
fn PagedLines(call: CallId, part: CallPart, first: CallLines) -> impl IntoView {
    let lines = RwSignal::new(first.lines);
    let next = RwSignal::new(first.next);
    let error = RwSignal::new(None::<AppError>);
    let more = move |_| {
        let Some(after) = next.get_untracked() else { return };
        spawn_local(async move {
            match past_call_lines(call, part, after).await {
                Ok(page) => {
                    error.set(None);
                    lines.update(|shown| shown.extend(page.lines));
                    next.set(page.next);
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    let label = match part {
        CallPart::Transcript => "Show more of the transcript",
        CallPart::Chat => "Show more of the chat",
    };
    view! {
        <ol class="transcript">
            {move || lines.get().into_iter().map(|line| view! { <li><SpokenLineText line /></li> }).collect_view()}
        </ol>
        <ErrorLine error />
        <Show when=move || next.get().is_some()>
            <button type="button" class="quiet" on:click=more>{label}</button>
        </Show>
    }
}

/// `17:02 Lin Park (guest): what they said`.
#[component]
fn SpokenLineText(line: SpokenLine) -> impl IntoView {
    view! {
        <span class="muted small">{clock_text(line.said_at / 1000)}</span>
        " "
        <strong>{line.speaker}</strong>
        {line.guest.then_some(" (guest)")}
        ": "
        {line.text}
    }
}

fn transcript_state_text(state: &TranscriptView) -> String {
    match state {
        TranscriptView::Off => String::new(),
        TranscriptView::Done => " · Transcript".into(),
        TranscriptView::Pending(None) => " · Transcript pending".into(),
        TranscriptView::Pending(Some(reason)) => format!(" · Transcript pending (last try: {reason})"),
        TranscriptView::Failed(reason) => format!(" · Transcript failed: {reason}"),
    }
}
