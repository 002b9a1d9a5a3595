//! Emails each scheduled call's external participants the channel's
//! external link when the call starts. One task for the whole server: it
//! sleeps until the soonest call (or until a schedule changes), sends what
//! is due, records every invitation so none goes out twice, and moves each
//! schedule on to its next call.

use anteroom_app::api::invites::guest_path;
use anteroom_app::error::AppError;
use anteroom_app::protocol::signal::ConferenceId;
use anteroom_app::ssr::db::now;
use anteroom_app::ssr::mail_out::Outgoing;
use anteroom_app::ssr::schedules::{self, DueCall, LATE_GRACE_SECONDS};
use anteroom_app::ssr::state::AppState;
use anteroom_app::ssr::{accounts, channels, invites};
use std::time::Duration;
use tokio::sync::watch;

/// Longest nap between looks at the schedules (clock changes, missed wakes).
const LONGEST_NAP: Duration = Duration::from_secs(3600);
/// Shortest nap, so a schedule that keeps failing cannot spin the task.
const SHORTEST_NAP: Duration = Duration::from_secs(1);

pub async fn run(app: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(error) = send_due(&app).await {
            tracing::error!(%error, "sending call invitations");
        }
        let nap = match schedules::soonest(&app.db).await {
            Ok(Some(at)) => Duration::from_secs((at - now()).max(0) as u64).clamp(SHORTEST_NAP, LONGEST_NAP),
            _ => LONGEST_NAP,
        };
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            () = app.schedule_changes.notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Invites the participants of every call that has started, then moves each
/// schedule on. A call found more than [`LATE_GRACE_SECONDS`] late (the
/// server was down) is skipped rather than announced after the fact.
async fn send_due(app: &AppState) -> Result<(), AppError> {
    let now = now();
    for call in schedules::due(&app.db, now).await? {
        if now - call.call_at <= LATE_GRACE_SECONDS {
            invite(app, &call).await?;
        } else {
            tracing::warn!(schedule = %call.id, "skipped a call that started while the server was down");
        }
        schedules::set_next(&app.db, call.id, call.following(now).as_ref()).await?;
    }
    Ok(())
}

async fn invite(app: &AppState, call: &DueCall) -> Result<(), AppError> {
    let Some((workspace, channel)) = channels::by_id(&app.db, call.channel).await? else { return Ok(()) };
    let Some(token) = invites::token(&app.db, ConferenceId::Channel(call.channel)).await? else {
        tracing::warn!(schedule = %call.id, "the channel's external link is off: no invitations sent");
        return Ok(());
    };
    let link = format!("{}{}", app.settings.public_url, guest_path(&token));
    let workspace_name = accounts::workspace_name(&app.db, workspace).await?;
    for email in &call.participants {
        if schedules::invited(&app.db, call.id, call.call_at, email).await? {
            continue;
        }
        let outgoing = Outgoing::about_calls(
            &app.settings,
            &workspace_name,
            email,
            format!("{} is starting now", call.title),
            invitation_text(&workspace_name, &channel.name, &call.title, &link),
        );
        match app.mailer.send(&outgoing).await {
            Ok(delivery) => {
                schedules::record_invitation(&app.db, call.id, call.call_at, email, delivery.key()).await?;
                tracing::info!(schedule = %call.id, delivery = delivery.key(), "call invitation sent");
            }
            Err(error) => tracing::error!(schedule = %call.id, %error, "could not send a call invitation"),
        }
    }
    Ok(())
}

fn invitation_text(workspace: &str, channel: &str, title: &str, link: &str) -> String {
    format!(
        "{workspace} invites you to \u{201c}{title}\u{201d}, which is starting now.\n\n\
         Join from your browser:\n{link}\n\n\
         No account is needed: open the link, check your camera and microphone, \
         type your name and join. You will see only this call ({channel}).\n"
    )
}
