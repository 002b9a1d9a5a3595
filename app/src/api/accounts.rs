//! Signing up, in and out, and managing member accounts.

use crate::error::AppError;
use crate::model::{Landing, MemberAction, MemberId, MemberSummary};
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
    use crate::ssr::{accounts, auth, known_devices, passwords, sign_in_limits, state::app_state};
    use crate::validate::{MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS};
    let state = app_state()?;
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::invalid("email", "Enter the email address you were added with."));
    }
    // No account has a longer address or password: refused before they are
    // counted, looked up or hashed.
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::invalid("email", format!("Email address can be at most {MAX_EMAIL_CHARS} characters.")));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AppError::WrongCredentials);
    }
    state.sign_in_limits.check_address(auth::request_client_address())?;
    // A deactivated member's attempt is counted and checked like anyone's.
    let found = accounts::account_for_sign_in(&state.db, &email).await?;
    let mut queue = passwords::Queue::Anyone;
    let mut known_device = false;
    if let Some((member, _, _)) = &found {
        let source = auth::sign_in_source(&state, member.id).await?;
        known_device = matches!(source, sign_in_limits::Source::KnownDevice(_));
        if known_device {
            queue = passwords::Queue::Known;
        }
        state.sign_in_limits.check_account(member.id, source)?;
    }
    let (member, stored_hash) = found.map(|(member, hash, deactivated)| ((member, deactivated), hash)).unzip();
    if !passwords::verify_for_account(password, stored_hash, queue).await? {
        return Err(AppError::WrongCredentials);
    }
    let Some((member, deactivated)) = member else { return Err(AppError::WrongCredentials) };
    // Only someone who knows the password learns that the account exists
    // and was deactivated; a wrong password answers as for anyone.
    if deactivated {
        return Err(AppError::AccountDeactivated);
    }
    auth::start_session(&state, member.id).await?;
    if !known_device {
        let secure = state.settings.secure_cookies();
        auth::set_cookie(&known_devices::remember(&state.db, member.id, secure).await?)?;
    }
    leptos_axum::redirect("/office");
    Ok(())
}

/// Signs this browser out: its session ends, and with it this browser's
/// open pages and calls.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::{auth, policy::Principal, sessions, state::app_state};
    let state = app_state()?;
    if let Principal::Member(member) = auth::principal(&state).await? {
        state.presence.sign_out(&member);
    }
    if let Some(token) = auth::request_session_token(&state) {
        sessions::delete(&state.db, &token).await?;
        state.session_ends.tell(sessions::Ended::One(token.id()));
    }
    auth::set_cookie(&sessions::SessionToken::clear_cookie(state.settings.secure_cookies()))?;
    leptos_axum::redirect("/signin");
    Ok(())
}

/// Ends every session of the signed-in member, on every device, this one
/// included: their open pages go to sign-in and their calls end.
#[server(endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use crate::ssr::{auth, sessions};
    let (state, _, member) = auth::signed_in().await?;
    sessions::delete_all_but(&state.db, member.id, None).await?;
    state.session_ends.tell(sessions::Ended::AllBut(member.id, None));
    state.presence.sign_out(&member);
    tracing::info!(member = %member.id, "signed out everywhere");
    auth::set_cookie(&sessions::SessionToken::clear_cookie(state.settings.secure_cookies()))?;
    leptos_axum::redirect("/signin");
    Ok(())
}

