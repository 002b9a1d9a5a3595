//! Sign-in sessions: a random token in an HttpOnly cookie, only its SHA-256
//! in the database. A session ends when its member signs out, after 30
//! days, after [`IDLE_SECS`] unused, or when the member changes their
//! password or signs out everywhere; [`SessionEnds`] tells the sockets
//! opened with it, so open pages and calls end with it.

use super::db::{Db, now};
use crate::model::MemberId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};

/// The cookie over plain HTTP (a machine or network of one's own).
pub const COOKIE_NAME: &str = "anteroom_session";
/// The cookie over HTTPS: the `__Host-` prefix makes browsers refuse it
/// from any other host (a sibling subdomain cannot plant one) and insist
/// on `Secure` and `Path=/`.
pub const SECURE_COOKIE_NAME: &str = "__Host-anteroom_session";
/// Sessions last 30 days, like most workplace tools...
pub const LIFETIME_SECS: i64 = 30 * 24 * 60 * 60;
/// ...unless unused for a week.
pub const IDLE_SECS: i64 = 7 * 24 * 60 * 60;
/// A session's last use is written at most this often (not per request).
const SEEN_EVERY_SECS: i64 = 5 * 60;

fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE_NAME } else { COOKIE_NAME }
}

/// Which session a socket was opened with, to end it with its session.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

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
        token_hash(&self.0)
    }

    pub fn id(&self) -> SessionId {
        SessionId(self.hash())
    }

    /// The token from a request's `Cookie` header(s), if there is one.
    /// Over HTTPS (`secure`) only the `__Host-` cookie counts.
    pub fn from_headers(headers: &http::HeaderMap, secure: bool) -> Option<Self> {
        cookie_value(headers, cookie_name(secure)).map(SessionToken)
    }

    /// The `Set-Cookie` value that hands this token to the browser.
    pub fn set_cookie(&self, secure: bool) -> String {
        set_cookie(cookie_name(secure), &self.0, LIFETIME_SECS, secure)
    }

    /// The `Set-Cookie` value that makes the browser forget its session.
    pub fn clear_cookie(secure: bool) -> String {
        set_cookie(cookie_name(secure), "", 0, secure)
    }
}

/// The value of the cookie `name` in a request's `Cookie` header(s).
pub(super) fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_string())
}

/// A `Set-Cookie` value for our own cookies: HttpOnly, whole site, sent on
/// links followed from elsewhere (Lax), `Secure` over HTTPS.
pub(super) fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

/// A token's SHA-256, as stored: the database never holds a token itself.
pub(super) fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

pub async fn create(db: &Db, member: MemberId) -> Result<SessionToken, sqlx::Error> {
    let token = SessionToken::generate();
    let now = now();
    // Ended sessions are useless; sweeping them here keeps the table small
    // without a background job.
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(now - IDLE_SECS)
        .execute(db)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, member_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)",
    )
    .bind(token.hash())
    .bind(member)
    .bind(now)
    .bind(now + LIFETIME_SECS)
    .execute(db)
    .await?;
    Ok(token)
}

/// The member a live session belongs to (not expired, not idle too long),
/// noting that it was used.
pub async fn member_of(db: &Db, token: &SessionToken) -> Result<Option<MemberId>, sqlx::Error> {
    let now = now();
    let found: Option<(MemberId, i64)> = sqlx::query_as(
        "SELECT member_id, last_seen_at FROM sessions WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at > $3",
    )
    .bind(token.hash())
    .bind(now)
    .bind(now - IDLE_SECS)
    .fetch_optional(db)
    .await?;
    if let Some((_, last_seen)) = found
        && now - last_seen >= SEEN_EVERY_SECS
    {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token.hash())
            .execute(db)
            .await?;
    }
    Ok(found.map(|(member, _)| member))
}

/// Whether the session a socket was opened with still exists.
pub async fn is_live(db: &Db, session: &SessionId) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(&session.0)
        .bind(now())
        .fetch_optional(db)
        .await?;
    Ok(found.is_some())
}

pub async fn delete(db: &Db, token: &SessionToken) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token.hash()).execute(db).await?;
    Ok(())
}

/// Ends every session of `member` but `keep` (all of them with `None`).
pub async fn delete_all_but(db: &Db, member: MemberId, keep: Option<&SessionToken>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND token_hash <> $2")
        .bind(member)
        .bind(keep.map(SessionToken::hash).unwrap_or_default())
        .execute(db)
        .await?;
    Ok(())
}

/// Sessions that just ended, for the sockets opened with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// One session signed out.
    One(SessionId),
    /// All of a member's sessions but one (the page that changed the
    /// password), or all of them.
    AllBut(MemberId, Option<SessionId>),
}

