//! The browser end of the live-event socket: connects, hands every event to
//! the page, and reconnects with backoff when the connection drops (the
//! server sends a fresh snapshot on every connection, so nothing is missed).

use crate::protocol::{LIVE_PATH, LiveEvent};
use crate::web::{Handler, message_json, socket_url, weak_handler};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use web_sys::WebSocket;

/// Whether the page currently hears live events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Connected,
    Reconnecting,
}

const FIRST_RETRY: Duration = Duration::from_millis(300);
const LONGEST_RETRY: Duration = Duration::from_secs(10);

/// An open (or reopening) live socket. Dropping it does not close it; call
/// [`LiveConnection::close`] when the page goes away.
pub struct LiveConnection {
    inner: Rc<Inner>,
}

struct Inner {
    socket: RefCell<Option<WebSocket>>,
    /// Kept alive as long as the socket they are attached to.
    handlers: RefCell<Vec<Handler>>,
    closed_by_page: Cell<bool>,
    failed_attempts: Cell<u32>,
    on_event: Box<dyn Fn(LiveEvent)>,
    on_status: Box<dyn Fn(LinkStatus)>,
}

impl LiveConnection {
    pub fn open(on_event: impl Fn(LiveEvent) + 'static, on_status: impl Fn(LinkStatus) + 'static) -> Self {
        let inner = Rc::new(Inner {
            socket: RefCell::new(None),
            handlers: RefCell::new(Vec::new()),
            closed_by_page: Cell::new(false),
            failed_attempts: Cell::new(0),
            on_event: Box::new(on_event),
            on_status: Box::new(on_status),
        });
        connect(&inner);
        LiveConnection { inner }
    }

    pub fn close(&self) {
        self.inner.closed_by_page.set(true);
        if let Some(socket) = self.inner.socket.borrow_mut().take() {
            let _ = socket.close();
        }
        self.inner.handlers.borrow_mut().clear();
    }
}

fn connect(inner: &Rc<Inner>) {
    if inner.closed_by_page.get() {
        return;
    }
    let Some(socket) = socket_url(LIVE_PATH).and_then(|url| WebSocket::new(&url).ok()) else {
        retry_later(inner);
        return;
    };
    let weak = Rc::downgrade(inner);
    let on_open = weak_handler(&weak, |inner, _| {
        inner.failed_attempts.set(0);
        (inner.on_status)(LinkStatus::Connected);
    });
    let on_message = weak_handler(&weak, |inner, event| match message_json::<LiveEvent>(event) {
        Some(Ok(event)) => (inner.on_event)(event),
        other => leptos::logging::warn!("ignoring an unreadable live event: {other:?}"),
    });
    let on_close = weak_handler(&weak, |inner, _| {
        if !inner.closed_by_page.get() {
            (inner.on_status)(LinkStatus::Reconnecting);
            retry_later(inner);
        }
    });
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    *inner.handlers.borrow_mut() = vec![on_open, on_message, on_close];
    *inner.socket.borrow_mut() = Some(socket);
}

/// Backs off 0.3 s, 0.6 s, 1.2 s ... up to 10 s between attempts.
fn retry_later(inner: &Rc<Inner>) {
    crate::web::retry_later(inner, &inner.failed_attempts, (FIRST_RETRY, LONGEST_RETRY), connect);
}
