//! What inbound mail carried besides its text: attachments, and inline
//! images (parts with a Content-ID the HTML names as `cid:`). Their bytes
//! are the `file_store`'s, like channel files; these rows say which mail
//! holds which content, and only the inbox's participants get them.

use super::db::Db;
use super::file_store::FileStore;
use super::state::AppState;
use super::{auth, inboxes, policy};
use crate::error::AppError;
use crate::model::{EmailId, InboxId, MailAttachment, MailAttachmentId, ThreadId};
use sqlx::Row;
use std::collections::HashMap;

/// An attachment as the download route needs it.
pub struct StoredAttachment {
    pub info: MailAttachment,
    pub sha256: String,
}

/// The attachment, once the request's member may read its inbox; anyone
/// else is told it is not there.
pub async fn for_download(
    app: &AppState,
    headers: &http::HeaderMap,
    id: MailAttachmentId,
) -> Result<StoredAttachment, AppError> {
    let principal = auth::principal_from_headers(app, headers).await?;
    let me = principal.member()?.clone();
    let not_found = || AppError::NotFound("That attachment".into());
    let row = sqlx::query(
        "SELECT a.id, a.name, a.content_type, a.size, a.sha256, m.inbox_id
         FROM mail_attachments a JOIN email_messages m ON m.id = a.message_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&app.db)
    .await?
    .ok_or_else(not_found)?;
    let inbox: InboxId = row.get("inbox_id");
    let (_, access) = inboxes::access(&app.db, &me, inbox).await?.ok_or_else(not_found)?;
    policy::check_inbox(access, policy::InboxAction::Read).map_err(|_| not_found())?;
    Ok(StoredAttachment { info: attachment(&row), sha256: row.get("sha256") })
}

fn attachment(row: &sqlx::sqlite::SqliteRow) -> MailAttachment {
    MailAttachment {
        id: row.get("id"),
        name: row.get("name"),
        content_type: row.get("content_type"),
        size: row.get("size"),
    }
}

/// The contents the mail of `inbox` holds, and its replies' uploads (before
/// it is deleted, for `file_store` to let go of those no one else holds).
pub async fn contents_of_inbox(db: &Db, inbox: InboxId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT a.sha256 FROM mail_attachments a JOIN email_messages m ON m.id = a.message_id WHERE m.inbox_id = $1
         UNION SELECT sha256 FROM files WHERE inbox_id = $1",
    )
    .bind(inbox)
    .fetch_all(db)
    .await
}

/// An image a mail's HTML shows by its Content-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    pub content_id: String,
    pub sha256: String,
    /// Listed under the mail when it is not shown in it.
    pub attachment: MailAttachment,
}

/// The files of one stored mail: those listed under it, and the images
/// its HTML shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailFiles {
    pub listed: Vec<MailAttachment>,
    pub inline: Vec<InlineImage>,
}

/// Types an inline image may have to be shown (never SVG: it is a document).
const SHOWN_IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The files of every mail of `thread`, by mail. A part with a Content-ID
/// of an image type is shown inline; every other part is listed.
pub async fn of_thread(db: &Db, thread: ThreadId) -> Result<HashMap<EmailId, MailFiles>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.id, a.message_id, a.name, a.content_type, a.size, a.sha256, a.content_id
         FROM mail_attachments a JOIN email_messages m ON m.id = a.message_id
         WHERE m.thread_id = $1 ORDER BY a.id",
    )
    .bind(thread)
    .fetch_all(db)
    .await?;
    let mut by_mail: HashMap<EmailId, MailFiles> = HashMap::new();
    for row in &rows {
        let files = by_mail.entry(row.get("message_id")).or_default();
        let content_type: String = row.get("content_type");
        match row.get::<Option<String>, _>("content_id") {
            Some(content_id) if SHOWN_IMAGE_TYPES.contains(&content_type.as_str()) => {
                files.inline.push(InlineImage { content_id, sha256: row.get("sha256"), attachment: attachment(row) })
            }
            _ => files.listed.push(attachment(row)),
        }
    }
    Ok(by_mail)
}

/// The largest inline image shown, in bytes, and the most one thread
/// shows in all: the images travel inside the page (as `data:` URLs).
/// Those not shown are listed with the attachments.
pub const MAX_INLINE_IMAGE_BYTES: i64 = 2 * 1024 * 1024;
pub const MAX_INLINE_BYTES: i64 = 6 * 1024 * 1024;

/// The `data:` URLs of the inline images `html` names (`cid:`), by
/// Content-ID, within the bounds above; `budget` is what the thread may
/// still show, and shrinks by what these take.
pub fn inline_data(files: &FileStore, html: &str, images: &[InlineImage], budget: &mut i64) -> HashMap<String, String> {
    use base64::Engine;
    let mut shown = HashMap::new();
    for image in images {
        let size = image.attachment.size;
        if size > MAX_INLINE_IMAGE_BYTES || size > *budget || !html.contains(&format!("cid:{}", image.content_id)) {
            continue;
        }
        match std::fs::read(files.content_path(&image.sha256)) {
            Ok(bytes) => {
                *budget -= size;
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                let url = format!("data:{};base64,{encoded}", image.attachment.content_type);
                shown.insert(image.content_id.clone(), url);
            }
            Err(error) => tracing::warn!(%error, "an inline image of a mail could not be read"),
        }
    }
    shown
}
