//! The media plane end to end, as browsers meet it: participants admitted
//! by a call ticket alone negotiate both their links through the
//! signalling requests and events, and what one of them publishes reaches
//! the others. The "browsers" are `webrtc` crate peers in this process,
//! talking to the SFU over loopback; no websocket and no control plane
//! are involved, so a failure here is the media plane's own.
//!
//! The browser side is adapted from the SFU benchmark's client
//! (`benches/sfu/peers.rs` and `anteroom.rs`), which drives the same
//! protocol over the real socket.

use super::MediaConfig;
use super::Sfu;
use super::mailbox::OUTBOX_LIMIT;
use super::session::CallSession;
use super::ticket::{Holder, TicketKey};
use anteroom_app::model::{ConferenceId, MemberId, RoomId};
use anteroom_app::protocol::signal::{IceCandidate, Link, ParticipantId, SignalEvent, SignalRequest};
use bytes::Bytes;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::{MIME_TYPE_VP8, MediaEngine};
use webrtc::api::setting_engine::SettingEngine;
use webrtc::api::{API, APIBuilder};
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::ice_transport::ice_candidate::{RTCIceCandidate, RTCIceCandidateInit};
use webrtc::interceptor::registry::Registry;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::rtp_codec::{RTCRtpCodecCapability, RTCRtpHeaderExtensionCapability, RTPCodecType};
use webrtc::sdp::extmap::{SDES_MID_URI, SDES_RTP_STREAM_ID_URI};
use webrtc::track::track_local::TrackLocalWriter;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;
use webrtc::track::track_remote::TrackRemote;

/// How long any one step may take. On loopback each takes milliseconds:
/// running out means it is not going to happen, and the test says which.
const PATIENCE: Duration = Duration::from_secs(10);

/// A camera's pace: one frame every 33 ms, 30 a second.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);

/// Room for one RTP packet as it arrives.
const PACKET_BUFFER: usize = 1500;

/// Waits for `step` at most `PATIENCE`, so that a negotiation that stalls
/// fails the test with what it was waiting for instead of hanging it.
async fn within<T>(waiting_for: &str, step: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, step).await.unwrap_or_else(|_| panic!("no {waiting_for} within {PATIENCE:?}"))
}

/// An SFU serving loopback only, and the key its tickets are signed with:
/// what the control plane holds of the media plane.
struct Plane {
    sfu: Arc<Sfu>,
    key: TicketKey,
}

/// Starts an SFU on a free loopback port: the browsers below can only
/// reach it there, and it takes only their loopback candidates.
async fn plane() -> Plane {
    let key = TicketKey::random();
    let config = MediaConfig {
        bind: "127.0.0.1:0".parse().expect("a loopback address"),
        public_ip: None,
        loopback_only: true,
        ice_servers: Vec::new(),
    };
    let sfu = Sfu::start(&config, key.clone()).await.expect("the SFU starts on loopback");
    Plane { sfu, key }
}

/// A member, as a ticket names them.
fn member(id: i64, name: &str) -> Holder {
    Holder::Member { id: MemberId(id), name: name.into() }
}

/// The browsers' WebRTC engine: the crate's default codecs and
/// interceptors (NACK, RTCP reports, TWCC), as a browser has them, with the
/// media id and RTP stream id header extensions the SFU negotiates; UDP on
/// loopback only, without mDNS, as the loopback-only SFU requires.
fn browser_api() -> API {
    let mut media = MediaEngine::default();
    media.register_default_codecs().expect("the default codecs register");
    for uri in [SDES_MID_URI, SDES_RTP_STREAM_ID_URI] {
        let extension = RTCRtpHeaderExtensionCapability { uri: uri.to_owned() };
        media.register_header_extension(extension, RTPCodecType::Video, None).expect("a header extension registers");
    }
    let interceptors =
        register_default_interceptors(Registry::new(), &mut media).expect("the default interceptors register");
    let mut settings = SettingEngine::default();
    settings.set_network_types(vec![NetworkType::Udp4]);
    settings.set_ice_multicast_dns_mode(MulticastDnsMode::Disabled);
    settings.set_include_loopback_candidate(true);
    settings.set_ip_filter(Box::new(|ip: IpAddr| ip.is_loopback()));
    APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(interceptors)
        .with_setting_engine(settings)
        .build()
}

