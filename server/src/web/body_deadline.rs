//! A request's body must have arrived [`BODY_READ_TIMEOUT`] after its
//! head. The head has its own timeout (`connections`), but a client that
//! sends a head announcing a body and then a byte now and then (or none)
//! held its connection and the handler waiting on it for as long as it
//! liked (issue 32, 3). The deadline is for the whole body, not between
//! its pieces, so trickling does not reset it. Bodies are small today
//! (server functions take 2 MiB at most); uploads of files will want a
//! minimum rate instead.

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// How long a client has to send a request's body once its head is in.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// `inner`, failing once its deadline has passed.
pub struct Deadline<B> {
    inner: B,
    due: Instant,
    /// Made the first time the body is waited for: most bodies are empty
    /// or already in, and never need a timer.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> Deadline<B> {
    /// `inner`, due [`BODY_READ_TIMEOUT`] from now.
    pub fn new(inner: B) -> Self {
        Deadline { inner, due: Instant::now() + BODY_READ_TIMEOUT, timer: None }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the request's body did not arrive within {} seconds", BODY_READ_TIMEOUT.as_secs())]
pub struct BodyTooSlow;

impl<B> Body for Deadline<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        let due = this.due;
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyTooSlow.into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, StreamBody};

    #[tokio::test(start_paused = true)]
    async fn a_body_that_trickles_fails_at_its_deadline_and_one_on_time_is_read_whole() {
        // One byte every ten seconds: each piece is in time, the whole is not.
        let trickle = futures::stream::unfold(0, |n| async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Some((Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(b"x"))), n + 1))
        });
        let started = Instant::now();
        let error = Deadline::new(StreamBody::new(Box::pin(trickle))).collect().await.unwrap_err();
        assert!(error.is::<BodyTooSlow>(), "{error}");
        assert_eq!(started.elapsed(), BODY_READ_TIMEOUT);

        let whole = Deadline::new(http_body_util::Full::new(Bytes::from_static(b"{}"))).collect().await.unwrap();
        assert_eq!(whole.to_bytes(), Bytes::from_static(b"{}"));
    }
}
