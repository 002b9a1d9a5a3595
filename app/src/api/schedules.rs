//! Call schedules of a meeting channel: every member sees them; channel
//! admins and workspace admins create, change and cancel them. External
//! participants get a calendar invitation (and an update after each change,
//! a cancellation at the end), and when each call starts the channel's link
//! (`server/src/schedules/`).

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

/// Changes a schedule (title, time, recurrence and its end, participants).
/// Its participants' calendars get the update; anyone taken off it, a
/// cancellation.
#[server(endpoint = "update_schedule", input = Json)]
pub async fn update_schedule(channel: ChannelId, schedule: ScheduleId, changed: NewSchedule) -> Result<(), AppError> {
    use crate::api::channels::{ChannelCaller, manage, meeting_channel};
    use crate::ssr::schedules::{self, ValidSchedule};
    let ChannelCaller { state, me, .. } = meeting_channel(channel, manage).await?;
    let valid = ValidSchedule::check(changed)?;
    schedules::update(&state.db, channel, schedule, &valid).await?;
    tracing::info!(%channel, %schedule, by = %me.id, "call schedule changed");
    state.schedule_changes.notify_one();
    Ok(())
}

/// Cancels a schedule: no more invitations go out for it, and its
/// participants' calendars are told.
#[server(endpoint = "cancel_schedule")]
pub async fn cancel_schedule(channel: ChannelId, schedule: ScheduleId) -> Result<(), AppError> {
    use crate::api::channels::{ChannelCaller, manage, meeting_channel};
    use crate::ssr::schedules;
    let ChannelCaller { state, me, .. } = meeting_channel(channel, manage).await?;
    if !schedules::cancel(&state.db, channel, schedule).await? {
        return Err(AppError::NotFound("That call schedule".into()));
    }
    tracing::info!(%channel, %schedule, by = %me.id, "call schedule cancelled");
    state.schedule_changes.notify_one();
    Ok(())
}
