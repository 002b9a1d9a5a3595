//! The browser end of the guest socket: knocks once and hands every answer
//! to the page. It never reconnects: the knock lives with its socket, so a
//! lost connection means asking again, exactly as the members see it.

use crate::protocol::guest::{GuestEvent, GuestRequest, guest_socket_path};
use crate::web::{Handler, message_json, socket_url, weak_handler};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::WebSocket;

/// An open knock. Closing it withdraws the knock, or leaves the room if the
/// guest was let in.
pub struct KnockConnection {
    inner: Rc<Inner>,
}

struct Inner {
    socket: WebSocket,
    /// Kept alive as long as the socket they are attached to.
    handlers: RefCell<Vec<Handler>>,
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
        let socket = WebSocket::new(&url).map_err(crate::media::devices::describe)?;
        let knock = serde_json::to_string(&knock).map_err(|error| error.to_string())?;
        let inner = Rc::new(Inner {
            socket: socket.clone(),
            handlers: RefCell::new(Vec::new()),
            finished: Cell::new(false),
            on_event: Box::new(on_event),
            on_lost: Box::new(on_lost),
        });
        let weak = Rc::downgrade(&inner);
        let on_open = weak_handler(&weak, move |inner, _| {
            let _ = inner.socket.send_with_str(&knock);
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
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *inner.handlers.borrow_mut() = vec![on_open, on_message, on_close];
        Ok(KnockConnection { inner })
    }

    /// Withdraws the knock (or leaves the room) on purpose.
    pub fn close(&self) {
        self.inner.finished.set(true);
        let _ = self.inner.socket.close();
        self.inner.handlers.borrow_mut().clear();
    }
}
