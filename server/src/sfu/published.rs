//! A track one participant publishes, possibly in several simulcast layers,
//! and the downtracks that carry it to each subscriber. Each subscriber is
//! sent the best layer its link can take (`bandwidth`), switching at
//! keyframes (`layers`); layers nobody is sent are paused at the publisher.

use super::bandwidth::{Governor, Report};
use super::layers::Switcher;
use super::peer::Peer;
use anteroom_app::protocol::signal::{ParticipantId, SignalEvent, Source, layer_rank};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::mpsc;
use tokio::time::Instant;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::rtp_codec::{RTCRtpCodecCapability, RTPCodecType};
use webrtc::track::track_local::TrackLocalWriter;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;

/// One track a participant publishes, fanned out to the others.
pub struct PublishedTrack {
    pub id: u64,
    pub owner: ParticipantId,
    pub source: Source,
    pub kind: RTPCodecType,
    /// The stream id subscribers see (one per owner and source).
    pub stream_id: String,
    /// The media section the publisher sends it in (shared by its layers).
    pub mid: String,
    codec: RTCRtpCodecCapability,
    /// Who publishes it: told which layers to send.
    publisher: Weak<Peer>,
    state: Mutex<TrackState>,
}

#[derive(Default)]
struct TrackState {
    /// The layers arriving, lowest first.
    layers: Vec<Layer>,
    /// Shared with the forwarding tasks, which take a copy per packet.
    downtracks: Arc<[Arc<Downtrack>]>,
    /// The highest layer the publisher was last told to send.
    sending_top: Option<u8>,
}

struct Layer {
    rank: u8,
    keyframe_requests: mpsc::Sender<()>,
    bits_per_second: Arc<AtomicU64>,
}

/// One subscriber's copy of a published track.
pub struct Downtrack {
    pub local: Arc<TrackLocalStaticRTP>,
    switcher: Mutex<Switcher>,
    /// Video only: how much the subscriber's link can take.
    governor: Option<Mutex<Governor>>,
}

impl Downtrack {
    /// Sends this subscriber its copy of `packet` (of layer `layer`), if it
    /// is on that layer or moving to it. Errors are one subscriber's own.
    pub async fn send(&self, layer: u8, packet: &Packet, keyframe: bool, now: Instant) {
        let out = {
            let mut switcher = self.switcher.lock().expect("switcher lock");
            let before = switcher.current();
            let out = switcher.forward(layer, packet, keyframe, now);
            if switcher.current() != before {
                tracing::debug!(?before, now = ?switcher.current(), "a subscriber moved to another layer");
            }
            out
        };
        if let Some(out) = out
            && let Err(error) = self.local.write_rtp(&out).await
        {
            tracing::debug!(%error, "a subscriber could not take a packet");
        }
    }

    fn current(&self) -> Option<u8> {
        self.switcher.lock().expect("switcher lock").current()
    }

    /// The highest layer its link allows (whether or not that layer
    /// arrives yet); None: no video.
    fn ceiling(&self) -> Option<u8> {
        match &self.governor {
            Some(governor) => governor.lock().expect("governor lock").ceiling(),
            None => Some(layer_rank("")),
        }
    }
}

