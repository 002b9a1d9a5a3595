//! Where the SMTP receiver's mail goes: into the inboxes of its recipients.

use crate::smtp_receiver::MailHandler;
use anteroom_app::ssr::db::Db;
use anteroom_app::ssr::inbox_news::InboxNews;
use anteroom_app::ssr::inboxes;
use anteroom_app::ssr::mail_in::{self, MAX_MESSAGE_BYTES};

#[derive(Clone)]
pub struct InboxDelivery {
    pub db: Db,
    pub news: InboxNews,
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

    async fn deliver(&self, recipients: Vec<String>, raw: Vec<u8>) -> Result<(), String> {
        mail_in::receive(&self.db, &self.news, &recipients, &raw).await.map(drop).map_err(|error| error.to_string())
    }

    fn max_message_bytes(&self) -> usize {
        MAX_MESSAGE_BYTES
    }
}
