//! Files attached to channel messages: an upload waits, unsent, until the
//! message that carries it is posted (or is forgotten after a day), then
//! belongs to that message and goes with it. The bytes are the
//! `file_store`'s; these are the rows that name them. Who may see which
//! file is `policy`'s (through its channel); this keeps the rows' rules.

use super::db::Db;
use crate::error::AppError;
use crate::model::{
    ChannelId, FileId, FileInfo, FileListing, FileOrder, InboxId, MAX_FILES_PER_MESSAGE, MemberId, MessageId,
    UploadTarget, WorkspaceId,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;

/// How long an upload may wait for its message.
pub const UNSENT_KEPT_MILLIS: i64 = 24 * 3600 * 1000;

/// An upload, about to be recorded.
pub struct NewUpload<'a> {
    pub workspace: WorkspaceId,
    pub to: UploadTarget,
    pub uploader: MemberId,
    pub uploader_name: &'a str,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    pub at: i64,
}

/// A file as the download route needs it.
pub struct StoredFile {
    pub info: FileInfo,
    pub sha256: String,
    pub thumbnail_type: Option<String>,
    /// `None` while unsent: only its uploader may fetch it then.
    pub message: Option<MessageId>,
    pub uploader: Option<MemberId>,
}

const COLUMNS: &str = "id, name, content_type, size, thumbnail IS NOT NULL AS has_thumbnail";

fn info(row: &SqliteRow) -> FileInfo {
    FileInfo {
        id: row.get("id"),
        name: row.get("name"),
        content_type: row.get("content_type"),
        size: row.get("size"),
        thumbnail: row.get("has_thumbnail"),
    }
}

/// Bytes the channel files of `workspace` take (each attachment counts,
/// even where two hold the same content: that is what members see).
pub async fn used_bytes(db: &Db, workspace: WorkspaceId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(SUM(size), 0) FROM files WHERE workspace_id = $1")
        .bind(workspace)
        .fetch_one(db)
        .await
}

/// Records an upload, not yet part of a message.
pub async fn add_upload(db: &Db, upload: NewUpload<'_>) -> Result<FileInfo, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO files (workspace_id, channel_id, inbox_id, uploader_id, uploader_name, name, content_type, size,
             sha256, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
    )))
    .bind(upload.workspace)
    .bind(match upload.to {
        UploadTarget::Channel(channel) => Some(channel),
        UploadTarget::Inbox(_) => None,
    })
    .bind(match upload.to {
        UploadTarget::Inbox(inbox) => Some(inbox),
        UploadTarget::Channel(_) => None,
    })
    .bind(upload.uploader)
    .bind(upload.uploader_name)
    .bind(upload.name)
    .bind(upload.content_type)
    .bind(upload.size as i64)
    .bind(upload.sha256)
    .bind(upload.at)
    .fetch_one(db)
    .await?;
    Ok(info(&row))
}

/// Notes that the file's content has a thumbnail of this type.
pub async fn set_thumbnail(db: &Db, file: FileId, kind: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE files SET thumbnail = $2 WHERE id = $1").bind(file).bind(kind).execute(db).await?;
    Ok(())
}

/// Forgets every upload that waited longer than a day for its message
/// (or reply): the contents they named, for `file_store` to let go of.
/// Run at start and with each upload, so abandoned uploads never pile up.
pub async fn forget_unsent(db: &Db, now: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM files WHERE message_id IS NULL AND uploaded_at < $1 RETURNING sha256")
        .bind(now - UNSENT_KEPT_MILLIS)
        .fetch_all(db)
        .await
}

/// Forgets one of `member`'s uploads not yet sent (removed from the
/// composer, or cancelled): the content it named.
pub async fn discard_unsent(db: &Db, member: MemberId, file: FileId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM files WHERE id = $1 AND uploader_id = $2 AND message_id IS NULL RETURNING sha256")
        .bind(file)
        .bind(member)
        .fetch_optional(db)
        .await
}

/// Makes `files` (the author's unsent uploads to `channel`) the files of
/// `message`, all or none.
pub async fn attach(
    connection: &mut sqlx::SqliteConnection,
    message: MessageId,
    channel: ChannelId,
    author: MemberId,
    files: &[FileId],
) -> Result<(), AppError> {
    if files.len() > MAX_FILES_PER_MESSAGE {
        return Err(AppError::invalid(
            "files",
            format!("A message carries at most {MAX_FILES_PER_MESSAGE} files; send the rest in another message."),
        ));
    }
    for file in files {
        let attached = sqlx::query(
            "UPDATE files SET message_id = $1
             WHERE id = $2 AND channel_id = $3 AND uploader_id = $4 AND message_id IS NULL",
        )
        .bind(message)
        .bind(file)
        .bind(channel)
        .bind(author)
        .execute(&mut *connection)
        .await?;
        if attached.rows_affected() != 1 {
            return Err(AppError::invalid(
                "files",
                "One of the files is no longer waiting to be sent (it was removed or sent already). Attach it again.",
            ));
        }
    }
    Ok(())
}

/// The files of each of `messages`, in the order they were attached.
pub async fn of_messages(db: &Db, messages: &[MessageId]) -> Result<HashMap<MessageId, Vec<FileInfo>>, sqlx::Error> {
    let mut by_message: HashMap<MessageId, Vec<FileInfo>> = HashMap::new();
    if messages.is_empty() {
        return Ok(by_message);
    }
    // Ids are numbers: formatting them in is safe.
    let ids = messages.iter().map(|id| id.0.to_string()).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS}, message_id FROM files WHERE message_id IN ({ids}) ORDER BY id"
    )))
    .fetch_all(db)
    .await?;
    for row in &rows {
        by_message.entry(row.get("message_id")).or_default().push(info(row));
    }
    Ok(by_message)
}

