//! The track one subscriber's copy of a published track goes out on: what
//! the `webrtc` crate binds to that subscriber's sender, and what is sent
//! on it (for retransmission and sender reports).
//!
//! The crate's own `TrackLocalStaticRTP` serves any number of senders: for
//! every packet it takes an async lock, copies the list of its bindings and
//! copies the packet once more. A downtrack has exactly one sender, and its
//! packets are already the subscriber's own copies (`layers`), so this keeps
//! that one binding where a packet reaches it with neither lock nor copy,
//! and sends it with the subscriber's `Transmitter`: the SFU's hot path,
//! once per packet per subscriber.

use super::transmit::{TransmitError, Transmitter};
use super::vp8;
use arc_swap::ArcSwapOption;
use async_trait::async_trait;
use bytes::Bytes;
use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::time::Instant;
use webrtc::rtcp::sender_report::SenderReport;
use webrtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use webrtc::rtp::header::Header;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::rtp_codec::{RTCRtpCodecCapability, RTCRtpCodecParameters, RTPCodecType};
use webrtc::sdp::extmap::SDES_MID_URI;
use webrtc::track::track_local::{TrackLocal, TrackLocalContext};

/// Video packets kept for retransmission: 128 is about a second of
/// full-size video (more of smaller layers), longer than a retransmission
/// is worth waiting for. Their payloads are shared with every other
/// subscriber of the layer; audio is not retransmitted.
const HISTORY: usize = 128;

/// Video packets held for a subscriber whose link is still being made
/// (about two seconds of a browser's full-size layer): the latest
/// keyframe (the one asked for when it subscribed, or a later one) and
/// what follows it.
const MOST_HELD: usize = 256;

/// Seconds between 1900 (NTP's epoch) and 1970 (Unix').
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

pub struct OutgoingTrack {
    codec: RTCRtpCodecCapability,
    kind: RTPCodecType,
    id: String,
    stream_id: String,
    transmitter: Arc<Transmitter>,
    binding: ArcSwapOption<Binding>,
    sent: Mutex<Sent>,
    /// Whether the link was ready once (`release`): from then on packets
    /// go straight out. Read for every packet, so that `held`'s lock is
    /// taken only before.
    released: AtomicBool,
    /// Video for a subscriber whose link is not ready yet, sent the moment
    /// it is: the keyframe asked for when it subscribed then arrives while
    /// its link is being made, instead of being asked for only once the
    /// link is up (a round trip to the publisher and an encoding later).
    held: Mutex<Held>,
}

/// Video kept for a subscriber whose link is not ready yet: from a
/// keyframe on, so that it decodes the moment it arrives.
#[derive(Default)]
struct Held {
    packets: Vec<Outgoing>,
    /// More came than `MOST_HELD`: the rest were dropped, and what is held
    /// would not decode on its own.
    overflowed: bool,
    /// Whether held video went out when the link became ready.
    delivered: bool,
}

impl Held {
    /// Keeps `outgoing` (which starts a keyframe if `keyframe`). A keyframe
    /// starts the run afresh: nothing before it is needed to show what
    /// follows, and the burst sent when the link is ready stays short.
    fn keep(&mut self, outgoing: Outgoing, keyframe: bool) {
        if keyframe {
            self.packets.clear();
            self.overflowed = false;
        }
        if self.overflowed {
            return;
        }
        if self.packets.len() < MOST_HELD {
            self.packets.push(outgoing);
        } else {
            // Too long without a keyframe: one is asked for when the link
            // is up, unless another comes before.
            self.packets = Vec::new();
            self.overflowed = true;
        }
    }
}

/// A subscriber's copy of a packet, with what it was made from (for the
/// retransmission history).
struct Outgoing {
    packet: Packet,
    published_payload: Bytes,
    renumbering: vp8::Renumbering,
    at: Instant,
}

/// The sender the track is bound to, once the subscriber's link has one.
struct Binding {
    /// The crate's name for the binding (unbinding names it).
    context: String,
    ssrc: u32,
    payload_type: u8,
    /// The media id header extension (its id and value), when negotiated:
    /// it tells the browser which transceiver a packet is for.
    mid: Option<(u8, Bytes)>,
}

