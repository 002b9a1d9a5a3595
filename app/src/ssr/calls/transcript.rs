//! A call's transcript: the audio files the SFU recorded (one per
//! participant's stay), the lines the speech engine heard in them, each
//! attributed to whoever's audio it was, and where the work stands
//! (pending with retries, done, or failed with a reason).

use crate::model::{CallId, ChannelId, WorkspaceId};
use crate::protocol::signal::ParticipantId;
use crate::ssr::db::Db;
use crate::ssr::search::fts_terms;
use sqlx::Row;

/// Where a call's transcript stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The channel did not transcribe the call.
    Off,
    /// Recording, or waiting for the speech engine.
    Pending,
    Done,
    /// Given up on; the reason is kept.
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Off => "off",
            State::Pending => "pending",
            State::Done => "done",
            State::Failed => "failed",
        }
    }

    pub(crate) fn parse(text: &str) -> State {
        match text {
            "pending" => State::Pending,
            "done" => State::Done,
            "failed" => State::Failed,
            _ => State::Off,
        }
    }
}

/// One participant's recorded audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub participant: ParticipantId,
    /// The Ogg Opus file, under the data folder.
    pub file: String,
    /// The wall-clock time of its first sound, unix milliseconds.
    pub started_at: i64,
}

/// One thing said, by one participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub participant: ParticipantId,
    pub speaker: String,
    pub guest: bool,
    /// Unix milliseconds.
    pub said_at: i64,
    pub ended_at: i64,
    pub text: String,
}

/// Where a call's transcript stands, why it last failed, and its summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    pub error: Option<String>,
    pub attempts: i64,
    pub summary: Option<String>,
}

pub async fn add_recording(db: &Db, call: CallId, recording: &Recording) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO call_recordings (call_id, participant, file, started_at) VALUES ($1, $2, $3, $4)")
        .bind(call)
        .bind(recording.participant.0 as i64)
        .bind(&recording.file)
        .bind(recording.started_at)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn recordings(db: &Db, call: CallId) -> Result<Vec<Recording>, sqlx::Error> {
    let rows = sqlx::query("SELECT participant, file, started_at FROM call_recordings WHERE call_id = $1 ORDER BY id")
        .bind(call)
        .fetch_all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| Recording {
            participant: ParticipantId(row.get::<i64, _>("participant") as u64),
            file: row.get("file"),
            started_at: row.get("started_at"),
        })
        .collect())
}

/// Turns transcription on for a call in progress (its channel's switch
/// was turned on mid-call).
pub async fn turn_on(db: &Db, call: CallId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE calls SET transcript = 'pending' WHERE id = $1 AND transcript = 'off'")
        .bind(call)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn status(db: &Db, call: CallId) -> Result<Option<Status>, sqlx::Error> {
    let row = sqlx::query("SELECT transcript, transcript_error, attempts, summary FROM calls WHERE id = $1")
        .bind(call)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|row| Status {
        state: State::parse(row.get("transcript")),
        error: row.get("transcript_error"),
        attempts: row.get("attempts"),
        summary: row.get("summary"),
    }))
}

/// Ended calls whose transcript is pending and due to be tried by `now`
/// (unix seconds), oldest first.
pub async fn due(db: &Db, now: i64) -> Result<Vec<CallId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM calls WHERE transcript = 'pending' AND ended_at IS NOT NULL
         AND (retry_at IS NULL OR retry_at <= $1) ORDER BY id",
    )
    .bind(now)
    .fetch_all(db)
    .await
}

/// When the next pending transcript falls due, if any is waiting.
pub async fn next_due(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT MIN(COALESCE(retry_at, 0)) FROM calls WHERE transcript = 'pending' AND ended_at IS NOT NULL",
    )
    .fetch_one(db)
    .await
}

/// Stores the transcript and summary of a call, replacing any before, and
/// marks it done; the recordings are forgotten (their files are deleted
/// by the caller).
pub async fn store(db: &Db, call: CallId, lines: &[Line], summary: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM transcript_lines WHERE call_id = $1").bind(call).execute(&mut *tx).await?;
    for line in lines {
        sqlx::query(
            "INSERT INTO transcript_lines (call_id, participant, speaker, guest, said_at, ended_at, text)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(call)
        .bind(line.participant.0 as i64)
        .bind(&line.speaker)
        .bind(line.guest)
        .bind(line.said_at)
        .bind(line.ended_at)
        .bind(&line.text)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM call_recordings WHERE call_id = $1").bind(call).execute(&mut *tx).await?;
    sqlx::query(
        "UPDATE calls SET transcript = 'done', transcript_error = NULL, retry_at = NULL, summary = $1 WHERE id = $2",
    )
    .bind(summary)
    .bind(call)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Notes a failed attempt: tried again at `retry_at` (unix seconds), or,
/// with None, given up on.
pub async fn attempt_failed(db: &Db, call: CallId, reason: &str, retry_at: Option<i64>) -> Result<(), sqlx::Error> {
    let state = if retry_at.is_some() { State::Pending } else { State::Failed };
    sqlx::query(
        "UPDATE calls SET transcript = $1, transcript_error = $2, retry_at = $3, attempts = attempts + 1 WHERE id = $4",
    )
    .bind(state.as_str())
    .bind(reason)
    .bind(retry_at)
    .bind(call)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn lines(db: &Db, call: CallId) -> Result<Vec<Line>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT participant, speaker, guest, said_at, ended_at, text FROM transcript_lines
         WHERE call_id = $1 ORDER BY said_at, id",
    )
    .bind(call)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Line {
            participant: ParticipantId(row.get::<i64, _>("participant") as u64),
            speaker: row.get("speaker"),
            guest: row.get("guest"),
            said_at: row.get("said_at"),
            ended_at: row.get("ended_at"),
            text: row.get("text"),
        })
        .collect())
}

