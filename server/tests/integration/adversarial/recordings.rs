//! Recordings are made of what participants send, so a guest decides how
//! much is written: Opus goes up to 510 kbit/s and a visit may last 12
//! hours. Each recording stops at its cap while it is written, the
//! transcript says so, and a recording that cannot be transcribed (one
//! over the engine's limit, say) no longer fails the whole call's
//! transcript: the others are transcribed, with a note. Transcribing runs
//! beside the SFU, so the speech worker runs at a lower priority with its
//! threads bounded.

use anteroom_app::model::{CallId, ChannelId};
use anteroom_app::protocol::signal::ParticipantId;
use anteroom_app::ssr::call_notes::Attendance;
use anteroom_app::ssr::calls::recordings::{MAX_RECORDING_BYTES, cut_after, cut_marker};
use anteroom_app::ssr::calls::speech::{Endpoint, SpeechEngine};
use anteroom_app::ssr::calls::speech_worker::Worker;
use anteroom_app::ssr::calls::summary_model::SummaryWriter;
use anteroom_app::ssr::calls::transcriber::{NOTE_SPEAKER, Transcriber};
use anteroom_app::ssr::calls::{self, transcript};
use anteroom_app::ssr::db::{self, Db};
use anteroom_server::call_records::recorder::Recorder;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use webrtc::rtp::header::Header;
use webrtc::rtp::packet::Packet;

fn rtp(sequence_number: u16, timestamp: u32, payload: bytes::Bytes) -> Packet {
    Packet { header: Header { sequence_number, timestamp, payload_type: 111, ..Header::default() }, payload }
}

/// The Opus packets of an Ogg file (its two header packets left out).
fn opus_packets(ogg: &[u8]) -> Vec<bytes::Bytes> {
    let (mut packets, mut packet, mut at) = (Vec::new(), Vec::new(), 0);
    while at < ogg.len() {
        assert_eq!(&ogg[at..at + 4], b"OggS");
        let segments = usize::from(ogg[at + 26]);
        let mut body = at + 27 + segments;
        for &lacing in &ogg[at + 27..at + 27 + segments] {
            packet.extend_from_slice(&ogg[body..body + usize::from(lacing)]);
            body += usize::from(lacing);
            if lacing < 255 {
                packets.push(bytes::Bytes::from(std::mem::take(&mut packet)));
            }
        }
        at = body;
    }
    packets.split_off(2)
}

#[test]
fn a_recording_stops_at_its_size_cap_while_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recordings/1/2-3.ogg");
    let (mut recorder, _done) = Recorder::create(&path).unwrap();
    // A guest sending Opus's largest packets (1,275 bytes) every 20 ms,
    // 510 kbit/s: 70 MiB of them, past the cap.
    let payload = bytes::Bytes::from(vec![0xFC; 1275]);
    let packets = 70 * 1024 * 1024 / payload.len();
    for n in 0..packets {
        recorder.write(&rtp(n as u16, n as u32 * 960, payload.clone()));
    }
    // Still recording as far as the call knows, yet the file stopped
    // growing at the cap, and more audio does not move it.
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size <= MAX_RECORDING_BYTES, "{size} bytes written, the cap is {MAX_RECORDING_BYTES}");
    assert!(size > MAX_RECORDING_BYTES - 64 * 1024, "cut at the cap, not before: {size} bytes");
    for n in packets..packets + 1000 {
        recorder.write(&rtp(n as u16, n as u32 * 960, payload.clone()));
    }
    drop(recorder);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size, "nothing is added after the cut");
    // The file is complete (it ends with an end-of-stream page), and the
    // marker beside it says how long the recording ran: about 17 minutes.
    let file = std::fs::read(&path).unwrap();
    let last_page = file.windows(4).rposition(|w| w == b"OggS").unwrap();
    assert_eq!(file[last_page + 5], 4, "the last page ends the stream");
    let ran = tokio::runtime::Runtime::new().unwrap().block_on(cut_after(&path)).expect("marked as cut");
    assert!((16 * 60..18 * 60).contains(&ran.as_secs()), "{ran:?}");
}

