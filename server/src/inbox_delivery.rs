//! Where the SMTP receiver's mail goes: into the inboxes of its recipients,
//! within what an inbox keeps (`mail_in`'s limits), each refusal told to
//! the sending server as its SMTP reply.

use crate::smtp_receiver::{Envelope, MailHandler, Refusal};
use anteroom_app::ssr::db::Db;
use anteroom_app::ssr::inbox_news::InboxNews;
use anteroom_app::ssr::inboxes;
use anteroom_app::ssr::mail_in::{self, Limits, MAX_MESSAGE_BYTES, ReceiveError};

#[derive(Clone)]
pub struct InboxDelivery {
    pub db: Db,
    pub news: InboxNews,
    /// Where received attachments are kept.
    pub files: std::sync::Arc<anteroom_app::ssr::file_store::FileStore>,
}

impl MailHandler for InboxDelivery {
    async fn accepts(&self, recipient: &str) -> bool {
        // Checked at RCPT time, so mail for unknown addresses is refused
        // before it is sent.
        match inboxes::inbox_for_address(&self.db, recipient).await {
            Ok(found) => found.is_some(),
            Err(error) => {
                tracing::error!(%error, "could not look up an inbox address");
                false
            }
        }
    }

    async fn deliver(&self, envelope: Envelope, raw: Vec<u8>) -> Result<(), Refusal> {
        let limits = Limits::default();
        mail_in::receive(&self.db, &self.files, &self.news, &envelope.from, &envelope.recipients, raw, &limits)
            .await
            .map(drop)
            .map_err(refusal)
    }

    fn max_message_bytes(&self) -> usize {
        MAX_MESSAGE_BYTES
    }
}

/// What the sending server is told about a message that was not filed.
fn refusal(error: ReceiveError) -> Refusal {
    match error {
        ReceiveError::TooLarge { limit } => Refusal::TooLarge { limit_bytes: limit },
        ReceiveError::TooComplex => Refusal::TooComplex,
        ReceiveError::Unreadable => Refusal::Unreadable,
        ReceiveError::SenderAllowance => Refusal::SenderAllowance,
        ReceiveError::InboxAllowance => Refusal::InboxAllowance,
        // The inbox went between RCPT and DATA, or the database failed:
        // worth another try.
        ReceiveError::NoInbox | ReceiveError::Storage | ReceiveError::Database(_) => Refusal::Failed(error.to_string()),
    }
}
