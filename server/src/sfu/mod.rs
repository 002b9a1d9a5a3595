//! The selective forwarding unit: every participant publishes its media once
//! to the server, which forwards it to every other participant of the same
//! conference, and to nobody else.
//!
//! Built on the `webrtc` crate's classic 0.17 API, whose ICE agent can share
//! one UDP socket between all peer connections (`UDPMuxDefault`): one port to
//! open in a firewall, whatever the number of calls. See README "Media".
//!
//! The media plane only: who may join is decided by the control plane
//! (`sockets::signal`), which hands the SFU a signed `ticket`; what a call
//! leaves behind (records, recordings) leaves through an `observer` and
//! its packet taps. See README "Architecture".
//!
//! Layers: `session` (one participant, joined by ticket) -> `conference`
//! (participants, published tracks, chat) -> `peer` (one participant's two
//! peer connections and their negotiation) -> `published` (a track's
//! simulcast layers and each subscriber's downtrack of it, sent on its
//! `outgoing` track through its link's `transmit`ter) -> `forward` (the RTP
//! hot path). `layers` moves a subscriber between layers at keyframes
//! (`vp8` reads and renumbers the payload descriptor), `bandwidth` decides
//! how high its link allows; `descriptions` counts what a browser's
//! description asks; `mailbox` carries events to a participant's socket.
//! `workers` runs each call on one single-threaded runtime of its own core.

mod bandwidth;
mod conference;
pub mod descriptions;
mod engine;
mod forward;
mod layers;
pub mod mailbox;
#[cfg(test)]
mod negotiation_tests;
pub mod observer;
mod outgoing;
mod peer;
mod published;
pub mod session;
pub mod ticket;
mod transmit;
mod vp8;
mod workers;

pub use engine::{MediaConfig, MediaError};

use anteroom_app::model::ConferenceId;
use anteroom_app::protocol::live::ChannelCall;
use anteroom_app::protocol::signal::ParticipantId;
use conference::{Arrival, Conference, Host};
use observer::CallObserver;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use ticket::{TicketGate, TicketKey};
use tokio::sync::broadcast;

/// The wall clock in unix milliseconds: chat's timestamps, tickets'
/// deadlines and recordings' starts are all written in it.
pub fn unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}

pub struct Sfu {
    engine: engine::Engine,
    workers: workers::Workers,
    conferences: Mutex<HashMap<ConferenceId, Arc<Conference>>>,
    next_participant: AtomicU64,
    /// Lets in the tickets that admit participants, each once.
    tickets: TicketGate,
    /// Told of every call that starts, once the server says who.
    observer: OnceLock<Arc<dyn CallObserver>>,
    /// Rings when someone joins or leaves a meeting channel's call.
    calls_changed: broadcast::Sender<()>,
    /// Ended calls whose watches are finishing: stopping waits for them.
    finishing: tokio_util::task::TaskTracker,
}

impl Sfu {
    /// Binds the media UDP port and prepares the WebRTC engine.
    /// Tickets signed with `tickets` admit participants.
    pub async fn start(config: &MediaConfig, tickets: TicketKey) -> Result<Arc<Self>, MediaError> {
        let workers = workers::Workers::per_core().map_err(MediaError::Workers)?;
        Ok(Arc::new(Sfu {
            engine: engine::Engine::start(config, &workers).await?,
            workers,
            conferences: Mutex::default(),
            next_participant: AtomicU64::new(1),
            tickets: TicketGate::new(tickets),
            observer: OnceLock::new(),
            calls_changed: broadcast::channel(16).0,
            finishing: tokio_util::task::TaskTracker::new(),
        }))
    }

    /// From now on, `observer` hears of every call that starts (the
    /// control plane keeps its records and recordings).
    pub fn observe_calls(&self, observer: Arc<dyn CallObserver>) {
        let _ = self.observer.set(observer);
    }

    /// The UDP address all media flows through.
    pub fn media_address(&self) -> SocketAddr {
        self.engine.media_address
    }

