//! Media workers: one single-threaded runtime per core, each call placed on
//! one of them, as mediasoup does.
//!
//! Why: every forwarded packet passes through several of the `webrtc`
//! crate's tasks (reading, decrypting, our forwarding loop). On a
//! work-stealing runtime each of those wake-ups may hop to another thread,
//! and waking and parking threads cost a sixth to a fifth of the server's
//! time (BENCHMARKS.md, "One runtime thread or two"). A call's peer
//! connections are created on its worker, so the crate's tasks are spawned
//! there too and the call's packets stay on one thread, while different
//! calls still use every core.
//!
//! The shared media socket is read on the first worker, so a call there
//! never crosses threads at all (and one on another worker crosses once, as
//! its packets are handed over from the socket). The signalling sessions
//! and the database stay on the main runtime; a session runs what touches
//! WebRTC on its call's worker through [`Worker::run`].

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// The pool: a runtime thread per core, ended when the pool is dropped.
pub(super) struct Workers {
    slots: Vec<Slot>,
}

/// One worker thread's runtime, and how many calls it has.
struct Slot {
    handle: Handle,
    calls: Arc<AtomicUsize>,
    /// Dropped with the pool: the thread's runtime then stops, ending the
    /// tasks still on it.
    _stop: oneshot::Sender<()>,
}

/// One worker, as a call holds it. While held, it counts as a call on
/// that worker (new calls go to the worker with the fewest).
pub(super) struct Worker {
    handle: Handle,
    calls: Arc<AtomicUsize>,
}

impl Workers {
    /// Starts `count` workers (at least one).
    pub fn start(count: usize) -> std::io::Result<Self> {
        let mut slots = Vec::new();
        for index in 0..count.max(1) {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let handle = runtime.handle().clone();
            let (stop_sender, stopped) = oneshot::channel::<()>();
            std::thread::Builder::new().name(format!("media-{index}")).spawn(move || {
                // Either a send or the sender's drop ends the wait.
                let _ = runtime.block_on(stopped);
            })?;
            slots.push(Slot { handle, calls: Arc::new(AtomicUsize::new(0)), _stop: stop_sender });
        }
        Ok(Workers { slots })
    }

    /// One worker per core this process may use.
    pub fn per_core() -> std::io::Result<Self> {
        Self::start(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// The worker with the fewest calls, for a new call.
    pub fn place_call(&self) -> Worker {
        // Ties go to the first worker, where the media socket is read.
        let least = self
            .slots
            .iter()
            .min_by_key(|slot| slot.calls.load(Ordering::Relaxed))
            .expect("the pool has at least one worker");
        least.calls.fetch_add(1, Ordering::Relaxed);
        Worker { handle: least.handle.clone(), calls: least.calls.clone() }
    }

    /// Runs `work` on the first worker: where the shared media socket is
    /// opened and read, so that its readiness wakes that worker directly.
    pub fn run_on_first<T: Send + 'static, F: Future<Output = T> + Send + 'static>(
        &self,
        work: F,
    ) -> impl Future<Output = T> + use<T, F> {
        run_on(&self.slots[0].handle, work)
    }
}

impl Worker {
    /// Runs `work` on this worker; the result is its outcome. Whatever it
    /// spawns (the `webrtc` crate's tasks among them) runs on this worker.
    pub fn run<T: Send + 'static, F: Future<Output = T> + Send + 'static>(
        &self,
        work: F,
    ) -> impl Future<Output = T> + use<T, F> {
        run_on(&self.handle, work)
    }
}

/// Spawns `work` at once, not when the returned future is first polled:
/// the caller's own future then holds a task handle, not `work` itself. A
/// participant's session awaits joining, each message and leaving this
/// way, and holding those futures (several KB of the WebRTC stack's each)
/// would make every session that much bigger for its whole life.
fn run_on<T: Send + 'static, F: Future<Output = T> + Send + 'static>(
    handle: &Handle,
    work: F,
) -> impl Future<Output = T> + use<T, F> {
    let task = handle.spawn(work);
    async move {
        match task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // A runtime is only stopped by dropping the pool, which the server
            // holds as long as anyone can call this.
            Err(error) => panic!("a media worker stopped while the server was using it: {error}"),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.calls.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_runs_on_its_worker_thread_and_new_calls_go_to_the_least_busy() {
        let workers = Workers::start(2).expect("workers start");
        let first = workers.place_call();
        let second = workers.place_call();
        let thread_of = |worker: &Worker| {
            let handle = worker.handle.clone();
            async move {
                handle
                    .spawn(async { tokio::spawn(async { std::thread::current().name().map(str::to_owned) }).await })
                    .await
                    .expect("ran")
                    .expect("spawned task ran")
            }
        };
        let (on_first, on_second) = (thread_of(&first).await, thread_of(&second).await);
        assert!(on_first.as_deref().is_some_and(|name| name.starts_with("media-")), "{on_first:?}");
        assert_ne!(on_first, on_second, "two calls on an idle pool share a worker");
        assert_eq!(first.run(async { std::thread::current().name().map(str::to_owned) }).await, on_first);

        drop(first);
        let third = workers.place_call();
        assert_eq!(thread_of(&third).await, on_first, "the worker whose call ended is the least busy");
    }

    #[tokio::test]
    async fn work_is_handed_to_the_worker_at_once_so_the_caller_holds_only_a_handle() {
        let workers = Workers::start(1).expect("workers start");
        let worker = workers.place_call();
        let (started, has_started) = tokio::sync::oneshot::channel();
        let big = [7u8; 8192];
        let work = async move {
            let _ = started.send(());
            tokio::task::yield_now().await;
            big.iter().map(|&byte| u64::from(byte)).sum::<u64>()
        };
        let outcome = worker.run(work);
        assert!(std::mem::size_of_val(&outcome) < 256, "the caller holds {} bytes", std::mem::size_of_val(&outcome));
        has_started.await.expect("the work runs before its outcome is awaited");
        assert_eq!(outcome.await, 7 * 8192);
    }
}
