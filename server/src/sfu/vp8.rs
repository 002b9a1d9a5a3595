//! What the SFU reads and rewrites in a VP8 RTP payload (RFC 7741): the
//! payload descriptor in front of every packet, and the first bytes of a
//! frame. Nothing is decoded.
//!
//! Simulcast layers are separate encodings, each numbering its pictures on
//! its own (picture id, TL0PICIDX). A subscriber moved between layers must
//! see one numbering that runs on, or its decoder takes the jump for lost
//! pictures and waits for references that never come; `layers` keeps the
//! offsets and `renumber` applies them.

use bytes::{Bytes, BytesMut};

/// Where the numbered fields sit in one packet's payload descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptor {
    /// The picture id, if the descriptor carries one.
    pub picture_id: Option<PictureId>,
    /// The temporal base layer's picture index and where it sits.
    pub tl0_index: Option<(u8, usize)>,
    /// Where the VP8 frame itself begins, when this packet starts a frame
    /// (the S bit set on partition 0).
    frame_start: Option<usize>,
}

/// A picture id: 7 bits, or 15 when the descriptor says so (browsers send
/// 15), at byte `at` of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureId {
    pub value: u16,
    pub wide: bool,
    at: usize,
}

impl PictureId {
    /// How many values the field can hold before it wraps.
    pub fn modulus(self) -> u16 {
        if self.wide { 1 << 15 } else { 1 << 7 }
    }

    /// Its value lowered by `shift`, wrapping at its width.
    pub fn shifted(self, shift: u16) -> u16 {
        self.value.wrapping_sub(shift) % self.modulus()
    }
}

impl Descriptor {
    /// Reads the descriptor at the start of `payload`; None when it is cut
    /// short (a malformed packet is forwarded untouched).
    pub fn parse(payload: &[u8]) -> Option<Descriptor> {
        let first = *payload.first()?;
        let mut at = 1;
        let (mut picture_id, mut tl0_index) = (None, None);
        if first & 0x80 != 0 {
            let extensions = *payload.get(at)?;
            at += 1;
            if extensions & 0x80 != 0 {
                let high = *payload.get(at)?;
                if high & 0x80 != 0 {
                    let low = *payload.get(at + 1)?;
                    picture_id = Some(PictureId { value: u16::from_be_bytes([high & 0x7f, low]), wide: true, at });
                    at += 2;
                } else {
                    picture_id = Some(PictureId { value: u16::from(high), wide: false, at });
                    at += 1;
                }
            }
            if extensions & 0x40 != 0 {
                tl0_index = Some((*payload.get(at)?, at));
                at += 1;
            }
            if extensions & 0x30 != 0 {
                at += 1;
            }
        }
        let starts_frame = first & 0x10 != 0 && first & 0x07 == 0;
        let frame_start = (starts_frame && at < payload.len()).then_some(at);
        Some(Descriptor { picture_id, tl0_index, frame_start })
    }
    /// Whether the packet this descriptor came from starts a keyframe: only
    /// the first packet of a frame can say, in the lowest bit of the frame
    /// tag (0 for a keyframe).
    pub fn starts_keyframe(&self, payload: &[u8]) -> bool {
        self.frame_start.and_then(|at| payload.get(at)).is_some_and(|tag| tag & 0x01 == 0)
    }

    /// The picture height a keyframe's first packet declares (RFC 6386 9.1:
    /// a 3-byte frame tag, the start code 9d 01 2a, then width and height as
    /// 14-bit little-endian numbers).
    pub fn keyframe_height(&self, payload: &[u8]) -> Option<u16> {
        let at = self.frame_start?;
        let header = payload.get(at..at + 10)?;
        if header[0] & 0x01 != 0 || header[3..6] != [0x9d, 0x01, 0x2a] {
            return None;
        }
        Some(u16::from_le_bytes([header[8], header[9]]) & 0x3fff)
    }
}

/// What one subscriber's copies of a layer are renumbered by (nothing,
/// until it moves between layers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Renumbering {
    pub picture_id_shift: u16,
    pub tl0_shift: u8,
}

impl Renumbering {
    /// `payload` renumbered, as `apply_to` does with its descriptor; the
    /// payload itself, uncopied (and unparsed), when nothing changes.
    pub fn apply(self, payload: &Bytes) -> Bytes {
        if self == Renumbering::default() {
            return payload.clone();
        }
        match Descriptor::parse(payload) {
            Some(descriptor) => self.apply_to(payload, &descriptor),
            None => payload.clone(),
        }
    }

