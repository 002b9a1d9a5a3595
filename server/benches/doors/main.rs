//! Door load benchmark: what a flood of guest knocks costs the members
//! inside, and what many open pages cost the server.
//!
//!     cargo bench -p anteroom-server --bench doors -- --seconds 10 --sockets 1000
//!     cargo bench -p anteroom-server --bench doors -- --chat-only --chat-seconds 43
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
//! 6. **Chat flood** (issue 32, 2), on a fresh server of its own so its
//!    memory and database start from the demo's: Grace, admin of the
//!    client-calls meeting channel, has its notes emailed to guests and to
//!    herself and is in its call; two guests come in by its link from two
//!    addresses and send 2,000-character chat messages as fast as the
//!    signalling allowance takes them, for `--chat-seconds` (43, as the
//!    issue's). Grace's chat round trip and office loads are timed before
//!    and meanwhile; once everyone left: the database's growth, the notes
//!    emails' sizes, the server's memory at its peak and after, and the
//!    size of the past call's answer. `--chat-only` runs this phase alone.
//!
//! Traffic goes only to 127.0.0.0/8. Every loop is bounded by time or count.

#[path = "../sfu/procstat.rs"]
mod procstat;
#[path = "../common/server_process.rs"]
mod server_process;

use anteroom_app::model::ConferenceId;
use anteroom_app::model::{CallLines, LinesCursor, MemberSummary, Office, PastCall, PastCallDetails, Presence};
use anteroom_app::protocol::LiveEvent;
use anteroom_app::protocol::guest::{GuestEvent, guest_socket_path};
use anteroom_app::protocol::live::LIVE_PATH;
use anteroom_app::protocol::signal::{MAX_CHAT_CHARS, ParticipantId, SignalEvent, pass_protocol};
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

/// The chat flood's guests, and how often each sends: the signalling
/// allowance (50 messages a second), the pace issue 32's prober kept;
/// faster, the excess is dropped before it is read as chat at all.
const FLOOD_GUESTS: u8 = 2;
const FLOOD_PACE: Duration = Duration::from_millis(20);
/// Grace's chat round trips timed before the flood: most of her burst of
/// 10, leaving one or two for the first during it.
const QUIET_CHATS: usize = 8;
/// Between Grace's messages during the flood: a little slower than the
/// one a second she earns, so that none of hers is refused for pace.
const CHAT_GAP: Duration = Duration::from_millis(1200);
/// Between Grace's office loads: a page opened or refreshed now and then,
/// not a load of its own.
const OFFICE_LOAD_GAP: Duration = Duration::from_millis(200);
/// How long replies to the last messages sent are waited for.
const REPLIES: Duration = Duration::from_secs(2);

struct Options {
    seconds: u64,
    sockets: usize,
    chat_seconds: u64,
    chat_only: bool,
}

