//! The hot path: read a publisher's RTP, forward it to every subscriber of
//! the track, and relay keyframe requests the other way.

use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtp::packet::Packet;
use webrtc::track::track_local::TrackLocalWriter;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;
use webrtc::track::track_remote::TrackRemote;

/// Keyframes are expensive: however many subscribers ask, the publisher is
/// asked at most this often.
const KEYFRAME_INTERVAL: Duration = Duration::from_millis(500);

/// Rewrites a publisher's packets for forwarding: drops padding-only packets
/// (Chromium's bandwidth probes; forwarding them wastes every subscriber's
/// bandwidth) and shifts sequence numbers so subscribers see no gap where
/// they were, and so never ask for them again.
#[derive(Debug, Default)]
pub struct Rewriter {
    dropped: u16,
}

impl Rewriter {
    /// The packet to forward, or None to drop it.
    pub fn rewrite(&mut self, mut packet: Packet) -> Option<Packet> {
        if packet.payload.is_empty() {
            self.dropped = self.dropped.wrapping_add(1);
            return None;
        }
        packet.header.sequence_number = packet.header.sequence_number.wrapping_sub(self.dropped);
        // Header extension ids were negotiated with the publisher, not with
        // each subscriber: forwarding them could mislabel data.
        packet.header.extension = false;
        packet.header.extension_profile = 0;
        packet.header.extensions.clear();
        packet.header.padding = false;
        Some(packet)
    }
}

/// Forwards until the publisher's track ends. Errors writing to one
/// subscriber never stop the others.
pub async fn forward(remote: Arc<TrackRemote>, local: Arc<TrackLocalStaticRTP>) {
    let mut buffer = vec![0u8; 1500];
    let mut rewriter = Rewriter::default();
    while let Ok((packet, _)) = remote.read(&mut buffer).await {
        if let Some(packet) = rewriter.rewrite(packet)
            && let Err(error) = local.write_rtp(&packet).await
        {
            tracing::trace!(%error, "a subscriber could not take a packet");
        }
    }
}

/// Sends keyframe requests (PLI) to the publisher, paced, until every
/// sender of requests is gone or the publisher's connection is.
pub async fn relay_keyframe_requests(
    publisher: Weak<RTCPeerConnection>,
    media_ssrc: u32,
    requests: mpsc::Receiver<()>,
) {
    pace_keyframe_requests(requests, || {
        let publisher = publisher.upgrade();
        async move {
            let Some(publisher) = publisher else { return false };
            let pli = PictureLossIndication { sender_ssrc: 0, media_ssrc };
            if let Err(error) = publisher.write_rtcp(&[Box::new(pli)]).await {
                tracing::debug!(%error, "could not ask the publisher for a keyframe");
            }
            true
        }
    })
    .await;
}

/// Calls `ask` once per request, at most once per `KEYFRAME_INTERVAL`,
/// until the requests end or `ask` says the publisher is gone. A request
/// that comes sooner is held until the interval is over, never dropped:
/// dropping it would leave a new subscriber looking at a frozen tile until
/// its browser asked again. Requests that pile up meanwhile are all
/// answered by that one keyframe.
async fn pace_keyframe_requests<Asked: Future<Output = bool>>(
    mut requests: mpsc::Receiver<()>,
    mut ask: impl FnMut() -> Asked,
) {
    let mut last: Option<Instant> = None;
    while requests.recv().await.is_some() {
        if let Some(at) = last {
            tokio::time::sleep_until(at + KEYFRAME_INTERVAL).await;
        }
        while requests.try_recv().is_ok() {}
        last = Some(Instant::now());
        if !ask().await {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn packet(sequence_number: u16, payload: &'static [u8]) -> Packet {
        let mut packet = Packet::default();
        packet.header.sequence_number = sequence_number;
        packet.header.extension = true;
        packet.payload = Bytes::from_static(payload);
        packet
    }

    #[test]
    fn padding_is_dropped_and_sequence_numbers_close_the_gap() {
        let mut rewriter = Rewriter::default();
        let forwarded: Vec<u16> = [(65534, &b"a"[..]), (65535, b""), (0, b"b"), (1, b""), (2, b""), (3, b"c")]
            .into_iter()
            .filter_map(|(seq, payload)| rewriter.rewrite(packet(seq, payload)))
            .map(|p| p.header.sequence_number)
            .collect();
        assert_eq!(forwarded, [65534, 65535, 0], "consecutive across the wrap, padding gone");
    }

    #[test]
    fn publisher_header_extensions_are_not_forwarded() {
        let out = Rewriter::default().rewrite(packet(7, b"x")).unwrap();
        assert!(!out.header.extension && out.header.extensions.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn keyframe_requests_are_paced_and_none_is_lost() {
        let (requests, receiver) = mpsc::channel(8);
        let start = Instant::now();
        let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = asked.clone();
        let relay = tokio::spawn(pace_keyframe_requests(receiver, move || {
            log.lock().unwrap().push(start.elapsed());
            async { true }
        }));
        // One at once; three more within the interval are held, then
        // answered together by one keyframe when the interval ends.
        for _ in 0..4 {
            requests.send(()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(requests);
        relay.await.unwrap();
        assert_eq!(*asked.lock().unwrap(), [Duration::ZERO, KEYFRAME_INTERVAL]);
    }
}
