//! Transcripts of meeting channels' calls. The server records each
//! participant's audio to its own Ogg file (`recordings`); when the call
//! ends, this task sends each file to the speech engine (`speech`; by
//! default the embedded one, `speech_worker`), merges the lines by time with
//! their speakers, has the summary written (`summary_model`) and stores both with the call. An
//! engine that is down or slow never touches the call: the transcript
//! stays pending and is tried again with backoff, and members see why.
//! A recording cut at its size cap, or one the engine cannot take, gets a
//! note in the transcript; the others are transcribed all the same.

use super::recordings;
use super::speech::{self, SpeechEngine};
use super::summary_model::SummaryWriter;
use crate::model::CallId;
use crate::ssr::calls::{self, transcript};
use crate::ssr::db::{Db, now};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// A transcript is given up on after this many failed attempts (with the
/// default first retry, about a day of trying).
pub const MAX_ATTEMPTS: i64 = 12;
/// The longest wait between two attempts.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);

pub struct Transcriber {
    pub db: Db,
    pub engine: SpeechEngine,
    /// Writes each transcript's summary.
    pub summaries: SummaryWriter,
    /// Where recordings' paths are relative to.
    pub data_dir: PathBuf,
    /// The wait before the first retry; doubled after each failure.
    pub first_retry: Duration,
    /// Rung when a call ends, so its transcript starts at once.
    pub wake: Arc<Notify>,
    /// Rung when a transcript is stored or given up on (the notes wait).
    pub settled: Arc<Notify>,
    /// How long after it ends a call is forgotten, with its transcript.
    pub retention: Duration,
}

