//! Driving Anteroom: the real server as its own process, members signed in
//! through the HTTP API, participants on the real signalling socket.

use super::peers::{self, Received};
use anteroom_app::model::{MemberSummary, Office, Presence};
use anteroom_app::protocol::signal::{IceCandidate, Link, SIGNAL_PATH, SignalEvent, SignalRequest};
use futures::{SinkExt, StreamExt};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use webrtc::api::API;
use webrtc::ice_transport::ice_candidate::{RTCIceCandidate, RTCIceCandidateInit};
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::track::track_remote::TrackRemote;

const PASSWORD: &str = "bench-password";

/// The server under test, as its own process.
pub struct AnteroomServer {
    child: tokio::process::Child,
    pub url: String,
    pub room: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl AnteroomServer {
    /// Starts the release server on `ip`, inside network namespace `netns`
    /// when given (`ip netns exec` execs it, so its pid is the server's).
    pub async fn start(ip: IpAddr, netns: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = env!("CARGO_BIN_EXE_anteroom-server");
        let mut command = match netns {
            Some(netns) => {
                let mut command = tokio::process::Command::new("ip");
                command.args(["netns", "exec", netns, server]);
                command
            }
            None => tokio::process::Command::new(server),
        };
        let mut child = command
            .env("ANTEROOM_LISTEN", format!("{ip}:0"))
            .env("ANTEROOM_MEDIA_PORT", "0")
            .env("ANTEROOM_DEMO_DATA", "false")
            .env("DATABASE_URL", format!("sqlite://{}/bench.db", dir.path().display()))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.split("listening on ").nth(1) {
                    return url.trim().to_string();
                }
            }
            panic!("the server exited before listening");
        })
        .await
        .expect("the server listens within 30 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        AnteroomServer { child, url, room: String::new(), http, _dir: dir }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        cookie: Option<&str>,
        function: &str,
        args: &[(&str, &str)],
    ) -> (T, Option<String>) {
        let mut request =
            self.http.post(format!("{}/api/{function}", self.url)).header("Accept", "application/json").form(args);
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        let response = request.send().await.expect("server answers");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().to_string());
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success() || status.is_redirection(), "{function} failed: {status} {body}");
        let body = if body.is_empty() { "null" } else { &body };
        (serde_json::from_str(body).unwrap_or_else(|e| panic!("{function}: {e}: {body}")), cookie)
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
            let cookie = self.call::<()>(None, "sign_in", &[("email", &email), ("password", PASSWORD)]).await.1;
            let cookie = cookie.expect("a session cookie");
            let _: (Presence, _) = self.call(Some(&cookie), "walk_into", &[("room", &self.room)]).await;
            cookies.push(cookie);
        }
        cookies
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// One synthetic participant: joins the room's call over the real
/// signalling socket, publishes a synthetic camera if `publisher`, and
/// counts what it receives into `received`.
pub async fn participant(
    api: Arc<API>,
    base: String,
    cookie: String,
    room: String,
    publisher: bool,
    received: Arc<Received>,
) {
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
    subscribe.on_track(Box::new(move |track: Arc<TrackRemote>, _, _| {
        tokio::spawn(peers::count_packets(track, received.clone(), joined_at));
        Box::pin(async {})
    }));
    let camera = peers::camera_track();
    if publisher {
        publish.add_track(camera.clone()).await.expect("camera track");
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
            SignalEvent::SubscribeOffer { sdp } => {
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
