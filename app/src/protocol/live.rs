//! Messages on the live-event socket (`/api/live`), shared by the server
//! that sends them and the browser that applies them.

use super::guest::RoomGuests;
use crate::model::{Channel, ChannelId, ChannelMessage, InboxId, MemberId, MyInbox, Presence, Room};
use serde::{Deserialize, Serialize};

/// The path of the live-event websocket.
pub const LIVE_PATH: &str = "/api/live";

/// Largest message the server accepts from a live socket; anything bigger is
/// refused without being read into memory.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 4 * 1024;

/// Server to browser, tagged outside (the module docs say why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveEvent {
    /// The whole picture: sent first on every (re)connection, and again if
    /// the browser fell behind, so it never has to guess.
    Snapshot { people: Vec<Presence> },
    /// Someone came online or walked into a room or out to the lobby.
    Moved { presence: Presence },
    /// Someone closed their last tab or signed out.
    WentOffline { member: MemberId },
    /// The guests waiting at and let into the workspace's rooms, whenever
    /// that changes (and when this member walks, since emails are shown only
    /// for the room they are in).
    Guests { rooms: Vec<RoomGuests> },
    /// The inboxes in this member's sidebar with their role in each,
    /// whenever that changed (added, removed, a role or a team changed).
    Inboxes { inboxes: Vec<MyInbox> },
    /// An inbox this member can read has new or sent mail.
    InboxMail { inbox: InboxId },
    /// The workspace's channels, whenever one is created or deleted.
    Channels { channels: Vec<Channel> },
    /// The office map's rooms, whenever build mode changed one.
    Rooms { rooms: Vec<Room> },
    /// Who is in each of the workspace's meeting-channel calls that is
    /// going on, whenever someone joins or leaves one.
    Calls { calls: Vec<ChannelCall> },
    /// A message was posted (`posted`), or edited or deleted, in one of the
    /// workspace's channels.
    Message { message: ChannelMessage, posted: bool },
    /// This page fell behind and missed some messages: it reads its
    /// channel's newest page and the unread counts again.
    MessagesMissed,
    /// The browser sent something the server does not accept.
    Refused { reason: String },
    /// The session this page was opened with ended (signed out here or
    /// everywhere, or the password changed); the socket closes after this.
    SignedOut,
}

impl LiveEvent {
    /// Applies the event to the browser's list of who is online and where.
    pub fn apply_to(self, people: &mut Vec<Presence>) {
        match self {
            LiveEvent::Snapshot { people: everyone } => *people = everyone,
            LiveEvent::Moved { presence } => upsert(people, presence),
            LiveEvent::WentOffline { member } => people.retain(|p| p.member.id != member),
            LiveEvent::Guests { .. }
            | LiveEvent::Inboxes { .. }
            | LiveEvent::InboxMail { .. }
            | LiveEvent::Calls { .. }
            | LiveEvent::Channels { .. }
            | LiveEvent::Rooms { .. }
            | LiveEvent::Message { .. }
            | LiveEvent::MessagesMissed
            | LiveEvent::Refused { .. }
            | LiveEvent::SignedOut => {}
        }
    }
}

/// A meeting channel's call that is going on, and who is in it (by order
/// of arrival).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCall {
    pub channel: ChannelId,
    pub people: Vec<InCall>,
}

/// Someone in a channel's call, as members see them before joining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InCall {
    pub name: String,
    pub guest: bool,
}

/// Replaces a member's presence or adds it, keeping the list sorted by name.
pub fn upsert(people: &mut Vec<Presence>, presence: Presence) {
    people.retain(|p| p.member.id != presence.member.id);
    let at = people.partition_point(|p| (&p.member.name, p.member.id) < (&presence.member.name, presence.member.id));
    people.insert(at, presence);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MemberSummary, RoomId};

    fn presence(id: i64, name: &str, room: Option<i64>) -> Presence {
        Presence {
            member: MemberSummary {
                id: MemberId(id),
                name: name.into(),
                email: format!("{id}@example.com"),
                is_admin: false,
                deactivated: false,
            },
            room: room.map(RoomId),
        }
    }

    #[test]
    fn events_keep_the_list_current_and_sorted() {
        let mut people = Vec::new();
        LiveEvent::Snapshot { people: vec![presence(2, "Grace", None)] }.apply_to(&mut people);
        LiveEvent::Moved { presence: presence(1, "Ada", Some(3)) }.apply_to(&mut people);
        LiveEvent::Moved { presence: presence(2, "Grace", Some(3)) }.apply_to(&mut people);
        assert_eq!(people, vec![presence(1, "Ada", Some(3)), presence(2, "Grace", Some(3))]);
        LiveEvent::WentOffline { member: MemberId(1) }.apply_to(&mut people);
        LiveEvent::Refused { reason: "no".into() }.apply_to(&mut people);
        assert_eq!(people, vec![presence(2, "Grace", Some(3))]);
    }

    #[test]
    fn events_round_trip_as_json_tagged_outside() {
        let event = LiveEvent::WentOffline { member: MemberId(4) };
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(json, r#"{"went_offline":{"member":4}}"#);
        assert_eq!(serde_json::from_str::<LiveEvent>(&json).unwrap(), event);
        assert_eq!(serde_json::to_string(&LiveEvent::SignedOut).unwrap(), r#""signed_out""#);
        assert_eq!(serde_json::from_str::<LiveEvent>(r#""signed_out""#).unwrap(), LiveEvent::SignedOut);
    }
}
