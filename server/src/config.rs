//! The server's configuration: command-line flags, each with an environment
//! variable and a default that runs the embedded set-up out of the box.

use clap::Parser;
use std::net::SocketAddr;

#[derive(Debug, Clone, Parser)]
#[command(name = "anteroom-server", version, about = "Anteroom: meet guests without giving them accounts")]
pub struct Config {
    /// Address and port to listen on. Port 0 picks a free port (tests).
    #[arg(long, env = "ANTEROOM_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Where the data lives. A sqlite:// URL; the folder is created if missing.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/anteroom.db")]
    pub database_url: String,

    /// The address people use to reach this server (for links in emails and
    /// invites, and Secure cookies when https). Defaults to http://<listen>.
    #[arg(long, env = "ANTEROOM_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Seed a demo workspace into an empty database. Turn off in production.
    #[arg(long, env = "ANTEROOM_DEMO_DATA", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo_data: bool,

    /// Allow demo data while listening on a network address. Its members'
    /// password is published, so without this flag the server refuses to
    /// start that way.
    #[arg(long, env = "ANTEROOM_DEMO_ON_NETWORK", default_value_t = false, action = clap::ArgAction::Set)]
    pub demo_on_network: bool,

    /// Folder with the built browser bundle (set by cargo-leptos).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// UDP port that carries all call media (open it in the firewall).
    /// It is bound on the same address as --listen; 0 picks a free port.
    #[arg(long, env = "ANTEROOM_MEDIA_PORT", default_value_t = 40000)]
    pub media_port: u16,

    /// The public IP browsers should send media to, when the server is
    /// behind NAT. Unset: the machine's own addresses.
    #[arg(long, env = "ANTEROOM_MEDIA_PUBLIC_IP")]
    pub media_public_ip: Option<std::net::IpAddr>,

    /// STUN/TURN server URLs for browsers behind strict NATs, comma
    /// separated (e.g. turn:turn.example.com:3478).
    #[arg(long, env = "ANTEROOM_ICE_SERVERS", value_delimiter = ',')]
    pub ice_servers: Vec<String>,

    /// SMTP relay for outgoing mail, as a URL:
    /// smtp://user:password@host:587?tls=required (or smtps://host:465).
    /// Unset: sent mail is kept as .eml files in --mail-outbox.
    #[arg(long, env = "ANTEROOM_SMTP_RELAY")]
    pub smtp_relay: Option<String>,

    /// Folder that keeps outgoing mail when no relay is configured.
    #[arg(long, env = "ANTEROOM_MAIL_OUTBOX", default_value = "data/outbox")]
    pub mail_outbox: std::path::PathBuf,

    /// Sender address of call invitations and meeting notes (e.g.
    /// calls@example.com). Unset: calls@ the --public-url host.
    #[arg(long, env = "ANTEROOM_CALLS_FROM")]
    pub calls_from: Option<String>,

    /// How long a guest's visit may last, in hours, from their knock: then
    /// their pass stops working and their call and guest socket end.
    #[arg(long, env = "ANTEROOM_GUEST_VISIT_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=168))]
    pub guest_visit_hours: u64,

    /// How long, in seconds, a guest must have been in a meeting channel's
    /// call to be emailed its notes (when the channel sends them): a visit
    /// of a moment gets nothing.
    #[arg(long, env = "ANTEROOM_GUEST_NOTES_MIN_STAY_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub guest_notes_min_stay_secs: u64,

    /// The most people one call may have; the next one is told it is full.
    #[arg(long, env = "ANTEROOM_MAX_CALL_PARTICIPANTS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(2..=10_000))]
    pub max_call_participants: u64,

    /// The most call sessions (windows, devices) one member may have at once.
    #[arg(long, env = "ANTEROOM_MAX_CALLS_PER_MEMBER", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub max_calls_per_member: u64,

    /// Address and port of the built-in SMTP receiver for incoming mail
    /// (e.g. 0.0.0.0:2525). Unset: no receiver.
    #[arg(long, env = "ANTEROOM_SMTP_LISTEN")]
    pub smtp_listen: Option<SocketAddr>,

