//! Door load benchmark: what a flood of guest knocks costs the members
//! inside, and what many open pages cost the server.
//!
//!     cargo bench -p anteroom-server --bench doors -- --seconds 10 --sockets 1000
//!
//! Starts the release `anteroom-server` as its own process with the demo
//! workspace on 127.0.0.1, then:
//!
//! 1. **Members' pages, quiet**: Grace walks between two rooms through the
//!    HTTP API and times until her own live socket reports the move (what
//!    every open office page waits for), 40 times.
//! 2. **Knock flood**: 32 workers open guest sockets for one room's invite
//!    link from 20 loopback addresses (127.0.0.1-20) and knock, as fast as
//!    the server answers, for `--seconds`; each outcome is counted (refused
//!    at the upgrade, refused after the knock, waiting). Grace's walks are
//!    timed again meanwhile.
//! 3. **Sign-in flood** (issue 32, 1): 120 sign-ins with one-MiB "emails"
//!    from one address; the answers, and the server's memory before, right
//!    after and 30 s later.
//! 4. **Idle connections** (issue 32, 3): 1,500 TCP connections from 16
//!    addresses that send nothing; the server's descriptors before, while
//!    they are held and once it let them go, and Grace's walks meanwhile.
//! 5. **Open pages**: `--sockets` live sockets are opened with Ada's
//!    session; the server's memory is read before and after, then one move
//!    of Grace's must reach every socket.
//!
//! Traffic goes only to 127.0.0.0/8. Every loop is bounded by time or count.

#[path = "../sfu/procstat.rs"]
mod procstat;
#[path = "../common/server_process.rs"]
mod server_process;

use anteroom_app::model::{MemberSummary, Office, Presence};
use anteroom_app::protocol::LiveEvent;
use anteroom_app::protocol::guest::{GuestEvent, guest_socket_path};
use anteroom_app::protocol::live::LIVE_PATH;
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use futures::{SinkExt, StreamExt};
use server_process::ServerProcess;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Knock workers at once, and the loopback addresses they knock from.
const WORKERS: usize = 32;
const SOURCE_ADDRESSES: u8 = 20;
/// Walks timed per phase.
const WALKS: usize = 40;
/// Most knock attempts in all, whatever `--seconds` says.
const MAX_KNOCKS: u64 = 500_000;

struct Options {
    seconds: u64,
    sockets: usize,
}

fn options() -> Options {
    let mut options = Options { seconds: 10, sockets: 1000 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{arg} needs a number"));
        match arg.as_str() {
            "--seconds" => options.seconds = value(),
            "--sockets" => options.sockets = value() as usize,
            // cargo bench passes --bench; nothing else is expected.
            _ => {}
        }
    }
    options
}

#[derive(Default)]
struct Outcomes {
    refused_at_upgrade: AtomicU64,
    refused_after_knock: AtomicU64,
    waiting: AtomicU64,
    other: AtomicU64,
}

