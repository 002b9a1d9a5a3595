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

use super::rate_limit::{KeyedLimit, client_key};
use crate::error::AppError;
use crate::model::MemberId;
use std::net::IpAddr;
use std::time::Duration;

/// Attempts one client address may make at once, and how fast it earns more.
pub const PER_ADDRESS_BURST: u32 = 20;
const PER_ADDRESS_REFILL: Duration = Duration::from_secs(3);
/// Attempts on one account at once, and how fast it earns more.
pub const PER_ACCOUNT_BURST: u32 = 6;
const PER_ACCOUNT_REFILL: Duration = Duration::from_secs(20);

pub struct SignInLimits {
    per_address: KeyedLimit<IpAddr>,
    per_account: KeyedLimit<MemberId>,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_address: KeyedLimit::new(PER_ADDRESS_BURST, PER_ADDRESS_REFILL),
            per_account: KeyedLimit::new(PER_ACCOUNT_BURST, PER_ACCOUNT_REFILL),
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
    pub fn check_account(&self, member: MemberId) -> Result<(), AppError> {
        self.per_account.check(&member).map_err(too_many)
    }
}

fn too_many(wait: Duration) -> AppError {
    AppError::TooManyAttempts { retry_after_secs: wait.as_secs().max(1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_limited_whatever_the_address_and_an_address_whatever_the_account() {
        let limits = SignInLimits::default();
        let ada = MemberId(1);
        let attempt = |address: [u8; 4], member: MemberId| {
            limits.check_address(Some(address.into())).and_then(|()| limits.check_account(member))
        };
        for n in 0..PER_ACCOUNT_BURST {
            assert!(attempt([10, 0, 0, n as u8], ada).is_ok());
        }
        let refused = attempt([10, 0, 1, 1], ada).unwrap_err();
        assert!(matches!(refused, AppError::TooManyAttempts { retry_after_secs } if retry_after_secs >= 1));
        assert!(refused.to_string().starts_with("Too many sign-in attempts. Try again in "));

        for n in 0..PER_ADDRESS_BURST {
            assert!(attempt([192, 0, 2, 1], MemberId(100 + i64::from(n))).is_ok());
        }
        assert!(attempt([192, 0, 2, 1], MemberId(2)).is_err(), "one address guessing many accounts");
        assert!(attempt([192, 0, 2, 2], MemberId(2)).is_ok(), "another address is not affected");
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
            assert!(limits.check_account(MemberId(1)).is_ok(), "the account kept its whole allowance");
        }
    }
}