/// A browser in the call: its session at the SFU, its two links, and what
/// reached it. Its signalling is played by `drive`, in a task of its own,
/// so that candidates and offers are answered whatever the test awaits.
struct Browser {
    id: ParticipantId,
    session: Arc<CallSession>,
    publish: Arc<RTCPeerConnection>,
    subscribe: Arc<RTCPeerConnection>,
    /// The tracks its subscribe link received, as they arrive.
    tracks: mpsc::UnboundedReceiver<Arc<TrackRemote>>,
    /// Every event the SFU sent it, once `drive` has acted on it.
    events: mpsc::UnboundedReceiver<SignalEvent>,
    driver: JoinHandle<()>,
}

/// Joins `holder` to `conference` with a freshly issued ticket, the one
/// thing the media plane takes from the control plane, and makes the
/// browser's two links; `drive` starts playing its part of the signalling.
async fn join(plane: &Plane, api: &API, conference: ConferenceId, holder: Holder) -> Browser {
    let (outbox, inbox) = mpsc::channel(OUTBOX_LIMIT);
    let ticket = plane.key.issue(conference, holder);
    let session = CallSession::join(&plane.sfu, &ticket, outbox).await.expect("a fresh ticket admits its holder");
    let session = Arc::new(session);
    let publish = Arc::new(api.new_peer_connection(RTCConfiguration::default()).await.expect("a publish link"));
    let subscribe = Arc::new(api.new_peer_connection(RTCConfiguration::default()).await.expect("a subscribe link"));
    let (candidates, gathered) = mpsc::unbounded_channel();
    for (pc, link) in [(&publish, Link::Publish), (&subscribe, Link::Subscribe)] {
        let candidates = candidates.clone();
        pc.on_ice_candidate(Box::new(move |candidate: Option<RTCIceCandidate>| {
            if let Some(init) = candidate.and_then(|c| c.to_json().ok()) {
                // Every section of a link is bundled on one transport:
                // the first one stands for them all, as for the bench.
                let candidate =
                    IceCandidate { candidate: init.candidate, sdp_mid: Some("0".into()), sdp_mline_index: Some(0) };
                let _ = candidates.send((link, candidate));
            }
            Box::pin(async {})
        }));
    }
    let (received, tracks) = mpsc::unbounded_channel();
    subscribe.on_track(Box::new(move |track: Arc<TrackRemote>, _, _| {
        let _ = received.send(track);
        Box::pin(async {})
    }));
    let (seen, events) = mpsc::unbounded_channel();
    let driver = tokio::spawn(drive(session.clone(), publish.clone(), subscribe.clone(), inbox, gathered, seen));
    Browser { id: session.id, session, publish, subscribe, tracks, events, driver }
}

