//! The Anteroom server as a library, so the binary and the integration tests
//! start exactly the same thing.
// Leptos view types nest deeply; the default limit is too low for them.
#![recursion_limit = "512"]

pub mod call_records;
pub mod config;
mod files;
mod inbox_delivery;
pub mod log_pacing;
mod routes;
pub mod sfu;
pub mod smtp_receiver;
pub mod sockets;
mod web;

pub use web::body_deadline::BODY_READ_TIMEOUT;
pub use web::connections::CONNECTIONS_PER_ADDRESS;

pub use config::Config;

use anteroom_app::ssr::mail_out::Mailer;
use anteroom_app::ssr::{db, guests::GuestDesk, presence::PresenceHub, seed, settings::Settings, state::AppState};
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Why the server could not start, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] db::OpenError),
    #[error("could not seed the demo data: {0}")]
    Seed(anteroom_app::error::AppError),
    #[error(transparent)]
    Media(#[from] sfu::MediaError),
    #[error(
        "could not listen on {address}: {source}. Is another program using that port? Set ANTEROOM_LISTEN to choose another."
    )]
    Listen { address: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Relay(#[from] anteroom_app::ssr::mail_out::RelayUrlError),
    #[error("ANTEROOM_CALLS_FROM: {0}")]
    CallsFrom(anteroom_app::error::AppError),
    /// What makes the server reachable from the network: see
    /// [`Config::network_exposure`].
    #[error(
        "refusing demo data on {0}: anyone who can reach it could sign in as the demo admin with the published password. Start with --demo-data=false (ANTEROOM_DEMO_DATA=false), or add --demo-on-network=true if that is really what you want."
    )]
    DemoOnNetwork(String),
    #[error(
        "could not use the data folder {path}: {source}. Check that it exists and is writable, or set ANTEROOM_DATA_DIR."
    )]
    DataDir { path: std::path::PathBuf, source: std::io::Error },
}

/// How long stopping waits for open sockets to end (they are told at once;
/// each needs only to write its last rows).
const SOCKETS_CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Everything the routes need.
#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub leptos: LeptosOptions,
    pub sfu: Arc<sfu::Sfu>,
    pub knock_limits: Arc<sockets::knock_limits::KnockLimits>,
    pub call_limits: Arc<sockets::call_limits::CallLimits>,
    /// Signs the tickets that admit participants to calls (the SFU
    /// verifies them with the same key).
    pub tickets: sfu::ticket::TicketKey,
    /// The record of meeting channels' calls (whether one is transcribed).
    pub call_log: anteroom_app::ssr::calls::log::CallLog,
    /// Flips to true when the server is shutting down, so long-lived sockets end.
    pub shutdown: watch::Receiver<bool>,
    /// The sockets still open. An upgraded socket runs apart from the HTTP
    /// server's own shutdown, so stopping waits for these as well before it
    /// closes the database: what a socket writes on its way out (the end of
    /// a guest's visit) is kept.
    pub sockets: tokio_util::task::TaskTracker,
}

impl axum::extract::FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

/// A started server: listening, but not yet answering until [`Server::serve_until`].
pub struct Server {
    pub address: SocketAddr,
    /// Where the SMTP receiver listens, when it is on.
    pub smtp_address: Option<SocketAddr>,
    smtp_listener: Option<TcpListener>,
    pub public_url: String,
    pub state: ServerState,
    listener: TcpListener,
    shutdown: watch::Sender<bool>,
    transcriber: anteroom_app::ssr::calls::transcriber::Transcriber,
    /// Rings the notes task (a call ended, a transcript settled).
    notes: Arc<tokio::sync::Notify>,
    /// The caps on client connections, sized when the server started.
    connection_caps: web::connections::ConnectionCaps,
}

