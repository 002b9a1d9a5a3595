//! Meeting channels: looking one up within a workspace, who administers it,
//! and the record of guests who joined its call through the external link.

use super::db::{Db, now};
use crate::model::{Channel, ChannelId, GuestVisit, MemberId, MemberSummary, WorkspaceId};

/// How many past guest visits the details dialog lists.
pub const RECENT_VISITS: i64 = 50;

/// The channel, but only if it belongs to `workspace`: ids from other
/// workspaces answer exactly like ids that do not exist.
pub async fn channel(db: &Db, workspace: WorkspaceId, id: ChannelId) -> Result<Option<Channel>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, kind FROM channels WHERE workspace_id = $1 AND id = $2")
        .bind(workspace)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The channel and its workspace, for work done outside any request (the
/// invitation task).
pub async fn by_id(db: &Db, id: ChannelId) -> Result<Option<(WorkspaceId, Channel)>, sqlx::Error> {
    let row: Option<(WorkspaceId, ChannelId, String, crate::model::ChannelKind)> =
        sqlx::query_as("SELECT workspace_id, id, name, kind FROM channels WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(workspace, id, name, kind)| (workspace, Channel { id, name, kind })))
}

pub async fn is_admin(db: &Db, channel: ChannelId, member: MemberId) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM channel_admins WHERE channel_id = $1 AND member_id = $2")
        .bind(channel)
        .bind(member)
        .fetch_one(db)
        .await?;
    Ok(count > 0)
}

pub async fn admins(db: &Db, channel: ChannelId) -> Result<Vec<MemberSummary>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id, m.name, m.email, m.is_admin FROM channel_admins a JOIN members m ON m.id = a.member_id
         WHERE a.channel_id = $1 ORDER BY m.name",
    )
    .bind(channel)
    .fetch_all(db)
    .await
}

pub async fn add_admin(db: &Db, channel: ChannelId, member: MemberId) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO channel_admins (channel_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(channel)
        .bind(member)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn remove_admin(db: &Db, channel: ChannelId, member: MemberId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM channel_admins WHERE channel_id = $1 AND member_id = $2")
        .bind(channel)
        .bind(member)
        .execute(db)
        .await?;
    Ok(())
}

/// One guest visit, from joining the call to leaving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitId(i64);

/// Notes that a guest joined the channel's call.
pub async fn visit_started(
    db: &Db,
    channel: ChannelId,
    name: &str,
    email: Option<&str>,
) -> Result<VisitId, sqlx::Error> {
    let id = sqlx::query_scalar(
        "INSERT INTO guest_visits (channel_id, name, email, joined_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(channel)
    .bind(name)
    .bind(email)
    .bind(now())
    .fetch_one(db)
    .await?;
    Ok(VisitId(id))
}

/// Notes that the guest left (or was removed by a channel admin).
pub async fn visit_ended(db: &Db, visit: VisitId, removed: bool) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE guest_visits SET left_at = $1, removed = $2 WHERE id = $3")
        .bind(now())
        .bind(removed)
        .bind(visit.0)
        .execute(db)
        .await?;
    Ok(())
}

/// The channel's latest guest visits, newest first.
pub async fn recent_visits(db: &Db, channel: ChannelId) -> Result<Vec<GuestVisit>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, email, joined_at, left_at, removed FROM guest_visits WHERE channel_id = $1
         ORDER BY joined_at DESC, id DESC LIMIT $2",
    )
    .bind(channel)
    .bind(RECENT_VISITS)
    .fetch_all(db)
    .await
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::ChannelKind;
    use crate::ssr::accounts::Member;
    use crate::ssr::{accounts, db::open_for_test, office};

    /// A fresh database with a workspace, its admin Ada and one meeting
    /// channel, client-calls (for tests of what hangs off a channel).
    pub(crate) async fn with_meeting_channel() -> (Db, crate::ssr::db::TestDir, Member, Channel) {
        let (db, dir) = open_for_test().await;
        let ada = accounts::tests::admin(&db).await;
        office::create_channels(&db, ada.workspace_id, &[("client-calls", ChannelKind::Meeting)]).await.unwrap();
        let channel = office::channels(&db, ada.workspace_id).await.unwrap().remove(0);
        (db, dir, ada, channel)
    }

    #[tokio::test]
    async fn channels_are_found_only_in_their_workspace_and_keep_their_admins() {
        let (db, _dir, ada, calls) = with_meeting_channel().await;
        assert_eq!(channel(&db, ada.workspace_id, calls.id).await.unwrap(), Some(calls.clone()));
        assert_eq!(channel(&db, WorkspaceId(ada.workspace_id.0 + 1), calls.id).await.unwrap(), None);

        assert!(!is_admin(&db, calls.id, ada.id).await.unwrap());
        add_admin(&db, calls.id, ada.id).await.unwrap();
        add_admin(&db, calls.id, ada.id).await.unwrap();
        assert!(is_admin(&db, calls.id, ada.id).await.unwrap());
        assert_eq!(admins(&db, calls.id).await.unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), vec![ada.id]);
        remove_admin(&db, calls.id, ada.id).await.unwrap();
        assert!(!is_admin(&db, calls.id, ada.id).await.unwrap());
    }

    #[tokio::test]
    async fn guest_visits_are_recorded_from_joining_to_leaving() {
        let (db, _dir, _, calls) = with_meeting_channel().await;

        let lin = visit_started(&db, calls.id, "Lin", Some("lin@example.org")).await.unwrap();
        let sam = visit_started(&db, calls.id, "Sam", None).await.unwrap();
        visit_ended(&db, lin, false).await.unwrap();
        visit_ended(&db, sam, true).await.unwrap();
        let kai = visit_started(&db, calls.id, "Kai", None).await.unwrap();
        let visits = recent_visits(&db, calls.id).await.unwrap();
        let summary: Vec<(&str, bool, bool)> =
            visits.iter().map(|v| (v.name.as_str(), v.left_at.is_some(), v.removed)).collect();
        assert_eq!(summary, [("Kai", false, false), ("Sam", true, true), ("Lin", true, false)]);
        assert_eq!(visits[2].email.as_deref(), Some("lin@example.org"));
        let _ = kai;
    }
}