fn options() -> Options {
    let mut options = Options { seconds: 10, sockets: 1000, chat_seconds: 43, chat_only: false };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{arg} needs a number"));
        match arg.as_str() {
            "--seconds" => options.seconds = value(),
            "--sockets" => options.sockets = value() as usize,
            "--chat-seconds" => options.chat_seconds = value(),
            "--chat-only" => options.chat_only = true,
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
    if !options.chat_only {
        doors_and_pages(&options).await;
    }
    chat_flood(Duration::from_secs(options.chat_seconds)).await;
}

/// Phases 1 to 5, on one server.
async fn doors_and_pages(options: &Options) {
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
    println!("members' pages, quiet: a walk reaches the page in {}", summary(&quiet, WALKS));

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
    println!("members' pages during the flood: a walk reaches the page in {}", summary(&flooded, WALKS));

    sign_in_flood(&server).await;
    let idle = idle_connections(&server).await;
    let during = time_walks(&server, &grace, &rooms[2..4], &mut graces_page, grace_id).await;
    println!("members' pages while they are held: a walk reaches the page in {}", summary(&during, WALKS));
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

/// Issue 32, 2: two guests of a meeting channel flood its call's chat;
/// what it costs the database, the notes mail, the server's memory and
/// Past calls once the call is over, and Grace's pages meanwhile.
async fn chat_flood(seconds: Duration) {
    // The guests stay 43 s, less than the minute after which guests get
    // the notes by default: without the stay, the flood's notes would not
    // be written at all and their size not shown.
    let settings = [("ANTEROOM_GUEST_NOTES_MIN_STAY_SECS", "0")];
    let server = ServerProcess::start_with_env(IpAddr::V4(Ipv4Addr::LOCALHOST), true, &settings).await;
    let grace = server.sign_in("grace@example.com", DEMO_PASSWORD).await;
    let office: Office = server.call(Some(&grace), "load_office", &[]).await.0;
    let channel = office.channels.iter().find(|c| c.name == "client-calls").expect("client-calls in the demo").id;
    let channel_arg = channel.to_string();
    let on = [("channel", channel_arg.as_str()), ("on", "true")];
    let _: ((), _) = server.call(Some(&grace), "set_guest_notes", &on).await;
    // Her own copy (of the whole call, where a guest's is of their part)
    // is sent after the guests': once it is out, so are theirs.
    let _: ((), _) = server.call(Some(&grace), "set_notes_to_me", &on).await;
    let link: String = server.call(Some(&grace), "external_link", &[("channel", &channel_arg)]).await.0;
    let token = link.rsplit('/').next().expect("a token at the end of the link").to_string();
    let path = ConferenceId::Channel(channel).signal_path();

    let mut request = format!("{}{path}", server.url.replacen("http", "ws", 1)).into_client_request().unwrap();
    request.headers_mut().insert("cookie", grace.parse().unwrap());
    let mut graces_call = connect(&server.url, request, None).await.expect("Grace joins the call");
    let Some(SignalEvent::Welcome { me, .. }) = next_json(&mut graces_call).await else { panic!("Grace is welcomed") };

    println!("chat flood, server pid {}", server.pid());
    let (quiet_chats, tried) = chat_round_trips(&mut graces_call, me, QUIET_CHATS, Duration::ZERO, None).await;
    println!("members' pages, quiet: a chat message of Grace's comes back in {}", summary(&quiet_chats, tried));
    let quiet_loads = office_loads(&server, &grace, WALKS, None).await;
    println!("members' pages, quiet: her office loads in {}", summary(&quiet_loads, quiet_loads.len()));

    let database_before = checkpointed_database_bytes(&server).await;
    let rss_before = procstat::rss_kib(server.pid());
    let descriptors_before = descriptors(&server);
    let peaks = Peaks::watch(server.pid());
    let until = Instant::now() + seconds;
    let guests: Vec<_> =
        (0..FLOOD_GUESTS).map(|n| tokio::spawn(flooding_guest(server.url.clone(), token.clone(), n, until))).collect();
    let ((flooded_chats, tried), flooded_loads) = tokio::join!(
        chat_round_trips(&mut graces_call, me, usize::MAX, CHAT_GAP, Some(until)),
        office_loads(&server, &grace, usize::MAX, Some(until)),
    );
    let mut outcomes = ChatOutcomes::default();
    for guest in guests {
        outcomes.add(guest.await.expect("a guest"));
    }
    // The last one out ends the call, and its notes are written.
    drop(graces_call);
    let left = Instant::now();
    let notes = notes_sent(&server).await;
    let notes_after = left.elapsed();
    let (rss_peak, descriptors_peak) = peaks.stop().await;
    let rss_after = procstat::rss_kib(server.pid());
    let database_with_log = database_bytes(&server);
    let database_after = checkpointed_database_bytes(&server).await;

    let past: Vec<PastCall> = server.call(Some(&grace), "past_calls", &[("channel", &channel_arg)]).await.0;
    let call = past.iter().max_by_key(|call| call.ended_at).expect("the flooded call, ended").id.to_string();
    let (answer, _): (serde_json::Value, _) = server.call(Some(&grace), "open_past_call", &[("call", &call)]).await;
    let answer_bytes = answer.to_string().len();
    let details: PastCallDetails = serde_json::from_value(answer).expect("a past call");
    let first_page = details.chat.lines.len();
    let stored = stored_chat(&server, &grace, &call, details.chat).await;

    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "chat flood ({FLOOD_GUESTS} guests, {:.0} s, {MAX_CHAT_CHARS}-character messages every {} ms each): {} sent, \
         {} passed, {} refused for pace, {} dropped by the signalling allowance, {} refused otherwise{}",
        seconds.as_secs_f64(),
        FLOOD_PACE.as_millis(),
        outcomes.sent,
        outcomes.passed,
        outcomes.too_fast,
        outcomes.dropped,
        outcomes.other,
        outcomes.other_reason.as_deref().map(|reason| format!(" (\"{reason}\")")).unwrap_or_default(),
    );
    println!(
        "members' pages during the chat flood: a chat message of Grace's comes back in {}",
        summary(&flooded_chats, tried)
    );
    println!(
        "members' pages during the chat flood: her office loads in {}",
        summary(&flooded_loads, flooded_loads.len())
    );
    println!(
        "after the call: database {:.2} -> {:.2} MiB (+{:.2} MiB kept; +{:.2} MiB with the WAL as it stood); \
         {stored} chat messages stored; server RSS {} MiB before, {} MiB at the peak, {} MiB once the notes \
         were sent ({:.1} s after the last left); descriptors {descriptors_before}, {descriptors_peak} at the peak",
        mib(database_before),
        mib(database_after),
        mib(database_after.saturating_sub(database_before)),
        mib(database_with_log.saturating_sub(database_before)),
        rss_before / 1024,
        rss_peak / 1024,
        rss_after / 1024,
        notes_after.as_secs_f64(),
    );
    for (to, bytes) in &notes {
        println!("notes email to {to}: {:.1} KiB", *bytes as f64 / 1024.0);
    }
    println!(
        "open_past_call answers {:.1} KiB: {} chat messages of {stored}, the rest by past_call_lines",
        answer_bytes as f64 / 1024.0,
        first_page
    );
    server.stop().await;
}

/// What came back to the chat flood's guests.
#[derive(Default)]
struct ChatOutcomes {
    sent: u64,
    /// Stored and passed on to everyone (each guest hears its own back).
    passed: u64,
    /// Refused by the pace of chat per participant.
    too_fast: u64,
    /// Dropped by the signalling socket's allowance, before being read.
    dropped: u64,
    /// Refused for another reason (the call's chat is full), the last one said.
    other: u64,
    other_reason: Option<String>,
}

impl ChatOutcomes {
    fn add(&mut self, guest: ChatOutcomes) {
        self.sent += guest.sent;
        self.passed += guest.passed;
        self.too_fast += guest.too_fast;
        self.dropped += guest.dropped;
        self.other += guest.other;
        self.other_reason = guest.other_reason.or(self.other_reason.take());
    }
}

/// Guest `n` of the chat flood: knocks at the channel's link from its own
/// address (a meeting channel lets its guests in at once), joins the call
/// with the pass it is given, sends the longest chat message every
/// [`FLOOD_PACE`] until `until`, and counts what the call answers; both
/// its sockets are read throughout (the server drops a participant who
/// stops reading) and close when it is done, which is its leaving.
async fn flooding_guest(base: String, token: String, n: u8, until: Instant) -> ChatOutcomes {
    let source = Ipv4Addr::new(127, 0, 4, n + 1);
    let ws = base.replacen("http", "ws", 1);
    let request = format!("{ws}{}", guest_socket_path(&token)).into_client_request().unwrap();
    let mut lobby = connect(&base, request, Some(source)).await.expect("the link's page opens");
    let knock =
        serde_json::json!({ "type": "knock", "name": format!("Flood {n}"), "email": format!("flood{n}@example.org") });
    lobby.send(Message::Text(knock.to_string().into())).await.expect("the knock is sent");
    let Some(GuestEvent::Admitted { pass, conference }) = next_json(&mut lobby).await else {
        panic!("a meeting channel's guest is let in at once")
    };
    let mut request = format!("{ws}{}", conference.signal_path()).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", pass_protocol(&pass).parse().unwrap());
    let mut call = connect(&base, request, Some(source)).await.expect("the guest joins the call");
    let Some(SignalEvent::Welcome { me, .. }) = next_json(&mut call).await else { panic!("the guest is welcomed") };

    let (mut sender, mut receiver) = call.split();
    let chat = serde_json::json!({ "type": "chat", "text": "x".repeat(MAX_CHAT_CHARS) }).to_string();
    let send = async {
        let mut sent = 0;
        let mut pace = tokio::time::interval(FLOOD_PACE);
        while Instant::now() < until {
            pace.tick().await;
            if sender.send(Message::Text(chat.clone().into())).await.is_err() {
                break;
            }
            sent += 1;
        }
        sent
    };
    let last = tokio::time::Instant::from_std(until + REPLIES);
    let hear = async {
        let mut outcomes = ChatOutcomes::default();
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(last, receiver.next()).await {
            let Message::Text(text) = message else { continue };
            match serde_json::from_str::<SignalEvent>(&text) {
                Ok(SignalEvent::Chat { message }) if message.from == me => outcomes.passed += 1,
                Ok(SignalEvent::Error { reason }) if reason.contains("too fast") => outcomes.too_fast += 1,
                Ok(SignalEvent::Error { reason }) if reason.starts_with("Too many messages") => outcomes.dropped += 1,
                Ok(SignalEvent::Error { reason }) => {
                    outcomes.other += 1;
                    outcomes.other_reason = Some(reason);
                }
                _ => {}
            }
        }
        outcomes
    };
    let hold_the_visit = async { while let Ok(Some(Ok(_))) = tokio::time::timeout_at(last, lobby.next()).await {} };
    let (sent, mut outcomes, ()) = tokio::join!(send, hear, hold_the_visit);
    outcomes.sent = sent;
    outcomes
}

/// Reads `socket` until a text message that is a `T`, within 10 s.
async fn next_json<T: serde::de::DeserializeOwned>(socket: &mut Socket) -> Option<T> {
    let wait = async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message
                && let Ok(event) = serde_json::from_str(&text)
            {
                return Some(event);
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.ok().flatten()
}

/// Grace's chat round trips in her call: a short message every `gap`
/// (`most` of them, or until `until`), each timed until the call passes it
/// back to her, as her page waits to show it; in between she reads
/// whatever else the call says, as her page does. The times, sorted, and
/// how many were sent.
async fn chat_round_trips(
    call: &mut Socket,
    me: ParticipantId,
    most: usize,
    gap: Duration,
    until: Option<Instant>,
) -> (Vec<Duration>, usize) {
    let mut times = Vec::new();
    let mut sent = 0;
    while sent < most && until.is_none_or(|until| Instant::now() < until) {
        let text = format!("round trip {sent}");
        let started = Instant::now();
        let message = serde_json::json!({ "type": "chat", "text": text }).to_string();
        if call.send(Message::Text(message.into())).await.is_err() {
            break;
        }
        sent += 1;
        if own_chat_back(call, me, &text).await {
            times.push(started.elapsed());
        }
        let next = tokio::time::Instant::from_std(started + gap);
        while let Ok(Some(Ok(_))) = tokio::time::timeout_at(next, call.next()).await {}
    }
    times.sort();
    (times, sent)
}

/// Reads `call` until `me`'s chat message `text` comes back (true), it is
/// refused, or 10 s pass.
async fn own_chat_back(call: &mut Socket, me: ParticipantId, text: &str) -> bool {
    let wait = async {
        while let Some(Ok(message)) = call.next().await {
            let Message::Text(event) = message else { continue };
            match serde_json::from_str::<SignalEvent>(&event) {
                Ok(SignalEvent::Chat { message }) if message.from == me && message.text == text => return true,
                Ok(SignalEvent::Error { .. }) => return false,
                _ => {}
            }
        }
        false
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.unwrap_or(false)
}

/// Grace's office page loading (what opening or refreshing it asks the
/// server), every [`OFFICE_LOAD_GAP`]: `most` times, or until `until`.
async fn office_loads(server: &ServerProcess, grace: &str, most: usize, until: Option<Instant>) -> Vec<Duration> {
    let mut times = Vec::new();
    while times.len() < most && until.is_none_or(|until| Instant::now() < until) {
        let started = Instant::now();
        let _: (Office, _) = server.call(Some(grace), "load_office", &[]).await;
        times.push(started.elapsed());
        tokio::time::sleep(OFFICE_LOAD_GAP).await;
    }
    times.sort();
    times
}

/// The server's largest resident memory (KiB) and descriptor count seen,
/// read from `/proc` every 50 ms: a peak while the notes are written may
/// last less than a second.
struct Peaks {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<(u64, usize)>,
}

impl Peaks {
    fn watch(pid: u32) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let (mut rss, mut descriptors, mut last) = (0, 0, false);
            // Read once more when told to stop: the peak is at least the end.
            while !last {
                rss = rss.max(procstat::rss_kib(pid));
                descriptors = descriptors.max(procstat::open_descriptors(pid));
                last = tokio::select! {
                    _ = &mut stopped => true,
                    () = tokio::time::sleep(Duration::from_millis(50)) => false,
                };
            }
            (rss, descriptors)
        });
        Peaks { stop, task }
    }

    async fn stop(self) -> (u64, usize) {
        let _ = self.stop.send(());
        self.task.await.expect("the memory watch")
    }
}

