//! Meeting channels: their details, the external link guests join with
//! (any member copies it or generates the first one; channel admins and
//! workspace admins replace or turn it off), and who came and went.

use crate::error::AppError;
use crate::model::{Channel, ChannelDetails, ChannelId, ChannelKind, GuestVisit, MemberId};
use leptos::prelude::*;

/// A member asking about one meeting channel of their workspace.
#[cfg(feature = "ssr")]
pub(crate) struct ChannelCaller {
    pub state: crate::ssr::state::AppState,
    pub me: crate::ssr::accounts::Member,
    pub channel: crate::model::Channel,
    /// Whether the policy lets them manage the channel.
    pub can_manage: bool,
}

/// The meeting channel `channel` of the caller's workspace, after checking
/// `action`. Channels of other workspaces, and text channels, answer as if
/// they did not exist.
#[cfg(feature = "ssr")]
pub(crate) async fn meeting_channel(
    channel: ChannelId,
    action: fn(crate::model::WorkspaceId, bool) -> crate::ssr::policy::Action,
) -> Result<ChannelCaller, AppError> {
    use crate::model::ChannelKind;
    use crate::ssr::{auth, channels, policy};
    let (state, principal, me) = auth::signed_in().await?;
    let found = channels::channel(&state.db, me.workspace_id, channel)
        .await?
        .filter(|channel| channel.kind == ChannelKind::Meeting)
        .ok_or_else(|| AppError::NotFound("That meeting channel".into()))?;
    let channel_admin = channels::is_admin(&state.db, channel, me.id).await?;
    policy::check(&principal, action(me.workspace_id, channel_admin))?;
    let can_manage = policy::check(&principal, manage(me.workspace_id, channel_admin)).is_ok();
    Ok(ChannelCaller { state, me, channel: found, can_manage })
}

#[cfg(feature = "ssr")]
pub(crate) fn share(workspace: crate::model::WorkspaceId, _channel_admin: bool) -> crate::ssr::policy::Action {
    crate::ssr::policy::Action::ShareChannelLink(workspace)
}

#[cfg(feature = "ssr")]
pub(crate) fn manage(workspace: crate::model::WorkspaceId, channel_admin: bool) -> crate::ssr::policy::Action {
    crate::ssr::policy::Action::ManageChannel { workspace, channel_admin }
}

#[cfg(feature = "ssr")]
pub(crate) fn link_url(state: &crate::ssr::state::AppState, token: &str) -> String {
    format!("{}{}", state.settings.public_url, crate::ssr::invites::guest_path(token))
}

/// What the Channel Details dialog shows: name, admins, the external link
/// if one is on, and whether the caller may manage the channel.
#[server(endpoint = "open_channel")]
pub async fn open_channel(channel: ChannelId) -> Result<ChannelDetails, AppError> {
    use crate::model::ConferenceId;
    use crate::ssr::channel_settings::{self, Switch};
    use crate::ssr::{channels, invites};
    let ChannelCaller { state, me, channel: found, can_manage } = meeting_channel(channel, share).await?;
    let token = invites::token(&state.db, ConferenceId::Channel(channel)).await?;
    Ok(ChannelDetails {
        id: found.id,
        name: found.name,
        kind: found.kind,
        external_link: token.map(|token| link_url(&state, &token)),
        can_manage,
        admins: channels::admins(&state.db, channel).await?,
        email_guest_notes: channel_settings::is_on(&state.db, channel, Switch::EmailGuestNotes).await?,
        transcribe_calls: channel_settings::is_on(&state.db, channel, Switch::TranscribeCalls).await?,
        notes_to_me: can_manage && channel_settings::wants_notes(&state.db, channel, me.id).await?,
    })
}

