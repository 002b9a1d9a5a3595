//! Transcripts against the real embedded speech engine (app/speech, the
//! virtual environment scripts/setup makes): a recorded Ogg Opus file of
//! known speech becomes lines attributed to its speaker, with a summary;
//! and an engine that is down leaves the transcript pending, with the
//! reason, until it is back.

use anteroom_app::model::{CallId, ChannelId};
use anteroom_app::protocol::signal::ParticipantId;
use anteroom_app::ssr::call_notes::Attendance;
use anteroom_app::ssr::calls::speech::{Endpoint, SpeechEngine};
use anteroom_app::ssr::calls::speech_worker::{Worker, WorkerState};
use anteroom_app::ssr::calls::summary_model::SummaryWriter;
use anteroom_app::ssr::calls::transcriber::Transcriber;
use anteroom_app::ssr::calls::{self, transcript};
use anteroom_app::ssr::db::{self, Db};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// A demo database with one ended call in a meeting channel: Ada (member)
/// and Lin Park (guest), whose audio was recorded.
async fn ended_call(dir: &Path) -> (Db, CallId) {
    let (db, call) = call_going_on(dir).await;
    calls::end(&db, call, db::now() + 30).await.unwrap();
    (db, call)
}

/// The same call, still going on: as a server killed mid-call leaves it.
async fn call_going_on(dir: &Path) -> (Db, CallId) {
    let db = db::open(&format!("sqlite://{}/anteroom.db", dir.display())).await.unwrap();
    anteroom_app::ssr::seed::seed_demo_if_empty(&db).await.unwrap();
    let channel: ChannelId = sqlx::query_scalar("SELECT id FROM channels WHERE kind = 'meeting' ORDER BY id LIMIT 1")
        .fetch_one(&db)
        .await
        .unwrap();
    let started = db::now();
    let call = calls::start(&db, channel, started, true).await.unwrap();
    for (participant, name, email) in [(1, "Ada Lovelace", None), (2, "Lin Park", Some("lin@example.org"))] {
        let stay = Attendance {
            participant: ParticipantId(participant),
            name: name.into(),
            guest_email: email.map(str::to_string),
            guest: email.is_some(),
            removed: false,
            joined_at: started,
            left_at: started,
        };
        calls::joined(&db, call, &stay, None).await.unwrap();
    }
    let file = format!("recordings/{call}/2.ogg");
    std::fs::create_dir_all(dir.join(format!("recordings/{call}"))).unwrap();
    std::fs::copy(crate::support::SPEECH, dir.join(&file)).unwrap();
    let recording = transcript::Recording { participant: ParticipantId(2), file, started_at: started * 1000 + 2000 };
    transcript::add_recording(&db, call, &recording).await.unwrap();
    (db, call)
}

/// Waits (up to a minute: the model loads in about a second, a short
/// recording transcribes in about one more) until `done` holds.
async fn until<F: std::future::Future<Output = bool>>(done: impl FnMut() -> F) {
    crate::support::wait_until(Duration::from_secs(60), "the transcript's state", done).await;
}

/// Runs the transcripts task against `worker`, retrying after a second.
/// What it returns is rung when a transcript is settled (stored, and its
/// recordings deleted; or given up on).
fn transcribe(db: &Db, data_dir: &Path, worker: Worker, shutdown: watch::Receiver<bool>) -> Arc<Notify> {
    let settled = Arc::new(Notify::new());
    let transcriber = Transcriber {
        db: db.clone(),
        engine: SpeechEngine::new(Endpoint::Embedded(worker), None),
        summaries: SummaryWriter::extractive(),
        data_dir: data_dir.to_path_buf(),
        first_retry: Duration::from_secs(1),
        wake: Arc::new(Notify::new()),
        settled: settled.clone(),
        retention: Duration::from_secs(30 * 24 * 3600),
    };
    tokio::spawn(transcriber.run(shutdown));
    settled
}

