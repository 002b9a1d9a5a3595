//! SFU load benchmark: starts the real `anteroom-server` (release build) as
//! its own process, signs in synthetic members, puts them in one room, and
//! drives the real signalling and WebRTC path with `webrtc` crate clients:
//! P publishers each send a synthetic VP8 stream; S subscribers receive
//! every publisher. Reports forwarded packets per second, the server's CPU
//! and memory, loss, and time from joining to the first forwarded packet.
//!
//!     cargo bench -p anteroom-server --bench sfu -- --subscribers 50 --seconds 20
//!
//! All traffic stays on 127.0.0.1. Every wait is bounded; the run stops by
//! itself.

use anteroom_app::model::{MemberSummary, Office, Presence};
use anteroom_app::protocol::signal::{IceCandidate, Link, SIGNAL_PATH, SignalEvent, SignalRequest};
use futures::{SinkExt, StreamExt};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
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
use webrtc::rtp_transceiver::rtp_codec::RTCRtpCodecCapability;
use webrtc::track::track_local::TrackLocalWriter;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;
use webrtc::track::track_remote::TrackRemote;

const PASSWORD: &str = "bench-password";
/// Synthetic video: 30 frames a second, 3 packets of 1,100 bytes each
/// (about 800 kbit/s, a typical 360p camera).
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
const PACKETS_PER_FRAME: u16 = 3;
const PAYLOAD_BYTES: usize = 1100;
/// How long everyone may take to join and receive a first packet.
const JOIN_DEADLINE: Duration = Duration::from_secs(60);

struct Options {
    publishers: usize,
    subscribers: usize,
    seconds: u64,
}