/// Turns "External users receive email summary" on or off: whether guests
/// who gave an email get the meeting notes after each call.
#[server(endpoint = "set_guest_notes")]
pub async fn set_guest_notes(channel: ChannelId, on: bool) -> Result<(), AppError> {
    use crate::ssr::channel_settings::{self, Switch};
    let ChannelCaller { state, me, .. } = meeting_channel(channel, manage).await?;
    channel_settings::set(&state.db, channel, Switch::EmailGuestNotes, on).await?;
    tracing::info!(%channel, on, by = %me.id, "guest notes setting changed");
    Ok(())
}

/// Turns "Transcribe calls" on or off. A call going on follows at once:
/// everyone in it is told, and recording starts or stops.
#[server(endpoint = "set_transcription")]
pub async fn set_transcription(channel: ChannelId, on: bool) -> Result<(), AppError> {
    use crate::ssr::channel_settings::{self, Switch};
    let ChannelCaller { state, me, .. } = meeting_channel(channel, manage).await?;
    channel_settings::set(&state.db, channel, Switch::TranscribeCalls, on).await?;
    // A call going on in the channel follows.
    state.workspace_news.transcription_changed(channel, on);
    tracing::info!(%channel, on, by = %me.id, "transcription setting changed");
    Ok(())
}

/// A channel admin or workspace admin asks for (or stops) the notes of
/// every call of the channel by email: the same email guests get.
#[server(endpoint = "set_notes_to_me")]
pub async fn set_notes_to_me(channel: ChannelId, on: bool) -> Result<(), AppError> {
    use crate::ssr::channel_settings;
    let ChannelCaller { state, me, .. } = meeting_channel(channel, manage).await?;
    channel_settings::set_wants_notes(&state.db, channel, me.id, on).await?;
    tracing::info!(%channel, on, by = %me.id, "notes by email for an admin changed");
    Ok(())
}

/// The channel's external link, generated if it has none yet.
#[server(endpoint = "external_link")]
pub async fn external_link(channel: ChannelId) -> Result<String, AppError> {
    use crate::model::ConferenceId;
    use crate::ssr::invites;
    let ChannelCaller { state, me, .. } = meeting_channel(channel, share).await?;
    let token = invites::token_for(&state.db, ConferenceId::Channel(channel), me.id).await?;
    // Calendar invitations held back for want of a link can go now.
    state.schedule_changes.notify_one();
    Ok(link_url(&state, &token))
}

/// A new external link; the old one stops working at once.
#[server(endpoint = "regenerate_external_link")]
pub async fn regenerate_external_link(channel: ChannelId) -> Result<String, AppError> {
    use crate::model::ConferenceId;
    use crate::ssr::invites;
    let ChannelCaller { state, me, .. } = meeting_channel(channel, manage).await?;
    let token = invites::regenerate(&state.db, ConferenceId::Channel(channel), me.id).await?;
    state.guests.revoke_link(ConferenceId::Channel(channel));
    // Calendars hold the old link: each schedule sends an update.
    crate::ssr::schedules::link_changed(&state.db, channel).await?;
    state.schedule_changes.notify_one();
    tracing::info!(%channel, by = %me.id, "external link regenerated");
    Ok(link_url(&state, &token))
}

/// Turns the external link off: nobody new can join with it, and passes
/// it gave open no new sessions. Guests already in the call stay until they
/// leave or are removed.
#[server(endpoint = "disable_external_link")]
pub async fn disable_external_link(channel: ChannelId) -> Result<(), AppError> {
    use crate::model::ConferenceId;
    use crate::ssr::invites;
    let ChannelCaller { state, me, .. } = meeting_channel(channel, manage).await?;
    invites::disable(&state.db, ConferenceId::Channel(channel)).await?;
    state.guests.revoke_link(ConferenceId::Channel(channel));
    tracing::info!(%channel, by = %me.id, "external link turned off");
    Ok(())
}

