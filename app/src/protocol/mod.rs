//! Messages on the websockets, shared by the server that sends them and the
//! browser that applies them: live office events, guests knocking,
//! and call signalling.
//!
//! Messages from the browser are tagged inside (`{"type":"chat","text":…}`);
//! messages to the browser are tagged outside (`{"chat":{…}}`, or a bare
//! `"waiting"`), because the browser deserializes them: serde reads an
//! inside tag only after buffering the whole message, and that buffering
//! compiles a second deserializer for every type in the enum, about 50 KB of
//! WebAssembly that every browser would download.

pub mod guest;
pub mod live;
pub mod signal;

pub use live::*;
