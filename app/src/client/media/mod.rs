//! Browser-side media: camera and microphone, the two peer connections to
//! the SFU, and the call's signalling. Compiled for the browser only.

pub mod call;
pub mod devices;
pub mod level;
pub mod simulcast;
pub mod streams;
