//! How much of the media server one call, one member and one signalling
//! socket may take: participants per call, call sessions per member (tabs
//! and devices), messages, chat and renegotiations per second per socket
//! (what one description may ask is counted in `descriptions`). Each is
//! checked before the work it guards is done.

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

/// Publish offers one participant may send at once (joining, then two per
/// screen share), and how fast they earn more: each one renegotiates the
/// link, which costs the call's worker far more than a message.
const OFFER_BURST: u32 = 10;
const OFFER_REFILL: Duration = Duration::from_secs(5);

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

/// What one participant's session may ask of the call beyond plain
/// messages, each at its own pace.
pub struct Allowances {
    pub chat: Limit,
    /// Publish offers (renegotiations of the publish link).
    pub offers: Limit,
}

impl Default for Allowances {
    fn default() -> Self {
        Allowances { chat: Limit::new(CHAT_BURST, CHAT_REFILL), offers: Limit::new(OFFER_BURST, OFFER_REFILL) }
    }
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
}
