//! A meeting channel's switches (Channel Details > Transcription): each is
//! off until a channel admin or a workspace admin turns it on.

use super::db::Db;
use crate::model::ChannelId;

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
}
