//! What a browser's session description asks of the media server, counted
//! before it is applied: the tracks it would send, its media sections (each
//! one a transceiver the server keeps for the link's life) and its ICE
//! candidates (each one connectivity checks the server sends). Issue 32 saw
//! one channel guest get 20 video sections accepted by marking them
//! `bundle-only` on port 0, and two guests get 76,500 candidates accepted
//! inside offers, which took most of a core.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

/// Tracks of each kind one participant may send: a camera and a shared
/// screen, a microphone and the screen's sound.
pub const MAX_TRACKS_PER_KIND: usize = 2;
/// Media sections one publish link may have, sending or not. A browser
/// keeps a section for every track it ever sent on the link (a stopped
/// screen share leaves its sections, inactive): two per share, so this
/// allows a camera, a microphone and a good ten screen shares per join.
pub const MAX_MEDIA_SECTIONS: usize = 24;
/// Distinct ICE candidates one link may be given, in its descriptions and
/// trickled, over its whole life. A browser has a few per network
/// interface (a laptop with Wi-Fi, Ethernet and a VPN lists about a dozen).
pub const MAX_CANDIDATES: usize = 64;

/// The counted shape of one description.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Shape {
    pub sending_audio: usize,
    pub sending_video: usize,
    /// Every `m=` section, whatever its kind, port or direction.
    pub sections: usize,
    /// Distinct `a=candidate` lines (browsers repeat a bundled transport's
    /// candidates in each of its sections).
    pub candidates: usize,
}

/// One media section while it is read.
struct Section {
    kind: String,
    /// Port 0 without `a=bundle-only` is a stopped section; with it, the
    /// section is live on the bundle's transport.
    port_zero: bool,
    bundle_only: bool,
    /// `sendrecv` unless the section says otherwise.
    sends: bool,
}

impl Section {
    fn sending_kind(&self) -> Option<&str> {
        (self.sends && (!self.port_zero || self.bundle_only)).then_some(self.kind.as_str())
    }
}

/// Reads the shape of `sdp`. Lines it does not know are skipped: whether
/// the description is valid is the WebRTC stack's call, made afterwards.
pub fn shape(sdp: &str) -> Shape {
    let mut shape = Shape::default();
    let mut candidates = HashSet::new();
    let mut section: Option<Section> = None;
    let close = |section: Option<Section>, shape: &mut Shape| match section.as_ref().and_then(Section::sending_kind) {
        Some("audio") => shape.sending_audio += 1,
        Some("video") => shape.sending_video += 1,
        _ => {}
    };
    for line in sdp.lines().map(str::trim_end) {
        if let Some(media) = line.strip_prefix("m=") {
            close(section.take(), &mut shape);
            shape.sections += 1;
            let mut fields = media.split_whitespace();
            section = Some(Section {
                kind: fields.next().unwrap_or_default().to_string(),
                port_zero: fields.next().is_some_and(|port| port.split('/').next() == Some("0")),
                bundle_only: false,
                sends: true,
            });
        } else if let Some(candidate) = candidate_line(line) {
            candidates.insert(candidate);
        } else if let Some(section) = section.as_mut() {
            match line {
                "a=bundle-only" => section.bundle_only = true,
                "a=recvonly" | "a=inactive" => section.sends = false,
                "a=sendrecv" | "a=sendonly" => section.sends = true,
                _ => {}
            }
        }
    }
    close(section, &mut shape);
    shape.candidates = candidates.len();
    shape
}

/// The candidate in an `a=candidate:` line, as a browser trickles it.
fn candidate_line(line: &str) -> Option<&str> {
    line.strip_prefix("a=").filter(|rest| rest.starts_with("candidate:"))
}

/// The distinct candidates in `sdp`, as trickled candidates are written.
pub fn candidates(sdp: &str) -> impl Iterator<Item = &str> {
    sdp.lines().map(str::trim_end).filter_map(candidate_line)
}

