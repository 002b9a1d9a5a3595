//! A channel's conversation: posting (once, however often the browser
//! sends it again), editing and deleting messages, its history a page at a
//! time by cursor, how far each member has read, and search. Who may do
//! what is `policy`'s; this keeps the rules of the text itself.

use super::db::Db;
use super::sanitize;
use super::search::fts_terms;
use crate::error::AppError;
use crate::model::{
    CallId, ChannelId, ChannelMessage, FileId, HISTORY_PAGE, HistoryPage, MAX_CLIENT_KEY_CHARS, MemberId, MessageHit,
    MessageId, Unread, WorkspaceId,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row};

/// Who writes a message.
pub struct Author<'a> {
    pub member: Option<MemberId>,
    pub name: &'a str,
    pub guest: bool,
}

fn checked_key(key: Option<&str>) -> Result<Option<&str>, AppError> {
    match key {
        Some(key) if key.is_empty() || key.chars().count() > MAX_CLIENT_KEY_CHARS => {
            Err(AppError::invalid("client_key", format!("A message's key is 1 to {MAX_CLIENT_KEY_CHARS} characters.")))
        }
        key => Ok(key),
    }
}

/// A message's columns: the only text ever formatted into this module's
/// SQL (a constant, hence `AssertSqlSafe`); everything else is bound.
const COLUMNS: &str = "id, channel_id, author_id, author_name, guest, body, html, call_id, sent_at, edited_at IS NOT NULL AS edited, deleted";

fn message(row: &SqliteRow) -> ChannelMessage {
    ChannelMessage {
        id: row.get("id"),
        channel: row.get("channel_id"),
        author: row.get("author_id"),
        author_name: row.get("author_name"),
        guest: row.get("guest"),
        body: row.get("body"),
        html: row.get("html"),
        call: row.get("call_id"),
        sent_at: row.get("sent_at"),
        edited: row.get("edited"),
        deleted: row.get("deleted"),
        files: Vec::new(),
    }
}

/// `messages` with their files.
async fn with_files(db: &Db, mut messages: Vec<ChannelMessage>) -> Result<Vec<ChannelMessage>, sqlx::Error> {
    let ids: Vec<MessageId> = messages.iter().filter(|m| !m.deleted).map(|m| m.id).collect();
    let mut files = super::files::of_messages(db, &ids).await?;
    for message in &mut messages {
        message.files = files.remove(&message.id).unwrap_or_default();
    }
    Ok(messages)
}

/// One message with its files.
async fn one_with_files(db: &Db, message: Option<ChannelMessage>) -> Result<Option<ChannelMessage>, sqlx::Error> {
    match message {
        Some(message) => Ok(with_files(db, vec![message]).await?.pop()),
        None => Ok(None),
    }
}

/// What a message is: its text and the files it carries (the author's
/// uploads to the channel, not yet sent).
pub struct Content<'a> {
    pub body: &'a str,
    pub files: &'a [FileId],
}