/// Plays a browser's part of the signalling, as the web client does:
/// applies the publish answer, answers every subscribe offer, and trades
/// ICE candidates both ways (the SFU's held until their link has a remote
/// description). Every event is then passed on to the test, in order.
/// Anything refused on either side stops it with the reason.
async fn drive(
    session: Arc<CallSession>,
    publish: Arc<RTCPeerConnection>,
    subscribe: Arc<RTCPeerConnection>,
    mut inbox: mpsc::Receiver<Box<SignalEvent>>,
    mut gathered: mpsc::UnboundedReceiver<(Link, IceCandidate)>,
    seen: mpsc::UnboundedSender<SignalEvent>,
) {
    let mut early: Vec<(Link, RTCIceCandidateInit)> = Vec::new();
    loop {
        tokio::select! {
            event = inbox.recv() => {
                let Some(event) = event else { return };
                match &*event {
                    SignalEvent::PublishAnswer { sdp } => {
                        let answer = RTCSessionDescription::answer(sdp.clone()).expect("the publish answer parses");
                        publish.set_remote_description(answer).await.expect("the publish answer applies");
                        add_early_candidates(&publish, Link::Publish, &mut early).await;
                    }
                    SignalEvent::SubscribeOffer { sdp } => {
                        let offer = RTCSessionDescription::offer(sdp.clone()).expect("the subscribe offer parses");
                        subscribe.set_remote_description(offer).await.expect("the subscribe offer applies");
                        add_early_candidates(&subscribe, Link::Subscribe, &mut early).await;
                        let answer = subscribe.create_answer(None).await.expect("a subscribe answer");
                        subscribe.set_local_description(answer).await.expect("the subscribe answer applies here");
                        let sdp = subscribe.local_description().await.expect("the answer just applied").sdp;
                        session.handle(SignalRequest::SubscribeAnswer { sdp }).await;
                    }
                    SignalEvent::Candidate { link, candidate } => {
                        let init = RTCIceCandidateInit {
                            candidate: candidate.candidate.clone(),
                            sdp_mid: candidate.sdp_mid.clone(),
                            sdp_mline_index: candidate.sdp_mline_index,
                            username_fragment: None,
                        };
                        let pc = if *link == Link::Publish { &publish } else { &subscribe };
                        if pc.remote_description().await.is_some() {
                            pc.add_ice_candidate(init).await.expect("the SFU's candidate is taken");
                        } else {
                            early.push((*link, init));
                        }
                    }
                    SignalEvent::Error { reason } => panic!("the SFU refused a request: {reason}"),
                    _ => {}
                }
                let _ = seen.send(*event);
            }
            Some((link, candidate)) = gathered.recv() => {
                session.handle(SignalRequest::Candidate { link, candidate }).await;
            }
        }
    }
}

/// Adds the SFU's candidates for `link` that came before its remote
/// description, which a peer connection cannot take earlier.
async fn add_early_candidates(pc: &RTCPeerConnection, link: Link, early: &mut Vec<(Link, RTCIceCandidateInit)>) {
    let (ready, waiting): (Vec<_>, Vec<_>) = early.drain(..).partition(|(l, _)| *l == link);
    *early = waiting;
    for (_, init) in ready {
        pc.add_ice_candidate(init).await.expect("an early candidate of the SFU's is taken");
    }
}

impl Browser {
    /// The next event `pick` selects, skipping the others (candidates,
    /// layer hints): what the test waits for, without caring what else
    /// the SFU says meanwhile.
    async fn next<T>(&mut self, waiting_for: &str, pick: impl Fn(SignalEvent) -> Option<T>) -> T {
        let events = &mut self.events;
        within(waiting_for, async {
            loop {
                let event = events.recv().await.expect("the browser's driver runs (if it panicked, see why above)");
                if let Some(found) = pick(event) {
                    return found;
                }
            }
        })
        .await
    }

    /// Adds a VP8 camera to the publish link and offers it to the SFU, as
    /// a browser does when the camera is turned on; `drive` applies the
    /// answer. The camera is returned to be filmed with.
    async fn publish_camera(&self) -> Arc<TrackLocalStaticRTP> {
        let codec =
            RTCRtpCodecCapability { mime_type: MIME_TYPE_VP8.to_owned(), clock_rate: 90_000, ..Default::default() };
        let camera = Arc::new(TrackLocalStaticRTP::new(codec, "camera".into(), "browser-camera".into()));
        self.publish.add_track(camera.clone()).await.expect("the camera goes on the publish link");
        let offer = self.publish.create_offer(None).await.expect("a publish offer");
        self.publish.set_local_description(offer).await.expect("the publish offer applies here");
        let sdp = self.publish.local_description().await.expect("the offer just applied").sdp;
        self.session.handle(SignalRequest::PublishOffer { sdp, screen_stream: None }).await;
        camera
    }

