//! Password hashing with argon2id (the `argon2` crate's defaults, OWASP's
//! recommended parameters). Hashing is slow on purpose and needs 19 MiB of
//! working memory, so it runs on one dedicated thread: it never stalls the
//! async workers, a burst of sign-ins cannot take every core, and the
//! allocator keeps one 19 MiB arena instead of one per blocking thread
//! (and hands it back after each hash, see [`release_memory_after_each_hash`]).
//! Its queue is bounded: past [`QUEUE_LIMIT`] waiting jobs a sign-in fails
//! at once with [`AppError::Busy`] instead of piling up memory and latency,
//! and the last [`KEPT_FOR_KNOWN`] places are kept for browsers the server
//! knows: a flood of strangers' attempts (48 at once gave 15 × 503) does not
//! keep a member's own laptop from signing in.

use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

type Job = Box<dyn FnOnce() + Send>;

/// Hashing jobs that may wait at once (about 30 ms each): a second's work.
pub const QUEUE_LIMIT: usize = 32;
/// Places in the queue only [`Queue::Known`] jobs may take.
pub const KEPT_FOR_KNOWN: usize = 8;

/// Whose hash a job is: a browser the server knows (one that signed in to
/// the account before, or a signed-in member) or anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Known,
    Anyone,
}

/// Hands the hashing thread's freed memory back to the system, set by the
/// server for its allocator. Without it the 19 MiB working memory of the
/// last hash stayed with the idle thread for good.
static RELEASE_MEMORY: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Has the hashing thread call `release` after every hash.
pub fn release_memory_after_each_hash(release: fn()) {
    let _ = RELEASE_MEMORY.set(release);
}

/// The thread that hashes, and its bounded queue of jobs.
struct HashingThread {
    jobs: std::sync::mpsc::SyncSender<Job>,
    /// Jobs queued and not yet started.
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    limit: usize,
    kept_for_known: usize,
}

impl HashingThread {
    fn start(limit: usize, kept_for_known: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(limit);
        let waiting = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        std::thread::Builder::new()
            .name("password-hashing".into())
            .spawn(move || {
                for job in queue {
                    job();
                    if let Some(release) = RELEASE_MEMORY.get() {
                        release();
                    }
                }
            })
            .expect("the password hashing thread starts");
        HashingThread { jobs, waiting, limit, kept_for_known: kept_for_known.min(limit) }
    }

    /// The one thread every server function shares.
    fn shared() -> &'static HashingThread {
        static SHARED: std::sync::OnceLock<HashingThread> = std::sync::OnceLock::new();
        SHARED.get_or_init(|| HashingThread::start(QUEUE_LIMIT, KEPT_FOR_KNOWN))
    }

    /// Queues `work`, or refuses at once with `Busy` when the queue is full
    /// (for `Anyone`, when only the places kept for known browsers are left).
    fn submit<T: Send + 'static>(
        &self,
        queue: Queue,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<T>, AppError> {
        use std::sync::atomic::Ordering;
        let room = match queue {
            Queue::Known => self.limit,
            Queue::Anyone => self.limit - self.kept_for_known,
        };
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= room {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(AppError::Busy);
        }
        let (done, result) = tokio::sync::oneshot::channel();
        let waiting = self.waiting.clone();
        let job: Job = Box::new(move || {
            waiting.fetch_sub(1, Ordering::AcqRel);
            let _ = done.send(work());
        });
        self.jobs.try_send(job).map_err(|error| {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            match error {
                std::sync::mpsc::TrySendError::Full(_) => AppError::Busy,
                std::sync::mpsc::TrySendError::Disconnected(_) => AppError::Internal,
            }
        })?;
        Ok(result)
    }
}

/// Runs `work` on the shared hashing thread and waits for its result.
async fn on_hashing_thread<T: Send + 'static>(
    queue: Queue,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    HashingThread::shared().submit(queue, work)?.await.map_err(|_| {
        tracing::error!("the password hashing thread is gone");
        AppError::Internal
    })
}

