//! The browser's side of a call: signalling socket, publish and subscribe
//! peer connections, local media, and the controls. It writes what happens
//! into a [`CallState`] for the conference view.
//!
//! Resilience: if the socket drops or a peer connection fails, the client
//! tears both links down and rejoins with backoff, republishing the same
//! camera (and screen). Only the server's `Ended` or a hang-up stop it.

use super::devices::{self, LocalMedia};
use super::{simulcast, streams};
use crate::call_state::{CallState, CallStatus, upsert_participant};
use crate::client::web::{Attached, Reconnect, message_json, socket_url, weak_handler};
use crate::model::ConferenceId;
use crate::protocol::signal::{IceCandidate, Link, Participant, SignalEvent, SignalRequest};
use futures::StreamExt;
use futures::channel::mpsc;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    MediaStream, MediaStreamTrack, RtcConfiguration, RtcIceCandidateInit, RtcIceServer, RtcPeerConnection,
    RtcPeerConnectionIceEvent, RtcPeerConnectionState, RtcRtpSender, RtcRtpTransceiverDirection, RtcRtpTransceiverInit,
    RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent, WebSocket,
};

const FIRST_RETRY: Duration = Duration::from_millis(500);
const LONGEST_RETRY: Duration = Duration::from_secs(8);
const SPEAKER_POLL: Duration = Duration::from_millis(400);
/// Audio level (0..1) above which someone counts as speaking.
const SPEAKING_LEVEL: f64 = 0.02;

/// A running call. Call [`CallClient::hang_up`] when the view goes away.
#[derive(Clone)]
pub struct CallClient {
    inner: Rc<Inner>,
}

struct Inner {
    /// Where to join: the conference's signalling path.
    signal_path: String,
    /// A guest's pass, sent as the socket's subprotocol (never in the URL,
    /// which ends up in logs).
    pass_protocol: Option<String>,
    state: CallState,
    /// The current socket with its handlers, detached when it is replaced
    /// or the call is hung up.
    socket: RefCell<Option<Attached<WebSocket>>>,
    publish: RefCell<Option<RtcPeerConnection>>,
    subscribe: RefCell<Option<RtcPeerConnection>>,
    /// Remote candidates that arrived before their link's remote description.
    pending: RefCell<Vec<(Link, IceCandidate)>>,
    screen_senders: RefCell<Vec<RtcRtpSender>>,
    /// The current peer connections with their handlers, detached when
    /// the links are torn down.
    link_handlers: RefCell<Vec<Attached<RtcPeerConnection>>>,
    /// The shared screen's track, with the handler that stops sharing when
    /// the browser's own "Stop sharing" ends it.
    screen_track: RefCell<Option<Attached<MediaStreamTrack>>>,
    stopped: Cell<bool>,
    reconnect: Reconnect,
    speaker_poll: RefCell<Option<IntervalHandle>>,
    /// What the SFU was told about the size of our tiles.
    shown_heights: simulcast::ShownHeights,
}

