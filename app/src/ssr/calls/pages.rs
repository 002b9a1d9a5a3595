//! A past call's transcript and chat read a page at a time, as members
//! read them under Past calls: a call holds up to 512 KiB of chat and
//! hours of transcript, and one answer with all of it was 27.7 MiB when
//! chat was unbounded (issue 32).

use crate::model::{CallId, CallLines, CallPart, LinesCursor, SpokenLine};
use crate::ssr::db::Db;
use sqlx::Row;

/// Transcript lines in one page.
pub const TRANSCRIPT_PAGE: usize = 300;
/// Chat messages in one page.
pub const CHAT_PAGE: usize = 200;

/// The lines of `call`'s `part` after `after`, oldest first, a page of them.
pub async fn page(db: &Db, call: CallId, part: CallPart, after: LinesCursor) -> Result<CallLines, sqlx::Error> {
    let (sql, size) = match part {
        CallPart::Transcript => (
            "SELECT id, said_at, speaker, guest, text FROM transcript_lines
             WHERE call_id = $1 AND (said_at > $2 OR (said_at = $2 AND id > $3))
             ORDER BY said_at, id LIMIT $4",
            TRANSCRIPT_PAGE,
        ),
        // A message is a guest's when its writer's stay in the call was.
        CallPart::Chat => (
            "SELECT c.id, c.sent_at AS said_at, c.name AS speaker, c.text,
                    EXISTS (SELECT 1 FROM call_attendance a
                            WHERE a.call_id = c.call_id AND a.participant = c.participant AND a.guest) AS guest
             FROM call_chat c
             WHERE c.call_id = $1 AND (c.sent_at > $2 OR (c.sent_at = $2 AND c.id > $3))
             ORDER BY c.sent_at, c.id LIMIT $4",
            CHAT_PAGE,
        ),
    };
    // One more than a page: whether there is a next one.
    let mut rows =
        sqlx::query(sql).bind(call).bind(after.at).bind(after.id).bind(size as i64 + 1).fetch_all(db).await?;
    let more = rows.len() > size;
    rows.truncate(size);
    let next = more.then(|| rows.last().map(|row| LinesCursor { at: row.get("said_at"), id: row.get("id") })).flatten();
    let lines = rows
        .into_iter()
        .map(|row| SpokenLine {
            said_at: row.get("said_at"),
            speaker: row.get("speaker"),
            guest: row.get("guest"),
            text: row.get("text"),
        })
        .collect();
    Ok(CallLines { lines, next })
}