impl Binding {
    /// `packet` as this sender sends it: its SSRC, payload type and media id.
    fn address(&self, mut packet: Packet) -> Result<Packet, TransmitError> {
        packet.header.ssrc = self.ssrc;
        packet.header.payload_type = self.payload_type;
        if let Some((id, mid)) = &self.mid {
            packet.header.set_extension(*id, mid.clone())?;
        }
        Ok(packet)
    }
}

/// What has gone out: the counts and timing a sender report states, and
/// recent video packets.
#[derive(Default)]
struct Sent {
    packets: u32,
    octets: u32,
    /// When the last packet went, and its RTP timestamp.
    last: Option<(Instant, u32)>,
    history: History,
}

impl Sent {
    /// Counts a packet that went out. Retransmissions count too: they go
    /// on the same SSRC, and a report states every packet sent on it.
    fn count(&mut self, packet: &Packet) {
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(packet.payload.len() as u32);
    }
}

/// The last `HISTORY` packets sent, by sequence number: a ring, made on
/// the first packet kept.
#[derive(Default)]
struct History(Vec<Option<Kept>>);

/// What a packet is sent again from: a fraction of a whole packet's size
/// (no header allocations). The payload is the publisher's, shared with
/// every other subscriber of the layer, and renumbered again when needed:
/// a renumbered copy per subscriber would hold 128 of them (about 140 KiB
/// of a browser's video). Its SSRC, payload type and media id are the
/// binding's.
#[derive(Clone)]
struct Kept {
    sequence_number: u16,
    timestamp: u32,
    marker: bool,
    published_payload: Bytes,
    renumbering: vp8::Renumbering,
}

impl Kept {
    fn of(packet: &Packet, published_payload: Bytes, renumbering: vp8::Renumbering) -> Self {
        Kept {
            sequence_number: packet.header.sequence_number,
            timestamp: packet.header.timestamp,
            marker: packet.header.marker,
            published_payload,
            renumbering,
        }
    }

    fn packet(&self) -> Packet {
        let header = Header {
            version: 2,
            marker: self.marker,
            sequence_number: self.sequence_number,
            timestamp: self.timestamp,
            ..Header::default()
        };
        Packet { header, payload: self.renumbering.apply(&self.published_payload) }
    }
}

impl History {
    fn keep(&mut self, kept: Kept) {
        if self.0.is_empty() {
            self.0.resize(HISTORY, None);
        }
        let slot = usize::from(kept.sequence_number) % HISTORY;
        self.0[slot] = Some(kept);
    }

    /// The packet numbered `sequence`, unless a later one took its place.
    fn find(&self, sequence: u16) -> Option<&Kept> {
        let kept = self.0.get(usize::from(sequence) % HISTORY)?.as_ref()?;
        (kept.sequence_number == sequence).then_some(kept)
    }
}

impl OutgoingTrack {
    pub fn new(
        codec: RTCRtpCodecCapability,
        kind: RTPCodecType,
        id: String,
        stream_id: String,
        transmitter: Arc<Transmitter>,
    ) -> Self {
        OutgoingTrack {
            codec,
            kind,
            id,
            stream_id,
            transmitter,
            binding: ArcSwapOption::empty(),
            sent: Mutex::default(),
            released: AtomicBool::new(false),
            held: Mutex::default(),
        }
    }

    /// Sends `packet` (the subscriber's own copy, taken from the publisher
    /// at `now`: `published_payload` renumbered by `renumbering`; whether it
    /// starts a `keyframe`) on the bound sender. Until the subscriber's link
    /// is ready, video is held (see `Held`) and audio dropped: late sound
    /// is no use.
    pub async fn write(
        &self,
        packet: Packet,
        published_payload: &Bytes,
        renumbering: vp8::Renumbering,
        keyframe: bool,
        now: Instant,
    ) -> Result<(), TransmitError> {
        let outgoing = Outgoing { packet, published_payload: published_payload.clone(), renumbering, at: now };
        if !self.released.load(Ordering::Relaxed) && !self.release().await {
            if self.kind == RTPCodecType::Video {
                self.held.lock().expect("held lock").keep(outgoing, keyframe);
            }
            return Ok(());
        }
        // Unbound (the track was removed): nowhere to go.
        let Some(binding) = self.binding.load_full() else { return Ok(()) };
        self.send(&binding, outgoing).await
    }