impl Server {
    /// Opens the database (applying migrations), seeds demo data if asked and
    /// the database is empty, and binds the listening socket.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        if config.demo_data
            && !config.demo_on_network
            && let Some(exposure) = config.network_exposure()
        {
            return Err(StartError::DemoOnNetwork(exposure));
        }
        let db = db::open(&config.database_url).await?;
        if config.demo_data && seed::seed_demo_if_empty(&db).await.map_err(StartError::Seed)? {
            tracing::info!(
                "seeded the demo workspace {:?}: sign in as {} with the password {:?}",
                seed::DEMO_WORKSPACE,
                seed::DEMO_MEMBERS.iter().map(|m| m.1).collect::<Vec<_>>().join(", "),
                seed::DEMO_PASSWORD
            );
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen { address: config.listen, source })?;
        let address = listener.local_addr().map_err(|source| StartError::Listen { address: config.listen, source })?;
        let public_url = config.public_url_for(address);
        let calls_from = match &config.calls_from {
            Some(address) => Some(anteroom_app::validate::email("calls_from", address).map_err(StartError::CallsFrom)?),
            None => None,
        };
        let tickets = sfu::ticket::TicketKey::random();
        let sfu = sfu::Sfu::start(&config.media(), tickets.clone()).await?;
        let mailer = Mailer::new(config.smtp_relay.as_deref(), config.mail_outbox.clone())?;
        let smtp_listener = match config.smtp_listen {
            Some(address) => {
                Some(TcpListener::bind(address).await.map_err(|source| StartError::Listen { address, source })?)
            }
            None => None,
        };
        let smtp_address = smtp_listener.as_ref().and_then(|listener| listener.local_addr().ok());
        tracing::info!(media = %sfu.media_address(), "media (UDP) ready");
        let (shutdown, shutdown_rx) = watch::channel(false);
        let transcribe = Arc::new(tokio::sync::Notify::new());
        let notes = Arc::new(tokio::sync::Notify::new());
        let call_log =
            anteroom_app::ssr::calls::log::CallLog::start(db.clone(), vec![transcribe.clone(), notes.clone()]);
        let state = ServerState {
            app: AppState {
                db,
                presence: PresenceHub::new(),
                guests: GuestDesk::new(std::time::Duration::from_secs(config.guest_visit_hours * 3600)),
                inbox_news: Default::default(),
                schedule_changes: Arc::default(),
                workspace_news: Default::default(),
                mailer,
                settings: Arc::new(Settings {
                    public_url: public_url.clone(),
                    calls_from,
                    guest_notes_min_stay_secs: i64::try_from(config.guest_notes_min_stay_secs).unwrap_or(i64::MAX),
                }),
                sign_in_limits: Arc::default(),
                map_changes: Arc::new(anteroom_app::ssr::room_layout::change_limit()),
                session_ends: Default::default(),
                files: Arc::new(
                    anteroom_app::ssr::file_store::FileStore::open(
                        &config.data_dir.join("files"),
                        config.file_limits(),
                    )
                    .map_err(|source| StartError::DataDir { path: config.data_dir.join("files"), source })?,
                ),
            },
            leptos: leptos_options(&config, address),
            sfu,
            knock_limits: Arc::default(),
            call_limits: Arc::new(sockets::call_limits::CallLimits::new(
                config.max_call_participants,
                config.max_calls_per_member,
            )),
            tickets,
            call_log,
            shutdown: shutdown_rx,
            sockets: tokio_util::task::TaskTracker::new(),
        };
        let open_calls =
            anteroom_app::ssr::calls::end_interrupted(&state.app.db, db::now()).await.map_err(|error| {
                StartError::Database(db::OpenError::Connect { url: config.database_url.clone(), source: error })
            })?;
        if !open_calls.is_empty() {
            tracing::info!(calls = open_calls.len(), "calls the last run left open ended at this restart");
        }
        // Uploads abandoned before the stop (more than a day unsent) go.
        let abandoned =
            anteroom_app::ssr::files::forget_unsent(&state.app.db, db::now_millis()).await.map_err(|error| {
                StartError::Database(db::OpenError::Connect { url: config.database_url.clone(), source: error })
            })?;
        state.app.files.forget_unreferenced(&state.app.db, abandoned).await;
        state.sfu.observe_calls(Arc::new(call_records::CallRecords {
            log: state.call_log.clone(),
            data_dir: config.data_dir.clone(),
            runtime: tokio::runtime::Handle::current(),
        }));
        let transcriber = transcriber(&config, &state, transcribe, notes.clone());
        // Raised before anything is served, so the caps fit what is there.
        let connection_caps = web::connections::ConnectionCaps::new(
            web::connections::CONNECTIONS_PER_ADDRESS,
            web::connections::raise_descriptor_limit(),
        );
        Ok(Server {
            address,
            smtp_address,
            smtp_listener,
            public_url,
            state,
            listener,
            shutdown,
            transcriber,
            notes,
            connection_caps,
        })
    }

    /// Serves requests until `signal` completes, then stops accepting, ends
    /// live sockets and waits for requests in flight.
    pub async fn serve_until(self, signal: impl std::future::Future<Output = ()> + Send + 'static) {
        let router = routes::router(self.state.clone());
        if let Some(listener) = self.smtp_listener {
            let delivery = inbox_delivery::InboxDelivery {
                db: self.state.app.db.clone(),
                news: self.state.app.inbox_news.clone(),
                files: self.state.app.files.clone(),
            };
            tokio::spawn(smtp_receiver::serve(listener, delivery, self.state.shutdown.clone()));
        }
        tokio::spawn(anteroom_app::ssr::schedules::sending::run(self.state.app.clone(), self.state.shutdown.clone()));
        tokio::spawn(anteroom_app::ssr::call_notes::sending::run(
            self.state.app.clone(),
            self.notes,
            self.state.shutdown.clone(),
        ));
        tokio::spawn(self.transcriber.run(self.state.shutdown.clone()));
        tokio::spawn(call_records::transcription_switch::follow(
            self.state.sfu.clone(),
            self.state.call_log.clone(),
            self.state.app.workspace_news.subscribe_channels(),
            self.state.shutdown.clone(),
        ));
        let shutdown = self.shutdown;
        web::connections::serve(self.listener, router, self.connection_caps, async move {
            signal.await;
            let _ = shutdown.send(true);
        })
        .await;
        self.state.sockets.close();
        if tokio::time::timeout(SOCKETS_CLOSE_WITHIN, self.state.sockets.wait()).await.is_err() {
            tracing::warn!(open = self.state.sockets.len(), "sockets still open at shutdown: closing anyway");
        }
        self.state.sfu.shutdown().await;
        // What the calls' watches noted is written before the database closes.
        self.state.call_log.flush().await;
        self.state.app.db.close().await;
    }
}

