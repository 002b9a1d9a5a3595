//! A channel's conversation: its history (newest at the bottom, older pages
//! loaded as the member scrolls up or asks), live posts, edits and
//! deletions, and the composer (Enter sends, Shift+Enter starts a new line).
//!
//! A message is never lost: until the server has it, it waits under the
//! history with its own key, and goes again when the connection is back
//! (the browser's `online`, or the live socket reconnecting). The key makes
//! a second delivery of the same message the first one, never a copy.

use crate::api::messages::{channel_history, delete_message, edit_message, mark_read, post_message};
use crate::components::attachments::{self, AttachButton, AttachmentTray, Attachments, MessageFiles};
use crate::components::confirm::ConfirmButton;
use crate::components::form::ErrorLine;
use crate::dates;
use crate::error::AppError;
use crate::live_state::LiveState;
use crate::model::{CallId, ChannelId, ChannelMessage, FileInfo, HistoryPage, MemberId, MessageId, shown_name};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// One line of the history: a message, or the marker before the first
/// message of a call's chat.
#[derive(Debug, Clone, PartialEq)]
enum Row {
    CallStarted { call: CallId, at: i64 },
    Message(ChannelMessage),
}

/// The history's rows: its messages, each call's chat under its marker.
fn rows_of(messages: &[ChannelMessage]) -> Vec<Row> {
    let mut rows = Vec::with_capacity(messages.len());
    let mut call = None;
    for message in messages {
        if let Some(started) = message.call
            && message.call != call
        {
            rows.push(Row::CallStarted { call: started, at: message.sent_at });
        }
        call = message.call;
        rows.push(Row::Message(message.clone()));
    }
    rows
}

/// A message this page sent that the server has not confirmed yet.
#[derive(Debug, Clone, PartialEq)]
struct Pending {
    key: String,
    body: String,
    files: Vec<FileInfo>,
    /// The last try failed for want of a connection: it goes again on
    /// reconnecting.
    waiting: bool,
}

