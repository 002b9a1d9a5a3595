//! Build mode's changes to the office map, as stored: rooms created,
//! renamed, placed (moved or resized) and deleted, each checked against the
//! map's rules (`model::layout`) with the workspace's other rooms read in
//! the same transaction, so two people building at once cannot both put a
//! room in the same free spot. And the workspace setting that keeps build
//! mode to admins.

use super::db::{Db, is_unique_violation, now};
use super::rate_limit::KeyedLimit;
use crate::error::AppError;
use crate::model::layout::{MAX_ROOM_NAME_CHARS, Place, place_problem};
use crate::model::{MemberId, Room, RoomId, WorkspaceId};
use std::time::Duration;

/// Map changes a member may make at once, and how fast after that. Every
/// change is a write and a reload of every open map in the workspace; a
/// held arrow key repeats about 30 times a second, and the page keeps one
/// save per room in flight, so people stay well inside this. The burst
/// also leaves room for a script laying out a whole office at once (the
/// permission tests make about 80 changes in well under a second).
const CHANGES_BURST: u32 = 120;
const CHANGE_REFILL: Duration = Duration::from_millis(25);

/// How fast each member may change the office map.
pub fn change_limit() -> KeyedLimit<MemberId> {
    KeyedLimit::new(CHANGES_BURST, CHANGE_REFILL)
}

/// Counts one map change by `member`; refused past its allowance.
pub fn count_change(limit: &KeyedLimit<MemberId>, member: MemberId) -> Result<(), AppError> {
    limit.check(&member).map_err(|_| AppError::MapChangesTooFast)
}

/// A room name: trimmed, not empty, not too long, one line of text (the
/// same rule as people's names, `validate::one_line_only`).
pub fn room_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "Give the room a name."));
    }
    if name.chars().count() > MAX_ROOM_NAME_CHARS {
        return Err(AppError::invalid("name", format!("A room name can be at most {MAX_ROOM_NAME_CHARS} characters.")));
    }
    crate::validate::one_line_only("name", "A room name", name)?;
    Ok(name.to_string())
}

async fn rooms_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    workspace: WorkspaceId,
) -> Result<Vec<Room>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, x, y, width, height FROM rooms WHERE workspace_id = $1")
        .bind(workspace)
        .fetch_all(&mut **tx)
        .await
}

fn check_name(rooms: &[Room], name: &str, except: Option<RoomId>) -> Result<(), AppError> {
    let taken = rooms.iter().any(|room| Some(room.id) != except && room.name.to_lowercase() == name.to_lowercase());
    if taken {
        return Err(AppError::invalid("name", format!("A room named \u{201c}{name}\u{201d} already exists.")));
    }
    Ok(())
}

fn check_place(rooms: &[Room], place: Place, moving: Option<RoomId>) -> Result<(), AppError> {
    match place_problem(place, rooms, moving) {
        Some(problem) => Err(AppError::invalid("place", problem)),
        None => Ok(()),
    }
}

/// Creates a room (its name already checked) at `place`.
pub async fn create(db: &Db, workspace: WorkspaceId, name: &str, place: Place) -> Result<Room, AppError> {
    let mut tx = db.begin().await?;
    let rooms = rooms_in(&mut tx, workspace).await?;
    check_name(&rooms, name, None)?;
    check_place(&rooms, place, None)?;
    let id: RoomId = sqlx::query_scalar(
        "INSERT INTO rooms (workspace_id, name, x, y, width, height, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(workspace)
    .bind(name)
    .bind(place.x)
    .bind(place.y)
    .bind(place.width)
    .bind(place.height)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Room { id, name: name.to_string(), x: place.x, y: place.y, width: place.width, height: place.height })
}

/// Renames the workspace's room (the name already checked).
pub async fn rename(db: &Db, workspace: WorkspaceId, room: RoomId, name: &str) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let rooms = rooms_in(&mut tx, workspace).await?;
    if !rooms.iter().any(|r| r.id == room) {
        return Err(AppError::NotFound("That room".into()));
    }
    check_name(&rooms, name, Some(room))?;
    let renamed = sqlx::query("UPDATE rooms SET name = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(name)
        .bind(room)
        .bind(workspace)
        .execute(&mut *tx)
        .await;
    match renamed {
        Err(error) if is_unique_violation(&error) => return Err(AppError::invalid("name", "That name is taken.")),
        other => other?,
    };
    tx.commit().await?;
    Ok(())
}

