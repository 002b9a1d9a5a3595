//! Types that cross the wire between server and browser.
//!
//! Ids are newtypes so a room id can never be passed where a member id is
//! expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

/// A person's name as Anteroom shows it: a guest's is marked "(guest)",
/// so a name a guest typed never passes for a member's; and on one line
/// (`one_line`), so a name stored before line breaks were refused cannot
/// forge a line in the notes, a transcript or the summary model's prompt.
pub fn shown_name(name: &str, guest: bool) -> String {
    let name = one_line::flattened(name);
    if guest { format!("{name} (guest)") } else { name.into_owned() }
}

id_type!(
    /// A workspace: one team's office, channels and members.
    WorkspaceId
);
id_type!(
    /// A workspace member (someone with an account).
    MemberId
);
id_type!(
    /// A group of members, used to grant access to many at once.
    TeamId
);
id_type!(
    /// A meeting or text channel.
    ChannelId
);
id_type!(
    /// A room of the virtual office.
    RoomId
);
id_type!(
    /// One call of a meeting channel, from its first joiner to its last leaver.
    CallId
);

/// Which call a socket is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ConferenceId {
    /// Everyone inside one virtual-office room.
    Room(RoomId),
    /// A meeting channel's call: any member, and guests with its link.
    Channel(ChannelId),
}

/// One knock, from the moment it is made until its socket closes. Members
/// answer it, and an admitted guest is removed, by this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GuestId(pub u64);

impl std::fmt::Display for GuestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

pub mod channel;
pub mod file;
pub mod inbox;
pub mod layout;
pub mod message;
pub mod one_line;
pub use channel::*;
pub use file::*;
pub use inbox::*;
pub use message::*;

/// What the browser may know about a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct MemberSummary {
    pub id: MemberId,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    /// A workspace admin deactivated them: they cannot sign in. Only the
    /// member list says so; everywhere else lists active members only.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub deactivated: bool,
}

impl MemberSummary {
    /// One or two letters for an avatar: "Ada Lovelace" -> "AL".
    pub fn initials(&self) -> String {
        self.name
            .split_whitespace()
            .filter_map(|word| word.chars().next())
            .take(2)
            .flat_map(char::to_uppercase)
            .collect()
    }
}

/// A room of the virtual office, placed on the map.
///
/// Position and size are in map units: the map is [`MAP_WIDTH`] by
/// [`MAP_HEIGHT`] and scales to the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Room {
    pub id: RoomId,
    pub name: String,
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
}

pub const MAP_WIDTH: i64 = 1000;
pub const MAP_HEIGHT: i64 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(type_name = "TEXT", rename_all = "lowercase"))]
pub enum ChannelKind {
    /// Has a call that guests can join through an external link.
    Meeting,
    /// Text conversation for members only.
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Channel {
    pub id: ChannelId,
    pub name: String,
    pub kind: ChannelKind,
}

/// A team and who is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSummary {
    pub id: TeamId,
    pub name: String,
    pub members: Vec<MemberSummary>,
}

/// Where an online member is: in a room, or in the open lobby (`room: None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub member: MemberSummary,
    pub room: Option<RoomId>,
}

/// Everything the office screen needs on first paint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub workspace_name: String,
    pub me: MemberSummary,
    /// Whether the viewer may use build mode (every member, unless a
    /// workspace admin kept it to admins).
    pub can_build: bool,
    /// Whether build mode is kept to workspace admins (Workspace Settings).
    pub build_admins_only: bool,
    pub rooms: Vec<Room>,
    pub channels: Vec<Channel>,
    pub people: Vec<Presence>,
    /// The inboxes in the viewer's sidebar: rendered with the page, so that
    /// the server's page and the browser's agree before the live socket
    /// connects (and then keeps the list current).
    pub inboxes: Vec<MyInbox>,
}

/// What a guest's welcome page shows about where the link leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestWelcome {
    pub workspace_name: String,
    /// The room's or meeting channel's name.
    pub place_name: String,
    /// A room (the guest knocks) or a meeting channel (they join at once).
    pub conference: crate::model::ConferenceId,
    /// A meeting channel whose calls are transcribed: the guest is told
    /// before joining.
    pub transcribed: bool,
}

/// What a workspace admin does to a member from Workspace Settings >
/// Members (`api::accounts::manage_member`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberAction {
    /// Email them a link to choose a new password.
    SendPasswordReset,
    /// End their sessions and access; they cannot sign in.
    Deactivate,
    /// Let a deactivated member sign in again.
    Reactivate,
}

/// Where the front door sends someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Landing {
    /// Signed in: straight to the office.
    Office,
    /// A workspace exists: sign in.
    SignIn,
    /// A fresh install: create the workspace.
    SignUp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_first_letters_of_two_words() {
        let member = |name: &str| MemberSummary {
            id: MemberId(1),
            name: name.into(),
            email: "a@example.com".into(),
            is_admin: false,
            deactivated: false,
        };
        assert_eq!(member("Ada Lovelace").initials(), "AL");
        assert_eq!(member("grace").initials(), "G");
        assert_eq!(member("Jean Luc Picard").initials(), "JL");
    }
}
