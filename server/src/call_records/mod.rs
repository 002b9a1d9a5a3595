//! The control plane's side of a call: the SFU reports who joins and
//! leaves a meeting channel's call and what is said in its chat, and taps
//! each microphone while the call is transcribed; this keeps the call's
//! record (through the calls domain's `log`) and writes each tapped
//! microphone to its recording's file on a task of its own, on the
//! server's runtime: never on the call's media worker. The other way,
//! `transcription_switch` tells calls going on that their channel's
//! "Transcribe calls" switch turned.

pub mod recorder;
pub mod transcription_switch;

use crate::sfu::observer::{CallObserver, CallWatch, PacketTap, TapReader};
use crate::sfu::ticket::Holder;
use anteroom_app::model::{CallId, ConferenceId};
use anteroom_app::protocol::signal::{ChatMessage, ParticipantId};
use anteroom_app::ssr::call_notes::Attendance;
use anteroom_app::ssr::calls::log::{CallLog, Entry};
use anteroom_app::ssr::calls::transcript::Recording;
use anteroom_app::ssr::db::now;
use async_trait::async_trait;
use recorder::Recorder;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// A recording's file has this long to be completed after the call ends.
const RECORDING_FINISH: Duration = Duration::from_secs(10);

/// Keeps the record of every meeting channel's call; rooms' calls leave
/// nothing behind.
pub struct CallRecords {
    pub log: CallLog,
    /// Recordings are written under it.
    pub data_dir: PathBuf,
    /// The server's runtime, where recordings are written (the SFU calls
    /// in from a call's media worker).
    pub runtime: tokio::runtime::Handle,
}

#[async_trait]
impl CallObserver for CallRecords {
    async fn call_started(&self, conference: ConferenceId) -> Option<(Arc<dyn CallWatch>, bool)> {
        let ConferenceId::Channel(channel) = conference else { return None };
        match self.log.open(channel, now()).await {
            Ok((call, transcribed)) => {
                let recorded = RecordedCall {
                    call,
                    log: self.log.clone(),
                    data_dir: self.data_dir.clone(),
                    runtime: self.runtime.clone(),
                    recordings_finished: Mutex::default(),
                };
                Some((Arc::new(recorded), transcribed))
            }
            Err(error) => {
                tracing::error!(%error, %channel, "could not open the record of a call");
                None
            }
        }
    }
}

/// One meeting channel's call being recorded.
struct RecordedCall {
    call: CallId,
    log: CallLog,
    data_dir: PathBuf,
    runtime: tokio::runtime::Handle,
    /// Each recording's file is complete once its receiver completes.
    recordings_finished: Mutex<Vec<oneshot::Receiver<()>>>,
}

#[async_trait]
impl CallWatch for RecordedCall {
    async fn joined(&self, participant: ParticipantId, holder: &Holder) {
        let joined_at = now();
        let stay = Attendance {
            participant,
            name: holder.name().to_string(),
            guest_email: match holder {
                Holder::Guest { email, .. } => email.clone(),
                Holder::Member { .. } => None,
            },
            guest: holder.guest().is_some(),
            removed: false,
            joined_at,
            left_at: joined_at,
        };
        let member = match holder {
            Holder::Member { id, .. } => Some(*id),
            Holder::Guest { .. } => None,
        };
        self.log.note(Entry::Joined(self.call, stay, member)).await;
    }

    async fn left(&self, participant: ParticipantId, removed: bool) {
        if removed {
            // The call's notes are not sent to a guest a member removed.
            self.log.note(Entry::Removed(self.call, participant)).await;
        }
        self.log.note(Entry::Left(self.call, participant, now())).await;
    }

    async fn chat(&self, message: &ChatMessage) {
        self.log.note(Entry::Chat(self.call, message.clone())).await;
    }

    async fn transcription_on(&self) {
        self.log.note(Entry::TranscriptionOn(self.call)).await;
    }

    async fn tap_microphone(&self, owner: ParticipantId, track: u64) -> Option<PacketTap> {
        let file = format!("recordings/{}/{owner}-{track}.ogg", self.call);
        let recording = Recording { participant: owner, file, started_at: crate::sfu::unix_millis() };
        let (tap, reader) = PacketTap::new();
        let (done, finished) = oneshot::channel();
        self.recordings_finished.lock().expect("recordings lock").push(finished);
        let (log, call, path) = (self.log.clone(), self.call, self.data_dir.join(&recording.file));
        self.runtime.spawn(record(path, recording, call, log, reader, done));
        Some(tap)
    }

    async fn ended(&self) {
        let ended_at = now();
        let finished: Vec<_> = std::mem::take(&mut *self.recordings_finished.lock().expect("recordings lock"));
        let _ = tokio::time::timeout(RECORDING_FINISH, futures::future::join_all(finished)).await;
        self.log.note(Entry::Ended(self.call, ended_at)).await;
    }
}

/// Creates a recording's file, notes it in the call's record, and writes
/// the tapped microphone to it until the tap closes; `done` goes with the
/// task, once the file is complete. (The recorder writes 8 KiB at a time,
/// every two seconds or so: small enough for a task.) A file that cannot
/// be made closes the tap: the call goes on, its transcript without it.
async fn record(
    path: PathBuf,
    recording: Recording,
    call: CallId,
    log: CallLog,
    mut tap: TapReader,
    done: oneshot::Sender<()>,
) {
    let mut recorder = match Recorder::create(&path) {
        Ok((recorder, _complete_on_drop)) => recorder,
        Err(error) => {
            let file = &recording.file;
            tracing::error!(%error, %file, "could not start a recording; the transcript will lack it");
            return;
        }
    };
    log.note(Entry::Recording(call, recording)).await;
    while let Some(packet) = tap.packets.recv().await {
        recorder.write(&packet);
    }
    drop(recorder);
    let dropped = tap.dropped.load(Ordering::Relaxed);
    if dropped > 0 {
        tracing::warn!(dropped, "a recording fell behind its microphone; the transcript misses those packets");
    }
    drop(done);
}