/// The latest guests who joined the channel's call, newest first.
#[server(endpoint = "guest_activity")]
pub async fn guest_activity(channel: ChannelId) -> Result<Vec<GuestVisit>, AppError> {
    use crate::ssr::channels;
    let ChannelCaller { state, .. } = meeting_channel(channel, manage).await?;
    Ok(channels::recent_visits(&state.db, channel).await?)
}

/// Makes a member of the workspace an admin of the channel, or no longer one.
#[server(endpoint = "set_channel_admin")]
pub async fn set_channel_admin(channel: ChannelId, member: MemberId, admin: bool) -> Result<(), AppError> {
    use crate::ssr::{accounts, channels};
    let ChannelCaller { state, me, .. } = meeting_channel(channel, manage).await?;
    let found = accounts::member(&state.db, member).await?.filter(|m| m.workspace_id == me.workspace_id);
    if found.is_none() {
        return Err(AppError::NotFound("That member".into()));
    }
    if admin {
        channels::add_admin(&state.db, channel, member).await?;
    } else {
        channels::remove_admin(&state.db, channel, member).await?;
    }
    tracing::info!(%channel, %member, admin, by = %me.id, "channel admins changed");
    Ok(())
}

/// The caller, if they may create, rename and delete the workspace's
/// channels (workspace admins).
#[cfg(feature = "ssr")]
async fn channel_organiser() -> Result<(crate::ssr::state::AppState, crate::ssr::accounts::Member), AppError> {
    use crate::ssr::{auth, policy};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ManageChannels(me.workspace_id))?;
    Ok((state, me))
}

/// Creates a channel (workspace admins). The name is put in the usual form
/// ("Client Calls" becomes "client-calls").
#[server(endpoint = "create_channel")]
pub async fn create_channel(name: String, kind: ChannelKind) -> Result<Channel, AppError> {
    use crate::ssr::office;
    let (state, me) = channel_organiser().await?;
    let name = crate::validate::channel_name("name", &name)?;
    let channel = office::create_channel(&state.db, me.workspace_id, &name, kind).await?;
    tracing::info!(channel = %channel.id, by = %me.id, "channel created");
    state.workspace_news.channels_changed(&state.db, me.workspace_id).await;
    Ok(channel)
}

/// Renames a channel (workspace admins); the name takes the usual form.
#[server(endpoint = "rename_channel")]
pub async fn rename_channel(channel: ChannelId, name: String) -> Result<(), AppError> {
    use crate::ssr::office;
    let (state, me) = channel_organiser().await?;
    let name = crate::validate::channel_name("name", &name)?;
    office::rename_channel(&state.db, me.workspace_id, channel, &name).await?;
    tracing::info!(%channel, by = %me.id, "channel renamed");
    state.workspace_news.channels_changed(&state.db, me.workspace_id).await;
    Ok(())
}

/// Deletes a channel with its link, schedules and history (workspace admins).
#[server(endpoint = "delete_channel")]
pub async fn delete_channel(channel: ChannelId) -> Result<(), AppError> {
    use crate::ssr::{files, office};
    let (state, me) = channel_organiser().await?;
    let contents = files::contents_of_channel(&state.db, channel).await?;
    if !office::delete_channel(&state.db, me.workspace_id, channel).await? {
        return Err(AppError::NotFound("That channel".into()));
    }
    state.files.forget_unreferenced(&state.db, contents).await;
    tracing::info!(%channel, by = %me.id, "channel deleted");
    state.guests.revoke_link(crate::model::ConferenceId::Channel(channel));
    // Its schedules' cancellations are owed.
    state.schedule_changes.notify_one();
    state.workspace_news.channels_changed(&state.db, me.workspace_id).await;
    Ok(())
}

/// The workspace's channels, for Workspace Settings.
#[server(endpoint = "list_channels")]
pub async fn list_channels() -> Result<Vec<Channel>, AppError> {
    use crate::ssr::{auth, office, policy};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ViewOffice(me.workspace_id))?;
    Ok(office::channels(&state.db, me.workspace_id).await?)
}
