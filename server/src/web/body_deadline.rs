//! A request's body must have arrived [`BODY_READ_TIMEOUT`] after its
//! head. The head has its own timeout (`connections`), but a client that
//! sends a head announcing a body and then a byte now and then (or none)
//! held its connection and the handler waiting on it for as long as it
//! liked (issue 32, 3). The deadline is for the whole body, not between
//! its pieces, so trickling does not reset it. Server functions take 2
//! MiB at most; a file upload may be gigabytes on a slow link, so its
//! deadline moves on with each piece by what that piece is worth at
//! [`MIN_UPLOAD_RATE`]: an upload slower than that on average fails. Time
//! earned is never more than [`BODY_READ_TIMEOUT`] ahead, so a client that
//! sends fast and then stops is let go as soon as one that never sent.

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// How long a client has to send a request's body once its head is in.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The slowest average rate an upload may keep up, in bytes per second,
/// after [`BODY_READ_TIMEOUT`] of grace: 16 KiB/s, slower than any link
/// people still upload files over.
pub const MIN_UPLOAD_RATE: u64 = 16 * 1024;

/// `inner`, failing once its deadline has passed.
pub struct Deadline<B> {
    inner: B,
    due: Instant,
    /// Bytes per second that move the deadline on (uploads), if any.
    rate: Option<u64>,
    /// Made the first time the body is waited for: most bodies are empty
    /// or already in, and never need a timer.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> Deadline<B> {
    /// `inner`, due [`BODY_READ_TIMEOUT`] from now.
    pub fn new(inner: B) -> Self {
        Deadline { inner, due: Instant::now() + BODY_READ_TIMEOUT, rate: None, timer: None }
    }

    /// `inner`, an upload: due [`BODY_READ_TIMEOUT`] from now plus the
    /// time its bytes take at [`MIN_UPLOAD_RATE`], as they arrive.
    pub fn for_upload(inner: B) -> Self {
        Deadline { rate: Some(MIN_UPLOAD_RATE), ..Self::new(inner) }
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
            if let (Some(rate), Some(Ok(frame))) = (this.rate, &frame)
                && let Some(data) = frame.data_ref()
            {
                let earned = this.due + Duration::from_secs_f64(data.len() as f64 / rate as f64);
                this.due = earned.min(Instant::now() + BODY_READ_TIMEOUT);
                if let Some(timer) = this.timer.as_mut() {
                    timer.as_mut().reset(this.due);
                }
            }
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

    /// 64 KiB every 2 s (32 KiB/s): long past the plain deadline, but
    /// above the upload rate, so it is read whole; at 8 KiB/s it fails.
    #[tokio::test(start_paused = true)]
    async fn an_upload_may_take_as_long_as_its_bytes_are_worth_at_the_minimum_rate() {
        fn steady(
            pieces: usize,
            every: Duration,
        ) -> impl http_body::Body<Data = Bytes, Error = std::convert::Infallible> + Unpin {
            let stream = futures::stream::unfold(0, move |n| async move {
                if n == pieces {
                    return None;
                }
                tokio::time::sleep(every).await;
                Some((Ok(Frame::data(Bytes::from(vec![0u8; 64 * 1024]))), n + 1))
            });
            StreamBody::new(Box::pin(stream))
        }
        let started = Instant::now();
        let read = Deadline::for_upload(steady(40, Duration::from_secs(2))).collect().await.unwrap();
        assert_eq!(read.to_bytes().len(), 40 * 64 * 1024);
        assert!(started.elapsed() > BODY_READ_TIMEOUT * 2);
        let error = Deadline::for_upload(steady(40, Duration::from_secs(8))).collect().await.unwrap_err();
        assert!(error.is::<BodyTooSlow>(), "{error}");
        // Fast, then silent: time earned does not pile up past the timeout.
        let burst_then_stall = futures::stream::unfold(0, |n| async move {
            if n == 100 {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Some((Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from(vec![0u8; 64 * 1024]))), n + 1))
        });
        let started = Instant::now();
        let error = Deadline::for_upload(StreamBody::new(Box::pin(burst_then_stall))).collect().await.unwrap_err();
        assert!(error.is::<BodyTooSlow>(), "{error}");
        assert_eq!(started.elapsed(), BODY_READ_TIMEOUT, "let go 30 s after its last byte");
    }
}
