//! One participant's side of the SFU: its publish and subscribe peer
//! connections, the tracks it receives, and the subscribe-link negotiation.

use anteroom_app::protocol::signal::{IceCandidate, Link, ParticipantId, SignalEvent};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use tokio::sync::{Mutex, OnceCell};
use webrtc::api::API;
use webrtc::ice_transport::ice_candidate::{RTCIceCandidate, RTCIceCandidateInit};
use webrtc::ice_transport::ice_server::RTCIceServer;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::peer_connection::{OnTrackHdlrFn, RTCPeerConnection};
use webrtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtp_transceiver::RTCRtpTransceiverInit;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;
use webrtc::rtp_transceiver::rtp_sender::RTCRtpSender;
use webrtc::rtp_transceiver::rtp_transceiver_direction::RTCRtpTransceiverDirection;
use webrtc::track::track_local::TrackLocal;

use super::bandwidth::Report;
use super::descriptions::{self, CandidateBook, Entry, MAX_CANDIDATES, MAX_MEDIA_SECTIONS};
use super::mailbox::Mailbox;
use super::published::{Downtrack, PublishedTrack};
use super::transmit::Transmitter;
use std::sync::atomic::{AtomicUsize, Ordering};
use webrtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use webrtc::rtcp::receiver_report::ReceiverReport;
use webrtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;

/// Streams whose shown height one participant's browser may tell (far
/// more than a call has; the rest are not kept).
const MAX_SHOWN_STREAMS: usize = 64;
/// Candidates kept for a link that has no remote description yet (their
/// size is bounded by `requests`).
pub const MAX_EARLY_CANDIDATES: usize = 32;
/// How often a subscriber is told what it was sent (as the crate's own
/// sender report interceptor does).
const SENDER_REPORT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

pub struct Peer {
    pub id: ParticipantId,
    /// Ignore browser candidates that are not on loopback (see `add_candidate`).
    loopback_only: bool,
    /// Where its events go; shared with the tracks it publishes.
    pub mailbox: Arc<Mailbox>,
    /// The link that receives the participant's own media, made with
    /// their first publish offer: one who only watches and listens never
    /// pays for it (about 25 KiB, BENCHMARKS.md).
    publish: OnceCell<Arc<RTCPeerConnection>>,
    /// What the publish link is made with, until it is.
    publish_setup: std::sync::Mutex<Option<PublishSetup>>,
    subscribe: Arc<RTCPeerConnection>,
    /// Sends others' media on the subscribe link.
    transmitter: Arc<Transmitter>,
    /// What this participant receives, by published track id.
    receiving: Mutex<HashMap<u64, Receiving>>,
    negotiation: Mutex<Negotiation>,
    /// Candidates that arrived before their link had a remote description.
    early_candidates: Mutex<Vec<(Link, RTCIceCandidateInit)>>,
    /// The distinct candidates each link was given (publish, subscribe).
    candidate_books: std::sync::Mutex<[CandidateBook; 2]>,
    /// How many video tracks it receives: its browser's bandwidth estimate
    /// is shared between them.
    video_tracks: Arc<AtomicUsize>,
    /// How tall its browser shows each stream (device pixels), kept for
    /// tracks that reach it after their tile is drawn.
    shown_heights: std::sync::Mutex<HashMap<String, u16>>,
}

/// What making the publish link takes.
struct PublishSetup {
    api: Arc<API>,
    configuration: RTCConfiguration,
    /// Told of every track the browser sends on it (`Conference`).
    on_track: OnTrackHdlrFn,
}

/// One published track this participant receives.
struct Receiving {
    sender: Arc<RTCRtpSender>,
    track: Arc<PublishedTrack>,
    downtrack: Arc<Downtrack>,
    /// Whether a subscribe offer has carried this track.
    offered: bool,
}