/// A transcript line that matched a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub call: CallId,
    pub channel: ChannelId,
    pub speaker: String,
    pub guest: bool,
    pub said_at: i64,
    pub text: String,
}

/// The most recent transcript lines of `workspace` with every word of
/// `query` (words, not FTS5 syntax: each is quoted), at most `limit`.
pub async fn search(db: &Db, workspace: WorkspaceId, query: &str, limit: i64) -> Result<Vec<Found>, sqlx::Error> {
    let Some(terms) = fts_terms(query) else { return Ok(Vec::new()) };
    let rows = sqlx::query(
        "SELECT l.call_id, c.channel_id, l.speaker, l.guest, l.said_at, l.text
         FROM transcript_search s
         JOIN transcript_lines l ON l.id = s.rowid
         JOIN calls c ON c.id = l.call_id
         JOIN channels ch ON ch.id = c.channel_id
         WHERE transcript_search MATCH $1 AND ch.workspace_id = $2
         ORDER BY l.said_at DESC LIMIT $3",
    )
    .bind(terms)
    .bind(workspace)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Found {
            call: row.get("call_id"),
            channel: row.get("channel_id"),
            speaker: row.get("speaker"),
            guest: row.get("guest"),
            said_at: row.get("said_at"),
            text: row.get("text"),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::calls;

    fn line(participant: u64, speaker: &str, said_at: i64, text: &str) -> Line {
        Line {
            participant: ParticipantId(participant),
            speaker: speaker.into(),
            guest: participant == 2,
            said_at,
            ended_at: said_at + 2000,
            text: text.into(),
        }
    }

    #[tokio::test]
    async fn a_transcript_is_pending_until_stored_and_then_searchable_in_its_workspace_only() {
        let (db, _dir, ada, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let call = calls::start(&db, channel.id, 1000, true).await.unwrap();
        let recording =
            Recording { participant: ParticipantId(1), file: "recordings/1/1.ogg".into(), started_at: 1_000_500 };
        add_recording(&db, call, &recording).await.unwrap();
        assert_eq!(due(&db, 5000).await.unwrap(), [], "not while the call goes on");
        calls::end(&db, call, 1100).await.unwrap();
        assert_eq!(due(&db, 5000).await.unwrap(), [call]);
        assert_eq!(recordings(&db, call).await.unwrap(), [recording]);

        attempt_failed(&db, call, "The speech engine did not answer.", Some(6000)).await.unwrap();
        let status = status(&db, call).await.unwrap().unwrap();
        assert_eq!((status.state, status.attempts), (State::Pending, 1));
        assert_eq!(status.error.as_deref(), Some("The speech engine did not answer."));
        assert_eq!(due(&db, 5000).await.unwrap(), [], "not before its retry");
        assert_eq!(next_due(&db).await.unwrap(), Some(6000));
        assert_eq!(due(&db, 6000).await.unwrap(), [call]);

        let said = [
            line(1, "Ada Lovelace", 1_001_000, "The budget is approved."),
            line(2, "Lin Park", 1_004_000, "We ship on Friday."),
        ];
        store(&db, call, &said, "Key points").await.unwrap();
        let status = super::status(&db, call).await.unwrap().unwrap();
        assert_eq!((status.state, status.error, status.summary.as_deref()), (State::Done, None, Some("Key points")));
        assert_eq!(lines(&db, call).await.unwrap(), said);
        assert_eq!(recordings(&db, call).await.unwrap(), [], "the recordings are forgotten");
        assert_eq!(due(&db, 9999).await.unwrap(), []);

        let found = search(&db, ada.workspace_id, "friday", 10).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].call, found[0].speaker.as_str()), (call, "Lin Park"));
        assert_eq!(search(&db, ada.workspace_id, "ship Friday", 10).await.unwrap().len(), 1, "every word");
        assert_eq!(search(&db, ada.workspace_id, "ship budget", 10).await.unwrap().len(), 0, "in one line");
        assert_eq!(search(&db, WorkspaceId(ada.workspace_id.0 + 1), "friday", 10).await.unwrap(), []);
        assert_eq!(search(&db, ada.workspace_id, "\" OR * NEAR(", 10).await.unwrap(), [], "syntax is just text");

        calls::forget_ended_before(&db, 5000).await.unwrap();
        assert_eq!(search(&db, ada.workspace_id, "friday", 10).await.unwrap(), [], "forgotten calls leave no trace");
    }

    #[tokio::test]
    async fn a_transcript_given_up_on_says_why() {
        let (db, _dir, _, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let call = calls::start(&db, channel.id, 1000, true).await.unwrap();
        calls::end(&db, call, 1100).await.unwrap();
        attempt_failed(&db, call, "The audio could not be read.", None).await.unwrap();
        let status = status(&db, call).await.unwrap().unwrap();
        assert_eq!((status.state, status.error.as_deref()), (State::Failed, Some("The audio could not be read.")));
        assert_eq!(due(&db, i64::MAX).await.unwrap(), []);
    }
}
