//! The control plane's websockets, in one place: the live socket every
//! member page keeps open (`live`), the guest's knock at a door (`guest`)
//! and a participant's call signalling (`signal`, which admits and hands
//! the SFU a ticket). What they share: JSON framing with write deadlines
//! (`json`), noticing vanished browsers (`keepalive`), and the limits on
//! what a socket may ask (`knock_limits`, `call_limits`, `signal_requests`).

pub mod call_limits;
pub mod guest;
pub mod json;
pub mod keepalive;
pub mod knock_limits;
pub mod live;
pub mod signal;
pub mod signal_requests;
