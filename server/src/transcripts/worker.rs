//! The embedded speech engine: the server runs `server/speech/worker.py`
//! (built into the binary, written to the data folder at start) with the
//! Python that scripts/setup prepared, on 127.0.0.1 and a port of its
//! choosing. It starts when the first transcript is wanted (a server whose
//! channels never transcribe never runs it), and is restarted if it stops;
//! calls meanwhile are unaffected, and transcripts wait (pending).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{Notify, watch};

const WORKER_SCRIPT: &str = include_str!("../../speech/worker.py");
/// The first restart comes after this long, then twice as long each time
/// the worker stops again soon, up to `LONGEST_WAIT`.
const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(60);
/// A worker that ran this long before stopping starts again at once.
const RAN_WELL: Duration = Duration::from_secs(300);
/// Loading the model takes about a second; a worker silent for this long
/// after starting is stopped and started again.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the worker stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerState {
    /// Not started: nobody wanted a transcript yet.
    Idle,
    Starting,
    /// Answering at this URL.
    Running(String),
    /// Stopped, for this reason; it is started again soon.
    Stopped(String),
}

/// The server's handle on the embedded worker.
#[derive(Clone)]
pub struct Worker {
    state: watch::Receiver<WorkerState>,
    /// Rung to start it; None when someone else runs it (`watching`).
    wanted: Option<Arc<Notify>>,
}

impl Worker {
    /// Starts the worker with `python` once it is first wanted, and keeps
    /// it running until `shutdown`.
    pub fn spawn(python: PathBuf, data_dir: &Path, shutdown: watch::Receiver<bool>) -> Worker {
        let (state, receiver) = watch::channel(WorkerState::Idle);
        let wanted = Arc::new(Notify::new());
        let script = data_dir.join("speech").join("worker.py");
        tokio::spawn(supervise(python, script, state, wanted.clone(), shutdown));
        Worker { state: receiver, wanted: Some(wanted) }
    }

    /// A worker that someone else runs, known by its state (tests stop
    /// and start it at will).
    pub fn watching(state: watch::Receiver<WorkerState>) -> Worker {
        Worker { state, wanted: None }
    }

    /// The worker's URL, starting it if need be and waiting while it
    /// starts; why not, when it is not running.
    pub async fn url(&self) -> Result<String, String> {
        if let Some(wanted) = &self.wanted {
            wanted.notify_one();
        }
        let mut state = self.state.clone();
        let settled = state.wait_for(|state| match state {
            WorkerState::Starting => false,
            // About to start, unless nobody here starts it.
            WorkerState::Idle => self.wanted.is_none(),
            WorkerState::Running(_) | WorkerState::Stopped(_) => true,
        });
        match tokio::time::timeout(START_TIMEOUT, settled).await.ok().and_then(Result::ok).as_deref() {
            Some(WorkerState::Running(url)) => Ok(url.clone()),
            Some(WorkerState::Stopped(reason)) => Err(reason.clone()),
            Some(WorkerState::Idle) => Err("it is not running".into()),
            _ => Err("it is still starting".into()),
        }
    }
}

async fn supervise(
    python: PathBuf,
    script: PathBuf,
    state: watch::Sender<WorkerState>,
    wanted: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    tokio::select! {
        _ = wanted.notified() => {}
        _ = shutdown.changed() => return,
    }
    if let Err(error) = write_script(&script).await {
        let reason = format!("could not write {} ({error})", script.display());
        tracing::error!(%reason, "transcripts unavailable");
        let _ = state.send(WorkerState::Stopped(reason));
        return;
    }
    let mut wait = FIRST_WAIT;
    loop {
        let started = tokio::time::Instant::now();
        let _ = state.send(WorkerState::Starting);
        tokio::select! {
            stopped = run_once(&python, &script, &state) => {
                tracing::warn!(reason = %stopped, "the speech worker stopped; transcripts wait until it is back");
                let _ = state.send(WorkerState::Stopped(stopped));
            }
            _ = shutdown.changed() => return,
        }
        wait = if started.elapsed() >= RAN_WELL { FIRST_WAIT } else { (wait * 2).min(LONGEST_WAIT) };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn write_script(script: &Path) -> std::io::Result<()> {
    if let Some(folder) = script.parent() {
        tokio::fs::create_dir_all(folder).await?;
    }
    tokio::fs::write(script, WORKER_SCRIPT).await
}

/// Runs the worker until it stops; says why it stopped.
async fn run_once(python: &Path, script: &Path, state: &watch::Sender<WorkerState>) -> String {
    let mut child = match Command::new(python)
        .arg("-u")
        .arg(script)
        .args(["--port", "0", "--exit-with-stdin"])
        // Held open while it runs: if this server dies, even killed, the
        // pipe closes and the worker exits rather than linger.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            return format!(
                "could not start {} ({error}); run scripts/setup, or set ANTEROOM_SPEECH_PYTHON or --transcription-url",
                python.display()
            );
        }
    };
    let _stdin = child.stdin.take();
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let listening = tokio::time::timeout(START_TIMEOUT, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(address) = line.strip_prefix("listening on ") {
                return Some(address.trim().to_string());
            }
        }
        None
    })
    .await;
    match listening {
        Ok(Some(address)) => {
            tracing::info!(%address, "speech worker ready");
            let _ = state.send(WorkerState::Running(address));
        }
        Ok(None) => {}
        Err(_) => return format!("it did not start within {} s", START_TIMEOUT.as_secs()),
    }
    // Its output is drained (a full pipe would stall it) until it exits.
    while let Ok(Some(_)) = lines.next_line().await {}
    match child.wait().await {
        Ok(status) => format!("it exited ({status})"),
        Err(error) => format!("it could not be waited for ({error})"),
    }
}
