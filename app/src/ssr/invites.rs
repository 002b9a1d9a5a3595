//! Guest invite links of virtual-office rooms.

use super::db::{Db, now};
use super::tokens::random_token;
use crate::model::{MemberId, Room, RoomId, WorkspaceId};

/// The room's live invite token, created on first use.
pub async fn token_for(db: &Db, room: RoomId, by: MemberId) -> Result<String, sqlx::Error> {
    let existing: Option<String> =
        sqlx::query_scalar("SELECT token FROM room_invites WHERE room_id = $1").bind(room).fetch_optional(db).await?;
    match existing {
        Some(token) => Ok(token),
        None => regenerate(db, room, by).await,
    }
}

/// Replaces the room's token: links with the old one stop working at once.
pub async fn regenerate(db: &Db, room: RoomId, by: MemberId) -> Result<String, sqlx::Error> {
    let token = random_token();
    sqlx::query(
        "INSERT INTO room_invites (room_id, token, created_by, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (room_id) DO UPDATE SET token = excluded.token, created_by = excluded.created_by,
         created_at = excluded.created_at",
    )
    .bind(room)
    .bind(&token)
    .bind(by)
    .bind(now())
    .execute(db)
    .await?;
    Ok(token)
}

/// The room (and its workspace) a live invite token opens.
pub async fn room_of(db: &Db, token: &str) -> Result<Option<(WorkspaceId, Room)>, sqlx::Error> {
    let row: Option<(WorkspaceId, RoomId, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT r.workspace_id, r.id, r.name, r.x, r.y, r.width, r.height
         FROM room_invites i JOIN rooms r ON r.id = i.room_id WHERE i.token = $1",
    )
    .bind(token)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(workspace, id, name, x, y, width, height)| (workspace, Room { id, name, x, y, width, height })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::{accounts, db::open_for_test, office};

    #[tokio::test]
    async fn a_room_keeps_one_link_until_it_is_regenerated() {
        let (db, _dir) = open_for_test().await;
        let ada = accounts::tests::admin(&db).await;
        office::create_rooms(&db, ada.workspace_id, office::STARTER_ROOMS).await.unwrap();
        let room = office::rooms(&db, ada.workspace_id).await.unwrap().remove(0);

        let first = token_for(&db, room.id, ada.id).await.unwrap();
        assert_eq!(token_for(&db, room.id, ada.id).await.unwrap(), first, "the same link until regenerated");
        assert_eq!(room_of(&db, &first).await.unwrap(), Some((ada.workspace_id, room.clone())));

        let second = regenerate(&db, room.id, ada.id).await.unwrap();
        assert_ne!(second, first);
        assert_eq!(room_of(&db, &first).await.unwrap(), None, "the old link is dead");
        assert_eq!(room_of(&db, &second).await.unwrap().map(|(_, r)| r.id), Some(room.id));
        assert_eq!(room_of(&db, "made-up").await.unwrap(), None);
    }
}
