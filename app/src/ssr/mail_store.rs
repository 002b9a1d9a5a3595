//! Email conversations of inboxes in the database: filing each message into
//! its thread (by the ids it answers), listing threads, and reading one.
//!
//! Received mail is filed within daily allowances ([`Allowances`]), and is
//! a duplicate only when its Message-ID, envelope sender and content all
//! match one the inbox has ([`Arrival`]): a retry is filed once, a forgery
//! under a real message's id does not shut the real one out.
//!
//! Writing is one short transaction per message and inbox: everything
//! large (parsing, hashing, sizing) is done before it, and it takes the
//! write lock at its start (`BEGIN IMMEDIATE`), so its checks and its
//! insert see the same database. A message keeps at most a few MiB here
//! (`mail_in::MAX_STORED_BYTES`), so no writer waits long behind one.
//! Attachments, when they come, belong in a table of their own written
//! in pieces of that size, each in its own transaction, and the message
//! row last; their bytes go into `stored_bytes`, so the allowances count
//! them too.

use super::db::{Db, now};
use crate::model::{EmailId, EmailView, InboxId, MemberId, ThreadId, ThreadSummary, ThreadView};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqliteConnection};

/// The window of the daily allowances, in seconds.
const DAY_SECONDS: i64 = 24 * 60 * 60;

/// A message to file, incoming or sent. Ids are without angle brackets.
#[derive(Debug, Clone, Default)]
pub struct NewEmail {
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// The References header's ids, oldest first.
    pub references: Vec<String>,
    pub from_address: String,
    pub from_name: String,
    pub to_addresses: String,
    /// The Cc field's addresses, ", "-separated.
    pub cc_addresses: String,
    pub subject: String,
    pub text_body: String,
    /// As received; sanitised whenever it is shown.
    pub html_body: Option<String>,
    /// Its files, their content already in the `file_store`.
    pub attachments: Vec<NewAttachment>,
    pub outgoing: bool,
    pub sent_by: Option<MemberId>,
    /// For sent mail: "relayed", "outbox" or "failed".
    pub delivery: Option<String>,
    pub delivery_note: Option<String>,
}

/// A file a message carries (an attachment, or an inline image when it
/// has a Content-ID), its bytes already in the `file_store`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAttachment {
    pub name: String,
    pub content_type: String,
    pub content_id: Option<String>,
    pub sha256: String,
    pub size: u64,
}

impl NewEmail {
    /// The parts of the message the store keeps that come from its sender,
    /// but for its references.
    fn kept(&self) -> [&str; 9] {
        [
            &self.message_id,
            self.in_reply_to.as_deref().unwrap_or_default(),
            &self.from_address,
            &self.from_name,
            &self.to_addresses,
            &self.cc_addresses,
            &self.subject,
            &self.text_body,
            self.html_body.as_deref().unwrap_or_default(),
        ]
    }

    /// Bytes of its text, HTML and fields: what `mail_in`'s
    /// `MAX_STORED_BYTES` bounds (attachments are bounded apart).
    pub fn text_bytes(&self) -> usize {
        self.kept().iter().map(|part| part.len()).sum::<usize>()
            + self.references.iter().map(|id| id.len() + 1).sum::<usize>()
    }

    /// Bytes the store keeps of the message, files included: what the
    /// allowances count.
    pub fn stored_bytes(&self) -> usize {
        self.text_bytes() + self.attachments.iter().map(|file| file.size as usize).sum::<usize>()
    }

    /// SHA-256 (hex) of everything the store keeps of the message, each part
    /// length-prefixed so no two different messages run together the same.
    pub fn content_sha256(&self) -> String {
        let mut hash = Sha256::new();
        let references = self.references.join(" ");
        let html_marker = if self.html_body.is_some() { "html" } else { "" };
        let files: Vec<&str> = self.attachments.iter().map(|file| file.sha256.as_str()).collect();
        for part in self.kept().into_iter().chain([references.as_str(), html_marker]).chain(files) {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        super::file_store::hex(&hash.finalize())
    }
}

/// How a received message arrived: what tells it apart from another with
/// the same Message-ID, and whose allowance it counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// The SMTP envelope's sender (MAIL FROM), lowercased; empty for a bounce.
    pub envelope_from: String,
    /// [`NewEmail::content_sha256`] of the message.
    pub content_sha256: String,
}