impl Shape {
    /// Why a publish offer of this shape is refused, if it is.
    pub fn publish_problem(&self) -> Option<String> {
        if self.sections > MAX_MEDIA_SECTIONS {
            return Some(format!(
                "Your browser offered {} media sections; a call takes at most {MAX_MEDIA_SECTIONS} from you. \
                 Leave the call and join again.",
                self.sections
            ));
        }
        if self.sending_audio > MAX_TRACKS_PER_KIND || self.sending_video > MAX_TRACKS_PER_KIND {
            return Some(format!(
                "A call can carry at most {MAX_TRACKS_PER_KIND} audio and {MAX_TRACKS_PER_KIND} video tracks from you."
            ));
        }
        self.candidates_problem()
    }

    /// Why a description with this many candidates is refused, if it is.
    pub fn candidates_problem(&self) -> Option<String> {
        (self.candidates > MAX_CANDIDATES).then(|| {
            format!("Your browser listed {} network candidates; at most {MAX_CANDIDATES} are taken.", self.candidates)
        })
    }
}

/// The distinct candidates one link was given, up to [`MAX_CANDIDATES`]:
/// kept as hashes (keyed per link, so they cannot be chosen to collide).
#[derive(Default)]
pub struct CandidateBook {
    seen: HashSet<u64>,
    hasher: RandomState,
}

/// What the book says of a trickled candidate.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    New,
    /// Already given: applying it again would only repeat work.
    Repeated,
    /// New, and the link already has its share.
    Full,
}

impl CandidateBook {
    /// Notes one trickled candidate.
    pub fn note(&mut self, candidate: &str) -> Entry {
        let hash = self.hasher.hash_one(candidate);
        if self.seen.contains(&hash) {
            Entry::Repeated
        } else if self.seen.len() >= MAX_CANDIDATES {
            Entry::Full
        } else {
            self.seen.insert(hash);
            Entry::New
        }
    }

