//! The browser end of the live-event socket: connects, hands every event to
//! the page, and reconnects with backoff when the connection drops (the
//! server sends a fresh snapshot on every connection, so nothing is missed).

use crate::client::web::{Attached, Reconnect, message_json, socket_url, weak_handler};
use crate::protocol::{LIVE_PATH, LiveEvent};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use web_sys::WebSocket;

/// Whether the page currently hears live events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Connected,
    Reconnecting,
}

/// Backs off 0.3 s, 0.6 s, 1.2 s ... up to 10 s between attempts.
const FIRST_RETRY: Duration = Duration::from_millis(300);
const LONGEST_RETRY: Duration = Duration::from_secs(10);

/// An open (or reopening) live socket. Dropping it does not close it; call
/// [`LiveConnection::close`] when the page goes away.
pub struct LiveConnection {
    inner: Rc<Inner>,
}

struct Inner {
    /// The current socket with its handlers, detached when it is replaced
    /// or closed.
    socket: RefCell<Option<Attached<WebSocket>>>,
    closed_by_page: Cell<bool>,
    reconnect: Reconnect,
    on_event: Box<dyn Fn(LiveEvent)>,
    on_status: Box<dyn Fn(LinkStatus)>,
}

impl LiveConnection {
    pub fn open(on_event: impl Fn(LiveEvent) + 'static, on_status: impl Fn(LinkStatus) + 'static) -> Self {
        let inner = Rc::new(Inner {
            socket: RefCell::new(None),
            closed_by_page: Cell::new(false),
            reconnect: Reconnect::new(FIRST_RETRY, LONGEST_RETRY),
            on_event: Box::new(on_event),
            on_status: Box::new(on_status),
        });
        connect(&inner);
        LiveConnection { inner }
    }

    /// Closes the socket, or stops reconnecting. Its handlers are detached
    /// here, so the close event that follows finds none of them.
    pub fn close(&self) {
        self.inner.closed_by_page.set(true);
        self.inner.reconnect.cancel();
        if let Some(socket) = self.inner.socket.borrow_mut().take() {
            let _ = socket.close();
        }
    }
}

fn connect(inner: &Rc<Inner>) {
    if inner.closed_by_page.get() {
        return;
    }
    let Some(socket) = socket_url(LIVE_PATH).and_then(|url| WebSocket::new(&url).ok()) else {
        inner.reconnect.later(inner, connect);
        return;
    };
    let weak = Rc::downgrade(inner);
    let on_open = weak_handler(&weak, |inner, _| {
        inner.reconnect.succeeded();
        (inner.on_status)(LinkStatus::Connected);
    });
    let on_message = weak_handler(&weak, |inner, event| match message_json::<LiveEvent>(event) {
        Some(Ok(event)) => (inner.on_event)(event),
        other => leptos::logging::warn!("ignoring an unreadable live event: {other:?}"),
    });
    let on_close = weak_handler(&weak, |inner, _| {
        if !inner.closed_by_page.get() {
            (inner.on_status)(LinkStatus::Reconnecting);
            inner.reconnect.later(inner, connect);
        }
    });
    let socket = Attached::new(socket)
        .on(WebSocket::set_onopen, on_open)
        .on(WebSocket::set_onmessage, on_message)
        .on(WebSocket::set_onclose, on_close);
    *inner.socket.borrow_mut() = Some(socket);
}
