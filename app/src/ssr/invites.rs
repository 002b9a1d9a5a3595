//! Links that let guests in: one per virtual-office room (the guest knocks,
//! members inside decide) and one per meeting channel (the guest joins the
//! channel's call straight from the lobby). Each link is persistent until
//! it is replaced, which kills the old one at once; a channel's link can also
//! be turned off.

use super::db::{Db, now};
use super::tokens::random_token;
use crate::model::ConferenceId;
use crate::model::{MemberId, WorkspaceId};

/// The path a guest opens; the invite URL is the public URL plus this.
pub fn guest_path(token: &str) -> String {
    format!("/guest/{token}")
}

/// Where a live link leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub workspace: WorkspaceId,
    pub conference: ConferenceId,
    /// The room's or channel's name, for the welcome page.
    pub place_name: String,
}

/// The statements for one kind of link (rooms' and channels' links live in
/// tables of the same shape).
struct LinkSql {
    select: &'static str,
    upsert: &'static str,
    delete: &'static str,
}

const ROOM_LINKS: LinkSql = LinkSql {
    select: "SELECT token FROM room_invites WHERE room_id = $1",
    upsert: "INSERT INTO room_invites (room_id, token, created_by, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (room_id) DO UPDATE SET token = excluded.token, created_by = excluded.created_by,
             created_at = excluded.created_at",
    delete: "DELETE FROM room_invites WHERE room_id = $1",
};

const CHANNEL_LINKS: LinkSql = LinkSql {
    select: "SELECT token FROM channel_links WHERE channel_id = $1",
    upsert: "INSERT INTO channel_links (channel_id, token, created_by, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (channel_id) DO UPDATE SET token = excluded.token, created_by = excluded.created_by,
             created_at = excluded.created_at",
    delete: "DELETE FROM channel_links WHERE channel_id = $1",
};

/// The statements and the row key for the place's link.
fn links_of(place: ConferenceId) -> (&'static LinkSql, i64) {
    match place {
        ConferenceId::Room(room) => (&ROOM_LINKS, room.0),
        ConferenceId::Channel(channel) => (&CHANNEL_LINKS, channel.0),
    }
}

/// The place's live link token, if it has one.
pub async fn token(db: &Db, place: ConferenceId) -> Result<Option<String>, sqlx::Error> {
    let (sql, id) = links_of(place);
    sqlx::query_scalar(sql.select).bind(id).fetch_optional(db).await
}

/// The place's live link token, created on first use.
pub async fn token_for(db: &Db, place: ConferenceId, by: MemberId) -> Result<String, sqlx::Error> {
    match token(db, place).await? {
        Some(token) => Ok(token),
        None => regenerate(db, place, by).await,
    }
}

/// Replaces the place's token: links with the old one stop working at once.
pub async fn regenerate(db: &Db, place: ConferenceId, by: MemberId) -> Result<String, sqlx::Error> {
    let (sql, id) = links_of(place);
    let token = random_token();
    sqlx::query(sql.upsert).bind(id).bind(&token).bind(by).bind(now()).execute(db).await?;
    Ok(token)
}

/// Turns the place's link off: nobody can come in with it until a new one
/// is generated.
pub async fn disable(db: &Db, place: ConferenceId) -> Result<(), sqlx::Error> {
    let (sql, id) = links_of(place);
    sqlx::query(sql.delete).bind(id).execute(db).await?;
    Ok(())
}

/// The rooms and channels whose live link `member` created (generated or
/// last replaced), for replacing them when the member is deactivated.
pub async fn created_by(db: &Db, member: MemberId) -> Result<Vec<ConferenceId>, sqlx::Error> {
    let rows: Vec<(bool, i64)> = sqlx::query_as(
        "SELECT TRUE, room_id FROM room_invites WHERE created_by = $1
         UNION ALL SELECT FALSE, channel_id FROM channel_links WHERE created_by = $1",
    )
    .bind(member)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(room, id)| {
            if room {
                ConferenceId::Room(crate::model::RoomId(id))
            } else {
                ConferenceId::Channel(crate::model::ChannelId(id))
            }
        })
        .collect())
}

/// Where a live token leads, whichever kind of link it is.
pub async fn open(db: &Db, token: &str) -> Result<Option<Invitation>, sqlx::Error> {
    let room: Option<(WorkspaceId, i64, String)> = sqlx::query_as(
        "SELECT r.workspace_id, r.id, r.name FROM room_invites i JOIN rooms r ON r.id = i.room_id WHERE i.token = $1",
    )
    .bind(token)
    .fetch_optional(db)
    .await?;
    if let Some((workspace, id, place_name)) = room {
        return Ok(Some(Invitation {
            workspace,
            conference: ConferenceId::Room(crate::model::RoomId(id)),
            place_name,
        }));
    }
    let channel: Option<(WorkspaceId, i64, String)> = sqlx::query_as(
        "SELECT c.workspace_id, c.id, c.name FROM channel_links l JOIN channels c ON c.id = l.channel_id
         WHERE l.token = $1 AND c.kind = 'meeting'",
    )
    .bind(token)
    .fetch_optional(db)
    .await?;
    Ok(channel.map(|(workspace, id, place_name)| Invitation {
        workspace,
        conference: ConferenceId::Channel(crate::model::ChannelId(id)),
        place_name,
    }))
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
        let place = ConferenceId::Room(room.id);

        let first = token_for(&db, place, ada.id).await.unwrap();
        assert_eq!(token_for(&db, place, ada.id).await.unwrap(), first, "the same link until regenerated");
        let invitation = Invitation { workspace: ada.workspace_id, conference: place, place_name: room.name.clone() };
        assert_eq!(open(&db, &first).await.unwrap(), Some(invitation.clone()));

        let second = regenerate(&db, place, ada.id).await.unwrap();
        assert_ne!(second, first);
        assert_eq!(open(&db, &first).await.unwrap(), None, "the old link is dead");
        assert_eq!(open(&db, &second).await.unwrap(), Some(invitation));
        assert_eq!(open(&db, "made-up").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_channel_link_is_made_replaced_and_turned_off() {
        let (db, _dir, ada, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let place = ConferenceId::Channel(channel.id);

        assert_eq!(token(&db, place).await.unwrap(), None, "no link until someone generates one");
        let first = token_for(&db, place, ada.id).await.unwrap();
        assert_eq!(token(&db, place).await.unwrap().as_deref(), Some(first.as_str()));
        let opened = open(&db, &first).await.unwrap().expect("the link opens the channel");
        assert_eq!((opened.conference, opened.place_name.as_str()), (place, "client-calls"));

        let second = regenerate(&db, place, ada.id).await.unwrap();
        assert_eq!(open(&db, &first).await.unwrap(), None, "the replaced link is dead");
        disable(&db, place).await.unwrap();
        assert_eq!(open(&db, &second).await.unwrap(), None, "a turned-off link is dead");
        assert_eq!(token(&db, place).await.unwrap(), None);
    }
}
