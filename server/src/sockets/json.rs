//! Writing to every socket the same way: typed events as JSON text, pings,
//! and a deadline on each write, so a browser that stops reading (its TCP
//! window shut) costs one stuck write for [`WRITE_TIMEOUT`], then its
//! socket is dropped.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use std::time::Duration;

/// What each socket reads at a time. The library's default (128 KiB, held
/// for the socket's whole life) would make a thousand open pages cost
/// 125 MiB; our messages are small, and a larger one still arrives whole.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Bounds a socket before it opens: no message or frame larger than
/// `max_message_bytes` is read into memory (it is refused while reading),
/// and the read buffer stays small.
pub fn bounded(upgrade: WebSocketUpgrade, max_message_bytes: usize) -> WebSocketUpgrade {
    upgrade
        .max_message_size(max_message_bytes)
        .max_frame_size(max_message_bytes)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
}

/// Opens the socket with `serve`, counted among the server's open
/// sockets until `serve` returns (stopping waits for them).
pub fn open<F, Fut>(
    upgrade: WebSocketUpgrade,
    sockets: &tokio_util::task::TaskTracker,
    serve: F,
) -> axum::response::Response
where
    F: FnOnce(axum::extract::ws::WebSocket) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let open = sockets.token();
    upgrade.on_upgrade(move |socket| async move {
        serve(socket).await;
        drop(open);
    })
}

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

/// How long a closing socket waits for the browser's own close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Says goodbye: a close frame, then whatever the browser still sends is
/// read and dropped until its own close frame, for at most [`CLOSE_WAIT`].
/// Dropping a socket with unread data in it (a pong on its way) resets the
/// connection, and the browser may then lose the last messages sent to it,
/// such as why its call ended.
pub async fn close(socket: &mut WebSocket) {
    if !write(socket, Message::Close(None)).await {
        return;
    }
    let drained = async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(CLOSE_WAIT, drained).await;
}
