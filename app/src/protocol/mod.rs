//! Messages on the websockets, shared by the server that sends them and the
//! browser that applies them: live office events, guests knocking,
//! and call signalling.

pub mod guest;
pub mod live;
pub mod signal;

pub use live::*;
