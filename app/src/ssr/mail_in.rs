//! Incoming mail: reads a received message and files it into every inbox
//! it was addressed to, threaded by its headers, within what an inbox
//! keeps. Senders and bodies are untrusted: nothing here interprets them,
//! and HTML is sanitised whenever it is shown.
//!
//! What one message may cost is bounded at each step: its bytes by
//! [`MAX_MESSAGE_BYTES`] (the SMTP receiver says so up front and holds them
//! in a shared budget until filing ends), its parse by its shape
//! ([`shape`]), what is kept of it by [`MAX_STORED_BYTES`], and what a
//! sender or an inbox may have kept over a day by [`Limits::allowances`].
//! Messages are read and filed one at a time ([`FILING`]), the reading on a
//! blocking thread, so a burst of large mail takes one message's parse in
//! memory and one writer in the database, not one of each per session.

mod reading;
pub mod shape;

pub use reading::MAX_REFERENCES;

use super::db::Db;
use super::file_store::FileStore;
use super::inbox_news::InboxNews;
use super::inboxes;
use super::mail_store::{self, Allowance, Allowances, Arrival, FileError, Filed, NewEmail};
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::Mutex;

/// Largest message the server accepts (the SMTP receiver says so up front),
/// attachments included.
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;
/// Most an inbox keeps of one message: its text and HTML bodies and the
/// fields shown. The HTML is sanitised each time it is shown, which takes
/// up to 50 times its size in memory for the densest markup (measured: 52
/// MiB for 1 MiB), and the text and HTML of real mail are seldom over a few
/// hundred KiB. Attachments, when they are kept, are bounded apart (and
/// count in the daily allowances).
pub const MAX_STORED_BYTES: usize = 2 * 1024 * 1024;
/// What one envelope sender may have kept, over all inboxes, in 24 hours.
pub const PER_SENDER_DAILY: Allowance = Allowance { messages: 500, bytes: 32 * 1024 * 1024 };
/// What one inbox may keep from all senders in 24 hours: the bound on how
/// fast strangers can fill the disk through it.
pub const PER_INBOX_DAILY: Allowance = Allowance { messages: 5_000, bytes: 256 * 1024 * 1024 };
/// Tries at filing a message into one inbox while other writers keep the
/// database busy past its busy timeout, before the sender is told to try
/// again later.
const WRITE_ATTEMPTS: u32 = 3;

/// The bounds received mail is kept within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_stored_bytes: usize,
    pub allowances: Allowances,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_stored_bytes: MAX_STORED_BYTES,
            allowances: Allowances { per_sender: PER_SENDER_DAILY, per_inbox: PER_INBOX_DAILY },
        }
    }
}

/// Why a received message was not filed (everywhere).
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("the message could not be read as an email")]
    Unreadable,
    #[error("the message has too many header fields, addresses or MIME parts to read")]
    TooComplex,
    #[error("the message's text and HTML come to more than the {limit} bytes an inbox keeps")]
    TooLarge { limit: usize },
    #[error("the sender's mail allowance for the last 24 hours is used up")]
    SenderAllowance,
    #[error("the inbox's mail allowance for the last 24 hours is used up")]
    InboxAllowance,
    #[error("none of the recipients is an inbox here")]
    NoInbox,
    #[error("the message's attachments could not be stored")]
    Storage,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<FileError> for ReceiveError {
    fn from(error: FileError) -> Self {
        match error {
            FileError::SenderAllowance => ReceiveError::SenderAllowance,
            FileError::InboxAllowance => ReceiveError::InboxAllowance,
            FileError::Database(error) => ReceiveError::Database(error),
        }
    }
}

/// Reads the raw message into what the store keeps, as received mail is
/// read: refused when its shape would cost too much to parse, or its text
/// and HTML are more than [`MAX_STORED_BYTES`].
pub fn parse(raw: &[u8]) -> Result<NewEmail, ReceiveError> {
    reading::parse(raw, MAX_STORED_BYTES).map(|parsed| parsed.email)
}

/// Received messages are read and filed one at a time: reading one may
/// take a few times its size in memory, and filing one holds the
/// database's single writer, so doing them side by side would only add
/// memory and make other writers wait. Held by the blocking thread while it
/// reads, so a session that gives up does not let a second read start.
static FILING: LazyLock<Arc<Mutex<()>>> = LazyLock::new(Default::default);

