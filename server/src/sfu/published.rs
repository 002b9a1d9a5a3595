//! A track one participant publishes, possibly in several simulcast layers,
//! and the downtracks that carry it to each subscriber. Each subscriber is
//! sent the best layer its link can take (`bandwidth`) among the layers
//! arriving, switching at keyframes (`layers`); layers nobody's link allows
//! are paused at the publisher.

use super::bandwidth::{Governor, Report, choose_layer};
use super::layers::Switcher;
use super::mailbox::Mailbox;
use super::observer::PacketTap;
use super::outgoing::OutgoingTrack;
use super::transmit::Transmitter;
use super::vp8;
use anteroom_app::protocol::signal::{ParticipantId, SignalEvent, Source, TOP_LAYER};
use arc_swap::ArcSwap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::rtp_codec::{RTCRtpCodecCapability, RTPCodecType};

/// A layer that sent nothing for this long counts as stopped (the
/// publisher paused it, or its browser dropped it for want of uplink):
/// nobody is sent it until it comes back.
const LAYER_IDLE: Duration = Duration::from_secs(1);
/// How often layers are checked for stopping and coming back, switches
/// still waiting for a keyframe are asked again, and stopped video probed.
const WATCH_INTERVAL: Duration = Duration::from_millis(500);

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
    publisher: Weak<Mailbox>,
    /// When the track was published: layers note their last packet as
    /// milliseconds since then.
    epoch: Instant,
    /// The subscribers' downtracks. Read for every packet, changed only
    /// when someone subscribes or leaves: readers take no lock.
    downtracks: ArcSwap<Vec<Arc<Downtrack>>>,
    state: Mutex<TrackState>,
    /// Whether `tap` holds one: read for every packet, so that a track
    /// not tapped takes no lock.
    tapped: AtomicBool,
    /// Microphone audio of a transcribed call, copied out for its recording.
    tap: Mutex<Option<PacketTap>>,
}

#[derive(Default)]
struct TrackState {
    /// The layers that ever arrived, lowest first.
    layers: Vec<Layer>,
    /// The ranks of those arriving now, as last checked.
    live: Vec<u8>,
    /// The highest layer the publisher was last told to send.
    sending_top: Option<u8>,
}

struct Layer {
    rank: u8,
    /// Video only: audio has no keyframes.
    keyframe_requests: Option<mpsc::Sender<()>>,
    meter: Arc<LayerMeter>,
}

/// What the forwarding task of one layer measures, for the decisions.
#[derive(Default)]
pub struct LayerMeter {
    pub bits_per_second: AtomicU64,
    /// The picture height its last keyframe declared; 0 before one came.
    pub height: AtomicU32,
    /// Milliseconds after the track's epoch.
    last_packet: AtomicU64,
}

/// One subscriber's copy of a published track.
pub struct Downtrack {
    pub local: Arc<OutgoingTrack>,
    switcher: Mutex<Switcher>,
    /// Video only: how much the subscriber's link can take.
    governor: Option<Mutex<Governor>>,
    /// Whether the subscriber's subscribe link has been connected with
    /// the track negotiated (what came before was held, `outgoing`).
    flowing: AtomicBool,
    /// How tall the subscriber shows it, in device pixels (`u32::MAX`
    /// until its browser says): a larger layer would be wasted.
    shown_height: AtomicU32,
}

impl Downtrack {
    /// Sends this subscriber its copy of `packet` (of layer `layer`), if it
    /// is on that layer or moving to it. Errors are one subscriber's own.
    pub async fn send(
        &self,
        layer: u8,
        packet: &Packet,
        descriptor: Option<&vp8::Descriptor>,
        keyframe: bool,
        now: Instant,
    ) {
        let (out, renumbering) = {
            let mut switcher = self.switcher.lock().expect("switcher lock");
            let before = switcher.current();
            let out = switcher.forward(layer, packet, descriptor, keyframe, now);
            if switcher.current() != before {
                tracing::debug!(?before, now = ?switcher.current(), "a subscriber moved to another layer");
            }
            (out, switcher.renumbering())
        };
        if let Some(out) = out
            && let Err(error) = self.local.write(out, &packet.payload, renumbering, keyframe, now).await
        {
            tracing::debug!(%error, "a subscriber could not take a packet");
        }
    }

