//! The record of each meeting channel's call, written while the call goes
//! on: when it started and ended, every stay in it (who, from when to
//! when, whether a guest was removed) and its chat. Written as it happens,
//! so a restart loses neither a call in progress (it ends at the restart)
//! nor what came after it: its transcript (`transcript`) and the guests'
//! notes.
//!
//! The rest of the calls domain: `log` writes the record in order as the
//! server's call watch reports it; `recordings` are the microphones' files;
//! `transcriber` turns them into the transcript through the speech engine
//! (`speech`, by default the embedded `speech_worker`) and has it
//! summarised (`summary_model`, falling back to the extractive `summary`);
//! `pages` reads a past call a page at a time.

pub mod log;
pub mod pages;
pub mod recordings;
pub mod speech;
pub mod speech_worker;
pub mod summary;
pub mod summary_model;
pub mod transcriber;
pub mod transcript;

use super::call_notes::{Attendance, CallRecord};
use super::db::Db;
use crate::model::{CallId, ChannelId, MemberId, PastCall, TranscriptView, shown_name};
use crate::protocol::signal::{ChatMessage, ParticipantId};
use sqlx::Row;

/// Opens the record of a call that has just begun; `transcribed` when its
/// channel transcribes calls.
pub async fn start(db: &Db, channel: ChannelId, started_at: i64, transcribed: bool) -> Result<CallId, sqlx::Error> {
    let state = if transcribed { transcript::State::Pending } else { transcript::State::Off };
    sqlx::query_scalar("INSERT INTO calls (channel_id, started_at, transcript) VALUES ($1, $2, $3) RETURNING id")
        .bind(channel)
        .bind(started_at)
        .bind(state.as_str())
        .fetch_one(db)
        .await
}