/// A demo database with one ended call in a meeting channel: Ada Lovelace
/// (member), Lin Park and Sam Reyes (guests), each recorded; Lin's
/// recording was cut at a small cap, and Sam's is over the engine's limit.
async fn call_with_a_cut_and_an_oversized_recording(dir: &Path, lins_cap: u64) -> (Db, CallId) {
    let db = db::open(&format!("sqlite://{}/anteroom.db", dir.display())).await.unwrap();
    anteroom_app::ssr::seed::seed_demo_if_empty(&db).await.unwrap();
    let channel: ChannelId = sqlx::query_scalar("SELECT id FROM channels WHERE kind = 'meeting' ORDER BY id LIMIT 1")
        .fetch_one(&db)
        .await
        .unwrap();
    let started = db::now();
    let call = calls::start(&db, channel, started, true).await.unwrap();
    let people = [
        (1, "Ada Lovelace", None),
        (2, "Lin Park", Some("lin@example.org")),
        (3, "Sam Reyes", Some("sam@example.org")),
    ];
    for (participant, name, email) in people {
        let stay = Attendance {
            participant: ParticipantId(participant),
            name: name.into(),
            guest_email: email.map(str::to_string),
            guest: email.is_some(),
            removed: false,
            joined_at: started,
            left_at: started + 60,
        };
        calls::joined(&db, call, &stay, None).await.unwrap();
    }
    let folder = dir.join(format!("recordings/{call}"));
    std::fs::create_dir_all(&folder).unwrap();

    // Ada's: the whole speech.
    std::fs::copy(crate::support::SPEECH, folder.join("1-1.ogg")).unwrap();
    // Lin's: the same speech, recorded as the SFU does, up to the cap.
    let (mut recorder, _done) = Recorder::create_capped(&folder.join("2-1.ogg"), lins_cap).unwrap();
    for (n, packet) in opus_packets(&std::fs::read(crate::support::SPEECH).unwrap()).into_iter().enumerate() {
        recorder.write(&rtp(n as u16, n as u32 * 960, packet));
    }
    drop(recorder);
    // Sam's: larger than any recording the engine is sent (one kept from
    // before recordings were capped); sparse, so it takes no disk.
    std::fs::File::create(folder.join("3-1.ogg")).unwrap().set_len(MAX_RECORDING_BYTES + 1).unwrap();

    for (participant, offset) in [(1, 1_000), (2, 10_000), (3, 20_000)] {
        let file = format!("recordings/{call}/{participant}-1.ogg");
        let recording = transcript::Recording {
            participant: ParticipantId(participant),
            file,
            started_at: started * 1000 + offset,
        };
        transcript::add_recording(&db, call, &recording).await.unwrap();
    }
    calls::end(&db, call, started + 60).await.unwrap();
    (db, call)
}

