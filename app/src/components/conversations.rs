//! An inbox's conversations: the thread list, the open thread with its
//! messages, a reply box and a New email form for those who may send.
//! Viewers get neither; the server refuses their sends anyway.

use crate::api::mail::{ComposeEmail, ReplyInThread, list_threads, open_thread};
use crate::components::attachments::{self, AttachButton, AttachmentTray, Attachments};
use crate::components::form::{ErrorLine, ErrorText, Field, FormError, TextBox, action_error};
use crate::dates::time_text;
use crate::error::AppError;
use crate::json::load;
use crate::model::{DEFAULT_MAX_FILE_BYTES, EmailView, InboxId, ThreadId, ThreadSummary, UploadTarget, human_size};
use leptos::prelude::*;

#[component]
pub fn Conversations(
    inbox: InboxId,
    can_send: bool,
    /// Changes whenever mail arrives in or leaves any inbox of the member.
    #[prop(into)]
    mail_news: Signal<u32>,
    /// The open conversation; kept by the page so it survives the inbox
    /// being read again (after a role change, say).
    selected: RwSignal<Option<ThreadId>>,
) -> impl IntoView {
    let reply = ServerAction::<ReplyInThread>::new();
    let compose = ServerAction::<ComposeEmail>::new();
    let version = move || (mail_news.get(), reply.version().get(), compose.version().get());
    let threads = load(version, move |_| list_threads(inbox));
    let composing = RwSignal::new(false);
    view! {
        <div class="conversations">
            <section class="thread-list" aria-label="Conversations">
                <Show when=move || can_send>
                    <button class="primary small" on:click=move |_| composing.set(true)>"New email"</button>
                </Show>
                <Transition fallback=|| view! { <p class="muted">"Loading conversations…"</p> }>
                    {move || Suspend::new(async move {
                        match threads.await {
                            Ok(list) if list.is_empty() => view! { <p class="muted">"No conversations yet."</p> }.into_any(),
                            Ok(list) => view! { <ThreadList list selected /> }.into_any(),
                            Err(error) => view! { <ErrorText error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="thread-pane" aria-label="Conversation">
                {move || {
                    if composing.get() {
                        view! { <ComposeForm inbox compose close=Callback::new(move |_| composing.set(false)) /> }
                            .into_any()
                    } else {
                        match selected.get() {
                            Some(thread) => {
                                view! { <ThreadPane inbox thread can_send reply version=Signal::derive(version) /> }
                                    .into_any()
                            }
                            None => view! { <p class="muted">"Choose a conversation."</p> }.into_any(),
                        }
                    }
                }}
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn ThreadList(list: Vec<ThreadSummary>, selected: RwSignal<Option<ThreadId>>) -> impl IntoView {
    view! {
        <ul class="threads">
            {list
                .into_iter()
                .map(|thread| {
                    let id = thread.id;
                    view! {
                        <li>
                            <button
                                class="thread"
                                aria-current=move || (selected.get() == Some(id)).then_some("true")
                                on:click=move |_| selected.set(Some(id))
                            >
                                <span class="thread-top">
                                    <strong>{thread.from.clone()}</strong>
                                    <span class="muted small">{time_text(thread.last_message_at)}</span>
                                </span>
                                <span class="thread-subject">
                                    {thread.subject.clone()}
                                    {(thread.message_count > 1).then(|| format!(" ({})", thread.message_count))}
                                </span>
                                <span class="muted small thread-snippet">{thread.snippet.clone()}</span>
                            </button>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn ThreadPane(
    inbox: InboxId,
    thread: ThreadId,
    can_send: bool,
    reply: ServerAction<ReplyInThread>,
    version: Signal<(u32, usize, usize)>,
) -> impl IntoView {
    let view_of = load(move || version.get(), move |_| open_thread(inbox, thread));
    let error = action_error(reply);
    let body = RwSignal::new(String::new());
    let confirm_new = RwSignal::new(false);
    // Clear the box once a reply went out.
    Effect::new(move |_| {
        if matches!(reply.value().get(), Some(Ok(()))) {
            body.set(String::new());
            confirm_new.set(false);
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_of.await {
                    Ok(thread_view) => {
                        let recipient = thread_view.reply_to.clone();
                        let is_new = thread_view.reply_to_is_new;
                        let others = thread_view.reply_all_cc.clone();
                        let others_new = thread_view.reply_all_cc_new;
                        view! {
                            <h2>{thread_view.subject.clone()}</h2>
                            <ol class="messages">
                                {thread_view
                                    .messages
                                    .into_iter()
                                    .map(|message| view! { <Message message /> })
                                    .collect_view()}
                            </ol>
                            {if can_send {
                                view! { <ReplyBox inbox thread recipient others others_new is_new reply body confirm_new error /> }
                                    .into_any()
                            } else {
                                view! {
                                    <p class="muted small read-only">"You can read this conversation but not reply."</p>
                                }
                                    .into_any()
                            }}
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorText error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// The reply box: says who the reply goes to, and when that is someone new
/// to the conversation (a stranger can join a thread by quoting its ids),
/// asks the member to confirm them.
#[component]
fn ReplyBox(
    inbox: InboxId,
    thread: ThreadId,
    recipient: String,
    /// Who else a reply to all goes to.
    others: Vec<String>,
    /// Some of `others` are new to the conversation.
    others_new: bool,
    is_new: bool,
    reply: ServerAction<ReplyInThread>,
    body: RwSignal<String>,
    confirm_new: RwSignal<bool>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let shown = recipient.clone();
    let reply_all = RwSignal::new(false);
    let attaching = Attachments::new(UploadTarget::Inbox(inbox), DEFAULT_MAX_FILE_BYTES);
    let not_ready = RwSignal::new(None::<AppError>);
    // The reply went out: its files with it.
    Effect::new(move |_| {
        if matches!(reply.value().get(), Some(Ok(()))) {
            attaching.clear();
        }
    });
    let copies = others.join(", ");
    let cc = others.clone();
    // Who the member must confirm: the sender, and with Reply all the
    // others, when they are new to the conversation.
    let unconfirmed = {
        let (recipient, copies) = (recipient.clone(), copies.clone());
        move || {
            let mut who = Vec::new();
            if is_new {
                who.push(recipient.clone());
            }
            if others_new && reply_all.get() {
                who.push(copies.clone());
            }
            who.join(", ")
        }
    };
    view! {
        <form
            class="stack reply-box"
            on:submit=move |event| {
                event.prevent_default();
                let files = match attaching.ready() {
                    Ok(files) => attachments::ids(&files),
                    Err(why) => {
                        not_ready.set(Some(why));
                        return;
                    }
                };
                not_ready.set(None);
                reply
                    .dispatch(ReplyInThread {
                        inbox,
                        thread,
                        body: body.get_untracked(),
                        recipient: shown.clone(),
                        confirm_new: confirm_new.get_untracked(),
                        cc: if reply_all.get_untracked() { cc.clone() } else { Vec::new() },
                        files,
                    });
            }
        >
            <FormError error />
            <ErrorLine error=not_ready />
            {if others.is_empty() {
                view! { <p class="reply-to small">"Reply to " <strong>{recipient.clone()}</strong></p> }.into_any()
            } else {
                view! {
                    <fieldset class="reply-to small">
                        <legend class="visually-hidden">"Who the reply goes to"</legend>
                        <label class="checkbox">
                            <input type="radio" name="reply-who" prop:checked=move || !reply_all.get() on:change=move |_| reply_all.set(false) />
                            "Reply to " <strong>{recipient.clone()}</strong>
                        </label>
                        <label class="checkbox">
                            <input type="radio" name="reply-who" prop:checked=move || reply_all.get() on:change=move |_| reply_all.set(true) />
                            "Reply all (also " {copies.clone()} ")"
                        </label>
                    </fieldset>
                }
                    .into_any()
            }}
            {move || {
                let who = unconfirmed();
                (!who.is_empty())
                    .then(|| {
                        view! {
                            <div class="notice warning" role="note">
                                <p class="small">
                                    {format!(
                                        "{who}: not in this conversation before the latest message. Check the addresses before you answer.",
                                    )}
                                </p>
                                <label class="checkbox">
                                    <input
                                        type="checkbox"
                                        prop:checked=move || confirm_new.get()
                                        on:change=move |event| confirm_new.set(event_target_checked(&event))
                                    />
                                    {format!("Send to {who}")}
                                </label>
                            </div>
                        }
                    })
            }}
            <TextBox label="Reply" name="body" id="reply-body" bind=body error />
            <AttachmentTray attachments=attaching />
            <div class="composer-actions">
                <AttachButton attachments=attaching />
                <button type="submit" class="primary" disabled=move || reply.pending().get()>"Send reply"</button>
            </div>
        </form>
    }
    .into_any()
}

/// The look of an HTML message inside its frame (the page's styles do not
/// reach into it).
const HTML_FRAME_STYLE: &str = "<meta name=\"color-scheme\" content=\"light dark\"><style>\
    body { margin: 0; font: 15px/1.5 system-ui, sans-serif; overflow-wrap: anywhere; }\
    p:first-child { margin-top: 0; }</style>";

/// A frame without scripts cannot size itself to its content, so its
/// height (in em) is guessed from the HTML: a line per block, and one per
/// 40 characters of text (a phone's width); it can be dragged taller.
fn html_frame_height(html: &str) -> usize {
    let blocks: usize =
        ["<p", "<br", "<div", "<li", "<tr", "<h", "<blockquote"].iter().map(|tag| html.matches(tag).count()).sum();
    let mut inside_tag = false;
    let text_chars = html
        .chars()
        .filter(|&c| {
            match c {
                '<' => inside_tag = true,
                '>' => inside_tag = false,
                _ => return !inside_tag,
            }
            false
        })
        .count();
    let lines = blocks.max(1) + text_chars / 40;
    (lines * 2 + 2).clamp(6, 40)
}

#[component]
fn Message(message: EmailView) -> impl IntoView {
    let from_short =
        if message.from_name.is_empty() { message.from_address.clone() } else { message.from_name.clone() };
    let from = if message.from_name.is_empty() {
        message.from_address.clone()
    } else {
        format!("{} <{}>", message.from_name, message.from_address)
    };
    let delivery = match message.delivery.as_deref() {
        Some("outbox") => Some("Kept in the local outbox (no mail relay is configured)."),
        Some("failed") => Some("Not delivered: the mail relay did not accept it."),
        _ => None,
    };
    view! {
        <li class="message" class:outgoing=message.outgoing>
            <p class="message-head">
                <strong>{from}</strong>
                <span class="muted small">{format!(" to {} · {}", message.to, time_text(message.created_at))}</span>
            </p>
            {(!message.cc.is_empty()).then(|| view! { <p class="muted small message-cc">{format!("Cc: {}", message.cc)}</p> })}
            {match message.html_body {
                Some(html) => {
                    let height = format!("height: {}em", html_frame_height(&html));
                    view! {
                        // Sanitised on the server, and still shown in a frame
                        // with no scripts and an origin of its own.
                        <iframe
                            class="message-html"
                            title=format!("Message from {from_short}")
                            sandbox="allow-popups allow-popups-to-escape-sandbox"
                            referrerpolicy="no-referrer"
                            style=height
                            srcdoc=format!("{HTML_FRAME_STYLE}{html}")
                        ></iframe>
                    }
                        .into_any()
                }
                None => view! { <div class="message-body plain">{message.text_body}</div> }.into_any(),
            }}
            {(!message.attachments.is_empty()).then(|| view! {
                <ul class="message-files" aria-label="Attachments">
                    {message.attachments.iter().map(|file| view! {
                        <li>
                            <a href=file.download_url() download=file.name.clone() aria-label=format!("Download {} ({})", file.name, human_size(file.size))>
                                <span class="file-name">{file.name.clone()}</span>
                                <span class="muted small">{human_size(file.size)}</span>
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {delivery.map(|note| view! { <p class="small muted">{note}</p> })}
        </li>
    }
    .into_any()
}

#[component]
fn ComposeForm(inbox: InboxId, compose: ServerAction<ComposeEmail>, close: Callback<()>) -> impl IntoView {
    let error = action_error(compose);
    let (to, subject, body) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    Effect::new(move |_| {
        if matches!(compose.value().get(), Some(Ok(()))) {
            close.run(());
        }
    });
    view! {
        <form
            class="stack"
            novalidate=true
            on:submit=move |event| {
                event.prevent_default();
                compose.dispatch(ComposeEmail {
                    inbox,
                    to: to.get_untracked(),
                    subject: subject.get_untracked(),
                    body: body.get_untracked(),
                });
            }
        >
            <h2>"New email"</h2>
            <FormError error />
            <Field label="To" name="to" kind="email" error bind=to />
            <Field label="Subject" name="subject" error bind=subject />
            <TextBox label="Message" name="body" id="compose-body" rows=8 bind=body error />
            <div class="dialog-actions">
                <button type="button" class="quiet" on:click=move |_| close.run(())>"Cancel"</button>
                <button type="submit" class="primary" disabled=move || compose.pending().get()>"Send"</button>
            </div>
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::html_frame_height;

    #[test]
    fn an_html_frame_is_as_tall_as_its_blocks_and_text_within_bounds() {
        let short = "<p>Hi, the camera preview stays <b>black</b> when I open your link. Any idea?</p>\
                     <p>I followed <a href=\"x\">our setup notes</a>.</p><p>Sam</p>";
        assert_eq!(html_frame_height(short), 12, "three paragraphs and about two lines more of text");
        assert_eq!(html_frame_height("hi"), 6, "never shorter than a few lines");
        assert_eq!(html_frame_height(&"<p>long</p>".repeat(500)), 40, "never taller than a screen or two");
    }
}
