mod channels;
mod inboxes;
mod teams;
pub mod workspace;