    /// ICE servers (STUN/TURN URLs) the browsers should use.
    pub fn ice_servers(&self) -> Vec<String> {
        self.engine.ice_servers.clone()
    }

    fn tickets(&self) -> &TicketGate {
        &self.tickets
    }

    fn next_participant_id(&self) -> ParticipantId {
        ParticipantId(self.next_participant.fetch_add(1, Ordering::Relaxed))
    }

    /// How many are in the conference's call now (0 when there is none).
    pub fn participants_in(&self, id: ConferenceId) -> usize {
        self.conferences.lock().expect("conferences lock").get(&id).map_or(0, |c| c.participant_count())
    }

    /// One more participant on their way into the conference with this id,
    /// which is started on first use.
    fn arrive_at(self: &Arc<Self>, id: ConferenceId) -> Arrival {
        let mut conferences = self.conferences.lock().expect("conferences lock");
        let conference = conferences
            .entry(id)
            .or_insert_with(|| {
                let host: Arc<dyn Host> = self.clone();
                Conference::new(id, Arc::downgrade(&host), self.workers.place_call(), self.observer.get().cloned())
            })
            .clone();
        Arrival::new(self.clone(), conference)
    }

    /// Starts or stops transcribing the call going on in `id`, if any.
    pub async fn set_transcribing(&self, id: ConferenceId, on: bool) {
        let conference = self.conferences.lock().expect("conferences lock").get(&id).cloned();
        if let Some(conference) = conference {
            let transcribed = conference.clone();
            conference.worker.run(async move { transcribed.set_transcribing(on).await }).await;
        }
    }

    /// Hears about every join and leave in meeting channels' calls.
    pub fn subscribe_calls(&self) -> broadcast::Receiver<()> {
        self.calls_changed.subscribe()
    }

    /// The meeting channels' calls going on, with who is in each.
    pub fn channel_calls(&self) -> Vec<ChannelCall> {
        let conferences = self.conferences.lock().expect("conferences lock");
        let mut calls: Vec<ChannelCall> = conferences
            .iter()
            .filter_map(|(id, conference)| match id {
                ConferenceId::Channel(channel) => Some(ChannelCall { channel: *channel, people: conference.people() }),
                ConferenceId::Room(_) => None,
            })
            .filter(|call| !call.people.is_empty())
            .collect();
        calls.sort_by_key(|call| call.channel);
        calls
    }

    /// How many participants are in each running conference (for tests and stats).
    pub fn census(&self) -> HashMap<ConferenceId, usize> {
        let conferences = self.conferences.lock().expect("conferences lock");
        conferences.iter().map(|(id, conference)| (*id, conference.participant_count())).collect()
    }

    /// Ends every call (its participants are told), closes the records of
    /// meeting channels' calls, and returns once what they noted is written.
    pub async fn shutdown(&self) {
        let conferences: Vec<Arc<Conference>> =
            self.conferences.lock().expect("conferences lock").drain().map(|(_, c)| c).collect();
        for conference in conferences {
            conference.close_all().await;
            // Out of the map already, so its last leave did not finish
            // it: a call cut short by stopping still gets its end.
            self.finishing.spawn(conference.finish());
        }
        // Each waits at most for its recordings' files (the observer
        // bounds that).
        self.finishing.close();
        self.finishing.wait().await;
        self.engine.close().await;
    }
}

impl Host for Sfu {
    /// Forgets a conference that has nobody left in it (its chat goes too),
    /// and tells its watch it ended.
    fn end_if_empty(&self, conference: &Arc<Conference>) {
        let mut conferences = self.conferences.lock().expect("conferences lock");
        if conference.is_empty() && conferences.get(&conference.id).is_some_and(|c| Arc::ptr_eq(c, conference)) {
            conferences.remove(&conference.id);
            self.finishing.spawn(conference.clone().finish());
        }
    }

    fn calls_changed(&self) {
        // Nobody listening is fine: no member has a page open.
        let _ = self.calls_changed.send(());
    }
}