    /// Once the link is ready (the track bound, the browser's address and
    /// SRTP known): sends what was held, and lets everything after go
    /// straight out. False while it is not ready.
    async fn release(&self) -> bool {
        let Some(binding) = self.binding.load_full().filter(|_| self.transmitter.is_ready()) else { return false };
        let packets = {
            let mut held = self.held.lock().expect("held lock");
            if self.released.swap(true, Ordering::Relaxed) {
                return true;
            }
            held.delivered = !held.overflowed && !held.packets.is_empty();
            std::mem::take(&mut held.packets)
        };
        for outgoing in packets {
            if let Err(error) = self.send(&binding, outgoing).await {
                tracing::debug!(%error, "a subscriber could not take a held packet");
            }
        }
        true
    }

    /// Releases the held video if the link is ready now. True when the
    /// subscriber got held video (a keyframe and what followed it): then
    /// no keyframe need be asked for.
    pub async fn deliver_held(&self) -> bool {
        self.release().await;
        self.held.lock().expect("held lock").delivered
    }

    async fn send(&self, binding: &Binding, outgoing: Outgoing) -> Result<(), TransmitError> {
        let Outgoing { packet, published_payload, renumbering, at } = outgoing;
        let packet = binding.address(packet)?;
        self.transmitter.send(&packet).await?;
        let mut sent = self.sent.lock().expect("sent lock");
        sent.count(&packet);
        sent.last = Some((at, packet.header.timestamp));
        if self.kind == RTPCodecType::Video {
            sent.history.keep(Kept::of(&packet, published_payload, renumbering));
        }
        Ok(())
    }

    /// Sends again the packets `nack` asks for that are still kept.
    pub async fn resend(&self, nack: &TransportLayerNack) {
        let Some(binding) = self.binding.load_full() else { return };
        let wanted: Vec<Kept> = {
            let sent = self.sent.lock().expect("sent lock");
            nack.nacks.iter().flat_map(|pair| pair.into_iter()).filter_map(|n| sent.history.find(n).cloned()).collect()
        };
        for kept in wanted {
            let resent = match binding.address(kept.packet()) {
                Ok(packet) => self.transmitter.send(&packet).await.map(|()| packet),
                Err(error) => Err(error),
            };
            match resent {
                Ok(packet) => self.sent.lock().expect("sent lock").count(&packet),
                Err(error) => tracing::debug!(%error, "could not retransmit a packet"),
            }
        }
    }

    /// The sender report for what was sent so far, if anything was: the
    /// browser pairs its RTP and wall clock times to line up sound and
    /// picture, and measures the round trip from it.
    pub fn sender_report(&self, now: Instant, wall: SystemTime) -> Option<SenderReport> {
        let binding = self.binding.load_full()?;
        let sent = self.sent.lock().expect("sent lock");
        let (at, timestamp) = sent.last?;
        let elapsed = now.saturating_duration_since(at).as_secs_f64();
        let rtp_time = timestamp.wrapping_add((elapsed * f64::from(self.codec.clock_rate)) as u32);
        Some(SenderReport {
            ssrc: binding.ssrc,
            ntp_time: ntp_time(wall),
            rtp_time,
            packet_count: sent.packets,
            octet_count: sent.octets,
            ..Default::default()
        })
    }
}

/// `wall` as NTP's 64-bit fixed point: seconds since 1900 and a binary
/// fraction of a second.
fn ntp_time(wall: SystemTime) -> u64 {
    let since_unix = wall.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let seconds = since_unix.as_secs() + NTP_UNIX_OFFSET;
    let fraction = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
    (seconds << 32) | fraction
}

#[async_trait]
impl TrackLocal for OutgoingTrack {
    async fn bind(&self, context: &TrackLocalContext) -> Result<RTCRtpCodecParameters, webrtc::Error> {
        let codec = context
            .codec_parameters()
            .iter()
            .find(|c| {
                c.capability.mime_type.eq_ignore_ascii_case(&self.codec.mime_type)
                    && c.capability.clock_rate == self.codec.clock_rate
            })
            .cloned()
            .ok_or(webrtc::Error::ErrUnsupportedCodec)?;
        let mid = context
            .header_extensions()
            .iter()
            .find(|e| e.uri == SDES_MID_URI)
            .zip(context.mid())
            .map(|(extension, mid)| (extension.id as u8, Bytes::copy_from_slice(mid.as_bytes())));
        self.binding.store(Some(Arc::new(Binding {
            context: context.id(),
            ssrc: context.ssrc(),
            payload_type: codec.payload_type,
            mid,
        })));
        Ok(codec)
    }

