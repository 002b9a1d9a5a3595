//! Build mode: members change the office map (create, rename, move,
//! resize, delete rooms), unless a workspace admin keeps it to admins.
//! Every change is saved as it is made and every open map follows at once
//! (`workspace_news`). Deleting a room empties it: people inside go to the
//! lobby, its call ends, and its link, knocks and guest passes die.

use crate::error::AppError;
use crate::model::{Room, RoomId};
use leptos::prelude::*;

/// A member allowed to build in their workspace, within their rate of
/// map changes.
#[cfg(feature = "ssr")]
async fn builder() -> Result<(crate::ssr::state::AppState, crate::ssr::accounts::Member), AppError> {
    use crate::ssr::{auth, policy, room_layout};
    let (state, principal, me) = auth::signed_in().await?;
    let admins_only = room_layout::admins_only(&state.db, me.workspace_id).await?;
    policy::check(&principal, policy::Action::BuildOffice { workspace: me.workspace_id, admins_only })?;
    room_layout::count_change(&state.map_changes, me.id)?;
    Ok((state, me))
}

#[cfg(feature = "ssr")]
fn place_of(x: i64, y: i64, width: i64, height: i64) -> crate::model::layout::Place {
    crate::model::layout::Place { x, y, width, height }
}

/// Creates a room at the given place on the map.
#[server(endpoint = "create_room")]
pub async fn create_room(name: String, x: i64, y: i64, width: i64, height: i64) -> Result<Room, AppError> {
    use crate::ssr::room_layout;
    let (state, me) = builder().await?;
    let name = room_layout::room_name(&name)?;
    let room = room_layout::create(&state.db, me.workspace_id, &name, place_of(x, y, width, height)).await?;
    tracing::info!(room = %room.id, by = %me.id, "room created");
    state.workspace_news.rooms_changed(&state.db, me.workspace_id).await;
    Ok(room)
}

#[server(endpoint = "rename_room")]
pub async fn rename_room(room: RoomId, name: String) -> Result<(), AppError> {
    use crate::ssr::room_layout;
    let (state, me) = builder().await?;
    let name = room_layout::room_name(&name)?;
    room_layout::rename(&state.db, me.workspace_id, room, &name).await?;
    state.workspace_news.rooms_changed(&state.db, me.workspace_id).await;
    Ok(())
}

/// Moves or resizes a room.
#[server(endpoint = "place_room")]
pub async fn place_room(room: RoomId, x: i64, y: i64, width: i64, height: i64) -> Result<(), AppError> {
    use crate::ssr::room_layout;
    let (state, me) = builder().await?;
    room_layout::place(&state.db, me.workspace_id, room, place_of(x, y, width, height)).await?;
    state.workspace_news.rooms_changed(&state.db, me.workspace_id).await;
    Ok(())
}

/// Deletes a room: whoever is inside goes to the lobby, its call ends, and
/// its invite link, the knocks at it and the guest passes for it die.
#[server(endpoint = "delete_room")]
pub async fn delete_room(room: RoomId) -> Result<(), AppError> {
    use crate::model::ConferenceId;
    use crate::ssr::room_layout;
    let (state, me) = builder().await?;
    if !room_layout::delete(&state.db, me.workspace_id, room).await? {
        return Err(AppError::NotFound("That room".into()));
    }
    tracing::info!(%room, by = %me.id, "room deleted");
    state.workspace_news.rooms_changed(&state.db, me.workspace_id).await;
    state.guests.place_gone(ConferenceId::Room(room));
    state.presence.empty_room(me.workspace_id, room);
    Ok(())
}

/// Keeps build mode to workspace admins, or opens it to every member.
#[server(endpoint = "set_build_admins_only")]
pub async fn set_build_admins_only(on: bool) -> Result<(), AppError> {
    use crate::ssr::{auth, policy, room_layout};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ConfigureWorkspace(me.workspace_id))?;
    room_layout::set_admins_only(&state.db, me.workspace_id, on).await?;
    tracing::info!(on, by = %me.id, "build mode kept to admins changed");
    Ok(())
}
