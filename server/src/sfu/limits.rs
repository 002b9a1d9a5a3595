//! How much of the media server one call, one member and one signalling
//! socket may take: participants per call, call sessions per member (tabs
//! and devices), messages per second per socket, tracks per publisher.
//! Each is checked before the work it guards is done.

use anteroom_app::model::MemberId;
use anteroom_app::ssr::rate_limit::{Limit, Slot, Slots};
use std::time::Duration;

/// Signalling messages one socket may send at once (a negotiation with its
/// candidates is a few dozen), and how fast it earns more.
const MESSAGE_BURST: u32 = 200;
const MESSAGE_REFILL: Duration = Duration::from_millis(20);

/// Chat messages one participant may send at once, and how fast they earn
/// more: well below the signalling allowance, well above anyone typing.
/// A guest with a link sent 50 a second, each stored and mailed (issue 32).
const CHAT_BURST: u32 = 10;
const CHAT_REFILL: Duration = Duration::from_secs(1);

/// Tracks of each kind one participant may publish: a camera and a shared
/// screen, a microphone and the screen's sound.
pub const MAX_TRACKS_PER_KIND: usize = 2;

pub struct CallLimits {
    pub max_participants: usize,
    sessions_per_member: Slots<MemberId>,
}

/// One of a member's call sessions; dropping it gives the slot back.
pub type MemberSlot = Slot<MemberId>;

impl CallLimits {
    pub fn new(max_participants: u64, max_sessions_per_member: u64) -> Self {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        CallLimits {
            max_participants: size(max_participants),
            sessions_per_member: Slots::new(size(max_sessions_per_member)),
        }
    }

    pub fn max_sessions_per_member(&self) -> usize {
        self.sessions_per_member.limit()
    }

    /// A session slot for `member`, unless they already have their share.
    pub fn member_slot(&self, member: MemberId) -> Option<MemberSlot> {
        self.sessions_per_member.take(member)
    }
}

/// The message allowance of one signalling socket.
pub fn message_allowance() -> Limit {
    Limit::new(MESSAGE_BURST, MESSAGE_REFILL)
}

/// The chat allowance of one participant's session.
pub fn chat_allowance() -> Limit {
    Limit::new(CHAT_BURST, CHAT_REFILL)
}

/// True when an SDP offer publishes more than [`MAX_TRACKS_PER_KIND`] live
/// tracks of one kind (m-lines with port 0 are stopped and do not count).
pub fn too_many_tracks(sdp: &str) -> bool {
    let (mut audio, mut video) = (0, 0);
    for line in sdp.lines() {
        let mut media = line.strip_prefix("m=").unwrap_or_default().split_whitespace();
        let (Some(kind), Some(port)) = (media.next(), media.next()) else { continue };
        match (kind, port) {
            (_, "0") => {}
            ("audio", _) => audio += 1,
            ("video", _) => video += 1,
            _ => {}
        }
    }
    audio > MAX_TRACKS_PER_KIND || video > MAX_TRACKS_PER_KIND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_has_a_few_sessions_and_gets_them_back() {
        let limits = CallLimits::new(100, 2);
        let ada = MemberId(1);
        let first = limits.member_slot(ada).unwrap();
        let _second = limits.member_slot(ada).unwrap();
        assert!(limits.member_slot(ada).is_none(), "a third tab is refused");
        assert!(limits.member_slot(MemberId(2)).is_some(), "others are not affected");
        drop(first);
        assert!(limits.member_slot(ada).is_some(), "a closed tab frees its slot");
    }

    #[test]
    fn offers_may_carry_two_live_tracks_of_each_kind() {
        let offer = |audio: usize, video: usize, stopped: usize| {
            let mut sdp = "v=0\r\n".to_string();
            sdp += &"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n".repeat(audio);
            sdp += &"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n".repeat(video);
            sdp += &"m=video 0 UDP/TLS/RTP/SAVPF 96\r\n".repeat(stopped);
            sdp
        };
        assert!(!too_many_tracks(&offer(2, 2, 0)));
        assert!(!too_many_tracks(&offer(1, 2, 3)), "stopped screen shares do not count");
        assert!(too_many_tracks(&offer(3, 1, 0)));
        assert!(too_many_tracks(&offer(1, 50, 0)));
    }
}
