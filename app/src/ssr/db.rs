//! Opening the database and applying migrations.
//!
//! SQLite in WAL mode is the embedded default: one file, readers never wait
//! for the writer. Migrations run at every start, so a new version of the
//! server upgrades the file it finds.

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Duration;

pub type Db = sqlx::SqlitePool;

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("DATABASE_URL {url:?} is not a SQLite URL such as sqlite://data/anteroom.db ({reason})")]
    BadUrl { url: String, reason: String },
    #[error("could not create the database folder {folder}: {source}")]
    Folder { folder: String, source: std::io::Error },
    #[error("could not open the database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("could not apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connections to the database file. All are opened at start and kept: a
/// pool that grew and shrank would open connections (each with its own
/// page and statement caches, a few hundred KB) in the middle of a burst
/// of sign-ins or joins, and close them again after ten idle minutes.
const CONNECTIONS: u32 = 8;

/// Opens (creating if needed) the database at `url` and brings its schema up
/// to date.
pub async fn open(url: &str) -> Result<Db, OpenError> {
    let bad_url = |reason: String| OpenError::BadUrl { url: url.into(), reason };
    if !url.starts_with("sqlite:") {
        return Err(bad_url("it must start with sqlite:".into()));
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|source| bad_url(source.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    if let Some(folder) = options.get_filename().parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder)
            .map_err(|source| OpenError::Folder { folder: folder.display().to_string(), source })?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(CONNECTIONS)
        .min_connections(CONNECTIONS)
        .connect_with(options)
        .await
        .map_err(|source| OpenError::Connect { url: url.into(), source })?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Whether the database refused a write because a unique column already
/// holds the value (a name or address taken).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Current time in unix seconds, the unit every timestamp column uses.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

/// Current time in unix milliseconds, for what is ordered or shown finer
/// than seconds (messages, chat).
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}

/// A fresh, migrated database in a temporary file, for tests.
#[cfg(test)]
pub async fn open_for_test() -> (Db, TestDir) {
    let dir = TestDir::new();
    let url = format!("sqlite://{}/test.db", dir.0.display());
    (open(&url).await.expect("test database opens"), dir)
}

/// A temporary folder removed when dropped.
#[cfg(test)]
pub struct TestDir(pub std::path::PathBuf);

#[cfg(test)]
impl TestDir {
    fn new() -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "anteroom-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        TestDir(path)
    }
}

