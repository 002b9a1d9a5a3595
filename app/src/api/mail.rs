//! An inbox's conversations: list and read (any participant, and workspace
//! admins), compose and reply (Members and Admins of the inbox). Replies
//! carry the threading headers of the message they answer.

use crate::error::AppError;
use crate::model::{FileId, InboxId, ThreadId, ThreadSummary, ThreadView};
use leptos::prelude::*;

#[server(endpoint = "list_threads")]
pub async fn list_threads(inbox: InboxId) -> Result<Vec<ThreadSummary>, AppError> {
    use crate::ssr::{mail_store, policy::InboxAction};
    let super::inboxes::server::Allowed { state, .. } =
        super::inboxes::server::allowed(inbox, InboxAction::Read).await?;
    Ok(mail_store::threads(&state.db, inbox).await?)
}

#[server(endpoint = "open_thread")]
pub async fn open_thread(inbox: InboxId, thread: ThreadId) -> Result<ThreadView, AppError> {
    use crate::ssr::{mail_attachments, mail_store, policy::InboxAction, sanitize};
    let super::inboxes::server::Allowed { state, .. } =
        super::inboxes::server::allowed(inbox, InboxAction::Read).await?;
    let mut budget = mail_attachments::MAX_INLINE_BYTES;
    let render = |html: &str, inline: &[mail_attachments::InlineImage]| {
        let images = mail_attachments::inline_data(&state.files, html, inline, &mut budget);
        let shown = images.keys().cloned().collect();
        (sanitize::email_html_with_images(html, images), shown)
    };
    mail_store::thread(&state.db, inbox, thread, render)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation".into()))
}

/// The most people a reply to all copies.
pub const MAX_REPLY_CC: usize = 20;

/// Replies to the latest message of the conversation, from the inbox's
/// first address: to its sender, and to all when `cc` (everyone else it
/// went to, as the page showed them) is given. `recipient` and `cc` are
/// who the page showed the reply going to: if newer mail changed that,
/// nothing is sent. Recipients new to the conversation need
/// `confirm_new`. `files` are the caller's uploads for this inbox, sent as
/// attachments.
#[server(endpoint = "reply_in_thread")]
pub async fn reply_in_thread(
    inbox: InboxId,
    thread: ThreadId,
    body: String,
    recipient: String,
    confirm_new: bool,
    #[server(default)] cc: Vec<String>,
    #[server(default)] files: Vec<FileId>,
) -> Result<(), AppError> {
    use crate::ssr::{mail_store, policy::InboxAction};
    let allowed = super::inboxes::server::allowed(inbox, InboxAction::Send).await?;
    let body = crate::validate::email_body("body", &body)?;
    let context = mail_store::reply_context(&allowed.state.db, inbox, thread)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation".into()))?;
    if !context.reply_to.eq_ignore_ascii_case(recipient.trim()) {
        return Err(AppError::RecipientChanged(context.reply_to));
    }
    if context.reply_to_is_new && !confirm_new {
        return Err(AppError::RecipientUnconfirmed(context.reply_to));
    }
    let reply_all = !cc.is_empty();
    if reply_all {
        let (mut shown, mut now) =
            (cc.iter().map(|a| a.trim().to_lowercase()).collect::<Vec<_>>(), context.others.clone());
        shown.sort();
        now.sort();
        if shown != now {
            return Err(AppError::RecipientChanged(context.others.join(", ")));
        }
        if context.others.len() > MAX_REPLY_CC {
            return Err(AppError::invalid(
                "cc",
                format!("A reply to all copies at most {MAX_REPLY_CC} people; reply to the sender instead."),
            ));
        }
        if context.others_are_new && !confirm_new {
            return Err(AppError::RecipientUnconfirmed(context.others.join(", ")));
        }
    }
    let draft = server::Draft {
        to: context.reply_to,
        cc: if reply_all { context.others } else { Vec::new() },
        subject: context.subject,
        body,
        in_reply_to: Some(context.in_reply_to),
        references: context.references,
        files,
    };
    server::send(&allowed, draft).await
}

