//! Call signalling (`/api/signal`): how a browser joins a conference on the
//! SFU, negotiates its two peer connections, and hears who is in the call.
//!
//! Every browser has two peer connections to the SFU: a *publish* link that
//! carries its own microphone, camera and screen up (the browser offers), and
//! a *subscribe* link that carries everyone else's media down (the server
//! offers whenever the set of tracks changes). Two links mean neither side
//! ever has to resolve offer glare.

use crate::model::{ConferenceId, GuestId};
use serde::{Deserialize, Serialize};

/// The path of the signalling websocket; the conference is named in the query.
pub const SIGNAL_PATH: &str = "/api/signal";
/// Largest message the server reads from a browser (an SDP offer with three
/// tracks is about 8 KiB).
pub const MAX_SIGNAL_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;
/// How many chat messages a conference keeps for people who join late.
pub const CHAT_HISTORY: usize = 500;
/// Chat one call takes in all, in messages and in bytes of text: every
/// message is stored, mailed in the notes and shown under Past calls, so a
/// guest with a link could otherwise fill all three (issue 32).
pub const MAX_CALL_CHAT_MESSAGES: usize = 1_000;
pub const MAX_CALL_CHAT_BYTES: usize = 512 * 1024;

/// (An inherent method may live beside what it needs: the path is the
/// protocol's, the id the model's.)
impl ConferenceId {
    /// The signalling URL path and query for this conference.
    pub fn signal_path(self) -> String {
        match self {
            ConferenceId::Room(room) => format!("{SIGNAL_PATH}?room={room}"),
            ConferenceId::Channel(channel) => format!("{SIGNAL_PATH}?channel={channel}"),
        }
    }
}

/// A guest's pass travels as the signalling socket's subprotocol
/// (`Sec-WebSocket-Protocol`), the one header a browser lets a page set on
/// a websocket; members need none, their session cookie goes along.
pub const PASS_PROTOCOL_PREFIX: &str = "anteroom-pass.";

/// The subprotocol that carries `pass` (passes are URL-safe base64, which
/// is a valid protocol token).
pub fn pass_protocol(pass: &str) -> String {
    format!("{PASS_PROTOCOL_PREFIX}{pass}")
}

/// One participant of one conference (a member's tab, later a guest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ParticipantId(pub u64);

impl std::fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Which of its two peer connections a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    Publish,
    Subscribe,
}

/// What a published stream shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Camera and microphone.
    Camera,
    /// A shared screen or window.
    Screen,
}

/// An ICE candidate as the browser's `RTCIceCandidate.toJSON()` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceCandidate {
    pub candidate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(default, rename = "sdpMLineIndex", skip_serializing_if = "Option::is_none")]
    pub sdp_mline_index: Option<u16>,
}

/// A participant as everyone in the call sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub name: String,
    /// Set for a guest let in through an invite link: members see a marker
    /// and may remove them by this id.
    pub guest: Option<GuestId>,
    pub audio_muted: bool,
    pub video_muted: bool,
    /// Media streams this participant publishes: the browser matches a
    /// received track to a tile by its stream id.
    pub streams: Vec<PublishedStream>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PublishedStream {
    pub stream_id: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub from: ParticipantId,
    pub name: String,
    pub text: String,
    /// Unix milliseconds, server clock.
    pub sent_at: i64,
}

/// Browser to server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SignalRequest {
    /// An offer for the publish link. `screen_stream` names the local stream
    /// id of a shared screen, if one is in the offer.
    PublishOffer {
        sdp: String,
        screen_stream: Option<String>,
    },
    /// The answer to the server's latest subscribe offer.
    SubscribeAnswer {
        sdp: String,
    },
    /// A trickled ICE candidate for one of the links.
    Candidate {
        link: Link,
        candidate: IceCandidate,
    },
    /// The browser's microphone and camera state, for everyone's tiles.
    Mute {
        audio: bool,
        video: bool,
    },
    /// The shared screen stopped.
    StopScreen,
    /// How tall (in device pixels) the browser shows the video of
    /// `stream`: a smaller simulcast layer does for a small tile.
    TileSize {
        stream: String,
        height: u16,
    },
    Chat {
        text: String,
    },
}

/// Server to browser, tagged outside (the module docs say why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalEvent {
    /// First message after joining: who you are, who is here, what was
    /// said, the STUN/TURN URLs for the browser's peer connections, and
    /// whether the call is being transcribed.
    Welcome {
        me: ParticipantId,
        participants: Vec<Participant>,
        chat: Vec<ChatMessage>,
        ice_servers: Vec<String>,
        #[serde(default)]
        transcribing: bool,
    },
    /// Transcription of the call was turned on or off.
    Transcription {
        on: bool,
    },
    PublishAnswer {
        sdp: String,
    },
    SubscribeOffer {
        sdp: String,
    },
    Candidate {
        link: Link,
        candidate: IceCandidate,
    },
    Joined {
        participant: Participant,
    },
    /// Mute state or published streams changed.
    Updated {
        participant: Participant,
    },
    Left {
        participant: ParticipantId,
    },
    Chat {
        message: ChatMessage,
    },
    /// A request was refused; the call goes on.
    Error {
        reason: String,
    },
    /// The server ended this participant's call (for example they walked out
    /// of the room); the socket closes after this.
    Ended {
        reason: String,
    },
    /// Send only the simulcast layers of this camera track up to `top` (a
    /// [`layer_rank`]): nobody receives the ones above it, so encoding and
    /// uploading them would be wasted. `mid` names the track's media
    /// section in the publish link.
    SendLayers {
        mid: String,
        top: u8,
    },
}

/// The simulcast layers a camera is sent in, lowest first: each one's RTP
/// stream id and how much smaller than the camera's picture it is.
pub const SIMULCAST_LAYERS: [(&str, f32); 3] = [("q", 4.0), ("h", 2.0), ("f", 1.0)];

/// The rank of the full-size layer, the highest.
pub const TOP_LAYER: u8 = SIMULCAST_LAYERS.len() as u8 - 1;

/// Where a layer stands, 0 being the smallest. A track sent without
/// simulcast (no stream id, such as a shared screen) is a single top layer.
pub fn layer_rank(rid: &str) -> u8 {
    SIMULCAST_LAYERS.iter().position(|(id, _)| *id == rid).map_or(TOP_LAYER, |rank| rank as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RoomId;

    #[test]
    fn candidates_use_the_browsers_field_names() {
        let json = r#"{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"x"}"#;
        let parsed: IceCandidate = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.sdp_mid.as_deref(), Some("0"));
        assert_eq!(parsed.sdp_mline_index, Some(0));
        let back = serde_json::to_string(&parsed).unwrap();
        assert!(back.contains("\"sdpMLineIndex\":0"), "{back}");
    }

    #[test]
    fn requests_are_tagged_and_unknown_ones_are_rejected() {
        let chat: SignalRequest = serde_json::from_str(r#"{"type":"chat","text":"hi"}"#).unwrap();
        assert_eq!(chat, SignalRequest::Chat { text: "hi".into() });
        assert!(serde_json::from_str::<SignalRequest>(r#"{"type":"become_admin"}"#).is_err());
    }

    #[test]
    fn conference_paths_name_the_room() {
        assert_eq!(ConferenceId::Room(RoomId(3)).signal_path(), "/api/signal?room=3");
        assert_eq!(pass_protocol("xyz"), "anteroom-pass.xyz");
    }
}
