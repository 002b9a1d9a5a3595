//! Email conversations of inboxes in the database: filing each message into
//! its thread (by the ids it answers), listing threads, and reading one.

use super::db::{Db, now};
use crate::model::{EmailId, EmailView, InboxId, MemberId, ThreadId, ThreadSummary, ThreadView};

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
    pub subject: String,
    pub text_body: String,
    /// As received; sanitised whenever it is shown.
    pub html_body: Option<String>,
    pub outgoing: bool,
    pub sent_by: Option<MemberId>,
    /// For sent mail: "relayed", "outbox" or "failed".
    pub delivery: Option<String>,
    pub delivery_note: Option<String>,
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
}

/// The thread of the first of `ids` (newest first) that this inbox has.
async fn thread_of_any(db: &Db, inbox: InboxId, ids: &[String]) -> Result<Option<ThreadId>, sqlx::Error> {
    for id in ids {
        let found: Option<ThreadId> =
            sqlx::query_scalar("SELECT thread_id FROM email_messages WHERE inbox_id = $1 AND message_id = $2")
                .bind(inbox)
                .bind(id)
                .fetch_optional(db)
                .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Files the message into the inbox: into the thread of the message it
/// answers (In-Reply-To, else the newest known id in References), or a new
/// thread. A Message-ID the inbox already has is not filed twice.
pub async fn file(db: &Db, inbox: InboxId, email: &NewEmail) -> Result<(ThreadId, EmailId), sqlx::Error> {
    if let Some((thread, id)) = sqlx::query_as::<_, (ThreadId, EmailId)>(
        "SELECT thread_id, id FROM email_messages WHERE inbox_id = $1 AND message_id = $2",
    )
    .bind(inbox)
    .bind(&email.message_id)
    .fetch_optional(db)
    .await?
    {
        return Ok((thread, id));
    }
    let answered: Vec<String> =
        email.in_reply_to.iter().cloned().chain(email.references.iter().rev().cloned()).collect();
    let at = now();
    let existing = thread_of_any(db, inbox, &answered).await?;
    let mut tx = db.begin().await?;
    let thread = match existing {
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
        "INSERT INTO email_messages (inbox_id, thread_id, message_id, in_reply_to, reference_ids, from_address,
             from_name, to_addresses, subject, text_body, html_body, outgoing, sent_by, delivery, delivery_note,
             created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(inbox)
    .bind(thread)
    .bind(&email.message_id)
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
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
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

/// The inbox's threads, newest activity first.
pub async fn threads(db: &Db, inbox: InboxId) -> Result<Vec<ThreadSummary>, sqlx::Error> {
    type Row = (ThreadId, String, i64, i64, String, String, String, bool);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.subject, t.last_message_at,
                (SELECT COUNT(*) FROM email_messages c WHERE c.thread_id = t.id),
                m.from_name, m.from_address, m.text_body, m.outgoing
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
    sanitize: impl Fn(&str) -> String,
) -> Result<Option<ThreadView>, sqlx::Error> {
    let subject: Option<String> =
        sqlx::query_scalar("SELECT subject FROM email_threads WHERE inbox_id = $1 AND id = $2")
            .bind(inbox)
            .bind(thread)
            .fetch_optional(db)
            .await?;
    let Some(subject) = subject else { return Ok(None) };
    type Row = (EmailId, String, String, String, String, Option<String>, bool, Option<String>, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, from_name, from_address, to_addresses, text_body, html_body, outgoing, delivery, created_at
         FROM email_messages WHERE thread_id = $1 ORDER BY created_at, id",
    )
    .bind(thread)
    .fetch_all(db)
    .await?;
    let messages = rows
        .into_iter()
        .map(|(id, from_name, from_address, to, text_body, html, outgoing, delivery, created_at)| EmailView {
            id,
            from_name,
            from_address,
            to,
            text_body,
            html_body: html.as_deref().map(&sanitize),
            outgoing,
            delivery,
            created_at,
        })
        .collect();
    let Some(reply) = reply_context(db, inbox, thread).await? else { return Ok(None) };
    Ok(Some(ThreadView {
        id: thread,
        subject,
        messages,
        reply_to: reply.reply_to,
        reply_to_is_new: reply.reply_to_is_new,
    }))
}

/// What a reply in the thread needs; `None` if the thread is not the inbox's.
pub async fn reply_context(db: &Db, inbox: InboxId, thread: ThreadId) -> Result<Option<ReplyContext>, sqlx::Error> {
    let messages: Vec<(String, String, String, String, String, bool)> = sqlx::query_as(
        "SELECT m.subject, m.message_id, m.reference_ids, m.from_address, m.to_addresses, m.outgoing
         FROM email_messages m JOIN email_threads t ON t.id = m.thread_id
         WHERE t.inbox_id = $1 AND t.id = $2 ORDER BY m.created_at, m.id",
    )
    .bind(inbox)
    .bind(thread)
    .fetch_all(db)
    .await?;
    let Some(((subject, message_id, references, from, to, outgoing), earlier)) = messages.split_last() else {
        return Ok(None);
    };
    let mut chain: Vec<String> = references.split_whitespace().map(str::to_string).collect();
    chain.push(message_id.clone());
    let reply_to = if *outgoing { to.split(',').next().unwrap_or_default().trim().to_string() } else { from.clone() };
    let known = |address: &str| {
        earlier.iter().any(
            |(_, _, _, from, to, outgoing)| {
                if *outgoing { to.split(',').any(|to| to.trim() == address) } else { from == address }
            },
        )
    };
    let reply_to_is_new = !outgoing && !earlier.is_empty() && !known(&reply_to);
    let subject = format!("Re: {}", thread_subject(subject));
    Ok(Some(ReplyContext { subject, in_reply_to: message_id.clone(), references: chain, reply_to, reply_to_is_new }))
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
        let view = thread(&db, inbox, first, str::to_string).await.unwrap().unwrap();
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
        assert!(super::thread(&db, other, thread, str::to_string).await.unwrap().is_none());
        let view = super::thread(&db, sales, thread, |h| h.replace("<script>alert(1)</script>", "")).await.unwrap();
        assert_eq!(view.unwrap().messages[0].html_body.as_deref(), Some("<p>Hi</p>"));
        assert!(reply_context(&db, other, thread).await.unwrap().is_none());
    }

    #[test]
    fn thread_subjects_drop_reply_prefixes() {
        assert_eq!(thread_subject("Re: RE: Fwd: Pricing"), "Pricing");
        assert_eq!(thread_subject("  "), "(no subject)");
        assert_eq!(thread_subject("Regarding pricing"), "Regarding pricing");
    }
}
