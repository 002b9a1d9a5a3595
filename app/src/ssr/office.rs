//! Rooms of the virtual office and the workspace's channels.

use super::db::{Db, is_unique_violation, now};
use crate::error::AppError;
use crate::model::{Channel, ChannelId, ChannelKind, Room, RoomId, WorkspaceId};

/// A room to place on the map: name, x, y, width, height (map units).
pub type RoomPlan<'a> = (&'a str, i64, i64, i64, i64);

/// The office a brand-new workspace starts with, so the map is never empty.
pub const STARTER_ROOMS: &[RoomPlan<'static>] =
    &[("Meeting Room", 40, 40, 420, 240), ("Focus Room", 540, 40, 420, 240), ("Lounge", 40, 330, 920, 230)];
pub const STARTER_CHANNELS: &[(&str, ChannelKind)] =
    &[("general", ChannelKind::Text), ("meetings", ChannelKind::Meeting)];

pub async fn rooms(db: &Db, workspace: WorkspaceId) -> Result<Vec<Room>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, x, y, width, height FROM rooms WHERE workspace_id = $1 ORDER BY y, x, id")
        .bind(workspace)
        .fetch_all(db)
        .await
}

/// The room with this id, but only if it belongs to `workspace`: ids from
/// other workspaces answer exactly like ids that do not exist.
pub async fn room(db: &Db, workspace: WorkspaceId, id: RoomId) -> Result<Option<Room>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, x, y, width, height FROM rooms WHERE workspace_id = $1 AND id = $2")
        .bind(workspace)
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn channels(db: &Db, workspace: WorkspaceId) -> Result<Vec<Channel>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, kind FROM channels WHERE workspace_id = $1 ORDER BY kind, name")
        .bind(workspace)
        .fetch_all(db)
        .await
}

pub async fn create_rooms(db: &Db, workspace: WorkspaceId, plans: &[RoomPlan<'_>]) -> Result<(), sqlx::Error> {
    for (name, x, y, width, height) in plans {
        sqlx::query("INSERT INTO rooms (workspace_id, name, x, y, width, height, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(workspace)
            .bind(name)
            .bind(x)
            .bind(y)
            .bind(width)
            .bind(height)
            .bind(now())
            .execute(db)
            .await?;
    }
    Ok(())
}

pub async fn create_channels(
    db: &Db,
    workspace: WorkspaceId,
    channels: &[(&str, ChannelKind)],
) -> Result<(), AppError> {
    for (name, kind) in channels {
        create_channel(db, workspace, name, *kind).await?;
    }
    Ok(())
}

/// Creates one channel (its name already checked); a name the workspace
/// already uses is refused by field.
pub async fn create_channel(
    db: &Db,
    workspace: WorkspaceId,
    name: &str,
    kind: ChannelKind,
) -> Result<Channel, AppError> {
    let created = sqlx::query_scalar(
        "INSERT INTO channels (workspace_id, name, kind, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(workspace)
    .bind(name)
    .bind(kind)
    .bind(now())
    .fetch_one(db)
    .await;
    match created {
        Ok(id) => Ok(Channel { id, name: name.to_string(), kind }),
        Err(error) if is_unique_violation(&error) => {
            Err(AppError::invalid("name", format!("A channel named \u{201c}{name}\u{201d} already exists.")))
        }
        Err(error) => Err(error.into()),
    }
}

/// Renames the workspace's channel (the new name already checked); a name
/// the workspace already uses is refused by field, an unknown channel is
/// not found.
pub async fn rename_channel(db: &Db, workspace: WorkspaceId, channel: ChannelId, name: &str) -> Result<(), AppError> {
    let renamed = sqlx::query("UPDATE channels SET name = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(name)
        .bind(channel)
        .bind(workspace)
        .execute(db)
        .await;
    match renamed {
        Ok(done) if done.rows_affected() == 0 => Err(AppError::NotFound("That channel".into())),
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => {
            Err(AppError::invalid("name", format!("A channel named \u{201c}{name}\u{201d} already exists.")))
        }
        Err(error) => Err(error.into()),
    }
}

/// Deletes the workspace's channel (its link, schedules and history go
/// with it, and its schedules' cancellations are kept to be sent); false
/// if the workspace has no such channel.
pub async fn delete_channel(db: &Db, workspace: WorkspaceId, channel: ChannelId) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    super::schedules::calendar_mail::write_farewells(&mut tx, workspace, channel).await?;
    let done = sqlx::query("DELETE FROM channels WHERE id = $1 AND workspace_id = $2")
        .bind(channel)
        .bind(workspace)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::{accounts, db::open_for_test};

    #[tokio::test]
    async fn rooms_and_channels_round_trip_and_stay_in_their_workspace() {
        let (db, _dir) = open_for_test().await;
        let ada = accounts::tests::admin(&db).await;
        create_rooms(&db, ada.workspace_id, STARTER_ROOMS).await.unwrap();
        create_channels(&db, ada.workspace_id, STARTER_CHANNELS).await.unwrap();

        let listed = rooms(&db, ada.workspace_id).await.unwrap();
        let names: Vec<&str> = listed.iter().map(|room| room.name.as_str()).collect();
        assert_eq!(names, ["Meeting Room", "Focus Room", "Lounge"]);
        assert_eq!((listed[2].x, listed[2].width), (40, 920));
        assert_eq!(room(&db, ada.workspace_id, listed[0].id).await.unwrap().as_ref(), Some(&listed[0]));
        let elsewhere = WorkspaceId(ada.workspace_id.0 + 1);
        assert_eq!(room(&db, elsewhere, listed[0].id).await.unwrap(), None);
        assert!(rooms(&db, elsewhere).await.unwrap().is_empty());

        let kinds: Vec<(String, ChannelKind)> =
            channels(&db, ada.workspace_id).await.unwrap().into_iter().map(|c| (c.name, c.kind)).collect();
        assert_eq!(kinds, [("meetings".to_string(), ChannelKind::Meeting), ("general".to_string(), ChannelKind::Text)]);

        let taken = create_channel(&db, ada.workspace_id, "general", ChannelKind::Meeting).await;
        assert_eq!(taken.unwrap_err().field(), Some("name"), "names are unique in a workspace");
        let made = create_channel(&db, ada.workspace_id, "partner-sync", ChannelKind::Meeting).await.unwrap();
        rename_channel(&db, ada.workspace_id, made.id, "partners").await.unwrap();
        let taken = rename_channel(&db, ada.workspace_id, made.id, "general").await;
        assert_eq!(taken.unwrap_err().field(), Some("name"));
        let elsewhere_rename = rename_channel(&db, elsewhere, made.id, "x").await;
        assert_eq!(elsewhere_rename, Err(AppError::NotFound("That channel".into())));
        assert!(channels(&db, ada.workspace_id).await.unwrap().iter().any(|c| c.name == "partners"));
        assert!(!delete_channel(&db, elsewhere, made.id).await.unwrap(), "not from another workspace");
        assert!(delete_channel(&db, ada.workspace_id, made.id).await.unwrap());
        assert_eq!(channels(&db, ada.workspace_id).await.unwrap().len(), 2);
    }
}