impl CallClient {
    /// Asks for camera and microphone, then joins `conference` (as a guest
    /// when given their `guest_pass`).
    pub fn start(conference: ConferenceId, guest_pass: Option<&str>, state: CallState) -> Self {
        let inner = Rc::new(Inner {
            signal_path: conference.signal_path(),
            pass_protocol: guest_pass.map(crate::protocol::signal::pass_protocol),
            state,
            socket: RefCell::new(None),
            publish: RefCell::new(None),
            subscribe: RefCell::new(None),
            pending: RefCell::new(Vec::new()),
            screen_senders: RefCell::new(Vec::new()),
            link_handlers: RefCell::new(Vec::new()),
            screen_track: RefCell::new(None),
            stopped: Cell::new(false),
            reconnect: Reconnect::new(FIRST_RETRY, LONGEST_RETRY),
            speaker_poll: RefCell::new(None),
            shown_heights: simulcast::ShownHeights::default(),
        });
        // The call is joined while the camera starts: others' media need
        // not wait for ours, and ours is published the moment it is there.
        connect(&inner);
        let starting = inner.clone();
        spawn_local(async move {
            let LocalMedia { stream, problem } = devices::held_or_new_camera_and_microphone().await;
            if starting.stopped.get() {
                devices::stop_all(&stream);
                return;
            }
            starting.state.mic_on.set(devices::is_on(&stream, "audio"));
            starting.state.camera_on.set(devices::is_on(&stream, "video"));
            starting.state.media_problem.set(problem);
            streams::set(streams::LOCAL, stream);
            starting.state.streams_version.update(|v| *v += 1);
            // Already welcomed: publish now (otherwise the welcome will).
            if let Some(publish) = starting.publish.borrow().clone() {
                add_camera(&publish);
                publish_media(starting.clone());
            }
        });
        let weak = Rc::downgrade(&inner);
        let poll = set_interval_with_handle(
            move || {
                if let Some(inner) = weak.upgrade() {
                    for (stream, height) in inner.shown_heights.changes() {
                        send(&inner, &SignalRequest::TileSize { stream, height });
                    }
                    spawn_local(poll_speaker(inner));
                }
            },
            SPEAKER_POLL,
        )
        .ok();
        *inner.speaker_poll.borrow_mut() = poll;
        CallClient { inner }
    }

    pub fn toggle_mic(&self) {
        self.toggle_local("audio", self.inner.state.mic_on);
    }

    pub fn toggle_camera(&self) {
        self.toggle_local("video", self.inner.state.camera_on);
    }

    /// Enables or disables this browser's own tracks of `kind` (disabled
    /// tracks send silence or black), and tells the others.
    fn toggle_local(&self, kind: &str, on: RwSignal<bool>) {
        let turn_on = !on.get_untracked();
        devices::enable_local(kind, turn_on);
        on.set(turn_on);
        send_mute_state(&self.inner);
    }

    pub fn toggle_screen(&self) {
        let inner = self.inner.clone();
        if inner.state.sharing.get_untracked() {
            stop_screen(&inner);
            return;
        }
        spawn_local(async move {
            match devices::screen().await {
                Ok(screen) => {
                    if let Ok(track) = screen.get_video_tracks().get(0).dyn_into::<MediaStreamTrack>() {
                        let ended = weak_handler(&Rc::downgrade(&inner), |inner, _| stop_screen(inner));
                        let track = Attached::new(track).on(MediaStreamTrack::set_onended, ended);
                        *inner.screen_track.borrow_mut() = Some(track);
                    }
                    streams::set(streams::LOCAL_SCREEN, screen);
                    inner.state.sharing.set(true);
                    inner.state.streams_version.update(|v| *v += 1);
                    if let Some(pc) = inner.publish.borrow().clone() {
                        add_screen(&inner, &pc);
                    }
                    spawn_local(offer_publish(inner));
                }
                Err(problem) => inner.state.notice.set(Some(format!("Screen sharing did not start ({problem})."))),
            }
        });
    }

    pub fn send_chat(&self, text: String) {
        send(&self.inner, &SignalRequest::Chat { text });
    }

    /// Leaves the call: closes everything and releases camera and microphone.
    /// Every handler is detached here, so the events that follow (the
    /// socket's close) find none of them.
    pub fn hang_up(&self) {
        let inner = &self.inner;
        inner.stopped.set(true);
        inner.reconnect.cancel();
        if let Some(poll) = inner.speaker_poll.borrow_mut().take() {
            poll.clear();
        }
        if let Some(socket) = inner.socket.borrow_mut().take() {
            let _ = socket.close();
        }
        *inner.screen_track.borrow_mut() = None;
        teardown(inner);
        for id in [streams::LOCAL, streams::LOCAL_SCREEN] {
            if let Some(stream) = streams::remove(id) {
                devices::stop_all(&stream);
            }
        }
    }
}

fn send(inner: &Inner, request: &SignalRequest) {
    let Some(socket) = inner.socket.borrow().as_deref().cloned() else { return };
    if socket.ready_state() != WebSocket::OPEN {
        return;
    }
    if let Ok(text) = serde_json::to_string(request) {
        let _ = socket.send_with_str(&text);
    }
}