    /// A copy of `payload` (whose payload descriptor is `descriptor`) with
    /// its picture id lowered by `picture_id_shift` and its TL0PICIDX by
    /// `tl0_shift` (each wrapping at its width). Returns the payload
    /// itself, uncopied, when there is nothing to change.
    pub fn apply_to(self, payload: &Bytes, descriptor: &Descriptor) -> Bytes {
        let picture_id = descriptor.picture_id.filter(|_| self.picture_id_shift != 0);
        let tl0_index = descriptor.tl0_index.filter(|_| self.tl0_shift != 0);
        if picture_id.is_none() && tl0_index.is_none() {
            return payload.clone();
        }
        let mut copy = BytesMut::from(&payload[..]);
        if let Some(id) = picture_id {
            let value = id.shifted(self.picture_id_shift);
            if id.wide {
                let [high, low] = value.to_be_bytes();
                copy[id.at] = 0x80 | high;
                copy[id.at + 1] = low;
            } else {
                copy[id.at] = value as u8;
            }
        }
        if let Some((index, at)) = tl0_index {
            copy[at] = index.wrapping_sub(self.tl0_shift);
        }
        copy.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts_keyframe(payload: &[u8]) -> bool {
        Descriptor::parse(payload).is_some_and(|d| d.starts_keyframe(payload))
    }

    fn keyframe_height(payload: &[u8]) -> Option<u16> {
        Descriptor::parse(payload)?.keyframe_height(payload)
    }

    /// Descriptor with a 15-bit picture id and a TL0PICIDX, then a frame tag.
    fn packet(picture_id: u16, tl0: u8, frame_tag: u8) -> Bytes {
        let [high, low] = picture_id.to_be_bytes();
        Bytes::from(vec![0x90, 0xc0, 0x80 | high, low, tl0, frame_tag, 0, 0])
    }

    #[test]
    fn keyframes_are_recognised() {
        assert!(starts_keyframe(&packet(5, 0, 0x10)));
        assert!(!starts_keyframe(&packet(5, 0, 0x11)));
        // Without extensions: S=1, PID=0, then the frame byte.
        assert!(starts_keyframe(&[0x10, 0x50]));
        // The middle of a frame (S=0) is never a start.
        assert!(!starts_keyframe(&[0x00, 0x50]));
        assert!(!starts_keyframe(&[0x90, 0x80]), "truncated");
        assert!(!starts_keyframe(&[]));
    }

    #[test]
    fn a_keyframe_says_how_tall_it_is() {
        // Descriptor without extensions, frame tag (keyframe), start code,
        // width 640 and height 480 (with scaling bits set, ignored).
        let keyframe = [0x10, 0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x41];
        assert_eq!(keyframe_height(&keyframe), Some(480));
        let mut delta = keyframe;
        delta[1] |= 0x01;
        assert_eq!(keyframe_height(&delta), None, "only keyframes carry a size");
        assert_eq!(keyframe_height(&keyframe[..8]), None, "truncated");
    }

    #[test]
    fn the_numbered_fields_are_found() {
        let descriptor = Descriptor::parse(&packet(0x1234, 77, 0x10)).unwrap();
        assert_eq!(descriptor.picture_id.map(|id| (id.value, id.wide)), Some((0x1234, true)));
        assert_eq!(descriptor.tl0_index.map(|(index, _)| index), Some(77));
        let narrow = Descriptor::parse(&[0x90, 0x80, 0x05, 0x10]).unwrap();
        assert_eq!(narrow.picture_id.map(|id| (id.value, id.wide)), Some((5, false)));
        assert_eq!(narrow.tl0_index, None);
        assert_eq!(Descriptor::parse(&[0x90, 0x80, 0x85]), None, "a wide id cut short");
    }

    #[test]
    fn renumbering_wraps_at_each_fields_width_and_touches_nothing_else() {
        let original = packet(3, 1, 0x10);
        let descriptor = Descriptor::parse(&original).unwrap();
        let moved = Renumbering { picture_id_shift: 5, tl0_shift: 2 }.apply_to(&original, &descriptor);
        let read = Descriptor::parse(&moved).unwrap();
        assert_eq!(read.picture_id.unwrap().value, (1 << 15) - 2, "3 - 5 wraps at 15 bits");
        assert_eq!(read.tl0_index.unwrap().0, 255, "1 - 2 wraps at 8 bits");
        assert_eq!(moved[0], original[0]);
        assert_eq!(moved[5..], original[5..], "the frame is untouched");
        assert!(starts_keyframe(&moved));

        let narrow = Bytes::from_static(&[0x90, 0x80, 0x05, 0x10]);
        let read =
            Renumbering { picture_id_shift: 7, tl0_shift: 0 }.apply_to(&narrow, &Descriptor::parse(&narrow).unwrap());
        assert_eq!(read[2], 126, "5 - 7 wraps at 7 bits, top bit clear");

        let same = Renumbering::default().apply_to(&original, &descriptor);
        assert_eq!(same.as_ptr(), original.as_ptr(), "nothing to change: no copy");
    }
}
