pub mod account;
mod channels;
mod inboxes;
mod teams;
pub mod workspace;