pub async fn hash(password: String) -> Result<String, AppError> {
    on_hashing_thread(Queue::Anyone, move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string())
    })
    .await?
    .map_err(|error| {
        tracing::error!(%error, "password hashing failed");
        AppError::Internal
    })
}

/// Checks `password` against the stored hash of the account, or, when there
/// is no such account (`None`), against one throwaway hash made at first
/// use: either way exactly one verification runs, so the answer takes as
/// long for an unknown email as for a known one and does not tell who has
/// an account.
pub async fn verify_for_account(password: String, stored: Option<String>, queue: Queue) -> Result<bool, AppError> {
    static THROWAWAY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let known = stored.is_some();
    let hash = match stored {
        Some(hash) => hash,
        None => THROWAWAY.get_or_try_init(|| hash("not a real password".into())).await?.clone(),
    };
    Ok(verify(password, hash, queue).await? && known)
}

/// True when `password` matches the stored `hash`. A malformed stored hash
/// counts as no match (and is logged), never as a panic.
pub async fn verify(password: String, hash: String, queue: Queue) -> Result<bool, AppError> {
    on_hashing_thread(queue, move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(error) => {
            tracing::error!(%error, "stored password hash is malformed");
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let stored = hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert_eq!(verify("correct horse".into(), stored.clone(), Queue::Anyone).await, Ok(true));
        assert_eq!(verify("wrong horse".into(), stored.clone(), Queue::Anyone).await, Ok(false));
        assert_eq!(verify("anything".into(), "not a hash".into(), Queue::Known).await, Ok(false));
        assert_eq!(verify_for_account("correct horse".into(), Some(stored), Queue::Anyone).await, Ok(true));
        // The throwaway hash never lets anyone in, even with its own password.
        assert_eq!(verify_for_account("not a real password".into(), None, Queue::Anyone).await, Ok(false));
    }

    #[tokio::test]
    async fn a_full_queue_fails_fast_with_busy_and_runs_what_it_took() {
        let thread = HashingThread::start(1, 0);
        // The first job holds the thread until the test lets it go.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let first = thread.submit(Queue::Anyone, move || gate.recv().is_ok()).unwrap();
        // With the thread held, at most one more job fits in the queue.
        let more: Vec<_> = (0..3).map(|n| thread.submit(Queue::Anyone, move || n)).collect();
        assert!(more.iter().any(|r| matches!(r, Err(AppError::Busy))), "a full queue refuses at once");
        release.send(()).unwrap();
        assert!(first.await.unwrap());
        for queued in more.into_iter().flatten() {
            assert!(queued.await.is_ok(), "what was queued still runs");
        }
    }

    #[tokio::test]
    async fn strangers_leave_the_last_places_to_known_browsers() {
        let thread = HashingThread::start(4, 2);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let first = thread
            .submit(Queue::Anyone, move || {
                started.send(()).unwrap();
                gate.recv().is_ok()
            })
            .unwrap();
        running.recv().unwrap();
        // The thread is busy; two strangers' jobs wait, the third is refused.
        let strangers: Vec<_> = (0..3).map(|n| thread.submit(Queue::Anyone, move || n)).collect();
        assert!(strangers[..2].iter().all(Result::is_ok));
        assert!(matches!(strangers[2], Err(AppError::Busy)));
        // A known browser still gets one of the two places kept.
        let known: Vec<_> = (0..3).map(|n| thread.submit(Queue::Known, move || n)).collect();
        assert!(known[..2].iter().all(Result::is_ok), "the kept places");
        assert!(matches!(known[2], Err(AppError::Busy)), "the queue is bounded all the same");
        release.send(()).unwrap();
        assert!(first.await.unwrap());
        for queued in strangers.into_iter().chain(known).flatten() {
            assert!(queued.await.is_ok());
        }
    }
}