fn connect(inner: &Rc<Inner>) {
    if inner.stopped.get() {
        return;
    }
    let Some(url) = socket_url(&inner.signal_path) else { return };
    let opened = match &inner.pass_protocol {
        Some(protocol) => WebSocket::new_with_str(&url, protocol),
        None => WebSocket::new(&url),
    };
    let Ok(socket) = opened else {
        inner.reconnect.later(inner, connect);
        return;
    };
    // Events are handled one at a time, in order: an offer must be applied
    // before the candidates that follow it.
    let (queue, mut events) = mpsc::unbounded::<SignalEvent>();
    let weak = Rc::downgrade(inner);
    let worker = weak.clone();
    spawn_local(async move {
        while let Some(event) = events.next().await {
            let Some(inner) = worker.upgrade() else { break };
            handle(&inner, event).await;
        }
    });
    let on_message = weak_handler(&weak, move |_, event| match message_json::<SignalEvent>(event) {
        Some(Ok(event)) => {
            let _ = queue.unbounded_send(event);
        }
        other => leptos::logging::warn!("ignoring an unreadable signalling message: {other:?}"),
    });
    let on_close = weak_handler(&weak, |inner, _| {
        let ended = matches!(inner.state.status.get_untracked(), CallStatus::Ended(_));
        if !inner.stopped.get() && !ended {
            inner.state.status.set(CallStatus::Reconnecting);
            teardown(inner);
            inner.reconnect.later(inner, connect);
        }
    });
    let socket = Attached::new(socket).on(WebSocket::set_onmessage, on_message).on(WebSocket::set_onclose, on_close);
    *inner.socket.borrow_mut() = Some(socket);
}

/// Closes both peer connections and forgets remote media (before a rejoin or
/// after hanging up).
fn teardown(inner: &Inner) {
    inner.link_handlers.borrow_mut().clear();
    let links = [inner.publish.borrow_mut().take(), inner.subscribe.borrow_mut().take()];
    for pc in links.into_iter().flatten() {
        pc.close();
    }
    inner.pending.borrow_mut().clear();
    inner.shown_heights.forget();
    inner.screen_senders.borrow_mut().clear();
    streams::clear_remote();
    inner.state.speaking.set(None);
    inner.state.streams_version.update(|v| *v += 1);
}

async fn handle(inner: &Rc<Inner>, event: SignalEvent) {
    let state = inner.state;
    match event {
        SignalEvent::Welcome { me, participants, chat, ice_servers, transcribing } => {
            inner.reconnect.succeeded();
            state.me.set(Some(me));
            state.transcribing.set(transcribing);
            state.participants.set(participants);
            state.chat.set(chat);
            state.status.set(CallStatus::Live);
            if let Err(problem) = open_links(inner, &ice_servers) {
                state.notice.set(Some(format!("Could not start media: {problem}")));
                return;
            }
            if streams::get(streams::LOCAL).is_some() {
                publish_media(inner.clone());
            }
        }
        SignalEvent::PublishAnswer { sdp } => {
            let Some(pc) = inner.publish.borrow().clone() else { return };
            if let Err(problem) = apply(&pc, RtcSdpType::Answer, &sdp).await {
                leptos::logging::warn!("publish answer refused: {problem}");
            }
            flush_pending(inner, Link::Publish).await;
        }
        SignalEvent::SubscribeOffer { sdp } => {
            let Some(pc) = inner.subscribe.borrow().clone() else { return };
            match answer(&pc, &sdp).await {
                Ok(sdp) => send(inner, &SignalRequest::SubscribeAnswer { sdp }),
                Err(problem) => leptos::logging::warn!("subscribe offer refused: {problem}"),
            }
            flush_pending(inner, Link::Subscribe).await;
        }
        SignalEvent::Candidate { link, candidate } => {
            let pc = link_of(inner, link);
            match pc {
                Some(pc) if pc.remote_description().is_some() => add_candidate(&pc, &candidate).await,
                _ => inner.pending.borrow_mut().push((link, candidate)),
            }
        }
        SignalEvent::Joined { participant } => {
            let as_guest = if participant.guest.is_some() { " as a guest" } else { "" };
            state.activity.set(Some(format!("{} joined{as_guest}", participant.name)));
            show_participant(state, participant);
        }
        SignalEvent::Updated { participant } => show_participant(state, participant),
        SignalEvent::Left { participant } => {
            let gone = state.participants.with_untracked(|list| {
                list.iter().find(|p| p.id == participant).map(|p| (p.name.clone(), p.guest.is_some()))
            });
            if let Some((name, guest)) = gone {
                let guest = if guest { " (guest)" } else { "" };
                state.activity.set(Some(format!("{name}{guest} left")));
            }
            state.participants.update(|list| list.retain(|p| p.id != participant));
            state.streams_version.update(|v| *v += 1);
        }
        SignalEvent::Chat { message } => state.chat.update(|chat| chat.push(message)),
        SignalEvent::Error { reason } => state.notice.set(Some(reason)),
        SignalEvent::Transcription { on } => {
            state.transcribing.set(on);
            let change = if on { "Transcription started" } else { "Transcription stopped" };
            state.activity.set(Some(change.to_string()));
        }
        SignalEvent::SendLayers { mid, top } => {
            let Some(pc) = inner.publish.borrow().clone() else { return };
            simulcast::send_layers_up_to(&pc, &mid, top).await;
        }
        SignalEvent::Ended { reason } => {
            state.status.set(CallStatus::Ended(reason));
            teardown(inner);
        }
    }
}

