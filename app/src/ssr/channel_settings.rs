//! A meeting channel's switches (Channel Details > Transcription): each is
//! off until a channel admin or a workspace admin turns it on; and the
//! admins who want each call's notes by email themselves.

use super::db::Db;
use crate::model::{ChannelId, MemberId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// "External users receive email summary": guests who gave an email
    /// get the meeting notes after each call.
    EmailGuestNotes,
    /// "Transcribe calls": the call gets a transcript and a summary.
    TranscribeCalls,
}

impl Switch {
    /// Reading it, then writing it: whole statements, so that no SQL is
    /// ever put together at run time.
    fn statements(self) -> (&'static str, &'static str) {
        match self {
            Switch::EmailGuestNotes => (
                "SELECT email_guest_notes FROM channel_settings WHERE channel_id = $1",
                "INSERT INTO channel_settings (channel_id, email_guest_notes) VALUES ($1, $2)
                 ON CONFLICT (channel_id) DO UPDATE SET email_guest_notes = excluded.email_guest_notes",
            ),
            Switch::TranscribeCalls => (
                "SELECT transcribe_calls FROM channel_settings WHERE channel_id = $1",
                "INSERT INTO channel_settings (channel_id, transcribe_calls) VALUES ($1, $2)
                 ON CONFLICT (channel_id) DO UPDATE SET transcribe_calls = excluded.transcribe_calls",
            ),
        }
    }
}

pub async fn is_on(db: &Db, channel: ChannelId, switch: Switch) -> Result<bool, sqlx::Error> {
    let on: Option<bool> = sqlx::query_scalar(switch.statements().0).bind(channel).fetch_optional(db).await?;
    Ok(on.unwrap_or(false))
}

pub async fn set(db: &Db, channel: ChannelId, switch: Switch, on: bool) -> Result<(), sqlx::Error> {
    sqlx::query(switch.statements().1).bind(channel).bind(on).execute(db).await?;
    Ok(())
}

/// Whether `member` asked for the notes of the channel's calls.
pub async fn wants_notes(db: &Db, channel: ChannelId, member: MemberId) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM call_notes_readers WHERE channel_id = $1 AND member_id = $2")
            .bind(channel)
            .bind(member)
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}

/// `member` asks for (or stops) the notes of the channel's calls.
pub async fn set_wants_notes(db: &Db, channel: ChannelId, member: MemberId, on: bool) -> Result<(), sqlx::Error> {
    let statement = if on {
        "INSERT INTO call_notes_readers (channel_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM call_notes_readers WHERE channel_id = $1 AND member_id = $2"
    };
    sqlx::query(statement).bind(channel).bind(member).execute(db).await?;
    Ok(())
}

/// The addresses of those who asked for the channel's notes and still
/// administer it (its admins, and the admins of its workspace): someone who
/// lost that standing since gets nothing.
pub async fn notes_readers(db: &Db, channel: ChannelId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT m.email FROM call_notes_readers r
         JOIN members m ON m.id = r.member_id
         JOIN channels c ON c.id = r.channel_id AND c.workspace_id = m.workspace_id
         WHERE r.channel_id = $1 AND m.deactivated_at IS NULL
           AND (m.is_admin OR EXISTS (
               SELECT 1 FROM channel_admins a WHERE a.channel_id = r.channel_id AND a.member_id = m.id))
         ORDER BY m.email",
    )
    .bind(channel)
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_switch_is_off_until_turned_on_and_leaves_the_other_alone() {
        let (db, _dir, _, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let channel = channel.id;
        for switch in [Switch::EmailGuestNotes, Switch::TranscribeCalls] {
            assert!(!is_on(&db, channel, switch).await.unwrap());
        }
        set(&db, channel, Switch::EmailGuestNotes, true).await.unwrap();
        set(&db, channel, Switch::TranscribeCalls, true).await.unwrap();
        set(&db, channel, Switch::TranscribeCalls, false).await.unwrap();
        assert!(is_on(&db, channel, Switch::EmailGuestNotes).await.unwrap());
        assert!(!is_on(&db, channel, Switch::TranscribeCalls).await.unwrap());
    }

    #[tokio::test]
    async fn notes_go_to_those_who_asked_while_they_administer_the_channel() {
        let (db, _dir, ada, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let channel = channel.id;
        let member = |name: &'static str, email: &'static str, is_admin| {
            let db = db.clone();
            async move {
                let new = crate::ssr::accounts::NewMember { name, email, password_hash: "h", is_admin };
                crate::ssr::accounts::add_member(&db, ada.workspace_id, new).await.unwrap().id
            }
        };
        let channel_admin = member("Cho", "cho@example.com", false).await;
        let workspace_admin = member("Wen", "wen@example.com", true).await;
        let plain = member("Pat", "pat@example.com", false).await;
        crate::ssr::channels::add_admin(&db, channel, channel_admin).await.unwrap();
        for who in [channel_admin, workspace_admin, plain] {
            assert!(!wants_notes(&db, channel, who).await.unwrap());
            set_wants_notes(&db, channel, who, true).await.unwrap();
            set_wants_notes(&db, channel, who, true).await.unwrap();
            assert!(wants_notes(&db, channel, who).await.unwrap());
        }
        assert_eq!(notes_readers(&db, channel).await.unwrap(), ["cho@example.com", "wen@example.com"]);

        crate::ssr::channels::remove_admin(&db, channel, channel_admin).await.unwrap();
        set_wants_notes(&db, channel, workspace_admin, false).await.unwrap();
        assert!(notes_readers(&db, channel).await.unwrap().is_empty(), "no longer an admin, or stopped asking");
    }
}
