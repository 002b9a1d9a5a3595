//! Browser only (the `hydrate` build): what talks to the browser's APIs.
//! `live` and `knock` are the browser ends of the live and guest sockets,
//! `media` the camera, microphone and the call client (signalling and
//! peer connections), `web` the small helpers over web-sys they share.

pub mod knock;
pub mod live;
pub mod media;
pub mod upload;
pub mod web;
