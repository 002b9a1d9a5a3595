//! A conference: who is in one call, what each of them publishes, and the
//! call's chat. Decides who receives what: everyone receives everyone else's
//! tracks and nothing from any other conference.

use super::forward;
use super::observer::{CallObserver, CallWatch};
use super::peer::Peer;
use super::published::PublishedTrack;
use super::ticket::Holder;
use super::workers::Worker;
use anteroom_app::model::ConferenceId;
use anteroom_app::protocol::live::InCall;
use anteroom_app::protocol::signal::{
    CHAT_HISTORY, ChatMessage, Link, MAX_CALL_CHAT_BYTES, MAX_CALL_CHAT_MESSAGES, Participant, ParticipantId,
    PublishedStream, SIMULCAST_LAYERS, SignalEvent, Source, layer_rank,
};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::{OnceCell, mpsc};
use webrtc::peer_connection::{OnTrackHdlrFn, RTCPeerConnection};
use webrtc::rtp_transceiver::RTCRtpTransceiver;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;
use webrtc::track::track_remote::TrackRemote;

/// What a conference tells the SFU that holds it.
pub trait Host: Send + Sync {
    /// Forget `conference` if nobody is in it or on their way.
    fn end_if_empty(&self, conference: &Arc<Conference>);
    /// Someone joined or left a meeting channel's call.
    fn calls_changed(&self);
}

/// A participant on their way into a conference, counted there so that it
/// does not end meanwhile (`Conference::expect_arrival`). `Conference::join`
/// takes them in; an arrival dropped before that (their connections could
/// not be made, or their session stopped) turns back, and the conference
/// ends if nobody else is in it.
pub struct Arrival {
    host: Arc<dyn Host>,
    conference: Arc<Conference>,
    joined: bool,
}

impl Arrival {
    /// Counts one more on their way into `conference`.
    pub fn new(host: Arc<dyn Host>, conference: Arc<Conference>) -> Self {
        conference.expect_arrival();
        Arrival { host, conference, joined: false }
    }

    pub fn conference(&self) -> &Arc<Conference> {
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
            self.host.end_if_empty(&self.conference);
        }
    }
}

pub struct Conference {
    pub id: ConferenceId,
    host: Weak<dyn Host>,
    /// Where the call's peer connections live and its packets are
    /// forwarded: everything that touches WebRTC runs there.
    pub worker: Worker,
    state: Mutex<State>,
    next_track: AtomicU64,
    /// Told when the call starts; what it answers watches the call.
    observer: Option<Arc<dyn CallObserver>>,
    /// What watches this call, asked for when the first participant
    /// joins (None: nothing is kept of it).
    watch: OnceCell<Option<Arc<dyn CallWatch>>>,
    /// Whether microphones are tapped for the transcript.
    transcribing: AtomicBool,
}

#[derive(Default)]
struct State {
    members: HashMap<ParticipantId, Member>,
    tracks: Vec<Arc<PublishedTrack>>,
    chat: VecDeque<ChatMessage>,
    /// Chat taken in this call so far, against its caps.
    chat_taken: ChatTaken,
    /// Who is in, in order of arrival.
    arrived: Vec<ParticipantId>,
    /// Participants on their way in (their connections are being made):
    /// the conference is not over while someone is arriving.
    arriving: usize,
}

struct Member {
    peer: Arc<Peer>,
    participant: Participant,
    /// The browser's local stream id of a shared screen, if any.
    screen_stream: Option<String>,
}

