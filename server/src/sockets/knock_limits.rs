//! Rate limits on knocking, so nobody can flood a room's members with join
//! requests or try invite tokens at speed: a few knocks per client address,
//! and a larger budget per link (a room's or a meeting channel's) shared by
//! everyone who has it. A link's budgets (knocks, open pages) are each more
//! than ten networks' allowances together, so that a few attacking
//! networks cannot spend what a real guest needs (issue 32: 10 addresses ×
//! 10 idle pages, or 7 addresses' knocks, kept a real guest out), while
//! colleagues behind one office's address still come in together.

use anteroom_app::model::ConferenceId;
use anteroom_app::ssr::rate_limit::{KeyedLimit, Slot, Slots, client_key};
use std::net::IpAddr;
use std::time::Duration;

/// Knocks one client address may make at once, and how fast it earns more.
const PER_ADDRESS_BURST: u32 = 6;
const PER_ADDRESS_REFILL: Duration = Duration::from_secs(10);
/// Knocks one link may receive at once, and how fast it earns more: ten
/// addresses' bursts leave 40, and their pace (one a second together)
/// half of its own.
const PER_LINK_BURST: u32 = 100;
const PER_LINK_REFILL: Duration = Duration::from_millis(500);

/// Guest sockets one client address may hold open at once (welcome pages,
/// waiting screens), and one link: nobody needs an account to open them,
/// so they are capped before they cost anything.
pub const OPEN_SOCKETS_PER_ADDRESS: usize = 10;
pub const OPEN_SOCKETS_PER_LINK: usize = 200;

pub struct KnockLimits {
    per_address: KeyedLimit<IpAddr>,
    per_link: KeyedLimit<ConferenceId>,
    open_per_address: Slots<IpAddr>,
    open_per_link: Slots<String>,
}

/// A guest socket's place under the open-socket caps, held while it is open.
pub struct OpenSocket {
    _address: Slot<IpAddr>,
    _link: Slot<String>,
}

impl Default for KnockLimits {
    fn default() -> Self {
        KnockLimits {
            per_address: KeyedLimit::new(PER_ADDRESS_BURST, PER_ADDRESS_REFILL),
            per_link: KeyedLimit::new(PER_LINK_BURST, PER_LINK_REFILL),
            open_per_address: Slots::new(OPEN_SOCKETS_PER_ADDRESS),
            open_per_link: Slots::new(OPEN_SOCKETS_PER_LINK),
        }
    }
}

impl KnockLimits {
    /// Room for one more open guest socket from `address` at the link
    /// `invite`, unless either already has its share.
    pub fn open_socket(&self, address: IpAddr, invite: &str) -> Option<OpenSocket> {
        let address = self.open_per_address.take(client_key(address))?;
        let link = self.open_per_link.take(invite.to_string())?;
        Some(OpenSocket { _address: address, _link: link })
    }

    /// Counts a knock attempt from `address` (IPv6 by its /64), valid or
    /// not; false when it has knocked too often.
    pub fn allow_address(&self, address: IpAddr) -> bool {
        self.per_address.check(&client_key(address)).is_ok()
    }

    /// Counts a knock at the link of `place`; false when it is knocked on
    /// too often.
    pub fn allow_link(&self, place: ConferenceId) -> bool {
        self.per_link.check(&place).is_ok()
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
