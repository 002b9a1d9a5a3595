//! Call schedules' emails. One task for the whole server: it sleeps until
//! the soonest call (or until a schedule or a channel's link changes),
//! sends the calendar invitations, updates and cancellations still owed
//! (`invitations`), then the "starting now" emails of the calls that have
//! begun (`starting`). Everything sent is recorded, so nothing goes twice.

use super::{invitations, starting};
use crate::ssr::db::now;
use crate::ssr::schedules;
use crate::ssr::state::AppState;
use std::time::Duration;
use tokio::sync::watch;

/// Longest nap between looks at the schedules (clock changes, missed wakes,
/// a relay that refused mail for a while).
const LONGEST_NAP: Duration = Duration::from_secs(3600);
/// Shortest nap, so a schedule that keeps failing cannot spin the task.
const SHORTEST_NAP: Duration = Duration::from_secs(1);

pub async fn run(app: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(error) = invitations::send_owed(&app).await {
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
