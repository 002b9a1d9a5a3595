//! How often sign-in may be tried: per client address (someone guessing
//! many accounts' passwords) and per account (many addresses guessing one
//! account's). Every attempt counts, right or wrong, and is counted before
//! any password is hashed, so the limits also bound the hashing work one
//! caller can cause.

use super::rate_limit::{KeyedLimit, client_key};
use crate::error::AppError;
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
    per_account: KeyedLimit<String>,
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
    /// Counts an attempt from `address` on the account `email` (already
    /// trimmed and lower-cased); `TooManyAttempts` with the wait when either
    /// is over its allowance.
    pub fn check(&self, address: Option<IpAddr>, email: &str) -> Result<(), AppError> {
        let by_address = address.map_or(Ok(()), |address| self.per_address.check(&client_key(address)));
        let by_account = self.per_account.check(&email.to_string());
        let wait = [by_address.err(), by_account.err()].into_iter().flatten().max();
        match wait {
            None => Ok(()),
            Some(wait) => Err(AppError::TooManyAttempts { retry_after_secs: wait.as_secs().max(1) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_limited_whatever_the_address_and_an_address_whatever_the_account() {
        let limits = SignInLimits::default();
        let attempts = |address: [u8; 4], email: &str| limits.check(Some(address.into()), email);
        for n in 0..PER_ACCOUNT_BURST {
            assert!(attempts([10, 0, 0, n as u8], "ada@example.com").is_ok());
        }
        let refused = attempts([10, 0, 1, 1], "ada@example.com").unwrap_err();
        assert!(matches!(refused, AppError::TooManyAttempts { retry_after_secs } if retry_after_secs >= 1));
        assert!(refused.to_string().starts_with("Too many sign-in attempts. Try again in "));

        let emails: Vec<String> = (0..PER_ADDRESS_BURST).map(|n| format!("guess{n}@example.com")).collect();
        for email in &emails {
            assert!(attempts([192, 0, 2, 1], email).is_ok());
        }
        assert!(attempts([192, 0, 2, 1], "grace@example.com").is_err(), "one address guessing many accounts");
        assert!(attempts([192, 0, 2, 2], "grace@example.com").is_ok(), "another address is not affected");
    }
}