fn options() -> Options {
    let mut options = Options { publishers: 1, subscribers: 20, seconds: 15 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--publishers" => options.publishers = value("--publishers") as usize,
            "--subscribers" => options.subscribers = value("--subscribers") as usize,
            "--seconds" => options.seconds = value("--seconds"),
            "--bench" => {}
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    assert!(options.publishers >= 1 && options.subscribers >= 1, "need at least one publisher and one subscriber");
    assert!(options.subscribers <= 200 && options.seconds <= 300, "bounded: at most 200 subscribers and 300 s");
    options
}

/// What one synthetic subscriber saw.
#[derive(Default)]
struct Received {
    packets: AtomicU64,
    bytes: AtomicU64,
    /// Highest extended sequence number and first one, per track, for loss.
    sequence: Mutex<Vec<(u64, u64, u64)>>,
    first_packet: OnceLock<Duration>,
}

#[tokio::main]
async fn main() {
    let options = options();
    let mut server = BenchServer::start().await;
    let members = server.members(options.publishers + options.subscribers).await;
    let api = Arc::new(client_api());

    println!(
        "SFU bench (anteroom): {} publisher(s) -> {} subscriber(s), {} s measured, on {} cores",
        options.publishers,
        options.subscribers,
        options.seconds,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let (publishers, subscribers) = members.split_at(options.publishers);
    let mut tasks = Vec::new();
    for cookie in publishers {
        let (api, url, cookie, room) = (api.clone(), server.url.clone(), cookie.clone(), server.room.clone());
        tasks.push(tokio::spawn(async move { participant(api, url, cookie, room, true, Arc::default()).await }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let baseline_rss = server.rss_kib();
    let mut stats = Vec::new();
    for cookie in subscribers {
        let received = Arc::new(Received::default());
        stats.push(received.clone());
        let (api, url, cookie, room) = (api.clone(), server.url.clone(), cookie.clone(), server.room.clone());
        tasks.push(tokio::spawn(async move { participant(api, url, cookie, room, false, received).await }));
    }

    let deadline = Instant::now() + JOIN_DEADLINE;
    let everyone_receives = || {
        stats
            .iter()
            .all(|s| s.sequence.lock().unwrap().iter().filter(|track| track.2 > 0).count() >= options.publishers)
    };
    while !everyone_receives() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let joined = stats.iter().filter(|s| s.first_packet.get().is_some()).count();

    let packets_before: u64 = stats.iter().map(|s| s.packets.load(Ordering::Relaxed)).sum();
    let cpu_before = server.cpu_seconds();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = (server.cpu_seconds() - cpu_before) / elapsed;
    let packets: u64 = stats.iter().map(|s| s.packets.load(Ordering::Relaxed)).sum::<u64>() - packets_before;
    let rss = server.rss_kib();

    let (mut expected, mut got) = (0u64, 0u64);
    for s in &stats {
        for (first, highest, count) in s.sequence.lock().unwrap().iter() {
            expected += highest - first + 1;
            got += count;
        }
    }
    let loss = if expected == 0 { 100.0 } else { 100.0 * expected.saturating_sub(got) as f64 / expected as f64 };
    let mut first_frames: Vec<Duration> = stats.iter().filter_map(|s| s.first_packet.get().copied()).collect();
    first_frames.sort();
    let percentile = |p: f64| {
        first_frames
            .get(((first_frames.len() as f64 - 1.0) * p).round() as usize)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    let per_subscriber_kib = rss.saturating_sub(baseline_rss) as f64 / options.subscribers as f64;

    println!("  subscribers receiving        {joined} of {}", options.subscribers);
    println!("  forwarded packets/s          {:.0}", packets as f64 / elapsed);
    println!(
        "  forwarded bit/s              {:.1} Mbit/s",
        stats.iter().map(|s| s.bytes.load(Ordering::Relaxed)).sum::<u64>() as f64 * 8.0 / 1e6 / (elapsed + 1.0)
    );
    println!("  server CPU                   {:.1} % of one core", cpu * 100.0);
    println!("  subscribers per core         {:.0}", options.subscribers as f64 / cpu.max(1e-9));
    println!(
        "  server memory                {:.1} MiB ({:.0} KiB per subscriber)",
        rss as f64 / 1024.0,
        per_subscriber_kib
    );
    println!("  loss                         {loss:.3} %");
    println!("  join -> first packet         median {:.0} ms, p95 {:.0} ms", percentile(0.5), percentile(0.95));

    for task in tasks {
        task.abort();
    }
    server.stop().await;
}

/// The server under test, as its own process.
struct BenchServer {
    child: tokio::process::Child,
    url: String,
    room: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl BenchServer {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_anteroom-server"))
            .env("ANTEROOM_LISTEN", "127.0.0.1:0")
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
        BenchServer { child, url, room: String::new(), http, _dir: dir }
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
    async fn members(&mut self, count: usize) -> Vec<String> {
        let (_, admin) = self
            .call::<()>(
                None,
                "sign_up",
                &[
                    ("workspace_name", "Bench"),
                    ("name", "Admin"),
                    ("email", "admin@bench.test"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        let admin = admin.expect("a session cookie");
        let office: Office = self.call(Some(&admin), "load_office", &[]).await.0;
        self.room = office.rooms[0].id.to_string();
        let mut cookies = Vec::new();
        for n in 0..count {
            let email = format!("member{n}@bench.test");
            let _: (MemberSummary, _) = self
                .call(
                    Some(&admin),
                    "add_member",
                    &[("name", &format!("Member {n}")), ("email", &email), ("password", PASSWORD)],
                )
                .await;
            let (_, cookie) = self.call::<()>(None, "sign_in", &[("email", &email), ("password", PASSWORD)]).await;
            let cookie = cookie.expect("a session cookie");
            let _: (Presence, _) = self.call(Some(&cookie), "walk_into", &[("room", &self.room)]).await;
            cookies.push(cookie);
        }
        cookies
    }

    fn stat_fields(&self) -> Vec<String> {
        let pid = self.child.id().expect("running");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the parenthesised command name.
        stat.rsplit_once(") ")
            .map(|(_, rest)| rest.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// User plus system CPU seconds the server has used.
    fn cpu_seconds(&self) -> f64 {
        let fields = self.stat_fields();
        let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
        ticks / clock_ticks_per_second()
    }

    fn rss_kib(&self) -> u64 {
        let pid = self.child.id().expect("running");
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The clients' WebRTC engine: loopback only, like the server under test.
fn client_api() -> API {
    let mut media = MediaEngine::default();
    media.register_default_codecs().expect("codecs");
    let interceptors = register_default_interceptors(Registry::new(), &mut media).expect("interceptors");
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

/// One synthetic participant: joins the room's call over the real
/// signalling socket, publishes a synthetic camera if `publisher`, and
/// counts what it receives into `received`.
async fn participant(
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
        let received = received.clone();
        tokio::spawn(count_packets(track, received, joined_at));
        Box::pin(async {})
    }));
    let camera = Arc::new(TrackLocalStaticRTP::new(
        RTCRtpCodecCapability { mime_type: MIME_TYPE_VP8.to_string(), clock_rate: 90000, ..Default::default() },
        "video".into(),
        "bench-camera".into(),
    ));
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
                tokio::spawn(send_video(camera.clone()));
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

/// Sends synthetic VP8 frames until the track is dropped.
async fn send_video(track: Arc<TrackLocalStaticRTP>) {
    let mut ticker = tokio::time::interval(FRAME_INTERVAL);
    let (mut sequence, mut timestamp) = (0u16, 0u32);
    let payload = bytes::Bytes::from(vec![0x10u8; PAYLOAD_BYTES]);
    loop {
        ticker.tick().await;
        for index in 0..PACKETS_PER_FRAME {
            let mut packet = Packet { payload: payload.clone(), ..Default::default() };
            packet.header.version = 2;
            packet.header.sequence_number = sequence;
            packet.header.timestamp = timestamp;
            packet.header.marker = index + 1 == PACKETS_PER_FRAME;
            sequence = sequence.wrapping_add(1);
            if track.write_rtp(&packet).await.is_err() {
                return;
            }
        }
        timestamp = timestamp.wrapping_add(3000);
    }
}

/// Counts packets and sequence-number coverage of one received track.
async fn count_packets(track: Arc<TrackRemote>, received: Arc<Received>, joined_at: Instant) {
    let mut buffer = vec![0u8; 1600];
    let slot = {
        let mut sequence = received.sequence.lock().unwrap();
        sequence.push((0, 0, 0));
        sequence.len() - 1
    };
    let mut extended: Option<u64> = None;
    while let Ok((packet, _)) = track.read(&mut buffer).await {
        let _ = received.first_packet.set(joined_at.elapsed());
        received.packets.fetch_add(1, Ordering::Relaxed);
        received.bytes.fetch_add(packet.payload.len() as u64, Ordering::Relaxed);
        let seq = packet.header.sequence_number as u64;
        let next = match extended {
            None => seq,
            Some(last) => {
                // Unwrap the 16-bit counter relative to the last value seen.
                let candidate = (last & !0xffff) | seq;
                if candidate + 0x8000 < last {
                    candidate + 0x10000
                } else if candidate > last + 0x8000 && candidate >= 0x10000 {
                    candidate - 0x10000
                } else {
                    candidate
                }
            }
        };
        let mut sequence = received.sequence.lock().unwrap();
        let entry = &mut sequence[slot];
        if extended.is_none() {
            *entry = (next, next, 0);
        }
        entry.1 = entry.1.max(next);
        entry.2 += 1;
        extended = Some(next.max(extended.unwrap_or(next)));
    }
}
