//! The virtual office: loading the map and walking between rooms.

use crate::error::AppError;
use crate::model::{Office, Presence, RoomId};
use leptos::prelude::*;

#[server(endpoint = "load_office")]
pub async fn load_office() -> Result<Office, AppError> {
    use crate::ssr::{accounts, auth, office, policy, state::app_state};
    let state = app_state()?;
    let principal = auth::principal(&state).await?;
    let me = principal.member()?;
    policy::check(&principal, policy::Action::ViewOffice(me.workspace_id))?;
    let build_admins_only = crate::ssr::room_layout::admins_only(&state.db, me.workspace_id).await?;
    let can_build = policy::check(
        &principal,
        policy::Action::BuildOffice { workspace: me.workspace_id, admins_only: build_admins_only },
    )
    .is_ok();
    Ok(Office {
        workspace_name: accounts::workspace_name(&state.db, me.workspace_id).await?,
        me: me.summary(),
        can_build,
        build_admins_only,
        rooms: office::rooms(&state.db, me.workspace_id).await?,
        channels: office::channels(&state.db, me.workspace_id).await?,
        people: state.presence.snapshot(me.workspace_id),
        inboxes: crate::ssr::inboxes::visible_to(&state.db, me.id).await?,
    })
}

/// Walks the signed-in member into `room`; everyone's map updates live.
#[server(endpoint = "walk_into")]
pub async fn walk_into(room: RoomId) -> Result<Presence, AppError> {
    use crate::ssr::{auth, office, policy, state::app_state};
    let state = app_state()?;
    let principal = auth::principal(&state).await?;
    let me = principal.member()?;
    policy::check(&principal, policy::Action::Walk(me.workspace_id))?;
    if office::room(&state.db, me.workspace_id, room).await?.is_none() {
        return Err(AppError::NotFound("That room".into()));
    }
    Ok(state.presence.walk(me, Some(room)))
}

/// Walks the signed-in member out of their room into the open lobby.
#[server(endpoint = "walk_out")]
pub async fn walk_out() -> Result<Presence, AppError> {
    use crate::ssr::{auth, policy, state::app_state};
    let state = app_state()?;
    let principal = auth::principal(&state).await?;
    let me = principal.member()?;
    policy::check(&principal, policy::Action::Walk(me.workspace_id))?;
    Ok(state.presence.walk(me, None))
}