    fn current(&self) -> Option<u8> {
        self.switcher.lock().expect("switcher lock").current()
    }

    pub fn is_flowing(&self) -> bool {
        self.flowing.load(Ordering::Relaxed)
    }

    pub fn start_flowing(&self) {
        self.flowing.store(true, Ordering::Relaxed);
    }

    /// The highest layer worth sending it among `layers` (lowest first):
    /// what its link allows, and no larger than the first layer at least as
    /// tall as its tile (a layer whose height is not known yet never caps).
    fn ceiling_for_tile<'a>(&self, mut layers: impl Iterator<Item = &'a Layer>) -> Option<u8> {
        let shown = self.shown_height.load(Ordering::Relaxed);
        let big_enough = layers.find(|l| l.meter.height.load(Ordering::Relaxed) >= shown).map(|l| l.rank);
        match (self.ceiling(), big_enough) {
            (Some(link), Some(tile)) => Some(link.min(tile)),
            (link, _) => link,
        }
    }

    /// Whether it waits for a keyframe to move to another layer.
    fn is_switching(&self) -> bool {
        let switcher = self.switcher.lock().expect("switcher lock");
        switcher.target().is_some() && switcher.target() != switcher.current()
    }

    /// The highest layer its link allows (whether or not that layer
    /// arrives yet); None: no video.
    fn ceiling(&self) -> Option<u8> {
        match &self.governor {
            Some(governor) => governor.lock().expect("governor lock").ceiling(),
            None => Some(TOP_LAYER),
        }
    }
}

impl PublishedTrack {
    /// A track of `owner`'s, from their browser's stream `browser_stream`.
    #[allow(clippy::too_many_arguments, reason = "each is one fact of the track; a struct would only repeat them")]
    pub fn new(
        id: u64,
        owner: ParticipantId,
        source: Source,
        browser_stream: &str,
        kind: RTPCodecType,
        mid: String,
        codec: RTCRtpCodecCapability,
        publisher: Weak<Mailbox>,
    ) -> Self {
        let stream_id = stream_id(owner, source, browser_stream);
        let epoch = Instant::now();
        PublishedTrack {
            id,
            owner,
            source,
            kind,
            stream_id,
            mid,
            codec,
            publisher,
            epoch,
            downtracks: ArcSwap::default(),
            state: Mutex::default(),
            tapped: AtomicBool::new(false),
            tap: Mutex::default(),
        }
    }

    /// Whether this is someone's microphone (what transcripts are made of).
    pub fn is_microphone(&self) -> bool {
        self.kind == RTPCodecType::Audio && self.source == Source::Camera
    }

    /// From now on a copy of its packets goes to `tap`.
    pub fn start_tap(&self, tap: PacketTap) {
        *self.tap.lock().expect("tap lock") = Some(tap);
        self.tapped.store(true, Ordering::Relaxed);
    }

    /// Closes its tap, if any (its reader then finishes).
    pub fn stop_tap(&self) {
        self.tapped.store(false, Ordering::Relaxed);
        self.tap.lock().expect("tap lock").take();
    }

    pub fn is_tapped(&self) -> bool {
        self.tapped.load(Ordering::Relaxed)
    }

    /// Offers a packet to the tap, if the track is tapped.
    pub fn offer_to_tap(&self, packet: &Packet) {
        if self.tapped.load(Ordering::Relaxed)
            && let Some(tap) = self.tap.lock().expect("tap lock").as_ref()
        {
            tap.offer(packet);
        }
    }

    /// Notes a packet of a layer (the forwarding task calls this).
    pub fn note_packet(&self, meter: &LayerMeter, now: Instant) {
        meter.last_packet.store(self.millis(now), Ordering::Relaxed);
    }

    fn millis(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_millis() as u64
    }

