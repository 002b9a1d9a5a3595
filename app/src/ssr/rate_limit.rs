//! Token buckets per key (a client address, an account, a link), so one
//! caller cannot take more than its share of a slow or guarded operation.
//! Built on `governor`; keys back to a full bucket are forgotten once many
//! are remembered, so a flood of new keys cannot grow memory for good.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
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

/// At most `limit` held at once per key: open sockets per client address,
/// call sessions per member. A [`Slot`] is given back when dropped.
pub struct Slots<K: Hash + Eq + Clone> {
    limit: usize,
    held: Arc<Mutex<HashMap<K, usize>>>,
}

/// One held slot of [`Slots`].
pub struct Slot<K: Hash + Eq + Clone> {
    held: Arc<Mutex<HashMap<K, usize>>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Slots<K> {
    pub fn new(limit: usize) -> Self {
        Slots { limit, held: Arc::default() }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A slot for `key`, unless it already holds its limit.
    pub fn take(&self, key: K) -> Option<Slot<K>> {
        let mut held = self.held.lock().expect("slots lock");
        let count = held.entry(key.clone()).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Slot { held: self.held.clone(), key })
    }
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut held = self.held.lock().expect("slots lock");
        if let Some(count) = held.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.key);
            }
        }
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
    fn slots_are_held_per_key_and_given_back() {
        let slots = Slots::new(2);
        let first = slots.take("ada").unwrap();
        let _second = slots.take("ada").unwrap();
        assert!(slots.take("ada").is_none());
        assert!(slots.take("grace").is_some(), "others are not affected");
        drop(first);
        assert!(slots.take("ada").is_some(), "a dropped slot comes back");
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