async fn state_of(db: &Db, call: CallId) -> transcript::Status {
    transcript::status(db, call).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_recorded_voice_becomes_lines_of_its_speaker_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (db, call) = ended_call(dir.path()).await;
    let (_stop, shutdown) = watch::channel(false);
    let worker = Worker::spawn(crate::support::speech_python(), dir.path(), shutdown.clone());
    let settled = transcribe(&db, dir.path(), worker, shutdown);
    tokio::time::timeout(Duration::from_secs(60), settled.notified()).await.expect("the transcript within a minute");
    assert_eq!(state_of(&db, call).await.state, transcript::State::Done);

    let lines = transcript::lines(&db, call).await.unwrap();
    let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" ").to_lowercase();
    for word in ["budget", "approved", "contract", "friday"] {
        assert!(text.contains(word), "{word:?} is missing from {text:?}");
    }
    assert!(lines.iter().all(|l| l.speaker == "Lin Park" && l.guest), "every line is Lin's: {lines:?}");
    let started = calls::record(&db, call).await.unwrap().unwrap().started_at * 1000;
    assert!(lines[0].said_at >= started + 2000, "times count from the recording's start: {lines:?}");
    let summary = state_of(&db, call).await.summary.unwrap();
    assert!(summary.contains("Lin Park (guest)"), "{summary}");
    assert!(!dir.path().join(format!("recordings/{call}/2.ogg")).exists(), "the recording is deleted once transcribed");
}

#[tokio::test]
async fn with_the_engine_down_the_transcript_waits_and_is_made_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let (db, call) = ended_call(dir.path()).await;
    let (_stop, shutdown) = watch::channel(false);
    // The engine as the server sees it: not running at first.
    let (engine, state) = watch::channel(WorkerState::Stopped("it exited (signal: 9)".into()));
    transcribe(&db, dir.path(), Worker::watching(state), shutdown.clone());
    until(|| async { state_of(&db, call).await.attempts >= 1 }).await;
    let waiting = state_of(&db, call).await;
    assert_eq!(waiting.state, transcript::State::Pending);
    assert_eq!(
        waiting.error.as_deref(),
        Some(
            "The embedded speech engine is not running: it exited (signal: 9) (scripts/setup installs it; the server log says more)"
        )
    );
    assert!(dir.path().join(format!("recordings/{call}/2.ogg")).exists(), "the recording is kept meanwhile");

    // The worker is back: the next retry succeeds.
    let running = Worker::spawn(crate::support::speech_python(), dir.path(), shutdown);
    engine.send(WorkerState::Running(running.address().await.unwrap())).unwrap();
    until(|| async { state_of(&db, call).await.state == transcript::State::Done }).await;
    let done = state_of(&db, call).await;
    assert_eq!(done.error, None);
    assert!(!transcript::lines(&db, call).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_engine_that_refuses_the_audio_fails_the_transcript_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (db, call) = ended_call(dir.path()).await;
    // Not audio at all: the engine refuses it, and retrying cannot help.
    std::fs::write(dir.path().join(format!("recordings/{call}/2.ogg")), b"not an ogg file").unwrap();
    let (_stop, shutdown) = watch::channel(false);
    let worker = Worker::spawn(crate::support::speech_python(), dir.path(), shutdown.clone());
    transcribe(&db, dir.path(), worker, shutdown);
    until(|| async { state_of(&db, call).await.state == transcript::State::Failed }).await;
    let failed = state_of(&db, call).await;
    assert!(failed.error.unwrap().starts_with("The speech engine refused the audio (HTTP 400)"));
}

#[tokio::test]
async fn a_call_the_server_died_in_is_transcribed_after_the_restart_from_its_cut_recording() {
    let dir = tempfile::tempdir().unwrap();
    let (db, call) = call_going_on(dir.path()).await;
    // The server was killed: the recording stops where its last buffer
    // reached the disk, in the middle of an Ogg page, with no end page.
    let file = dir.path().join(format!("recordings/{call}/2.ogg"));
    let whole = std::fs::read(&file).unwrap();
    let last_page = whole.windows(4).rposition(|w| w == b"OggS").unwrap();
    let cut = whole.len() * 3 / 4;
    assert!(cut < last_page + 27, "the cut falls inside the last pages, not at an end page");
    std::fs::write(&file, &whole[..cut]).unwrap();

    // The restart ends the call, and the transcripts task takes it up.
    assert_eq!(calls::end_interrupted(&db, db::now()).await.unwrap(), [call]);
    let (_stop, shutdown) = watch::channel(false);
    let worker = Worker::spawn(crate::support::speech_python(), dir.path(), shutdown.clone());
    transcribe(&db, dir.path(), worker, shutdown);
    until(|| async { state_of(&db, call).await.state != transcript::State::Pending }).await;
    let status = state_of(&db, call).await;
    assert_eq!((status.state, status.error), (transcript::State::Done, None));
    let text = transcript::lines(&db, call).await.unwrap().iter().map(|l| l.text.to_lowercase()).collect::<String>();
    for word in ["budget", "approved"] {
        assert!(text.contains(word), "{word:?}, said before the cut, is missing from {text:?}");
    }
}
