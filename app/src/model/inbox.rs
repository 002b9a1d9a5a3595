//! Shared inboxes as the browser sees them: who may do what, and the
//! conversations.

use super::{MemberId, TeamId};
use serde::{Deserialize, Serialize};

id_type!(
    /// A shared email inbox.
    InboxId
);
id_type!(
    /// One participant entry of an inbox (a member or a team, with a role).
    InboxParticipantId
);
id_type!(
    /// A conversation in an inbox.
    ThreadId
);
id_type!(
    /// One email in a conversation.
    EmailId
);

/// What a participant may do in an inbox. Ordered: a higher role includes
/// everything a lower one may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(type_name = "TEXT", rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
pub enum InboxRole {
    /// Reads every conversation.
    Viewer,
    /// Reads, composes and replies.
    Member,
    /// Also manages participants and the inbox's settings.
    Admin,
}

impl InboxRole {
    pub const ALL: [InboxRole; 3] = [InboxRole::Admin, InboxRole::Member, InboxRole::Viewer];

    pub fn label(self) -> &'static str {
        match self {
            InboxRole::Admin => "Admin",
            InboxRole::Member => "Member",
            InboxRole::Viewer => "Viewer",
        }
    }

    /// The value used in forms and URLs.
    pub fn key(self) -> &'static str {
        match self {
            InboxRole::Admin => "admin",
            InboxRole::Member => "member",
            InboxRole::Viewer => "viewer",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.key() == key)
    }
}

/// An inbox in a sidebar or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct InboxSummary {
    pub id: InboxId,
    pub name: String,
}

/// An inbox in a member's sidebar, with their role there (so a role change
/// reaches their open pages too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyInbox {
    pub id: InboxId,
    pub name: String,
    pub role: InboxRole,
}

/// Who a participant entry grants access to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Grantee {
    Member(MemberId),
    Team(TeamId),
}

/// A participant entry as the Members tab shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxParticipant {
    pub id: InboxParticipantId,
    pub grantee: Grantee,
    pub name: String,
    /// An email for a member; "3 members" for a team.
    pub detail: String,
    pub role: InboxRole,
    /// For a member: a higher role they also hold through a team, which is
    /// the one that counts.
    pub higher_through_team: Option<(String, InboxRole)>,
}

/// A member or team the selector can add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub grantee: Grantee,
    pub name: String,
    pub detail: String,
}

/// What the Channel Overview dialog shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxDetails {
    pub id: InboxId,
    pub name: String,
    pub addresses: Vec<String>,
    pub participants: Vec<InboxParticipant>,
    /// The asker's own role (the highest that applies), if a participant.
    pub my_role: Option<InboxRole>,
    pub can_send: bool,
    pub can_manage: bool,
}

/// A conversation in the inbox's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub subject: String,
    /// The name (or address) of whoever wrote the latest message.
    pub from: String,
    pub snippet: String,
    /// Unix seconds.
    pub last_message_at: i64,
    pub message_count: i64,
}

/// One email as the conversation view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailView {
    pub id: EmailId,
    pub from_name: String,
    pub from_address: String,
    pub to: String,
    /// The Cc field's addresses, ", "-separated (empty when none).
    pub cc: String,
    pub text_body: String,
    /// Already sanitised on the server, its inline images in it.
    pub html_body: Option<String>,
    /// The files listed under it.
    pub attachments: Vec<super::MailAttachment>,
    pub outgoing: bool,
    /// For sent mail: where it went ("relayed", "outbox", "failed").
    pub delivery: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadView {
    pub id: ThreadId,
    pub subject: String,
    pub messages: Vec<EmailView>,
    /// Who a reply goes to, shown above the reply box.
    pub reply_to: String,
    /// The latest incoming message comes from someone who had not written
    /// in (or been written to from) the conversation before: a reply needs
    /// the member's confirmation.
    pub reply_to_is_new: bool,
    /// Who else a reply to all goes to (Cc).
    pub reply_all_cc: Vec<String>,
    /// Some of them are new to the conversation: replying to all needs the
    /// member's confirmation.
    pub reply_all_cc_new: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(InboxRole::Admin > InboxRole::Member && InboxRole::Member > InboxRole::Viewer);
        for role in InboxRole::ALL {
            assert_eq!(InboxRole::from_key(role.key()), Some(role));
        }
        assert_eq!(InboxRole::from_key("owner"), None);
        assert_eq!(serde_json::to_string(&InboxRole::Viewer).unwrap(), r#""viewer""#);
    }
}
