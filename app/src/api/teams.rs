//! Teams: everyone may see them; workspace admins create, rename and
//! delete them, and put members in and take them out. Inbox access through
//! a team follows at once.

use crate::error::AppError;
use crate::model::{MemberId, TeamId, TeamSummary};
use leptos::prelude::*;

#[server(endpoint = "list_teams")]
pub async fn list_teams() -> Result<Vec<TeamSummary>, AppError> {
    use crate::ssr::{auth, policy, teams};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ListMembers(me.workspace_id))?;
    Ok(teams::teams(&state.db, me.workspace_id).await?)
}

/// Puts the member in the team (`join`) or takes them out.
#[server(endpoint = "set_team_member")]
pub async fn set_team_member(team: TeamId, member: MemberId, join: bool) -> Result<(), AppError> {
    use crate::ssr::teams;
    let (state, me) = team_organiser().await?;
    if !teams::both_in_workspace(&state.db, me.workspace_id, team, member).await? {
        return Err(AppError::NotFound("That team or member".into()));
    }
    if join {
        teams::add_member(&state.db, team, member).await?;
    } else {
        teams::remove_member(&state.db, team, member).await?;
    }
    state.inbox_news.access_changed(&state.db, me.workspace_id).await;
    Ok(())
}

/// Creates a team (workspace admins); its name is trimmed, and unique in
/// the workspace whatever its case.
#[server(endpoint = "create_team")]
pub async fn create_team(name: String) -> Result<TeamId, AppError> {
    use crate::ssr::teams;
    let (state, me) = team_organiser().await?;
    let name = crate::validate::name("name", "The team's name", &name)?;
    let team = teams::create_team(&state.db, me.workspace_id, &name).await?;
    tracing::info!(%team, by = %me.id, "team created");
    Ok(team)
}

/// Renames a team (workspace admins); inbox lists show the new name at once.
#[server(endpoint = "rename_team")]
pub async fn rename_team(team: TeamId, name: String) -> Result<(), AppError> {
    use crate::ssr::teams;
    let (state, me) = team_organiser().await?;
    let name = crate::validate::name("name", "The team's name", &name)?;
    teams::rename_team(&state.db, me.workspace_id, team, &name).await?;
    tracing::info!(%team, by = %me.id, "team renamed");
    state.inbox_news.access_changed(&state.db, me.workspace_id).await;
    Ok(())
}

/// Deletes a team (workspace admins), and with it its inbox roles: whoever
/// had an inbox only through it loses it from their sidebar at once.
#[server(endpoint = "delete_team")]
pub async fn delete_team(team: TeamId) -> Result<(), AppError> {
    use crate::ssr::teams;
    let (state, me) = team_organiser().await?;
    if !teams::delete_team(&state.db, me.workspace_id, team).await? {
        return Err(AppError::NotFound("That team".into()));
    }
    tracing::info!(%team, by = %me.id, "team deleted");
    state.inbox_news.access_changed(&state.db, me.workspace_id).await;
    Ok(())
}

/// A workspace admin, the only one who organises teams.
#[cfg(feature = "ssr")]
async fn team_organiser() -> Result<(crate::ssr::state::AppState, crate::ssr::accounts::Member), AppError> {
    use crate::ssr::{auth, policy};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ManageTeams(me.workspace_id))?;
    Ok((state, me))
}