/// Files a received message into the inboxes of `recipients` (the SMTP
/// envelope's, which may differ from its To header) and tells open pages.
/// The inboxes that already have this very message count as filed, so a
/// sender that retries after a refusal files nothing twice. Any refusal is
/// returned, even when some inboxes took the message, so the sender retries
/// for the others.
pub async fn receive(
    db: &Db,
    files: &FileStore,
    news: &InboxNews,
    envelope_from: &str,
    recipients: &[String],
    raw: Vec<u8>,
    limits: &Limits,
) -> Result<usize, ReceiveError> {
    let filing = FILING.clone().lock_owned().await;
    let max_stored_bytes = limits.max_stored_bytes;
    let (read, filing) = tokio::task::spawn_blocking(move || {
        let read = reading::parse(&raw, max_stored_bytes).map(|parsed| {
            let content_sha256 = parsed.email.content_sha256();
            (parsed, content_sha256)
        });
        (read, filing)
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "reading a received message failed");
        ReceiveError::Unreadable
    })?;
    let (reading::Parsed { email, files: contents }, content_sha256) = read?;
    let arrival = Arrival { envelope_from: envelope_from.to_lowercase(), content_sha256 };
    // Its files go to the store first; the rows naming them are written
    // with the message, the store's lock held until then.
    let mut received = Vec::with_capacity(contents.len());
    for content in contents {
        received.push(files.receive_bytes(&content).await.map_err(|error| {
            tracing::error!(%error, "a received mail's attachment could not be written to the data folder");
            ReceiveError::Storage
        })?);
    }
    let placing = files.placing().await;
    for content in received {
        files.place(content, &placing).await.map_err(|error| {
            tracing::error!(%error, "a received mail's attachment could not be kept in the data folder");
            ReceiveError::Storage
        })?;
    }
    let mut filed = 0;
    let mut refused = None;
    for recipient in recipients {
        let Some((workspace, inbox)) = inboxes::inbox_for_address(db, recipient).await? else { continue };
        match file_into(db, inbox, &email, &arrival, &limits.allowances).await {
            Ok(Filed::New(..)) => {
                news.mail_changed(db, workspace, inbox).await;
                filed += 1;
            }
            Ok(Filed::Duplicate(..)) => filed += 1,
            Err(error) => refused = refused.or(Some(error)),
        }
    }
    drop(placing);
    drop(filing);
    // Contents no inbox took (refused, or filed before) are let go of.
    let contents: Vec<String> = email.attachments.iter().map(|file| file.sha256.clone()).collect();
    files.forget_unreferenced(db, contents).await;
    if let Some(error) = refused {
        tracing::info!(filed, %error, "received mail refused");
        return Err(error.into());
    }
    if filed == 0 {
        return Err(ReceiveError::NoInbox);
    }
    tracing::info!(filed, "mail received");
    Ok(filed)
}

/// Files into one inbox, trying again while the database stays busy.
async fn file_into(
    db: &Db,
    inbox: crate::model::InboxId,
    email: &NewEmail,
    arrival: &Arrival,
    allowances: &Allowances,
) -> Result<Filed, FileError> {
    let mut attempt = 1;
    loop {
        match mail_store::file_received(db, inbox, email, arrival, allowances).await {
            Err(FileError::Database(error)) if is_busy(&error) && attempt < WRITE_ATTEMPTS => {
                tracing::warn!(%error, attempt, "the database was busy while filing mail; trying again");
                tokio::time::sleep(Duration::from_millis(250) * attempt).await;
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// Whether SQLite refused because another connection held the database
/// (SQLITE_BUSY or SQLITE_LOCKED, with any extended code).
fn is_busy(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(error) = error else { return false };
    let code = error.code().and_then(|code| code.parse::<i32>().ok()).unwrap_or_default();
    matches!(code & 0xff, 5 | 6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::{accounts, db::open_for_test};

    const MESSAGE: &[u8] = b"From: Lin <lin@example.org>\r\nTo: sales@acme.test\r\nSubject: Pricing\r\n\
Message-ID: <a@example.org>\r\n\r\nHello.\r\n";

    async fn count(db: &Db) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM email_messages").fetch_one(db).await.unwrap()
    }

    #[tokio::test]
    async fn a_message_is_filed_once_per_inbox_and_a_forgery_beside_it() {
        let (db, dir) = open_for_test().await;
        let files = FileStore::open(&dir.0.join("files"), Default::default()).unwrap();
        let admin = accounts::tests::admin(&db).await;
        inboxes::create(&db, admin.workspace_id, "Sales", &["sales@acme.test".into()]).await.unwrap();
        let news = InboxNews::default();
        let to = ["sales@acme.test".to_string(), "nobody@acme.test".to_string()];
        let limits = Limits::default();
        let forged = String::from_utf8_lossy(MESSAGE).replace("Hello.", "Wire the deposit to me.");
        receive(&db, &files, &news, "mallory@evil.example", &to, forged.into_bytes(), &limits).await.unwrap();
        receive(&db, &files, &news, "Lin@Example.org", &to, MESSAGE.to_vec(), &limits).await.unwrap();
        assert_eq!(count(&db).await, 2, "the real message is kept beside the forgery under its id");
        receive(&db, &files, &news, "lin@example.org", &to, MESSAGE.to_vec(), &limits).await.unwrap();
        assert_eq!(count(&db).await, 2, "the same message again is filed once");
        let nowhere = receive(&db, &files, &news, "lin@example.org", &to[1..], MESSAGE.to_vec(), &limits).await;
        assert!(matches!(nowhere, Err(ReceiveError::NoInbox)));
    }

    #[tokio::test]
    async fn busy_means_another_writer_held_the_database() {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        let (db, dir) = open_for_test().await;
        let writing = db.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let impatient = SqliteConnectOptions::new().filename(dir.0.join("test.db")).busy_timeout(Duration::ZERO);
        let other = SqlitePoolOptions::new().max_connections(1).connect_with(impatient).await.unwrap();
        let locked = other.begin_with("BEGIN IMMEDIATE").await.unwrap_err();
        assert!(is_busy(&locked), "{locked}");
        drop(writing);
        assert!(!is_busy(&sqlx::Error::RowNotFound));
        let unique = sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES (1, 'a', 0), (1, 'b', 0)")
            .execute(&db)
            .await
            .unwrap_err();
        assert!(!is_busy(&unique), "{unique}");
    }
}
