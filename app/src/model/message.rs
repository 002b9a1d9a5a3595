//! Wire types of a channel's conversation: its messages, a page of its
//! history, unread counts and search hits.

use super::{CallId, Channel, ChannelId, MemberId};
use serde::{Deserialize, Serialize};

id_type!(
    /// One message in a channel's history (ids grow with time: the history's
    /// order and its cursor).
    MessageId
);

/// The longest message, in characters: a long email's worth. Longer text
/// is refused with this number in the error, not cut.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// How many messages one page of history holds.
pub const HISTORY_PAGE: usize = 50;

/// The longest idempotency key a browser may choose for a message.
pub const MAX_CLIENT_KEY_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelMessage {
    pub id: MessageId,
    pub channel: ChannelId,
    /// The member who wrote it; `None` for a guest's line in a call's chat.
    pub author: Option<MemberId>,
    /// The name shown, as it was when written.
    pub author_name: String,
    pub guest: bool,
    /// What was written (Markdown): what Edit starts from. Empty once deleted.
    pub body: String,
    /// The body rendered and cleaned on the server: safe to show as HTML.
    pub html: String,
    /// The call whose chat it was written in (a meeting channel's).
    pub call: Option<CallId>,
    /// Unix milliseconds.
    pub sent_at: i64,
    pub edited: bool,
    pub deleted: bool,
    /// The files it carries (none once deleted).
    pub files: Vec<super::FileInfo>,
}

/// A page of a channel's history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub messages: Vec<ChannelMessage>,
    /// Whether older messages remain: the next page is asked for with the
    /// first message's id as its cursor.
    pub more_before: bool,
    /// Whether newer messages follow (a page opened at a message found by
    /// search): asked for with the last message's id.
    pub more_after: bool,
}

/// How many messages in one channel this member has not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    pub channel: ChannelId,
    pub count: i64,
}

/// One message a search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageHit {
    pub message: ChannelMessage,
    pub channel_name: String,
}

/// What a channel's page opens with: the channel, its newest history, and
/// whether the member may delete others' messages (a channel admin or a
/// workspace admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedChannel {
    pub channel: Channel,
    pub may_moderate: bool,
    /// The largest file the server takes, in bytes (the composer refuses
    /// larger ones before sending a byte).
    pub max_file_bytes: u64,
    pub history: HistoryPage,
}