/// `member`: who the stay is, for a member (a guest's is `None`).
pub async fn joined(db: &Db, call: CallId, stay: &Attendance, member: Option<MemberId>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO call_attendance (call_id, participant, name, guest, guest_email, joined_at, member_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(call)
    .bind(stay.participant.0 as i64)
    .bind(&stay.name)
    .bind(stay.guest)
    .bind(&stay.guest_email)
    .bind(stay.joined_at)
    .bind(member)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn left(db: &Db, call: CallId, participant: ParticipantId, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE call_attendance SET left_at = $1 WHERE call_id = $2 AND participant = $3 AND left_at IS NULL")
        .bind(at)
        .bind(call)
        .bind(participant.0 as i64)
        .execute(db)
        .await?;
    Ok(())
}

/// A member removed this guest from the call: they get no notes.
pub async fn removed(db: &Db, call: CallId, participant: ParticipantId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE call_attendance SET removed = TRUE WHERE call_id = $1 AND participant = $2")
        .bind(call)
        .bind(participant.0 as i64)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn chat(db: &Db, call: CallId, message: &ChatMessage) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO call_chat (call_id, participant, name, text, sent_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(call)
        .bind(message.from.0 as i64)
        .bind(&message.name)
        .bind(&message.text)
        .bind(message.sent_at)
        .execute(&mut *tx)
        .await?;
    // Kept in the channel's history too, as it is written: members read
    // and search it after the call (guests never see the history).
    sqlx::query(
        "INSERT INTO channel_messages (channel_id, author_id, author_name, guest, body, html, call_id, sent_at)
         SELECT c.channel_id, a.member_id, $3, COALESCE(a.guest, FALSE), $4, $5, $1, $6
         FROM calls c
         LEFT JOIN call_attendance a ON a.call_id = c.id AND a.participant = $2
         WHERE c.id = $1
         LIMIT 1",
    )
    .bind(call)
    .bind(message.from.0 as i64)
    .bind(&message.name)
    .bind(&message.text)
    .bind(crate::ssr::sanitize::message_html(&message.text))
    .bind(message.sent_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The call ended at `at`: everyone still in it left then.
pub async fn end(db: &Db, call: CallId, at: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE call_attendance SET left_at = $1 WHERE call_id = $2 AND left_at IS NULL")
        .bind(at)
        .bind(call)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE calls SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
        .bind(at)
        .bind(call)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Ends the calls a stopped server left open (at `at`, the restart), and
/// returns them: they go on to be transcribed and written up like any.
pub async fn end_interrupted(db: &Db, at: i64) -> Result<Vec<CallId>, sqlx::Error> {
    let open: Vec<CallId> = sqlx::query_scalar("SELECT id FROM calls WHERE ended_at IS NULL").fetch_all(db).await?;
    for call in &open {
        end(db, *call, at).await?;
    }
    Ok(open)
}

/// The channel a call belongs to; None if there is no such call.
pub async fn channel_of(db: &Db, call: CallId) -> Result<Option<ChannelId>, sqlx::Error> {
    sqlx::query_scalar("SELECT channel_id FROM calls WHERE id = $1").bind(call).fetch_optional(db).await
}

/// The channel of an ended call; None if there is no such call or it
/// still goes on.
pub async fn ended_in(db: &Db, call: CallId) -> Result<Option<ChannelId>, sqlx::Error> {
    sqlx::query_scalar("SELECT channel_id FROM calls WHERE id = $1 AND ended_at IS NOT NULL")
        .bind(call)
        .fetch_optional(db)
        .await
}

/// Everything recorded about an ended call; None if there is no such call
/// or it still goes on.
pub async fn record(db: &Db, call: CallId) -> Result<Option<CallRecord>, sqlx::Error> {
    let Some(row) =
        sqlx::query("SELECT channel_id, started_at, ended_at FROM calls WHERE id = $1 AND ended_at IS NOT NULL")
            .bind(call)
            .fetch_optional(db)
            .await?
    else {
        return Ok(None);
    };
    let ended_at: i64 = row.get("ended_at");
    let attendance = sqlx::query(
        "SELECT participant, name, guest, guest_email, removed, joined_at, left_at
         FROM call_attendance WHERE call_id = $1 ORDER BY joined_at, id",
    )
    .bind(call)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| Attendance {
        participant: ParticipantId(row.get::<i64, _>("participant") as u64),
        name: row.get("name"),
        guest_email: row.get("guest_email"),
        guest: row.get("guest"),
        removed: row.get("removed"),
        joined_at: row.get("joined_at"),
        left_at: row.get::<Option<i64>, _>("left_at").unwrap_or(ended_at),
    })
    .collect();
    let chat =
        sqlx::query("SELECT participant, name, text, sent_at FROM call_chat WHERE call_id = $1 ORDER BY sent_at, id")
            .bind(call)
            .fetch_all(db)
            .await?
            .into_iter()
            .map(|row| ChatMessage {
                from: ParticipantId(row.get::<i64, _>("participant") as u64),
                name: row.get("name"),
                text: row.get("text"),
                sent_at: row.get("sent_at"),
            })
            .collect();
    Ok(Some(CallRecord {
        channel: row.get("channel_id"),
        started_at: row.get("started_at"),
        ended_at,
        attendance,
        chat,
    }))
}

/// A channel's ended calls, newest first, at most `limit`: when, who, and
/// where the transcript stands.
pub async fn past(db: &Db, channel: ChannelId, limit: i64) -> Result<Vec<PastCall>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, started_at, ended_at, transcript, transcript_error FROM calls
         WHERE channel_id = $1 AND ended_at IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT $2",
    )
    .bind(channel)
    .bind(limit)
    .fetch_all(db)
    .await?;
    let mut calls = Vec::with_capacity(rows.len());
    for row in rows {
        let id: CallId = row.get("id");
        let people: Vec<(String, bool)> = sqlx::query_as(
            "SELECT name, guest FROM call_attendance WHERE call_id = $1 GROUP BY name, guest ORDER BY MIN(id)",
        )
        .bind(id)
        .fetch_all(db)
        .await?;
        let error: Option<String> = row.get("transcript_error");
        let transcript = match transcript::State::parse(row.get("transcript")) {
            transcript::State::Off => TranscriptView::Off,
            transcript::State::Pending => TranscriptView::Pending(error),
            transcript::State::Done => TranscriptView::Done,
            transcript::State::Failed => TranscriptView::Failed(error.unwrap_or_default()),
        };
        calls.push(PastCall {
            id,
            started_at: row.get("started_at"),
            ended_at: row.get("ended_at"),
            people: people.into_iter().map(|(name, guest)| shown_name(&name, guest)).collect(),
            transcript,
        });
    }
    Ok(calls)
}

/// Ended calls whose guests' notes have not gone out yet.
pub async fn notes_due(db: &Db) -> Result<Vec<CallId>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM calls WHERE ended_at IS NOT NULL AND NOT notes_done ORDER BY id")
        .fetch_all(db)
        .await
}

pub async fn notes_done(db: &Db, call: CallId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE calls SET notes_done = TRUE WHERE id = $1").bind(call).execute(db).await?;
    Ok(())
}

/// The calls that ended before `cutoff` (unix seconds).
pub async fn ended_before(db: &Db, cutoff: i64) -> Result<Vec<CallId>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM calls WHERE ended_at IS NOT NULL AND ended_at < $1")
        .bind(cutoff)
        .fetch_all(db)
        .await
}

/// Forgets the calls that ended before `cutoff` (unix seconds): their
/// record, transcript and summary. Returns how many.
pub async fn forget_ended_before(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM calls WHERE ended_at IS NOT NULL AND ended_at < $1").bind(cutoff).execute(db).await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn stay(participant: u64, name: &str, email: Option<&str>, joined_at: i64) -> Attendance {
        Attendance {
            participant: ParticipantId(participant),
            name: name.into(),
            guest_email: email.map(str::to_string),
            guest: email.is_some(),
            removed: false,
            joined_at,
            left_at: joined_at,
        }
    }

    #[tokio::test]
    async fn a_call_is_recorded_as_it_goes_and_read_back_once_ended() {
        let (db, _dir, _, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let call = start(&db, channel.id, 1000, false).await.unwrap();
        joined(&db, call, &stay(1, "Ada Lovelace", None, 1000), None).await.unwrap();
        joined(&db, call, &stay(2, "Lin Park", Some("lin@example.org"), 1010), None).await.unwrap();
        let message =
            ChatMessage { from: ParticipantId(2), name: "Lin Park".into(), text: "Hello".into(), sent_at: 1_020_000 };
        chat(&db, call, &message).await.unwrap();
        left(&db, call, ParticipantId(2), 1030).await.unwrap();
        assert_eq!(record(&db, call).await.unwrap(), None, "a call in progress has no final record yet");

        end(&db, call, 1100).await.unwrap();
        let record = record(&db, call).await.unwrap().unwrap();
        assert_eq!((record.channel, record.started_at, record.ended_at), (channel.id, 1000, 1100));
        let stays: Vec<_> = record.attendance.iter().map(|s| (s.name.as_str(), s.joined_at, s.left_at)).collect();
        assert_eq!(stays, [("Ada Lovelace", 1000, 1100), ("Lin Park", 1010, 1030)]);
        assert_eq!(record.chat, [message]);
        assert_eq!(record.guest_emails(20), ["lin@example.org"], "Lin stayed 20 s");
        assert!(record.guest_emails(21).is_empty());

        let listed = past(&db, channel.id, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].id, listed[0].started_at, listed[0].ended_at), (call, 1000, 1100));
        assert_eq!(listed[0].people, ["Ada Lovelace", "Lin Park (guest)"]);
        assert_eq!(listed[0].transcript, TranscriptView::Off);
    }

    #[tokio::test]
    async fn calls_left_open_by_a_stopped_server_end_at_the_restart() {
        let (db, _dir, _, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let open = start(&db, channel.id, 1000, true).await.unwrap();
        joined(&db, open, &stay(1, "Ada Lovelace", None, 1000), None).await.unwrap();
        let closed = start(&db, channel.id, 500, false).await.unwrap();
        end(&db, closed, 600).await.unwrap();

        assert_eq!(end_interrupted(&db, 2000).await.unwrap(), [open]);
        let record = record(&db, open).await.unwrap().unwrap();
        assert_eq!((record.ended_at, record.attendance[0].left_at), (2000, 2000));
        assert_eq!(notes_due(&db).await.unwrap(), [open, closed]);
        notes_done(&db, closed).await.unwrap();
        assert_eq!(notes_due(&db).await.unwrap(), [open]);
    }

    #[tokio::test]
    async fn calls_past_the_retention_are_forgotten() {
        let (db, _dir, _, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let old = start(&db, channel.id, 100, false).await.unwrap();
        end(&db, old, 200).await.unwrap();
        let recent = start(&db, channel.id, 900, false).await.unwrap();
        end(&db, recent, 1000).await.unwrap();
        let going_on = start(&db, channel.id, 50, false).await.unwrap();
        assert_eq!(ended_before(&db, 500).await.unwrap(), [old]);
        assert_eq!(forget_ended_before(&db, 500).await.unwrap(), 1);
        assert_eq!(channel_of(&db, old).await.unwrap(), None);
        assert_eq!(channel_of(&db, recent).await.unwrap(), Some(channel.id));
        assert_eq!(channel_of(&db, going_on).await.unwrap(), Some(channel.id));
    }
}
