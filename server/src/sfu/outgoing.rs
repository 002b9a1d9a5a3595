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
use arc_swap::ArcSwapOption;
use async_trait::async_trait;
use bytes::Bytes;
use std::any::Any;
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

/// The last `HISTORY` packets sent, by sequence number: a ring, made on
/// the first packet kept.
#[derive(Default)]
struct History(Vec<Option<Kept>>);

/// What a packet is sent again from: a fraction of a whole packet's size
/// (no header allocations), and the payload is shared with the other
/// subscribers' copies. Its SSRC, payload type and media id are the
/// binding's.
#[derive(Clone)]
struct Kept {
    sequence_number: u16,
    timestamp: u32,
    marker: bool,
    payload: Bytes,
}

impl Kept {
    fn of(packet: &Packet) -> Self {
        Kept {
            sequence_number: packet.header.sequence_number,
            timestamp: packet.header.timestamp,
            marker: packet.header.marker,
            payload: packet.payload.clone(),
        }
    }

    fn packet(self) -> Packet {
        let header = Header {
            version: 2,
            marker: self.marker,
            sequence_number: self.sequence_number,
            timestamp: self.timestamp,
            ..Header::default()
        };
        Packet { header, payload: self.payload }
    }
}

impl History {
    fn keep(&mut self, packet: &Packet) {
        if self.0.is_empty() {
            self.0.resize(HISTORY, None);
        }
        let slot = usize::from(packet.header.sequence_number) % HISTORY;
        self.0[slot] = Some(Kept::of(packet));
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
        }
    }

    /// Sends `packet` (the subscriber's own copy, taken from the publisher
    /// at `now`) on the bound sender, if any yet; packets before that have
    /// nowhere to go and are dropped.
    pub async fn write(&self, packet: Packet, now: Instant) -> Result<(), TransmitError> {
        let Some(binding) = self.binding.load_full() else { return Ok(()) };
        let packet = binding.address(packet)?;
        self.transmitter.send(&packet).await?;
        self.note_sent(&packet, now);
        Ok(())
    }

    fn note_sent(&self, packet: &Packet, now: Instant) {
        let mut sent = self.sent.lock().expect("sent lock");
        sent.packets = sent.packets.wrapping_add(1);
        sent.octets = sent.octets.wrapping_add(packet.payload.len() as u32);
        sent.last = Some((now, packet.header.timestamp));
        if self.kind == RTPCodecType::Video {
            sent.history.keep(packet);
        }
    }

    /// Sends again the packets `nack` asks for that are still kept.
    pub async fn resend(&self, nack: &TransportLayerNack) {
        let Some(binding) = self.binding.load_full() else { return };
        let wanted: Vec<Kept> = {
            let sent = self.sent.lock().expect("sent lock");
            nack.nacks.iter().flat_map(|pair| pair.into_iter()).filter_map(|n| sent.history.find(n).cloned()).collect()
        };
        for kept in wanted {
            let sent = match binding.address(kept.packet()) {
                Ok(packet) => self.transmitter.send(&packet).await,
                Err(error) => Err(error),
            };
            if let Err(error) = sent {
                tracing::debug!(%error, "could not retransmit a packet");
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

    fn numbered(sequence_number: u16) -> Packet {
        let mut packet = Packet::default();
        packet.header.sequence_number = sequence_number;
        packet
    }

    #[test]
    fn the_history_finds_recent_packets_and_forgets_those_overwritten() {
        let mut history = History::default();
        assert!(history.find(7).is_none());
        // Across the wrap of the 16-bit sequence number.
        let sent: Vec<u16> = (0..HISTORY as u16 + 10).map(|n| n.wrapping_add(65_500)).collect();
        for &sequence in &sent {
            history.keep(&numbered(sequence));
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
        let mut first = numbered(513);
        first.header.version = 2;
        first.header.marker = true;
        first.header.timestamp = 90_000;
        first.payload = Bytes::from_static(b"a picture");
        let sent = binding.address(first).unwrap();
        let again = binding.address(Kept::of(&sent).packet()).unwrap();
        assert_eq!(again.marshal().unwrap(), sent.marshal().unwrap());
    }

    #[test]
    fn wall_clock_time_is_written_as_ntp() {
        // 1970-01-01 00:00:01.5 is 2,208,988,801 s and half a second after 1900.
        let wall = SystemTime::UNIX_EPOCH + Duration::from_millis(1500);
        assert_eq!(ntp_time(wall), ((NTP_UNIX_OFFSET + 1) << 32) | (1 << 31));
    }
}