#[component]
pub fn ChannelConversation(
    channel: ChannelId,
    /// The channel's name, for labels ("Message #general").
    name: String,
    me: MemberId,
    /// Whether the member may delete others' messages.
    may_moderate: bool,
    history: HistoryPage,
    live: LiveState,
    /// The message to show first (a search result), highlighted.
    focus: Option<MessageId>,
    /// The largest file the server takes, in bytes.
    max_file_bytes: u64,
) -> impl IntoView {
    let attaching = Attachments::new(crate::model::UploadTarget::Channel(channel), max_file_bytes);
    let messages = RwSignal::new(history.messages);
    let more_before = RwSignal::new(history.more_before);
    // Opened at a search result: newer messages follow, loaded on scrolling
    // down; live posts join once the newest is loaded.
    let more_after = RwSignal::new(history.more_after);
    let loading_older = RwSignal::new(false);
    let loading_newer = RwSignal::new(false);
    let pending = RwSignal::new(Vec::<Pending>::new());
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let list = NodeRef::<leptos::html::Ol>::new();

    // Posts, edits and deletions from everyone (this page's own included).
    Effect::new(move |_| {
        let Some((message, _posted)) = live.message.get() else { return };
        if message.channel != channel {
            return;
        }
        let beyond = messages.with_untracked(|list| list.last().is_some_and(|last| message.id > last.id));
        if !(beyond && more_after.get_untracked()) {
            messages.update(|list| upsert(list, message));
        }
    });
    // The socket fell behind: read the newest page again.
    Effect::new(move |seen: Option<u32>| {
        let missed = live.missed.get();
        if seen.is_some_and(|seen| seen != missed) {
            spawn_local(async move {
                if let Ok(page) = channel_history(channel, None, None).await {
                    messages.update(|list| page.messages.into_iter().for_each(|m| upsert(list, m)));
                }
            });
        }
        missed
    });
    // Whether the member is at the newest messages: new ones then scroll
    // into view; someone reading older ones is left where they are.
    let following = StoredValue::new(true);
    // What is shown is read: the newest message marks the channel read, at
    // most once a second however fast messages come (one call per reader,
    // not one per message per reader).
    let marking = StoredValue::new(false);
    let marked = StoredValue::new(MessageId(0));
    // Tells the server of the newest message, if it has not heard of it.
    let send_newest = move || {
        let newest = messages.try_with_untracked(|list| list.last().map(|m| m.id)).flatten();
        if let Some(newest) = newest
            && marked.try_get_value().is_some_and(|marked| newest > marked)
        {
            marked.set_value(newest);
            spawn_local(async move {
                let _ = mark_read(channel, newest).await;
            });
        }
    };
    let mark_newest_read = move || {
        if marking.get_value() {
            // The second's end sends whatever came meanwhile.
            return;
        }
        send_newest();
        marking.set_value(true);
        set_timeout(
            move || {
                if marking.try_set_value(false).is_none() {
                    send_newest();
                }
            },
            std::time::Duration::from_secs(1),
        );
    };
    live.reading.set(Some(channel));
    Effect::new(move |marked: Option<MessageId>| {
        let newest = messages.with(|list| list.last().map(|m| m.id)).unwrap_or(MessageId(0));
        live.unread.update(|unread| {
            unread.remove(&channel);
        });
        if newest.0 > 0 && marked != Some(newest) {
            mark_newest_read();
            match (marked, focus) {
                // Opened at a search result: it is shown, not the bottom.
                (None, Some(focus)) => scroll_to_message(list, focus),
                _ if !more_after.get_untracked() && following.get_value() => scroll_to_bottom(list),
                _ => {}
            }
        }
        newest
    });
    on_cleanup(move || live.reading.set(None));

    let deliver = move |message: Pending| {
        spawn_local(async move {
            let files = attachments::ids(&message.files);
            match post_message(channel, message.body.clone(), message.key.clone(), files).await {
                Ok(stored) => {
                    pending.update(|list| list.retain(|p| p.key != message.key));
                    messages.update(|list| upsert(list, stored));
                    error.set(None);
                }
                // The server refused it: it comes back to the composer, with why.
                Err(refused @ (AppError::Invalid { .. } | AppError::Forbidden | AppError::NotFound(_))) => {
                    pending.update(|list| list.retain(|p| p.key != message.key));
                    if draft.get_untracked().is_empty() {
                        draft.set(message.body);
                    }
                    attaching.restore(message.files);
                    error.set(Some(refused));
                }
                // No answer: it waits, and goes again once back online.
                Err(_) => pending.update(|list| {
                    if let Some(waiting) = list.iter_mut().find(|p| p.key == message.key) {
                        waiting.waiting = true;
                    }
                }),
            }
        });
    };
    let resend_waiting = move || {
        let waiting: Vec<Pending> = pending.with_untracked(|list| list.iter().filter(|p| p.waiting).cloned().collect());
        pending.update(|list| list.iter_mut().for_each(|p| p.waiting = false));
        waiting.into_iter().for_each(deliver);
    };
    Effect::new(move |_| {
        if live.live.get() == Some(true) {
            resend_waiting();
        }
    });
    #[cfg(feature = "hydrate")]
    {
        let online = window_event_listener(leptos::ev::online, move |_| resend_waiting());
        on_cleanup(move || online.remove());
    }

    let send = move || {
        let body = draft.get_untracked();
        let files = match attaching.ready() {
            Ok(files) => files,
            Err(why) => {
                error.set(Some(why));
                return;
            }
        };
        if let Err(why) = crate::validate::message_body(&body, !files.is_empty()) {
            error.set(Some(why));
            return;
        }
        error.set(None);
        draft.set(String::new());
        attaching.clear();
        let message = Pending { key: new_key(), body, files, waiting: false };
        pending.update(|list| list.push(message.clone()));
        following.set_value(true);
        scroll_to_bottom(list);
        deliver(message);
    };
    let on_keydown = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            send();
        }
    };
    let load_older = move || {
        if loading_older.get_untracked() || !more_before.get_untracked() {
            return;
        }
        let Some(first) = messages.with_untracked(|list| list.first().map(|m| m.id)) else { return };
        loading_older.set(true);
        spawn_local(async move {
            match channel_history(channel, Some(first), None).await {
                Ok(page) => {
                    let kept = keep_scroll_position(list);
                    more_before.set(page.more_before);
                    messages.update(|list| {
                        let mut older = page.messages;
                        older.retain(|m| !list.iter().any(|shown| shown.id == m.id));
                        older.append(list);
                        *list = older;
                    });
                    kept();
                }
                Err(problem) => error.set(Some(problem)),
            }
            loading_older.set(false);
        });
    };
    let load_newer = move || {
        if loading_newer.get_untracked() || !more_after.get_untracked() {
            return;
        }
        let Some(last) = messages.with_untracked(|list| list.last().map(|m| m.id)) else { return };
        loading_newer.set(true);
        spawn_local(async move {
            match channel_history(channel, None, Some(last)).await {
                Ok(page) => {
                    more_after.set(page.more_after);
                    messages.update(|list| page.messages.into_iter().for_each(|m| upsert(list, m)));
                }
                Err(problem) => error.set(Some(problem)),
            }
            loading_newer.set(false);
        });
    };
    let on_scroll = move |_| {
        following.set_value(near_bottom(list));
        if near_top(list) {
            load_older();
        }
        if near_bottom(list) {
            load_newer();
        }
    };
    let label = format!("Message #{name}");
    // Files dropped anywhere on the conversation are attached.
    let dragging = RwSignal::new(false);
    let on_drop = move |event: leptos::ev::DragEvent| {
        event.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(files) = event.data_transfer().and_then(|transfer| transfer.files()) {
            attaching.add(files);
        }
    };
    view! {
        <section
            class="conversation"
            class:dragging=move || dragging.get()
            aria-label=format!("Messages in {name}")
            on:dragover=move |event| {
                event.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <ol class="message-list" node_ref=list on:scroll=on_scroll aria-live="polite">
                <li class="history-start">
                    <Show
                        when=move || more_before.get()
                        fallback=move || view! { <p class="muted small">"This is the start of the channel."</p> }
                    >
                        <button class="quiet small" disabled=move || loading_older.get() on:click=move |_| load_older()>
                            {move || if loading_older.get() { "Loading older messages…" } else { "Load older messages" }}
                        </button>
                    </Show>
                </li>
                <For each=move || messages.with(|list| rows_of(list)) key=row_key let:row>
                    {match row {
                        Row::CallStarted { at, .. } => view! {
                            <li class="call-marker" role="separator">
                                <span>{format!("Call on {}", dates::time_text(at / 1000))}</span>
                            </li>
                        }
                        .into_any(),
                        Row::Message(message) => {
                            let focused = Some(message.id) == focus;
                            view! { <MessageItem message me may_moderate focused /> }.into_any()
                        }
                    }}
                </For>
                <Show when=move || more_after.get()>
                    <li class="history-start">
                        <button class="quiet small" disabled=move || loading_newer.get() on:click=move |_| load_newer()>
                            {move || if loading_newer.get() { "Loading newer messages…" } else { "Load newer messages" }}
                        </button>
                    </li>
                </Show>
                // Few, short-lived and stateless: drawn whole (a keyed list
                // is code of its own in every download).
                {move || {
                    pending
                        .get()
                        .into_iter()
                        .map(|message| {
                            let status = if message.waiting {
                                "Not sent yet: it goes when you are back online."
                            } else {
                                "Sending…"
                            };
                            let names = message.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ");
                            view! {
                                <li class="message pending">
                                    <div class="message-body">{message.body}</div>
                                    {(!names.is_empty()).then(|| view! { <p class="muted small">{names}</p> })}
                                    <p class="muted small" role="status">{status}</p>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <form class="composer" on:submit=move |event| {
                event.prevent_default();
                send();
            }>
                <label class="visually-hidden" for="composer-text">{label.clone()}</label>
                <textarea
                    id="composer-text"
                    rows="2"
                    placeholder=label
                    prop:value=move || draft.get()
                    on:input=move |e| draft.set(event_target_value(&e))
                    on:keydown=on_keydown
                ></textarea>
                <div class="composer-actions">
                    <AttachButton attachments=attaching />
                    <button type="submit" class="primary">"Send"</button>
                </div>
                <AttachmentTray attachments=attaching />
            </form>
            <ErrorLine error=error />
        </section>
    }
}

/// One message: who, when, what (edited or deleted), and Edit and Delete
/// for whoever may.
#[component]
fn MessageItem(message: ChannelMessage, me: MemberId, may_moderate: bool, focused: bool) -> impl IntoView {
    let own = message.author == Some(me);
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(message.body.clone());
    let error = RwSignal::new(None::<AppError>);
    let id = message.id;
    let who = shown_name(&message.author_name, message.guest);
    let when = dates::time_text(message.sent_at / 1000);
    let save = move || {
        let body = draft.get_untracked();
        spawn_local(async move {
            match edit_message(id, body).await {
                Ok(_) => {
                    error.set(None);
                    editing.set(false);
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    let delete = Callback::new(move |_| {
        spawn_local(async move {
            if let Err(problem) = delete_message(id).await {
                error.set(Some(problem));
            }
        });
    });
    let html = message.html.clone();
    let deleted = message.deleted;
    let edited = message.edited;
    let from_call = message.call.is_some();
    let files = message.files.clone();
    view! {
        <li class="message" class:deleted=deleted class:focused=focused data-message=id.0>
            <p class="message-meta">
                <strong>{who.clone()}</strong>
                " "
                <time class="muted small">{when}</time>
                {from_call.then(|| view! { <span class="muted small">" · in the call"</span> })}
                {(edited && !deleted).then(|| view! { <span class="muted small">" (edited)"</span> })}
            </p>
            <Show
                when=move || editing.get()
                fallback=move || {
                    if deleted {
                        view! { <p class="muted message-body">"This message was deleted."</p> }.into_any()
                    } else {
                        view! {
                            <div class="message-body" inner_html=html.clone()></div>
                            <MessageFiles files=files.clone() />
                        }
                            .into_any()
                    }
                }
            >
                <form class="inline-form" on:submit=move |event| {
                    event.prevent_default();
                    save();
                }>
                    <textarea
                        aria-label="Edit your message"
                        prop:value=move || draft.get()
                        on:input=move |e| draft.set(event_target_value(&e))
                        on:keydown=move |event| match event.key().as_str() {
                            "Enter" if !event.shift_key() => {
                                event.prevent_default();
                                save();
                            }
                            "Escape" => editing.set(false),
                            _ => {}
                        }
                    ></textarea>
                    <button type="submit" class="primary small">"Save"</button>
                    <button type="button" class="quiet small" on:click=move |_| editing.set(false)>"Cancel"</button>
                </form>
            </Show>
            {(!deleted && (own || may_moderate)).then(|| view! {
                <div class="message-actions">
                    {own.then(|| view! {
                        <button class="quiet small" aria-label=format!("Edit your message from {}", dates::time_text(message.sent_at / 1000)) on:click=move |_| editing.set(true)>"Edit"</button>
                    })}
                    <ConfirmButton
                        label="Delete"
                        aria_label=format!("Delete the message by {who}")
                        warning="Delete this message for everyone?"
                        confirm="Delete message"
                        on_confirm=delete
                        class="small"
                    />
                </div>
            })}
            <ErrorLine error=error />
        </li>
    }
}

/// What tells one row from another, and a changed message from itself.
fn row_key(row: &Row) -> (i64, bool, bool, bool, String) {
    match row {
        Row::CallStarted { call, .. } => (-call.0, true, false, false, String::new()),
        Row::Message(m) => (m.id.0, false, m.edited, m.deleted, m.body.clone()),
    }
}

/// Puts `message` in its place by id (replacing an older copy of it).
fn upsert(list: &mut Vec<ChannelMessage>, message: ChannelMessage) {
    match list.binary_search_by_key(&message.id, |m| m.id) {
        Ok(at) => list[at] = message,
        Err(at) => list.insert(at, message),
    }
}

/// A key for a message, unique enough among one member's messages in one
/// channel: the time and a random number.
fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        format!("{:x}-{:x}", js_sys::Date::now() as u64, (js_sys::Math::random() * 2f64.powi(52)) as u64)
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// Whether the history is scrolled (nearly) to its top: time for older
/// messages.
fn near_top(list: NodeRef<leptos::html::Ol>) -> bool {
    #[cfg(feature = "hydrate")]
    return list.get_untracked().is_some_and(|list| list.scroll_top() < 40);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = list;
        false
    }
}

/// Whether the history is scrolled (nearly) to its bottom: time for newer
/// messages, when it was opened at an older one.
fn near_bottom(list: NodeRef<leptos::html::Ol>) -> bool {
    #[cfg(feature = "hydrate")]
    return list
        .get_untracked()
        .is_some_and(|list| list.scroll_height() - list.scroll_top() - list.client_height() < 40);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = list;
        false
    }
}

/// Scrolls message `id` into the middle of the history once it is drawn.
fn scroll_to_message(list: NodeRef<leptos::html::Ol>, id: MessageId) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        let Some(list) = list.get_untracked() else { return };
        if let Ok(Some(item)) = list.query_selector(&format!("[data-message=\"{}\"]", id.0)) {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Center);
            item.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (list, id);
}

/// Scrolls the history to its newest message once it is drawn.
fn scroll_to_bottom(list: NodeRef<leptos::html::Ol>) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        if let Some(list) = list.get_untracked() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = list;
}

/// Remembers how far from the bottom the history is scrolled; the returned
/// function, called once older messages are added above, keeps the member
/// looking at the same messages.
fn keep_scroll_position(list: NodeRef<leptos::html::Ol>) -> impl FnOnce() {
    #[cfg(feature = "hydrate")]
    {
        let from_bottom = list.get_untracked().map(|list| list.scroll_height() - list.scroll_top());
        move || {
            request_animation_frame(move || {
                if let (Some(list), Some(from_bottom)) = (list.get_untracked(), from_bottom) {
                    list.set_scroll_top(list.scroll_height() - from_bottom);
                }
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = list;
        || {}
    }
}
