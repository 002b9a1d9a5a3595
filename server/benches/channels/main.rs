//! Channel benchmark (issue 35): what a long history and a large file cost.
//!
//!     cargo bench -p anteroom-server --bench channels -- --messages 100000 --upload-mib 1024
//!
//! Starts the release `anteroom-server` as its own process with the demo
//! workspace on 127.0.0.1 (files up to 2 GiB allowed), then:
//!
//! 1. **A long history**: `--messages` messages are written into #general
//!    straight into the database (one transaction; the search index
//!    follows by its triggers), and #random keeps 100, the peer the long
//!    channel is compared with in the same run. Each is opened as a page
//!    does (`open_conversation`: the newest page), paged back from its
//!    middle (`channel_history`), and searched (`search_messages`: a word
//!    in every tenth message, and one in ten messages only), 30 times
//!    each; the median and the slowest are reported.
//! 2. **A large upload**: a `--upload-mib` file is streamed to the upload
//!    route and downloaded back, while the server's resident memory is read
//!    every 50 ms: before, at its peak, and after; and the bytes' SHA-256
//!    both ways.
//!
//! Traffic goes only to 127.0.0.1. Every loop is bounded by count.

#[path = "../sfu/procstat.rs"]
mod procstat;
#[path = "../common/server_process.rs"]
mod server_process;

use anteroom_app::model::{FileInfo, HistoryPage, MessageHit, Office, OpenedChannel, UPLOAD_PATH};
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use futures::StreamExt;
use server_process::ServerProcess;
use sha2::{Digest, Sha256};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const RUNS: usize = 30;

fn argument(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Median and slowest of `RUNS` timings of `call`, in milliseconds.
async fn timed<F: std::future::Future<Output = ()>>(mut call: impl FnMut() -> F) -> (f64, f64) {
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        call().await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[RUNS / 2], times[RUNS - 1])
}

