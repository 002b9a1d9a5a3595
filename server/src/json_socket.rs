//! Writing to every socket the same way: typed events as JSON text, pings,
//! and a deadline on each write, so a browser that stops reading (its TCP
//! window shut) costs one stuck write for [`WRITE_TIMEOUT`], then its
//! socket is dropped.

use axum::extract::ws::{Message, WebSocket};
use std::time::Duration;

/// How long one write may wait for the browser to take it.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Writes one message; false when the socket is gone or did not take it in time.
async fn write(socket: &mut WebSocket, message: Message) -> bool {
    matches!(tokio::time::timeout(WRITE_TIMEOUT, socket.send(message)).await, Ok(Ok(())))
}

/// Sends one event; false when the socket is gone or stopped reading.
pub async fn send(socket: &mut WebSocket, event: &impl serde::Serialize) -> bool {
    match serde_json::to_string(event) {
        Ok(text) => write(socket, Message::Text(text.into())).await,
        Err(error) => {
            tracing::error!(%error, "could not encode a socket event");
            true
        }
    }
}

/// Pings the browser; false when the socket is gone or stopped reading.
pub async fn ping(socket: &mut WebSocket) -> bool {
    write(socket, Message::Ping(Default::default())).await
}

/// Says goodbye (a close frame), waiting no longer than any other write.
pub async fn close(socket: &mut WebSocket) {
    write(socket, Message::Close(None)).await;
}