    /// Notes every candidate of a description, all or none: false, and
    /// nothing noted, when the new ones would take the link past its share.
    pub fn note_all<'a>(&mut self, candidates: impl Iterator<Item = &'a str>) -> bool {
        let new: HashSet<u64> =
            candidates.map(|c| self.hasher.hash_one(c)).filter(|hash| !self.seen.contains(hash)).collect();
        if self.seen.len() + new.len() > MAX_CANDIDATES {
            return false;
        }
        self.seen.extend(new);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(sections: &[&str]) -> String {
        let mut sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n".to_string();
        for section in sections {
            sdp += section;
        }
        sdp
    }

    const AUDIO: &str = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n";
    const VIDEO: &str = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n";
    const STOPPED: &str = "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=inactive\r\n";
    const UNSHARED: &str = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=inactive\r\n";
    const BUNDLED: &str = "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=bundle-only\r\na=sendonly\r\n";
    const NO_DIRECTION: &str = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n";

    #[test]
    fn tracks_are_counted_by_what_their_sections_send() {
        let cases: [(&[&str], usize, usize, usize); 6] = [
            (&[AUDIO, VIDEO], 1, 1, 2),
            (&[AUDIO, VIDEO, VIDEO, AUDIO], 2, 2, 4),
            (&[VIDEO, STOPPED, STOPPED], 0, 1, 3),
            (&[VIDEO, UNSHARED, UNSHARED, VIDEO], 0, 2, 4),
            (&[VIDEO, BUNDLED, BUNDLED], 0, 3, 3),
            (&[NO_DIRECTION, NO_DIRECTION, NO_DIRECTION], 0, 3, 3),
        ];
        for (sections, audio, video, total) in cases {
            let shape = shape(&offer(sections));
            assert_eq!(
                (shape.sending_audio, shape.sending_video, shape.sections),
                (audio, video, total),
                "{sections:?}"
            );
        }
    }

    #[test]
    fn offers_out_of_bounds_are_refused_with_a_reason() {
        assert_eq!(shape(&offer(&[AUDIO, VIDEO, VIDEO])).publish_problem(), None);
        assert_eq!(shape(&offer(&[VIDEO, UNSHARED, UNSHARED, UNSHARED, VIDEO])).publish_problem(), None);
        let bundled = shape(&offer(&[VIDEO, BUNDLED, BUNDLED])).publish_problem().unwrap();
        assert!(bundled.contains("at most 2"), "{bundled}");
        let many = shape(&offer(&[UNSHARED; MAX_MEDIA_SECTIONS + 1])).publish_problem().unwrap();
        assert!(many.contains("25 media sections"), "{many}");
    }

    #[test]
    fn candidates_are_counted_once_however_often_repeated() {
        let line = |n: usize| format!("a=candidate:{n} 1 udp 2122260223 127.0.0.1 {} typ host\r\n", 50000 + n);
        let section = |from: usize, to: usize| VIDEO.to_string() + &(from..to).map(line).collect::<String>();
        let repeated = offer(&[&section(0, 10), &section(0, 10), &section(5, 12)]);
        assert_eq!(shape(&repeated).candidates, 12);
        assert_eq!(candidates(&repeated).count(), 27);
        assert!(candidates(&repeated).all(|c| c.starts_with("candidate:")));
        let flood = offer(&[&section(0, 1020)]);
        assert!(shape(&flood).candidates_problem().unwrap().contains("1020 network candidates"));
    }

    #[test]
    fn a_link_takes_its_share_of_candidates_and_no_more() {
        let mut book = CandidateBook::default();
        let names: Vec<String> =
            (0..MAX_CANDIDATES + 10).map(|n| format!("candidate:{n} 1 udp 1 127.0.0.1 9 typ host")).collect();
        assert!(book.note_all(names[..40].iter().map(String::as_str)));
        assert!(book.note_all(names[..40].iter().map(String::as_str)), "a renegotiation repeats them");
        assert!(!book.note_all(names[30..70].iter().map(String::as_str)), "past the share: refused whole");
        assert_eq!(book.note(&names[40]), Entry::New, "nothing of the refused description was noted");
        assert_eq!(book.note(&names[40]), Entry::Repeated);
        for name in &names[41..MAX_CANDIDATES] {
            assert_eq!(book.note(name), Entry::New);
        }
        assert_eq!(book.note(&names[MAX_CANDIDATES]), Entry::Full);
        assert_eq!(book.note(&names[0]), Entry::Repeated);
    }

    /// One section as a test writes it: kind, port 0, bundle-only, its
    /// direction line (if any) and its candidates (numbers).
    type Written = (&'static str, bool, bool, Option<&'static str>, Vec<u32>);

    fn written() -> impl proptest::strategy::Strategy<Value = Vec<Written>> {
        use proptest::prelude::*;
        let section = (
            prop_oneof![Just("audio"), Just("video"), Just("application")],
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(prop_oneof![Just("sendrecv"), Just("sendonly"), Just("recvonly"), Just("inactive")]),
            proptest::collection::vec(0..100u32, 0..12),
        );
        proptest::collection::vec(section, 0..40)
    }

    proptest::proptest! {
        /// The counts match what was written, however the sections,
        /// directions and repeated candidates are mixed.
        #[test]
        fn counts_match_the_sections_written(sections in written()) {
            let mut sdp = offer(&[]);
            let (mut audio, mut video, mut distinct) = (0, 0, HashSet::new());
            for (kind, port_zero, bundle_only, direction, numbers) in &sections {
                sdp += &format!("m={kind} {} UDP/TLS/RTP/SAVPF 96\r\n", if *port_zero { 0 } else { 9 });
                sdp += "a=rtcp-mux\r\n";
                if *bundle_only {
                    sdp += "a=bundle-only\r\n";
                }
                if let Some(direction) = direction {
                    sdp += &format!("a={direction}\r\n");
                }
                for n in numbers {
                    sdp += &format!("a=candidate:{n} 1 udp 1 127.0.0.1 {n} typ host\r\n");
                    distinct.insert(n);
                }
                let sends = !matches!(direction, Some("recvonly" | "inactive")) && (!port_zero || *bundle_only);
                match (*kind, sends) {
                    ("audio", true) => audio += 1,
                    ("video", true) => video += 1,
                    _ => {}
                }
            }
            let counted = shape(&sdp);
            proptest::prop_assert_eq!(
                counted,
                Shape { sending_audio: audio, sending_video: video, sections: sections.len(), candidates: distinct.len() }
            );
        }
    }
}