impl Ended {
    /// Whether a socket of `member` opened with `session` has to close.
    pub fn includes(&self, member: MemberId, session: &SessionId) -> bool {
        match self {
            Ended::One(ended) => ended == session,
            Ended::AllBut(whose, kept) => *whose == member && kept.as_ref() != Some(session),
        }
    }
}

/// Tells sockets which sessions ended. A socket that fell behind asks the
/// database about its own session instead ([`is_live`]).
#[derive(Clone)]
pub struct SessionEnds {
    ended: tokio::sync::broadcast::Sender<Ended>,
}

impl Default for SessionEnds {
    fn default() -> Self {
        SessionEnds { ended: tokio::sync::broadcast::channel(64).0 }
    }
}

impl SessionEnds {
    /// Whether a socket of `member` opened with `session` has to close,
    /// given what it heard (one that fell behind asks the database).
    pub async fn ended_for(
        db: &Db,
        member: MemberId,
        session: &SessionId,
        heard: Result<Ended, tokio::sync::broadcast::error::RecvError>,
    ) -> bool {
        match heard {
            Ok(ended) => ended.includes(member, session),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                !is_live(db, session).await.unwrap_or_else(|error| {
                    tracing::error!(%error, "could not check a socket's session");
                    true
                })
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => false,
        }
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Ended> {
        self.ended.subscribe()
    }

    pub fn tell(&self, ended: Ended) {
        // No listener is fine: no page was open with that session.
        let _ = self.ended.send(ended);
    }
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

    #[tokio::test]
    async fn a_session_unused_for_the_idle_time_ends_and_use_keeps_it() {
        let (db, _dir) = open_for_test().await;
        let member = accounts::tests::admin(&db).await;
        let token = create(&db, member.id).await.unwrap();
        let seen = |at: i64| sqlx::query("UPDATE sessions SET last_seen_at = $1").bind(at).execute(&db);
        seen(now() - IDLE_SECS + 60).await.unwrap();
        assert_eq!(member_of(&db, &token).await.unwrap(), Some(member.id), "used just in time");
        let last: i64 = sqlx::query_scalar("SELECT last_seen_at FROM sessions").fetch_one(&db).await.unwrap();
        assert!(last >= now() - 1, "the use was noted");
        seen(now() - IDLE_SECS - 1).await.unwrap();
        assert_eq!(member_of(&db, &token).await.unwrap(), None, "idle too long");
    }

    #[tokio::test]
    async fn ending_all_sessions_but_one_keeps_that_one() {
        let (db, _dir) = open_for_test().await;
        let member = accounts::tests::admin(&db).await;
        let (here, laptop, phone) = (
            create(&db, member.id).await.unwrap(),
            create(&db, member.id).await.unwrap(),
            create(&db, member.id).await.unwrap(),
        );
        delete_all_but(&db, member.id, Some(&here)).await.unwrap();
        assert_eq!(member_of(&db, &here).await.unwrap(), Some(member.id));
        assert!(!is_live(&db, &laptop.id()).await.unwrap() && !is_live(&db, &phone.id()).await.unwrap());
        delete_all_but(&db, member.id, None).await.unwrap();
        assert!(!is_live(&db, &here.id()).await.unwrap());

        let ended = Ended::AllBut(member.id, Some(here.id()));
        assert!(!ended.includes(member.id, &here.id()) && ended.includes(member.id, &laptop.id()));
        assert!(!ended.includes(MemberId(member.id.0 + 1), &laptop.id()), "other members are not affected");
        assert!(Ended::One(phone.id()).includes(member.id, &phone.id()));
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_parses_back() {
        let token = SessionToken::generate();
        let header = token.set_cookie(false);
        assert!(header.contains("HttpOnly") && header.contains("SameSite=Lax"), "{header}");
        assert!(!header.contains("Secure"));
        let mut headers = http::HeaderMap::new();
        let pair = header.split(';').next().unwrap();
        headers.insert(http::header::COOKIE, format!("other=1; {pair}").parse().unwrap());
        assert_eq!(SessionToken::from_headers(&headers, false), Some(token.clone()));
        assert_eq!(SessionToken::from_headers(&headers, true), None, "over HTTPS only the __Host- cookie counts");

        let secure = token.set_cookie(true);
        assert!(secure.starts_with("__Host-anteroom_session=") && secure.contains("Secure"), "{secure}");
        assert!(secure.contains("Path=/") && !secure.contains("Domain"), "{secure}");
        let pair = secure.split(';').next().unwrap();
        headers.insert(http::header::COOKIE, pair.parse().unwrap());
        assert_eq!(SessionToken::from_headers(&headers, true), Some(token));
    }
}