/// The transcripts task, speaking to --transcription-url, or to the
/// embedded speech worker (started when first needed).
fn transcriber(
    config: &Config,
    state: &ServerState,
    wake: Arc<tokio::sync::Notify>,
    settled: Arc<tokio::sync::Notify>,
) -> anteroom_app::ssr::calls::transcriber::Transcriber {
    let endpoint = match &config.transcription_url {
        Some(url) => anteroom_app::ssr::calls::speech::Endpoint::Fixed(url.clone()),
        None => anteroom_app::ssr::calls::speech::Endpoint::Embedded(
            anteroom_app::ssr::calls::speech_worker::Worker::spawn(
                config.speech_python(),
                &config.data_dir,
                state.shutdown.clone(),
            ),
        ),
    };
    anteroom_app::ssr::calls::transcriber::Transcriber {
        db: state.app.db.clone(),
        engine: anteroom_app::ssr::calls::speech::SpeechEngine::new(endpoint, config.transcription_api_key.clone()),
        summaries: match (&config.summary_url, &config.summary_model) {
            (Some(url), Some(model)) => anteroom_app::ssr::calls::summary_model::SummaryWriter::model(
                url,
                model,
                config.summary_api_key.clone(),
                std::time::Duration::from_secs(config.summary_timeout_secs),
            ),
            _ => anteroom_app::ssr::calls::summary_model::SummaryWriter::extractive(),
        },
        data_dir: config.data_dir.clone(),
        first_retry: std::time::Duration::from_secs(30),
        wake,
        settled,
        retention: std::time::Duration::from_secs(config.transcript_retention_days * 24 * 3600),
    }
}

/// Leptos' options, from cargo-leptos' environment when it runs us, with
/// defaults that match the workspace metadata otherwise.
fn leptos_options(config: &Config, address: SocketAddr) -> LeptosOptions {
    let env = std::env::var("LEPTOS_ENV").unwrap_or_else(|_| "DEV".into());
    LeptosOptions::builder()
        .output_name("anteroom")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(address)
        .env(env.parse::<leptos::config::Env>().unwrap_or_default())
        .reload_port(std::env::var("LEPTOS_RELOAD_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3001))
        .hash_files(site_files_are_hashed())
        .build()
}

/// Whether the site was built with hashed file names: `cargo leptos build`
/// then leaves `hash.txt` (the names' hashes) beside the server binary,
/// where Leptos reads it. A binary built by plain `cargo` has none.
fn site_files_are_hashed() -> bool {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").exists())).unwrap_or(false)
}
