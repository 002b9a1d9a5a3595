//! Incoming mail: parses a received message and files it into every inbox
//! it was addressed to, threaded by its headers. Senders and bodies are
//! untrusted: nothing here interprets them, and HTML is sanitised whenever
//! it is shown.

use super::db::Db;
use super::inbox_news::{InboxChange, InboxNews};
use super::mail_store::{self, NewEmail};
use super::{inboxes, tokens};
use mail_parser::MessageParser;

/// Largest message the server accepts (the SMTP receiver says so up front).
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;
/// Most `References` ids looked at when threading (the latest ones): each
/// is a lookup, and a real thread seldom needs more than its last few.
pub const MAX_REFERENCES: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("the message could not be read as an email")]
    Unreadable,
    #[error("none of the recipients is an inbox here")]
    NoInbox,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Reads the raw message into what the store keeps.
pub fn parse(raw: &[u8]) -> Result<NewEmail, ReceiveError> {
    let message = MessageParser::default().parse(raw).ok_or(ReceiveError::Unreadable)?;
    let from = message.from().and_then(|list| list.first());
    let ids = |value: &mail_parser::HeaderValue| -> Vec<String> {
        value.as_text_list().map(|list| list.iter().map(|id| id.to_string()).collect()).unwrap_or_default()
    };
    let to: Vec<String> = message
        .to()
        .map(|list| list.iter().filter_map(|a| a.address().map(str::to_lowercase)).collect())
        .unwrap_or_default();
    let has_html = message.html_part(0).is_some_and(|part| part.is_text_html());
    Ok(NewEmail {
        // A message without an id still gets one, so replies can thread.
        message_id: message
            .message_id()
            .map_or_else(|| format!("{}@anteroom.invalid", tokens::random_token()), str::to_string),
        in_reply_to: ids(message.in_reply_to()).pop(),
        references: {
            let mut references = ids(message.references());
            references.drain(..references.len().saturating_sub(MAX_REFERENCES));
            references
        },
        from_address: from.and_then(|a| a.address()).unwrap_or_default().to_lowercase(),
        from_name: from.and_then(|a| a.name()).unwrap_or_default().to_string(),
        to_addresses: to.join(", "),
        subject: message.subject().unwrap_or_default().to_string(),
        text_body: message.body_text(0).map(|body| body.into_owned()).unwrap_or_default(),
        html_body: if has_html { message.body_html(0).map(|body| body.into_owned()) } else { None },
        ..NewEmail::default()
    })
}

/// Files a received message into the inboxes of `recipients` (the SMTP
/// envelope's, which may differ from its To header) and tells open pages.
pub async fn receive(db: &Db, news: &InboxNews, recipients: &[String], raw: &[u8]) -> Result<usize, ReceiveError> {
    let email = parse(raw)?;
    let mut filed = 0;
    for recipient in recipients {
        if let Some((workspace, inbox)) = inboxes::inbox_for_address(db, recipient).await? {
            mail_store::file(db, inbox, &email).await?;
            news.tell(InboxChange::Mail(workspace, inbox));
            filed += 1;
        }
    }
    if filed == 0 {
        return Err(ReceiveError::NoInbox);
    }
    tracing::info!(filed, "mail received");
    Ok(filed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_ids_and_bodies_are_read() {
        let raw = b"From: Lin Park <Lin@Example.org>\r\nTo: Sales <sales@acme.test>\r\nSubject: Re: Pricing\r\n\
Message-ID: <b@example.org>\r\nIn-Reply-To: <a@acme.test>\r\nReferences: <z@acme.test> <a@acme.test>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nSounds good.\r\n";
        let email = parse(raw).unwrap();
        assert_eq!((email.from_address.as_str(), email.from_name.as_str()), ("lin@example.org", "Lin Park"));
        assert_eq!(email.message_id, "b@example.org");
        assert_eq!(email.in_reply_to.as_deref(), Some("a@acme.test"));
        assert_eq!(email.references, ["z@acme.test", "a@acme.test"]);
        assert_eq!((email.subject.as_str(), email.to_addresses.as_str()), ("Re: Pricing", "sales@acme.test"));
        assert_eq!(email.text_body.trim(), "Sounds good.");
        assert_eq!(email.html_body, None, "plain mail has no HTML");
        assert!(matches!(parse(b""), Err(ReceiveError::Unreadable)));
        let many: String = (0..500).map(|n| format!("<r{n}@x>")).collect::<Vec<_>>().join(" ");
        let email = parse(format!("From: a@b\r\nReferences: {many}\r\n\r\nhi\r\n").as_bytes()).unwrap();
        assert_eq!(email.references.len(), MAX_REFERENCES, "only the latest references are kept");
        assert_eq!(email.references.last().map(String::as_str), Some("r499@x"));
    }
}
