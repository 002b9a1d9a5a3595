//! Where one participant's signalling events go (their socket's writer),
//! and the alarm that ends their session. Everything in a call that tells
//! a participant something holds their mailbox: the peer, and the tracks
//! they publish (told which layers to send), which need nothing else of
//! the peer.

use anteroom_app::protocol::signal::{ParticipantId, SignalEvent};
use std::sync::Arc;
use tokio::sync::{Notify, mpsc};

/// Where a participant's signalling events go. It is bounded: a
/// participant whose browser stops reading fills it, and is then dropped
/// rather than allowed to grow the server's memory. Events are boxed: a
/// channel keeps its room in blocks of 32 of what it carries, and for the
/// event itself (about 100 bytes) that is 3 KB in every session.
pub type Outbox = mpsc::Sender<Box<SignalEvent>>;

/// Events that may wait for one participant's socket.
pub const OUTBOX_LIMIT: usize = 512;

pub struct Mailbox {
    participant: ParticipantId,
    outbox: Outbox,
    /// Rings when either link fails for good (the browser is gone or
    /// unreachable) or the browser stops reading its signalling socket:
    /// the session then ends and the browser, if alive, rejoins.
    failed: Notify,
}

impl Mailbox {
    pub fn new(participant: ParticipantId, outbox: Outbox) -> Arc<Self> {
        Arc::new(Mailbox { participant, outbox, failed: Notify::new() })
    }

    pub fn participant(&self) -> ParticipantId {
        self.participant
    }

    /// Queues `event`; a participant whose queue is full stopped reading,
    /// and is dropped.
    pub fn send(&self, event: SignalEvent) {
        match self.outbox.try_send(Box::new(event)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(participant = %self.participant, "dropping a participant who stopped reading");
                self.fail();
            }
            // Closed: the participant is leaving; nothing to do.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Queues `event` if there is room, and only then: for what a later
    /// event makes up for (an ICE candidate).
    pub fn send_if_room(&self, event: SignalEvent) {
        let _ = self.outbox.try_send(Box::new(event));
    }

    /// Ends the participant's session.
    pub fn fail(&self) {
        self.failed.notify_one();
    }

    /// Completes when the session must end (see `failed`).
    pub async fn failed(&self) {
        self.failed.notified().await
    }
}
