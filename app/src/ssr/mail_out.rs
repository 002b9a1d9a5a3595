//! Outgoing mail: builds a message with proper threading headers and sends
//! it through the configured SMTP relay, or, with no relay configured, keeps
//! it as an .eml file in a local outbox folder (the README says how to look).

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

/// Where sent mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP relay, from a URL such as smtp://user:pass@host:587?tls=required.
    Relay(AsyncSmtpTransport<Tokio1Executor>),
    /// A folder of .eml files.
    Outbox(PathBuf),
}

/// A message to send. Ids are without angle brackets.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub from_name: String,
    pub from_address: String,
    pub to: String,
    /// Also sent to (a reply to all), shown to everyone.
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    /// Our id for it: `<random>@<mail domain>`.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// Files sent along (a transcript, a calendar invitation).
    pub attachments: Vec<Attachment>,
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    /// Its MIME type, e.g. `text/plain; charset=utf-8`.
    pub content_type: String,
    /// Text (sent readable when it is UTF-8 of a text type) or any bytes (base64).
    pub body: Vec<u8>,
}

impl Outgoing {
    /// A new message (not a reply) about calls, from the workspace's name
    /// and the server's calls address.
    pub fn about_calls(
        settings: &super::settings::Settings,
        workspace_name: &str,
        to: &str,
        subject: String,
        text: String,
    ) -> Self {
        Outgoing {
            from_name: workspace_name.to_string(),
            from_address: settings.calls_from(),
            to: to.to_string(),
            cc: Vec::new(),
            subject,
            text,
            message_id: format!("{}@{}", super::tokens::random_token(), settings.mail_domain()),
            in_reply_to: None,
            references: Vec::new(),
            attachments: Vec::new(),
        }
    }
}

/// How a message left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Relayed,
    /// Kept in the local outbox, at this path.
    Outbox(PathBuf),
    /// The relay refused it or could not be reached; the reason.
    Failed(String),
}

impl Delivery {
    /// The word stored with the message.
    pub fn key(&self) -> &'static str {
        match self {
            Delivery::Relayed => "relayed",
            Delivery::Outbox(_) => "outbox",
            Delivery::Failed(_) => "failed",
        }
    }

    pub fn note(&self) -> Option<String> {
        match self {
            Delivery::Relayed => None,
            Delivery::Outbox(path) => Some(path.display().to_string()),
            Delivery::Failed(reason) => Some(reason.clone()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{0} is not an email address")]
    Address(String),
    #[error("the message could not be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("{0} is not a content type an attachment can have")]
    ContentType(String),
}

#[derive(Debug, thiserror::Error)]
#[error("the SMTP relay URL is not usable: {0}")]
pub struct RelayUrlError(String);

impl Mailer {
    /// A relay from its URL, or the outbox folder when there is none.
    pub fn new(relay_url: Option<&str>, outbox: PathBuf) -> Result<Self, RelayUrlError> {
        match relay_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|builder| Mailer::Relay(builder.build()))
                .map_err(|error| RelayUrlError(error.to_string())),
            None => Ok(Mailer::Outbox(outbox)),
        }
    }

    /// Sends (or keeps) the message. Building errors are the caller's;
    /// delivery problems are reported as [`Delivery::Failed`], so the
    /// message is kept in the conversation either way.
    pub async fn send(&self, outgoing: &Outgoing) -> Result<Delivery, MailError> {
        let message = build(outgoing)?;
        Ok(match self {
            Mailer::Relay(transport) => match transport.send(message).await {
                Ok(_) => Delivery::Relayed,
                Err(error) => {
                    tracing::warn!(%error, "the SMTP relay did not take a message");
                    Delivery::Failed(format!("The mail relay did not accept it: {error}"))
                }
            },
            Mailer::Outbox(folder) => {
                let path = folder.join(format!("{}.eml", outgoing.message_id.replace(['/', '\\', '@'], "_")));
                let written = match tokio::fs::create_dir_all(folder).await {
                    Ok(()) => tokio::fs::write(&path, message.formatted()).await,
                    Err(error) => Err(error),
                };
                match written {
                    Ok(()) => Delivery::Outbox(path),
                    Err(error) => Delivery::Failed(format!("Could not write {}: {error}", path.display())),
                }
            }
        })
    }
}

