//! Call schedules of a meeting channel: every member sees them; channel
//! admins and workspace admins create and delete them. When a call starts,
//! the server emails its external participants the channel's link
//! (`server/src/call_invitations.rs`).

use crate::error::AppError;
use crate::model::{CallSchedule, ChannelId, NewSchedule, ScheduleId};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The channel's schedules, soonest next call first.
#[server(endpoint = "list_schedules")]
pub async fn list_schedules(channel: ChannelId) -> Result<Vec<CallSchedule>, AppError> {
    use crate::api::channels::{ChannelCaller, meeting_channel, share};
    use crate::ssr::schedules;
    let ChannelCaller { state, .. } = meeting_channel(channel, share).await?;
    schedules::list(&state.db, channel).await
}

/// Saves a new schedule (title, first call, recurrence, external
/// participants) and wakes the invitation task, in case it starts now.
#[server(endpoint = "create_schedule", input = Json)]
pub async fn create_schedule(channel: ChannelId, schedule: NewSchedule) -> Result<ScheduleId, AppError> {
    use crate::api::channels::{ChannelCaller, manage, meeting_channel};
    use crate::ssr::schedules::{self, ValidSchedule};
    let ChannelCaller { state, me, .. } = meeting_channel(channel, manage).await?;
    let valid = ValidSchedule::check(schedule)?;
    let id = schedules::create(&state.db, channel, me.id, &valid).await?;
    tracing::info!(%channel, schedule = %id, by = %me.id, "call scheduled");
    state.schedule_changes.notify_one();
    Ok(id)
}

/// Deletes a schedule: no more invitations go out for it.
#[server(endpoint = "delete_schedule")]
pub async fn delete_schedule(channel: ChannelId, schedule: ScheduleId) -> Result<(), AppError> {
    use crate::api::channels::{ChannelCaller, manage, meeting_channel};
    use crate::ssr::schedules;
    let ChannelCaller { state, .. } = meeting_channel(channel, manage).await?;
    if !schedules::delete(&state.db, channel, schedule).await? {
        return Err(AppError::NotFound("That call schedule".into()));
    }
    state.schedule_changes.notify_one();
    Ok(())
}
