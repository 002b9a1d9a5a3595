//! How many bytes of incoming messages may be held in memory at once,
//! across all sessions: each message's buffer grows only while it can take
//! its share, so many large messages at once are told to retry later
//! instead of growing memory without bound. A message keeps its share
//! until it has been filed or refused, not just received: its bytes live
//! until then (and reading it, one message at a time, adds what its parse
//! takes; see `mail_in`).

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The unit the budget is counted in.
const CHUNK_BYTES: usize = 4096;

#[derive(Clone)]
pub struct MessageBudget {
    chunks: Arc<Semaphore>,
}

/// The part of the budget one message holds; given back when dropped.
pub struct Held {
    chunks: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
}

impl MessageBudget {
    pub fn new(bytes: usize) -> Self {
        MessageBudget { chunks: Arc::new(Semaphore::new(bytes.div_ceil(CHUNK_BYTES))) }
    }

    /// An empty holding, to grow as a message arrives.
    pub fn hold(&self) -> Held {
        Held { chunks: self.chunks.clone(), permit: None }
    }
}

impl Held {
    /// Makes sure `bytes` are covered; false when the budget has run out.
    pub fn cover(&mut self, bytes: usize) -> bool {
        let held = self.permit.as_ref().map_or(0, |permit| permit.num_permits());
        let needed = bytes.div_ceil(CHUNK_BYTES).saturating_sub(held);
        if needed == 0 {
            return true;
        }
        let Ok(more) = self.chunks.clone().try_acquire_many_owned(needed as u32) else { return false };
        match &mut self.permit {
            Some(permit) => permit.merge(more),
            None => self.permit = Some(more),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_share_the_budget_and_give_it_back() {
        let budget = MessageBudget::new(10 * CHUNK_BYTES);
        let mut first = budget.hold();
        assert!(first.cover(6 * CHUNK_BYTES));
        let mut second = budget.hold();
        assert!(!second.cover(5 * CHUNK_BYTES), "only 4 chunks are left");
        assert!(second.cover(4 * CHUNK_BYTES));
        drop(first);
        assert!(second.cover(10 * CHUNK_BYTES), "a finished message gives its share back");
    }
}
