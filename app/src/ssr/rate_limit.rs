//! Token buckets per key (a client address, an account, a link), so one
//! caller cannot take more than its share of a slow or guarded operation.
//! Built on `governor`; keys back to a full bucket are forgotten once many
//! are remembered, so a flood of new keys cannot grow memory for good.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Past this many remembered keys, forget the ones back to full allowance.
const MAX_REMEMBERED_KEYS: usize = 10_000;

pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

/// `burst` at once, and one more every `refill`.
fn quota(burst: u32, refill: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).expect("bursts are constants above zero");
    Quota::with_period(refill).expect("refill periods are constants above zero").allow_burst(burst)
}

/// One token bucket, for one caller (a socket).
pub struct Limit {
    limiter: DefaultDirectRateLimiter,
    clock: DefaultClock,
}

impl Limit {
    /// `burst` attempts at once, and one more every `refill`.
    pub fn new(burst: u32, refill: Duration) -> Self {
        Limit { limiter: RateLimiter::direct(quota(burst, refill)), clock: DefaultClock::default() }
    }

    /// Counts one attempt; when over the allowance, how long until the next.
    pub fn check(&self) -> Result<(), Duration> {
        self.limiter.check().map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// `burst` attempts at once per key, and one more every `refill`.
    pub fn new(burst: u32, refill: Duration) -> Self {
        KeyedLimit { limiter: RateLimiter::keyed(quota(burst, refill)), clock: DefaultClock::default() }
    }

    /// Counts one attempt for `key`; when it is over its allowance, how
    /// long until the next attempt would be allowed.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        if self.limiter.len() > MAX_REMEMBERED_KEYS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The key a client address is limited under. An IPv6 client usually holds
/// a whole /64 and can pick any address in it, so IPv6 counts by /64.
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_gets_its_burst_then_waits() {
        let limit = KeyedLimit::new(3, Duration::from_secs(60));
        let allowed = (0..5).filter(|_| limit.check(&"ada").is_ok()).count();
        assert_eq!(allowed, 3);
        let wait = limit.check(&"ada").unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60), "waits about one refill: {wait:?}");
        assert!(limit.check(&"grace").is_ok(), "another key is not affected");
    }

    #[test]
    fn ipv6_clients_count_by_slash_64() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let same_net: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other_net: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(one), client_key(same_net));
        assert_ne!(client_key(one), client_key(other_net));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(client_key(v4), v4);
        assert_eq!(client_key("::ffff:192.0.2.7".parse().unwrap()), v4);
    }
}