impl Transcriber {
    /// Transcribes calls as they end, and retries pending ones when due,
    /// until `shutdown`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if let Err(error) = self.transcribe_due().await {
                tracing::error!(%error, "reading the pending transcripts");
            }
            if let Err(error) = self.forget_old_calls().await {
                tracing::error!(%error, "forgetting calls past their retention");
            }
            let next = transcript::next_due(&self.db).await.ok().flatten();
            let wait = next.map_or(LONGEST_RETRY, |at| Duration::from_secs(at.saturating_sub(now()).max(0) as u64));
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait.max(Duration::from_millis(100))) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    async fn transcribe_due(&self) -> Result<(), sqlx::Error> {
        for call in transcript::due(&self.db, now()).await? {
            self.transcribe(call).await?;
        }
        Ok(())
    }

    /// One attempt at a call's transcript. Each recording is transcribed
    /// on its own: one that cannot be (refused, unreadable, or the engine
    /// still failing on the last attempt) is left out with a note saying
    /// so, and the others make the transcript; only when none can is the
    /// attempt failed. An engine that is down or slow fails the attempt
    /// while attempts remain, so the transcript waits for it whole.
    pub async fn transcribe(&self, call: CallId) -> Result<(), sqlx::Error> {
        let Some(record) = calls::record(&self.db, call).await? else { return Ok(()) };
        let recordings = transcript::recordings(&self.db, call).await?;
        let attempts = transcript::status(&self.db, call).await?.map_or(0, |s| s.attempts);
        let last_attempt = attempts + 1 >= MAX_ATTEMPTS;
        let mut lines = Vec::new();
        let mut notes = Vec::new();
        let mut failures = Vec::new();
        for recording in &recordings {
            let stay = record.attendance.iter().find(|stay| stay.participant == recording.participant);
            let (speaker, guest) = stay.map_or(("Someone".to_string(), false), |s| (s.name.clone(), s.guest));
            let file = self.data_dir.join(&recording.file);
            if let Some(ran) = recordings::cut_after(&file).await {
                let at = recording.started_at + ran.as_millis() as i64;
                let text = format!("{speaker}'s recording stopped after {}: it reached the size limit.", how_long(ran));
                notes.push(note(recording, at, text));
            }
            match self.engine.transcribe(&file).await {
                Ok(segments) => lines.extend(segments.into_iter().map(|segment| transcript::Line {
                    participant: recording.participant,
                    speaker: speaker.clone(),
                    guest,
                    said_at: recording.started_at + (segment.start * 1000.0) as i64,
                    ended_at: recording.started_at + (segment.end * 1000.0) as i64,
                    text: segment.text.trim().to_string(),
                })),
                Err(error) if error.is_worth_retrying() && !last_attempt => {
                    return self.attempt_failed(call, &error).await;
                }
                Err(error) => {
                    tracing::warn!(%call, %error, file = %recording.file, "a recording is left out of the transcript");
                    let text = format!("{speaker}'s recording could not be transcribed: {error}.");
                    notes.push(note(recording, recording.started_at, text));
                    failures.push(error);
                }
            }
        }
        if let Some(error) = failures.first()
            && failures.len() == recordings.len()
        {
            return self.attempt_failed(call, error).await;
        }
        lines.sort_by_key(|line| line.said_at);
        // The summary is of what was said; the notes are not.
        let summary = self.summaries.write(call, &lines).await;
        lines.extend(notes);
        lines.sort_by_key(|line| line.said_at);
        transcript::store(&self.db, call, &lines, &summary).await?;
        tracing::info!(%call, lines = lines.len(), left_out = failures.len(), "transcript stored");
        for recording in &recordings {
            self.forget(&recording.file).await;
        }
        self.settled.notify_one();
        Ok(())
    }

    /// Forgets the calls that ended longer ago than the retention, with
    /// any recording still kept for them.
    async fn forget_old_calls(&self) -> Result<(), sqlx::Error> {
        let cutoff = now() - self.retention.as_secs() as i64;
        for call in calls::ended_before(&self.db, cutoff).await? {
            let folder = self.data_dir.join(format!("recordings/{call}"));
            if let Err(error) = tokio::fs::remove_dir_all(&folder).await
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(%error, folder = %folder.display(), "could not delete a call's recordings");
            }
        }
        let forgotten = calls::forget_ended_before(&self.db, cutoff).await?;
        if forgotten > 0 {
            tracing::info!(forgotten, "calls past their retention forgotten");
        }
        Ok(())
    }

    async fn attempt_failed(&self, call: CallId, error: &speech::SpeechError) -> Result<(), sqlx::Error> {
        let attempts = transcript::status(&self.db, call).await?.map_or(0, |s| s.attempts) + 1;
        let retry_at = (error.is_worth_retrying() && attempts < MAX_ATTEMPTS).then(|| {
            let wait = self.first_retry.saturating_mul(1 << (attempts - 1).min(16) as u32).min(LONGEST_RETRY);
            now() + wait.as_secs().max(1) as i64
        });
        match retry_at {
            Some(at) => tracing::warn!(%call, %error, attempts, retry_in = at - now(), "transcript pending"),
            None => tracing::error!(%call, %error, attempts, "transcript failed"),
        }
        let reason = capitalised(&error.to_string());
        transcript::attempt_failed(&self.db, call, &reason, retry_at).await?;
        if retry_at.is_none() {
            self.settled.notify_one();
        }
        Ok(())
    }

    /// Deletes a recording that is no longer needed, and its call's folder
    /// once empty.
    async fn forget(&self, file: &str) {
        let path = self.data_dir.join(file);
        if let Err(error) = tokio::fs::remove_file(&path).await
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(%error, file = %path.display(), "could not delete a recording");
        }
        let _ = tokio::fs::remove_file(recordings::cut_marker(&path)).await;
        if let Some(folder) = path.parent() {
            let _ = tokio::fs::remove_dir(folder).await;
        }
    }
}

/// Who the transcript's own notes about its recordings are from.
pub const NOTE_SPEAKER: &str = "Anteroom";

/// A line of the transcript that is not speech but a note about a
/// recording, at `at` (unix milliseconds).
fn note(recording: &transcript::Recording, at: i64, text: String) -> transcript::Line {
    transcript::Line {
        participant: recording.participant,
        speaker: NOTE_SPEAKER.to_string(),
        guest: false,
        said_at: at,
        ended_at: at,
        text,
    }
}

/// "40 seconds", "25 minutes", "3 hours 10 minutes".
fn how_long(span: Duration) -> String {
    let seconds = span.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match seconds {
        ..120 => plural(seconds, "second"),
        120..7200 => plural(seconds / 60, "minute"),
        _ => format!("{} {}", plural(seconds / 3600, "hour"), plural(seconds % 3600 / 60, "minute")),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_long_a_recording_ran_is_said_in_words() {
        let said = |seconds| how_long(Duration::from_secs(seconds));
        assert_eq!(said(1), "1 second");
        assert_eq!(said(119), "119 seconds");
        assert_eq!(said(120), "2 minutes");
        assert_eq!(said(7199), "119 minutes");
        assert_eq!(said(3 * 3600 + 25 * 60 + 10), "3 hours 25 minutes");
        assert_eq!(said(3600 * 5 + 60), "5 hours 1 minute");
    }
}
