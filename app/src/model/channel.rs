//! Wire types of meeting channels: their details dialog and guest activity.

use super::{ChannelId, ChannelKind, MemberSummary};
use serde::{Deserialize, Serialize};

/// What the Channel Details dialog shows a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelDetails {
    pub id: ChannelId,
    pub name: String,
    pub kind: ChannelKind,
    /// The external link guests join with, if one is on.
    pub external_link: Option<String>,
    /// Whether the asker may replace or turn off the link, remove guests
    /// and see guest activity (a channel admin or a workspace admin).
    pub can_manage: bool,
    pub admins: Vec<MemberSummary>,
}

/// One guest's stay in a channel's call, for channel and workspace admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GuestVisit {
    pub name: String,
    pub email: Option<String>,
    /// Unix seconds.
    pub joined_at: i64,
    /// Unix seconds; `None` while they are still in the call.
    pub left_at: Option<i64>,
    /// A channel admin sent them out.
    pub removed: bool,
}
