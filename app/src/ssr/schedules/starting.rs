//! The "starting now" email: when a scheduled call starts, each external
//! participant gets the channel's link. Every invitation is recorded, so
//! none goes out twice, and each schedule moves on to its next call.

use super::place::channel_place;
use crate::error::AppError;
use crate::ssr::db::now;
use crate::ssr::mail_out::Outgoing;
use crate::ssr::schedules::{self, DueCall, LATE_GRACE_SECONDS};
use crate::ssr::state::AppState;

/// Invites the participants of every call that has started, then moves each
/// schedule on. A call found more than [`LATE_GRACE_SECONDS`] late (the
/// server was down) is skipped rather than announced after the fact.
pub async fn send_due(app: &AppState) -> Result<(), AppError> {
    let now = now();
    for call in schedules::due(&app.db, now).await? {
        if now - call.call_at <= LATE_GRACE_SECONDS {
            invite(app, &call).await?;
        } else {
            tracing::warn!(schedule = %call.schedule.id, "skipped a call that started while the server was down");
        }
        schedules::set_next(&app.db, call.schedule.id, call.following(now).as_ref()).await?;
    }
    Ok(())
}

async fn invite(app: &AppState, call: &DueCall) -> Result<(), AppError> {
    let schedule = &call.schedule;
    let Some(place) = channel_place(app, schedule.channel).await? else { return Ok(()) };
    let Some(link) = &place.link else {
        tracing::warn!(schedule = %schedule.id, "the channel's external link is off: no invitations sent");
        return Ok(());
    };
    for email in &schedule.participants {
        if schedules::invited(&app.db, schedule.id, call.call_at, email).await? {
            continue;
        }
        let outgoing = Outgoing::about_calls(
            &app.settings,
            &place.workspace_name,
            email,
            format!("{} is starting now", schedule.title),
            invitation_text(&place.workspace_name, &place.channel_name, &schedule.title, link),
        );
        match app.mailer.send(&outgoing).await {
            Ok(delivery) => {
                schedules::record_invitation(&app.db, schedule.id, call.call_at, email, delivery.key()).await?;
                tracing::info!(schedule = %schedule.id, delivery = delivery.key(), "call invitation sent");
            }
            Err(error) => tracing::error!(schedule = %schedule.id, %error, "could not send a call invitation"),
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