    /// Base URL of an OpenAI-compatible speech-to-text service for call
    /// transcripts (POST /v1/audio/transcriptions), e.g. http://gpu-box:8000.
    /// Unset: the embedded engine (app/speech), run with --speech-python.
    #[arg(long, env = "ANTEROOM_TRANSCRIPTION_URL")]
    pub transcription_url: Option<String>,

    /// Bearer token for --transcription-url, for a hosted service.
    #[arg(long, env = "ANTEROOM_TRANSCRIPTION_API_KEY", hide_env_values = true)]
    pub transcription_api_key: Option<String>,

    /// Base URL of an OpenAI-compatible chat-completions service that writes
    /// call summaries (POST /v1/chat/completions), e.g. http://localhost:11434
    /// for Ollama. Unset: the extractive summary, written without a model
    /// (also the fallback when the model fails).
    #[arg(long, env = "ANTEROOM_SUMMARY_URL", requires = "summary_model")]
    pub summary_url: Option<String>,

    /// The model --summary-url runs, e.g. llama3.2:3b.
    #[arg(long, env = "ANTEROOM_SUMMARY_MODEL", requires = "summary_url")]
    pub summary_model: Option<String>,

    /// Bearer token for --summary-url, for a hosted service.
    #[arg(long, env = "ANTEROOM_SUMMARY_API_KEY", hide_env_values = true)]
    pub summary_api_key: Option<String>,

    /// Seconds the summary model gets to answer before the extractive
    /// summary is used instead.
    #[arg(long, env = "ANTEROOM_SUMMARY_TIMEOUT_SECS", default_value_t = 180, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub summary_timeout_secs: u64,

    /// The Python of the embedded speech engine's virtual environment
    /// (scripts/setup makes it). Unset: ~/.cache/anteroom/speech-venv/bin/python.
    #[arg(long, env = "ANTEROOM_SPEECH_PYTHON")]
    pub speech_python: Option<std::path::PathBuf>,

    /// Folder for call recordings (kept only until transcribed) and the
    /// embedded speech worker.
    #[arg(long, env = "ANTEROOM_DATA_DIR", default_value = "data")]
    pub data_dir: std::path::PathBuf,

    /// The largest file a member may attach to a message, in megabytes
    /// (MiB). Larger uploads are refused with this number in the error.
    #[arg(long, env = "ANTEROOM_MAX_FILE_MB", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_file_mb: u64,

    /// The most all files attached in one workspace's channels may add up
    /// to, in megabytes (MiB; 10240 is 10 GiB). Past it, uploads are
    /// refused until files are deleted.
    #[arg(long, env = "ANTEROOM_WORKSPACE_FILES_MB", default_value_t = 10_240, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub workspace_files_mb: u64,

    /// Days a call's record, transcript and summary are kept after it ends.
    #[arg(long, env = "ANTEROOM_TRANSCRIPT_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub transcript_retention_days: u64,

    /// Log filter, in tracing's EnvFilter syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info,anteroom=debug")]
    pub log: String,
}

impl Config {
    /// What members may store, from --max-file-mb and --workspace-files-mb.
    pub fn file_limits(&self) -> anteroom_app::ssr::file_store::FileLimits {
        anteroom_app::ssr::file_store::FileLimits {
            max_file_bytes: self.max_file_mb * 1024 * 1024,
            workspace_quota_bytes: self.workspace_files_mb * 1024 * 1024,
        }
    }

    /// Where and how the SFU carries media: on the --listen address, and only
    /// over loopback when the server itself only listens there.
    pub fn media(&self) -> crate::sfu::MediaConfig {
        crate::sfu::MediaConfig {
            bind: SocketAddr::new(self.listen.ip(), self.media_port),
            public_ip: self.media_public_ip,
            loopback_only: self.listen.ip().is_loopback() && self.media_public_ip.is_none(),
            ice_servers: self.ice_servers.clone(),
        }
    }

