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
    let render = |html: &str, inline: &[mail_attachments::InlineImage]| {
        sanitize::email_html_with_images(html, mail_attachments::inline_data(&state.files, inline))
    };
    mail_store::thread(&state.db, inbox, thread, render)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation".into()))
}

/// Replies to the latest message of the conversation, from the inbox's
/// first address: to its sender, or with `reply_all` also to everyone
/// else it went to (Cc). `recipient` is who the page showed the reply
/// going to: if newer mail changed that, nothing is sent. A recipient new
/// to the conversation needs `confirm_new`. `files` are the caller's
/// uploads for this inbox, sent as attachments.
#[server(endpoint = "reply_in_thread")]
pub async fn reply_in_thread(
    inbox: InboxId,
    thread: ThreadId,
    body: String,
    recipient: String,
    confirm_new: bool,
    #[server(default)] reply_all: bool,
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
        let files = crate::ssr::files::for_reply(&state.db, me.id, inbox, &draft.files).await?;
        let mut attachments = Vec::with_capacity(files.len());
        for (file, sha256) in &files {
            let body = tokio::fs::read(state.files.content_path(sha256)).await.map_err(|error| {
                tracing::error!(%error, "a reply's file could not be read from the data folder");
                AppError::Internal
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
        mail_store::file(&state.db, inbox, &email).await?;
        crate::ssr::files::sent_with_reply(&state.db, &draft.files).await?;
        state.inbox_news.mail_changed(&state.db, me.workspace_id, inbox).await;
        tracing::info!(%inbox, by = %me.id, delivery = delivery.key(), "mail sent");
        Ok(())
    }
}
