//! Password reset links that a workspace admin sends a member by email. The
//! link carries a random 256-bit token; the database keeps only its SHA-256
//! (as for sessions), so a copied database opens no link. A link works once
//! and for [`LIFETIME_SECS`]; sending a new one ends the member's earlier
//! ones; at most [`PER_HOUR`] are sent to one member in an hour.

use super::db::{Db, now};
use super::sessions::token_hash;
use crate::error::AppError;
use crate::model::MemberId;

/// How long a link works after it is sent.
pub const LIFETIME_SECS: i64 = 60 * 60;
/// How many links one member may be sent in an hour.
pub const PER_HOUR: usize = 3;
/// How long spent and expired links are kept (to count them).
const KEPT_SECS: i64 = 24 * 60 * 60;
/// Tokens are 43 characters; anything much longer is no token of ours.
const MAX_TOKEN_CHARS: usize = 64;

/// Why a link does not work, in words its page shows (with its status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// Never sent, or its member was deactivated since.
    Unknown,
    /// Past its hour, or a newer link was sent.
    Expired,
    Used,
}

impl LinkProblem {
    pub fn message(self) -> &'static str {
        match self {
            LinkProblem::Unknown => {
                "This password reset link is not valid. Ask a workspace admin to send you a new one."
            }
            LinkProblem::Expired => {
                "This password reset link has expired, or a newer one was sent. Use the newest email, or ask a \
                 workspace admin for a new link."
            }
            LinkProblem::Used => {
                "This password reset link was already used. Sign in with your new password, or ask a workspace \
                 admin for a new link."
            }
        }
    }

    /// 404 for a link that never was, 410 for one that was and is gone.
    pub fn http_status(self) -> u16 {
        match self {
            LinkProblem::Unknown => 404,
            LinkProblem::Expired | LinkProblem::Used => 410,
        }
    }
}

/// What using a link came to, when the database answered.
pub type LinkResult<T> = Result<Result<T, LinkProblem>, sqlx::Error>;

/// The path of the page a link opens.
pub fn path(token: &str) -> String {
    format!("/reset-password/{token}")
}

