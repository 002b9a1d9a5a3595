//! Call schedules' emails. One task for the whole server: it sleeps until
//! the soonest call (or until a schedule or a channel's link changes),
//! sends the calendar invitations, updates and cancellations still owed
//! (`calendar`), then the "starting now" emails of the calls that have
//! begun (`starting`). Everything sent is recorded, so nothing goes twice.

mod calendar;
mod starting;

use anteroom_app::api::invites::guest_path;
use anteroom_app::error::AppError;
use anteroom_app::model::ChannelId;
use anteroom_app::model::ConferenceId;
use anteroom_app::ssr::db::now;
use anteroom_app::ssr::schedules;
use anteroom_app::ssr::state::AppState;
use anteroom_app::ssr::{accounts, channels, invites};
use std::time::Duration;
use tokio::sync::watch;

/// Longest nap between looks at the schedules (clock changes, missed wakes,
/// a relay that refused mail for a while).
const LONGEST_NAP: Duration = Duration::from_secs(3600);
/// Shortest nap, so a schedule that keeps failing cannot spin the task.
const SHORTEST_NAP: Duration = Duration::from_secs(1);

pub async fn run(app: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(error) = calendar::send_owed(&app).await {
            tracing::error!(%error, "sending calendar invitations");
        }
        if let Err(error) = starting::send_due(&app).await {
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

/// Where a channel's guests go, for the emails: its link (None while it
/// has none), its name and its workspace's.
struct ChannelPlace {
    link: Option<String>,
    channel_name: String,
    workspace_name: String,
}

/// The channel's link and names; None if the channel no longer exists.
async fn channel_place(app: &AppState, channel: ChannelId) -> Result<Option<ChannelPlace>, AppError> {
    let Some((workspace, found)) = channels::by_id(&app.db, channel).await? else { return Ok(None) };
    let token = invites::token(&app.db, ConferenceId::Channel(channel)).await?;
    Ok(Some(ChannelPlace {
        link: token.map(|token| format!("{}{}", app.settings.public_url, guest_path(&token))),
        channel_name: found.name,
        workspace_name: accounts::workspace_name(&app.db, workspace).await?,
    }))
}
