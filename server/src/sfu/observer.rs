//! What leaves the media plane besides media: the SFU tells an observer
//! who joined and left each call and what was said in its chat, and hands
//! it a packet tap on each microphone while the call is transcribed. What
//! the observer does with it (call records, recordings on disk, notes) is
//! the control plane's business: the SFU neither waits on a database nor
//! writes a file on a call's media worker.

use super::ticket::Holder;
use anteroom_app::model::ConferenceId;
use anteroom_app::protocol::signal::{ChatMessage, ParticipantId};
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;
use webrtc::rtp::packet::Packet;

/// Hears about every call as it starts.
#[async_trait]
pub trait CallObserver: Send + Sync {
    /// A call starts (its first participant arrives): what watches it, and
    /// whether its microphones are tapped from the start. None: nothing is
    /// kept of this call (a room's).
    async fn call_started(&self, conference: ConferenceId) -> Option<(Arc<dyn CallWatch>, bool)>;
}

/// Watches one call from its first arrival to its end.
#[async_trait]
pub trait CallWatch: Send + Sync {
    async fn joined(&self, participant: ParticipantId, holder: &Holder);
    /// `removed`: the control plane put them out (a guest removed by a member).
    async fn left(&self, participant: ParticipantId, removed: bool);
    async fn chat(&self, message: &ChatMessage);
    /// Transcription was turned on during the call.
    async fn transcription_on(&self);
    /// A tap for `owner`'s microphone (track `track`), None if none can be
    /// made (the recording's file could not be created).
    async fn tap_microphone(&self, owner: ParticipantId, track: u64) -> Option<PacketTap>;
    /// Everyone left; the taps are closed. Returns once what the call
    /// left behind (its recordings' files) is complete.
    async fn ended(&self);
}

/// Packets a tap holds for its reader: about 10 s of speech (50 packets a
/// second). A reader further behind than that loses packets, never the
/// forwarding path its time.
pub const TAP_QUEUE: usize = 512;

/// A copy of one track's packets, for a reader outside the media plane.
/// Offering a packet never waits: when the reader is behind, the packet is
/// dropped and counted.
pub struct PacketTap {
    packets: mpsc::Sender<Packet>,
    dropped: Arc<AtomicU64>,
}

/// The reading end of a tap, and how many packets it missed.
pub struct TapReader {
    pub packets: mpsc::Receiver<Packet>,
    pub dropped: Arc<AtomicU64>,
}

impl PacketTap {
    pub fn new() -> (PacketTap, TapReader) {
        let (packets, received) = mpsc::channel(TAP_QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        (PacketTap { packets, dropped: dropped.clone() }, TapReader { packets: received, dropped })
    }

    /// A copy of `packet` for the reader, unless it is behind.
    pub fn offer(&self, packet: &Packet) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.packets.try_send(packet.clone()) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_that_falls_behind_loses_packets_and_they_are_counted() {
        let (tap, mut reader) = PacketTap::new();
        for _ in 0..TAP_QUEUE + 5 {
            tap.offer(&Packet::default());
        }
        assert_eq!(reader.dropped.load(Ordering::Relaxed), 5);
        let mut read = 0;
        while reader.packets.try_recv().is_ok() {
            read += 1;
        }
        assert_eq!(read, TAP_QUEUE);
        drop(tap);
        assert!(reader.packets.try_recv().is_err(), "the tap closed");
    }
}
