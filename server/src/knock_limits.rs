//! Rate limits on knocking, so nobody can flood a room's members with join
//! requests or try invite tokens at speed: a few knocks per client address,
//! and a larger budget per link (a room's or a meeting channel's) shared by
//! everyone who has it.

use anteroom_app::protocol::signal::ConferenceId;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Knocks one client address may make at once, and how fast it earns more.
const PER_ADDRESS_BURST: u32 = 6;
const PER_ADDRESS_REFILL: Duration = Duration::from_secs(10);
/// Knocks one link may receive at once, and how fast it earns more.
const PER_LINK_BURST: u32 = 30;
const PER_LINK_REFILL: Duration = Duration::from_secs(2);
/// Past this many remembered keys, forget the ones back to full allowance.
const MAX_REMEMBERED_KEYS: usize = 10_000;

pub struct KnockLimits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_link: DefaultKeyedRateLimiter<ConferenceId>,
}

fn quota(burst: u32, refill: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).expect("bursts are constants above zero");
    Quota::with_period(refill).expect("refill periods are constants above zero").allow_burst(burst)
}

impl Default for KnockLimits {
    fn default() -> Self {
        KnockLimits {
            per_address: RateLimiter::keyed(quota(PER_ADDRESS_BURST, PER_ADDRESS_REFILL)),
            per_link: RateLimiter::keyed(quota(PER_LINK_BURST, PER_LINK_REFILL)),
        }
    }
}

impl KnockLimits {
    /// Counts a knock attempt from `address`, valid or not; false when it
    /// has knocked too often.
    pub fn allow_address(&self, address: IpAddr) -> bool {
        if self.per_address.len() > MAX_REMEMBERED_KEYS {
            self.per_address.retain_recent();
        }
        self.per_address.check_key(&address).is_ok()
    }

    /// Counts a knock at the link of `place`; false when it is knocked on
    /// too often.
    pub fn allow_link(&self, place: ConferenceId) -> bool {
        if self.per_link.len() > MAX_REMEMBERED_KEYS {
            self.per_link.retain_recent();
        }
        self.per_link.check_key(&place).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anteroom_app::model::{ChannelId, RoomId};

    #[test]
    fn each_address_gets_its_own_small_burst() {
        let limits = KnockLimits::default();
        let one: IpAddr = [127, 0, 0, 1].into();
        let two: IpAddr = [127, 0, 0, 2].into();
        let allowed = (0..PER_ADDRESS_BURST + 3).filter(|_| limits.allow_address(one)).count();
        assert_eq!(allowed, PER_ADDRESS_BURST as usize);
        assert!(limits.allow_address(two), "another address is not affected");
    }

    #[test]
    fn each_link_gets_a_shared_larger_burst() {
        let limits = KnockLimits::default();
        let room = ConferenceId::Room(RoomId(1));
        let allowed = (0..PER_LINK_BURST + 3).filter(|_| limits.allow_link(room)).count();
        assert_eq!(allowed, PER_LINK_BURST as usize);
        assert!(limits.allow_link(ConferenceId::Room(RoomId(2))));
        assert!(limits.allow_link(ConferenceId::Channel(ChannelId(1))), "a channel's link has its own budget");
    }
}
