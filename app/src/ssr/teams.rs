//! Teams and who is in them. Inbox access through a team is read from here
//! at every check, so a change of membership counts at once.

use super::db::{Db, is_unique_violation, now};
use crate::error::AppError;
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

/// Whether both the team and the member belong to `workspace` (a
/// deactivated member joins no team).
pub async fn both_in_workspace(
    db: &Db,
    workspace: WorkspaceId,
    team: TeamId,
    member: MemberId,
) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM teams WHERE id = $1 AND workspace_id = $3)
              + (SELECT COUNT(*) FROM members WHERE id = $2 AND workspace_id = $3 AND deactivated_at IS NULL)",
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

/// Creates a team (its name already checked); a name the workspace already
/// uses, in any case, is refused by field.
pub async fn create_team(db: &Db, workspace: WorkspaceId, name: &str) -> Result<TeamId, AppError> {
    refuse_taken_name(db, workspace, name, None).await?;
    let created =
        sqlx::query_scalar("INSERT INTO teams (workspace_id, name, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(workspace)
            .bind(name)
            .bind(now())
            .fetch_one(db)
            .await;
    match created {
        Err(error) if is_unique_violation(&error) => Err(name_taken(name)),
        other => Ok(other?),
    }
}

/// Renames the workspace's team; an unknown team is not found.
pub async fn rename_team(db: &Db, workspace: WorkspaceId, team: TeamId, name: &str) -> Result<(), AppError> {
    refuse_taken_name(db, workspace, name, Some(team)).await?;
    let renamed = sqlx::query("UPDATE teams SET name = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(name)
        .bind(team)
        .bind(workspace)
        .execute(db)
        .await;
    match renamed {
        Ok(done) if done.rows_affected() == 0 => Err(AppError::NotFound("That team".into())),
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => Err(name_taken(name)),
        Err(error) => Err(error.into()),
    }
}

/// Deletes the workspace's team; its inbox roles go with it (the
/// database cascades), so whoever had an inbox only through the team loses
/// it at once. False if the workspace has no such team.
pub async fn delete_team(db: &Db, workspace: WorkspaceId, team: TeamId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM teams WHERE id = $1 AND workspace_id = $2")
        .bind(team)
        .bind(workspace)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Team names are unique in a workspace whatever their case: "design" and
/// "Design" in one sidebar would be one team to anyone reading it.
async fn refuse_taken_name(
    db: &Db,
    workspace: WorkspaceId,
    name: &str,
    except: Option<TeamId>,
) -> Result<(), AppError> {
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM teams WHERE workspace_id = $1 AND LOWER(name) = LOWER($2) AND id <> $3")
            .bind(workspace)
            .bind(name)
            .bind(except.map_or(0, |team| team.0))
            .fetch_optional(db)
            .await?;
    match taken {
        Some(_) => Err(name_taken(name)),
        None => Ok(()),
    }
}

fn name_taken(name: &str) -> AppError {
    AppError::invalid("name", format!("A team named \u{201c}{name}\u{201d} already exists."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::{accounts, db::open_for_test};

    #[tokio::test]
    async fn teams_are_made_renamed_and_deleted_with_names_unique_in_any_case() {
        let (db, _dir) = open_for_test().await;
        let ada = accounts::tests::admin(&db).await;
        let workspace = ada.workspace_id;
        let design = create_team(&db, workspace, "Design").await.unwrap();
        let sales = create_team(&db, workspace, "Sales").await.unwrap();
        for taken in ["Design", "design"] {
            let refused = create_team(&db, workspace, taken).await.unwrap_err();
            assert_eq!(refused.field(), Some("name"), "{refused}");
        }
        assert_eq!(rename_team(&db, workspace, sales, "DESIGN").await.unwrap_err().field(), Some("name"));
        rename_team(&db, workspace, design, "design").await.expect("a team may change its own name's case");
        rename_team(&db, workspace, sales, "Sales & Partners").await.unwrap();
        let other = WorkspaceId(workspace.0 + 1);
        assert_eq!(rename_team(&db, other, sales, "Mine").await, Err(AppError::NotFound("That team".into())));
        assert!(!delete_team(&db, other, sales).await.unwrap(), "another workspace's team stays");

        add_member(&db, sales, ada.id).await.unwrap();
        assert!(delete_team(&db, workspace, sales).await.unwrap());
        let left: Vec<String> = teams(&db, workspace).await.unwrap().into_iter().map(|t| t.name).collect();
        assert_eq!(left, ["design"]);
        let memberships: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM team_members").fetch_one(&db).await.unwrap();
        assert_eq!(memberships, 0, "its memberships went with it");
    }
}