/// Moves or resizes the workspace's room.
pub async fn place(db: &Db, workspace: WorkspaceId, room: RoomId, place: Place) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let rooms = rooms_in(&mut tx, workspace).await?;
    if !rooms.iter().any(|r| r.id == room) {
        return Err(AppError::NotFound("That room".into()));
    }
    check_place(&rooms, place, Some(room))?;
    sqlx::query("UPDATE rooms SET x = $1, y = $2, width = $3, height = $4 WHERE id = $5 AND workspace_id = $6")
        .bind(place.x)
        .bind(place.y)
        .bind(place.width)
        .bind(place.height)
        .bind(room)
        .bind(workspace)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the workspace's room (its invite link goes with it); false if
/// there is no such room.
pub async fn delete(db: &Db, workspace: WorkspaceId, room: RoomId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM rooms WHERE id = $1 AND workspace_id = $2")
        .bind(room)
        .bind(workspace)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether build mode is kept to workspace admins.
pub async fn admins_only(db: &Db, workspace: WorkspaceId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT build_admins_only FROM workspaces WHERE id = $1").bind(workspace).fetch_one(db).await
}

pub async fn set_admins_only(db: &Db, workspace: WorkspaceId, on: bool) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE workspaces SET build_admins_only = $1 WHERE id = $2")
        .bind(on)
        .bind(workspace)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::{accounts, db::open_for_test, office};

    #[test]
    fn a_member_changing_the_map_faster_than_a_person_is_refused_alone() {
        let limit = change_limit();
        let (flooder, other) = (MemberId(1), MemberId(2));
        let allowed = (0..CHANGES_BURST * 2).take_while(|_| count_change(&limit, flooder).is_ok()).count();
        // The burst, give or take what refilled while counting.
        assert!((CHANGES_BURST as usize..CHANGES_BURST as usize + 5).contains(&allowed), "{allowed}");
        assert_eq!(count_change(&limit, flooder), Err(AppError::MapChangesTooFast));
        assert_eq!(count_change(&limit, other), Ok(()), "someone else builds on");
    }

    #[tokio::test]
    async fn rooms_are_made_renamed_placed_and_deleted_by_the_rules() {
        let (db, _dir) = open_for_test().await;
        let ada = accounts::tests::admin(&db).await;
        let workspace = ada.workspace_id;
        let at = |x, y| Place { x, y, width: 200, height: 150 };
        let studio = create(&db, workspace, "Studio", at(0, 0)).await.unwrap();
        let refused = |result: Result<Room, AppError>| result.unwrap_err().field().map(str::to_string);
        assert_eq!(refused(create(&db, workspace, "studio", at(400, 0)).await).as_deref(), Some("name"));
        assert_eq!(refused(create(&db, workspace, "Booth", at(100, 100)).await).as_deref(), Some("place"));
        let booth = create(&db, workspace, "Booth", at(200, 0)).await.unwrap();

        assert_eq!(place(&db, workspace, booth.id, at(150, 0)).await.unwrap_err().field(), Some("place"));
        place(&db, workspace, booth.id, at(600, 400)).await.unwrap();
        assert_eq!(rename(&db, workspace, booth.id, "STUDIO").await.unwrap_err().field(), Some("name"));
        rename(&db, workspace, booth.id, "Phone booth").await.unwrap();
        let other = WorkspaceId(workspace.0 + 1);
        assert_eq!(place(&db, other, booth.id, at(0, 400)).await, Err(AppError::NotFound("That room".into())));
        assert!(!delete(&db, other, studio.id).await.unwrap());

        let rooms = office::rooms(&db, workspace).await.unwrap();
        let booth_now = rooms.iter().find(|r| r.id == booth.id).unwrap();
        assert_eq!((booth_now.name.as_str(), booth_now.x, booth_now.y), ("Phone booth", 600, 400));
        assert!(delete(&db, workspace, studio.id).await.unwrap());
        assert_eq!(office::rooms(&db, workspace).await.unwrap().len(), 1);

        assert!(!admins_only(&db, workspace).await.unwrap());
        set_admins_only(&db, workspace, true).await.unwrap();
        assert!(admins_only(&db, workspace).await.unwrap());
    }

    #[test]
    fn room_names_are_trimmed_one_line_and_short() {
        assert_eq!(room_name("  Studio ").unwrap(), "Studio");
        for bad in ["   ", "a\nb", "a\rb", "\u{202E}oidutS", &"x".repeat(MAX_ROOM_NAME_CHARS + 1)] {
            assert_eq!(room_name(bad).unwrap_err().field(), Some("name"), "{bad:?}");
        }
    }
}