/// The server offers on the subscribe link; one offer at a time.
#[derive(Default)]
struct Negotiation {
    awaiting_answer: bool,
    /// Tracks changed while an offer was out: offer again after the answer.
    again: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("the browser's description was not accepted: {0}")]
    Description(webrtc::Error),
    #[error("no subscribe offer is waiting for an answer")]
    UnexpectedAnswer,
    #[error("the media server could not take your camera and microphone: {0}")]
    PublishLink(webrtc::Error),
    #[error("your browser listed more than {max} network candidates for one connection; join the call again", max = MAX_CANDIDATES)]
    TooManyCandidates,
    #[error("your connection carries {0} media sections, more than the {max} a call takes; join the call again", max = MAX_MEDIA_SECTIONS)]
    TooManySections(usize),
}

impl Peer {
    /// A participant with their subscribe link; their publish link is made
    /// with their first publish offer, and tells `on_track` of every track
    /// they send.
    pub async fn new(
        engine: &super::engine::Engine,
        mailbox: Arc<Mailbox>,
        on_track: OnTrackHdlrFn,
    ) -> Result<Arc<Self>, webrtc::Error> {
        let configuration = RTCConfiguration {
            ice_servers: if engine.ice_servers.is_empty() {
                Vec::new()
            } else {
                vec![RTCIceServer { urls: engine.ice_servers.clone(), ..Default::default() }]
            },
            ..Default::default()
        };
        let subscribe = Arc::new(engine.subscribe_api.new_peer_connection(configuration.clone()).await?);
        let transmitter = Transmitter::new(engine.media_socket.clone(), subscribe.sctp().transport());
        let publish_setup = PublishSetup { api: engine.publish_api.clone(), configuration, on_track };
        let peer = Arc::new(Peer {
            id: mailbox.participant(),
            loopback_only: engine.loopback_only,
            mailbox,
            publish: OnceCell::new(),
            publish_setup: std::sync::Mutex::new(Some(publish_setup)),
            subscribe: subscribe.clone(),
            transmitter,
            receiving: Mutex::default(),
            video_tracks: Arc::default(),
            shown_heights: std::sync::Mutex::default(),
            negotiation: Mutex::default(),
            early_candidates: Mutex::default(),
            candidate_books: std::sync::Mutex::default(),
        });
        peer.wire(&subscribe, Link::Subscribe);
        tokio::spawn(send_sender_reports(Arc::downgrade(&peer)));
        Ok(peer)
    }

    /// The publish link, made on first use.
    async fn publish_link(self: &Arc<Self>) -> Result<&Arc<RTCPeerConnection>, webrtc::Error> {
        self.publish
            .get_or_try_init(|| async {
                let setup = self.publish_setup.lock().expect("publish setup lock").take();
                let PublishSetup { api, configuration, on_track } =
                    setup.expect("the publish link is made once, by this cell");
                let publish = Arc::new(api.new_peer_connection(configuration).await?);
                publish.on_track(on_track);
                self.wire(&publish, Link::Publish);
                Ok(publish)
            })
            .await
    }

    /// Sends the link's ICE candidates to the browser, and watches its
    /// state: a failed link ends the session, a connected subscribe link
    /// starts its tracks.
    fn wire(self: &Arc<Self>, pc: &RTCPeerConnection, link: Link) {
        let mailbox = self.mailbox.clone();
        pc.on_ice_candidate(Box::new(move |candidate: Option<RTCIceCandidate>| {
            let mailbox = mailbox.clone();
            Box::pin(async move {
                let Some(init) = candidate.and_then(|c| c.to_json().ok()) else { return };
                let candidate = IceCandidate {
                    candidate: init.candidate,
                    sdp_mid: init.sdp_mid.filter(|mid| !mid.is_empty()).or(Some("0".into())),
                    sdp_mline_index: init.sdp_mline_index,
                };
                mailbox.send_if_room(SignalEvent::Candidate { link, candidate });
            })
        }));
        let weak = Arc::downgrade(self);
        pc.on_peer_connection_state_change(Box::new(move |state: RTCPeerConnectionState| {
            let peer = weak.upgrade();
            Box::pin(async move {
                let Some(peer) = peer else { return };
                match (state, link) {
                    (RTCPeerConnectionState::Failed, _) => peer.mailbox.fail(),
                    // Encrypted media can reach the browser from now on.
                    // Its own task: the crate calls this from inside its
                    // operations queue, which a negotiation may wait for.
                    (RTCPeerConnectionState::Connected, Link::Subscribe) => {
                        tokio::spawn(async move { peer.start_new_tracks().await });
                    }
                    _ => {}
                }
            })
        }));
    }

