//! View pieces used by more than one page.

pub mod avatar;
pub mod conference;
pub mod form;
pub mod guest_requests;
pub mod invite;
pub mod preview;
pub mod top_bar;
