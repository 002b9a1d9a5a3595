//! SFU load benchmark. Drives an SFU with synthetic `webrtc` crate peers: P
//! publishers each send a synthetic VP8 camera in three simulcast layers, S
//! subscribers receive every publisher. Reports forwarded packets per
//! second, the SFU process's CPU and memory, loss, time from joining to the
//! first forwarded packet, and whole frames per second per track.
//!
//! With `--audio` each publisher also sends a microphone (Opus, 50 packets
//! a second). With `--transcribed` the call is a meeting channel's with
//! "Transcribe calls" on (microphones included), so the SFU also writes
//! every microphone to disk: run it beside `--audio` to see what recording
//! costs (Anteroom only).
//!
//! With `--capped-port P` the first subscriber takes its media on UDP port P
//! alone, which the caller caps (`scripts/bench-vs-janus` does, with `tc`):
//! its frame rate is reported apart from the others'.
//!
//! Anteroom (default): starts the release `anteroom-server` as its own
//! process and goes through the real HTTP API and signalling socket.
//!
//!     cargo bench -p anteroom-server --bench sfu -- --subscribers 50 --seconds 20
//!
//! Janus (`--target janus`): the same peers against a running Janus
//! videoroom; `scripts/bench-vs-janus` sets both up in network namespaces
//! and prints them side by side.
//!
//! Traffic goes only to 127.0.0.1 or to the namespace addresses given.
//! Every wait is bounded; the run stops by itself.

mod anteroom;
mod janus;
mod peers;
mod procstat;
#[path = "../common/server_process.rs"]
mod server_process;

use peers::Received;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long everyone may take to join and receive a first packet.
const JOIN_DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Anteroom,
    Janus,
}

struct Options {
    target: Target,
    publishers: usize,
    subscribers: usize,
    seconds: u64,
    server_ip: IpAddr,
    server_netns: Option<String>,
    client_ip: Option<IpAddr>,
    janus_url: String,
    janus_pid: Option<u32>,
    capped_port: Option<u16>,
    audio: bool,
    transcribed: bool,
}

