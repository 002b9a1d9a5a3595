//! Who is asking: turns a request's session cookie into a [`Principal`].

use super::policy::Principal;
use super::sessions::{self, SessionToken};
use super::{accounts, state::AppState};
use crate::error::AppError;

/// The principal behind a request with these headers.
pub async fn principal_from_headers(state: &AppState, headers: &http::HeaderMap) -> Result<Principal, AppError> {
    let db = &state.db;
    let Some(token) = session_token(state, headers) else {
        return Ok(Principal::Anonymous);
    };
    let Some(member_id) = sessions::member_of(db, &token).await? else {
        return Ok(Principal::Anonymous);
    };
    Ok(accounts::member(db, member_id).await?.map_or(Principal::Anonymous, Principal::Member))
}

/// The principal behind the server function call being handled.
pub async fn principal(state: &AppState) -> Result<Principal, AppError> {
    let parts = leptos::prelude::use_context::<http::request::Parts>().ok_or_else(|| {
        tracing::error!("server function called without request parts in context");
        AppError::Internal
    })?;
    principal_from_headers(state, &parts.headers).await
}

/// The signed-in member behind the server function call being handled,
/// with the state and the principal the policy needs; refuses anyone else.
pub async fn signed_in() -> Result<(AppState, Principal, accounts::Member), AppError> {
    let state = super::state::app_state()?;
    let principal = principal(&state).await?;
    let member = principal.member()?.clone();
    Ok((state, principal, member))
}

/// The session token a request with these headers carries, if any.
pub fn session_token(state: &AppState, headers: &http::HeaderMap) -> Option<SessionToken> {
    SessionToken::from_headers(headers, state.settings.secure_cookies())
}

/// The session token of the request being handled, if any.
pub fn request_session_token(state: &AppState) -> Option<SessionToken> {
    leptos::prelude::use_context::<http::request::Parts>().and_then(|parts| session_token(state, &parts.headers))
}

/// The address of the client whose request is being handled, as the server
/// sees it (behind a reverse proxy: the proxy's).
pub fn request_client_address() -> Option<std::net::IpAddr> {
    leptos::prelude::use_context::<http::request::Parts>().and_then(|parts| {
        parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip())
    })
}

/// Where the request being handled tries `member`'s password from: a
/// browser that signed in to the account before, or a network.
pub async fn sign_in_source(
    state: &AppState,
    member: crate::model::MemberId,
) -> Result<super::sign_in_limits::Source, AppError> {
    use super::known_devices;
    use super::sign_in_limits::Source;
    let cookie = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| known_devices::cookie(&parts.headers, state.settings.secure_cookies()));
    if let Some(cookie) = cookie
        && let Some(device) = known_devices::known(&state.db, member, &cookie).await?
    {
        return Ok(Source::KnownDevice(device));
    }
    Ok(Source::Network(request_client_address()))
}

/// Signs `member` in on the response being built: a new session and its cookie.
pub async fn start_session(state: &AppState, member: crate::model::MemberId) -> Result<(), AppError> {
    let token = sessions::create(&state.db, member).await?;
    set_cookie(&token.set_cookie(state.settings.secure_cookies()))
}

/// Adds a `Set-Cookie` header to the server function's response.
pub fn set_cookie(value: &str) -> Result<(), AppError> {
    let response = leptos::prelude::use_context::<leptos_axum::ResponseOptions>().ok_or(AppError::Internal)?;
    let value = http::HeaderValue::from_str(value).map_err(|_| AppError::Internal)?;
    response.append_header(http::header::SET_COOKIE, value);
    Ok(())
}
