//! The guest socket (`/api/guest?invite=…`): how someone without an account
//! knocks on a room, waits, and learns the members' answer; or, with a
//! meeting channel's external link, is let into its call at once.
//!
//! The knock lives exactly as long as this socket: closing or reloading the
//! tab (or pressing Cancel Request, which closes it) withdraws it everywhere
//! at once, and an admitted guest's place in the call ends with it too.

use crate::error::AppError;
use crate::model::RoomId;
use crate::model::{ConferenceId, GuestId};
use serde::{Deserialize, Serialize};

/// The path of the guest websocket; the invite token is in the query.
pub const GUEST_PATH: &str = "/api/guest";
/// Largest message the server reads from a guest (a knock is a name and an
/// email; anything bigger is not a knock).
pub const MAX_GUEST_MESSAGE_BYTES: usize = 2 * 1024;

/// The guest socket URL path and query for an invite token.
pub fn guest_socket_path(invite: &str) -> String {
    format!("{GUEST_PATH}?invite={invite}")
}

/// Browser to server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GuestRequest {
    /// Ask to be let in. Only the first knock on a socket counts. `email`
    /// may be empty at a meeting channel, never at a room. `knows_transcribed`:
    /// the lobby told the guest that the call is transcribed; a guest who
    /// was not told is refused with `TranscriptionTurnedOn`, and told.
    Knock {
        name: String,
        email: String,
        #[serde(default)]
        knows_transcribed: bool,
    },
}

/// Server to browser, tagged outside (the module docs say why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestEvent {
    /// The knock was heard; the members inside the room are being asked.
    Waiting,
    /// The guest is let in (by a member at a room; at once at a meeting
    /// channel). `pass` admits them to this call and nothing else, for as
    /// long as this socket stays open.
    Admitted { pass: String, conference: ConferenceId },
    /// A member said no. The socket closes after this.
    Denied,
    /// A member removed the admitted guest from the call. The socket closes
    /// after this.
    Removed,
    /// The knock was not accepted (bad name or email, dead link, too many
    /// knocks). The socket closes after this.
    Refused { error: AppError },
}

/// A guest waiting at a room's door, as members see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingGuest {
    pub id: GuestId,
    pub name: String,
    /// Only for members inside the room, who are the ones to decide.
    pub email: Option<String>,
}

/// A guest who was let in, as members see them on the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestInside {
    pub id: GuestId,
    pub name: String,
}

/// The guests at one room: those waiting at its door (oldest knock first)
/// and those let in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomGuests {
    pub room: RoomId,
    pub waiting: Vec<WaitingGuest>,
    pub inside: Vec<GuestInside>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knocks_and_answers_are_tagged_json() {
        let knock: GuestRequest =
            serde_json::from_str(r#"{"type":"knock","name":"Lin","email":"lin@example.org"}"#).expect("a knock parses");
        assert_eq!(
            knock,
            GuestRequest::Knock { name: "Lin".into(), email: "lin@example.org".into(), knows_transcribed: false }
        );
        assert!(serde_json::from_str::<GuestRequest>(r#"{"type":"walk","room":2}"#).is_err());
        let refused = GuestEvent::Refused { error: AppError::InviteInvalid };
        let json = serde_json::to_string(&refused).unwrap();
        assert_eq!(serde_json::from_str::<GuestEvent>(&json).unwrap(), refused);
    }

    #[test]
    fn socket_path_carries_the_invite() {
        assert_eq!(guest_socket_path("abc"), "/api/guest?invite=abc");
    }
}
