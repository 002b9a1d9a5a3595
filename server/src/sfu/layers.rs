//! One subscriber's view of a published track that may come in several
//! simulcast layers: which layer it is sent, and the rewriting that lets it
//! move between layers without its browser noticing a new stream.
//!
//! Every layer is its own RTP stream, with its own sequence numbers and
//! timestamp base. A subscriber receives one continuous stream: when it
//! moves to another layer (only at that layer's keyframe, which its decoder
//! can start from), the packets are renumbered to follow on from the last
//! ones it got, and their timestamps shifted to follow on in time. VP8's
//! own picture numbering (picture id, TL0PICIDX) is shifted the same way
//! (`vp8`), so the decoder sees no pictures missing either.

use super::vp8;
use std::time::Duration;
use tokio::time::Instant;
use webrtc::rtp::header::Header;
use webrtc::rtp::packet::Packet;

/// RTP video clock ticks per millisecond (90 kHz). Only video moves
/// between layers; audio has one and starts at its first packet.
const VIDEO_TICKS_PER_MS: u128 = 90;

/// Where one subscriber's stream of a track stands.
#[derive(Debug)]
pub struct Switcher {
    /// The layer being forwarded, once its first keyframe has come.
    current: Option<u8>,
    /// The layer wanted; None pauses the stream (video on a link too poor
    /// to carry any, so that its audio gets through).
    target: Option<u8>,
    /// Whether packets are video (timestamps at 90 kHz) and wait for
    /// keyframes; audio has one layer and starts anywhere.
    video: bool,
    sequence_offset: u16,
    timestamp_offset: u32,
    /// What VP8 picture ids and TL0PICIDX are lowered by (video only).
    renumbering: vp8::Renumbering,
    last: Option<Sent>,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    sequence_number: u16,
    timestamp: u32,
    at: Instant,
    /// The VP8 picture id and TL0PICIDX sent, as the subscriber saw them.
    picture_id: Option<u16>,
    tl0_index: Option<u8>,
}

impl Switcher {
    pub fn new(video: bool, target: u8) -> Self {
        Switcher {
            current: None,
            target: Some(target),
            video,
            sequence_offset: 0,
            timestamp_offset: 0,
            renumbering: vp8::Renumbering::default(),
            last: None,
        }
    }

    pub fn target(&self) -> Option<u8> {
        self.target
    }

    pub fn current(&self) -> Option<u8> {
        self.current
    }

    /// What the packets `forward` returns are renumbered by now.
    pub fn renumbering(&self) -> vp8::Renumbering {
        self.renumbering
    }

    /// Sets the layer to move to. True when that needs a keyframe of the
    /// new layer (ask the publisher for one).
    pub fn retarget(&mut self, target: Option<u8>) -> bool {
        self.target = target;
        if target.is_none() {
            self.current = None;
        }
        target.is_some() && target != self.current
    }