/// Adds or refreshes someone else in the participant list (our own state
/// is shown from local truth).
fn show_participant(state: CallState, participant: Participant) {
    if Some(participant.id) == state.me.get_untracked() {
        return;
    }
    state.participants.update(|list| upsert_participant(list, participant));
    state.streams_version.update(|v| *v += 1);
}

fn link_of(inner: &Inner, link: Link) -> Option<RtcPeerConnection> {
    match link {
        Link::Publish => inner.publish.borrow().clone(),
        Link::Subscribe => inner.subscribe.borrow().clone(),
    }
}

/// Creates both peer connections for a fresh join.
fn open_links(inner: &Rc<Inner>, ice_servers: &[String]) -> Result<(), String> {
    teardown(inner);
    let configuration = RtcConfiguration::new();
    if !ice_servers.is_empty() {
        let server = RtcIceServer::new();
        let urls = js_sys::Array::new();
        for url in ice_servers {
            urls.push(&JsValue::from_str(url));
        }
        server.set_urls(&urls);
        configuration.set_ice_servers(&js_sys::Array::of1(&server));
    }
    let publish = RtcPeerConnection::new_with_configuration(&configuration).map_err(devices::describe)?;
    let subscribe = RtcPeerConnection::new_with_configuration(&configuration).map_err(devices::describe)?;
    let weak = Rc::downgrade(inner);
    let mut links = Vec::new();
    for (pc, link) in [(&publish, Link::Publish), (&subscribe, Link::Subscribe)] {
        let on_candidate = weak_handler(&weak, move |inner, event| {
            let Some(candidate) = event.dyn_into::<RtcPeerConnectionIceEvent>().ok().and_then(|e| e.candidate()) else {
                return;
            };
            let candidate = IceCandidate {
                candidate: candidate.candidate(),
                sdp_mid: candidate.sdp_mid(),
                sdp_mline_index: candidate.sdp_m_line_index(),
            };
            send(inner, &SignalRequest::Candidate { link, candidate });
        });
        let watched = pc.clone();
        let on_state = weak_handler(&weak, move |inner, _| {
            if watched.connection_state() == RtcPeerConnectionState::Failed {
                // Rejoin from scratch: closing the socket starts it.
                if let Some(socket) = inner.socket.borrow().as_ref() {
                    let _ = socket.close();
                }
            }
        });
        links.push(
            Attached::new(pc.clone())
                .on(RtcPeerConnection::set_onicecandidate, on_candidate)
                .on(RtcPeerConnection::set_onconnectionstatechange, on_state),
        );
    }
    let on_track = weak_handler(&weak, |inner, event| {
        let Ok(event) = event.dyn_into::<RtcTrackEvent>() else { return };
        let Some(stream) = event.streams().get(0).dyn_into::<MediaStream>().ok() else { return };
        streams::note_track(event.track().id(), stream.id());
        streams::set(&stream.id(), stream);
        inner.state.streams_version.update(|v| *v += 1);
    });
    links.push(Attached::new(subscribe.clone()).on(RtcPeerConnection::set_ontrack, on_track));

    add_camera(&publish);
    *inner.link_handlers.borrow_mut() = links;
    *inner.publish.borrow_mut() = Some(publish.clone());
    *inner.subscribe.borrow_mut() = Some(subscribe);
    if inner.state.sharing.get_untracked() {
        add_screen(inner, &publish);
    }
    Ok(())
}

