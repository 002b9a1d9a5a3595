//! The server's shared state, handed to server functions through Leptos
//! context and to axum handlers as router state.

use super::db::Db;
use super::guests::GuestDesk;
use super::inbox_news::InboxNews;
use super::presence::PresenceHub;
use crate::error::AppError;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub presence: PresenceHub,
    pub guests: GuestDesk,
    pub inbox_news: InboxNews,
    pub settings: Arc<Settings>,
}

/// Settings that server functions need from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL people use to reach this server, for links and cookies.
    pub public_url: String,
}

impl Settings {
    /// Cookies get `Secure` when the server is reached over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The state, from the context of the server function being handled.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("server function called without AppState in context");
        AppError::Internal
    })
}
