//! Browsers that signed in to an account before. A successful sign-in
//! hands the browser a long-lived cookie (only its SHA-256 is stored);
//! when that browser signs in to the same account again, its attempts are
//! counted on their own instead of with everyone's, so somebody guessing
//! the member's password from elsewhere cannot lock them out (issue 32:
//! one wrong guess every 20 s kept the only admin out). The cookie grants
//! nothing else: it is not a session and says nothing about the password.

use super::db::{Db, now};
use super::sessions::{cookie_value, set_cookie, token_hash};
use crate::model::MemberId;

/// The cookie over plain HTTP, and over HTTPS (see `sessions`).
const COOKIE_NAME: &str = "anteroom_device";
const SECURE_COOKIE_NAME: &str = "__Host-anteroom_device";
/// Browsers cap a cookie's life at 400 days.
const LIFETIME_SECS: i64 = 400 * 24 * 60 * 60;
/// Devices remembered per member (the newest): a laptop, a phone, a few
/// browsers; past it the oldest is forgotten.
pub const MAX_DEVICES_PER_MEMBER: i64 = 20;

/// A known device of one member, as the sign-in limits count it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceKey(String);

#[cfg(test)]
impl DeviceKey {
    pub fn for_test(name: &str) -> Self {
        DeviceKey(name.into())
    }
}

fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE_NAME } else { COOKIE_NAME }
}

/// The device cookie a request carries, if any (not yet checked).
pub fn cookie(headers: &http::HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, cookie_name(secure))
}

/// The key of the device whose cookie is `token`, when `member` signed in
/// with it before.
pub async fn known(db: &Db, member: MemberId, token: &str) -> Result<Option<DeviceKey>, sqlx::Error> {
    let hash = token_hash(token);
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM sign_in_devices WHERE token_hash = $1 AND member_id = $2")
            .bind(&hash)
            .bind(member)
            .fetch_optional(db)
            .await?;
    Ok(found.map(|_| DeviceKey(hash)))
}

/// Remembers a browser that just signed in as `member`: the `Set-Cookie`
/// value that tells it so. The member's oldest devices past
/// [`MAX_DEVICES_PER_MEMBER`] are forgotten.
pub async fn remember(db: &Db, member: MemberId, secure: bool) -> Result<String, sqlx::Error> {
    let token = super::tokens::random_token();
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO sign_in_devices (token_hash, member_id, created_at) VALUES ($1, $2, $3)")
        .bind(token_hash(&token))
        .bind(member)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM sign_in_devices WHERE member_id = $1 AND token_hash NOT IN
           (SELECT token_hash FROM sign_in_devices WHERE member_id = $1
            ORDER BY created_at DESC, token_hash LIMIT $2)",
    )
    .bind(member)
    .bind(MAX_DEVICES_PER_MEMBER)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(set_cookie(cookie_name(secure), &token, LIFETIME_SECS, secure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_device_is_known_to_the_member_it_signed_in_as_and_the_newest_are_kept() {
        let (db, _dir) = crate::ssr::db::open_for_test().await;
        crate::ssr::seed::seed_demo_if_empty(&db).await.unwrap();
        let (ada, _) = crate::ssr::accounts::member_with_password(&db, "ada@example.com").await.unwrap().unwrap();
        let ada = ada.id;
        let set = remember(&db, ada, false).await.unwrap();
        let token = set.strip_prefix("anteroom_device=").unwrap().split(';').next().unwrap().to_string();
        assert!(set.contains("HttpOnly") && set.contains("Max-Age=34560000"), "{set}");
        assert!(known(&db, ada, &token).await.unwrap().is_some());
        assert!(known(&db, MemberId(ada.0 + 1), &token).await.unwrap().is_none(), "another member's device");
        assert!(known(&db, ada, "made-up").await.unwrap().is_none());
        for _ in 0..MAX_DEVICES_PER_MEMBER {
            remember(&db, ada, false).await.unwrap();
        }
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_devices WHERE member_id = $1")
            .bind(ada)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(kept, MAX_DEVICES_PER_MEMBER);
    }
}