    /// How people off this machine can reach the server, if they can: a
    /// --listen address that is not loopback, or a --public-url whose host
    /// is not (a reverse proxy on this machine forwards the world to a
    /// loopback port, so listening on 127.0.0.1 alone proves nothing).
    /// None: only this machine can reach it.
    pub fn network_exposure(&self) -> Option<String> {
        if !self.listen.ip().is_loopback() {
            return Some(format!("the network address {}", self.listen.ip()));
        }
        match &self.public_url {
            Some(url) if !is_loopback_url(url) => Some(format!("the public URL {url}")),
            _ => None,
        }
    }

    /// The embedded speech engine's Python.
    pub fn speech_python(&self) -> std::path::PathBuf {
        self.speech_python.clone().unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
            home.join(".cache/anteroom/speech-venv/bin/python")
        })
    }

    /// The public URL, given the address actually bound (which differs from
    /// `listen` when the port was 0).
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{bound}")).trim_end_matches('/').to_string()
    }

    /// A config for tests: a free port on loopback, the given database, no demo data.
    pub fn for_tests(database_url: String) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url,
            public_url: None,
            demo_data: false,
            demo_on_network: false,
            guest_visit_hours: 12,
            guest_notes_min_stay_secs: 60,
            max_call_participants: 100,
            max_calls_per_member: 4,
            media_port: 0,
            media_public_ip: None,
            ice_servers: Vec::new(),
            site_root: "target/site".into(),
            smtp_relay: None,
            mail_outbox: std::env::temp_dir().join("anteroom-test-outbox"),
            smtp_listen: None,
            calls_from: None,
            transcription_url: None,
            transcription_api_key: None,
            summary_url: None,
            summary_model: None,
            summary_api_key: None,
            summary_timeout_secs: 180,
            speech_python: None,
            data_dir: std::env::temp_dir().join("anteroom-test-data"),
            transcript_retention_days: 30,
            max_file_mb: 25,
            workspace_files_mb: 10_240,
            log: "warn".into(),
        }
    }
}

/// True when `url`'s host is `localhost`, in 127.0.0.0/8 or `::1`. A URL
/// that cannot be read counts as not loopback: it is not known to be local.
fn is_loopback_url(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url).ok().and_then(|url| url.host_str().map(str::to_ascii_lowercase)) else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_the_embedded_setup() {
        let config = Config::try_parse_from(["anteroom-server"]).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, "sqlite://data/anteroom.db");
        assert!(config.demo_data);
        assert_eq!(config.public_url_for(config.listen), "http://127.0.0.1:3000");
    }

    #[test]
    fn flags_override_and_bad_values_are_explained() {
        let config = Config::try_parse_from([
            "anteroom-server",
            "--demo-data=false",
            "--public-url",
            "https://meet.example.com/",
        ])
        .unwrap();
        assert!(!config.demo_data);
        assert_eq!(config.public_url_for(config.listen), "https://meet.example.com");
        let error = Config::try_parse_from(["anteroom-server", "--listen", "nonsense"]).unwrap_err();
        assert!(error.to_string().contains("invalid value 'nonsense'"), "{error}");
    }

    #[test]
    fn a_public_url_off_loopback_puts_the_server_on_the_network() {
        let exposure = |args: &[&str]| {
            let config = Config::try_parse_from([&["anteroom-server"], args].concat()).unwrap();
            config.network_exposure()
        };
        assert_eq!(exposure(&[]), None);
        for local in ["http://localhost:3000", "http://LOCALHOST.", "http://127.0.0.2:3000/", "http://[::1]:3000"] {
            assert_eq!(exposure(&["--public-url", local]), None, "{local}");
        }
        assert_eq!(
            exposure(&["--public-url", "https://meet.example.com"]).as_deref(),
            Some("the public URL https://meet.example.com")
        );
        for remote in ["https://192.0.2.7", "http://[2001:db8::1]:3000", "http://localhost.example.com", "not a url"] {
            assert!(exposure(&["--public-url", remote]).is_some(), "{remote}");
        }
        assert_eq!(exposure(&["--listen", "0.0.0.0:3000"]).as_deref(), Some("the network address 0.0.0.0"));
    }
}
