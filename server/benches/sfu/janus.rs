//! Driving Janus (videoroom plugin, HTTP API) with the same synthetic peers,
//! for a side-by-side comparison. Janus puts its candidates in its SDP and
//! we put ours in ours (no trickle), so a call is one offer and one answer.

use super::peers::{self, Received};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use webrtc::api::API;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::track::track_remote::TrackRemote;

pub const ROOM: u64 = 4242;
const EVENT_DEADLINE: Duration = Duration::from_secs(30);

pub struct Janus {
    http: reqwest::Client,
    url: String,
    transaction: AtomicU64,
}

/// One Janus session with one videoroom handle, and its event stream.
struct Handle {
    path: String,
    events: mpsc::UnboundedReceiver<Value>,
}

impl Janus {
    pub fn new(url: &str) -> Arc<Self> {
        Arc::new(Janus {
            http: anteroom_app::ssr::outbound_http::client_builder().build().unwrap(),
            url: url.trim_end_matches('/').to_string(),
            transaction: AtomicU64::new(1),
        })
    }

    async fn post(&self, path: &str, mut body: Value) -> Value {
        body["transaction"] = json!(format!("t{}", self.transaction.fetch_add(1, Ordering::Relaxed)));
        let response = self.http.post(format!("{}{path}", self.url)).json(&body).send().await.expect("Janus answers");
        let value: Value = response.json().await.expect("Janus answers JSON");
        assert!(value["janus"] != "error", "Janus refused {body}: {value}");
        value
    }

    /// A new session with a videoroom handle; its events arrive through a
    /// long poll that lasts as long as the session.
    async fn handle(self: &Arc<Self>) -> Handle {
        let session = self.post("", json!({"janus": "create"})).await["data"]["id"].as_u64().expect("session id");
        let attached =
            self.post(&format!("/{session}"), json!({"janus": "attach", "plugin": "janus.plugin.videoroom"})).await;
        let handle = attached["data"]["id"].as_u64().expect("handle id");
        let (sender, events) = mpsc::unbounded_channel();
        let janus = self.clone();
        tokio::spawn(async move {
            loop {
                let Ok(response) = janus.http.get(format!("{}/{session}?maxev=10", janus.url)).send().await else {
                    break;
                };
                let Ok(batch) = response.json::<Value>().await else { break };
                for event in batch.as_array().cloned().unwrap_or_default() {
                    if sender.send(event).is_err() {
                        return;
                    }
                }
            }
        });
        Handle { path: format!("/{session}/{handle}"), events }
    }

    /// Creates the uncapped VP8 room (or accepts that it exists).
    pub async fn create_room(self: &Arc<Self>, publishers: usize) {
        let handle = self.handle().await;
        let body = json!({"request": "create", "room": ROOM, "publishers": publishers + 1, "bitrate": 0,
            "fir_freq": 0, "videocodec": "vp8", "permanent": false});
        let answer = self.post(&handle.path, json!({"janus": "message", "body": body})).await;
        let data = &answer["plugindata"]["data"];
        assert!(data["videoroom"] == "created" || data["error_code"] == 427, "room not created: {answer}");
    }
}

impl Handle {
    /// The next plugin event that `wanted` accepts.
    async fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + EVENT_DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = tokio::time::timeout(left, self.events.recv())
                .await
                .expect("Janus event in time")
                .expect("session open");
            if let Some(error) = event["plugindata"]["data"].get("error") {
                panic!("Janus error: {error}");
            }
            if wanted(&event) {
                return event;
            }
        }
    }

    async fn hold(mut self) {
        while self.events.recv().await.is_some() {}
    }
}

/// Our SDP with all candidates in it (Janus does not need trickle).
async fn complete_description(pc: &RTCPeerConnection, description: RTCSessionDescription) -> String {
    let mut gathered = pc.gathering_complete_promise().await;
    pc.set_local_description(description).await.expect("local description");
    let _ = gathered.recv().await;
    pc.local_description().await.expect("local description").sdp
}

/// Publishes a synthetic camera; sends the feed id once Janus has it.
pub async fn publisher(janus: Arc<Janus>, api: Arc<API>, feeds: mpsc::UnboundedSender<u64>) {
    let mut handle = janus.handle().await;
    let join = json!({"request": "join", "ptype": "publisher", "room": ROOM, "display": "bench"});
    janus.post(&handle.path, json!({"janus": "message", "body": join})).await;
    let joined = handle.wait(|e| e["plugindata"]["data"]["videoroom"] == "joined").await;
    let feed = joined["plugindata"]["data"]["id"].as_u64().expect("feed id");

    let pc = api.new_peer_connection(RTCConfiguration::default()).await.unwrap();
    let camera = peers::camera_layers();
    // Janus reads the layers of an offer highest first (as its own
    // janus.js offers them); browsers and Anteroom lowest first.
    let highest_first: Vec<_> = camera.iter().rev().cloned().collect();
    peers::add_camera(&pc, &highest_first).await;
    let offer = pc.create_offer(None).await.unwrap();
    let sdp = complete_description(&pc, offer).await;
    let jsep = json!({"type": "offer", "sdp": sdp, "trickle": false});
    janus.post(&handle.path, json!({"janus": "message", "body": {"request": "publish"}, "jsep": jsep})).await;
    let answered = handle.wait(|e| e["jsep"]["type"] == "answer").await;
    let answer = answered["jsep"]["sdp"].as_str().expect("answer sdp").to_string();
    pc.set_remote_description(RTCSessionDescription::answer(answer).unwrap()).await.unwrap();
    tokio::spawn(peers::send_video(camera));
    let _ = feeds.send(feed);
    handle.hold().await;
    let _ = pc.close().await;
}

/// Subscribes to every feed in `feeds` and counts what arrives.
pub async fn subscriber(janus: Arc<Janus>, api: Arc<API>, feeds: Vec<u64>, received: Arc<Received>) {
    let joined_at = Instant::now();
    let mut handle = janus.handle().await;
    let streams: Vec<Value> = feeds.iter().map(|feed| json!({"feed": feed})).collect();
    let join = json!({"request": "join", "ptype": "subscriber", "room": ROOM, "streams": streams});
    janus.post(&handle.path, json!({"janus": "message", "body": join})).await;
    let attached = handle.wait(|e| e["jsep"]["type"] == "offer").await;
    let offer = attached["jsep"]["sdp"].as_str().expect("offer sdp").to_string();

    let pc = api.new_peer_connection(RTCConfiguration::default()).await.unwrap();
    pc.on_track(Box::new(move |track: Arc<TrackRemote>, _, _| {
        tokio::spawn(peers::count_packets(track, received.clone(), joined_at));
        Box::pin(async {})
    }));
    pc.set_remote_description(RTCSessionDescription::offer(offer).unwrap()).await.unwrap();
    let answer = pc.create_answer(None).await.unwrap();
    let sdp = complete_description(&pc, answer).await;
    let jsep = json!({"type": "answer", "sdp": sdp, "trickle": false});
    janus.post(&handle.path, json!({"janus": "message", "body": {"request": "start"}, "jsep": jsep})).await;
    handle.hold().await;
    let _ = pc.close().await;
}
