//! The selective forwarding unit: every participant publishes its media once
//! to the server, which forwards it to every other participant of the same
//! conference, and to nobody else.
//!
//! Built on the `webrtc` crate's classic 0.17 API, whose ICE agent can share
//! one UDP socket between all peer connections (`UDPMuxDefault`): one port to
//! open in a firewall, whatever the number of calls. See README "Media".
//!
//! Layers: `session` (the signalling socket, who may join what) -> `conference`
//! (participants, published tracks, chat) -> `peer` (one participant's two
//! peer connections and their negotiation) -> `published` (a track's
//! simulcast layers and each subscriber's downtrack of it, sent on its
//! `outgoing` track through its link's `transmit`ter) -> `forward` (the RTP
//! hot path). `layers` moves a subscriber between layers at keyframes
//! (`vp8` reads and renumbers the payload descriptor), `bandwidth` decides
//! how high its link allows; `limits` bounds what one call, member or
//! socket may take. `workers` runs each call on one single-threaded
//! runtime of its own core.

mod bandwidth;
mod conference;
mod descriptions;
mod engine;
mod forward;
mod layers;
pub mod limits;
mod outgoing;
mod peer;
mod published;
mod requests;
pub mod session;
mod transmit;
mod vp8;
mod workers;

pub use engine::{MediaConfig, MediaError};

use crate::transcripts::call_log::CallLog;
use anteroom_app::protocol::live::ChannelCall;
use anteroom_app::protocol::signal::{ConferenceId, ParticipantId};
use conference::Conference;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::broadcast;

/// A participant on their way into a conference, counted there so that it
/// does not end meanwhile (`Conference::expect_arrival`). `Conference::join`
/// takes them in; an arrival dropped before that (their connections could
/// not be made, or their session stopped) turns back, and the conference
/// ends if nobody else is in it.
struct Arrival {
    sfu: Arc<Sfu>,
    conference: Arc<Conference>,
    joined: bool,
}

impl Arrival {
    fn conference(&self) -> &Arc<Conference> {
        &self.conference
    }

    /// They are in: `Conference::join` counted them as a member in the
    /// same step as it stopped counting them as arriving.
    fn joined(mut self) {
        self.joined = true;
    }
}

impl Drop for Arrival {
    fn drop(&mut self) {
        if !self.joined {
            self.conference.turn_back();
            self.sfu.end_if_empty(&self.conference);
        }
    }
}

/// Where calls are recorded.
pub(crate) struct Records {
    pub(crate) log: CallLog,
    pub(crate) data_dir: PathBuf,
}

pub struct Sfu {
    engine: engine::Engine,
    workers: workers::Workers,
    conferences: Mutex<HashMap<ConferenceId, Arc<Conference>>>,
    next_participant: AtomicU64,
    /// Where meeting channels' calls are recorded, once the server says.
    records: OnceLock<Arc<Records>>,
    /// Rings when someone joins or leaves a meeting channel's call.
    calls_changed: broadcast::Sender<()>,
    /// Ended calls whose records are being closed: stopping waits for them.
    finishing: tokio_util::task::TaskTracker,
}

impl Sfu {
    /// Binds the media UDP port and prepares the WebRTC engine.
    pub async fn start(config: &MediaConfig) -> Result<Arc<Self>, MediaError> {
        let workers = workers::Workers::per_core().map_err(MediaError::Workers)?;
        Ok(Arc::new(Sfu {
            engine: engine::Engine::start(config, &workers).await?,
            workers,
            conferences: Mutex::default(),
            next_participant: AtomicU64::new(1),
            records: OnceLock::new(),
            calls_changed: broadcast::channel(16).0,
            finishing: tokio_util::task::TaskTracker::new(),
        }))
    }

    /// From now on, meeting channels' calls are recorded in `log`, and
    /// their audio, when transcribed, under `data_dir`.
    pub fn keep_records(&self, log: CallLog, data_dir: PathBuf) {
        let _ = self.records.set(Arc::new(Records { log, data_dir }));
    }

    fn records(&self) -> Option<Arc<Records>> {
        self.records.get().cloned()
    }

    /// The UDP address all media flows through.
    pub fn media_address(&self) -> SocketAddr {
        self.engine.media_address
    }

    /// ICE servers (STUN/TURN URLs) the browsers should use.
    pub fn ice_servers(&self) -> Vec<String> {
        self.engine.ice_servers.clone()
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
            .or_insert_with(|| Conference::new(id, Arc::downgrade(self), self.workers.place_call()));
        conference.expect_arrival();
        Arrival { sfu: self.clone(), conference: conference.clone(), joined: false }
    }

    /// Forgets a conference that has nobody left in it (its chat goes too),
    /// closing a meeting channel's call record.
    fn end_if_empty(&self, conference: &Arc<Conference>) {
        let mut conferences = self.conferences.lock().expect("conferences lock");
        if conference.is_empty() && conferences.get(&conference.id).is_some_and(|c| Arc::ptr_eq(c, conference)) {
            conferences.remove(&conference.id);
            self.finishing.spawn(conference.clone().finish_record());
        }
    }

    /// Hears about every join and leave in meeting channels' calls.
    pub fn subscribe_calls(&self) -> broadcast::Receiver<()> {
        self.calls_changed.subscribe()
    }

    fn calls_changed(&self) {
        // Nobody listening is fine: no member has a page open.
        let _ = self.calls_changed.send(());
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
            // Out of the map already, so its last leave did not close its
            // record: a call cut short by stopping still gets its end.
            self.finishing.spawn(conference.finish_record());
        }
        // Each waits at most for its recordings' files; then what they
        // noted is written before the database closes.
        self.finishing.close();
        self.finishing.wait().await;
        if let Some(records) = self.records() {
            records.log.flush().await;
        }
        self.engine.close().await;
    }
}