fn mailbox(name: &str, address: &str) -> Result<Mailbox, MailError> {
    let address = address.parse().map_err(|_| MailError::Address(address.to_string()))?;
    Ok(Mailbox::new((!name.is_empty()).then(|| name.to_string()), address))
}

/// The message with From, To, Subject, Message-ID and, for replies,
/// In-Reply-To and References (ids in angle brackets, as RFC 5322 wants).
pub fn build(outgoing: &Outgoing) -> Result<Message, MailError> {
    let mut builder = Message::builder()
        .from(mailbox(&outgoing.from_name, &outgoing.from_address)?)
        .to(mailbox("", &outgoing.to)?)
        .subject(outgoing.subject.clone())
        .message_id(Some(format!("<{}>", outgoing.message_id)));
    for copy in &outgoing.cc {
        builder = builder.cc(mailbox("", copy)?);
    }
    if let Some(parent) = &outgoing.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !outgoing.references.is_empty() {
        let references: Vec<String> = outgoing.references.iter().map(|id| format!("<{id}>")).collect();
        builder = builder.references(references.join(" "));
    }
    let text = SinglePart::plain(outgoing.text.clone());
    if outgoing.attachments.is_empty() {
        return Ok(builder.singlepart(text)?);
    }
    let mut parts = MultiPart::mixed().singlepart(text);
    for attachment in &outgoing.attachments {
        let content_type = ContentType::parse(&attachment.content_type)
            .map_err(|_| MailError::ContentType(attachment.content_type.clone()))?;
        let file = lettre::message::Attachment::new(attachment.file_name.clone());
        let text = attachment.content_type.starts_with("text/").then(|| std::str::from_utf8(&attachment.body).ok());
        parts = parts.singlepart(match text.flatten() {
            Some(text) => file.body(text.to_string(), content_type),
            None => file.body(attachment.body.clone(), content_type),
        });
    }
    Ok(builder.multipart(parts)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply() -> Outgoing {
        Outgoing {
            from_name: "Sales".into(),
            from_address: "sales@acme.test".into(),
            to: "lin@example.org".into(),
            cc: Vec::new(),
            subject: "Re: Pricing".into(),
            text: "Thanks!\n.leading dot stays".into(),
            message_id: "r1@acme.test".into(),
            in_reply_to: Some("b@example.org".into()),
            references: vec!["a@acme.test".into(), "b@example.org".into()],
            attachments: Vec::new(),
        }
    }

    #[tokio::test]
    async fn the_outbox_keeps_a_threaded_message_a_mail_program_can_open() {
        let folder = std::env::temp_dir().join(format!("anteroom-outbox-{}", std::process::id()));
        let delivery = Mailer::new(None, folder.clone()).unwrap().send(&reply()).await.unwrap();
        let Delivery::Outbox(path) = delivery else { panic!("kept in the outbox: {delivery:?}") };
        let raw = std::fs::read(&path).unwrap();
        let parsed = crate::ssr::mail_in::parse(&raw).unwrap();
        assert_eq!(parsed.message_id, "r1@acme.test");
        assert_eq!(parsed.in_reply_to.as_deref(), Some("b@example.org"));
        assert_eq!(parsed.references, ["a@acme.test", "b@example.org"]);
        assert_eq!((parsed.from_name.as_str(), parsed.subject.as_str()), ("Sales", "Re: Pricing"));
        assert!(parsed.text_body.contains(".leading dot stays"));
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn bad_addresses_and_relay_urls_are_named() {
        let mut bad = reply();
        bad.to = "not an address".into();
        assert!(matches!(build(&bad), Err(MailError::Address(a)) if a == "not an address"));
        assert!(Mailer::new(Some("ftp://nowhere"), PathBuf::new()).is_err());
    }
}