    /// Hangs up as the control plane ends a session (the driver stops
    /// first, so that nothing answers for the browser any more), then
    /// closes the browser's links.
    async fn leave(self) {
        self.driver.abort();
        if let Err(stopped) = self.driver.await
            && stopped.is_panic()
        {
            std::panic::resume_unwind(stopped.into_panic());
        }
        let Ok(session) = Arc::try_unwrap(self.session) else {
            panic!("only the browser holds its session once its driver stopped");
        };
        session.leave(false).await;
        for pc in [&self.publish, &self.subscribe] {
            // The SFU closed its side first: what closing this one says
            // about that is no concern of these tests.
            let _ = pc.close().await;
        }
    }
}

/// The one packet of synthetic VP8 keyframe number `frame`, 640 by 360:
/// the RFC 7741 payload descriptor (start of partition 0, no extensions),
/// then the key frame's tag, start code and picture size, which is all the
/// SFU reads of it, then the frame's number, so that no two payloads are
/// alike. Each frame a keyframe: the SFU can start a subscriber at any.
fn keyframe(frame: u32) -> Bytes {
    let (width, height) = (640u16, 360u16);
    let mut payload = vec![0x10, 0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a];
    payload.extend_from_slice(&width.to_le_bytes());
    payload.extend_from_slice(&height.to_le_bytes());
    payload.extend_from_slice(&frame.to_be_bytes());
    payload.resize(200, 0);
    payload.into()
}

/// Films with `camera`: a keyframe every `FRAME_INTERVAL`, noted in `sent`
/// before it goes (what arrives elsewhere is checked against it), until
/// the camera can no longer be written or the task is stopped. Writes
/// before the publish link is up go nowhere or wait for it, as a browser's
/// camera runs before its link is ready.
async fn film(camera: Arc<TrackLocalStaticRTP>, sent: Arc<Mutex<Vec<Bytes>>>) {
    let mut frames = tokio::time::interval(FRAME_INTERVAL);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut frame = 0u32;
    loop {
        frames.tick().await;
        let payload = keyframe(frame);
        sent.lock().expect("sent lock").push(payload.clone());
        let mut packet = Packet { payload, ..Default::default() };
        packet.header.version = 2;
        packet.header.sequence_number = frame as u16;
        packet.header.timestamp = frame.wrapping_mul(3000);
        packet.header.marker = true;
        if camera.write_rtp(&packet).await.is_err() {
            return;
        }
        frame = frame.wrapping_add(1);
    }
}

/// Ada filming in a room's call and Grace in it too, her subscribe link
/// carrying Ada's camera: where both tests start.
struct Filmed {
    plane: Plane,
    ada: Browser,
    grace: Browser,
    /// Ada's filming, stopped when she hangs up.
    filming: JoinHandle<()>,
    /// Every payload Ada's camera sent.
    sent: Arc<Mutex<Vec<Bytes>>>,
    /// Ada's camera, as Grace's subscribe link received it.
    received: Arc<TrackRemote>,
}

/// Ada and Grace join a room's call by ticket, Ada publishes her camera
/// and films, and Grace's browser answers the subscribe offer the SFU
/// makes her until a track arrives on her subscribe link.
async fn ada_films_for_grace() -> Filmed {
    let plane = plane().await;
    let api = browser_api();
    let room = ConferenceId::Room(RoomId(1));
    let ada = join(&plane, &api, room, member(1, "Ada")).await;
    let mut grace = join(&plane, &api, room, member(2, "Grace")).await;
    let camera = ada.publish_camera().await;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let filming = tokio::spawn(film(camera, sent.clone()));
    let received =
        within("track on Grace's subscribe link", grace.tracks.recv()).await.expect("Grace's subscribe link is open");
    Filmed { plane, ada, grace, filming, sent, received }
}