    async fn unbind(&self, context: &TrackLocalContext) -> Result<(), webrtc::Error> {
        let bound_here = self.binding.load().as_ref().is_some_and(|b| b.context == context.id());
        if !bound_here {
            return Err(webrtc::Error::ErrUnbindFailed);
        }
        self.binding.store(None);
        Ok(())
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn rid(&self) -> Option<&str> {
        None
    }

    fn stream_id(&self) -> &str {
        &self.stream_id
    }

    fn kind(&self) -> RTPCodecType {
        self.kind
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A VP8 packet numbered `sequence_number` whose payload descriptor
    /// carries a 15-bit picture id.
    fn numbered(sequence_number: u16) -> Packet {
        let mut packet = Packet::default();
        packet.header.version = 2;
        packet.header.sequence_number = sequence_number;
        packet.payload = Bytes::from_static(&[0x90, 0x80, 0x81, 0x23, 0x9d, 0x01, 0x2a]);
        packet
    }

    #[test]
    fn the_history_finds_recent_packets_and_forgets_those_overwritten() {
        let mut history = History::default();
        assert!(history.find(7).is_none());
        // Across the wrap of the 16-bit sequence number.
        let sent: Vec<u16> = (0..HISTORY as u16 + 10).map(|n| n.wrapping_add(65_500)).collect();
        for &sequence in &sent {
            let packet = numbered(sequence);
            history.keep(Kept::of(&packet, packet.payload.clone(), vp8::Renumbering::default()));
        }
        let (forgotten, kept) = sent.split_at(10);
        for &sequence in kept {
            assert_eq!(history.find(sequence).map(|kept| kept.sequence_number), Some(sequence));
        }
        for &sequence in forgotten {
            assert!(history.find(sequence).is_none(), "{sequence} was overwritten");
        }
    }

    #[test]
    fn a_packet_sent_again_is_the_packet_first_sent() {
        use webrtc::util::marshal::Marshal;
        let binding =
            Binding { context: "c".into(), ssrc: 7, payload_type: 96, mid: Some((4, Bytes::from_static(b"1"))) };
        let published = numbered(513);
        // A subscriber that moved between layers: its copy is renumbered.
        let renumbering = vp8::Renumbering { picture_id_shift: 0x100, tl0_shift: 0 };
        let mut first = published.clone();
        first.header.marker = true;
        first.header.timestamp = 90_000;
        first.payload = renumbering.apply(&published.payload);
        assert_ne!(first.payload, published.payload);
        let sent = binding.address(first).unwrap();
        let again = binding.address(Kept::of(&sent, published.payload.clone(), renumbering).packet()).unwrap();
        assert_eq!(again.marshal().unwrap(), sent.marshal().unwrap());
    }

    #[test]
    fn held_video_starts_at_the_latest_keyframe_and_a_keyframe_ends_an_overflow() {
        let outgoing = |sequence_number| Outgoing {
            packet: numbered(sequence_number),
            published_payload: Bytes::new(),
            renumbering: vp8::Renumbering::default(),
            at: Instant::now(),
        };
        let held_numbers =
            |held: &Held| held.packets.iter().map(|o| o.packet.header.sequence_number).collect::<Vec<_>>();
        let mut held = Held::default();
        for n in 0..5 {
            held.keep(outgoing(n), n == 0 || n == 3);
        }
        assert_eq!(held_numbers(&held), [3, 4]);

        for n in 5..5 + MOST_HELD as u16 {
            held.keep(outgoing(n), false);
        }
        assert!(held.overflowed && held.packets.is_empty(), "too long a run is dropped, not sent half");
        held.keep(outgoing(1000), false);
        assert!(held.packets.is_empty());
        held.keep(outgoing(1001), true);
        held.keep(outgoing(1002), false);
        assert!(!held.overflowed);
        assert_eq!(held_numbers(&held), [1001, 1002]);
    }

    #[test]
    fn wall_clock_time_is_written_as_ntp() {
        // 1970-01-01 00:00:01.5 is 2,208,988,801 s and half a second after 1900.
        let wall = SystemTime::UNIX_EPOCH + Duration::from_millis(1500);
        assert_eq!(ntp_time(wall), ((NTP_UNIX_OFFSET + 1) << 32) | (1 << 31));
    }
}
