//! What inbound mail carried besides its text: attachments, and inline
//! images (parts with a Content-ID the HTML names as `cid:`). Their bytes
//! are the `file_store`'s, like channel files; these rows say which mail
//! holds which content, and only the inbox's participants get them.

use super::db::Db;
use super::state::AppState;
use super::{auth, inboxes, policy};
use crate::error::AppError;
use crate::model::{InboxId, MailAttachment, MailAttachmentId};
use sqlx::Row;

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

/// The attachments (not the inline images) of one stored mail.
pub async fn of_message(db: &Db, message: i64) -> Result<Vec<MailAttachment>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, content_type, size FROM mail_attachments
         WHERE message_id = $1 AND content_id IS NULL ORDER BY id",
    )
    .bind(message)
    .fetch_all(db)
    .await?;
    Ok(rows.iter().map(attachment).collect())
}