/// What the SFU is for: what one participant, admitted by ticket alone,
/// publishes reaches another, whose browser only answered the offers it
/// was made. Grace receives a VP8 track, labelled with the stream the SFU
/// told her belongs to Ada, carrying the very payloads Ada's camera sent.
#[tokio::test]
async fn a_published_video_track_reaches_another_participant() {
    let Filmed { plane, ada, mut grace, filming, sent, received } = ada_films_for_grace().await;
    let mut buffer = vec![0u8; PACKET_BUFFER];
    let (packet, _) =
        within("packet on Grace's track", received.read(&mut buffer)).await.expect("Grace's track can be read");
    assert!(
        sent.lock().expect("sent lock").contains(&packet.payload),
        "Grace received a payload Ada never sent: {:02x?}",
        &packet.payload[..packet.payload.len().min(16)]
    );
    assert_eq!(received.kind(), RTPCodecType::Video);
    let codec = received.codec().capability.mime_type;
    assert!(codec.eq_ignore_ascii_case(MIME_TYPE_VP8), "Grace's track is {codec}");

    // The browser matches a track to its tile by stream id.
    let ada_id = ada.id;
    let ada_streams = grace
        .next("Updated event listing Ada's camera", |event| match event {
            SignalEvent::Updated { participant } if participant.id == ada_id && !participant.streams.is_empty() => {
                Some(participant.streams)
            }
            _ => None,
        })
        .await;
    assert!(
        ada_streams.iter().any(|stream| stream.stream_id == received.stream_id()),
        "Grace's track is in stream {}, but Ada publishes {ada_streams:?}",
        received.stream_id()
    );

    filming.abort();
    ada.leave().await;
    grace.leave().await;
    plane.sfu.shutdown().await;
}

/// A participant who hangs up must not leave the others a dead track:
/// Grace hears Ada left, is offered her subscribe link again without
/// Ada's track (its SSRC gone from the offer), and once her browser
/// answers, the track she was receiving ends.
#[tokio::test]
async fn a_renegotiation_after_hang_up_removes_the_track() {
    let Filmed { plane, ada, mut grace, filming, received, .. } = ada_films_for_grace().await;
    let mut buffer = vec![0u8; PACKET_BUFFER];
    within("packet on Grace's track", received.read(&mut buffer)).await.expect("Grace's track can be read");
    let ada_ssrc = format!("a=ssrc:{} ", received.ssrc());

    // The offer that brought Ada's track named its SSRC, so that its
    // absence below says something; the rest of what Grace was told while
    // Ada was in the call is not about her leaving.
    let mut offered_with_ada = false;
    while let Ok(event) = grace.events.try_recv() {
        if let SignalEvent::SubscribeOffer { sdp } = event {
            offered_with_ada |= sdp.contains(&ada_ssrc);
        }
    }
    assert!(offered_with_ada, "no subscribe offer to Grace named Ada's track ({ada_ssrc:?})");
    filming.abort();
    let ada_id = ada.id;
    ada.leave().await;

    let events = &mut grace.events;
    within("Left event and subscribe offer without Ada's track", async {
        let (mut heard_left, mut offered_without_ada) = (false, false);
        while !(heard_left && offered_without_ada) {
            match events.recv().await.expect("Grace's driver runs (if it panicked, see why above)") {
                SignalEvent::Left { participant } => heard_left |= participant == ada_id,
                // The latest offer is the one that counts.
                SignalEvent::SubscribeOffer { sdp } => offered_without_ada = !sdp.contains(&ada_ssrc),
                _ => {}
            }
        }
    })
    .await;
    within("end of Ada's track at Grace's", async { while received.read(&mut buffer).await.is_ok() {} }).await;

    grace.leave().await;
    plane.sfu.shutdown().await;
}
