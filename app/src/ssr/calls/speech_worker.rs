//! The embedded speech engine: the server runs `app/speech/worker.py`
//! (built into the binary, written to the data folder at start) with the
//! Python that scripts/setup prepared, on 127.0.0.1 and a port of its
//! choosing. It starts when the first transcript is wanted (a server whose
//! channels never transcribe never runs it), and is restarted if it stops;
//! calls meanwhile are unaffected, and transcripts wait (pending).
//!
//! Any program on this machine, and any web page its browsers open, can
//! reach a loopback port, so each start gets a new random token, handed
//! over in the environment (argv is visible to every user in `ps`); the
//! worker answers only requests that carry it, addressed to its own
//! 127.0.0.1:port (see `app/speech/worker.py`).
//!
//! Transcribing is the one heavy job the server has besides forwarding
//! media, and it comes in bursts as calls end; the SFU must keep its cores
//! meanwhile. So the worker runs 10 steps nicer than the server
//! (`WORKER_NICENESS`), and the model uses all cores but one
//! (`model_threads`): a call going on is never slowed by a transcript,
//! which only takes longer.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{Notify, watch};

const WORKER_SCRIPT: &str = include_str!("../../../speech/worker.py");
/// The first restart comes after this long, then twice as long each time
/// the worker stops again soon, up to `LONGEST_WAIT`.
const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(60);
/// A worker that ran this long before stopping starts again at once.
const RAN_WELL: Duration = Duration::from_secs(300);
/// Loading the model takes about a second; a worker silent for this long
/// after starting is stopped and started again.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// The environment variable the worker reads its token from.
const TOKEN_VARIABLE: &str = "ANTEROOM_SPEECH_TOKEN";
/// How much nicer than the server the worker runs (`nice`; 19 at most):
/// when both want the CPU, the server gets most of it.
const WORKER_NICENESS: i32 = 10;
/// The largest request the worker takes: a recording at its cap and the
/// form around it.
const WORKER_MAX_BYTES: u64 = super::recordings::MAX_RECORDING_BYTES + 1024 * 1024;

/// The threads the model computes with: every core but one, which is left
/// to the SFU (one on a single core, where niceness alone gives way).
fn model_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().saturating_sub(1).max(1))
}

/// Where a running worker answers, and the token it wants on every
/// request (as a bearer token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerAddress {
    pub url: String,
    pub token: String,
}

/// Where the worker stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerState {
    /// Not started: nobody wanted a transcript yet.
    Idle,
    Starting,
    /// Answering here.
    Running(WorkerAddress),
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

    /// Where the worker answers, starting it if need be and waiting while
    /// it starts; why not, when it is not running.
    pub async fn address(&self) -> Result<WorkerAddress, String> {
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
            Some(WorkerState::Running(address)) => Ok(address.clone()),
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
    let token = crate::ssr::tokens::random_token();
    let threads = model_threads().to_string();
    let mut command = Command::new(python);
    command
        .arg("-u")
        .arg(script)
        .args(["--port", "0", "--exit-with-stdin", "--threads", &threads])
        .arg(format!("--max-bytes={WORKER_MAX_BYTES}"))
        .env(TOKEN_VARIABLE, &token)
        // faster-whisper's `cpu_threads` (--threads) sizes the model's own
        // pool; OpenMP, under it, would otherwise start one per core.
        .env("OMP_NUM_THREADS", &threads)
        // Held open while it runs: if this server dies, even killed, the
        // pipe closes and the worker exits rather than linger.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: between fork and exec the child only calls nice(2): two
    // system calls, no allocation, no lock. It lowers the priority of the worker and of every
    // thread it starts; lowering needs no privilege, so it cannot fail
    // (and if it did, the worker would merely run at the server's priority).
    unsafe {
        command.pre_exec(|| {
            libc::nice(WORKER_NICENESS);
            Ok(())
        });
    }
    let mut child = match command.spawn() {
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
        Ok(Some(url)) => {
            tracing::info!(%url, "speech worker ready");
            let _ = state.send(WorkerState::Running(WorkerAddress { url, token }));
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