/// Posts `content` in `channel`. With a `client_key` (the browser's own
/// id for this message) a second post with the same key returns the first
/// message instead of storing another: `true` when this call stored it.
pub async fn post(
    db: &Db,
    channel: ChannelId,
    author: Author<'_>,
    content: Content<'_>,
    call: Option<CallId>,
    client_key: Option<&str>,
    sent_at: i64,
) -> Result<(ChannelMessage, bool), AppError> {
    let body = crate::validate::message_body(content.body, !content.files.is_empty())?;
    let client_key = checked_key(client_key)?;
    let html = sanitize::message_html(body);
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO channel_messages (channel_id, author_id, author_name, guest, body, html, call_id, sent_at, client_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (channel_id, client_key) DO NOTHING
         RETURNING {COLUMNS}"
    )))
    .bind(channel)
    .bind(author.member)
    .bind(author.name)
    .bind(author.guest)
    .bind(body)
    .bind(&html)
    .bind(call)
    .bind(sent_at)
    .bind(client_key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = inserted {
        let posted = message(&row);
        if !content.files.is_empty() {
            let Some(member) = author.member else {
                return Err(AppError::invalid("files", "Only members attach files."));
            };
            super::files::attach(&mut tx, posted.id, channel, member, content.files).await?;
        }
        tx.commit().await?;
        let posted = with_files(db, vec![posted]).await?.pop().expect("one message in, one out");
        return Ok((posted, true));
    }
    drop(tx);
    // Sent before: the same message, if it is the same author's.
    let earlier = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM channel_messages WHERE channel_id = $1 AND client_key = $2"
    )))
    .bind(channel)
    .bind(client_key)
    .fetch_one(db)
    .await?;
    let earlier = with_files(db, vec![message(&earlier)]).await?.pop().expect("one message in, one out");
    if earlier.author != author.member || author.member.is_none() {
        return Err(AppError::invalid("client_key", "That message key is taken; send the message again."));
    }
    Ok((earlier, false))
}

/// The message, if it is in a channel of `workspace`.
pub async fn get(db: &Db, workspace: WorkspaceId, id: MessageId) -> Result<Option<ChannelMessage>, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM channel_messages WHERE id = $1
         AND channel_id IN (SELECT id FROM channels WHERE workspace_id = $2)"
    )))
    .bind(id)
    .bind(workspace)
    .fetch_optional(db)
    .await?;
    one_with_files(db, row.as_ref().map(message)).await
}

/// Replaces a message's text; a deleted message stays deleted.
pub async fn edit(db: &Db, id: MessageId, body: &str, at: i64) -> Result<Option<ChannelMessage>, AppError> {
    let has_files: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM files WHERE message_id = $1)").bind(id).fetch_one(db).await?;
    let body = crate::validate::message_body(body, has_files)?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "UPDATE channel_messages SET body = $2, html = $3, edited_at = $4 WHERE id = $1 AND NOT deleted
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(body)
    .bind(sanitize::message_html(body))
    .bind(at)
    .fetch_optional(db)
    .await?;
    Ok(one_with_files(db, row.as_ref().map(message)).await?)
}

/// Deletes a message: its place in the history stays ("deleted"), its
/// text is gone, from search too, and so are its files: the contents they
/// named are returned, for `file_store` to let go of those no one else holds.
pub async fn delete(db: &Db, id: MessageId) -> Result<Option<(ChannelMessage, Vec<String>)>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "UPDATE channel_messages SET body = '', html = '', deleted = TRUE WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(deleted) = row.as_ref().map(message) else { return Ok(None) };
    let contents = super::files::remove_of_message(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Some((deleted, contents)))
}

/// The page of `channel`'s history just before `before` (the newest page
/// without it), oldest first. A cursor, not an offset: messages arriving
/// meanwhile neither repeat nor skip one.
pub async fn history(db: &Db, channel: ChannelId, before: Option<MessageId>) -> Result<HistoryPage, sqlx::Error> {
    let (messages, more_before) =
        page(db, channel, before.map_or(i64::MAX, |id| id.0), Direction::Older, HISTORY_PAGE).await?;
    Ok(HistoryPage { messages, more_before, more_after: false })
}

/// The page of `channel`'s history just after `after`, oldest first.
pub async fn history_after(db: &Db, channel: ChannelId, after: MessageId) -> Result<HistoryPage, sqlx::Error> {
    let (messages, more_after) = page(db, channel, after.0, Direction::Newer, HISTORY_PAGE).await?;
    Ok(HistoryPage { messages, more_before: true, more_after })
}

/// A page of `channel`'s history with `message` in its middle (where a
/// search result opens), oldest first.
pub async fn history_around(db: &Db, channel: ChannelId, message: MessageId) -> Result<HistoryPage, sqlx::Error> {
    let half = HISTORY_PAGE / 2;
    let (mut messages, more_before) = page(db, channel, message.0 + 1, Direction::Older, half).await?;
    let (after, more_after) = page(db, channel, message.0, Direction::Newer, HISTORY_PAGE - half).await?;
    messages.extend(after);
    Ok(HistoryPage { messages, more_before, more_after })
}

