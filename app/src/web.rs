//! Small browser helpers shared by the live-event and call sockets.

use std::rc::{Rc, Weak};
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// A JavaScript event handler owned by Rust.
pub type Handler = Closure<dyn FnMut(JsValue)>;

/// A handler that runs `body` with the owner, if it still exists: handlers
/// hold only a weak reference, so dropping the owner ends them.
pub fn weak_handler<T: 'static>(weak: &Weak<T>, body: impl Fn(&Rc<T>, JsValue) + 'static) -> Handler {
    let weak = weak.clone();
    Closure::new(move |event: JsValue| {
        if let Some(owner) = weak.upgrade() {
            body(&owner, event);
        }
    })
}

/// A websocket message's JSON, read with the browser's one JSON reader
/// ([`crate::json`]); `None` for a message that is not text.
pub fn message_json<T: serde::de::DeserializeOwned>(event: JsValue) -> Option<serde_json::Result<T>> {
    let text = event.dyn_into::<web_sys::MessageEvent>().ok()?.data().as_string()?;
    Some(crate::json::from_text(&text))
}

/// The websocket URL of `path_and_query` on the page's own origin.
pub fn socket_url(path_and_query: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}{path_and_query}", location.host().ok()?))
}

/// Exponential backoff: `first`, doubled per failed attempt, at most `longest`.
pub fn backoff(failed_attempts: u32, first: Duration, longest: Duration) -> Duration {
    first.saturating_mul(1 << failed_attempts.min(8)).min(longest)
}

/// Calls `reconnect` on `owner` after the next backoff delay, counting the
/// failed attempt; nothing happens if the owner is gone by then.
pub fn retry_later<T: 'static>(
    owner: &Rc<T>,
    failed_attempts: &std::cell::Cell<u32>,
    (first, longest): (Duration, Duration),
    reconnect: fn(&Rc<T>),
) {
    let attempts = failed_attempts.get();
    failed_attempts.set(attempts.saturating_add(1));
    let weak = Rc::downgrade(owner);
    leptos::prelude::set_timeout(
        move || {
            if let Some(owner) = weak.upgrade() {
                reconnect(&owner);
            }
        },
        backoff(attempts, first, longest),
    );
}
