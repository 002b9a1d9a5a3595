//! Driving Anteroom: the real server as its own process, members signed in
//! through the HTTP API, participants on the real signalling socket.

use super::peers::{self, Received};
use super::server_process::ServerProcess;
use anteroom_app::model::{MemberSummary, Office, Presence};
use anteroom_app::protocol::signal::{IceCandidate, Link, SIGNAL_PATH, SignalEvent, SignalRequest};
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
use webrtc::track::track_remote::TrackRemote;

const PASSWORD: &str = "bench-password";

/// The server under test, as its own process, and the room its call is in.
pub struct AnteroomServer {
    process: ServerProcess,
    pub url: String,
    pub room: String,
}

impl AnteroomServer {
    /// Starts the release server on `ip`, inside network namespace `netns`
    /// when given, without demo data.
    pub async fn start(ip: IpAddr, netns: Option<&str>) -> Self {
        let process = ServerProcess::start(ip, netns, false).await;
        let url = process.url.clone();
        AnteroomServer { process, url, room: String::new() }
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

    /// Creates the workspace and `count` members inside its first room;
    /// returns their session cookies.
    pub async fn members(&mut self, count: usize) -> Vec<String> {
        let sign_up =
            [("workspace_name", "Bench"), ("name", "Admin"), ("email", "admin@bench.test"), ("password", PASSWORD)];
        let admin = self.call::<()>(None, "sign_up", &sign_up).await.1.expect("a session cookie");
        let office: Office = self.call(Some(&admin), "load_office", &[]).await.0;
        self.room = office.rooms[0].id.to_string();
        let mut cookies = Vec::new();
        for n in 0..count {
            let (name, email) = (format!("Member {n}"), format!("member{n}@bench.test"));
            let _: (MemberSummary, _) = self
                .call(Some(&admin), "add_member", &[("name", &name), ("email", &email), ("password", PASSWORD)])
                .await;
            let cookie = self.process.sign_in(&email, PASSWORD).await;
            let _: (Presence, _) = self.call(Some(&cookie), "walk_into", &[("room", &self.room)]).await;
            cookies.push(cookie);
        }
        cookies
    }

    pub async fn stop(self) {
        self.process.stop().await;
    }
}

/// What a synthetic participant does.
pub enum Role {
    /// Publishes a camera; counts itself into `connected` once its link is.
    Publisher { connected: Arc<AtomicUsize> },
    /// Receives everyone's camera and counts what arrives.
    Subscriber(Arc<Received>),
}

/// One synthetic participant: joins the room's call over the real
/// signalling socket, and either publishes a synthetic camera or counts
/// what it receives.
pub async fn participant(api: Arc<API>, base: String, cookie: String, room: String, role: Role) {
    let publisher = matches!(role, Role::Publisher { .. });
    let url = format!("{}{SIGNAL_PATH}?room={room}", base.replacen("http", "ws", 1));
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
            tokio::spawn(peers::count_packets(track, received.clone(), joined_at));
            Box::pin(async {})
        })),
        Role::Publisher { connected } => publish.on_peer_connection_state_change(Box::new(move |state| {
            if state == RTCPeerConnectionState::Connected {
                connected.fetch_add(1, Ordering::Relaxed);
            }
            Box::pin(async {})
        })),
    }
    let camera = peers::camera_layers();
    if publisher {
        peers::add_camera(&publish, &camera).await;
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