/// Changes the signed-in member's password, given the current one. Every
/// other session ends (a stolen session cannot outlive the change); this
/// one stays signed in.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    repeat_password: String,
) -> Result<(), AppError> {
    use crate::ssr::{accounts, auth, passwords, sessions};
    use crate::validate;
    let (state, _, member) = auth::signed_in().await?;
    if current_password.is_empty() {
        return Err(AppError::invalid("current_password", "Enter your current password."));
    }
    if current_password.chars().count() > validate::MAX_PASSWORD_CHARS {
        return Err(AppError::invalid("current_password", "That is not your current password."));
    }
    let new_password = validate::new_password("new_password", &new_password)?;
    if repeat_password != new_password {
        return Err(AppError::invalid("repeat_password", "This differs from the new password above."));
    }
    // Guessing the current password here is limited like signing in.
    state.sign_in_limits.check_address(auth::request_client_address())?;
    state.sign_in_limits.check_account(member.id, auth::sign_in_source(&state, member.id).await?)?;
    let stored = accounts::member_with_password(&state.db, &member.email).await?.map(|(_, hash)| hash);
    if !passwords::verify_for_account(current_password, stored, passwords::Queue::Known).await? {
        return Err(AppError::invalid("current_password", "That is not your current password."));
    }
    let hash = passwords::hash(new_password).await?;
    accounts::set_password(&state.db, member.id, &hash).await?;
    let here = auth::request_session_token(&state);
    sessions::delete_all_but(&state.db, member.id, here.as_ref()).await?;
    state.session_ends.tell(sessions::Ended::AllBut(member.id, here.map(|token| token.id())));
    tracing::info!(member = %member.id, "password changed; other sessions ended");
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

/// What a workspace admin does to a member of their workspace, answered
/// with what was done:
///
/// - `Deactivate` ends every session of theirs at once (open pages go to
///   sign-in, calls end), takes them offline, and takes away their inbox
///   roles, teams, channel admin roles and call notes; with
///   `replace_links` the room and channel guest links they created are
///   replaced (knocks waiting through them end). Their name stays on what
///   they did. Nobody deactivates themselves, nor the last active admin.
/// - `Reactivate` lets them sign in again.
/// - `SendPasswordReset` emails them a link to choose a new password
///   (`ssr::password_resets`: once, within an hour, a few an hour).
#[server(endpoint = "manage_member")]
pub async fn manage_member(member: MemberId, action: MemberAction, replace_links: bool) -> Result<String, AppError> {
    use crate::ssr::{accounts, auth, policy};
    let (state, principal, me) = auth::signed_in().await?;
    let asked = match action {
        MemberAction::SendPasswordReset => policy::Action::SendPasswordReset(me.workspace_id),
        MemberAction::Deactivate | MemberAction::Reactivate => policy::Action::ManageMembers(me.workspace_id),
    };
    policy::check(&principal, asked)?;
    let Some((target, deactivated)) = accounts::member_in_workspace(&state.db, me.workspace_id, member).await? else {
        return Err(AppError::NotFound("That member".into()));
    };
    match action {
        MemberAction::SendPasswordReset => send_password_reset(&state, &me, &target, deactivated).await,
        MemberAction::Deactivate => set_active(&state, &me, &target, false, replace_links).await,
        MemberAction::Reactivate => set_active(&state, &me, &target, true, false).await,
    }
}

#[cfg(feature = "ssr")]
async fn set_active(
    state: &crate::ssr::state::AppState,
    me: &crate::ssr::accounts::Member,
    target: &crate::ssr::accounts::Member,
    active: bool,
    replace_links: bool,
) -> Result<String, AppError> {
    use crate::ssr::{accounts, invites, sessions};
    let (member, name) = (target.id, crate::model::shown_name(&target.name, false));
    if active {
        accounts::reactivate(&state.db, me.workspace_id, member).await?;
        tracing::info!(%member, by = %me.id, "member reactivated");
        return Ok(format!("{name} can sign in again, with their old password or a reset link."));
    }
    if member == me.id {
        return Err(AppError::CannotDeactivateSelf);
    }
    if accounts::deactivate(&state.db, me.workspace_id, member).await? {
        state.session_ends.tell(sessions::Ended::AllBut(member, None));
        state.presence.sign_out(target);
        state.inbox_news.access_changed(&state.db, me.workspace_id).await;
        tracing::info!(%member, by = %me.id, "member deactivated");
    }
    let mut replaced = 0;
    if replace_links {
        for place in invites::created_by(&state.db, member).await? {
            invites::regenerate(&state.db, place, me.id).await?;
            state.guests.revoke_link(place);
            replaced += 1;
        }
        tracing::info!(%member, replaced, by = %me.id, "a deactivated member's guest links replaced");
    }
    Ok(match replaced {
        0 => format!("{name} was deactivated and signed out everywhere."),
        1 => format!("{name} was deactivated and signed out everywhere. The guest link they created was replaced."),
        n => {
            format!("{name} was deactivated and signed out everywhere. The {n} guest links they created were replaced.")
        }
    })
}

#[cfg(feature = "ssr")]
async fn send_password_reset(
    state: &crate::ssr::state::AppState,
    me: &crate::ssr::accounts::Member,
    target: &crate::ssr::accounts::Member,
    deactivated: bool,
) -> Result<String, AppError> {
    use crate::ssr::mail_out::{Delivery, Outgoing};
    use crate::ssr::{accounts, password_resets};
    let (member, name) = (target.id, crate::model::shown_name(&target.name, false));
    if deactivated {
        return Err(AppError::invalid("member", format!("{name} is deactivated. Reactivate them first.")));
    }
    let token = password_resets::create(&state.db, member).await?;
    let workspace = accounts::workspace_name(&state.db, me.workspace_id).await?;
    let admin = crate::model::shown_name(&me.name, false);
    let link = format!("{}{}", state.settings.public_url, password_resets::path(&token));
    let text = format!(
        "Hello {name},\n\n{admin}, a workspace admin of {workspace}, sent you this link to choose a new \
         password for Anteroom:\n\n{link}\n\nThe link works once, within the next hour. Choosing a new \
         password signs you out on every device.\n\nIf you did not expect this, tell {admin}. Your password \
         stays as it is until the link is used.\n"
    );
    let subject = format!("Choose a new password for {workspace}");
    let outgoing = Outgoing::about_calls(&state.settings, &workspace, &target.email, subject, text);
    let failed = match state.mailer.send(&outgoing).await {
        Ok(Delivery::Failed(reason)) => Some(reason),
        Ok(_) => None,
        Err(error) => Some(error.to_string()),
    };
    if let Some(reason) = failed {
        tracing::warn!(%member, %reason, "a password reset email could not be sent");
        password_resets::forget(&state.db, &token).await?;
        return Err(AppError::invalid("member", format!("The email to {} could not be sent: {reason}", target.email)));
    }
    tracing::info!(%member, by = %me.id, "password reset link sent");
    Ok(format!("A reset link was sent to {}. It works once, within an hour.", target.email))
}