    pub fn send(&self, event: SignalEvent) {
        self.mailbox.send(event);
    }

    /// Answers the browser's offer on the publish link.
    pub async fn accept_publish_offer(self: &Arc<Self>, sdp: String) -> Result<(), PeerError> {
        self.note_description_candidates(Link::Publish, &sdp)?;
        let offer = RTCSessionDescription::offer(sdp).map_err(PeerError::Description)?;
        let publish = self.publish_link().await.map_err(PeerError::PublishLink)?;
        publish.set_remote_description(offer).await.map_err(PeerError::Description)?;
        // The offer's sections were counted before; this counts what the
        // stack keeps, which a browser's renegotiations may have grown.
        let transceivers = publish.get_transceivers().await.len();
        if transceivers > MAX_MEDIA_SECTIONS {
            self.mailbox.fail();
            return Err(PeerError::TooManySections(transceivers));
        }
        let answer = publish.create_answer(None).await.map_err(PeerError::Description)?;
        publish.set_local_description(answer).await.map_err(PeerError::Description)?;
        let sdp = publish.local_description().await.map(|d| d.sdp).unwrap_or_default();
        self.send(SignalEvent::PublishAnswer { sdp });
        self.flush_early_candidates(Link::Publish).await;
        Ok(())
    }

    /// Applies the browser's answer to our latest subscribe offer, and offers
    /// again if the tracks changed meanwhile.
    pub async fn accept_subscribe_answer(self: &Arc<Self>, sdp: String) -> Result<(), PeerError> {
        {
            let negotiation = self.negotiation.lock().await;
            if !negotiation.awaiting_answer {
                return Err(PeerError::UnexpectedAnswer);
            }
        }
        self.note_description_candidates(Link::Subscribe, &sdp)?;
        let answer = RTCSessionDescription::answer(sdp).map_err(PeerError::Description)?;
        self.subscribe.set_remote_description(answer).await.map_err(PeerError::Description)?;
        self.flush_early_candidates(Link::Subscribe).await;
        let again = {
            let mut negotiation = self.negotiation.lock().await;
            negotiation.awaiting_answer = false;
            std::mem::take(&mut negotiation.again)
        };
        self.start_new_tracks().await;
        if again {
            self.negotiate().await;
        }
        Ok(())
    }

    pub async fn add_candidate(&self, link: Link, candidate: IceCandidate) {
        // A server that only serves this machine must not send connectivity
        // checks to the other addresses a browser lists.
        if self.loopback_only && !is_loopback_candidate(&candidate.candidate) {
            tracing::trace!(participant = %self.id, "ignored a non-loopback candidate");
            return;
        }
        let entry = self.candidate_books.lock().expect("candidate books lock")[book(link)].note(&candidate.candidate);
        match entry {
            Entry::New => {}
            Entry::Repeated => return,
            Entry::Full => {
                tracing::debug!(participant = %self.id, "ignored an ICE candidate past the link's share");
                return;
            }
        }
        let init = RTCIceCandidateInit {
            candidate: candidate.candidate,
            sdp_mid: candidate.sdp_mid,
            sdp_mline_index: candidate.sdp_mline_index,
            username_fragment: None,
        };
        let pc = match self.link(link) {
            Some(pc) if pc.remote_description().await.is_some() => pc,
            // Before the link's description (or, for the publish link,
            // before the link itself): kept until it comes.
            _ => {
                let mut early = self.early_candidates.lock().await;
                if early.iter().filter(|(l, _)| *l == link).count() < MAX_EARLY_CANDIDATES {
                    early.push((link, init));
                } else {
                    tracing::debug!(participant = %self.id, "ignored an early ICE candidate past the cap");
                }
                return;
            }
        };
        if let Err(error) = pc.add_ice_candidate(init).await {
            tracing::debug!(participant = %self.id, %error, "ignored an ICE candidate");
        }
    }