impl Outcomes {
    fn total(&self) -> u64 {
        [&self.refused_at_upgrade, &self.refused_after_knock, &self.waiting, &self.other]
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .sum()
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    let server = ServerProcess::start(IpAddr::V4(Ipv4Addr::LOCALHOST), None, true).await;
    let ada = server.sign_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.sign_in("grace@example.com", DEMO_PASSWORD).await;
    let office: Office = server.call(Some(&ada), "load_office", &[]).await.0;
    let rooms: Vec<String> = office.rooms.iter().map(|room| room.id.to_string()).collect();
    let _: (Presence, _) = server.call(Some(&ada), "walk_into", &[("room", &rooms[0])]).await;
    let link: String = server.call(Some(&ada), "room_invite", &[("room", &rooms[0])]).await.0;
    let invite = link.rsplit('/').next().expect("a token at the end of the link").to_string();
    let mut graces_page = live_socket(&server.url, &grace).await;
    let grace_id = Some(server.call::<MemberSummary>(Some(&grace), "me", &[]).await.0.id);

    println!("Anteroom doors benchmark, server pid {}", server.pid());
    let quiet = time_walks(&server, &grace, &rooms[2..4], &mut graces_page, grace_id).await;
    println!("members' pages, quiet: a walk reaches the page in {}", summary(&quiet));

    let outcomes = Arc::new(Outcomes::default());
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let cpu_before = procstat::cpu_seconds(server.pid());
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let (url, invite, outcomes) = (server.url.clone(), invite.clone(), outcomes.clone());
        workers.push(tokio::spawn(async move {
            let mut attempt = worker;
            while Instant::now() < deadline && outcomes.total() < MAX_KNOCKS {
                let source = Ipv4Addr::new(127, 0, 0, 1 + (attempt % SOURCE_ADDRESSES as usize) as u8);
                knock(&url, &invite, source, &outcomes).await;
                attempt += WORKERS;
            }
        }));
    }
    let flooded = time_walks(&server, &grace, &rooms[2..4], &mut graces_page, grace_id).await;
    for worker in workers {
        worker.await.expect("a knock worker");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = (procstat::cpu_seconds(server.pid()) - cpu_before) / elapsed * 100.0;
    let count = |n: &AtomicU64| n.load(Ordering::Relaxed);
    let refused = count(&outcomes.refused_at_upgrade) + count(&outcomes.refused_after_knock);
    println!(
        "knock flood ({WORKERS} workers, {SOURCE_ADDRESSES} addresses, {elapsed:.1} s): {:.0} attempts/s, {:.0} refused/s \
         ({} at the upgrade, {} after the knock), {} let through to wait, {} other; server CPU {cpu:.0} % of a core, \
         RSS {} MiB",
        outcomes.total() as f64 / elapsed,
        refused as f64 / elapsed,
        count(&outcomes.refused_at_upgrade),
        count(&outcomes.refused_after_knock),
        count(&outcomes.waiting),
        count(&outcomes.other),
        procstat::rss_kib(server.pid()) / 1024,
    );
    println!("members' pages during the flood: a walk reaches the page in {}", summary(&flooded));

    sign_in_flood(&server).await;
    let idle = idle_connections(&server).await;
    let during = time_walks(&server, &grace, &rooms[2..4], &mut graces_page, grace_id).await;
    println!("members' pages while they are held: a walk reaches the page in {}", summary(&during));
    let let_go = Instant::now();
    while descriptors(&server) > idle.before + 20 && let_go.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "the server let them go within {:.1} s: {} descriptors",
        let_go.elapsed().as_secs_f64(),
        descriptors(&server)
    );
    drop(idle);

    let before = procstat::rss_kib(server.pid());
    let mut pages = Vec::with_capacity(options.sockets);
    for _ in 0..options.sockets {
        pages.push(live_socket(&server.url, &ada).await);
    }
    let after = procstat::rss_kib(server.pid());
    println!(
        "{} live sockets open: server RSS {} -> {} MiB, {} KiB per socket",
        pages.len(),
        before / 1024,
        after / 1024,
        after.saturating_sub(before) / pages.len().max(1) as u64,
    );
    let sent = Instant::now();
    let _: (Presence, _) = server.call(Some(&grace), "walk_into", &[("room", &rooms[4])]).await;
    let mut heard = Vec::new();
    for page in pages.iter_mut() {
        if wait_for_move(page, grace_id, Duration::from_secs(10)).await {
            heard.push(sent.elapsed());
        }
    }
    println!(
        "one move reached {}/{} open pages; the last within {} ms",
        heard.len(),
        pages.len(),
        heard.last().map_or(0, Duration::as_millis)
    );
    drop(pages);
    server.stop().await;
}

/// Issue 32, 1: 120 sign-ins with one-MiB emails from one address.
async fn sign_in_flood(server: &ServerProcess) {
    let http = server.client_from(Ipv4Addr::new(127, 0, 0, 50));
    let huge = "a".repeat(1 << 20) + "@example.com";
    let before = procstat::rss_kib(server.pid());
    let mut answers = std::collections::BTreeMap::<u16, usize>::new();
    for n in 0..120 {
        let form = [("email", format!("{n}{huge}")), ("password", "wrong".to_string())];
        let request = http.post(format!("{}/api/sign_in", server.url)).header("Origin", &server.url).form(&form);
        let status = request.send().await.map_or(0, |response| response.status().as_u16());
        *answers.entry(status).or_default() += 1;
    }
    let after = procstat::rss_kib(server.pid());
    tokio::time::sleep(Duration::from_secs(30)).await;
    let later = procstat::rss_kib(server.pid());
    println!(
        "sign-in flood (120 one-MiB emails, one address): answers {answers:?}; server RSS {} -> {} MiB, {} MiB 30 s later",
        before / 1024,
        after / 1024,
        later / 1024
    );
}

/// Idle connections held open, and the server's descriptors before.
struct IdleConnections {
    before: usize,
    _held: Vec<tokio::net::TcpStream>,
}

