//! Shared inboxes: the sidebar's list, workspace admins' oversight, and
//! managing who takes part with which role. Every function asks the policy
//! with the caller's standing in that one inbox, read fresh from the
//! database, so a change of role or team counts at the very next call.

use crate::error::AppError;
use crate::model::{
    DirectoryEntry, Grantee, InboxDetails, InboxId, InboxParticipantId, InboxRole, InboxSummary, MyInbox,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Most participants one request may add.
pub const MAX_NEW_PARTICIPANTS: usize = 50;

/// One participant to add, with their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewParticipant {
    pub grantee: Grantee,
    pub role: InboxRole,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use super::*;
    use crate::ssr::accounts::Member;
    use crate::ssr::policy::{self, InboxAccess, InboxAction};
    use crate::ssr::state::AppState;
    use crate::ssr::{auth, inboxes};

    /// A call the policy allowed on one inbox: who made it, the inbox, and
    /// their standing there.
    pub struct Allowed {
        pub state: AppState,
        pub member: Member,
        pub inbox: InboxSummary,
        pub access: InboxAccess,
    }

    /// The signed-in member and their standing in `inbox`, if `action` is
    /// allowed; an inbox they may not read answers like a missing one.
    pub async fn allowed(inbox: InboxId, action: InboxAction) -> Result<Allowed, AppError> {
        let (state, _, member) = auth::signed_in().await?;
        let (inbox, access) =
            inboxes::access(&state.db, &member, inbox).await?.ok_or_else(|| AppError::NotFound("That inbox".into()))?;
        policy::check_inbox(access, action)?;
        Ok(Allowed { state, member, inbox, access })
    }

    pub async fn access_changed(state: &AppState, member: &Member) {
        state.inbox_news.access_changed(&state.db, member.workspace_id).await;
    }
}

/// The inboxes in the caller's sidebar: those they take part in.
#[server(endpoint = "my_inboxes")]
pub async fn my_inboxes() -> Result<Vec<MyInbox>, AppError> {
    use crate::ssr::inboxes;
    let (state, _, me) = crate::ssr::auth::signed_in().await?;
    Ok(inboxes::visible_to(&state.db, me.id).await?)
}

/// Every inbox of the workspace (Workspace Settings > Inbox): admins only.
#[server(endpoint = "all_inboxes")]
pub async fn all_inboxes() -> Result<Vec<InboxSummary>, AppError> {
    use crate::ssr::{inboxes, policy};
    let (state, principal, me) = crate::ssr::auth::signed_in().await?;
    policy::check(&principal, policy::Action::OverseeInboxes(me.workspace_id))?;
    Ok(inboxes::all(&state.db, me.workspace_id).await?)
}

/// Creates an inbox: workspace admins only. `addresses` may hold several,
/// separated by commas or new lines.
#[server(endpoint = "create_inbox")]
pub async fn create_inbox(name: String, addresses: String) -> Result<InboxId, AppError> {
    use crate::ssr::{inboxes, mail_domains, policy};
    use crate::validate;
    let (state, principal, me) = crate::ssr::auth::signed_in().await?;
    policy::check(&principal, policy::Action::OverseeInboxes(me.workspace_id))?;
    let name = validate::name("name", "Inbox name", &name)?;
    let addresses = validate::addresses("addresses", &addresses)?;
    mail_domains::check_addresses(&state.db, me.workspace_id, "addresses", &addresses).await?;
    let inbox = inboxes::create(&state.db, me.workspace_id, &name, &addresses).await?;
    tracing::info!(%inbox, by = %me.id, "inbox created");
    server::access_changed(&state, &me).await;
    Ok(inbox)
}

/// Deletes an inbox and its conversations: workspace admins only.
#[server(endpoint = "delete_inbox")]
pub async fn delete_inbox(inbox: InboxId) -> Result<(), AppError> {
    use crate::ssr::{inboxes, policy::InboxAction};
    let server::Allowed { state, member: me, .. } = server::allowed(inbox, InboxAction::Delete).await?;
    let contents = crate::ssr::mail_attachments::contents_of_inbox(&state.db, inbox).await?;
    inboxes::delete(&state.db, inbox).await?;
    state.files.forget_unreferenced(&state.db, contents).await;
    tracing::info!(%inbox, by = %me.id, "inbox deleted");
    server::access_changed(&state, &me).await;
    Ok(())
}

/// The Channel Overview: name, addresses, participants and what the caller
/// may do.
#[server(endpoint = "inbox_overview")]
pub async fn inbox_overview(inbox: InboxId) -> Result<InboxDetails, AppError> {
    use crate::ssr::{inboxes, policy};
    use policy::InboxAction;
    let server::Allowed { state, inbox: summary, access, .. } = server::allowed(inbox, InboxAction::Read).await?;
    Ok(InboxDetails {
        id: inbox,
        name: summary.name,
        addresses: inboxes::addresses(&state.db, inbox).await?,
        participants: inboxes::participants(&state.db, inbox).await?,
        my_role: access.role,
        can_send: policy::check_inbox(access, InboxAction::Send).is_ok(),
        can_manage: policy::check_inbox(access, InboxAction::ManageParticipants).is_ok(),
    })
}