    /// Notes the candidates in a description of `link`, refusing it when
    /// they would take the link past its share.
    fn note_description_candidates(&self, link: Link, sdp: &str) -> Result<(), PeerError> {
        let mut books = self.candidate_books.lock().expect("candidate books lock");
        if books[book(link)].note_all(descriptions::candidates(sdp)) {
            Ok(())
        } else {
            Err(PeerError::TooManyCandidates)
        }
    }

    async fn flush_early_candidates(&self, link: Link) {
        let Some(pc) = self.link(link) else { return };
        let waiting: Vec<RTCIceCandidateInit> = {
            let mut early = self.early_candidates.lock().await;
            let (ready, rest) = early.drain(..).partition(|(l, _)| *l == link);
            *early = rest;
            ready.into_iter().map(|(_, c)| c).collect()
        };
        for init in waiting {
            if let Err(error) = pc.add_ice_candidate(init).await {
                tracing::debug!(participant = %self.id, %error, "ignored an early ICE candidate");
            }
        }
    }

    /// The link, if made (the publish link is made with the first offer).
    pub fn link(&self, link: Link) -> Option<&Arc<RTCPeerConnection>> {
        match link {
            Link::Publish => self.publish.get(),
            Link::Subscribe => Some(&self.subscribe),
        }
    }

    /// Starts receiving `tracks`: adds them to the subscribe link, relays
    /// the browser's keyframe requests for them to their publishers, and
    /// offers them all at once (one round trip, however many tracks).
    pub async fn receive(self: &Arc<Self>, tracks: &[Arc<PublishedTrack>]) {
        for track in tracks {
            self.add_track(track).await;
        }
        if !tracks.is_empty() {
            self.negotiate().await;
        }
    }

    async fn add_track(&self, track: &Arc<PublishedTrack>) {
        // A track published while this participant joined can reach it
        // twice (from the join and from the announcement): once is enough.
        if self.receiving.lock().await.contains_key(&track.id) {
            return;
        }
        let shown = self.shown_heights.lock().expect("shown heights lock").get(&track.stream_id).copied();
        let downtrack = track.subscribe(shown, self.transmitter.clone());
        let init = RTCRtpTransceiverInit { direction: RTCRtpTransceiverDirection::Sendonly, send_encodings: vec![] };
        let local = Arc::clone(&downtrack.local) as Arc<dyn TrackLocal + Send + Sync>;
        let sender = match self.subscribe.add_transceiver_from_track(local, Some(init)).await {
            Ok(transceiver) => transceiver.sender().await,
            Err(error) => {
                tracing::warn!(participant = %self.id, %error, "could not add a track");
                track.unsubscribe(&downtrack);
                return;
            }
        };
        let ssrc = sender.get_parameters().await.encodings.first().map(|e| e.ssrc);
        let video = track.kind == RTPCodecType::Video;
        if video {
            self.video_tracks.fetch_add(1, Ordering::Relaxed);
        }
        tokio::spawn(read_reports(sender.clone(), ssrc, track.clone(), downtrack.clone(), self.video_tracks.clone()));
        let receiving = Receiving { sender, track: track.clone(), downtrack, offered: false };
        self.receiving.lock().await.insert(track.id, receiving);
    }