/// Issue 32, 3: 1,500 connections from 16 addresses that send nothing.
async fn idle_connections(server: &ServerProcess) -> IdleConnections {
    // This process needs as many descriptors as it opens.
    let _ = rlimit::increase_nofile_limit(4096);
    let address: SocketAddr = server.url.trim_start_matches("http://").parse().expect("the server's address");
    let before = descriptors(server);
    let mut held = Vec::with_capacity(1500);
    for n in 0..1500_u32 {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        let _ = socket.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 1, (n % 16) as u8 + 1)), 0));
        if let Ok(stream) = socket.connect(address).await {
            held.push(stream);
        }
    }
    let opened = Instant::now();
    while descriptors(server) < before + held.len() * 9 / 10 && opened.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "idle connections ({} from 16 addresses): server descriptors {before} -> {}",
        held.len(),
        descriptors(server)
    );
    IdleConnections { before, _held: held }
}

/// Descriptors the server holds now.
fn descriptors(server: &ServerProcess) -> usize {
    procstat::open_descriptors(server.pid())
}

/// Opens a live socket with `cookie` and reads its first snapshot.
async fn live_socket(base: &str, cookie: &str) -> Socket {
    let mut request = format!("{}{LIVE_PATH}", base.replacen("http", "ws", 1)).into_client_request().unwrap();
    request.headers_mut().insert("cookie", cookie.parse().unwrap());
    let mut socket = connect(base, request, None).await.expect("the live socket opens");
    let first = tokio::time::timeout(Duration::from_secs(10), socket.next()).await;
    assert!(matches!(first, Ok(Some(Ok(Message::Text(_))))), "a snapshot first");
    socket
}

async fn connect(
    base: &str,
    request: tokio_tungstenite::tungstenite::handshake::client::Request,
    source: Option<Ipv4Addr>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let address: SocketAddr = base.trim_start_matches("http://").parse().expect("a loopback socket address");
    let tcp = tokio::net::TcpSocket::new_v4()?;
    if let Some(source) = source {
        tcp.bind(SocketAddr::from((source, 0)))?;
    }
    let stream = tcp.connect(address).await?;
    let (socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await?;
    Ok(socket)
}

/// One guest: opens the invite's socket from `source`, knocks, and counts
/// what the server answered; the socket closes (withdrawing the knock).
async fn knock(base: &str, invite: &str, source: Ipv4Addr, outcomes: &Outcomes) {
    let request = format!("{}{}", base.replacen("http", "ws", 1), guest_socket_path(invite)).into_client_request();
    let Ok(mut socket) = connect(base, request.unwrap(), Some(source)).await else {
        outcomes.refused_at_upgrade.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let knock = serde_json::json!({ "type": "knock", "name": "Flood", "email": "flood@example.org" });
    if socket.send(Message::Text(knock.to_string().into())).await.is_err() {
        outcomes.other.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let answer = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
    let counter = match answer {
        Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str::<GuestEvent>(&text) {
            Ok(GuestEvent::Refused { .. }) => &outcomes.refused_after_knock,
            Ok(GuestEvent::Waiting) => &outcomes.waiting,
            _ => &outcomes.other,
        },
        _ => &outcomes.other,
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Grace walks back and forth between `rooms`; each time, how long until
/// her own page hears of it.
async fn time_walks(
    server: &ServerProcess,
    grace: &str,
    rooms: &[String],
    page: &mut Socket,
    grace_id: Option<anteroom_app::model::MemberId>,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(WALKS);
    for walk in 0..WALKS {
        let started = Instant::now();
        let _: (Presence, _) = server.call(Some(grace), "walk_into", &[("room", &rooms[walk % rooms.len()])]).await;
        if wait_for_move(page, grace_id, Duration::from_secs(10)).await {
            times.push(started.elapsed());
        }
    }
    times.sort();
    times
}

/// Reads `page` until it reports a move of `member`, within `limit`.
async fn wait_for_move(page: &mut Socket, member: Option<anteroom_app::model::MemberId>, limit: Duration) -> bool {
    let wait = async {
        while let Some(Ok(message)) = page.next().await {
            let Message::Text(text) = message else { continue };
            if let Ok(LiveEvent::Moved { presence }) = serde_json::from_str::<LiveEvent>(&text)
                && Some(presence.member.id) == member
            {
                return true;
            }
        }
        false
    };
    tokio::time::timeout(limit, wait).await.unwrap_or(false)
}

/// Median, 95th percentile and worst of sorted `times`, in milliseconds.
fn summary(times: &[Duration]) -> String {
    let at = |share: f64| times.get(((times.len() as f64 - 1.0) * share).round() as usize).map_or(0.0, ms);
    format!(
        "{:.1} ms median, {:.1} ms p95, {:.1} ms worst ({} of {WALKS} heard)",
        at(0.5),
        at(0.95),
        times.last().map_or(0.0, ms),
        times.len()
    )
}

fn ms(duration: &Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
