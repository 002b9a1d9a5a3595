//! Serving HTTP connections with bounds on what a client that connects and
//! then sends nothing (or half a request) can hold.
//!
//! `axum::serve` keeps such a connection forever and takes as many as come:
//! 1,500 idle connections from 16 loopback addresses held 1,541 descriptors
//! (issue 32). Here each connection must finish its request head within
//! [`HEADER_READ_TIMEOUT`], which hyper also starts while a kept-alive
//! connection waits for its next request, so an idle connection ends then;
//! each client address (IPv6 by /64) holds at most a share of connections
//! (websockets included: a connection counts until it closes) and the
//! server as many as its descriptors allow. A connection over either
//! cap is closed at once, before it costs a task: one flooding address does
//! not keep others from being served.
//!
//! HTTP/1.1 only, with upgrades (our websockets): browsers speak HTTP/2 only
//! over TLS, which a reverse proxy in front ends, and HTTP/2 in cleartext
//! would only be a way around the header timeout.
//!
//! Each request's body has a deadline too (`body_deadline`).
//!
//! Stopping stops accepting, asks each connection to finish its request in
//! flight and close, and waits up to [`DRAIN_WITHIN`] for them.

use anteroom_app::ssr::rate_limit::{Slot, Slots, client_key};
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How long a client has to send a request's head, and how long a
/// kept-alive connection may wait for its next request.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections one client address (IPv6 by /64) may hold at once: an
/// office behind one NAT address, each person with a few tabs (each tab a
/// live socket, perhaps a call, and a browser's six connections), fits;
/// one address cannot take all the server's descriptors.
pub const CONNECTIONS_PER_ADDRESS: usize = 1024;
/// Descriptors kept for everything but client connections (the database,
/// media sockets, mail, log files).
const RESERVED_DESCRIPTORS: u64 = 256;
/// How long stopping lets requests in flight finish.
const DRAIN_WITHIN: Duration = Duration::from_secs(10);

/// Raises the soft limit on open descriptors to the hard limit, and says
/// how many client connections fit under it.
pub fn raise_descriptor_limit() -> usize {
    let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap_or((1024, 1024));
    let limit = match rlimit::Resource::NOFILE.set(hard, hard) {
        Ok(()) => hard,
        Err(error) => {
            tracing::warn!(%error, soft, hard, "could not raise the open file limit");
            soft
        }
    };
    usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS).max(64)).unwrap_or(usize::MAX).min(1 << 20)
}

/// The caps every accepted connection is counted under.
pub struct ConnectionCaps {
    per_address: Slots<IpAddr>,
    total: Arc<Semaphore>,
}

impl ConnectionCaps {
    pub fn new(per_address: usize, total: usize) -> Self {
        ConnectionCaps { per_address: Slots::new(per_address), total: Arc::new(Semaphore::new(total)) }
    }
}

/// Serves `router` on `listener` until `signal` completes, then stops
/// accepting and lets the requests in flight finish (upgraded sockets are
/// ended by their own shutdown signal).
pub async fn serve(listener: TcpListener, router: Router, caps: ConnectionCaps, signal: impl Future<Output = ()>) {
    // hyper's own HTTP/1 server, not hyper-util's "auto" one: that one first
    // waits for the bytes that tell HTTP/1 from HTTP/2, with no timeout, even
    // when told to speak HTTP/1 only; a silent connection waited forever.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).keep_alive(true);
    let (stopping, stop_seen) = tokio::sync::watch::channel(false);
    let connections = tokio_util::task::TaskTracker::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    wait_after_accept_error(error).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let Some(address_slot) = caps.per_address.take(client_key(peer.ip())) else {
            tracing::debug!(address = %peer.ip(), "connection refused: too many from this address");
            continue;
        };
        let Ok(permit) = caps.total.clone().try_acquire_owned() else {
            tracing::warn!("connection refused: the server holds as many as it can");
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let upload = request.uri().path() == anteroom_app::model::UPLOAD_PATH;
            router.clone().oneshot(request.map(|body| {
                use super::body_deadline::Deadline;
                axum::body::Body::new(if upload { Deadline::for_upload(body) } else { Deadline::new(body) })
            }))
        });
        let stream = Counted { stream, _held: (address_slot, permit) };
        let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let mut stop_seen = stop_seen.clone();
        connections.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            // Errors here are the client's (a reset, a timeout): nothing to log.
            let stop = async move {
                let _ = stop_seen.wait_for(|stop| *stop).await;
            };
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stop => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    connections.close();
    if tokio::time::timeout(DRAIN_WITHIN, connections.wait()).await.is_err() {
        tracing::warn!("requests still in flight at shutdown: stopping anyway");
    }
}

/// Accept fails for two kinds of reason: the one connection (reset before
/// it was taken: go on at once) or the process (out of descriptors: wait a
/// little, or the loop would spin while connections close).
async fn wait_after_accept_error(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::warn!(%error, "could not accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A connection with its places under the caps, given back when it closes:
/// after its last request, or, for a websocket, when the socket ends (the
/// upgraded socket carries the connection on).
struct Counted {
    stream: tokio::net::TcpStream,
    _held: (Slot<IpAddr>, tokio::sync::OwnedSemaphorePermit),
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