    /// Sends every track that has just become able to reach the browser
    /// what was held for it meanwhile (the keyframe asked for when it was
    /// added), or else asks for a keyframe: its first frame shows as soon
    /// as the network allows rather than at the publisher's next keyframe.
    async fn start_new_tracks(&self) {
        if self.subscribe.connection_state() != RTCPeerConnectionState::Connected
            || self.negotiation.lock().await.awaiting_answer
        {
            return;
        }
        for receiving in self.receiving.lock().await.values().filter(|r| r.offered && !r.downtrack.is_flowing()) {
            receiving.downtrack.start_flowing();
            if !receiving.downtrack.local.deliver_held().await {
                receiving.track.request_keyframe(&receiving.downtrack);
            }
        }
    }

    /// Notes how tall the browser shows the video of `stream`, and moves
    /// it to the layer that is enough for that.
    pub async fn show_at_height(&self, stream: &str, height: u16) {
        {
            let mut shown = self.shown_heights.lock().expect("shown heights lock");
            if shown.len() < MAX_SHOWN_STREAMS || shown.contains_key(stream) {
                shown.insert(stream.to_owned(), height);
            }
        }
        for receiving in self.receiving.lock().await.values() {
            if receiving.track.stream_id == stream && receiving.track.kind == RTPCodecType::Video {
                receiving.track.show_at_height(&receiving.downtrack, height);
            }
        }
    }

    /// Stops receiving the published track `track_id`.
    pub async fn stop_receiving(self: &Arc<Self>, track_id: u64) {
        let Some(receiving) = self.receiving.lock().await.remove(&track_id) else { return };
        receiving.track.unsubscribe(&receiving.downtrack);
        if receiving.track.kind == RTPCodecType::Video {
            self.video_tracks.fetch_sub(1, Ordering::Relaxed);
        }
        if let Err(error) = self.subscribe.remove_track(&receiving.sender).await {
            tracing::debug!(participant = %self.id, %error, "removing a track");
        }
        self.negotiate().await;
    }

    /// Offers the current set of tracks on the subscribe link, or marks that
    /// another offer is due once the outstanding one is answered.
    pub async fn negotiate(self: &Arc<Self>) {
        let mut negotiation = self.negotiation.lock().await;
        if negotiation.awaiting_answer {
            negotiation.again = true;
            return;
        }
        // Marked before the offer is made, so no track counts as offered
        // that the offer may lack; unmarked again if no offer goes out, so
        // no track starts on a link that never negotiated it.
        let mut marked = Vec::new();
        for (id, receiving) in self.receiving.lock().await.iter_mut().filter(|(_, r)| !r.offered) {
            receiving.offered = true;
            marked.push(*id);
        }
        let started = std::time::Instant::now();
        let made = match self.subscribe.create_offer(None).await {
            Ok(offer) => self.subscribe.set_local_description(offer).await,
            Err(error) => Err(error),
        };
        if let Err(error) = made {
            tracing::warn!(participant = %self.id, %error, "could not make a subscribe offer");
            let mut receiving = self.receiving.lock().await;
            for id in marked {
                if let Some(unoffered) = receiving.get_mut(&id) {
                    unoffered.offered = false;
                }
            }
            return;
        }
        let sdp = self.subscribe.local_description().await.map(|d| d.sdp).unwrap_or_default();
        negotiation.awaiting_answer = true;
        self.send(SignalEvent::SubscribeOffer { sdp });
        tracing::debug!(participant = %self.id, sent = ?started.elapsed(), "subscribe offer");
    }

    pub async fn close(&self) {
        // Others' tracks stop feeding this participant's downtracks.
        for (_, receiving) in self.receiving.lock().await.drain() {
            receiving.track.unsubscribe(&receiving.downtrack);
        }
        for pc in [self.publish.get(), Some(&self.subscribe)].into_iter().flatten() {
            if let Err(error) = pc.close().await {
                tracing::debug!(participant = %self.id, %error, "closing a peer connection");
            }
        }
    }
}

