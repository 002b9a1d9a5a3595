//! The one error type every server function returns.
//!
//! It crosses the wire intact (serde), so the browser can show the exact
//! message and, for a bad form field, mark that field. Every message says what
//! the person can do about it.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    NotSignedIn,
    #[error("You are not allowed to do that.")]
    Forbidden,
    /// A form field failed validation; `field` is the input's name.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("That email and password do not match any member. Check both and try again.")]
    WrongCredentials,
    #[error("A member with the email {0} already exists.")]
    EmailTaken(String),
    #[error("This Anteroom already has a workspace. Sign in, or ask a workspace admin to add you.")]
    WorkspaceExists,
    #[error("Walk into the room first: only people inside a room can join its call or invite guests to it.")]
    NotInRoom,
    #[error("This invite link is no longer valid. Ask the person who invited you for a new one.")]
    InviteInvalid,
    #[error("Only this inbox's Members and Admins can send from it. Ask an inbox admin to make you a Member.")]
    CannotSend,
    #[error("Someone else in the room already answered this guest.")]
    AlreadyAnswered,
    /// A reply would go to someone who had not written in the conversation
    /// before (a stranger can join a thread by quoting its ids).
    #[error("{0} is new to this conversation. Tick \u{201c}Send to {0}\u{201d} to confirm you mean to answer them.")]
    RecipientUnconfirmed(String),
    /// Mail arrived since the page showed who a reply goes to.
    #[error("A new message arrived: a reply would now go to {0}. Read it, then send again.")]
    RecipientChanged(String),
    #[error("Too many requests to join from here. Wait a minute, then try again.")]
    TooManyKnocks,
    #[error("{0} was not found. It may have been deleted.")]
    NotFound(String),
    #[error("Many guests are already waiting at this door. Try again in a few minutes.")]
    DoorBusy,
    /// The room a guest was invited to was deleted.
    #[error(
        "This room no longer exists: it was taken off the office map, and its link went with it. Ask the person who invited you for a new link."
    )]
    RoomGone,
    /// A guest pressed Join on a lobby that said nothing of transcripts,
    /// and the channel has started transcribing since: they are told first.
    #[error(
        "Transcription was turned on while you were here: what everyone says in this call is now written down. Press Join again to join anyway."
    )]
    TranscriptionTurnedOn,
    #[error("Too many sign-in attempts. Try again in {retry_after_secs} s.")]
    TooManyAttempts { retry_after_secs: u64 },
    /// Build mode's changes came faster than one person makes them.
    #[error("The office map is changing faster than it can be saved. Wait a moment, then try again.")]
    MapChangesTooFast,
    /// The server is at capacity for this kind of work; nothing was done.
    #[error("The server is busy. Try again in a moment.")]
    Busy,
    /// Something failed on the server; the details are in the server log.
    #[error("Something went wrong on the server. Please try again in a moment.")]
    Internal,
    /// The request never got a proper answer (network down, server restarting).
    #[error("Could not reach the server ({0}). Check your connection and try again.")]
    Unreachable(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.to_string(), message: message.into() }
    }

    /// The HTTP status this error is answered with: 4xx for what the person
    /// can fix (sign in, ask for access, correct a field, wait), 5xx only
    /// for faults of the server.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::NotSignedIn | AppError::WrongCredentials => 401,
            AppError::Forbidden | AppError::NotInRoom | AppError::CannotSend => 403,
            AppError::NotFound(_) | AppError::InviteInvalid | AppError::RoomGone => 404,
            AppError::EmailTaken(_)
            | AppError::WorkspaceExists
            | AppError::AlreadyAnswered
            | AppError::RecipientUnconfirmed(_)
            | AppError::RecipientChanged(_)
            | AppError::TranscriptionTurnedOn => 409,
            AppError::Invalid { .. } => 422,
            AppError::TooManyKnocks
            | AppError::TooManyAttempts { .. }
            | AppError::MapChangesTooFast
            | AppError::DoorBusy => 429,
            AppError::Busy => 503,
            AppError::Internal | AppError::Unreachable(_) => 500,
        }
    }

    /// The form field this error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Unreachable(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database error");
        AppError::Internal
    }
}

pub type AppResult<T> = Result<T, AppError>;