/// How much received mail one sender, or one inbox, may have kept over the
/// last 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub messages: i64,
    pub bytes: i64,
}

impl Allowance {
    /// Whether `bytes` more fit beside `used` (messages, bytes).
    fn admits(&self, (messages, bytes_used): (i64, i64), bytes: i64) -> bool {
        messages < self.messages && bytes_used + bytes <= self.bytes
    }
}

/// The allowances a received message must fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowances {
    /// Per envelope sender, across every inbox (each copy counts).
    pub per_sender: Allowance,
    /// Per inbox, from every sender.
    pub per_inbox: Allowance,
}

/// What filing a received message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    /// Filed as a new message.
    New(ThreadId, EmailId),
    /// The inbox already had this very message (same id, sender, content).
    Duplicate(ThreadId, EmailId),
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the sender's mail allowance for the last 24 hours is used up")]
    SenderAllowance,
    #[error("the inbox's mail allowance for the last 24 hours is used up")]
    InboxAllowance,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What a reply in a thread needs: whom to answer, and the ids to thread by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyContext {
    pub subject: String,
    /// The latest message of the thread, which the reply answers.
    pub in_reply_to: String,
    /// Its References plus its own id, oldest first.
    pub references: Vec<String>,
    /// Who wrote the latest incoming message (or the latest recipient).
    pub reply_to: String,
    /// `reply_to` wrote the latest message and is nobody the conversation
    /// had before: not a sender of an earlier message, nor a recipient of
    /// one we sent.
    pub reply_to_is_new: bool,
    /// Who else the latest message went to (its To and Cc, but the inbox
    /// and `reply_to`): the Cc of a reply to all.
    pub others: Vec<String>,
    /// Some of `others` were on no earlier message of the conversation.
    pub others_are_new: bool,
}

/// The thread of the first of `ids` (newest first) that this inbox has (of
/// the earliest message, when several share an id).
async fn thread_of_any(
    db: &mut SqliteConnection,
    inbox: InboxId,
    ids: &[String],
) -> Result<Option<ThreadId>, sqlx::Error> {
    for id in ids {
        let found: Option<ThreadId> = sqlx::query_scalar(
            "SELECT thread_id FROM email_messages WHERE inbox_id = $1 AND message_id = $2 ORDER BY id LIMIT 1",
        )
        .bind(inbox)
        .bind(id)
        .fetch_optional(&mut *db)
        .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Files a message written here (sent, or demo mail) into the inbox, into
/// the thread of the message it answers. One with a Message-ID the inbox
/// already has among mail written here is not filed twice.
pub async fn file(db: &Db, inbox: InboxId, email: &NewEmail) -> Result<(ThreadId, EmailId), sqlx::Error> {
    let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
    if let Some(found) = sqlx::query_as::<_, (ThreadId, EmailId)>(
        "SELECT thread_id, id FROM email_messages WHERE inbox_id = $1 AND message_id = $2 AND envelope_from IS NULL",
    )
    .bind(inbox)
    .bind(&email.message_id)
    .fetch_optional(&mut *tx)
    .await?
    {
        return Ok(found);
    }
    let filed = insert(&mut tx, inbox, email, None, now()).await?;
    tx.commit().await?;
    Ok(filed)
}

/// Files a received message into the inbox, into the thread of the message
/// it answers, unless the inbox has this very message already, or the
/// sender or the inbox has used up its allowance for the last 24 hours.
pub async fn file_received(
    db: &Db,
    inbox: InboxId,
    email: &NewEmail,
    arrival: &Arrival,
    allowances: &Allowances,
) -> Result<Filed, FileError> {
    let at = now();
    let bytes = email.stored_bytes() as i64;
    let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
    if let Some((thread, id)) = sqlx::query_as::<_, (ThreadId, EmailId)>(
        "SELECT thread_id, id FROM email_messages
         WHERE inbox_id = $1 AND message_id = $2 AND envelope_from = $3 AND content_sha256 = $4",
    )
    .bind(inbox)
    .bind(&email.message_id)
    .bind(&arrival.envelope_from)
    .bind(&arrival.content_sha256)
    .fetch_optional(&mut *tx)
    .await?
    {
        return Ok(Filed::Duplicate(thread, id));
    }
    let since = at - DAY_SECONDS;
    let from_sender: (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(stored_bytes), 0) FROM email_messages
         WHERE envelope_from = $1 AND created_at > $2",
    )
    .bind(&arrival.envelope_from)
    .bind(since)
    .fetch_one(&mut *tx)
    .await?;
    if !allowances.per_sender.admits(from_sender, bytes) {
        return Err(FileError::SenderAllowance);
    }
    let into_inbox: (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(stored_bytes), 0) FROM email_messages
         WHERE inbox_id = $1 AND created_at > $2 AND envelope_from IS NOT NULL",
    )
    .bind(inbox)
    .bind(since)
    .fetch_one(&mut *tx)
    .await?;
    if !allowances.per_inbox.admits(into_inbox, bytes) {
        return Err(FileError::InboxAllowance);
    }
    let (thread, id) = insert(&mut tx, inbox, email, Some(arrival), at).await?;
    tx.commit().await?;
    Ok(Filed::New(thread, id))
}