/// Which way a page runs from its cursor.
#[derive(Clone, Copy)]
enum Direction {
    Older,
    Newer,
}

/// Up to `limit` messages older (ids below `from`) or newer (above it),
/// oldest first, and whether more lie that way.
async fn page(
    db: &Db,
    channel: ChannelId,
    from: i64,
    direction: Direction,
    limit: usize,
) -> Result<(Vec<ChannelMessage>, bool), sqlx::Error> {
    // Fixed texts, never the caller's: safe to format in.
    let (beyond, order) = match direction {
        Direction::Older => ("<", "DESC"),
        Direction::Newer => (">", "ASC"),
    };
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM channel_messages WHERE channel_id = $1 AND id {beyond} $2 ORDER BY id {order} LIMIT $3"
    )))
    .bind(channel)
    .bind(from)
    .bind(limit as i64 + 1)
    .fetch_all(db)
    .await?;
    let more = rows.len() > limit;
    let mut messages: Vec<ChannelMessage> = rows.iter().take(limit).map(message).collect();
    if let Direction::Older = direction {
        messages.reverse();
    }
    Ok((with_files(db, messages).await?, more))
}

/// The member has read `channel` up to `up_to` (never moves back).
pub async fn mark_read(db: &Db, member: MemberId, channel: ChannelId, up_to: MessageId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO channel_reads (member_id, channel_id, last_read) VALUES ($1, $2, $3)
         ON CONFLICT (member_id, channel_id) DO UPDATE SET last_read = MAX(last_read, excluded.last_read)",
    )
    .bind(member)
    .bind(channel)
    .bind(up_to)
    .execute(db)
    .await?;
    Ok(())
}

/// The channels of `workspace` with messages the member has not read
/// (their own and deleted ones do not count).
pub async fn unread(db: &Db, workspace: WorkspaceId, member: MemberId) -> Result<Vec<Unread>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.id AS channel, COUNT(m.id) AS count
         FROM channels c
         JOIN channel_messages m ON m.channel_id = c.id
         LEFT JOIN channel_reads r ON r.channel_id = c.id AND r.member_id = $2
         WHERE c.workspace_id = $1 AND m.id > COALESCE(r.last_read, 0) AND NOT m.deleted
           AND (m.author_id IS NULL OR m.author_id <> $2)
         GROUP BY c.id ORDER BY c.id",
    )
    .bind(workspace)
    .bind(member)
    .fetch_all(db)
    .await?;
    Ok(rows.iter().map(|row| Unread { channel: row.get("channel"), count: row.get("count") }).collect())
}

/// The most recent messages of `workspace` with every word of `query`,
/// at most `limit`. The index is asked first (`CROSS JOIN` keeps SQLite
/// from walking every message by id and asking the index for each: 1 s for
/// 100,000 messages, `BENCHMARKS.md`, "A long history").
pub async fn search(db: &Db, workspace: WorkspaceId, query: &str, limit: i64) -> Result<Vec<MessageHit>, sqlx::Error> {
    let Some(terms) = fts_terms(query) else { return Ok(Vec::new()) };
    let columns = COLUMNS.split(", ").map(|column| format!("m.{column}")).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {columns}, c.name AS channel_name
         FROM (SELECT rowid FROM channel_message_search WHERE channel_message_search MATCH $1) s
         CROSS JOIN channel_messages m ON m.id = s.rowid
         JOIN channels c ON c.id = m.channel_id
         WHERE c.workspace_id = $2 AND NOT m.deleted
         ORDER BY m.id DESC LIMIT $3"
    )))
    .bind(terms)
    .bind(workspace)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.iter().map(|row| MessageHit { message: message(row), channel_name: row.get("channel_name") }).collect())
}