/// Puts the camera and microphone, if they have started, on the publish link.
fn add_camera(publish: &RtcPeerConnection) {
    if let Some(camera) = streams::get(streams::LOCAL) {
        for track in devices::tracks(&camera) {
            let init = sendonly(&camera);
            if track.kind() == "video"
                && let Some(encodings) = simulcast::camera_encodings(&track)
            {
                init.set_send_encodings(&encodings);
            }
            publish.add_transceiver_with_media_stream_track_and_init(&track, &init);
        }
    }
}

/// Offers our media on the publish link and tells the others our mute
/// state (it survives a rejoin). Not awaited by the signalling queue: the
/// subscribe offer behind the welcome need not wait for our own offer.
fn publish_media(inner: Rc<Inner>) {
    if !inner.state.mic_on.get_untracked() || !inner.state.camera_on.get_untracked() {
        send_mute_state(&inner);
    }
    spawn_local(offer_publish(inner));
}

/// Tells the others whether our microphone and camera are on.
fn send_mute_state(inner: &Inner) {
    let state = inner.state;
    send(inner, &SignalRequest::Mute { audio: !state.mic_on.get_untracked(), video: !state.camera_on.get_untracked() });
}

fn sendonly(stream: &MediaStream) -> RtcRtpTransceiverInit {
    let init = RtcRtpTransceiverInit::new();
    init.set_direction(RtcRtpTransceiverDirection::Sendonly);
    init.set_streams(&js_sys::Array::of1(stream));
    init
}

fn add_screen(inner: &Inner, publish: &RtcPeerConnection) {
    let Some(screen) = streams::get(streams::LOCAL_SCREEN) else { return };
    let mut senders = inner.screen_senders.borrow_mut();
    for track in devices::tracks(&screen) {
        senders.push(publish.add_transceiver_with_media_stream_track_and_init(&track, &sendonly(&screen)).sender());
    }
}

fn stop_screen(inner: &Rc<Inner>) {
    if !inner.state.sharing.get_untracked() {
        return;
    }
    inner.state.sharing.set(false);
    // Detaches the track's ended handler, also when that handler is the
    // caller (wasm-bindgen frees a running closure once it returns).
    *inner.screen_track.borrow_mut() = None;
    if let Some(pc) = inner.publish.borrow().clone() {
        for sender in inner.screen_senders.borrow_mut().drain(..) {
            pc.remove_track(&sender);
        }
    }
    if let Some(screen) = streams::remove(streams::LOCAL_SCREEN) {
        devices::stop_all(&screen);
    }
    inner.state.streams_version.update(|v| *v += 1);
    send(inner, &SignalRequest::StopScreen);
    spawn_local(offer_publish(inner.clone()));
}

