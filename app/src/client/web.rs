//! Small browser helpers shared by the live-event, guest and call sockets.

use leptos::prelude::{TimeoutHandle, set_timeout_with_handle};
use std::cell::Cell;
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

/// How a handler is set on a browser object, e.g. `WebSocket::set_onmessage`.
pub type Setter<T> = fn(&T, Option<&js_sys::Function>);

/// A browser object (a socket, a peer connection, a track) with the
/// handlers attached to it, which it derefs to.
///
/// Dropping it detaches the handlers before they are freed. The browser
/// keeps delivering events after the page is done with the object (a
/// socket's `close` arrives tens of milliseconds after `close()`), and
/// calling a freed closure throws "closure invoked recursively or after
/// being dropped". Dropping one from inside its own handler is fine:
/// wasm-bindgen frees a closure that is running only when it returns.
pub struct Attached<T> {
    target: T,
    handlers: Vec<(Setter<T>, Handler)>,
}

impl<T> Attached<T> {
    pub fn new(target: T) -> Self {
        Attached { target, handlers: Vec::new() }
    }

    /// Attaches `handler` with `set`, until this is dropped.
    pub fn on(mut self, set: Setter<T>, handler: Handler) -> Self {
        set(&self.target, Some(handler.as_ref().unchecked_ref()));
        self.handlers.push((set, handler));
        self
    }
}

impl<T> std::ops::Deref for Attached<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.target
    }
}

impl<T> Drop for Attached<T> {
    fn drop(&mut self) {
        for (set, _) in &self.handlers {
            set(&self.target, None);
        }
    }
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

/// Reconnecting with backoff: counts the failed attempts, and keeps the
/// timer of the attempt to come so that closing the connection cancels it
/// (a page that goes away while reconnecting leaves nothing behind).
pub struct Reconnect {
    first: Duration,
    longest: Duration,
    failed_attempts: Cell<u32>,
    /// Cleared by the timer when it fires, so `cancel` never clears an id
    /// the browser may have given to another timer since.
    pending: Rc<Cell<Option<TimeoutHandle>>>,
}

impl Reconnect {
    /// Waits `first` after the first failure, doubling up to `longest`.
    pub fn new(first: Duration, longest: Duration) -> Self {
        Reconnect { first, longest, failed_attempts: Cell::new(0), pending: Rc::default() }
    }

    /// The connection is up: the next failure waits `first` again.
    pub fn succeeded(&self) {
        self.failed_attempts.set(0);
    }

    /// Calls `reconnect` on `owner` after the next backoff delay, counting
    /// the failed attempt; one attempt waits at a time. The timer holds the
    /// owner weakly: nothing happens if it is gone by then.
    pub fn later<T: 'static>(&self, owner: &Rc<T>, reconnect: fn(&Rc<T>)) {
        let attempts = self.failed_attempts.get();
        self.failed_attempts.set(attempts.saturating_add(1));
        let weak = Rc::downgrade(owner);
        let pending = self.pending.clone();
        let timer = set_timeout_with_handle(
            move || {
                pending.set(None);
                if let Some(owner) = weak.upgrade() {
                    reconnect(&owner);
                }
            },
            backoff(attempts, self.first, self.longest),
        );
        if let Some(earlier) = self.pending.replace(timer.ok()) {
            earlier.clear();
        }
    }

    /// Cancels the attempt waiting, if any: the page closed the connection.
    pub fn cancel(&self) {
        if let Some(timer) = self.pending.take() {
            timer.clear();
        }
    }
}
