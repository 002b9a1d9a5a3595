//! Answering guests: members inside a room let knocking guests in or turn
//! them away, and may send an admitted guest out again. The guest desk
//! ([`crate::ssr::guests`]) makes sure the first answer wins.

use crate::error::AppError;
use crate::protocol::guest::GuestId;
use leptos::prelude::*;

/// Longest list of guests one answer may cover (Accept all / Deny all).
pub const MAX_GUESTS_PER_ANSWER: usize = 100;

/// The guest, if the calling member may act on them with `action`: the
/// guest must be in the member's workspace (or they do not exist as far as
/// the member can tell) and the member inside the guest's room.
#[cfg(feature = "ssr")]
async fn guest_for(
    state: &crate::ssr::state::AppState,
    guest: GuestId,
    action: fn(crate::model::WorkspaceId, bool) -> crate::ssr::policy::Action,
) -> Result<crate::ssr::guests::GuestInfo, AppError> {
    use crate::ssr::{auth, policy};
    let principal = auth::principal(state).await?;
    let me = principal.member()?;
    let info = state
        .guests
        .guest(guest)
        .filter(|info| info.workspace == me.workspace_id)
        .ok_or_else(|| AppError::NotFound("That guest".into()))?;
    let inside_room = state.presence.room_of(me.id) == Some(info.room);
    policy::check(&principal, action(me.workspace_id, inside_room))?;
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
        guest_for(&state, *guest, |workspace, inside_room| Action::AnswerGuest { workspace, inside_room }).await?;
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

/// Sends an admitted guest out of the room: their call ends and they see
/// "You were removed from the room".
#[server(endpoint = "remove_guest")]
pub async fn remove_guest(guest: GuestId) -> Result<(), AppError> {
    use crate::ssr::{policy::Action, state::app_state};
    let state = app_state()?;
    guest_for(&state, guest, |workspace, inside_room| Action::RemoveGuest { workspace, inside_room }).await?;
    Ok(state.guests.remove(guest)?)
}
