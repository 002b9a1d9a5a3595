//! Transcripts of meeting channels' calls. The SFU records each
//! participant's audio to its own Ogg file (`recorder`); when the call
//! ends, this task sends each file to the speech engine (`speech`; by
//! default the embedded one, `worker`), merges the lines by time with
//! their speakers, has the summary written (`summary_model`) and stores both with the call. An
//! engine that is down or slow never touches the call: the transcript
//! stays pending and is tried again with backoff, and members see why.

pub mod call_log;
pub mod recorder;
pub mod speech;
pub mod summary_model;
pub mod worker;

use anteroom_app::model::CallId;
use anteroom_app::ssr::calls::{self, transcript};
use anteroom_app::ssr::db::{Db, now};
use speech::SpeechEngine;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use summary_model::SummaryWriter;
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

    /// One attempt at a call's transcript.
    pub async fn transcribe(&self, call: CallId) -> Result<(), sqlx::Error> {
        let Some(record) = calls::record(&self.db, call).await? else { return Ok(()) };
        let recordings = transcript::recordings(&self.db, call).await?;
        let mut lines = Vec::new();
        for recording in &recordings {
            let segments = match self.engine.transcribe(&self.data_dir.join(&recording.file)).await {
                Ok(segments) => segments,
                Err(error) => return self.attempt_failed(call, &error).await,
            };
            let stay = record.attendance.iter().find(|stay| stay.participant == recording.participant);
            let (speaker, guest) = stay.map_or(("Someone".to_string(), false), |s| (s.name.clone(), s.guest));
            lines.extend(segments.into_iter().map(|segment| transcript::Line {
                participant: recording.participant,
                speaker: speaker.clone(),
                guest,
                said_at: recording.started_at + (segment.start * 1000.0) as i64,
                ended_at: recording.started_at + (segment.end * 1000.0) as i64,
                text: segment.text.trim().to_string(),
            }));
        }
        lines.sort_by_key(|line| line.said_at);
        let summary = self.summaries.write(call, &lines).await;
        transcript::store(&self.db, call, &lines, &summary).await?;
        tracing::info!(%call, lines = lines.len(), "transcript stored");
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
        if let Some(folder) = path.parent() {
            let _ = tokio::fs::remove_dir(folder).await;
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
