//! The hot path: read a publisher's RTP, forward it to every subscriber of
//! the track, and relay keyframe requests the other way.

use super::published::{LayerMeter, PublishedTrack};
use super::vp8;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;
use webrtc::track::track_remote::TrackRemote;

/// Keyframes are expensive: however many subscribers ask, the publisher is
/// asked at most this often.
const KEYFRAME_INTERVAL: Duration = Duration::from_millis(500);

/// How often a layer's bit rate is measured.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// Forwards one layer of a published track until the publisher stops
/// sending it: each packet goes to every subscriber on that layer (or
/// moving to it). Errors writing to one subscriber never stop the others.
pub async fn forward_layer(remote: Arc<TrackRemote>, track: Arc<PublishedTrack>, layer: u8, meter: Arc<LayerMeter>) {
    let video = track.kind == RTPCodecType::Video;
    let mut buffer = vec![0u8; 1500];
    let (mut window_start, mut window_bytes) = (Instant::now(), 0u64);
    while let Ok((packet, _)) = remote.read(&mut buffer).await {
        let now = Instant::now();
        track.note_packet(&meter, now);
        window_bytes += packet.payload.len() as u64;
        if now - window_start >= RATE_WINDOW {
            let seconds = (now - window_start).as_secs_f64();
            meter.bits_per_second.store((window_bytes as f64 * 8.0 / seconds) as u64, Ordering::Relaxed);
            (window_start, window_bytes) = (now, 0);
        }
        if !video {
            track.offer_to_tap(&packet);
        }
        // Read once here, not once per subscriber.
        let descriptor = if video { vp8::Descriptor::parse(&packet.payload) } else { None };
        let keyframe = descriptor.is_some_and(|d| d.starts_keyframe(&packet.payload));
        if keyframe && let Some(height) = descriptor.and_then(|d| d.keyframe_height(&packet.payload)) {
            meter.height.store(u32::from(height), Ordering::Relaxed);
        }
        for downtrack in track.downtracks().iter() {
            downtrack.send(layer, &packet, descriptor.as_ref(), keyframe, now).await;
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