/// Starts a new conversation from the inbox.
#[server(endpoint = "compose_email")]
pub async fn compose_email(inbox: InboxId, to: String, subject: String, body: String) -> Result<(), AppError> {
    use crate::ssr::policy::InboxAction;
    use crate::validate;
    let allowed = super::inboxes::server::allowed(inbox, InboxAction::Send).await?;
    let to = validate::email("to", &to)?;
    let subject = subject.trim().to_string();
    if subject.is_empty() {
        return Err(AppError::invalid("subject", "Give the email a subject."));
    }
    let body = crate::validate::email_body("body", &body)?;
    let draft = server::Draft {
        to,
        cc: Vec::new(),
        subject,
        body,
        in_reply_to: None,
        references: Vec::new(),
        files: Vec::new(),
    };
    server::send(&allowed, draft).await
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::api::inboxes::server::Allowed;
    use crate::ssr::mail_out::{Attachment, Outgoing};
    use crate::ssr::mail_store::{self, NewAttachment, NewEmail};
    use crate::ssr::{inboxes, tokens};

    pub struct Draft {
        pub to: String,
        pub cc: Vec<String>,
        pub subject: String,
        pub body: String,
        pub in_reply_to: Option<String>,
        pub references: Vec<String>,
        /// The sender's uploads for this inbox, to attach.
        pub files: Vec<FileId>,
    }

    /// Sends the draft from the inbox's first address, keeps it in its
    /// conversation with how it left, and tells open pages.
    pub async fn send(allowed: &Allowed, draft: Draft) -> Result<(), AppError> {
        let Allowed { state, member: me, inbox: summary, .. } = allowed;
        let inbox = summary.id;
        let from_address = inboxes::addresses(&state.db, inbox).await?.into_iter().next().ok_or_else(|| {
            AppError::invalid("addresses", "This inbox has no email address to send from. An inbox admin can add one.")
        })?;
        let mut ids = draft.files.clone();
        ids.sort();
        ids.dedup();
        // A reply with files holds them in memory (and lettre its encoding):
        // a few at a time.
        let _reading = match ids.is_empty() {
            true => None,
            false => Some(state.files.replies.acquire().await.map_err(|_| AppError::Busy)?),
        };
        let files = crate::ssr::files::for_reply(&state.db, me.id, inbox, &ids).await?;
        let mut attachments = Vec::with_capacity(files.len());
        for (file, sha256) in &files {
            let body = tokio::fs::read(state.files.content_path(sha256)).await.map_err(|_| {
                AppError::invalid(
                    "files",
                    format!("\u{201c}{}\u{201d} is no longer there. Attach it again.", file.name),
                )
            })?;
            attachments.push(Attachment {
                file_name: file.name.clone(),
                content_type: file.content_type.clone(),
                body,
            });
        }
        let outgoing = Outgoing {
            from_name: summary.name.clone(),
            from_address: from_address.clone(),
            to: draft.to.clone(),
            cc: draft.cc.clone(),
            subject: draft.subject.clone(),
            text: draft.body.clone(),
            message_id: format!("{}@{}", tokens::random_token(), state.settings.mail_domain()),
            in_reply_to: draft.in_reply_to.clone(),
            references: draft.references.clone(),
            attachments,
        };
        let delivery =
            state.mailer.send(&outgoing).await.map_err(|error| AppError::invalid("to", error.to_string()))?;
        let email = NewEmail {
            message_id: outgoing.message_id,
            in_reply_to: draft.in_reply_to,
            references: draft.references,
            from_address,
            from_name: summary.name.clone(),
            to_addresses: draft.to,
            cc_addresses: draft.cc.join(", "),
            subject: draft.subject,
            text_body: draft.body,
            html_body: None,
            outgoing: true,
            sent_by: Some(me.id),
            delivery: Some(delivery.key().to_string()),
            delivery_note: delivery.note(),
            attachments: files
                .iter()
                .map(|(file, sha256)| NewAttachment {
                    name: file.name.clone(),
                    content_type: file.content_type.clone(),
                    content_id: None,
                    sha256: sha256.clone(),
                    size: file.size as u64,
                })
                .collect(),
        };
        {
            // The uploads may have been taken back while the mail went out
            // (from another tab), and their content let go of: their bytes,
            // still here, go back before the mail's attachments name them.
            let placing = state.files.placing().await;
            for (attachment, (_, sha256)) in outgoing.attachments.iter().zip(&files) {
                if tokio::fs::try_exists(state.files.content_path(sha256)).await.unwrap_or(false) {
                    continue;
                }
                let kept = match state.files.receive_bytes(&attachment.body).await {
                    Ok(again) => state.files.place(again, &placing).await.map_err(|error| error.to_string()),
                    Err(error) => Err(error.to_string()),
                };
                if let Err(error) = kept {
                    tracing::error!(%error, "a sent reply's file could not be kept");
                    return Err(AppError::Internal);
                }
            }
            mail_store::file(&state.db, inbox, &email).await?;
            crate::ssr::files::sent_with_reply(&state.db, &ids).await?;
        }
        state.inbox_news.mail_changed(&state.db, me.workspace_id, inbox).await;
        tracing::info!(%inbox, by = %me.id, delivery = delivery.key(), "mail sent");
        Ok(())
    }
}
