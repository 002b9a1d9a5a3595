//! The server's shared state, handed to server functions through Leptos
//! context and to axum handlers as router state.

use super::db::Db;
use super::guests::GuestDesk;
use super::inbox_news::InboxNews;
use super::mail_out::Mailer;
use super::presence::PresenceHub;
use super::settings::Settings;
use crate::error::AppError;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub presence: PresenceHub,
    pub guests: GuestDesk,
    pub inbox_news: InboxNews,
    pub mailer: Mailer,
    pub settings: Arc<Settings>,
    /// Woken when a call schedule is added or deleted, so the invitation
    /// task looks again at when the next call is.
    pub schedule_changes: Arc<tokio::sync::Notify>,
    /// Tells live sockets and calls that a workspace's channels or office
    /// map changed, with what they are now.
    pub workspace_news: super::workspace_news::WorkspaceNews,
    /// How often sign-in may be tried, per client address and per account.
    pub sign_in_limits: Arc<super::sign_in_limits::SignInLimits>,
    /// How fast each member may change the office map (`room_layout`).
    pub map_changes: Arc<super::rate_limit::KeyedLimit<crate::model::MemberId>>,
    /// Tells open sockets that the session they were opened with ended.
    pub session_ends: super::sessions::SessionEnds,
    /// The bytes of channel files and mail attachments, and their limits.
    pub files: Arc<super::file_store::FileStore>,
}

/// The state, from the context of the server function being handled.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("server function called without AppState in context");
        AppError::Internal
    })
}
