//! Signing up, in and out, and managing member accounts.

use crate::error::AppError;
use crate::model::{Landing, MemberSummary};
use leptos::prelude::*;

/// Where the front door should send the visitor.
#[server(endpoint = "where_to_go")]
pub async fn where_to_go() -> Result<Landing, AppError> {
    use crate::ssr::{accounts, auth, policy::Principal, state::app_state};
    let state = app_state()?;
    Ok(match auth::principal(&state).await? {
        Principal::Member(_) => Landing::Office,
        // Sessions never carry a guest pass, so a guest arrives here anonymous.
        Principal::Anonymous | Principal::Guest { .. } if accounts::workspace_exists(&state.db).await? => {
            Landing::SignIn
        }
        Principal::Anonymous | Principal::Guest { .. } => Landing::SignUp,
    })
}

/// Creates the workspace with its first member as admin (a fresh install
/// only), signs them in and opens the office.
#[server(endpoint = "sign_up")]
pub async fn sign_up(workspace_name: String, name: String, email: String, password: String) -> Result<(), AppError> {
    use crate::ssr::{accounts, auth, office, passwords, state::app_state};
    use crate::validate;
    let state = app_state()?;
    let workspace_name = validate::name("workspace_name", "Workspace name", &workspace_name)?;
    let name = validate::name("name", "Your name", &name)?;
    let email = validate::email("email", &email)?;
    let password = validate::new_password("password", &password)?;
    if accounts::workspace_exists(&state.db).await? {
        return Err(AppError::WorkspaceExists);
    }
    let password_hash = passwords::hash(password).await?;
    let admin = accounts::NewMember { name: &name, email: &email, password_hash: &password_hash, is_admin: true };
    let (workspace, member) = accounts::create_workspace(&state.db, &workspace_name, admin).await?;
    office::create_rooms(&state.db, workspace, office::STARTER_ROOMS).await?;
    office::create_channels(&state.db, workspace, office::STARTER_CHANNELS).await?;
    tracing::info!(member = %member.id, %workspace, "workspace created");
    auth::start_session(&state, member.id).await?;
    leptos_axum::redirect("/office");
    Ok(())
}

#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::ssr::{accounts, auth, passwords, state::app_state};
    let state = app_state()?;
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::invalid("email", "Enter the email address you were added with."));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    state.sign_in_limits.check(auth::request_client_address(), &email)?;
    let found = accounts::member_with_password(&state.db, &email).await?;
    let (member, stored_hash) = found.unzip();
    if !passwords::verify_for_account(password, stored_hash).await? {
        return Err(AppError::WrongCredentials);
    }
    let Some(member) = member else { return Err(AppError::WrongCredentials) };
    auth::start_session(&state, member.id).await?;
    leptos_axum::redirect("/office");
    Ok(())
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::{auth, policy::Principal, sessions, state::app_state};
    let state = app_state()?;
    if let Principal::Member(member) = auth::principal(&state).await? {
        state.presence.sign_out(&member);
    }
    if let Some(token) = auth::request_session_token() {
        sessions::delete(&state.db, &token).await?;
    }
    auth::set_cookie(&sessions::SessionToken::clear_cookie(state.settings.secure_cookies()))?;
    leptos_axum::redirect("/signin");
    Ok(())
}

/// The signed-in member, for the page header.
#[server(endpoint = "me")]
pub async fn me() -> Result<MemberSummary, AppError> {
    use crate::ssr::{auth, state::app_state};
    let state = app_state()?;
    Ok(auth::principal(&state).await?.member()?.summary())
}

#[server(endpoint = "list_members")]
pub async fn list_members() -> Result<Vec<MemberSummary>, AppError> {
    use crate::ssr::{accounts, auth, policy, state::app_state};
    let state = app_state()?;
    let principal = auth::principal(&state).await?;
    let workspace = principal.member()?.workspace_id;
    policy::check(&principal, policy::Action::ListMembers(workspace))?;
    Ok(accounts::members(&state.db, workspace).await?)
}

/// A workspace admin adds a member with a first password, which they pass on
/// to the new member. `is_admin` is a checkbox: present means yes.
#[server(endpoint = "add_member")]
pub async fn add_member(
    name: String,
    email: String,
    password: String,
    is_admin: Option<String>,
) -> Result<MemberSummary, AppError> {
    use crate::ssr::{accounts, auth, passwords, policy, state::app_state};
    use crate::validate;
    let state = app_state()?;
    let principal = auth::principal(&state).await?;
    let workspace = principal.member()?.workspace_id;
    policy::check(&principal, policy::Action::AddMember(workspace))?;
    let name = validate::name("name", "Name", &name)?;
    let email = validate::email("email", &email)?;
    let password = validate::new_password("password", &password)?;
    let password_hash = passwords::hash(password).await?;
    let new =
        accounts::NewMember { name: &name, email: &email, password_hash: &password_hash, is_admin: is_admin.is_some() };
    let member = accounts::add_member(&state.db, workspace, new).await?;
    tracing::info!(member = %member.id, by = %principal.member()?.id, "member added");
    Ok(member.summary())
}