fn options() -> Options {
    let mut options = Options {
        target: Target::Anteroom,
        publishers: 1,
        subscribers: 20,
        seconds: 15,
        server_ip: IpAddr::from([127, 0, 0, 1]),
        server_netns: None,
        client_ip: None,
        janus_url: "http://10.77.0.1:8088/janus".into(),
        janus_pid: None,
        capped_port: None,
        audio: false,
        transcribed: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().unwrap_or_else(|| panic!("{name} needs a value"));
        let number =
            |name: &str, text: String| -> u64 { text.parse().unwrap_or_else(|_| panic!("{name} needs a number")) };
        match arg.as_str() {
            "--target" => {
                options.target = match value("--target").as_str() {
                    "janus" => Target::Janus,
                    "anteroom" => Target::Anteroom,
                    other => panic!("unknown target {other}: anteroom or janus"),
                }
            }
            "--publishers" => options.publishers = number("--publishers", value("--publishers")) as usize,
            "--subscribers" => options.subscribers = number("--subscribers", value("--subscribers")) as usize,
            "--seconds" => options.seconds = number("--seconds", value("--seconds")),
            "--server-ip" => options.server_ip = value("--server-ip").parse().expect("--server-ip needs an IP"),
            "--server-netns" => options.server_netns = Some(value("--server-netns")),
            "--client-ip" => options.client_ip = Some(value("--client-ip").parse().expect("--client-ip needs an IP")),
            "--janus-url" => options.janus_url = value("--janus-url"),
            "--janus-pid" => options.janus_pid = Some(number("--janus-pid", value("--janus-pid")) as u32),
            "--capped-port" => {
                options.capped_port = Some(value("--capped-port").parse().expect("--capped-port needs a port"))
            }
            "--audio" => options.audio = true,
            "--transcribed" => (options.audio, options.transcribed) = (true, true),
            "--bench" => {}
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    assert!(options.publishers >= 1 && options.subscribers >= 1, "need at least one publisher and one subscriber");
    assert!(options.target == Target::Anteroom || !options.audio, "--audio and --transcribed are for Anteroom only");
    assert!(options.subscribers <= 200 && options.seconds <= 300, "bounded: at most 200 subscribers and 300 s");
    options
}

/// The SFU under test, however it was started.
enum Sfu {
    Anteroom(Box<anteroom::AnteroomServer>),
    Janus(u32),
}

impl Sfu {
    fn pid(&self) -> u32 {
        match self {
            Sfu::Anteroom(server) => server.pid(),
            Sfu::Janus(pid) => *pid,
        }
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    let api = Arc::new(peers::client_api(options.client_ip, None));
    // The first subscriber's engine: on the capped port, if there is one.
    let capped_api = match options.capped_port {
        Some(port) => Arc::new(peers::client_api(options.client_ip, Some(port))),
        None => api.clone(),
    };
    let api_of = |subscriber: usize| if subscriber == 0 { capped_api.clone() } else { api.clone() };
    let mut tasks = Vec::new();
    let stats: Vec<Arc<Received>> = (0..options.subscribers).map(|_| Arc::default()).collect();

    let sfu = match options.target {
        Target::Anteroom => {
            let mut server = anteroom::AnteroomServer::start(options.server_ip, options.server_netns.as_deref()).await;
            let call = if options.transcribed { anteroom::Call::Transcribed } else { anteroom::Call::Room };
            let members = server.members(options.publishers + options.subscribers, call).await;
            let (publishers, subscribers) = members.split_at(options.publishers);
            let connected = Arc::new(AtomicUsize::new(0));
            for cookie in publishers {
                let (api, url, cookie, path) =
                    (api.clone(), server.url.clone(), cookie.clone(), server.signal_path.clone());
                let role = anteroom::Role::Publisher { connected: connected.clone(), microphone: options.audio };
                tasks.push(tokio::spawn(anteroom::participant(api, url, cookie, path, role)));
            }
            // The baseline is taken once every publisher sends, as for Janus.
            let deadline = Instant::now() + JOIN_DEADLINE;
            while connected.load(Ordering::Relaxed) < options.publishers && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            let baseline = procstat::rss_kib(server.pid());
            for (n, (cookie, received)) in subscribers.iter().zip(&stats).enumerate() {
                let (api, url, cookie, path) =
                    (api_of(n), server.url.clone(), cookie.clone(), server.signal_path.clone());
                let role = anteroom::Role::Subscriber(received.clone());
                tasks.push(tokio::spawn(anteroom::participant(api, url, cookie, path, role)));
            }
            (Sfu::Anteroom(Box::new(server)), baseline)
        }
        Target::Janus => {
            let pid = options.janus_pid.expect("--janus-pid is needed to measure Janus");
            let janus = janus::Janus::new(&options.janus_url);
            janus.create_room(options.publishers).await;
            let (feeds_sender, mut feeds) = mpsc::unbounded_channel();
            for _ in 0..options.publishers {
                tasks.push(tokio::spawn(janus::publisher(janus.clone(), api.clone(), feeds_sender.clone())));
            }
            let mut feed_ids = Vec::new();
            while feed_ids.len() < options.publishers {
                let feed = tokio::time::timeout(JOIN_DEADLINE, feeds.recv()).await.expect("publishers in time");
                feed_ids.push(feed.expect("a feed id"));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            let baseline = procstat::rss_kib(pid);
            for (n, received) in stats.iter().enumerate() {
                tasks.push(tokio::spawn(janus::subscriber(
                    janus.clone(),
                    api_of(n),
                    feed_ids.clone(),
                    received.clone(),
                )));
            }
            (Sfu::Janus(pid), baseline)
        }
    };
    let (sfu, baseline_rss) = sfu;
    let pid = sfu.pid();

    let deadline = Instant::now() + JOIN_DEADLINE;
    while !stats.iter().all(|s| s.flowing_tracks() >= options.publishers) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let receiving = stats.iter().filter(|s| s.flowing_tracks() >= options.publishers).count();

    let packets_before: u64 = stats.iter().map(|s| s.packets.load(Ordering::Relaxed)).sum();
    let audio_before: u64 = stats.iter().map(|s| s.audio_packets.load(Ordering::Relaxed)).sum();
    let bytes_before: u64 = stats.iter().map(|s| s.bytes.load(Ordering::Relaxed)).sum();
    let frames_before: Vec<u64> = stats.iter().map(|s| s.frames.load(Ordering::Relaxed)).collect();
    let cpu_before = procstat::cpu_seconds(pid);
    let started = Instant::now();
    // On stderr, for a profiler or `kill -9` timed to the load (BENCHMARKS.md).
    eprintln!("measuring for {} s: {receiving} subscribers receiving", options.seconds);
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = (procstat::cpu_seconds(pid) - cpu_before) / elapsed;
    let packets = stats.iter().map(|s| s.packets.load(Ordering::Relaxed)).sum::<u64>() - packets_before;
    let bytes = stats.iter().map(|s| s.bytes.load(Ordering::Relaxed)).sum::<u64>() - bytes_before;
    let audio_packets = stats.iter().map(|s| s.audio_packets.load(Ordering::Relaxed)).sum::<u64>() - audio_before;
    let rss = procstat::rss_kib(pid);
    // Whole frames per second of each subscriber, per track it receives.
    let frame_rates: Vec<f64> = stats
        .iter()
        .zip(&frames_before)
        .map(|(s, before)| (s.frames.load(Ordering::Relaxed) - before) as f64 / options.publishers as f64 / elapsed)
        .collect();
    // A subscriber far below the rest, on stderr with what each of its
    // tracks got: (first sequence number, highest, packets counted).
    for (n, (rate, s)) in frame_rates.iter().zip(&stats).enumerate() {
        if *rate < 25.0 {
            eprintln!("subscriber {n}: {rate:.1} whole frames/s per track; its tracks: {:?}", s.tracks.lock().unwrap());
        }
    }
    let (capped_fps, others) = match options.capped_port {
        Some(_) => (Some(frame_rates[0]), &frame_rates[1..]),
        None => (None, &frame_rates[..]),
    };
    let mut others = others.to_vec();
    others.sort_by(f64::total_cmp);
    let others_median_fps = others.get(others.len() / 2).copied().unwrap_or(f64::NAN);
    let others_min_fps = others.first().copied().unwrap_or(f64::NAN);

    let (mut expected, mut got) = (0u64, 0u64);
    for s in &stats {
        for (first, highest, count) in s.tracks.lock().unwrap().iter().filter(|t| t.2 > 0) {
            expected += highest - first + 1;
            got += count;
        }
    }
    let loss = if expected == 0 { 100.0 } else { 100.0 * expected.saturating_sub(got) as f64 / expected as f64 };
    let mut first: Vec<f64> =
        stats.iter().filter_map(|s| s.first_packet.get()).map(|d| d.as_secs_f64() * 1000.0).collect();
    first.sort_by(f64::total_cmp);
    let percentile = |p: f64| first.get(((first.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN);
    let per_subscriber_kib = rss.saturating_sub(baseline_rss) as f64 / options.subscribers as f64;
    let name = format!("{:?}", options.target).to_lowercase();

    let call = match (options.transcribed, options.audio) {
        (true, _) => "camera + microphone, transcribed",
        (false, true) => "camera + microphone",
        (false, false) => "camera",
    };
    println!(
        "SFU bench ({name}, {call}): {} publisher(s) -> {} subscriber(s), {} s measured, on {} cores",
        options.publishers,
        options.subscribers,
        options.seconds,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("  subscribers receiving        {receiving} of {}", options.subscribers);
    println!("  forwarded packets/s          {:.0}", packets as f64 / elapsed);
    if options.audio {
        println!("  forwarded audio packets/s    {:.0}", audio_packets as f64 / elapsed);
    }
    println!("  forwarded bit/s              {:.1} Mbit/s", bytes as f64 * 8.0 / 1e6 / elapsed);
    println!("  SFU CPU                      {:.1} % of one core", cpu * 100.0);
    println!("  subscribers per core         {:.0}", options.subscribers as f64 / cpu.max(1e-9));
    println!(
        "  SFU memory                   {:.1} MiB ({per_subscriber_kib:.0} KiB per subscriber)",
        rss as f64 / 1024.0
    );
    println!("  loss                         {loss:.3} %");
    println!("  join -> first packet         median {:.0} ms, p95 {:.0} ms", percentile(0.5), percentile(0.95));
    println!("  whole frames/s per track     median {others_median_fps:.1}, lowest {others_min_fps:.1} (sent: 30)");
    if let Some(fps) = capped_fps {
        println!("  the capped subscriber        {fps:.1} whole frames/s per track");
    }
    // One machine-readable line for scripts that compare runs.
    println!(
        "RESULT target={name} transcribed={} subscribers={} receiving={receiving} pps={:.0} cpu_pct={:.1} per_core={:.0} rss_mib={:.1} per_sub_kib={per_subscriber_kib:.0} loss_pct={loss:.3} first_median_ms={:.0} first_p95_ms={:.0} fps_median={others_median_fps:.1} fps_lowest={others_min_fps:.1} capped_fps={}",
        options.transcribed,
        options.subscribers,
        packets as f64 / elapsed,
        cpu * 100.0,
        options.subscribers as f64 / cpu.max(1e-9),
        rss as f64 / 1024.0,
        percentile(0.5),
        percentile(0.95),
        capped_fps.map_or("-".to_owned(), |fps| format!("{fps:.1}"))
    );

    if let Sfu::Anteroom(server) = &sfu
        && options.transcribed
    {
        let (files, bytes) = server.recorded();
        println!("  recorded                     {files} file(s), {:.0} KiB", bytes as f64 / 1024.0);
    }

    for task in tasks {
        task.abort();
    }
    if let Sfu::Anteroom(server) = sfu {
        server.stop().await;
    }
}
