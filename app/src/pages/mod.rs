//! One module per screen.

pub mod auth;
pub mod channel;
pub mod files;
pub mod guest;
pub mod home;
pub mod inbox;
pub mod not_found;
pub mod office;
pub mod settings;