    /// The packet to send this subscriber for `packet` of layer `layer`, if
    /// any. `descriptor` is the packet's VP8 payload descriptor, read once
    /// for every subscriber; `keyframe` says whether the packet starts a
    /// keyframe.
    pub fn forward(
        &mut self,
        layer: u8,
        packet: &Packet,
        descriptor: Option<&vp8::Descriptor>,
        keyframe: bool,
        now: Instant,
    ) -> Option<Packet> {
        let target = self.target?;
        let descriptor = descriptor.filter(|_| self.video).copied();
        if Some(layer) != self.current {
            if !self.may_switch_to(layer, target, keyframe) {
                return None;
            }
            self.switch_to(layer, packet, descriptor.as_ref(), now);
        }
        if packet.payload.is_empty() {
            // Padding (the publisher's bandwidth probes) would cost the
            // subscriber's bandwidth for nothing: drop it, and close the
            // gap it leaves in the numbering so nothing is asked for again.
            self.sequence_offset = self.sequence_offset.wrapping_add(1);
            return None;
        }
        // A fresh header: extensions were negotiated with the publisher,
        // not with each subscriber, so forwarding them could mislabel data
        // (the subscriber's own, such as its media id, are added on sending).
        let header = Header {
            version: packet.header.version,
            marker: packet.header.marker,
            payload_type: packet.header.payload_type,
            sequence_number: packet.header.sequence_number.wrapping_sub(self.sequence_offset),
            timestamp: packet.header.timestamp.wrapping_sub(self.timestamp_offset),
            ssrc: packet.header.ssrc,
            csrc: packet.header.csrc.clone(),
            ..Header::default()
        };
        // A late (reordered) packet must not become the point the next
        // layer's numbering follows on from.
        let payload = match &descriptor {
            Some(descriptor) => self.renumbering.apply_to(&packet.payload, descriptor),
            None => packet.payload.clone(),
        };
        let newest = self.last.is_none_or(|last| is_newer(header.sequence_number, last.sequence_number));
        if newest {
            self.last = Some(Sent {
                sequence_number: header.sequence_number,
                timestamp: header.timestamp,
                at: now,
                picture_id: descriptor
                    .and_then(|d| d.picture_id)
                    .map(|id| id.shifted(self.renumbering.picture_id_shift)),
                tl0_index: descriptor
                    .and_then(|d| d.tl0_index)
                    .map(|(index, _)| index.wrapping_sub(self.renumbering.tl0_shift)),
            });
        }
        Some(Packet { header, payload })
    }

    /// A stream may start, or move towards its target, at a keyframe of any
    /// layer between where it is and where it is going: the first picture
    /// comes from whichever layer has one first.
    fn may_switch_to(&self, layer: u8, target: u8, keyframe: bool) -> bool {
        if !self.video {
            return layer == target || self.current.is_none();
        }
        if !keyframe {
            return false;
        }
        match self.current {
            None => layer <= target,
            Some(current) if current < target => layer > current && layer <= target,
            Some(current) => layer < current && layer >= target,
        }
    }

    fn switch_to(&mut self, layer: u8, packet: &Packet, descriptor: Option<&vp8::Descriptor>, now: Instant) {
        self.current = Some(layer);
        let Some(last) = self.last else {
            // The first packet this subscriber gets: numbers pass unchanged.
            self.sequence_offset = 0;
            self.timestamp_offset = 0;
            return;
        };
        // The new layer's keyframe is the picture after the last one sent,
        // and a picture of the temporal base layer.
        let picture_id = descriptor.and_then(|d| d.picture_id);
        self.renumbering = vp8::Renumbering {
            picture_id_shift: match (picture_id, last.picture_id) {
                (Some(id), Some(before)) => id.shifted(before.wrapping_add(1)),
                _ => 0,
            },
            tl0_shift: match (descriptor.and_then(|d| d.tl0_index), last.tl0_index) {
                (Some((index, _)), Some(before)) => index.wrapping_sub(before.wrapping_add(1)),
                _ => 0,
            },
        };
        self.sequence_offset = packet.header.sequence_number.wrapping_sub(last.sequence_number.wrapping_add(1));
        // The new layer's picture follows the last one after as long as
        // really passed (at least one tick, so time never stands still).
        let elapsed = now.saturating_duration_since(last.at).max(Duration::from_millis(1));
        let ticks = elapsed.as_millis() * VIDEO_TICKS_PER_MS;
        let expected = last.timestamp.wrapping_add(ticks as u32);
        self.timestamp_offset = packet.header.timestamp.wrapping_sub(expected);
    }
}

