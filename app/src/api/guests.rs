//! Answering guests: members inside a room let knocking guests in or turn
//! them away, and may send an admitted guest out again; in a meeting
//! channel's call, its channel admins and workspace admins may remove a
//! guest. The guest desk ([`crate::ssr::guests`]) makes sure the first
//! answer wins.

use crate::error::AppError;
use crate::model::GuestId;
use leptos::prelude::*;

/// Longest list of guests one answer may cover (Accept all / Deny all).
pub const MAX_GUESTS_PER_ANSWER: usize = 100;

/// The guest, if the calling member may act on them with `room_action`
/// (for a guest at a room) or manage their meeting channel (for a guest in
/// a channel's call): the guest must be in the member's workspace (or they
/// do not exist as far as the member can tell).
#[cfg(feature = "ssr")]
async fn guest_for(
    state: &crate::ssr::state::AppState,
    guest: GuestId,
    room_action: fn(crate::model::WorkspaceId, bool) -> crate::ssr::policy::Action,
) -> Result<crate::ssr::guests::GuestInfo, AppError> {
    use crate::model::ConferenceId;
    use crate::ssr::{auth, channels, policy};
    let principal = auth::principal(state).await?;
    let me = principal.member()?;
    let workspace = me.workspace_id;
    let info = state
        .guests
        .guest(guest)
        .filter(|info| info.workspace == workspace)
        .ok_or_else(|| AppError::NotFound("That guest".into()))?;
    let action = match info.conference {
        ConferenceId::Room(room) => room_action(workspace, state.presence.room_of(me.id) == Some(room)),
        ConferenceId::Channel(channel) => policy::Action::ManageChannel {
            workspace,
            channel_admin: channels::is_admin(&state.db, channel, me.id).await?,
        },
    };
    policy::check(&principal, action)?;
    Ok(info)
}

/// Lets the guests in (`admit`) or turns them away. Guests someone else
/// answered first are skipped; the count of guests this answer decided is
/// returned, and an error only if it decided none.
#[server(endpoint = "answer_guests")]
pub async fn answer_guests(guests: Vec<GuestId>, admit: bool) -> Result<usize, AppError> {
    use crate::ssr::{policy::Action, state::app_state};
    let state = app_state()?;
    if guests.is_empty() || guests.len() > MAX_GUESTS_PER_ANSWER {
        return Err(AppError::invalid(
            "guests",
            format!("Answer between 1 and {MAX_GUESTS_PER_ANSWER} guests at once."),
        ));
    }
    for guest in &guests {
        let info =
            guest_for(&state, *guest, |workspace, inside_room| Action::AnswerGuest { workspace, inside_room }).await?;
        if let crate::model::ConferenceId::Channel(_) = info.conference {
            // Channel guests come straight in: there is nothing to answer.
            return Err(AppError::AlreadyAnswered);
        }
    }
    let mut decided = 0;
    let mut last_error = None;
    for guest in guests {
        match state.guests.answer(guest, admit) {
            Ok(()) => decided += 1,
            Err(error) => last_error = Some(AppError::from(error)),
        }
    }
    match last_error {
        Some(error) if decided == 0 => Err(error),
        _ => Ok(decided),
    }
}

/// Turns a knocking guest away, with every other knock from their network
/// at the same door, and refuses that network's knocks there for a day
/// ([`crate::ssr::guests::BLOCK_FOR`]): for a door someone is flooding.
/// Returns how many knocks were turned away.
#[server(endpoint = "deny_and_block_guest")]
pub async fn deny_and_block_guest(guest: GuestId) -> Result<usize, AppError> {
    use crate::ssr::{policy::Action, state::app_state};
    let state = app_state()?;
    let info =
        guest_for(&state, guest, |workspace, inside_room| Action::AnswerGuest { workspace, inside_room }).await?;
    if let crate::model::ConferenceId::Channel(_) = info.conference {
        return Err(AppError::AlreadyAnswered);
    }
    Ok(state.guests.deny_and_block(guest)?)
}

/// Sends an admitted guest out of the room or the channel's call: their
/// call ends and they are told they were removed.
#[server(endpoint = "remove_guest")]
pub async fn remove_guest(guest: GuestId) -> Result<(), AppError> {
    use crate::ssr::{policy::Action, state::app_state};
    let state = app_state()?;
    guest_for(&state, guest, |workspace, inside_room| Action::RemoveGuest { workspace, inside_room }).await?;
    Ok(state.guests.remove(guest)?)
}
