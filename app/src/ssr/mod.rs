//! What only the server has: the database, sessions, the access policy and
//! the live presence hub. Compiled with the `ssr` feature only.

pub mod accounts;
pub mod auth;
pub mod call_notes;
pub mod calls;
pub mod channel_settings;
pub mod channels;
pub mod content_policy;
pub mod db;
pub mod guests;
pub mod inbox_news;
pub mod inboxes;
pub mod invites;
pub mod known_devices;
pub mod mail_domains;
pub mod mail_in;
pub mod mail_out;
pub mod mail_store;
pub mod office;
pub mod password_resets;
pub mod passwords;
pub mod policy;
pub mod presence;
pub mod rate_limit;
pub mod request_context;
pub mod reset_page;
pub mod room_layout;
pub mod sanitize;
pub mod schedules;
pub mod seed;
pub mod sessions;
pub mod sign_in_limits;
pub mod state;
pub mod teams;
pub mod tokens;
