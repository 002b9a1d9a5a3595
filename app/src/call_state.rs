//! A call's state as the conference view shows it: reactive signals the
//! browser's call client writes and the view reads. Plain data, so the
//! server can render the same view (empty) before the page hydrates.

use crate::protocol::signal::{ChatMessage, Participant, ParticipantId, Source};
use leptos::prelude::*;

/// The key under which the browser keeps its own camera stream.
pub const LOCAL_STREAM: &str = "local";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallStatus {
    /// Asking for camera and microphone, opening the connection.
    Connecting,
    Live,
    /// The connection dropped; rejoining.
    Reconnecting,
    /// The server ended the call, with why.
    Ended(String),
}

#[derive(Clone, Copy)]
pub struct CallState {
    pub status: RwSignal<CallStatus>,
    pub me: RwSignal<Option<ParticipantId>>,
    pub participants: RwSignal<Vec<Participant>>,
    pub chat: RwSignal<Vec<ChatMessage>>,
    pub mic_on: RwSignal<bool>,
    pub camera_on: RwSignal<bool>,
    pub sharing: RwSignal<bool>,
    /// Who is talking loudest right now.
    pub speaking: RwSignal<Option<ParticipantId>>,
    /// A camera or microphone problem to explain, if any.
    pub media_problem: RwSignal<Option<String>>,
    /// A refused request to show briefly (e.g. an over-long chat message).
    pub notice: RwSignal<Option<String>>,
    /// Bumped whenever a media stream appears or goes, so tiles re-attach.
    pub streams_version: RwSignal<u32>,
    /// The latest arrival or departure ("Lin Park joined as a guest"), read
    /// out by screen readers and shown in the header.
    pub activity: RwSignal<Option<String>>,
    /// Whether the call is being transcribed (everyone in it is told).
    pub transcribing: RwSignal<bool>,
}

impl Default for CallState {
    fn default() -> Self {
        Self::new()
    }
}

impl CallState {
    pub fn new() -> Self {
        CallState {
            status: RwSignal::new(CallStatus::Connecting),
            me: RwSignal::new(None),
            participants: RwSignal::new(Vec::new()),
            chat: RwSignal::new(Vec::new()),
            mic_on: RwSignal::new(true),
            camera_on: RwSignal::new(true),
            sharing: RwSignal::new(false),
            speaking: RwSignal::new(None),
            media_problem: RwSignal::new(None),
            notice: RwSignal::new(None),
            streams_version: RwSignal::new(0),
            activity: RwSignal::new(None),
            transcribing: RwSignal::new(false),
        }
    }

    /// The participant who publishes `stream_id`.
    pub fn owner_of(&self, stream_id: &str) -> Option<ParticipantId> {
        self.participants.with_untracked(|list| {
            list.iter().find(|p| p.streams.iter().any(|s| s.stream_id == stream_id)).map(|p| p.id)
        })
    }

    /// The stream id of someone's shared screen, if anyone shares one.
    pub fn shared_screen(&self) -> Option<(ParticipantId, String)> {
        self.participants.with(|list| {
            list.iter().find_map(|p| {
                p.streams.iter().find(|s| s.source == Source::Screen).map(|s| (p.id, s.stream_id.clone()))
            })
        })
    }
}

/// Applies a participant change to the list: replaces or appends.
pub fn upsert_participant(list: &mut Vec<Participant>, participant: Participant) {
    match list.iter_mut().find(|p| p.id == participant.id) {
        Some(existing) => *existing = participant,
        None => list.push(participant),
    }
}