#[tokio::test]
async fn a_cut_or_oversized_recording_leaves_the_others_transcribed_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    // About 2.4 s of the 5 s: "The launch budget is approved."
    let lins_cap = 10 * 1024;
    let (db, call) = call_with_a_cut_and_an_oversized_recording(dir.path(), lins_cap).await;
    let lins = dir.path().join(format!("recordings/{call}/2-1.ogg"));
    assert!(std::fs::metadata(&lins).unwrap().len() <= lins_cap, "Lin's recording stopped at its cap");
    let started = calls::record(&db, call).await.unwrap().unwrap().started_at * 1000;

    let (_stop, shutdown) = watch::channel(false);
    let settled = Arc::new(Notify::new());
    let transcriber = Transcriber {
        db: db.clone(),
        engine: SpeechEngine::new(
            Endpoint::Embedded(Worker::spawn(crate::support::speech_python(), dir.path(), shutdown.clone())),
            None,
        ),
        summaries: SummaryWriter::extractive(),
        data_dir: dir.path().to_path_buf(),
        first_retry: Duration::from_secs(1),
        wake: Arc::new(Notify::new()),
        settled: settled.clone(),
        retention: Duration::from_secs(30 * 24 * 3600),
    };
    tokio::spawn(transcriber.run(shutdown));
    // Rung once the transcript is stored and its recordings are deleted.
    tokio::time::timeout(Duration::from_secs(120), settled.notified()).await.expect("the transcript within 2 minutes");
    let status = transcript::status(&db, call).await.unwrap().unwrap();
    assert_eq!((status.state, status.error), (transcript::State::Done, None), "one bad recording fails no transcript");

    let lines = transcript::lines(&db, call).await.unwrap();
    let said_by = |speaker: &str| {
        lines.iter().filter(|l| l.speaker == speaker).map(|l| l.text.to_lowercase()).collect::<Vec<_>>().join(" ")
    };
    let adas = said_by("Ada Lovelace");
    for word in ["budget", "approved", "contract", "friday"] {
        assert!(adas.contains(word), "{word:?} is missing from Ada's {adas:?}");
    }
    let lins_said = said_by("Lin Park");
    assert!(lins_said.contains("budget"), "what Lin said before the cut is kept: {lins_said:?}");
    assert!(!lins_said.contains("friday"), "nothing after the cut: {lins_said:?}");
    assert!(said_by("Sam Reyes").is_empty());

    let notes: Vec<_> =
        lines.iter().filter(|l| l.speaker == NOTE_SPEAKER).map(|l| (l.said_at, l.text.as_str())).collect();
    assert_eq!(
        notes,
        [
            (started + 12_000, "Lin Park's recording stopped after 2 seconds: it reached the size limit."),
            (
                started + 20_000,
                "Sam Reyes's recording could not be transcribed: the recording could not be read: it is 65 MiB, over the 64 MiB limit."
            ),
        ],
        "{lines:#?}"
    );
    assert!(!status.summary.unwrap().contains("recording"), "the summary is of what was said, not of the notes");
    assert!(!cut_marker(&lins).exists());
    assert!(!dir.path().join(format!("recordings/{call}")).exists(), "recordings and marker deleted once transcribed");
}

/// The nice value of a process or thread, from its `stat` in /proc.
fn niceness(stat: &Path) -> i32 {
    let stat = std::fs::read_to_string(stat).unwrap();
    // After "pid (command) ": state is field 3, nice field 19.
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    fields[19 - 3].parse().unwrap()
}

#[tokio::test]
async fn the_speech_worker_runs_at_a_lower_priority_on_all_cores_but_one() {
    let dir = tempfile::tempdir().unwrap();
    let (_stop, shutdown) = watch::channel(false);
    let worker = Worker::spawn(crate::support::speech_python(), dir.path(), shutdown);
    worker.address().await.expect("the worker starts");

    let script = dir.path().join("speech/worker.py").to_string_lossy().into_owned();
    let pid = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|command| String::from_utf8_lossy(&command).contains(script.as_str()))
        })
        .expect("the worker's process");

    // Ten steps nicer than the server (this test), every thread of it.
    let expected = (niceness(Path::new("/proc/self/stat")) + 10).min(19);
    assert_eq!(niceness(Path::new(&format!("/proc/{pid}/stat"))), expected);
    for thread in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        assert_eq!(niceness(&thread.unwrap().path().join("stat")), expected, "every thread of the worker");
    }

    // Its model computes on every core but one, and so does OpenMP.
    let threads = std::thread::available_parallelism().unwrap().get().saturating_sub(1).max(1);
    let command = String::from_utf8(std::fs::read(format!("/proc/{pid}/cmdline")).unwrap()).unwrap();
    assert!(command.contains(&format!("\0--threads\0{threads}\0")), "{command:?}");
    let environment = String::from_utf8(std::fs::read(format!("/proc/{pid}/environ")).unwrap()).unwrap();
    assert!(environment.split('\0').any(|v| v == format!("OMP_NUM_THREADS={threads}")), "no OMP_NUM_THREADS={threads}");
}
