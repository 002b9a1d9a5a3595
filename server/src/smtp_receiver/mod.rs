//! The built-in SMTP receiver: accepts mail for the inboxes' addresses
//! (refusing unknown recipients at RCPT time) and hands each message over.
//! Plain SMTP without TLS or AUTH, meant to sit behind the organisation's
//! mail exchanger or on a private network; the subset is EHLO/HELO, MAIL,
//! RCPT, DATA, RSET, NOOP and QUIT.
//!
//! Anyone who can reach the port can talk to it, so everything is bounded:
//! lines while they are read ([`lines`]), each read by an idle timeout,
//! each write by a deadline, each session by a lifetime, the sessions held
//! at once (in all and per client network), and the bytes of messages being
//! received or filed at once ([`MessageBudget`], held until the handler has
//! filed or refused the message). The handler's refusals are typed
//! ([`Refusal`]), so each gets the reply that makes the client do the right
//! thing: give up and tell its sender (5xx), or try again later (4xx).
//!
//! The protocol is our own small state machine rather than `mailin`: its
//! handler is synchronous, and ours asks the database at RCPT time;
//! `samotop` is no longer maintained. A property test feeds the session
//! arbitrary input.

mod budget;
mod lines;
mod session;

pub use budget::MessageBudget;
pub use session::{Limits, session};

use anteroom_app::ssr::rate_limit::{Slots, client_key};
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// Sessions held at once, from everyone.
const MAX_SESSIONS: usize = 64;
/// Sessions held at once from one client network (IPv6 by /64).
const MAX_SESSIONS_PER_ADDRESS: usize = 8;
/// Bytes of messages being received or filed at once, from everyone; a
/// mail server that finds it full is told to try again later (452).
const MESSAGE_BUDGET_BYTES: usize = 128 * 1024 * 1024;

/// The SMTP envelope of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// MAIL FROM, lowercased; empty for a bounce.
    pub from: String,
    /// The accepted RCPT TO addresses, lowercased.
    pub recipients: Vec<String>,
}

/// Why a handler did not take a message, and so what the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its text and HTML are more than an inbox keeps: 552, for good.
    TooLarge { limit_bytes: usize },
    /// Its header fields, addresses or MIME parts would cost too much to
    /// read: 552, for good.
    TooComplex,
    /// It cannot be read as mail: 554, for good.
    Unreadable,
    /// The sender's allowance for the day is used up: 452, try later.
    SenderAllowance,
    /// The inbox's allowance for the day is used up: 452, try later.
    InboxAllowance,
    /// Something failed here: 451, try later. The reason is logged, not told.
    Failed(String),
}

impl Refusal {
    /// The reply line.
    fn reply(&self) -> String {
        match self {
            Refusal::TooLarge { limit_bytes } => {
                format!("552 5.3.4 Message text and HTML over {limit_bytes} bytes, too large to keep\r\n")
            }
            Refusal::TooComplex => "552 5.3.4 Message has too many header fields, addresses or parts\r\n".into(),
            Refusal::Unreadable => "554 5.6.0 Message could not be read as mail\r\n".into(),
            Refusal::SenderAllowance => "452 4.2.2 Too much mail from this sender in 24 hours, try later\r\n".into(),
            Refusal::InboxAllowance => "452 4.2.2 Too much mail for this inbox in 24 hours, try later\r\n".into(),
            Refusal::Failed(reason) => {
                tracing::warn!(%reason, "could not file a received message");
                "451 4.3.0 Could not file the message, try again later\r\n".into()
            }
        }
    }
}

/// What the receiver asks of whoever takes the mail.
pub trait MailHandler: Clone + Send + Sync + 'static {
    /// Whether mail for `recipient` is wanted here.
    fn accepts(&self, recipient: &str) -> impl Future<Output = bool> + Send;
    /// Takes one message, or says why not. The message's share of the
    /// memory budget is held until this returns.
    fn deliver(&self, envelope: Envelope, raw: Vec<u8>) -> impl Future<Output = Result<(), Refusal>> + Send;
    /// The largest message accepted, in bytes.
    fn max_message_bytes(&self) -> usize;
}

/// Accepts connections until `shutdown` flips.
pub async fn serve(listener: TcpListener, handler: impl MailHandler, mut shutdown: watch::Receiver<bool>) {
    let everyone = Arc::new(Semaphore::new(MAX_SESSIONS));
    let per_address: Arc<Slots<IpAddr>> = Arc::new(Slots::new(MAX_SESSIONS_PER_ADDRESS));
    let budget = MessageBudget::new(MESSAGE_BUDGET_BYTES);
    let limits = Limits::default();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((mut stream, peer)) => {
                    let held = everyone.clone().try_acquire_owned().ok().zip(per_address.take(client_key(peer.ip())));
                    let handler = handler.clone();
                    let budget = budget.clone();
                    let limits = limits.clone();
                    tokio::spawn(async move {
                        let Some(_held) = held else {
                            // Said without reading anything, and not waited on for long.
                            let busy = stream.write_all(b"421 4.3.2 Too many connections, try again later\r\n");
                            let _ = tokio::time::timeout(Duration::from_secs(5), busy).await;
                            return;
                        };
                        let (reader, writer) = stream.into_split();
                        let reader = tokio::io::BufReader::new(reader);
                        if let Err(error) = session(reader, writer, &handler, &budget, &limits).await {
                            tracing::debug!(%peer, %error, "SMTP session ended with an error");
                        }
                    });
                }
                Err(error) => tracing::warn!(%error, "could not accept an SMTP connection"),
            },
            _ = shutdown.changed() => break,
        }
    }
}