/// Whether sequence number `a` comes after `b`, across the wrap at 65,535.
fn is_newer(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use webrtc::util::Marshal;

    /// As the forwarding loop does: the descriptor read once, then forwarded.
    fn forward(switcher: &mut Switcher, layer: u8, packet: &Packet, keyframe: bool, now: Instant) -> Option<Packet> {
        let descriptor = vp8::Descriptor::parse(&packet.payload);
        switcher.forward(layer, packet, descriptor.as_ref(), keyframe, now)
    }

    /// A VP8 packet: descriptor with a two-byte picture id, then the frame's
    /// first byte (keyframe or not).
    fn vp8(sequence_number: u16, timestamp: u32, keyframe: bool) -> Packet {
        let frame = if keyframe { 0x10 } else { 0x11 };
        let mut packet = Packet::default();
        packet.header.sequence_number = sequence_number;
        packet.header.timestamp = timestamp;
        // The publisher's own extension, padded as browsers send it.
        packet.header.set_extension(3, Bytes::from_static(&[1, 2, 3])).unwrap();
        packet.payload = Bytes::from(vec![0x90, 0x80, 0x81, 0x23, frame, 0, 0]);
        packet
    }

    fn padding(sequence_number: u16) -> Packet {
        let mut packet = Packet::default();
        packet.header.sequence_number = sequence_number;
        packet
    }

    #[test]
    fn a_stream_starts_at_the_first_keyframe_of_a_layer_up_to_its_target() {
        let now = Instant::now();
        let mut switcher = Switcher::new(true, 1);
        assert!(forward(&mut switcher, 0, &vp8(10, 1000, false), false, now).is_none(), "no picture to start from");
        assert!(forward(&mut switcher, 2, &vp8(50, 9000, true), true, now).is_none(), "above the target");
        let first = forward(&mut switcher, 0, &vp8(11, 1000, true), true, now).expect("a keyframe of a lower layer");
        assert_eq!((first.header.sequence_number, first.header.timestamp), (11, 1000));
        assert!(!first.header.extension, "publisher extensions are not forwarded");
        // The subscriber's own extension (its media id) is added on sending.
        let mut sent = first.clone();
        sent.header.set_extension(1, Bytes::from_static(b"0")).unwrap();
        assert!(sent.marshal().is_ok(), "the header adds up to its size");
        assert_eq!(switcher.current(), Some(0));
    }

    #[tokio::test(start_paused = true)]
    async fn moving_up_a_layer_continues_numbers_and_time() {
        let mut switcher = Switcher::new(true, 2);
        let start = Instant::now();
        forward(&mut switcher, 0, &vp8(100, 5000, true), true, start).unwrap();
        forward(&mut switcher, 0, &vp8(101, 5000, false), false, start).unwrap();
        tokio::time::advance(Duration::from_millis(40)).await;
        // The top layer's own numbering is elsewhere entirely.
        assert!(forward(&mut switcher, 2, &vp8(60000, 4_000_000_000, false), false, Instant::now()).is_none());
        let moved = forward(&mut switcher, 2, &vp8(60001, 4_000_000_000, true), true, Instant::now()).unwrap();
        assert_eq!(moved.header.sequence_number, 102, "follows on from the last packet sent");
        assert_eq!(moved.header.timestamp, 5000 + 40 * 90, "40 ms later on the 90 kHz clock");
        assert!(
            forward(&mut switcher, 0, &vp8(102, 8600, false), false, Instant::now()).is_none(),
            "the old layer is left"
        );
        let next = forward(&mut switcher, 2, &vp8(60002, 4_000_003_000, false), false, Instant::now()).unwrap();
        assert_eq!((next.header.sequence_number, next.header.timestamp), (103, 5000 + 3600 + 3000));
    }

    /// A VP8 packet of one picture: its picture id (15 bits) and TL0PICIDX.
    fn picture(sequence_number: u16, picture_id: u16, tl0_index: u8, keyframe: bool) -> Packet {
        let mut packet = vp8(sequence_number, 0, keyframe);
        let [high, low] = picture_id.to_be_bytes();
        let frame = if keyframe { 0x10 } else { 0x11 };
        packet.payload = Bytes::from(vec![0x90, 0xc0, 0x80 | high, low, tl0_index, frame, 0]);
        packet
    }

    fn picture_numbers(packet: &Packet) -> (u16, u8) {
        let descriptor = vp8::Descriptor::parse(&packet.payload).unwrap();
        (descriptor.picture_id.unwrap().value, descriptor.tl0_index.unwrap().0)
    }

    #[test]
    fn moving_between_layers_continues_the_picture_numbering() {
        let now = Instant::now();
        let mut switcher = Switcher::new(true, 2);
        let first = forward(&mut switcher, 0, &picture(1, 100, 5, true), true, now).unwrap();
        assert_eq!(picture_numbers(&first), (100, 5), "the first layer passes unchanged");
        forward(&mut switcher, 0, &picture(2, 101, 5, false), false, now).unwrap();
        let moved = forward(&mut switcher, 2, &picture(900, 32_000, 200, true), true, now).unwrap();
        assert_eq!(picture_numbers(&moved), (102, 6), "the next picture, and the next base-layer picture");
        let next = forward(&mut switcher, 2, &picture(901, 32_767, 200, false), false, now).unwrap();
        assert_eq!(picture_numbers(&next), (869, 6));
        let wrapped = forward(&mut switcher, 2, &picture(902, 0, 201, false), false, now).unwrap();
        assert_eq!(picture_numbers(&wrapped), (870, 7), "the publisher's wrap at 15 bits carries through");

        assert!(switcher.retarget(Some(0)));
        let back = forward(&mut switcher, 0, &picture(3, 150, 9, true), true, now).unwrap();
        assert_eq!(picture_numbers(&back), (871, 8), "and back down again");
    }

    #[test]
    fn a_late_packet_does_not_move_where_the_next_layer_follows_on() {
        let mut switcher = Switcher::new(true, 2);
        let now = Instant::now();
        forward(&mut switcher, 0, &vp8(65535, 0, true), true, now).unwrap();
        forward(&mut switcher, 0, &vp8(1, 0, false), false, now).unwrap();
        forward(&mut switcher, 0, &vp8(0, 0, false), false, now).expect("a late packet still goes out");
        let moved = forward(&mut switcher, 2, &vp8(900, 0, true), true, now).unwrap();
        assert_eq!(moved.header.sequence_number, 2, "follows the newest, across the wrap");
    }

    #[test]
    fn moving_down_waits_for_a_keyframe_of_the_lower_layer() {
        let now = Instant::now();
        let mut switcher = Switcher::new(true, 2);
        forward(&mut switcher, 2, &vp8(1, 0, true), true, now).unwrap();
        assert!(switcher.retarget(Some(0)), "a keyframe of the new layer is needed");
        assert!(forward(&mut switcher, 0, &vp8(500, 0, false), false, now).is_none());
        assert!(forward(&mut switcher, 2, &vp8(2, 0, false), false, now).is_some(), "the old layer plays until then");
        assert!(forward(&mut switcher, 0, &vp8(501, 0, true), true, now).is_some());
        assert_eq!(switcher.current(), Some(0));
    }

    #[test]
    fn a_paused_stream_sends_nothing_and_restarts_at_a_keyframe() {
        let now = Instant::now();
        let mut switcher = Switcher::new(true, 0);
        forward(&mut switcher, 0, &vp8(1, 0, true), true, now).unwrap();
        assert!(!switcher.retarget(None));
        assert!(forward(&mut switcher, 0, &vp8(2, 0, true), true, now).is_none());
        assert!(switcher.retarget(Some(0)));
        assert!(forward(&mut switcher, 0, &vp8(3, 0, false), false, now).is_none());
        assert_eq!(forward(&mut switcher, 0, &vp8(4, 0, true), true, now).unwrap().header.sequence_number, 2);
    }

    #[test]
    fn padding_is_dropped_and_numbers_close_the_gap() {
        let now = Instant::now();
        let mut switcher = Switcher::new(false, 2);
        let sent: Vec<u16> = [vp8(65534, 0, false), padding(65535), vp8(0, 0, false), padding(1), vp8(2, 0, false)]
            .iter()
            .filter_map(|packet| forward(&mut switcher, 2, packet, false, now))
            .map(|packet| packet.header.sequence_number)
            .collect();
        assert_eq!(sent, [65534, 65535, 0], "consecutive across the wrap, padding gone");
    }
}
