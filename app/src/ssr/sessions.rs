//! Sign-in sessions: a random token in an HttpOnly cookie, only its SHA-256
//! in the database.

use super::db::{Db, now};
use crate::model::MemberId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "anteroom_session";
/// Sessions last 30 days, like most workplace tools.
pub const LIFETIME_SECS: i64 = 30 * 24 * 60 * 60;

/// A session token as handed to the browser. Never logged, never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

impl SessionToken {
    fn generate() -> Self {
        SessionToken(super::tokens::random_token())
    }

    fn hash(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }

    /// The token from a request's `Cookie` header(s), if there is one.
    pub fn from_headers(headers: &http::HeaderMap) -> Option<Self> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == COOKIE_NAME)
            .map(|cookie| SessionToken(cookie.value().to_string()))
    }

    /// The `Set-Cookie` value that hands this token to the browser.
    pub fn set_cookie(&self, secure: bool) -> String {
        Cookie::build((COOKIE_NAME, self.0.clone()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .max_age(cookie::time::Duration::seconds(LIFETIME_SECS))
            .build()
            .to_string()
    }

    /// The `Set-Cookie` value that makes the browser forget its session.
    pub fn clear_cookie(secure: bool) -> String {
        Cookie::build((COOKIE_NAME, ""))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .max_age(cookie::time::Duration::ZERO)
            .build()
            .to_string()
    }
}

pub async fn create(db: &Db, member: MemberId) -> Result<SessionToken, sqlx::Error> {
    let token = SessionToken::generate();
    let now = now();
    // Expired sessions are useless; sweeping them here keeps the table small
    // without a background job.
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(db).await?;
    sqlx::query("INSERT INTO sessions (token_hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token.hash())
        .bind(member)
        .bind(now)
        .bind(now + LIFETIME_SECS)
        .execute(db)
        .await?;
    Ok(token)
}

/// The member a live (unexpired) session belongs to.
pub async fn member_of(db: &Db, token: &SessionToken) -> Result<Option<MemberId>, sqlx::Error> {
    sqlx::query_scalar("SELECT member_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token.hash())
        .bind(now())
        .fetch_optional(db)
        .await
}

pub async fn delete(db: &Db, token: &SessionToken) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token.hash()).execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::{accounts, db::open_for_test};

    #[tokio::test]
    async fn a_session_names_its_member_until_deleted() {
        let (db, _dir) = open_for_test().await;
        let member = accounts::tests::admin(&db).await;
        let token = create(&db, member.id).await.unwrap();
        assert_eq!(member_of(&db, &token).await.unwrap(), Some(member.id));
        assert_eq!(member_of(&db, &SessionToken::generate()).await.unwrap(), None);
        delete(&db, &token).await.unwrap();
        assert_eq!(member_of(&db, &token).await.unwrap(), None);
    }

    #[tokio::test]
    async fn expired_sessions_do_not_count() {
        let (db, _dir) = open_for_test().await;
        let member = accounts::tests::admin(&db).await;
        let token = create(&db, member.id).await.unwrap();
        sqlx::query("UPDATE sessions SET expires_at = $1").bind(now() - 1).execute(&db).await.unwrap();
        assert_eq!(member_of(&db, &token).await.unwrap(), None);
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_parses_back() {
        let token = SessionToken::generate();
        let header = token.set_cookie(false);
        assert!(header.contains("HttpOnly") && header.contains("SameSite=Lax"), "{header}");
        assert!(!header.contains("Secure"));
        assert!(token.set_cookie(true).contains("Secure"));
        let mut headers = http::HeaderMap::new();
        let pair = header.split(';').next().unwrap();
        headers.insert(http::header::COOKIE, format!("other=1; {pair}").parse().unwrap());
        assert_eq!(SessionToken::from_headers(&headers), Some(token));
    }
}
