//! Driving Anteroom: the real server as its own process, members signed in
//! through the HTTP API, participants on the real signalling socket.

use super::peers::{self, Received};
use super::server_process::ServerProcess;
use anteroom_app::model::ConferenceId;
use anteroom_app::model::{Channel, MemberSummary, Office, Presence};
use anteroom_app::protocol::signal::{IceCandidate, Link, SignalEvent, SignalRequest};
use futures::{SinkExt, StreamExt};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use webrtc::api::API;
use webrtc::ice_transport::ice_candidate::{RTCIceCandidate, RTCIceCandidateInit};
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;
use webrtc::track::track_remote::TrackRemote;

const PASSWORD: &str = "bench-password";

/// The server under test, as its own process, and the call everyone joins.
pub struct AnteroomServer {
    process: ServerProcess,
    pub url: String,
    /// The call's signalling path: the first room's, or a transcribed
    /// meeting channel's.
    pub signal_path: String,
}

/// Which call the participants join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// The office's first room (members walk in first).
    Room,
    /// A meeting channel with "Transcribe calls" on: the SFU records every
    /// microphone to disk.
    Transcribed,
}

impl AnteroomServer {
    /// Starts the release server on `ip`, inside network namespace `netns`
    /// when given, without demo data.
    pub async fn start(ip: IpAddr, netns: Option<&str>) -> Self {
        let process = ServerProcess::start(ip, netns, false).await;
        let url = process.url.clone();
        AnteroomServer { process, url, signal_path: String::new() }
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        cookie: Option<&str>,
        function: &str,
        args: &[(&str, &str)],
    ) -> (T, Option<String>) {
        self.process.call(cookie, function, args).await
    }

    /// Creates the workspace and `count` members ready to join `call`;
    /// returns their session cookies.
    pub async fn members(&mut self, count: usize, call: Call) -> Vec<String> {
        let sign_up =
            [("workspace_name", "Bench"), ("name", "Admin"), ("email", "admin@bench.test"), ("password", PASSWORD)];
        let admin = self.call::<()>(None, "sign_up", &sign_up).await.1.expect("a session cookie");
        let office: Office = self.call(Some(&admin), "load_office", &[]).await.0;
        let room = office.rooms[0].id;
        self.signal_path = match call {
            Call::Room => ConferenceId::Room(room).signal_path(),
            Call::Transcribed => {
                let args = [("name", "bench-calls"), ("kind", "Meeting")];
                let channel: Channel = self.call(Some(&admin), "create_channel", &args).await.0;
                let id = channel.id.to_string();
                let _: ((), _) =
                    self.call(Some(&admin), "set_transcription", &[("channel", &id), ("on", "true")]).await;
                ConferenceId::Channel(channel.id).signal_path()
            }
        };
        let mut cookies = Vec::new();
        for n in 0..count {
            let (name, email) = (format!("Member {n}"), format!("member{n}@bench.test"));
            let _: (MemberSummary, _) = self
                .call(Some(&admin), "add_member", &[("name", &name), ("email", &email), ("password", PASSWORD)])
                .await;
            let cookie = self.process.sign_in(&email, PASSWORD).await;
            if call == Call::Room {
                let _: (Presence, _) = self.call(Some(&cookie), "walk_into", &[("room", &room.to_string())]).await;
            }
            cookies.push(cookie);
        }
        cookies
    }

    /// The recordings on disk: files and bytes.
    pub fn recorded(&self) -> (usize, u64) {
        let folder = self.process.dir.path().join("data/recordings");
        let calls = std::fs::read_dir(folder).into_iter().flatten().flatten();
        let files = calls.flat_map(|call| std::fs::read_dir(call.path()).into_iter().flatten().flatten());
        files.filter_map(|file| file.metadata().ok()).fold((0, 0), |(count, bytes), m| (count + 1, bytes + m.len()))
    }

    pub async fn stop(self) {
        self.process.stop().await;
    }
}

/// What a synthetic participant does.
pub enum Role {
    /// Publishes a camera, and a microphone if `microphone`; counts itself
    /// into `connected` once its link is.
    Publisher { connected: Arc<AtomicUsize>, microphone: bool },
    /// Receives everyone's camera and counts what arrives.
    Subscriber(Arc<Received>),
}

