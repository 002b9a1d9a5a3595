//! Teams: everyone may see them; workspace admins put members in and take
//! them out. Inbox access through a team follows at once.

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
    use crate::ssr::{auth, inbox_news::InboxChange, policy, teams};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ManageTeams(me.workspace_id))?;
    if !teams::both_in_workspace(&state.db, me.workspace_id, team, member).await? {
        return Err(AppError::NotFound("That team or member".into()));
    }
    if join {
        teams::add_member(&state.db, team, member).await?;
    } else {
        teams::remove_member(&state.db, team, member).await?;
    }
    state.inbox_news.tell(InboxChange::Access(me.workspace_id));
    Ok(())
}
