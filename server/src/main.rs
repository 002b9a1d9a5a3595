//! Starts Anteroom: read the config, open the database, serve until Ctrl-C.

use anteroom_server::{Config, Server};
use clap::Parser;

/// mimalloc rather than glibc's allocator: glibc keeps an arena per thread
/// and seldom gives freed memory back, so a burst (sign-ins hashing
/// passwords, a call's peers starting) left the server's memory high for
/// good. Built without transparent huge pages (`no_thp`): it asked for them
/// on its arenas, and a 2 MiB page counts in full however little of it is
/// used (an idle server was 33 MiB resident with them, 21 MiB without). See
/// BENCHMARKS.md. The `system-allocator` feature keeps glibc's,
/// for heap profilers that follow malloc (heaptrack).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Everything the server writes is for its own user only: the database
/// (with SQLite's `-wal` and `-shm` beside it), sent mail, call
/// recordings, the speech worker and whatever that writes. A file-creation
/// mask set once, first thing, covers the files SQLite and child processes
/// make too, which no mode on a `create` of ours could; under the usual
/// umask of 022 they were all readable by every user of the machine.
/// Folders are made 0700 and files 0600. What an earlier version made
/// keeps its mode (README: `chmod -R go= data`).
fn keep_files_private() {
    // SAFETY: umask only sets this process's file-creation mask.
    unsafe { libc::umask(0o077) };
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    keep_files_private();
    // The hashing thread sleeps between sign-ins: without a collection
    // mimalloc would keep a hash's 19 MiB for it.
    // SAFETY: mi_collect only frees memory this process no longer uses.
    #[cfg(not(feature = "system-allocator"))]
    anteroom_app::ssr::passwords::release_memory_after_each_hash(|| unsafe { libmimalloc_sys::mi_collect(true) });
    let config = Config::parse();
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        use tracing_subscriber::{EnvFilter, Layer, fmt};
        tracing_subscriber::registry()
            .with(EnvFilter::try_new(&config.log).unwrap_or_else(|_| "info".into()))
            .with(fmt::layer().with_filter(anteroom_server::log_pacing::Paced::default()))
            .init();
    }
    let server = match Server::start(config).await {
        Ok(server) => server,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("Anteroom could not start: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Printed on stdout too: scripts and the browser tests read the address from it.
    println!("Anteroom is listening on {}", server.public_url);
    if let Some(smtp) = server.smtp_address {
        println!("Receiving mail for the inboxes over SMTP on {smtp}");
    }
    server.serve_until(shutdown_signal()).await;
    std::process::ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
