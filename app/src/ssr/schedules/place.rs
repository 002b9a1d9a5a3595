//! Where a scheduled call's guests go, for its emails: the channel's link
//! and names.

use crate::error::AppError;
use crate::model::{ChannelId, ConferenceId};
use crate::ssr::invites::guest_path;
use crate::ssr::state::AppState;
use crate::ssr::{accounts, channels, invites};

/// Where a channel's guests go, for the emails: its link (None while it
/// has none), its name and its workspace's.
pub(super) struct ChannelPlace {
    pub link: Option<String>,
    pub channel_name: String,
    pub workspace_name: String,
}

/// The channel's link and names; None if the channel no longer exists.
pub(super) async fn channel_place(app: &AppState, channel: ChannelId) -> Result<Option<ChannelPlace>, AppError> {
    let Some((workspace, found)) = channels::by_id(&app.db, channel).await? else { return Ok(None) };
    let token = invites::token(&app.db, ConferenceId::Channel(channel)).await?;
    Ok(Some(ChannelPlace {
        link: token.map(|token| format!("{}{}", app.settings.public_url, guest_path(&token))),
        channel_name: found.name,
        workspace_name: accounts::workspace_name(&app.db, workspace).await?,
    }))
}