/// A new link for `member`: its token (to put in the email, never stored).
/// Ends the member's earlier links; refused past [`PER_HOUR`] an hour.
pub async fn create(db: &Db, member: MemberId) -> Result<String, AppError> {
    let now = now();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM password_resets WHERE created_at <= $1").bind(now - KEPT_SECS).execute(&mut *tx).await?;
    let sent: Vec<i64> = sqlx::query_scalar(
        "SELECT created_at FROM password_resets WHERE member_id = $1 AND created_at > $2 ORDER BY created_at DESC",
    )
    .bind(member)
    .bind(now - 60 * 60)
    .fetch_all(&mut *tx)
    .await?;
    if let Some(oldest_counted) = sent.get(PER_HOUR - 1) {
        let retry_after_secs = (oldest_counted + 60 * 60 - now).max(1) as u64;
        return Err(AppError::TooManyResets { retry_after_secs });
    }
    sqlx::query(
        "UPDATE password_resets SET expires_at = $2 WHERE member_id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(member)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let token = super::tokens::random_token();
    sqlx::query("INSERT INTO password_resets (token_hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash(&token))
        .bind(member)
        .bind(now)
        .bind(now + LIFETIME_SECS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(token)
}

/// Forgets a link whose email could not be sent (it does not count).
pub async fn forget(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM password_resets WHERE token_hash = $1").bind(token_hash(token)).execute(db).await?;
    Ok(())
}

/// The member a live link is for, or why it does not work.
pub async fn member_of(db: &Db, token: &str) -> LinkResult<MemberId> {
    if token.len() > MAX_TOKEN_CHARS {
        return Ok(Err(LinkProblem::Unknown));
    }
    let found: Option<(MemberId, i64, Option<i64>)> =
        sqlx::query_as("SELECT member_id, expires_at, used_at FROM password_resets WHERE token_hash = $1")
            .bind(token_hash(token))
            .fetch_optional(db)
            .await?;
    Ok(match found {
        None => Err(LinkProblem::Unknown),
        Some((_, _, Some(_))) => Err(LinkProblem::Used),
        Some((_, expires_at, None)) if expires_at <= now() => Err(LinkProblem::Expired),
        Some((member, _, None)) => Ok(member),
    })
}

/// Spends the link and gives its member the new password hash, ending
/// every session of theirs (the caller tells their sockets). Of two uses
/// at the same moment, one wins; the other is told the link was used.
pub async fn spend(db: &Db, token: &str, password_hash: &str) -> LinkResult<MemberId> {
    let now = now();
    let mut tx = db.begin().await?;
    let spent: Option<MemberId> = sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING member_id",
    )
    .bind(token_hash(token))
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(member) = spent else {
        drop(tx);
        // Why not, in the words the page shows.
        return Ok(Err(member_of(db, token).await?.err().unwrap_or(LinkProblem::Used)));
    };
    let changed = sqlx::query("UPDATE members SET password_hash = $1 WHERE id = $2 AND deactivated_at IS NULL")
        .bind(password_hash)
        .bind(member)
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() != 1 {
        return Ok(Err(LinkProblem::Unknown));
    }
    sqlx::query("DELETE FROM sessions WHERE member_id = $1").bind(member).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Ok(member))
}

/// The email address of the member a live link is for, for its page.
pub async fn email_of_link(db: &Db, token: &str) -> LinkResult<String> {
    let member = match member_of(db, token).await? {
        Ok(member) => member,
        Err(problem) => return Ok(Err(problem)),
    };
    Ok(super::accounts::member(db, member).await?.map(|member| member.email).ok_or(LinkProblem::Unknown))
}

/// Sets a member's new password with a reset link (`new_password` typed
/// twice): the link is spent, every session of theirs ends and their
/// sockets are told (open pages go to sign-in, calls end), and the
/// browser that did it gets a new session. A field that does not do is
/// an [`AppError::Invalid`], and the link is left as it was.
pub async fn choose_password(
    state: &super::state::AppState,
    token: &str,
    new_password: &str,
    repeat_password: &str,
) -> Result<Result<super::sessions::SessionToken, LinkProblem>, AppError> {
    // A dead link is told before anything is hashed.
    if let Err(problem) = member_of(&state.db, token).await? {
        return Ok(Err(problem));
    }
    let new_password = crate::validate::new_password("new_password", new_password)?;
    if repeat_password != new_password {
        return Err(AppError::invalid("repeat_password", "This differs from the new password above."));
    }
    let hash = super::passwords::hash(new_password).await?;
    let member = match spend(&state.db, token, &hash).await? {
        Ok(member) => member,
        Err(problem) => return Ok(Err(problem)),
    };
    state.session_ends.tell(super::sessions::Ended::AllBut(member, None));
    tracing::info!(%member, "password set with a reset link; every session ended");
    Ok(Ok(super::sessions::create(&state.db, member).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::{accounts, db::open_for_test, sessions};

    #[tokio::test]
    async fn a_link_works_once_and_only_its_hash_is_stored() {
        let (db, _dir) = open_for_test().await;
        let ada = accounts::tests::admin(&db).await;
        let session = sessions::create(&db, ada.id).await.unwrap();
        let token = create(&db, ada.id).await.unwrap();
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM password_resets").fetch_one(&db).await.unwrap();
        assert_ne!(stored, token, "the token itself is never stored");
        assert_eq!(member_of(&db, &token).await.unwrap(), Ok(ada.id));
        assert_eq!(spend(&db, &token, "new-hash").await.unwrap(), Ok(ada.id));
        let (_, hash) = accounts::member_with_password(&db, &ada.email).await.unwrap().unwrap();
        assert_eq!(hash, "new-hash");
        assert_eq!(sessions::member_of(&db, &session).await.unwrap(), None, "every session ended");
        assert_eq!(member_of(&db, &token).await.unwrap(), Err(LinkProblem::Used));
        assert_eq!(spend(&db, &token, "again").await.unwrap(), Err(LinkProblem::Used));
        assert_eq!(member_of(&db, "made-up").await.unwrap(), Err(LinkProblem::Unknown));
        assert_eq!(member_of(&db, &"x".repeat(10_000)).await.unwrap(), Err(LinkProblem::Unknown));
    }

    #[tokio::test]
    async fn links_expire_a_new_one_ends_the_old_and_three_an_hour_are_sent_at_most() {
        let (db, _dir) = open_for_test().await;
        let ada = accounts::tests::admin(&db).await;
        let first = create(&db, ada.id).await.unwrap();
        let second = create(&db, ada.id).await.unwrap();
        assert_eq!(member_of(&db, &first).await.unwrap(), Err(LinkProblem::Expired), "the newer link replaced it");
        assert_eq!(member_of(&db, &second).await.unwrap(), Ok(ada.id));
        let _third = create(&db, ada.id).await.unwrap();
        let Err(AppError::TooManyResets { retry_after_secs }) = create(&db, ada.id).await else {
            panic!("a fourth link within the hour is refused")
        };
        assert!((3_500..=3_600).contains(&retry_after_secs), "{retry_after_secs}");

        // An hour later the allowance is back, and a link past its hour is dead.
        sqlx::query("UPDATE password_resets SET created_at = created_at - 3601, expires_at = expires_at - 3601")
            .execute(&db)
            .await
            .unwrap();
        let fresh = create(&db, ada.id).await.unwrap();
        sqlx::query("UPDATE password_resets SET expires_at = $1").bind(now()).execute(&db).await.unwrap();
        assert_eq!(member_of(&db, &fresh).await.unwrap(), Err(LinkProblem::Expired));
        assert_eq!(spend(&db, &fresh, "late").await.unwrap(), Err(LinkProblem::Expired));
    }
}
