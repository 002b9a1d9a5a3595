//! Emails the notes of each ended meeting-channel call to its guests, if
//! the channel's "External users receive email summary" setting is on, and
//! to the channel's admins who asked for them ("Email me the notes"):
//! with the summary and transcript (also attached as a text file) once the
//! transcript is made, or marked "transcript unavailable" when it is not
//! made within `TRANSCRIPT_WAIT`. The notes are written by
//! `crate::ssr::call_notes`, and sent within the limits it sets.

use crate::error::AppError;
use crate::model::CallId;
use crate::ssr::call_notes::{self, CallRecord, Reader, Spoken};
use crate::ssr::calls::{self, transcript};
use crate::ssr::channel_settings::{self, Switch};
use crate::ssr::db::now;
use crate::ssr::mail_out::{Attachment, Outgoing};
use crate::ssr::state::AppState;
use crate::ssr::{accounts, channels};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// The notes wait this long (seconds after the call) for a transcript that
/// is still pending; then they go without it.
const TRANSCRIPT_WAIT: i64 = 10 * 60;
/// How often calls waiting for their notes are looked at, besides when
/// woken (a call ended, a transcript settled).
const LOOK_AGAIN: Duration = Duration::from_secs(60);

pub async fn run(app: AppState, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(error) = send_due(&app).await {
            tracing::error!(%error, "sending meeting notes");
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(LOOK_AGAIN) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn send_due(app: &AppState) -> Result<(), AppError> {
    for call in calls::notes_due(&app.db).await? {
        let Some(record) = calls::record(&app.db, call).await? else { continue };
        let Some(status) = transcript::status(&app.db, call).await? else { continue };
        let waiting = status.state == transcript::State::Pending && now() - record.ended_at < TRANSCRIPT_WAIT;
        if waiting {
            continue;
        }
        send_notes(app, call, &record, &status).await?;
        calls::notes_done(&app.db, call).await?;
    }
    Ok(())
}

async fn send_notes(
    app: &AppState,
    call: CallId,
    record: &CallRecord,
    status: &transcript::Status,
) -> Result<(), AppError> {
    if !record.had_member() {
        return Ok(());
    }
    let mut recipients: Vec<(String, Reader)> = Vec::new();
    if channel_settings::is_on(&app.db, record.channel, Switch::EmailGuestNotes).await? {
        recipients.extend(
            record.guest_emails(app.settings.guest_notes_min_stay_secs).into_iter().map(|email| (email, Reader::Guest)),
        );
    }
    for admin in channel_settings::notes_readers(&app.db, record.channel).await? {
        recipients.retain(|(email, _)| *email != admin);
        recipients.push((admin, Reader::Admin));
    }
    if recipients.is_empty() {
        return Ok(());
    }
    let Some((workspace, channel)) = channels::by_id(&app.db, record.channel).await? else { return Ok(()) };
    let workspace_name = accounts::workspace_name(&app.db, workspace).await?;
    // The lines are read only when there is a transcript to send.
    let lines = match status.state {
        transcript::State::Done => transcript::lines(&app.db, call).await?,
        _ => Vec::new(),
    };
    let summary = status.summary.as_deref();
    for (email, reader) in recipients {
        if !call_notes::may_send(&app.db, record.channel, record.started_at, &email, reader).await? {
            tracing::info!(channel = %record.channel, "meeting notes not sent: already sent, or a daily allowance is used");
            continue;
        }
        // A guest reads the part of the call they were in; admins all of it.
        let (part, heard) = match reader {
            Reader::Guest => (record.attended_by(&email), record.lines_heard_by(&email, &lines)),
            Reader::Admin => (record.clone(), lines.clone()),
        };
        let spoken = match (status.state, summary) {
            (transcript::State::Off, _) => Spoken::NotTranscribed,
            (transcript::State::Done, Some(summary)) => {
                Spoken::Transcribed { summary: record.throughout(&part).then_some(summary), lines: &heard }
            }
            _ => Spoken::Unavailable,
        };
        let text = part.notes_text(&workspace_name, &channel.name, &spoken);
        let mut outgoing = Outgoing::about_calls(
            &app.settings,
            &workspace_name,
            &email,
            format!("Notes from your call in {}", channel.name),
            text,
        );
        if let Spoken::Transcribed { lines, .. } = spoken {
            outgoing.attachments = vec![Attachment {
                file_name: "transcript.txt".into(),
                content_type: "text/plain; charset=utf-8".into(),
                body: call_notes::transcript_text(lines).into_bytes(),
            }];
        }
        match app.mailer.send(&outgoing).await {
            Ok(delivery) => {
                call_notes::record_sent(&app.db, record.channel, record.started_at, &email, delivery.key()).await?;
                tracing::info!(channel = %record.channel, delivery = delivery.key(), "meeting notes sent");
            }
            Err(error) => tracing::error!(channel = %record.channel, %error, "could not send meeting notes"),
        }
    }
    Ok(())
}
