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
    /// A network's share of a door's waiting places is taken.
    #[error("Several guests from your network are already waiting at this door. Try again once they are answered.")]
    DoorBusyFromHere,
    /// The members turned this network's knocks away for a while.
    #[error("This door is not taking requests to join from your network for now. Ask the person who invited you.")]
    KnocksBlocked,
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
    /// The right password of a member a workspace admin deactivated (a
    /// wrong one answers [`AppError::WrongCredentials`], as for anyone).
    #[error("This account was deactivated. Ask a workspace admin.")]
    AccountDeactivated,
    /// A workspace admin tried to deactivate their own account.
    #[error("You cannot deactivate your own account. Another workspace admin can.")]
    CannotDeactivateSelf,
    /// Deactivating this admin would leave the workspace without an active one.
    #[error("This is the workspace's last active admin. Make someone else an admin first.")]
    LastActiveAdmin,
    /// Password reset emails to one member are limited per hour.
    #[error("Several reset links were sent to this member in the last hour. Try again in {} min.", .retry_after_secs.div_ceil(60))]
    TooManyResets { retry_after_secs: u64 },
    /// Build mode's changes came faster than one person makes them.
    #[error("The office map is changing faster than it can be saved. Wait a moment, then try again.")]
    MapChangesTooFast,
    /// The request could not be read as what it says it is (not JSON, not
    /// UTF-8 form data): a page out of date, or not our page at all.
    #[error("The server could not read this request ({0}). Reload the page and try again.")]
    Unreadable(String),
    /// The request was read, but a value is missing or does not fit (a
    /// word for a number, a number too large).
    #[error("This request is missing a value or has one that does not fit ({0}). Reload the page and try again.")]
    BadArguments(String),
    /// The request's body is over [`crate::api::MAX_REQUEST_BODY_BYTES`].
    #[error("This is more than the server takes at once (at most {} MiB). Send less at a time.", .max_bytes / (1024 * 1024))]
    TooLarge { max_bytes: usize },
    /// A file over the server's limit (`--max-file-mb`).
    #[error("Files are at most {}. Share larger files another way, or ask your admin to raise the limit.", crate::model::human_size(*.max_bytes as i64))]
    FileTooLarge { max_bytes: u64 },
    /// The workspace's files take all the room it has (`--workspace-files-gb`).
    #[error("This workspace's files have reached their limit of {}. Ask a workspace admin to delete files that are no longer needed.", crate::model::human_size(*.quota_bytes as i64))]
    FilesQuotaFull { quota_bytes: u64 },
    /// The member has as many uploads under way as one may.
    #[error("You are uploading {0} files at once already. Wait for one to finish, then try again.")]
    TooManyUploads(usize),
    /// An upload ended before its whole file arrived (cancelled, cut off, too slow).
    #[error("The upload stopped before the whole file arrived. Try again.")]
    UploadStopped,
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
            AppError::Forbidden
            | AppError::NotInRoom
            | AppError::CannotSend
            | AppError::KnocksBlocked
            | AppError::AccountDeactivated => 403,
            AppError::NotFound(_) | AppError::InviteInvalid | AppError::RoomGone => 404,
            AppError::EmailTaken(_)
            | AppError::WorkspaceExists
            | AppError::AlreadyAnswered
            | AppError::RecipientUnconfirmed(_)
            | AppError::RecipientChanged(_)
            | AppError::TranscriptionTurnedOn
            | AppError::CannotDeactivateSelf
            | AppError::LastActiveAdmin => 409,
            AppError::Unreadable(_) => 400,
            AppError::TooLarge { .. } | AppError::FileTooLarge { .. } | AppError::FilesQuotaFull { .. } => 413,
            AppError::UploadStopped => 400,
            AppError::Invalid { .. } | AppError::BadArguments(_) => 422,
            AppError::TooManyKnocks
            | AppError::TooManyAttempts { .. }
            | AppError::TooManyResets { .. }
            | AppError::MapChangesTooFast
            | AppError::TooManyUploads(_)
            | AppError::DoorBusy
            | AppError::DoorBusyFromHere => 429,
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

    /// A call that went wrong on its way, not in what it did. On the server
    /// that is the request's fault: its arguments did not fit (`Args`,
    /// `MissingArg`), or its body could not be decoded (`Deserialization`:
    /// the server never decodes answers; `server/src/web/error_status.rs`
    /// tells JSON that parsed but did not fit, 422, from JSON that did not
    /// parse, 400). In the browser, the call never got a proper answer.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => {
                AppError::BadArguments(brief(&detail))
            }
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(detail) => AppError::Unreadable(brief(&detail)),
            other => AppError::Unreachable(other.to_string()),
        }
    }
}

/// Longest decoder's detail kept in an error: the decoder may quote the
/// value it refused, and that value may be megabytes long.
const MAX_DETAIL_CHARS: usize = 120;

fn brief(detail: &str) -> String {
    match detail.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((end, _)) => format!("{}\u{2026}", &detail[..end]),
        None => detail.to_string(),
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
