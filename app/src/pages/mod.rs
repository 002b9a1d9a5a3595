//! One module per screen.

pub mod auth;
pub mod guest;
pub mod home;
pub mod not_found;
pub mod office;
pub mod settings;
