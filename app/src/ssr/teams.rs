//! Teams and who is in them. Inbox access through a team is read from here
//! at every check, so a change of membership counts at once.

use super::db::Db;
use crate::model::{MemberId, MemberSummary, TeamId, TeamSummary, WorkspaceId};

/// The workspace's teams by name, each with its members by name.
pub async fn teams(db: &Db, workspace: WorkspaceId) -> Result<Vec<TeamSummary>, sqlx::Error> {
    let teams: Vec<(TeamId, String)> =
        sqlx::query_as("SELECT id, name FROM teams WHERE workspace_id = $1 ORDER BY name")
            .bind(workspace)
            .fetch_all(db)
            .await?;
    let mut list = Vec::with_capacity(teams.len());
    for (id, name) in teams {
        let members: Vec<MemberSummary> = sqlx::query_as(
            "SELECT m.id, m.name, m.email, m.is_admin FROM team_members tm JOIN members m ON m.id = tm.member_id
             WHERE tm.team_id = $1 ORDER BY m.name",
        )
        .bind(id)
        .fetch_all(db)
        .await?;
        list.push(TeamSummary { id, name, members });
    }
    Ok(list)
}

/// Whether both the team and the member belong to `workspace`.
pub async fn both_in_workspace(
    db: &Db,
    workspace: WorkspaceId,
    team: TeamId,
    member: MemberId,
) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM teams WHERE id = $1 AND workspace_id = $3)
              + (SELECT COUNT(*) FROM members WHERE id = $2 AND workspace_id = $3)",
    )
    .bind(team)
    .bind(member)
    .bind(workspace)
    .fetch_one(db)
    .await?;
    Ok(count == 2)
}

/// Puts the member in the team (nothing happens if they already are).
pub async fn add_member(db: &Db, team: TeamId, member: MemberId) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO team_members (team_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(team)
        .bind(member)
        .execute(db)
        .await
        .map(drop)
}

pub async fn remove_member(db: &Db, team: TeamId, member: MemberId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND member_id = $2")
        .bind(team)
        .bind(member)
        .execute(db)
        .await
        .map(drop)
}