/// Inserts the message into the thread of the message it answers
/// (In-Reply-To, else the newest known id in References), or a new thread.
async fn insert(
    tx: &mut SqliteConnection,
    inbox: InboxId,
    email: &NewEmail,
    arrival: Option<&Arrival>,
    at: i64,
) -> Result<(ThreadId, EmailId), sqlx::Error> {
    let answered: Vec<String> =
        email.in_reply_to.iter().cloned().chain(email.references.iter().rev().cloned()).collect();
    let thread = match thread_of_any(&mut *tx, inbox, &answered).await? {
        Some(thread) => {
            sqlx::query("UPDATE email_threads SET last_message_at = $1 WHERE id = $2")
                .bind(at)
                .bind(thread)
                .execute(&mut *tx)
                .await?;
            thread
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO email_threads (inbox_id, subject, last_message_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(inbox)
            .bind(thread_subject(&email.subject))
            .bind(at)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let id: EmailId = sqlx::query_scalar(
        "INSERT INTO email_messages (inbox_id, thread_id, message_id, envelope_from, content_sha256, stored_bytes,
             in_reply_to, reference_ids, from_address, from_name, to_addresses, subject, text_body, html_body,
             outgoing, sent_by, delivery, delivery_note, created_at, cc_addresses)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         RETURNING id",
    )
    .bind(inbox)
    .bind(thread)
    .bind(&email.message_id)
    .bind(arrival.map(|a| a.envelope_from.as_str()))
    .bind(arrival.map(|a| a.content_sha256.as_str()))
    .bind(email.stored_bytes() as i64)
    .bind(&email.in_reply_to)
    .bind(email.references.join(" "))
    .bind(&email.from_address)
    .bind(&email.from_name)
    .bind(&email.to_addresses)
    .bind(&email.subject)
    .bind(&email.text_body)
    .bind(&email.html_body)
    .bind(email.outgoing)
    .bind(email.sent_by)
    .bind(&email.delivery)
    .bind(&email.delivery_note)
    .bind(at)
    .bind(&email.cc_addresses)
    .fetch_one(&mut *tx)
    .await?;
    for file in &email.attachments {
        sqlx::query(
            "INSERT INTO mail_attachments (message_id, name, content_type, size, sha256, content_id)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(&file.name)
        .bind(&file.content_type)
        .bind(file.size as i64)
        .bind(&file.sha256)
        .bind(&file.content_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok((thread, id))
}

/// "Re: Re: Fwd: Hello" keeps its words, but a thread is named without the
/// reply prefixes; an empty subject gets a placeholder.
pub fn thread_subject(subject: &str) -> String {
    let mut rest = subject.trim();
    loop {
        let lower = rest.to_lowercase();
        match ["re:", "aw:", "fwd:", "fw:"].iter().find(|prefix| lower.starts_with(*prefix)) {
            Some(prefix) => rest = rest[prefix.len()..].trim_start(),
            None => break,
        }
    }
    if rest.is_empty() { "(no subject)".to_string() } else { rest.to_string() }
}

/// The inbox's threads, newest activity first. The snippet is made from
/// the start of the latest body only: bodies may be megabytes.
pub async fn threads(db: &Db, inbox: InboxId) -> Result<Vec<ThreadSummary>, sqlx::Error> {
    type Row = (ThreadId, String, i64, i64, String, String, String, bool);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.subject, t.last_message_at,
                (SELECT COUNT(*) FROM email_messages c WHERE c.thread_id = t.id),
                m.from_name, m.from_address, substr(m.text_body, 1, 2000), m.outgoing
         FROM email_threads t
         JOIN email_messages m ON m.id = (SELECT id FROM email_messages l WHERE l.thread_id = t.id
                                          ORDER BY l.created_at DESC, l.id DESC LIMIT 1)
         WHERE t.inbox_id = $1
         ORDER BY t.last_message_at DESC, t.id DESC",
    )
    .bind(inbox)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, subject, last_message_at, message_count, from_name, from_address, body, _)| ThreadSummary {
            id,
            subject,
            from: if from_name.is_empty() { from_address } else { from_name },
            snippet: snippet(&body),
            last_message_at,
            message_count,
        })
        .collect())
}

/// The first words of a body, on one line.
fn snippet(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(140) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}

/// One thread of the inbox with its messages, oldest first; HTML bodies
/// are passed through `sanitize` before they leave the server.
pub async fn thread(
    db: &Db,
    inbox: InboxId,
    thread: ThreadId,
    mut render: impl FnMut(&str, &[super::mail_attachments::InlineImage]) -> (String, Vec<String>),
) -> Result<Option<ThreadView>, sqlx::Error> {
    let subject: Option<String> =
        sqlx::query_scalar("SELECT subject FROM email_threads WHERE inbox_id = $1 AND id = $2")
            .bind(inbox)
            .bind(thread)
            .fetch_optional(db)
            .await?;
    let Some(subject) = subject else { return Ok(None) };
    let rows = sqlx::query(
        "SELECT id, from_name, from_address, to_addresses, cc_addresses, text_body, html_body, outgoing, delivery,
                created_at
         FROM email_messages WHERE thread_id = $1 ORDER BY created_at, id",
    )
    .bind(thread)
    .fetch_all(db)
    .await?;
    let mut files = super::mail_attachments::of_thread(db, thread).await?;
    let messages = rows
        .iter()
        .map(|row| {
            let id: EmailId = row.get("id");
            let super::mail_attachments::MailFiles { mut listed, inline } = files.remove(&id).unwrap_or_default();
            // Rendered with the images it shows (their Content-IDs); the
            // others are listed with its attachments.
            let (html, shown) = match row.get::<Option<String>, _>("html_body") {
                Some(html) => {
                    let (html, shown) = render(&html, &inline);
                    (Some(html), shown)
                }
                None => (None, Vec::new()),
            };
            listed.extend(inline.into_iter().filter(|image| !shown.contains(&image.content_id)).map(|i| i.attachment));
            listed.sort_by_key(|file| file.id);
            EmailView {
                id,
                from_name: row.get("from_name"),
                from_address: row.get("from_address"),
                to: row.get("to_addresses"),
                cc: row.get("cc_addresses"),
                text_body: row.get("text_body"),
                html_body: html,
                attachments: listed,
                outgoing: row.get("outgoing"),
                delivery: row.get("delivery"),
                created_at: row.get("created_at"),
            }
        })
        .collect();
    let Some(reply) = reply_context(db, inbox, thread).await? else { return Ok(None) };
    Ok(Some(ThreadView {
        id: thread,
        subject,
        messages,
        reply_to: reply.reply_to,
        reply_to_is_new: reply.reply_to_is_new,
        reply_all_cc: reply.others,
        reply_all_cc_new: reply.others_are_new,
    }))
}

/// What a reply in the thread needs; `None` if the thread is not the inbox's.
pub async fn reply_context(db: &Db, inbox: InboxId, thread: ThreadId) -> Result<Option<ReplyContext>, sqlx::Error> {
    let messages: Vec<(String, String, String, String, String, bool, String)> = sqlx::query_as(
        "SELECT m.subject, m.message_id, m.reference_ids, m.from_address, m.to_addresses, m.outgoing, m.cc_addresses
         FROM email_messages m JOIN email_threads t ON t.id = m.thread_id
         WHERE t.inbox_id = $1 AND t.id = $2 ORDER BY m.created_at, m.id",
    )
    .bind(inbox)
    .bind(thread)
    .fetch_all(db)
    .await?;
    let Some(((subject, message_id, references, from, to, outgoing, cc), earlier)) = messages.split_last() else {
        return Ok(None);
    };
    let mut chain: Vec<String> = references.split_whitespace().map(str::to_string).collect();
    chain.push(message_id.clone());
    let reply_to = if *outgoing { to.split(',').next().unwrap_or_default().trim().to_string() } else { from.clone() };
    let known = |address: &str| {
        earlier.iter().any(
            |(_, _, _, from, to, outgoing, _)| {
                if *outgoing { to.split(',').any(|to| to.trim() == address) } else { from == address }
            },
        )
    };
    let reply_to_is_new = !outgoing && !earlier.is_empty() && !known(&reply_to);
    let subject = format!("Re: {}", thread_subject(subject));
    // Reply all: everyone else the latest message went to, but the inbox.
    let own: Vec<String> =
        sqlx::query_scalar("SELECT address FROM inbox_addresses WHERE inbox_id = $1").bind(inbox).fetch_all(db).await?;
    let mut others: Vec<String> = Vec::new();
    for address in to.split(',').chain(cc.split(',')).map(str::trim).filter(|a| !a.is_empty()) {
        let address = address.to_lowercase();
        if address != reply_to && !own.contains(&address) && !others.contains(&address) {
            others.push(address);
        }
    }
    // Anyone on an earlier message (sender, To or Cc) is in the conversation.
    let on_earlier = |address: &str| {
        earlier.iter().any(|(_, _, _, from, to, _, cc)| {
            from == address || to.split(',').chain(cc.split(',')).any(|a| a.trim().eq_ignore_ascii_case(address))
        })
    };
    let others_are_new = !earlier.is_empty() && others.iter().any(|address| !on_earlier(address));
    Ok(Some(ReplyContext {
        subject,
        in_reply_to: message_id.clone(),
        references: chain,
        reply_to,
        reply_to_is_new,
        others,
        others_are_new,
    }))
}

/// Records how a sent message left (relayed, kept in the outbox, failed).
pub async fn set_delivery(db: &Db, email: EmailId, delivery: &str, note: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE email_messages SET delivery = $1, delivery_note = $2 WHERE id = $3")
        .bind(delivery)
        .bind(note)
        .bind(email)
        .execute(db)
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::{accounts, db::open_for_test, inboxes};

    fn email(id: &str, subject: &str, answers: Option<&str>, references: &[&str]) -> NewEmail {
        NewEmail {
            message_id: id.into(),
            in_reply_to: answers.map(str::to_string),
            references: references.iter().map(|r| r.to_string()).collect(),
            from_address: "lin@example.org".into(),
            from_name: "Lin".into(),
            to_addresses: "sales@acme.test".into(),
            subject: subject.into(),
            text_body: format!("Body of {id}"),
            ..NewEmail::default()
        }
    }

    #[tokio::test]
    async fn messages_are_threaded_by_the_ids_they_answer() {
        let (db, _dir) = open_for_test().await;
        let admin = accounts::tests::admin(&db).await;
        let inbox = inboxes::create(&db, admin.workspace_id, "Sales", &["sales@acme.test".into()]).await.unwrap();
        let (first, _) = file(&db, inbox, &email("a@x", "Pricing", None, &[])).await.unwrap();
        let (reply, _) = file(&db, inbox, &email("b@x", "Re: Pricing", Some("a@x"), &["a@x"])).await.unwrap();
        // A client that dropped In-Reply-To still threads by References.
        let (later, _) = file(&db, inbox, &email("c@x", "RE: Pricing", None, &["a@x", "b@x"])).await.unwrap();
        let (other, _) = file(&db, inbox, &email("d@x", "Pricing", None, &[])).await.unwrap();
        assert_eq!((reply, later), (first, first));
        assert_ne!(other, first, "the same subject alone does not join a thread");
        let (again, _) = file(&db, inbox, &email("b@x", "Re: Pricing", Some("a@x"), &[])).await.unwrap();
        assert_eq!(again, first, "a message filed twice stays one message");

        let list = threads(&db, inbox).await.unwrap();
        assert_eq!(list.len(), 2);
        let pricing = list.iter().find(|t| t.id == first).unwrap();
        assert_eq!((pricing.subject.as_str(), pricing.message_count, pricing.from.as_str()), ("Pricing", 3, "Lin"));
        assert_eq!(pricing.snippet, "Body of c@x");

        let context = reply_context(&db, inbox, first).await.unwrap().unwrap();
        assert_eq!(context.in_reply_to, "c@x");
        assert_eq!(context.references, ["a@x", "b@x", "c@x"]);
        assert_eq!((context.subject.as_str(), context.reply_to.as_str()), ("Re: Pricing", "lin@example.org"));
        assert!(!context.reply_to_is_new, "Lin started the conversation");

        // A stranger who quotes the thread's ids joins it; a reply would go
        // to them, so it is marked as new to the conversation.
        let mut stranger = email("e@x", "Re: Pricing", Some("c@x"), &["a@x", "b@x", "c@x"]);
        stranger.from_address = "mallory@evil.example".into();
        let (joined, _) = file(&db, inbox, &stranger).await.unwrap();
        assert_eq!(joined, first);
        let context = reply_context(&db, inbox, first).await.unwrap().unwrap();
        assert_eq!((context.reply_to.as_str(), context.reply_to_is_new), ("mallory@evil.example", true));
        let view = thread(&db, inbox, first, |html, _| (html.to_string(), Vec::new())).await.unwrap().unwrap();
        assert_eq!((view.reply_to.as_str(), view.reply_to_is_new), ("mallory@evil.example", true));
    }

    #[tokio::test]
    async fn threads_belong_to_their_inbox_and_html_is_sanitised_on_the_way_out() {
        let (db, _dir) = open_for_test().await;
        let admin = accounts::tests::admin(&db).await;
        let sales = inboxes::create(&db, admin.workspace_id, "Sales", &["sales@acme.test".into()]).await.unwrap();
        let other = inboxes::create(&db, admin.workspace_id, "Other", &["other@acme.test".into()]).await.unwrap();
        let mut html = email("a@x", "Hi", None, &[]);
        html.html_body = Some("<p>Hi</p><script>alert(1)</script>".into());
        let (thread, _) = file(&db, sales, &html).await.unwrap();
        assert!(super::thread(&db, other, thread, |html, _| (html.to_string(), Vec::new())).await.unwrap().is_none());
        let view = super::thread(&db, sales, thread, |h, _| (h.replace("<script>alert(1)</script>", ""), Vec::new()))
            .await
            .unwrap();
        assert_eq!(view.unwrap().messages[0].html_body.as_deref(), Some("<p>Hi</p>"));
        assert!(reply_context(&db, other, thread).await.unwrap().is_none());
    }

    fn arrival(from: &str, email: &NewEmail) -> Arrival {
        Arrival { envelope_from: from.into(), content_sha256: email.content_sha256() }
    }

    const ROOMY: Allowance = Allowance { messages: 100, bytes: 1 << 20 };

    #[tokio::test]
    async fn received_mail_is_a_duplicate_only_when_id_sender_and_content_all_match() {
        let (db, _dir) = open_for_test().await;
        let admin = accounts::tests::admin(&db).await;
        let inbox = inboxes::create(&db, admin.workspace_id, "Sales", &["sales@acme.test".into()]).await.unwrap();
        let allowances = Allowances { per_sender: ROOMY, per_inbox: ROOMY };
        let real = email("a@x", "Pricing", None, &[]);
        let mut forged = real.clone();
        forged.text_body = "Wire the deposit to me.".into();
        let file = |email: NewEmail, from: &'static str| {
            let db = db.clone();
            async move { file_received(&db, inbox, &email, &arrival(from, &email), &allowances).await.unwrap() }
        };
        let Filed::New(forged_thread, _) = file(forged.clone(), "lin@example.org").await else { panic!("filed") };
        let Filed::New(real_thread, real_id) = file(real.clone(), "lin@example.org").await else {
            panic!("the real message is kept beside the forgery")
        };
        assert_eq!(file(real.clone(), "lin@example.org").await, Filed::Duplicate(real_thread, real_id));
        assert!(matches!(file(real.clone(), "other@example.org").await, Filed::New(..)), "another sender");
        assert_ne!(forged_thread, real_thread);
        // A reply to the id joins the first message's thread.
        let reply = email("b@x", "Re: Pricing", Some("a@x"), &["a@x"]);
        let Filed::New(replied, _) = file(reply, "lin@example.org").await else { panic!("filed") };
        assert_eq!(replied, forged_thread);
        // Mail written here under a received message's id is its own.
        let (_, sent) = super::file(&db, inbox, &real).await.unwrap();
        assert_eq!(super::file(&db, inbox, &real).await.unwrap().1, sent, "written here once");
        let stored: Vec<(Option<String>, i64)> =
            sqlx::query_as("SELECT envelope_from, stored_bytes FROM email_messages WHERE id = $1")
                .bind(sent)
                .fetch_all(&db)
                .await
                .unwrap();
        assert_eq!(stored, [(None, real.stored_bytes() as i64)]);
    }

    #[tokio::test]
    async fn received_mail_is_counted_against_the_senders_and_the_inboxs_allowance() {
        let (db, _dir) = open_for_test().await;
        let admin = accounts::tests::admin(&db).await;
        let sales = inboxes::create(&db, admin.workspace_id, "Sales", &["sales@acme.test".into()]).await.unwrap();
        let support = inboxes::create(&db, admin.workspace_id, "Support", &["help@acme.test".into()]).await.unwrap();
        let one = email("1@x", "One", None, &[]);
        let size = one.stored_bytes() as i64;
        let allowances = Allowances {
            per_sender: Allowance { messages: 100, bytes: 3 * size },
            per_inbox: Allowance { messages: 3, bytes: 1 << 20 },
        };
        let file = |inbox: InboxId, id: &str, from: &'static str| {
            let db = db.clone();
            let email = NewEmail { message_id: id.into(), ..one.clone() };
            async move { file_received(&db, inbox, &email, &arrival(from, &email), &allowances).await }
        };
        // Each copy counts: three to two inboxes spend Lin's bytes.
        file(sales, "1@x", "lin@example.org").await.unwrap();
        file(support, "1@x", "lin@example.org").await.unwrap();
        file(sales, "2@x", "lin@example.org").await.unwrap();
        assert!(matches!(file(support, "3@x", "lin@example.org").await, Err(FileError::SenderAllowance)));
        assert!(
            matches!(file(sales, "1@x", "lin@example.org").await, Ok(Filed::Duplicate(..))),
            "a retry of what was filed is still answered as filed"
        );
        // Sales has two; one more from anyone, then the inbox is full.
        file(sales, "4@x", "sam@example.net").await.unwrap();
        assert!(matches!(file(sales, "5@x", "kim@example.net").await, Err(FileError::InboxAllowance)));
        file(support, "5@x", "kim@example.net").await.unwrap();
        // A day later the allowances are whole again.
        sqlx::query("UPDATE email_messages SET created_at = created_at - 86401").execute(&db).await.unwrap();
        assert!(matches!(file(sales, "5@x", "kim@example.net").await, Ok(Filed::New(..))));
        assert!(matches!(file(support, "3@x", "lin@example.org").await, Ok(Filed::New(..))));
        // Mail written here is not counted.
        let refused: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_messages WHERE envelope_from IS NULL")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(refused, 0);
    }

    #[tokio::test]
    async fn the_allowance_sums_read_their_indexes() {
        let (db, _dir) = open_for_test().await;
        for (query, index) in [
            (
                "SELECT COUNT(*), SUM(stored_bytes) FROM email_messages WHERE envelope_from = 'a' AND created_at > 0",
                "email_messages_received_from",
            ),
            (
                "SELECT COUNT(*), SUM(stored_bytes) FROM email_messages
                 WHERE inbox_id = 1 AND created_at > 0 AND envelope_from IS NOT NULL",
                "email_messages_received_by_inbox",
            ),
        ] {
            let plan: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {query}")))
                    .fetch_all(&db)
                    .await
                    .unwrap();
            let detail = plan.iter().map(|row| row.3.as_str()).collect::<Vec<_>>().join("; ");
            assert!(detail.contains(&format!("COVERING INDEX {index}")), "{detail}");
        }
    }

    /// The rebuild that changed what a duplicate is (migration 16) keeps
    /// every message, its size, and the highest id ever used.
    #[tokio::test]
    async fn upgrading_keeps_every_message_and_never_reuses_an_id() {
        use crate::ssr::db::MIGRATOR;
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        use std::str::FromStr;
        let (db, dir) = open_for_test().await;
        db.close().await;
        let url = format!("sqlite://{}/old.db", dir.0.display());
        let options = SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true).foreign_keys(true);
        let before = SqlitePoolOptions::new().connect_with(options).await.unwrap();
        MIGRATOR.run_to(15, &before).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO workspaces (id, name, created_at) VALUES (1, 'Acme', 0);
             INSERT INTO inboxes (id, workspace_id, name, created_at) VALUES (1, 1, 'Sales', 0);
             INSERT INTO email_threads (id, inbox_id, subject, last_message_at) VALUES (1, 1, 'Pricing', 0);
             INSERT INTO email_messages (id, inbox_id, thread_id, message_id, from_address, to_addresses, subject,
                 text_body, html_body, outgoing, created_at)
             VALUES (1, 1, 1, 'a@x', 'lin@example.org', 'sales@acme.example', 'Pricing', 'Héllo', '<p>Hi</p>', FALSE, 0),
                    (7, 1, 1, 'b@x', 'lin@example.org', 'sales@acme.example', 'Pricing', 'Gone', NULL, FALSE, 0);
             DELETE FROM email_messages WHERE id = 7;",
        )
        .execute(&before)
        .await
        .unwrap();
        before.close().await;
        let db = crate::ssr::db::open(&url).await.unwrap();
        let kept: Vec<(i64, i64, Option<String>)> =
            sqlx::query_as("SELECT id, stored_bytes, envelope_from FROM email_messages").fetch_all(&db).await.unwrap();
        assert_eq!(kept, [(1, 6 + 9, None)], "bytes of the bodies, not characters");
        let again = email("a@x", "Re: Pricing", None, &[]);
        let allowances = Allowances { per_sender: ROOMY, per_inbox: ROOMY };
        let filed = file_received(&db, InboxId(1), &again, &arrival("lin@example.org", &again), &allowances).await;
        let Ok(Filed::New(_, id)) = filed else { panic!("filed beside the old one: {filed:?}") };
        assert!(id.0 > 7, "id {id:?} after the deleted 7");
    }

    #[test]
    fn thread_subjects_drop_reply_prefixes() {
        assert_eq!(thread_subject("Re: RE: Fwd: Pricing"), "Pricing");
        assert_eq!(thread_subject("  "), "(no subject)");
        assert_eq!(thread_subject("Regarding pricing"), "Regarding pricing");
    }
}
