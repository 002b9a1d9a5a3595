//! Sending typed events as JSON text, the same way on every socket.

use axum::extract::ws::{Message, WebSocket};

/// Sends one event; false when the socket is gone.
pub async fn send(socket: &mut WebSocket, event: &impl serde::Serialize) -> bool {
    match serde_json::to_string(event) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(error) => {
            tracing::error!(%error, "could not encode a socket event");
            true
        }
    }
}
