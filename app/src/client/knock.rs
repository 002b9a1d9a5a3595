//! The browser end of the guest socket: knocks once and hands every answer
//! to the page. It never reconnects: the knock lives with its socket, so a
//! lost connection means asking again, exactly as the members see it.

use crate::client::web::{Attached, message_json, socket_url, weak_handler};
use crate::protocol::guest::{GuestEvent, GuestRequest, guest_socket_path};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use web_sys::WebSocket;

/// An open knock. Closing it withdraws the knock, or leaves the room if the
/// guest was let in.
pub struct KnockConnection {
    inner: Rc<Inner>,
}

struct Inner {
    /// The socket with its handlers, until the page closes it (which
    /// detaches them).
    socket: RefCell<Option<Attached<WebSocket>>>,
    /// Set once the end is known (the page closed it, or the server gave a
    /// final answer), so the socket closing afterwards is not a loss.
    finished: Cell<bool>,
    on_event: Box<dyn Fn(GuestEvent)>,
    on_lost: Box<dyn Fn()>,
}

impl KnockConnection {
    /// Opens the guest socket for `invite` and knocks as `name` / `email`.
    /// `on_lost` runs if the connection drops before a final answer.
    pub fn open(
        invite: &str,
        knock: GuestRequest,
        on_event: impl Fn(GuestEvent) + 'static,
        on_lost: impl Fn() + 'static,
    ) -> Result<Self, String> {
        let url = socket_url(&guest_socket_path(invite)).ok_or("this page has no address to connect to")?;
        let socket = WebSocket::new(&url).map_err(crate::client::media::devices::describe)?;
        let knock = serde_json::to_string(&knock).map_err(|error| error.to_string())?;
        let inner = Rc::new(Inner {
            socket: RefCell::new(None),
            finished: Cell::new(false),
            on_event: Box::new(on_event),
            on_lost: Box::new(on_lost),
        });
        let weak = Rc::downgrade(&inner);
        let on_open = weak_handler(&weak, move |inner, _| {
            if let Some(socket) = inner.socket.borrow().as_ref() {
                let _ = socket.send_with_str(&knock);
            }
        });
        let on_message = weak_handler(&weak, |inner, event| match message_json::<GuestEvent>(event) {
            Some(Ok(event)) => {
                let last = matches!(event, GuestEvent::Denied | GuestEvent::Removed | GuestEvent::Refused { .. });
                inner.finished.set(inner.finished.get() || last);
                (inner.on_event)(event);
            }
            other => leptos::logging::warn!("ignoring an unreadable guest event: {other:?}"),
        });
        let on_close = weak_handler(&weak, |inner, _| {
            if !inner.finished.replace(true) {
                (inner.on_lost)();
            }
        });
        let socket = Attached::new(socket)
            .on(WebSocket::set_onopen, on_open)
            .on(WebSocket::set_onmessage, on_message)
            .on(WebSocket::set_onclose, on_close);
        *inner.socket.borrow_mut() = Some(socket);
        Ok(KnockConnection { inner })
    }

    /// Withdraws the knock (or leaves the room) on purpose. The socket's
    /// handlers are detached here, so the close event that follows finds
    /// none of them.
    pub fn close(&self) {
        self.inner.finished.set(true);
        if let Some(socket) = self.inner.socket.borrow_mut().take() {
            let _ = socket.close();
        }
    }
}