#[tokio::main]
async fn main() {
    let messages = argument("--messages", 100_000) as i64;
    let upload_mib = argument("--upload-mib", 1024);
    let server = ServerProcess::start_with_env(
        Ipv4Addr::LOCALHOST.into(),
        true,
        &[("ANTEROOM_MAX_FILE_MB", "2048"), ("ANTEROOM_WORKSPACE_FILES_MB", "8192")],
    )
    .await;
    let cookie = server.sign_in("ada@example.com", DEMO_PASSWORD).await;
    let (office, _): (Office, _) = server.call(Some(&cookie), "load_office", &[]).await;
    let channel = |name: &str| office.channels.iter().find(|c| c.name == name).expect("a demo channel").id;
    let (general, random) = (channel("general"), channel("random"));

    let started = Instant::now();
    seed(&server, general, messages, &office).await;
    seed(&server, random, 100, &office).await;
    println!(
        "wrote {messages} messages into #general and 100 into #random in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    println!("\n| what | #general ({messages} messages) median / slowest | #random (100) median / slowest |");
    println!("|---|---|---|");
    let mut rows: Vec<(&str, Vec<(f64, f64)>)> = Vec::new();
    let (open, page_back, common, rare) = (
        "open the channel (newest page)",
        "a page from the middle",
        "search: a word in every tenth message (50 newest)",
        "search: a word in ten messages",
    );
    for (label, _) in [(open, ()), (page_back, ()), (common, ()), (rare, ())] {
        let mut cells = Vec::new();
        for (id, count) in [(general, messages), (random, 100)] {
            let channel = id.0.to_string();
            let middle = (first_id(&server, id).await + count / 2).to_string();
            let cell = match label {
                l if l == open => {
                    timed(|| async {
                        let (_, _): (OpenedChannel, _) =
                            server.call(Some(&cookie), "open_conversation", &[("channel", &channel)]).await;
                    })
                    .await
                }
                l if l == page_back => {
                    timed(|| async {
                        let args = [("channel", channel.as_str()), ("before", middle.as_str())];
                        let (page, _): (HistoryPage, _) = server.call(Some(&cookie), "channel_history", &args).await;
                        assert_eq!(page.messages.len(), 50.min(count as usize / 2));
                    })
                    .await
                }
                l => {
                    // Each channel has its own words, so a search finds one channel's.
                    let word = format!("{}{}", if l == common { "tenth" } else { "needle" }, id.0);
                    timed(|| async {
                        let (hits, _): (Vec<MessageHit>, _) =
                            server.call(Some(&cookie), "search_messages", &[("query", &word)]).await;
                        assert!(!hits.is_empty(), "{word} is found");
                    })
                    .await
                }
            };
            cells.push(cell);
        }
        rows.push((label, cells));
    }
    for (label, cells) in rows {
        println!("| {label} | {:.1} / {:.1} ms | {:.1} / {:.1} ms |", cells[0].0, cells[0].1, cells[1].0, cells[1].1);
    }

    upload_and_download(&server, &cookie, general, upload_mib).await;
    server.stop().await;
}

/// The id of `channel`'s first message.
async fn first_id(server: &ServerProcess, channel: anteroom_app::model::ChannelId) -> i64 {
    let db = database(server).await;
    sqlx::query_scalar("SELECT MIN(id) FROM channel_messages WHERE channel_id = $1")
        .bind(channel)
        .fetch_one(&db)
        .await
        .unwrap()
}

async fn database(server: &ServerProcess) -> sqlx::SqlitePool {
    anteroom_app::ssr::db::open(&format!("sqlite://{}/bench.db", server.dir.path().display())).await.unwrap()
}

/// Writes `count` messages by the demo's members into `channel`, as the
/// server would store them (Markdown rendered and cleaned), in one go.
async fn seed(server: &ServerProcess, channel: anteroom_app::model::ChannelId, count: i64, office: &Office) {
    let db = database(server).await;
    let mut authors = vec![(office.me.id, office.me.name.clone())];
    authors.extend(office.people.iter().map(|p| (p.member.id, p.member.name.clone())));
    let mut tx = db.begin().await.unwrap();
    let now = anteroom_app::ssr::db::now_millis() - count * 1000;
    for n in 0..count {
        let mut body = format!("Message {n} about the **launch plan**, the budget and who does what next");
        if n % 10 == 0 {
            body.push_str(&format!(" tenth{}", channel.0));
        }
        if n % (count / 10).max(1) == 0 {
            body.push_str(&format!(" needle{}", channel.0));
        }
        let (author, name) = &authors[n as usize % authors.len()];
        sqlx::query(
            "INSERT INTO channel_messages (channel_id, author_id, author_name, body, html, sent_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(channel)
        .bind(author)
        .bind(name)
        .bind(&body)
        .bind(anteroom_app::ssr::sanitize::message_html(&body))
        .bind(now + n * 1000)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The server's resident memory, read every 50 ms until stopped: the
/// largest seen, in KiB.
fn watch_memory(pid: u32) -> (Arc<AtomicBool>, tokio::task::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let task = tokio::spawn(async move {
        let mut peak = 0;
        while !stopped.load(Ordering::Relaxed) {
            peak = peak.max(procstat::rss_kib(pid));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        peak
    });
    (stop, task)
}

async fn upload_and_download(server: &ServerProcess, cookie: &str, channel: anteroom_app::model::ChannelId, mib: u64) {
    let http = reqwest::Client::new();
    let pid = server.pid();
    let before = procstat::rss_kib(pid);
    let (stop, peak) = watch_memory(pid);
    let sent_hash = Arc::new(std::sync::Mutex::new(Sha256::new()));
    let hashing = sent_hash.clone();
    const PIECE: usize = 256 * 1024;
    let pieces = mib as usize * 1024 * 1024 / PIECE;
    let body = futures::stream::iter(0..pieces).map(move |n| {
        let piece: Vec<u8> = (0..PIECE).map(|i| ((n * 31 + i * 7) % 251) as u8).collect();
        hashing.lock().unwrap().update(&piece);
        Ok::<_, std::io::Error>(piece)
    });
    let started = Instant::now();
    let response = http
        .post(format!("{}{UPLOAD_PATH}", server.url))
        .query(&[("channel", channel.0.to_string()), ("name", "large.bin".into())])
        .header("Origin", &server.url)
        .header("Cookie", cookie)
        .header("Content-Type", "application/octet-stream")
        .header("Content-Length", (pieces * PIECE).to_string())
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "upload: {status} {text}");
    let file: FileInfo = serde_json::from_str(&text).unwrap();
    let upload_secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let upload_peak = peak.await.unwrap();
    let after_upload = procstat::rss_kib(pid);

    let (stop, peak) = watch_memory(pid);
    let started = Instant::now();
    let mut download = http
        .get(format!("{}{}", server.url, file.download_url()))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .bytes_stream();
    let mut received = Sha256::new();
    let got = AtomicU64::new(0);
    while let Some(piece) = download.next().await {
        let piece = piece.unwrap();
        got.fetch_add(piece.len() as u64, Ordering::Relaxed);
        received.update(&piece);
    }
    let download_secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let download_peak = peak.await.unwrap();
    let sent = sent_hash.lock().unwrap().clone().finalize();
    assert_eq!(got.load(Ordering::Relaxed), (pieces * PIECE) as u64);
    assert_eq!(received.finalize(), sent, "the same bytes back");
    let mb = |kib: u64| kib as f64 / 1024.0;
    println!("\n| {mib} MiB file | time | server memory (RSS) |");
    println!("|---|---|---|");
    println!("| before | | {:.0} MiB |", mb(before));
    println!(
        "| upload (streamed to disk, hashed) | {upload_secs:.1} s ({:.0} MiB/s) | peak {:.0} MiB, after {:.0} MiB |",
        mib as f64 / upload_secs,
        mb(upload_peak),
        mb(after_upload)
    );
    println!(
        "| download (ServeFile) | {download_secs:.1} s ({:.0} MiB/s) | peak {:.0} MiB |",
        mib as f64 / download_secs,
        mb(download_peak)
    );
    println!("same SHA-256 both ways: yes");
}