impl Conference {
    pub fn new(
        id: ConferenceId,
        host: Weak<dyn Host>,
        worker: Worker,
        observer: Option<Arc<dyn CallObserver>>,
    ) -> Arc<Self> {
        Arc::new(Conference {
            id,
            host,
            worker,
            state: Mutex::default(),
            next_track: AtomicU64::new(1),
            observer,
            watch: OnceCell::new(),
            transcribing: AtomicBool::new(false),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("conference lock")
    }

    /// Nobody in the call, and nobody on their way in.
    pub fn is_empty(&self) -> bool {
        let state = self.state();
        state.members.is_empty() && state.arriving == 0
    }

    /// Someone is on their way in (`Arrival`): followed by `join` or
    /// `turn_back`.
    fn expect_arrival(&self) {
        self.state().arriving += 1;
    }

    /// Someone on their way in did not make it (their connections could
    /// not be made).
    fn turn_back(&self) {
        self.state().arriving -= 1;
    }

    pub fn participant_count(&self) -> usize {
        self.state().members.len()
    }

    /// Adds a participant who arrived (`arrival`): they are welcomed with
    /// who is here and what was said, everyone else hears they joined, and
    /// they start receiving every track already published.
    pub async fn join(
        self: &Arc<Self>,
        arrival: Arrival,
        peer: Arc<Peer>,
        participant: Participant,
        holder: &Holder,
        ice_servers: Vec<String>,
    ) {
        let watch = self.watch().await;
        let (others, tracks, chat) = {
            let mut state = self.state();
            let others: Vec<Participant> = state.members.values().map(|m| m.participant.clone()).collect();
            let tracks = state.tracks.clone();
            // A guest sees only their own time: what is said from now on,
            // not what members said before they were let in.
            let chat = if participant.guest.is_some() { Vec::new() } else { state.chat.iter().cloned().collect() };
            state.arrived.push(peer.id);
            state.arriving -= 1;
            let member = Member { peer: peer.clone(), participant: participant.clone(), screen_stream: None };
            state.members.insert(peer.id, member);
            (others, tracks, chat)
        };
        arrival.joined();
        let transcribing = self.transcribing.load(Ordering::Relaxed);
        peer.send(SignalEvent::Welcome { me: peer.id, participants: others, chat, ice_servers, transcribing });
        if let Some(watch) = watch {
            watch.joined(peer.id, holder).await;
        }
        self.tell_host_calls_changed();
        self.broadcast_except(peer.id, SignalEvent::Joined { participant });
        peer.receive(&tracks).await;
    }

    /// For `owner`'s publish link: every track it sends becomes a published
    /// track of this conference (each simulcast layer arrives as a track of
    /// its own and joins the others of its media section).
    pub fn on_published_track(self: &Arc<Self>, owner: ParticipantId) -> OnTrackHdlrFn {
        let conference = Arc::downgrade(self);
        Box::new(move |remote: Arc<TrackRemote>, _, transceiver: Arc<RTCRtpTransceiver>| {
            let conference = conference.upgrade();
            Box::pin(async move {
                let Some(conference) = conference else { return };
                let mid = transceiver.mid().map(|mid| mid.to_string()).unwrap_or_default();
                tokio::spawn(async move { conference.publish(owner, remote, mid).await });
            })
        })
    }

    async fn publish(self: Arc<Self>, owner: ParticipantId, remote: Arc<TrackRemote>, mid: String) {
        let rid = remote.rid().to_owned();
        if !rid.is_empty() && !SIMULCAST_LAYERS.iter().any(|(id, _)| *id == rid) {
            tracing::debug!(%owner, %rid, "ignored a layer with an unknown stream id");
            return;
        }
        let kind = remote.kind();
        let Some((track, publisher, new)) = self.find_or_add_track(owner, &remote, mid) else { return };
        let layer = layer_rank(&rid);
        let keyframe_requests = (kind == RTPCodecType::Video).then(|| {
            let (sender, requests) = mpsc::channel(8);
            tokio::spawn(forward::relay_keyframe_requests(publisher, remote.ssrc(), requests));
            sender
        });
        let Some(meter) = track.add_layer(layer, keyframe_requests) else { return };
        if new {
            if track.is_microphone() && self.transcribing.load(Ordering::Relaxed) {
                self.tap(&track).await;
            }
            self.announce(&track).await;
        }
        tracing::debug!(conference = ?self.id, %owner, source = ?track.source, %kind, %rid, codec = %remote.codec().capability.mime_type, "track published");
        forward::forward_layer(remote, track.clone(), layer, meter).await;
        // The publisher's track ended (they left, or stopped sharing).
        if track.remove_layer(layer) {
            self.unpublish(|t| t.id == track.id).await;
        }
    }

    /// The published track a newly arrived layer belongs to, created with
    /// the first of them (then `new`); and the publisher's link, for
    /// keyframe requests.
    fn find_or_add_track(
        &self,
        owner: ParticipantId,
        remote: &TrackRemote,
        mid: String,
    ) -> Option<(Arc<PublishedTrack>, Weak<RTCPeerConnection>, bool)> {
        let mut state = self.state();
        let member = state.members.get(&owner)?;
        // The track came on it, so it is made.
        let publisher = Arc::downgrade(member.peer.link(Link::Publish)?);
        let kind = remote.kind();
        if let Some(track) = state.tracks.iter().find(|t| t.owner == owner && t.kind == kind && t.mid == mid) {
            return Some((track.clone(), publisher, false));
        }
        let source = if member.screen_stream.as_deref() == Some(remote.stream_id().as_str()) {
            Source::Screen
        } else {
            Source::Camera
        };
        let track = Arc::new(PublishedTrack::new(
            self.next_track.fetch_add(1, Ordering::Relaxed),
            owner,
            source,
            remote.stream_id().as_str(),
            kind,
            mid,
            remote.codec().capability,
            Arc::downgrade(&member.peer.mailbox),
        ));
        state.tracks.push(track.clone());
        tokio::spawn(PublishedTrack::watch(Arc::downgrade(&track)));
        Some((track, publisher, true))
    }

    /// Tells everyone about a new published track and starts sending it to
    /// the others.
    async fn announce(&self, track: &Arc<PublishedTrack>) {
        let (receivers, updated) = {
            let mut state = self.state();
            let Some(member) = state.members.get_mut(&track.owner) else { return };
            let streams = &mut member.participant.streams;
            if !streams.iter().any(|s| s.stream_id == track.stream_id) {
                streams.push(PublishedStream { stream_id: track.stream_id.clone(), source: track.source });
            }
            let updated = member.participant.clone();
            let receivers: Vec<Arc<Peer>> =
                state.members.values().filter(|m| m.peer.id != track.owner).map(|m| m.peer.clone()).collect();
            (receivers, updated)
        };
        self.broadcast(SignalEvent::Updated { participant: updated });
        for peer in receivers {
            peer.receive(std::slice::from_ref(track)).await;
        }
    }

    /// Removes the published tracks that `which` selects, from everyone.
    async fn unpublish(&self, which: impl Fn(&PublishedTrack) -> bool) {
        let (removed, receivers, updates) = {
            let mut state = self.state();
            let (removed, kept): (Vec<_>, Vec<_>) = state.tracks.drain(..).partition(|t| which(t));
            state.tracks = kept;
            let still_published: Vec<(ParticipantId, String)> =
                state.tracks.iter().map(|t| (t.owner, t.stream_id.clone())).collect();
            let mut updates = Vec::new();
            for owner in removed.iter().map(|t| t.owner).collect::<std::collections::BTreeSet<_>>() {
                if let Some(member) = state.members.get_mut(&owner) {
                    member.participant.streams.retain(|s| still_published.contains(&(owner, s.stream_id.clone())));
                    updates.push(member.participant.clone());
                }
            }
            let receivers: Vec<Arc<Peer>> = state.members.values().map(|m| m.peer.clone()).collect();
            (removed, receivers, updates)
        };
        for participant in updates {
            self.broadcast(SignalEvent::Updated { participant });
        }
        for track in &removed {
            track.stop_tap();
        }
        for track in &removed {
            for peer in receivers.iter().filter(|p| p.id != track.owner) {
                peer.stop_receiving(track.id).await;
            }
        }
    }

    /// Notes which of the participant's browser streams is a shared screen,
    /// before its offer is applied.
    pub fn set_screen_stream(&self, participant: ParticipantId, stream: Option<String>) {
        if let Some(member) = self.state().members.get_mut(&participant) {
            member.screen_stream = stream;
        }
    }

    pub async fn stop_screen(&self, participant: ParticipantId) {
        self.set_screen_stream(participant, None);
        self.unpublish(|t| t.owner == participant && t.source == Source::Screen).await;
    }

    pub fn set_muted(&self, participant: ParticipantId, audio: bool, video: bool) {
        let updated = {
            let mut state = self.state();
            let Some(member) = state.members.get_mut(&participant) else { return };
            member.participant.audio_muted = audio;
            member.participant.video_muted = video;
            member.participant.clone()
        };
        self.broadcast(SignalEvent::Updated { participant: updated });
    }

    /// Passes a chat message on to everyone and to the call's record,
    /// unless the call has taken all the chat it may (the sender is told).
    pub async fn chat(&self, from: ParticipantId, text: String) -> Result<(), String> {
        let message = {
            let mut state = self.state();
            let Some(member) = state.members.get(&from) else { return Ok(()) };
            let name = member.participant.name.clone();
            state.chat_taken.take(&text)?;
            let message = ChatMessage { from, name, text, sent_at: super::unix_millis() };
            if state.chat.len() == CHAT_HISTORY {
                state.chat.pop_front();
            }
            state.chat.push_back(message.clone());
            message
        };
        self.broadcast(SignalEvent::Chat { message: message.clone() });
        if let Some(watch) = self.watch.get().cloned().flatten() {
            watch.chat(&message).await;
        }
        Ok(())
    }

    /// Removes a participant: their tracks leave everyone, their connections
    /// close, and the others hear they left. `removed`: put out by a member.
    pub async fn leave(self: &Arc<Self>, participant: ParticipantId, removed: bool) {
        let member = {
            let mut state = self.state();
            let Some(member) = state.members.remove(&participant) else { return };
            state.arrived.retain(|id| *id != participant);
            member
        };
        if let Some(watch) = self.watch.get().cloned().flatten() {
            watch.left(participant, removed).await;
        }
        self.unpublish(|t| t.owner == participant).await;
        member.peer.close().await;
        self.broadcast(SignalEvent::Left { participant });
        if let Some(host) = self.host.upgrade() {
            host.end_if_empty(self);
        }
        self.tell_host_calls_changed();
    }

    /// What watches this call, asked of the observer on first use (the
    /// first join); it says whether the call starts transcribed.
    async fn watch(&self) -> Option<Arc<dyn CallWatch>> {
        let observer = self.observer.as_ref()?;
        self.watch
            .get_or_init(|| async {
                let (watch, transcribing) = observer.call_started(self.id).await?;
                self.transcribing.store(transcribing, Ordering::Relaxed);
                Some(watch)
            })
            .await
            .clone()
    }

    /// Starts or stops tapping everyone's microphone for the transcript,
    /// and tells everyone in the call.
    pub async fn set_transcribing(&self, on: bool) {
        let Some(watch) = self.watch().await else { return };
        if self.transcribing.swap(on, Ordering::Relaxed) == on {
            return;
        }
        let microphones: Vec<Arc<PublishedTrack>> =
            self.state().tracks.iter().filter(|t| t.is_microphone()).cloned().collect();
        if on {
            watch.transcription_on().await;
            for track in &microphones {
                self.tap(track).await;
            }
        } else {
            microphones.iter().for_each(|track| track.stop_tap());
        }
        tracing::info!(conference = ?self.id, on, "transcription changed");
        self.broadcast(SignalEvent::Transcription { on });
    }

    /// Taps a microphone for the call's watch.
    async fn tap(&self, track: &PublishedTrack) {
        let Some(watch) = self.watch.get().cloned().flatten() else { return };
        if track.is_tapped() {
            return;
        }
        if let Some(tap) = watch.tap_microphone(track.owner, track.id).await {
            track.start_tap(tap);
        }
    }

    /// Tells the call's watch it ended, once everyone left (their taps are
    /// closed); returns when the watch has what it needs.
    pub async fn finish(self: Arc<Self>) {
        let tracks = self.state().tracks.clone();
        tracks.iter().for_each(|track| track.stop_tap());
        if let Some(watch) = self.watch.get().cloned().flatten() {
            watch.ended().await;
        }
    }

    /// Who is in the call, by order of arrival.
    pub fn people(&self) -> Vec<InCall> {
        let state = self.state();
        state
            .arrived
            .iter()
            .filter_map(|id| state.members.get(id))
            .map(|member| InCall { name: member.participant.name.clone(), guest: member.participant.guest.is_some() })
            .collect()
    }

    /// Meeting channels' calls are shown to members before they join.
    fn tell_host_calls_changed(&self) {
        if let (ConferenceId::Channel(_), Some(host)) = (self.id, self.host.upgrade()) {
            host.calls_changed();
        }
    }

    pub async fn close_all(self: &Arc<Self>) {
        let ids: Vec<ParticipantId> = self.state().members.keys().copied().collect();
        for id in ids {
            self.leave(id, false).await;
        }
    }

    fn broadcast(&self, event: SignalEvent) {
        for member in self.state().members.values() {
            member.peer.send(event.clone());
        }
    }

    fn broadcast_except(&self, except: ParticipantId, event: SignalEvent) {
        for member in self.state().members.values().filter(|m| m.peer.id != except) {
            member.peer.send(event.clone());
        }
    }
}

/// The chat a call has taken, in messages and bytes of text.
#[derive(Default)]
struct ChatTaken {
    messages: usize,
    bytes: usize,
}

impl ChatTaken {
    /// Counts `text` in, unless it would take the call past its caps.
    fn take(&mut self, text: &str) -> Result<(), String> {
        if self.messages >= MAX_CALL_CHAT_MESSAGES || self.bytes + text.len() > MAX_CALL_CHAT_BYTES {
            return Err(format!(
                "This call's chat is full ({MAX_CALL_CHAT_MESSAGES} messages or {} KiB at most): \
                 what was written is kept, but nothing more can be added.",
                MAX_CALL_CHAT_BYTES / 1024
            ));
        }
        self.messages += 1;
        self.bytes += text.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calls_chat_is_capped_in_messages_and_in_bytes() {
        let mut taken = ChatTaken::default();
        for _ in 0..MAX_CALL_CHAT_MESSAGES {
            taken.take("hi").unwrap();
        }
        let full = taken.take("one more").unwrap_err();
        assert!(full.starts_with("This call's chat is full (1000 messages or 512 KiB at most)"), "{full}");

        let mut taken = ChatTaken::default();
        let long = "x".repeat(2000);
        let fitting = MAX_CALL_CHAT_BYTES / long.len();
        for _ in 0..fitting {
            taken.take(&long).unwrap();
        }
        assert!(taken.take(&long).is_err(), "no room for another {} bytes", long.len());
        assert!(taken.take("ok").is_ok(), "a short one still fits in what is left");
    }
}