impl PublishedTrack {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: u64,
        owner: ParticipantId,
        source: Source,
        kind: RTPCodecType,
        mid: String,
        codec: RTCRtpCodecCapability,
        publisher: Weak<Peer>,
    ) -> Self {
        let stream_id = format!("p{owner}-{}", source_name(source));
        PublishedTrack { id, owner, source, kind, stream_id, mid, codec, publisher, state: Mutex::default() }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, TrackState> {
        self.state.lock().expect("published track lock")
    }

    /// A layer started arriving. Returns where to record its bit rate, or
    /// None if that layer already arrives (a duplicate is ignored).
    pub fn add_layer(&self, rank: u8, keyframe_requests: mpsc::Sender<()>) -> Option<Arc<AtomicU64>> {
        let bits_per_second = Arc::new(AtomicU64::new(0));
        let downtracks = {
            let mut state = self.state();
            if state.layers.iter().any(|l| l.rank == rank) {
                return None;
            }
            let layer = Layer { rank, keyframe_requests, bits_per_second: bits_per_second.clone() };
            let at = state.layers.partition_point(|l| l.rank < rank);
            state.layers.insert(at, layer);
            state.downtracks.clone()
        };
        // A better layer for someone, perhaps.
        for downtrack in downtracks.iter() {
            self.reselect(downtrack);
        }
        self.tell_publisher_what_to_send();
        Some(bits_per_second)
    }

    /// A layer stopped arriving. True when none is left: the track ended.
    pub fn remove_layer(&self, rank: u8) -> bool {
        let mut state = self.state();
        state.layers.retain(|l| l.rank != rank);
        state.layers.is_empty()
    }

    /// The subscribers' downtracks, for forwarding one packet.
    pub fn downtracks(&self) -> Arc<[Arc<Downtrack>]> {
        self.state().downtracks.clone()
    }

    /// A new subscriber's downtrack, starting at the best layer there is.
    pub fn subscribe(&self) -> Arc<Downtrack> {
        let video = self.kind == RTPCodecType::Video;
        let top = layer_rank("");
        let local = Arc::new(TrackLocalStaticRTP::new(
            self.codec.clone(),
            format!("{}-{}", self.stream_id, self.kind),
            self.stream_id.clone(),
        ));
        let downtrack = Arc::new(Downtrack {
            local,
            switcher: Mutex::new(Switcher::new(video, top)),
            governor: video.then(|| Mutex::new(Governor::new(top, Instant::now()))),
        });
        {
            let mut state = self.state();
            let mut all: Vec<Arc<Downtrack>> = state.downtracks.to_vec();
            all.push(downtrack.clone());
            state.downtracks = all.into();
        }
        self.reselect(&downtrack);
        downtrack
    }

    pub fn unsubscribe(&self, downtrack: &Arc<Downtrack>) {
        {
            let mut state = self.state();
            let kept: Vec<Arc<Downtrack>> =
                state.downtracks.iter().filter(|d| !Arc::ptr_eq(d, downtrack)).cloned().collect();
            state.downtracks = kept.into();
        }
        self.tell_publisher_what_to_send();
    }

    /// Asks the publisher for a keyframe of the layer the subscriber is
    /// going to (and, for a subscriber with no picture yet, of the lowest
    /// layer too: it can start there at once).
    pub fn request_keyframe(&self, downtrack: &Downtrack) {
        let (target, current) = {
            let switcher = downtrack.switcher.lock().expect("switcher lock");
            (switcher.target(), switcher.current())
        };
        let state = self.state();
        let ask = |rank: u8| {
            if let Some(layer) = state.layers.iter().find(|l| l.rank == rank) {
                let _ = layer.keyframe_requests.try_send(());
            }
        };
        if let Some(target) = target {
            ask(target);
        }
        if current.is_none()
            && let Some(lowest) = state.layers.first()
        {
            ask(lowest.rank);
        }
    }

    /// Takes in what the subscriber's browser reports about its link; moves
    /// it to another layer if its link calls for it.
    pub fn observe(&self, downtrack: &Downtrack, report: Report) {
        let Some(governor) = &downtrack.governor else { return };
        let changed = governor.lock().expect("governor lock").observe(report, Instant::now());
        if changed {
            self.reselect(downtrack);
        }
    }

    /// What the subscriber is sent now, in bits per second.
    pub fn sending_rate(&self, downtrack: &Downtrack) -> u64 {
        let Some(current) = downtrack.current() else { return 0 };
        let state = self.state();
        state.layers.iter().find(|l| l.rank == current).map_or(0, |l| l.bits_per_second.load(Ordering::Relaxed))
    }

    /// Points the downtrack at the best layer under its ceiling.
    fn reselect(&self, downtrack: &Downtrack) {
        let ceiling = downtrack.ceiling();
        let target = {
            let state = self.state();
            let ranks: Vec<u8> = state.layers.iter().map(|l| l.rank).collect();
            choose_layer(&ranks, ceiling)
        };
        let needs_keyframe = downtrack.switcher.lock().expect("switcher lock").retarget(target);
        if needs_keyframe {
            self.request_keyframe(downtrack);
        }
        self.tell_publisher_what_to_send();
    }

    /// Tells the publisher the highest camera layer anyone's link allows
    /// (the lowest alone when nobody watches), when that changes. It goes
    /// by what links allow, not by the layers arriving: a paused layer
    /// arrives only once the publisher is told to send it.
    fn tell_publisher_what_to_send(&self) {
        if self.source != Source::Camera || self.kind != RTPCodecType::Video {
            return;
        }
        let top = {
            let mut state = self.state();
            let Some(lowest) = state.layers.first().map(|l| l.rank) else { return };
            let wanted = state.downtracks.iter().filter_map(|d| d.ceiling()).max().unwrap_or(lowest).max(lowest);
            if state.sending_top == Some(wanted) {
                return;
            }
            state.sending_top = Some(wanted);
            wanted
        };
        if let Some(publisher) = self.publisher.upgrade() {
            publisher.send(SignalEvent::SendLayers { mid: self.mid.clone(), top });
        }
    }
}

/// The best of the `available` layers (ranks, lowest first) at or under
/// `ceiling`; the lowest if all are above it; None (no video) if the
/// ceiling says so. Before any layer arrives, the ceiling itself.
pub fn choose_layer(available: &[u8], ceiling: Option<u8>) -> Option<u8> {
    let ceiling = ceiling?;
    available.iter().rev().find(|&&rank| rank <= ceiling).or(available.first()).copied().or(Some(ceiling))
}

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Camera => "camera",
        Source::Screen => "screen",
    }
}

#[cfg(test)]
mod tests {
    use super::choose_layer;

    #[test]
    fn the_best_layer_under_the_ceiling_is_chosen() {
        assert_eq!(choose_layer(&[0, 1, 2], Some(2)), Some(2));
        assert_eq!(choose_layer(&[0, 1, 2], Some(1)), Some(1));
        assert_eq!(choose_layer(&[1, 2], Some(0)), Some(1), "nothing lower arrives: the lowest there is");
        assert_eq!(choose_layer(&[0, 2], Some(1)), Some(0));
        assert_eq!(choose_layer(&[0, 1, 2], None), None, "no video on a hopeless link");
        assert_eq!(choose_layer(&[], Some(2)), Some(2));
    }
}