    fn state(&self) -> std::sync::MutexGuard<'_, TrackState> {
        self.state.lock().expect("published track lock")
    }

    /// A layer started arriving. Returns its meter for the forwarding
    /// task, or None if that layer already arrives (a duplicate is ignored).
    /// `keyframe_requests` reach the publisher (video only).
    pub fn add_layer(&self, rank: u8, keyframe_requests: Option<mpsc::Sender<()>>) -> Option<Arc<LayerMeter>> {
        let meter = Arc::new(LayerMeter::default());
        self.note_packet(&meter, Instant::now());
        {
            let mut state = self.state();
            if state.layers.iter().any(|l| l.rank == rank) {
                return None;
            }
            let layer = Layer { rank, keyframe_requests, meter: meter.clone() };
            let at = state.layers.partition_point(|l| l.rank < rank);
            state.layers.insert(at, layer);
        }
        // The publisher is not told what to send yet: nobody has had the
        // time to subscribe, and pausing a layer before its first packet
        // would keep it from arriving at all. The watch tells it soon.
        self.check_layers(Instant::now());
        Some(meter)
    }

    /// A layer's stream ended. True when none is left: the track ended.
    pub fn remove_layer(&self, rank: u8) -> bool {
        let ended = {
            let mut state = self.state();
            state.layers.retain(|l| l.rank != rank);
            state.layers.is_empty()
        };
        if !ended {
            self.check_layers(Instant::now());
        }
        ended
    }

    /// Keeps the subscribers on layers that arrive, until the track is
    /// gone: a layer that stops (paused, or dropped by the publisher's
    /// browser) must not leave anyone looking at a frozen picture.
    pub async fn watch(track: Weak<PublishedTrack>) {
        let mut ticks = tokio::time::interval(WATCH_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(track) = track.upgrade() else { return };
            let now = Instant::now();
            track.check_layers(now);
            track.tell_publisher_what_to_send();
            let live = track.state().live.clone();
            for downtrack in track.downtracks.load().iter() {
                let probe =
                    downtrack.governor.as_ref().is_some_and(|g| g.lock().expect("governor lock").tick(&live, now));
                if probe {
                    tracing::debug!("probing a subscriber's paused video again");
                    track.reselect(downtrack);
                } else if downtrack.is_switching() {
                    // Its keyframe may have been lost: ask again (paced at
                    // the publisher).
                    track.request_keyframe(downtrack);
                }
            }
        }
    }

    /// Notes which layers arrive now; when that changed, everyone is
    /// pointed at the best of them again.
    fn check_layers(&self, now: Instant) {
        let cutoff = self.millis(now).saturating_sub(LAYER_IDLE.as_millis() as u64);
        {
            let mut state = self.state();
            let live: Vec<u8> = state
                .layers
                .iter()
                .filter(|l| l.meter.last_packet.load(Ordering::Relaxed) >= cutoff)
                .map(|l| l.rank)
                .collect();
            if live == state.live {
                return;
            }
            state.live = live;
        }
        for downtrack in self.downtracks.load().iter() {
            self.reselect(downtrack);
        }
    }

    /// The subscribers' downtracks, for forwarding one packet.
    pub fn downtracks(&self) -> Arc<Vec<Arc<Downtrack>>> {
        self.downtracks.load_full()
    }

    /// A new subscriber's downtrack, starting at the best layer there is
    /// (for a tile `shown_height` device pixels tall, if its browser said).
    /// Its packets go out through `transmitter`, the subscriber's link.
    pub fn subscribe(&self, shown_height: Option<u16>, transmitter: Arc<Transmitter>) -> Arc<Downtrack> {
        let video = self.kind == RTPCodecType::Video;
        let top = TOP_LAYER;
        let local = Arc::new(OutgoingTrack::new(
            self.codec.clone(),
            self.kind,
            format!("{}-{}", self.stream_id, self.kind),
            self.stream_id.clone(),
            transmitter,
        ));
        let downtrack = Arc::new(Downtrack {
            local,
            switcher: Mutex::new(Switcher::new(video, top)),
            governor: video.then(|| Mutex::new(Governor::new(top, Instant::now()))),
            flowing: AtomicBool::new(false),
            shown_height: AtomicU32::new(shown_height.map_or(u32::MAX, u32::from)),
        });
        self.downtracks.rcu(|all| {
            let mut all = Vec::clone(all);
            all.push(downtrack.clone());
            all
        });
        self.reselect(&downtrack);
        downtrack
    }

    pub fn unsubscribe(&self, downtrack: &Arc<Downtrack>) {
        self.downtracks.rcu(|all| all.iter().filter(|d| !Arc::ptr_eq(d, downtrack)).cloned().collect::<Vec<_>>());
        self.tell_publisher_what_to_send();
    }

    /// Asks the publisher for a keyframe of the layer the subscriber is
    /// going to (and, for a subscriber with no picture yet, of the lowest
    /// layer too: it can start there at once). Nothing for audio or paused
    /// video. A subscriber whose link is still being made is asked for
    /// too: its video is held until the link is ready.
    pub fn request_keyframe(&self, downtrack: &Downtrack) {
        if self.kind != RTPCodecType::Video {
            return;
        }
        let (target, current) = {
            let switcher = downtrack.switcher.lock().expect("switcher lock");
            (switcher.target(), switcher.current())
        };
        let Some(target) = target else { return };
        let state = self.state();
        let ask = |rank: u8| {
            if let Some(requests) =
                state.layers.iter().find(|l| l.rank == rank).and_then(|l| l.keyframe_requests.as_ref())
            {
                let _ = requests.try_send(());
            }
        };
        ask(target);
        if current.is_none()
            && let Some(&lowest) = state.live.first()
        {
            ask(lowest);
        }
    }

    /// Takes in what the subscriber's browser reports about its link; moves
    /// it to another layer if its link calls for it.
    pub fn observe(&self, downtrack: &Downtrack, report: Report) {
        let Some(governor) = &downtrack.governor else { return };
        let live = self.state().live.clone();
        let (changed, ceiling) = {
            let mut governor = governor.lock().expect("governor lock");
            (governor.observe(report, &live, Instant::now()), governor.ceiling())
        };
        if changed {
            tracing::debug!(?report, ?ceiling, "a subscriber's link moved its layer ceiling");
            self.reselect(downtrack);
        }
    }

    /// What the subscriber is sent now, in bits per second.
    pub fn sending_rate(&self, downtrack: &Downtrack) -> u64 {
        let Some(current) = downtrack.current() else { return 0 };
        let state = self.state();
        state.layers.iter().find(|l| l.rank == current).map_or(0, |l| l.meter.bits_per_second.load(Ordering::Relaxed))
    }

    /// Notes how tall the subscriber shows this track (device pixels) and
    /// moves it to the layer that is enough for that.
    pub fn show_at_height(&self, downtrack: &Downtrack, height: u16) {
        downtrack.shown_height.store(u32::from(height), Ordering::Relaxed);
        self.reselect(downtrack);
    }

    /// Points the downtrack at the best arriving layer under its ceiling:
    /// what its link allows, and no larger than the tile it is shown in.
    fn reselect(&self, downtrack: &Downtrack) {
        let target = {
            let state = self.state();
            let arriving = state.layers.iter().filter(|l| state.live.contains(&l.rank));
            choose_layer(&state.live, downtrack.ceiling_for_tile(arriving))
        };
        let needs_keyframe = downtrack.switcher.lock().expect("switcher lock").retarget(target);
        if needs_keyframe {
            self.request_keyframe(downtrack);
        }
        self.tell_publisher_what_to_send();
    }

    /// Tells the publisher the highest camera layer anyone needs (what their
    /// link allows, no larger than their tile) or is still on (the lowest
    /// alone when nobody watches), when that changes. Tiles are measured
    /// against every layer that ever arrived, not only those arriving now:
    /// a paused layer arrives only once the publisher is told to send it.
    fn tell_publisher_what_to_send(&self) {
        if self.source != Source::Camera || self.kind != RTPCodecType::Video {
            return;
        }
        let top = {
            let mut state = self.state();
            let Some(lowest) = state.layers.first().map(|l| l.rank) else { return };
            // A subscriber moving down stays on its layer until the lower
            // one's keyframe: that layer must go on until then.
            let wanted = self
                .downtracks
                .load()
                .iter()
                .filter_map(|d| d.ceiling_for_tile(state.layers.iter()).max(d.current()))
                .max()
                .unwrap_or(lowest)
                .max(lowest);
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

/// The stream id subscribers see for a browser stream of `owner`'s: its
/// audio and video share it (one tile), and each browser stream has its
/// own. A second screen share must not reuse the first one's ids: the
/// subscribers' links still list the first share's stopped tracks, and
/// Chromium refuses an offer that names one stream twice.
fn stream_id(owner: ParticipantId, source: Source, browser_stream: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    browser_stream.hash(&mut hasher);
    format!("p{owner}-{}-{:08x}", source_name(source), hasher.finish() as u32)
}

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Camera => "camera",
        Source::Screen => "screen",
    }
}
