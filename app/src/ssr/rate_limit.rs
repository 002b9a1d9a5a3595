//! Token buckets per key (a client address, an account, a link), so one
//! caller cannot take more than its share of a slow or guarded operation.
//!
//! Each bucket is one instant (GCRA: when it is full again), so a key costs
//! a few dozen bytes, and the map of keys is bounded by count: a flood of
//! new keys (addresses, made-up names) cannot grow memory. `governor`, which
//! we used before, forgets keys only by age and cannot say whether it knows
//! a key, so its map grew with every key a flood made up.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys a [`KeyedLimit`] remembers at most (a few MB). Past it, keys back to
/// a full bucket are forgotten; if none is, a new key goes uncounted.
const MAX_REMEMBERED_KEYS: usize = 50_000;
/// How often a full map is swept for keys back to full, at most: a flood
/// of new keys costs one sweep per interval, not one per attempt.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// `burst` attempts at once, and one more every `refill`.
#[derive(Clone, Copy, Debug)]
struct Rate {
    refill: Duration,
    /// How far ahead of now a bucket may be spent: `burst - 1` refills.
    tolerance: Duration,
}

impl Rate {
    fn new(burst: u32, refill: Duration) -> Self {
        assert!(burst > 0 && !refill.is_zero(), "bursts and refills are constants above zero");
        Rate { refill, tolerance: refill * (burst - 1) }
    }

    /// Takes one attempt from the bucket that is full again at `full_at`;
    /// when it is empty, how long until the next attempt would be allowed.
    fn take(&self, full_at: &mut Instant, now: Instant) -> Result<(), Duration> {
        let from = (*full_at).max(now);
        let spent_ahead = from - now;
        if spent_ahead > self.tolerance {
            return Err(spent_ahead - self.tolerance);
        }
        *full_at = from + self.refill;
        Ok(())
    }
}

/// One token bucket, for one caller (a socket).
pub struct Limit {
    rate: Rate,
    full_at: Mutex<Instant>,
}

impl Limit {
    /// `burst` attempts at once, and one more every `refill`.
    pub fn new(burst: u32, refill: Duration) -> Self {
        Limit { rate: Rate::new(burst, refill), full_at: Mutex::new(Instant::now()) }
    }

    /// Counts one attempt; when over the allowance, how long until the next.
    pub fn check(&self) -> Result<(), Duration> {
        self.rate.take(&mut self.full_at.lock().expect("limit lock"), Instant::now())
    }
}

/// A token bucket per key, at most [`MAX_REMEMBERED_KEYS`] of them.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    rate: Rate,
    max_keys: usize,
    buckets: Mutex<Buckets<K>>,
}

struct Buckets<K> {
    full_at: HashMap<K, Instant>,
    swept_at: Option<Instant>,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// `burst` attempts at once per key, and one more every `refill`.
    pub fn new(burst: u32, refill: Duration) -> Self {
        Self::with_max_keys(burst, refill, MAX_REMEMBERED_KEYS)
    }

    fn with_max_keys(burst: u32, refill: Duration, max_keys: usize) -> Self {
        let buckets = Buckets { full_at: HashMap::new(), swept_at: None };
        KeyedLimit { rate: Rate::new(burst, refill), max_keys, buckets: Mutex::new(buckets) }
    }

    /// Counts one attempt for `key`; when it is over its allowance, how
    /// long until the next attempt would be allowed.
    ///
    /// A new key that finds the map full of keys still counting goes
    /// uncounted rather than sharing someone's bucket: whoever made up that
    /// many keys already has that many buckets, and a real user arriving
    /// during the flood must not be refused for it. The limits that do not
    /// depend on this key (per account, per link) still hold.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().expect("keyed limit lock");
        if !buckets.full_at.contains_key(key) && buckets.full_at.len() >= self.max_keys {
            let due = buckets.swept_at.is_none_or(|at| now.duration_since(at) >= SWEEP_INTERVAL);
            if due {
                buckets.full_at.retain(|_, full_at| *full_at > now);
                buckets.swept_at = Some(now);
            }
            if buckets.full_at.len() >= self.max_keys {
                return Ok(());
            }
        }
        let full_at = buckets.full_at.entry(key.clone()).or_insert(now);
        self.rate.take(full_at, now)
    }

    /// How many keys are remembered now.
    pub fn remembered(&self) -> usize {
        self.buckets.lock().expect("keyed limit lock").full_at.len()
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
    fn a_single_bucket_refills_one_attempt_per_refill() {
        let rate = Rate::new(2, Duration::from_secs(10));
        let start = Instant::now();
        let mut full_at = start;
        assert!(rate.take(&mut full_at, start).is_ok());
        assert!(rate.take(&mut full_at, start).is_ok());
        assert_eq!(rate.take(&mut full_at, start), Err(Duration::from_secs(10)));
        assert_eq!(rate.take(&mut full_at, start + Duration::from_secs(4)), Err(Duration::from_secs(6)));
        assert!(rate.take(&mut full_at, start + Duration::from_secs(10)).is_ok(), "one more after a refill");
        assert!(rate.take(&mut full_at, start + Duration::from_secs(10)).is_err(), "and only one");
        assert!(rate.take(&mut full_at, start + Duration::from_secs(60)).is_ok(), "full again long after");
        assert!(rate.take(&mut full_at, start + Duration::from_secs(60)).is_ok());
        assert!(
            rate.take(&mut full_at, start + Duration::from_secs(60)).is_err(),
            "a full bucket holds the burst only"
        );
    }

    #[test]
    fn a_flood_of_new_keys_is_bounded_and_leaves_known_keys_counted() {
        let limit = KeyedLimit::with_max_keys(2, Duration::from_secs(60), 100);
        assert!(limit.check(&0_u32).is_ok());
        for key in 1..10_000_u32 {
            assert!(limit.check(&key).is_ok(), "each new key has its burst, or goes uncounted");
        }
        assert_eq!(limit.remembered(), 100, "no more keys than the cap");
        assert!(limit.check(&0).is_ok(), "a known key keeps its bucket");
        assert!(limit.check(&0).is_err(), "and its count");
    }

    #[test]
    fn keys_back_to_full_make_room_for_new_ones() {
        let limit = KeyedLimit::with_max_keys(1, Duration::from_secs(10), 10);
        let start = Instant::now();
        for key in 0..10_u32 {
            assert!(limit.check_at(&key, start).is_ok());
        }
        let later = start + Duration::from_secs(11);
        assert!(limit.check_at(&100, later).is_ok());
        assert!(limit.check_at(&100, later).is_err(), "the new key was remembered, in a swept map: it is counted");
        assert_eq!(limit.remembered(), 1);
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
