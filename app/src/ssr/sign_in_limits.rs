//! How often sign-in may be tried: per client address (someone guessing
//! many accounts' passwords) and per account (many addresses guessing one
//! account's). Every attempt counts, right or wrong, and is counted before
//! any password is hashed, so the limits also bound the hashing work one
//! caller can cause.
//!
//! The address is counted first, and an attempt it refuses is not counted
//! against the account. Accounts are counted by member id, and only for
//! emails that belong to a member: what a caller types is never kept, so
//! made-up emails cost no memory, whatever their number or length.
//!
//! An account's attempts are counted where they come from, so that
//! guesses cannot lock its member out (issue 32: six wrong guesses from one
//! address, then one every 20 s, kept the only admin out everywhere):
//! from a browser that signed in to it before (`known_devices`), per that
//! browser alone; from anywhere else, per network, and all networks
//! together under a higher ceiling.

use super::known_devices::DeviceKey;
use super::rate_limit::{KeyedLimit, client_key};
use crate::error::AppError;
use crate::model::MemberId;
use std::net::IpAddr;
use std::time::Duration;

/// Attempts one client address may make at once, and how fast it earns more.
pub const PER_ADDRESS_BURST: u32 = 20;
const PER_ADDRESS_REFILL: Duration = Duration::from_secs(3);
/// Attempts on one account from one network (or one known browser) at
/// once, and how fast it earns more.
pub const PER_ACCOUNT_BURST: u32 = 6;
const PER_ACCOUNT_REFILL: Duration = Duration::from_secs(20);
/// Attempts on one account from browsers it does not know, all networks
/// together.
pub const ACROSS_NETWORKS_BURST: u32 = 30;
const ACROSS_NETWORKS_REFILL: Duration = Duration::from_secs(10);

/// Where an attempt on an account comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A browser that signed in to this account before.
    KnownDevice(DeviceKey),
    /// Any other browser, on this network (`None`: unknown, in tests).
    Network(Option<IpAddr>),
}

pub struct SignInLimits {
    per_address: KeyedLimit<IpAddr>,
    per_device: KeyedLimit<(MemberId, DeviceKey)>,
    per_network: KeyedLimit<(MemberId, Option<IpAddr>)>,
    across_networks: KeyedLimit<MemberId>,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_address: KeyedLimit::new(PER_ADDRESS_BURST, PER_ADDRESS_REFILL),
            per_device: KeyedLimit::new(PER_ACCOUNT_BURST, PER_ACCOUNT_REFILL),
            per_network: KeyedLimit::new(PER_ACCOUNT_BURST, PER_ACCOUNT_REFILL),
            across_networks: KeyedLimit::new(ACROSS_NETWORKS_BURST, ACROSS_NETWORKS_REFILL),
        }
    }
}

impl SignInLimits {
    /// Counts an attempt from `address` (IPv6 by its /64); `TooManyAttempts`
    /// with the wait when it is over its allowance.
    pub fn check_address(&self, address: Option<IpAddr>) -> Result<(), AppError> {
        address.map_or(Ok(()), |address| self.per_address.check(&client_key(address))).map_err(too_many)
    }

    /// Counts an attempt on the account of `member`, once its address was
    /// let through.
    pub fn check_account(&self, member: MemberId, source: Source) -> Result<(), AppError> {
        match source {
            Source::KnownDevice(device) => self.per_device.check(&(member, device)),
            Source::Network(address) => self
                .per_network
                .check(&(member, address.map(client_key)))
                .and_then(|()| self.across_networks.check(&member)),
        }
        .map_err(too_many)
    }
}

fn too_many(wait: Duration) -> AppError {
    AppError::TooManyAttempts { retry_after_secs: wait.as_secs().max(1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(address: [u8; 4]) -> Source {
        Source::Network(Some(address.into()))
    }

    #[test]
    fn an_account_is_limited_per_network_and_across_them_and_an_address_whatever_the_account() {
        let limits = SignInLimits::default();
        let ada = MemberId(1);
        let attempt = |address: [u8; 4], member: MemberId| {
            limits.check_address(Some(address.into())).and_then(|()| limits.check_account(member, network(address)))
        };
        for _ in 0..PER_ACCOUNT_BURST {
            assert!(attempt([10, 0, 0, 1], ada).is_ok());
        }
        let refused = attempt([10, 0, 0, 1], ada).unwrap_err();
        assert!(matches!(refused, AppError::TooManyAttempts { retry_after_secs } if retry_after_secs >= 1));
        assert!(refused.to_string().starts_with("Too many sign-in attempts. Try again in "));
        assert!(attempt([10, 0, 1, 1], ada).is_ok(), "another network still may");

        // Many networks together reach the account's higher ceiling.
        let mut n = 2;
        while attempt([10, 0, 0, n], ada).is_ok() {
            n += 1;
        }
        assert_eq!(u32::from(n - 2) + PER_ACCOUNT_BURST + 1, ACROSS_NETWORKS_BURST);

        for n in 0..PER_ADDRESS_BURST {
            assert!(attempt([192, 0, 2, 1], MemberId(100 + i64::from(n))).is_ok());
        }
        assert!(attempt([192, 0, 2, 1], MemberId(2)).is_err(), "one address guessing many accounts");
        assert!(attempt([192, 0, 2, 2], MemberId(2)).is_ok(), "another address is not affected");
    }

    #[test]
    fn a_known_browser_is_not_held_by_guesses_from_elsewhere() {
        let limits = SignInLimits::default();
        let ada = MemberId(1);
        for n in 0..=ACROSS_NETWORKS_BURST {
            let _ = limits.check_account(ada, network([10, 0, (n / 200) as u8, (n % 200) as u8]));
        }
        assert!(limits.check_account(ada, network([10, 9, 9, 9])).is_err(), "the account is held for strangers");
        let laptop = Source::KnownDevice(DeviceKey::for_test("laptop"));
        for _ in 0..PER_ACCOUNT_BURST {
            assert!(limits.check_account(ada, laptop.clone()).is_ok(), "Ada's laptop is not");
        }
        assert!(limits.check_account(ada, laptop).is_err(), "but it is limited on its own");
        assert!(limits.check_account(ada, Source::KnownDevice(DeviceKey::for_test("phone"))).is_ok());
    }

    #[test]
    fn an_attempt_the_address_limit_refuses_is_not_counted_against_the_account() {
        let limits = SignInLimits::default();
        let flooding: IpAddr = [192, 0, 2, 9].into();
        for _ in 0..PER_ADDRESS_BURST {
            limits.check_address(Some(flooding)).unwrap();
        }
        for _ in 0..100 {
            assert!(limits.check_address(Some(flooding)).is_err());
        }
        for _ in 0..PER_ACCOUNT_BURST {
            assert!(
                limits.check_account(MemberId(1), Source::Network(Some(flooding))).is_ok(),
                "the account kept its whole allowance"
            );
        }
    }
}
