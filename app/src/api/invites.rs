//! Guest invite links of virtual-office rooms: members inside a room get
//! (and can regenerate) its link; anyone with a live link (a room's or a
//! meeting channel's) sees where it leads.

use crate::error::AppError;
use crate::model::{GuestWelcome, RoomId};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
async fn invite_url(room: RoomId, regenerate: bool) -> Result<String, AppError> {
    use crate::model::ConferenceId;
    use crate::ssr::invites::guest_path;
    use crate::ssr::{auth, invites, office, policy, state::app_state};
    let state = app_state()?;
    let principal = auth::principal(&state).await?;
    let me = principal.member()?;
    if office::room(&state.db, me.workspace_id, room).await?.is_none() {
        return Err(AppError::NotFound("That room".into()));
    }
    let inside_room = state.presence.room_of(me.id) == Some(room);
    policy::check(&principal, policy::Action::InviteGuest { workspace: me.workspace_id, inside_room })?;
    let token = if regenerate {
        tracing::info!(%room, by = %me.id, "guest invite link regenerated");
        let token = invites::regenerate(&state.db, ConferenceId::Room(room), me.id).await?;
        state.guests.revoke_link(ConferenceId::Room(room));
        token
    } else {
        invites::token_for(&state.db, ConferenceId::Room(room), me.id).await?
    };
    Ok(format!("{}{}", state.settings.public_url, guest_path(&token)))
}

/// The room's guest invite link (created on first use). Only for members
/// inside the room.
#[server(endpoint = "room_invite")]
pub async fn room_invite(room: RoomId) -> Result<String, AppError> {
    invite_url(room, false).await
}

/// A new guest invite link for the room; the old one stops working at once.
#[server(endpoint = "regenerate_room_invite")]
pub async fn regenerate_room_invite(room: RoomId) -> Result<String, AppError> {
    invite_url(room, true).await
}

/// Where a guest link leads, for the welcome page. Anyone may ask; a dead
/// or made-up token gets [`AppError::InviteInvalid`].
#[server(endpoint = "open_invite")]
pub async fn open_invite(token: String) -> Result<GuestWelcome, AppError> {
    use crate::model::ConferenceId;
    use crate::ssr::channel_settings::{self, Switch};
    use crate::ssr::{accounts, invites, state::app_state};
    let state = app_state()?;
    let Some(invitation) = invites::open(&state.db, &token).await? else {
        return Err(AppError::InviteInvalid);
    };
    let transcribed = match invitation.conference {
        ConferenceId::Channel(channel) => channel_settings::is_on(&state.db, channel, Switch::TranscribeCalls).await?,
        ConferenceId::Room(_) => false,
    };
    Ok(GuestWelcome {
        workspace_name: accounts::workspace_name(&state.db, invitation.workspace).await?,
        place_name: invitation.place_name,
        conference: invitation.conference,
        transcribed,
    })
}