/// Offers the current local tracks on the publish link.
async fn offer_publish(inner: Rc<Inner>) {
    let Some(pc) = inner.publish.borrow().clone() else { return };
    let result = async {
        let offer = JsFuture::from(pc.create_offer()).await.map_err(devices::describe)?;
        let offer: RtcSessionDescriptionInit = offer.unchecked_into();
        JsFuture::from(pc.set_local_description(&offer)).await.map_err(devices::describe)?;
        Ok::<String, String>(pc.local_description().map(|d| d.sdp()).unwrap_or_default())
    }
    .await;
    match result {
        Ok(sdp) => {
            let screen_stream =
                streams::get(streams::LOCAL_SCREEN).filter(|_| inner.state.sharing.get_untracked()).map(|s| s.id());
            send(&inner, &SignalRequest::PublishOffer { sdp, screen_stream });
        }
        Err(problem) => inner.state.notice.set(Some(format!("Could not send your media: {problem}"))),
    }
}

async fn apply(pc: &RtcPeerConnection, kind: RtcSdpType, sdp: &str) -> Result<(), String> {
    let description = RtcSessionDescriptionInit::new(kind);
    description.set_sdp(sdp);
    JsFuture::from(pc.set_remote_description(&description)).await.map_err(devices::describe)?;
    Ok(())
}

async fn answer(pc: &RtcPeerConnection, offer: &str) -> Result<String, String> {
    apply(pc, RtcSdpType::Offer, offer).await?;
    let answer = JsFuture::from(pc.create_answer()).await.map_err(devices::describe)?;
    let answer: RtcSessionDescriptionInit = answer.unchecked_into();
    JsFuture::from(pc.set_local_description(&answer)).await.map_err(devices::describe)?;
    Ok(pc.local_description().map(|d| d.sdp()).unwrap_or_default())
}

async fn add_candidate(pc: &RtcPeerConnection, candidate: &IceCandidate) {
    let init = RtcIceCandidateInit::new(&candidate.candidate);
    init.set_sdp_mid(candidate.sdp_mid.as_deref());
    init.set_sdp_m_line_index(candidate.sdp_mline_index);
    if let Err(error) = JsFuture::from(pc.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init))).await {
        leptos::logging::warn!("ICE candidate refused: {}", devices::describe(error));
    }
}

async fn flush_pending(inner: &Rc<Inner>, link: Link) {
    let Some(pc) = link_of(inner, link) else { return };
    let ready: Vec<IceCandidate> = {
        let mut pending = inner.pending.borrow_mut();
        let (ready, rest): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(l, _)| *l == link);
        *pending = rest;
        ready.into_iter().map(|(_, c)| c).collect()
    };
    for candidate in ready {
        add_candidate(&pc, &candidate).await;
    }
}

/// Finds the loudest speaker from the peer connections' audio levels.
async fn poll_speaker(inner: Rc<Inner>) {
    let mut loudest: Option<(f64, Option<crate::protocol::signal::ParticipantId>)> = None;
    let mut consider = |level: f64, who| {
        if level > SPEAKING_LEVEL && loudest.is_none_or(|(best, _)| level > best) {
            loudest = Some((level, who));
        }
    };
    let subscribe = inner.subscribe.borrow().clone();
    let publish = inner.publish.borrow().clone();
    for (pc, incoming) in [(subscribe, true), (publish, false)] {
        let Some(pc) = pc else { continue };
        let Ok(report) = JsFuture::from(pc.get_stats()).await else { continue };
        // Hung up meanwhile: the call's state is gone with its view.
        if inner.stopped.get() {
            return;
        }
        let report: js_sys::Map = report.unchecked_into();
        report.for_each(&mut |value, _| {
            let field = |name: &str| js_sys::Reflect::get(&value, &JsValue::from_str(name)).ok();
            let text = |name: &str| field(name).and_then(|v| v.as_string()).unwrap_or_default();
            let level = field("audioLevel").and_then(|v| v.as_f64()).unwrap_or(0.0);
            if incoming && text("type") == "inbound-rtp" && text("kind") == "audio" {
                let owner = streams::stream_of_track(&text("trackIdentifier")).and_then(|s| inner.state.owner_of(&s));
                consider(level, owner);
            } else if !incoming && text("type") == "media-source" && text("kind") == "audio" {
                consider(level, inner.state.me.get_untracked());
            }
        });
    }
    let speaking = loudest.and_then(|(_, who)| who);
    if inner.state.speaking.get_untracked() != speaking {
        inner.state.speaking.set(speaking);
    }
}
