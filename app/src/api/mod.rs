//! Server functions, one module per domain. Each is thin: who is asking ->
//! may they (the policy) -> do it -> typed error.

pub mod accounts;
pub mod build;
pub mod calls;
pub mod channels;
pub mod guests;
pub mod inboxes;
pub mod invites;
pub mod mail;
pub mod office;
pub mod schedules;
pub mod teams;
