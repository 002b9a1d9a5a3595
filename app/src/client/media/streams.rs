//! The media streams the page currently has, by stream id. MediaStream
//! objects live in JavaScript and cannot sit in Leptos' thread-safe signals,
//! so they are kept here and tiles look them up when the view's
//! `streams_version` changes.

use std::cell::RefCell;
use std::collections::HashMap;
use web_sys::MediaStream;

/// The key of this browser's own camera and microphone.
pub const LOCAL: &str = crate::call_state::LOCAL_STREAM;
/// The key of this browser's own shared screen.
pub const LOCAL_SCREEN: &str = "local-screen";

thread_local! {
    static STREAMS: RefCell<HashMap<String, MediaStream>> = RefCell::new(HashMap::new());
    /// Remote track id -> the stream id it belongs to (for audio levels).
    static TRACK_STREAMS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

pub fn get(id: &str) -> Option<MediaStream> {
    STREAMS.with(|streams| streams.borrow().get(id).cloned())
}

pub fn set(id: &str, stream: MediaStream) {
    STREAMS.with(|streams| streams.borrow_mut().insert(id.to_string(), stream));
}

pub fn remove(id: &str) -> Option<MediaStream> {
    STREAMS.with(|streams| streams.borrow_mut().remove(id))
}

pub fn note_track(track_id: String, stream_id: String) {
    TRACK_STREAMS.with(|tracks| tracks.borrow_mut().insert(track_id, stream_id));
}

pub fn stream_of_track(track_id: &str) -> Option<String> {
    TRACK_STREAMS.with(|tracks| tracks.borrow().get(track_id).cloned())
}

/// Forgets every remote stream (the call ended or is reconnecting).
pub fn clear_remote() {
    STREAMS.with(|streams| streams.borrow_mut().retain(|id, _| id == LOCAL || id == LOCAL_SCREEN));
    TRACK_STREAMS.with(|tracks| tracks.borrow_mut().clear());
}