/// The contents the files of `channel` name (before it is deleted, for
/// `file_store` to let go of those no one else holds after).
pub async fn contents_of_channel(db: &Db, channel: ChannelId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT sha256 FROM files WHERE channel_id = $1").bind(channel).fetch_all(db).await
}

/// Forgets the files of a deleted message: the contents they named.
pub async fn remove_of_message(
    connection: &mut sqlx::SqliteConnection,
    message: MessageId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM files WHERE message_id = $1 RETURNING sha256")
        .bind(message)
        .fetch_all(connection)
        .await
}

/// A file of `workspace`, for downloading.
pub async fn stored(db: &Db, workspace: WorkspaceId, file: FileId) -> Result<Option<StoredFile>, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS}, sha256, thumbnail, message_id, uploader_id FROM files
         WHERE id = $1 AND workspace_id = $2"
    )))
    .bind(file)
    .bind(workspace)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| StoredFile {
        info: info(&row),
        sha256: row.get("sha256"),
        thumbnail_type: row.get("thumbnail"),
        message: row.get("message_id"),
        uploader: row.get("uploader_id"),
    }))
}

/// The most a reply's files may add up to, in bytes: mail servers refuse
/// larger messages (25 MB is the common limit, counted after encoding).
pub const MAX_REPLY_FILES_BYTES: i64 = 18 * 1024 * 1024;

/// The uploads `files` of `uploader` waiting to go with a reply from
/// `inbox`, with their contents' hashes, all or an error.
pub async fn for_reply(
    db: &Db,
    uploader: MemberId,
    inbox: InboxId,
    files: &[FileId],
) -> Result<Vec<(FileInfo, String)>, AppError> {
    if files.len() > MAX_FILES_PER_MESSAGE {
        return Err(AppError::invalid(
            "files",
            format!("A reply carries at most {MAX_FILES_PER_MESSAGE} files; send the rest in another one."),
        ));
    }
    let mut found = Vec::with_capacity(files.len());
    for file in files {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS}, sha256 FROM files
             WHERE id = $1 AND uploader_id = $2 AND inbox_id = $3 AND message_id IS NULL"
        )))
        .bind(file)
        .bind(uploader)
        .bind(inbox)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| {
            AppError::invalid("files", "One of the files is no longer waiting to be sent. Attach it again.")
        })?;
        found.push((info(&row), row.get("sha256")));
    }
    let total: i64 = found.iter().map(|(file, _)| file.size).sum();
    if total > MAX_REPLY_FILES_BYTES {
        return Err(AppError::invalid(
            "files",
            format!(
                "A reply's files may add up to {} (mail servers refuse more); these come to {}.",
                crate::model::human_size(MAX_REPLY_FILES_BYTES),
                crate::model::human_size(total)
            ),
        ));
    }
    Ok(found)
}

/// Forgets uploads that went out with a reply: the mail's attachments
/// name their contents now.
pub async fn sent_with_reply(db: &Db, files: &[FileId]) -> Result<(), sqlx::Error> {
    for file in files {
        sqlx::query("DELETE FROM files WHERE id = $1 AND message_id IS NULL").bind(file).execute(db).await?;
    }
    Ok(())
}

/// The most files the Files page lists at once (searching narrows it).
pub const LISTED_FILES: i64 = 500;

/// The sent files of `workspace` whose name contains `query` (every file
/// when empty), in `order`, at most [`LISTED_FILES`].
pub async fn list(
    db: &Db,
    workspace: WorkspaceId,
    query: &str,
    order: FileOrder,
) -> Result<Vec<FileListing>, sqlx::Error> {
    // A fixed text per order, never the caller's: safe to format in.
    let order_by = match order {
        FileOrder::Newest => "f.id DESC",
        FileOrder::Oldest => "f.id",
        FileOrder::Name => "f.name COLLATE NOCASE, f.id DESC",
        FileOrder::Largest => "f.size DESC, f.id DESC",
        FileOrder::Smallest => "f.size, f.id DESC",
        FileOrder::Channel => "c.name COLLATE NOCASE, f.id DESC",
        FileOrder::Uploader => "f.uploader_name COLLATE NOCASE, f.id DESC",
    };
    let columns = COLUMNS.split(", ").map(|column| format!("f.{column}")).collect::<Vec<_>>().join(", ");
    let pattern = format!("%{}%", query.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {columns}, f.channel_id, c.name AS channel_name, f.message_id, f.uploader_name, f.uploaded_at
         FROM files f JOIN channels c ON c.id = f.channel_id
         WHERE f.workspace_id = $1 AND f.message_id IS NOT NULL AND f.name LIKE $2 ESCAPE '\\'
         ORDER BY {order_by} LIMIT $3"
    )))
    .bind(workspace)
    .bind(pattern)
    .bind(LISTED_FILES)
    .fetch_all(db)
    .await?;
    Ok(rows
        .iter()
        .map(|row| FileListing {
            file: info(row),
            channel: row.get("channel_id"),
            channel_name: row.get("channel_name"),
            message: row.get("message_id"),
            uploader_name: row.get("uploader_name"),
            uploaded_at: row.get("uploaded_at"),
        })
        .collect())
}