#[cfg(test)]
impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_creates_the_folder_and_applies_migrations_in_wal_mode() {
        let (db, dir) = open_for_test().await;
        assert!(dir.0.join("test.db").exists());
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&db).await.unwrap();
        assert_eq!(mode, "wal");
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(&db)
                .await
                .unwrap();
        for expected in ["channels", "members", "rooms", "sessions", "team_members", "teams", "workspaces"] {
            assert!(tables.iter().any(|t| t == expected), "missing table {expected}: {tables:?}");
        }
    }

    #[tokio::test]
    async fn opening_twice_is_harmless() {
        let (db, dir) = open_for_test().await;
        db.close().await;
        let url = format!("sqlite://{}/test.db", dir.0.display());
        open(&url).await.expect("reopening an up-to-date database works");
    }

    /// A database made before ids were kept from reuse (migration 7) keeps
    /// every row and reference through the table rebuilds, and from then on
    /// a deleted newest channel's id is never handed out again.
    #[tokio::test]
    async fn upgrading_to_ids_never_reused_keeps_every_row() {
        let dir = TestDir::new();
        let url = format!("sqlite://{}/test.db", dir.0.display());
        let options = SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true).foreign_keys(true);
        let before = SqlitePoolOptions::new().connect_with(options).await.unwrap();
        MIGRATOR.run_to(6, &before).await.unwrap();
        sqlx::raw_sql(VERSION_6_ROWS).execute(&before).await.unwrap();
        let count = |table: &'static str| sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        let tables =
            ["members", "team_members", "channels", "rooms", "email_messages", "inbox_participants", "sessions"];
        let mut counts = Vec::new();
        for table in tables {
            counts.push(sqlx::query_scalar::<_, i64>(count(table)).fetch_one(&before).await.unwrap());
        }
        before.close().await;

        let db = open(&url).await.expect("the upgrade applies");
        for (table, expected) in tables.into_iter().zip(counts) {
            let now: i64 = sqlx::query_scalar(count(table)).fetch_one(&db).await.unwrap();
            assert_eq!((table, now), (table, expected), "rows kept");
            assert!(expected > 0, "the old database has {table}");
        }
        let broken: Vec<(String, i64)> =
            sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check").fetch_all(&db).await.unwrap();
        assert!(broken.is_empty(), "references intact: {broken:?}");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&db).await.unwrap();
        assert_eq!(fk, 1, "foreign keys are on again");

        let newest: i64 = sqlx::query_scalar("SELECT MAX(id) FROM channels").fetch_one(&db).await.unwrap();
        sqlx::query("DELETE FROM channels WHERE id = ?").bind(newest).execute(&db).await.unwrap();
        let next: i64 = sqlx::query_scalar(
            "INSERT INTO channels (workspace_id, name, kind, created_at)
             SELECT workspace_id, 'fresh', kind, created_at FROM channels LIMIT 1 RETURNING id",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert!(next > newest, "id {next} after deleting {newest}");

        // Later migrations carry on from the rebuilt tables: the inboxes'
        // domain became the workspace's mail domain.
        let domains: Vec<String> = sqlx::query_scalar("SELECT domain FROM mail_domains").fetch_all(&db).await.unwrap();
        assert_eq!(domains, ["acme.example"]);
    }

    /// Rows as version 6 of the schema held them, references between
    /// tables included.
    const VERSION_6_ROWS: &str = "
        INSERT INTO workspaces (id, name, created_at) VALUES (1, 'Acme', 0);
        INSERT INTO members (id, workspace_id, name, email, password_hash, is_admin, created_at)
            VALUES (1, 1, 'Ada', 'ada@example.com', 'x', TRUE, 0), (2, 1, 'Grace', 'grace@example.com', 'x', FALSE, 0);
        INSERT INTO teams (id, workspace_id, name, created_at) VALUES (1, 1, 'Design', 0);
        INSERT INTO team_members (team_id, member_id) VALUES (1, 1), (1, 2);
        INSERT INTO channels (id, workspace_id, name, kind, created_at)
            VALUES (1, 1, 'general', 'text', 0), (2, 1, 'client-calls', 'meeting', 0);
        INSERT INTO channel_admins (channel_id, member_id) VALUES (2, 2);
        INSERT INTO rooms (id, workspace_id, name, x, y, width, height, created_at)
            VALUES (1, 1, 'Boardroom', 0, 0, 100, 100, 0);
        INSERT INTO sessions (token_hash, member_id, created_at, expires_at) VALUES ('h', 2, 0, 99999999999);
        INSERT INTO inboxes (id, workspace_id, name, created_at) VALUES (1, 1, 'Sales', 0);
        INSERT INTO inbox_addresses (address, inbox_id, position) VALUES ('sales@acme.example', 1, 0);
        INSERT INTO inbox_participants (id, inbox_id, member_id, team_id, role) VALUES (1, 1, NULL, 1, 'member');
        INSERT INTO email_threads (id, inbox_id, subject, last_message_at) VALUES (1, 1, 'Pricing', 0);
        INSERT INTO email_messages (id, inbox_id, thread_id, message_id, from_address, to_addresses, subject,
            text_body, outgoing, created_at)
            VALUES (1, 1, 1, 'a@x', 'lin@example.org', 'sales@acme.example', 'Pricing', 'Hello', FALSE, 0);
    ";

    #[tokio::test]
    async fn a_bad_url_names_the_problem() {
        let error = open("postgres-ish://nowhere").await.unwrap_err();
        assert!(error.to_string().contains("not a SQLite URL"), "{error}");
    }
}
