//! Server functions, one module per domain. Each is thin: who is asking ->
//! may they (the policy) -> do it -> typed error.

pub mod accounts;
pub mod build;
pub mod calls;
pub mod channels;
pub mod files;
pub mod guests;
pub mod inboxes;
pub mod invites;
pub mod mail;
pub mod messages;
pub mod office;
pub mod schedules;
pub mod teams;

/// The largest body a server function call may have (413 past it). The
/// largest real one is an email of `validate::MAX_BODY_CHARS` characters;
/// anything near this is not from our pages.
pub const MAX_REQUEST_BODY_BYTES: usize = 2 * 1024 * 1024;