/// One synthetic participant: joins the call at `signal_path` over the
/// real signalling socket, and either publishes (a synthetic camera, and
/// microphone) or counts what it receives.
pub async fn participant(api: Arc<API>, base: String, cookie: String, signal_path: String, role: Role) {
    let (publisher, microphone) = match role {
        Role::Publisher { microphone, .. } => (true, microphone),
        Role::Subscriber(_) => (false, false),
    };
    let url = format!("{}{signal_path}", base.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("cookie", cookie.parse().unwrap());
    let joined_at = Instant::now();
    let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("signalling socket");
    let (mut write, mut read) = socket.split();
    let (outgoing, mut queue) = mpsc::unbounded_channel::<SignalRequest>();
    tokio::spawn(async move {
        while let Some(request) = queue.recv().await {
            if write.send(Message::Text(serde_json::to_string(&request).unwrap().into())).await.is_err() {
                break;
            }
        }
    });

    let publish = Arc::new(api.new_peer_connection(RTCConfiguration::default()).await.unwrap());
    let subscribe = Arc::new(api.new_peer_connection(RTCConfiguration::default()).await.unwrap());
    for (pc, link) in [(&publish, Link::Publish), (&subscribe, Link::Subscribe)] {
        let outgoing = outgoing.clone();
        pc.on_ice_candidate(Box::new(move |candidate: Option<RTCIceCandidate>| {
            let outgoing = outgoing.clone();
            Box::pin(async move {
                if let Some(init) = candidate.and_then(|c| c.to_json().ok()) {
                    let candidate =
                        IceCandidate { candidate: init.candidate, sdp_mid: Some("0".into()), sdp_mline_index: Some(0) };
                    let _ = outgoing.send(SignalRequest::Candidate { link, candidate });
                }
            })
        }));
    }
    match role {
        Role::Subscriber(received) => subscribe.on_track(Box::new(move |track: Arc<TrackRemote>, _, _| {
            match track.kind() {
                RTPCodecType::Audio => tokio::spawn(peers::count_audio(track, received.clone())),
                _ => tokio::spawn(peers::count_packets(track, received.clone(), joined_at)),
            };
            Box::pin(async {})
        })),
        Role::Publisher { connected, .. } => publish.on_peer_connection_state_change(Box::new(move |state| {
            if state == RTCPeerConnectionState::Connected {
                connected.fetch_add(1, Ordering::Relaxed);
            }
            Box::pin(async {})
        })),
    }
    let camera = peers::camera_layers();
    let voice = peers::microphone();
    if publisher {
        peers::add_camera(&publish, &camera).await;
    }
    if microphone {
        publish.add_track(voice.clone()).await.expect("microphone track");
    }

    let mut pending: Vec<(Link, RTCIceCandidateInit)> = Vec::new();
    while let Some(Ok(message)) = read.next().await {
        let Message::Text(text) = message else { continue };
        let Ok(event) = serde_json::from_str::<SignalEvent>(&text) else { continue };
        match event {
            SignalEvent::Welcome { .. } if publisher => {
                let offer = publish.create_offer(None).await.unwrap();
                publish.set_local_description(offer).await.unwrap();
                let sdp = publish.local_description().await.unwrap().sdp;
                let _ = outgoing.send(SignalRequest::PublishOffer { sdp, screen_stream: None });
            }
            SignalEvent::PublishAnswer { sdp } => {
                publish.set_remote_description(RTCSessionDescription::answer(sdp).unwrap()).await.unwrap();
                add_pending(&publish, Link::Publish, &mut pending).await;
                tokio::spawn(peers::send_video(camera.clone()));
                if microphone {
                    tokio::spawn(peers::send_audio(voice.clone()));
                }
            }
            // Publishers only publish, as in the Janus half of the bench.
            SignalEvent::SubscribeOffer { sdp } if !publisher => {
                subscribe.set_remote_description(RTCSessionDescription::offer(sdp).unwrap()).await.unwrap();
                add_pending(&subscribe, Link::Subscribe, &mut pending).await;
                let answer = subscribe.create_answer(None).await.unwrap();
                subscribe.set_local_description(answer).await.unwrap();
                let sdp = subscribe.local_description().await.unwrap().sdp;
                let _ = outgoing.send(SignalRequest::SubscribeAnswer { sdp });
            }
            SignalEvent::Candidate { link, candidate } => {
                let init = RTCIceCandidateInit {
                    candidate: candidate.candidate,
                    sdp_mid: candidate.sdp_mid,
                    sdp_mline_index: candidate.sdp_mline_index,
                    username_fragment: None,
                };
                let pc = if link == Link::Publish { &publish } else { &subscribe };
                if pc.remote_description().await.is_some() {
                    let _ = pc.add_ice_candidate(init).await;
                } else {
                    pending.push((link, init));
                }
            }
            SignalEvent::Ended { .. } => break,
            _ => {}
        }
    }
    let _ = publish.close().await;
    let _ = subscribe.close().await;
}

async fn add_pending(pc: &RTCPeerConnection, link: Link, pending: &mut Vec<(Link, RTCIceCandidateInit)>) {
    let (ready, rest): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(l, _)| *l == link);
    *pending = rest;
    for (_, init) in ready {
        let _ = pc.add_ice_candidate(init).await;
    }
}
