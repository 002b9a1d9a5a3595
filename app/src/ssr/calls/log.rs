//! Writes the record of meeting channels' calls while they go on: the SFU
//! notes each arrival, departure, removal, chat message and recording
//! here, and one task writes them to the database in the order they
//! happened, off the call's own path. When a call ends (and its
//! recordings are complete), the transcripts and notes tasks are woken.

use crate::model::{CallId, ChannelId, MemberId};
use crate::protocol::signal::{ChatMessage, ParticipantId};
use crate::ssr::call_notes::Attendance;
use crate::ssr::calls::{self, transcript};
use crate::ssr::channel_settings::{self, Switch};
use crate::ssr::db::Db;
use std::sync::Arc;
use tokio::sync::{Notify, mpsc, oneshot};

/// Entries waiting to be written, at most; a call that outpaces the
/// database waits for it (its signalling does, never its media).
const QUEUE: usize = 1024;

/// Something that happened in a call, to be recorded.
#[derive(Debug)]
pub enum Entry {
    /// A stay began; the member it is, if not a guest.
    Joined(CallId, Attendance, Option<MemberId>),
    Left(CallId, ParticipantId, i64),
    Removed(CallId, ParticipantId),
    Chat(CallId, ChatMessage),
    Recording(CallId, transcript::Recording),
    TranscriptionOn(CallId),
    /// The call ended at this time (unix seconds).
    Ended(CallId, i64),
    /// Not an event: everything noted before it is written; tell the sender.
    Flush(oneshot::Sender<()>),
}

/// The SFU's handle on the record of calls.
#[derive(Clone)]
pub struct CallLog {
    db: Db,
    entries: mpsc::Sender<Entry>,
}

impl CallLog {
    /// Starts the writer. `ended` is rung for each call that ends.
    pub fn start(db: Db, ended: Vec<Arc<Notify>>) -> CallLog {
        let (entries, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write_entries(db.clone(), queue, ended));
        CallLog { db, entries }
    }

    /// Opens the record of a call that begins now; whether it is
    /// transcribed from the start (its channel's setting).
    pub async fn open(&self, channel: ChannelId, started_at: i64) -> Result<(CallId, bool), sqlx::Error> {
        let transcribed = channel_settings::is_on(&self.db, channel, Switch::TranscribeCalls).await?;
        Ok((calls::start(&self.db, channel, started_at, transcribed).await?, transcribed))
    }

    /// Whether the channel transcribes its calls now.
    pub async fn transcribes(&self, channel: ChannelId) -> bool {
        channel_settings::is_on(&self.db, channel, Switch::TranscribeCalls).await.unwrap_or_else(|error| {
            tracing::error!(%error, %channel, "reading whether a channel transcribes its calls");
            false
        })
    }

    /// Waits until every entry noted so far is written: stopping the
    /// server closes the database only after this.
    pub async fn flush(&self) {
        let (written, done) = oneshot::channel();
        if self.entries.send(Entry::Flush(written)).await.is_ok() {
            let _ = done.await;
        }
    }

    pub async fn note(&self, entry: Entry) {
        if self.entries.send(entry).await.is_err() {
            tracing::error!("the call record writer has stopped");
        }
    }
}

async fn write_entries(db: Db, mut queue: mpsc::Receiver<Entry>, ended: Vec<Arc<Notify>>) {
    while let Some(entry) = queue.recv().await {
        let entry = match entry {
            Entry::Flush(written) => {
                let _ = written.send(());
                continue;
            }
            entry => entry,
        };
        let done = match &entry {
            Entry::Joined(call, stay, member) => calls::joined(&db, *call, stay, *member).await,
            Entry::Left(call, participant, at) => calls::left(&db, *call, *participant, *at).await,
            Entry::Removed(call, participant) => calls::removed(&db, *call, *participant).await,
            Entry::Chat(call, message) => calls::chat(&db, *call, message).await,
            Entry::Recording(call, recording) => transcript::add_recording(&db, *call, recording).await,
            Entry::TranscriptionOn(call) => transcript::turn_on(&db, *call).await,
            Entry::Ended(call, at) => calls::end(&db, *call, *at).await,
            Entry::Flush(_) => unreachable!("answered above"),
        };
        match done {
            Ok(()) if matches!(entry, Entry::Ended(..)) => ended.iter().for_each(|task| task.notify_one()),
            Ok(()) => {}
            Err(error) => tracing::error!(%error, ?entry, "could not record a call's event"),
        }
    }
}