/// The index of `link`'s candidate book.
fn book(link: Link) -> usize {
    match link {
        Link::Publish => 0,
        Link::Subscribe => 1,
    }
}

/// Reads what the subscriber's browser reports about one track we send it,
/// until the track is removed: keyframe requests go to the publisher;
/// lost packets are sent again; losses and bandwidth estimates decide
/// which layer it gets.
async fn read_reports(
    sender: Arc<RTCRtpSender>,
    ssrc: Option<u32>,
    track: Arc<PublishedTrack>,
    downtrack: Arc<Downtrack>,
    video_tracks: Arc<AtomicUsize>,
) {
    while let Ok((packets, _)) = sender.read_rtcp().await {
        for packet in &packets {
            let any = packet.as_any();
            // A compound packet reaches every stream it names: only the
            // requests about this one count here.
            let wants_keyframe =
                any.downcast_ref::<PictureLossIndication>().is_some_and(|p| Some(p.media_ssrc) == ssrc)
                    || any
                        .downcast_ref::<FullIntraRequest>()
                        .is_some_and(|f| f.fir.iter().any(|entry| Some(entry.ssrc) == ssrc));
            if wants_keyframe {
                track.request_keyframe(&downtrack);
            } else if let Some(nack) =
                any.downcast_ref::<TransportLayerNack>().filter(|nack| Some(nack.media_ssrc) == ssrc)
            {
                downtrack.local.resend(nack).await;
            } else if let Some(report) = any.downcast_ref::<ReceiverReport>() {
                for block in report.reports.iter().filter(|block| Some(block.ssrc) == ssrc) {
                    track.observe(&downtrack, Report::Loss(f32::from(block.fraction_lost) / 256.0));
                }
            } else if let Some(remb) = any.downcast_ref::<ReceiverEstimatedMaximumBitrate>() {
                // The estimate covers the whole link: each video track gets
                // its share.
                let link = remb.bitrate as u64;
                let share = link / video_tracks.load(Ordering::Relaxed).max(1) as u64;
                let sending = track.sending_rate(&downtrack);
                track.observe(&downtrack, Report::Estimate { link, share, sending });
            }
        }
    }
}

/// Sends the subscriber a sender report for every track it receives, once
/// a second, while the participant is in the call.
async fn send_sender_reports(peer: Weak<Peer>) {
    let mut ticks = tokio::time::interval(SENDER_REPORT_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(peer) = peer.upgrade() else { return };
        let (now, wall) = (tokio::time::Instant::now(), std::time::SystemTime::now());
        let reports: Vec<Box<dyn webrtc::rtcp::packet::Packet + Send + Sync>> = peer
            .receiving
            .lock()
            .await
            .values()
            .filter_map(|receiving| receiving.downtrack.local.sender_report(now, wall))
            .map(|report| Box::new(report) as Box<dyn webrtc::rtcp::packet::Packet + Send + Sync>)
            .collect();
        if !reports.is_empty()
            && let Err(error) = peer.subscribe.write_rtcp(&reports).await
        {
            tracing::debug!(participant = %peer.id, %error, "could not send sender reports");
        }
    }
}

/// Whether an ICE candidate line names a loopback address
/// ("candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host ...").
fn is_loopback_candidate(candidate: &str) -> bool {
    candidate
        .split_whitespace()
        .nth(4)
        .and_then(|address| address.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_candidate;

    #[test]
    fn loopback_candidates_are_recognised() {
        assert!(is_loopback_candidate("candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0"));
        assert!(is_loopback_candidate("candidate:2 1 udp 2122260223 ::1 50000 typ host"));
        assert!(!is_loopback_candidate("candidate:3 1 udp 2122260223 192.0.2.2 50000 typ host"));
        assert!(!is_loopback_candidate("candidate:4 1 udp 2122260223 abc.local 50000 typ host"));
        assert!(!is_loopback_candidate("garbage"));
    }
}