/// Adds members and teams, each with a role (an existing participant gets
/// the new role).
#[server(endpoint = "add_inbox_participants", input = Json)]
pub async fn add_inbox_participants(inbox: InboxId, added: Vec<NewParticipant>) -> Result<(), AppError> {
    use crate::ssr::{inboxes, policy::InboxAction};
    let server::Allowed { state, member: me, .. } = server::allowed(inbox, InboxAction::ManageParticipants).await?;
    if added.is_empty() || added.len() > MAX_NEW_PARTICIPANTS {
        return Err(AppError::invalid(
            "added",
            format!("Choose between 1 and {MAX_NEW_PARTICIPANTS} people or teams."),
        ));
    }
    for new in &added {
        if !inboxes::grantee_in_workspace(&state.db, me.workspace_id, new.grantee).await? {
            return Err(AppError::NotFound("That member or team".into()));
        }
    }
    for new in added {
        inboxes::add_participant(&state.db, inbox, new.grantee, new.role).await?;
    }
    server::access_changed(&state, &me).await;
    Ok(())
}

#[server(endpoint = "remove_inbox_participant")]
pub async fn remove_inbox_participant(inbox: InboxId, participant: InboxParticipantId) -> Result<(), AppError> {
    use crate::ssr::{inboxes, policy::InboxAction};
    let server::Allowed { state, member: me, .. } = server::allowed(inbox, InboxAction::ManageParticipants).await?;
    if !inboxes::remove_participant(&state.db, inbox, participant).await? {
        return Err(AppError::NotFound("That participant".into()));
    }
    server::access_changed(&state, &me).await;
    Ok(())
}

#[server(endpoint = "set_inbox_role")]
pub async fn set_inbox_role(inbox: InboxId, participant: InboxParticipantId, role: InboxRole) -> Result<(), AppError> {
    use crate::ssr::{inboxes, policy::InboxAction};
    let server::Allowed { state, member: me, .. } = server::allowed(inbox, InboxAction::ManageParticipants).await?;
    if !inboxes::set_role(&state.db, inbox, participant, role).await? {
        return Err(AppError::NotFound("That participant".into()));
    }
    server::access_changed(&state, &me).await;
    Ok(())
}

/// Replaces the inbox's email addresses (the first is the one replies come
/// from).
#[server(endpoint = "set_inbox_addresses")]
pub async fn set_inbox_addresses(inbox: InboxId, addresses: String) -> Result<Vec<String>, AppError> {
    use crate::ssr::{inboxes, mail_domains, policy::InboxAction};
    use crate::validate;
    let server::Allowed { state, member, .. } = server::allowed(inbox, InboxAction::EditSettings).await?;
    let addresses = validate::addresses("addresses", &addresses)?;
    mail_domains::check_addresses(&state.db, member.workspace_id, "addresses", &addresses).await?;
    inboxes::set_addresses(&state.db, inbox, &addresses).await?;
    Ok(addresses)
}

/// The mail domains inbox addresses may use (any member may read them, to
/// know what an address can be).
#[server(endpoint = "mail_domains")]
pub async fn mail_domains() -> Result<Vec<String>, AppError> {
    let (state, _, me) = crate::ssr::auth::signed_in().await?;
    Ok(crate::ssr::mail_domains::list(&state.db, me.workspace_id).await?)
}

/// Replaces the mail domains inbox addresses may use: workspace admins
/// only. Existing addresses are not touched; new ones must fit.
#[server(endpoint = "set_mail_domains")]
pub async fn set_mail_domains(domains: String) -> Result<Vec<String>, AppError> {
    use crate::ssr::{mail_domains, policy};
    let (state, principal, me) = crate::ssr::auth::signed_in().await?;
    policy::check(&principal, policy::Action::OverseeInboxes(me.workspace_id))?;
    let domains = crate::validate::mail_domains("domains", &domains)?;
    mail_domains::set(&state.db, me.workspace_id, &domains).await?;
    tracing::info!(by = %me.id, count = domains.len(), "mail domains set");
    Ok(domains)
}

/// Members and teams whose names contain `query`, for the participant
/// selector.
#[server(endpoint = "search_directory")]
pub async fn search_directory(query: String) -> Result<Vec<DirectoryEntry>, AppError> {
    use crate::ssr::{inboxes, policy};
    let (state, principal, me) = crate::ssr::auth::signed_in().await?;
    policy::check(&principal, policy::Action::ListMembers(me.workspace_id))?;
    Ok(inboxes::directory(&state.db, me.workspace_id, &query).await?)
}