/// The database's bytes on disk: its file and its write-ahead log (WAL),
/// where new rows are until a checkpoint moves them.
fn database_bytes(server: &ServerProcess) -> u64 {
    ["bench.db", "bench.db-wal"]
        .iter()
        .filter_map(|name| std::fs::metadata(server.dir.path().join(name)).ok())
        .map(|file| file.len())
        .sum()
}

/// The database file's bytes once its write-ahead log is copied into it
/// and emptied: what the database keeps. The log alone would overstate a
/// growth, its pages being written again and again (up to about 4 MiB)
/// before a checkpoint, and understate one past its size.
async fn checkpointed_database_bytes(server: &ServerProcess) -> u64 {
    use sqlx::Connection;
    let file = server.dir.path().join("bench.db");
    let url = format!("sqlite://{}", file.display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.expect("the database opens");
    // A checkpoint waits for no reader: when one was busy, it is tried again.
    for _ in 0..50 {
        let query = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)");
        let (busy, _, _): (i64, i64, i64) = query.fetch_one(&mut db).await.expect("a checkpoint");
        if busy == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = db.close().await;
    database_bytes(server)
}

/// Waits (a minute at most) until Grace's own notes are in the outbox; she
/// gets hers after the guests', so theirs are there too. Each notes email's
/// recipient and size in bytes, as sent.
async fn notes_sent(server: &ServerProcess) -> Vec<(String, u64)> {
    let outbox = server.dir.path().join("outbox");
    let read = || -> Vec<(String, u64)> {
        let Ok(files) = std::fs::read_dir(&outbox) else { return Vec::new() };
        let mut notes: Vec<(String, u64)> = files
            .filter_map(Result::ok)
            .filter_map(|file| std::fs::read(file.path()).ok())
            .filter_map(|raw| Some((anteroom_app::ssr::mail_in::parse(&raw).ok()?, raw.len() as u64)))
            .filter(|(mail, _)| mail.subject.starts_with("Notes from your call"))
            .map(|(mail, bytes)| (mail.to_addresses, bytes))
            .collect();
        notes.sort();
        notes
    };
    let waited = Instant::now();
    loop {
        let notes = read();
        if notes.iter().any(|(to, _)| to == "grace@example.com") || waited.elapsed() > Duration::from_secs(60) {
            return notes;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The chat messages the call kept: its first page, then every further
/// page `past_call_lines` answers.
async fn stored_chat(server: &ServerProcess, grace: &str, call: &str, first: CallLines) -> usize {
    let mut count = first.lines.len();
    let mut next = first.next;
    while let Some(LinesCursor { at, id }) = next {
        let (at, id) = (at.to_string(), id.to_string());
        let args = [("call", call), ("part", "Chat"), ("after[at]", at.as_str()), ("after[id]", id.as_str())];
        let page: CallLines = server.call(Some(grace), "past_call_lines", &args).await.0;
        count += page.lines.len();
        next = page.next;
    }
    count
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

/// Median, 95th percentile and worst of sorted `times`, in milliseconds,
/// and how many of `tried` were heard at all.
fn summary(times: &[Duration], tried: usize) -> String {
    let at = |share: f64| times.get(((times.len() as f64 - 1.0) * share).round() as usize).map_or(0.0, ms);
    format!(
        "{:.1} ms median, {:.1} ms p95, {:.1} ms worst ({} of {tried} heard)",
        at(0.5),
        at(0.95),
        times.last().map_or(0.0, ms),
        times.len()
    )
}

fn ms(duration: &Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
