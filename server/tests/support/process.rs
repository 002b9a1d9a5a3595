//! The real server binary as a process of its own, for the tests whose
//! point is what an attack costs it: its memory is read from
//! `/proc/<pid>/status`, apart from the test's own.

use std::net::IpAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct ServerProcess {
    child: tokio::process::Child,
    pid: u32,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// The server with the demo workspace, on a free loopback port, with
    /// its own database, outbox and data folder.
    pub async fn start_with_demo() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_anteroom-server"))
            .env("ANTEROOM_LISTEN", "127.0.0.1:0")
            .env("ANTEROOM_MEDIA_PORT", "0")
            .env("ANTEROOM_DEMO_DATA", "true")
            .env("DATABASE_URL", format!("sqlite://{}/anteroom.db", dir.path().display()))
            .env("ANTEROOM_MAIL_OUTBOX", dir.path().join("outbox"))
            .env("ANTEROOM_DATA_DIR", dir.path().join("data"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        let pid = child.id().expect("a running server has a pid");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let listening = async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.split("listening on ").nth(1) {
                    return url.trim().to_string();
                }
            }
            panic!("the server stopped before it listened");
        };
        let url =
            tokio::time::timeout(Duration::from_secs(30), listening).await.expect("the server listens within 30 s");
        // Its log is read on, so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        ServerProcess { child, pid, url, _dir: dir }
    }

    /// The server's process id, for what `/proc` says of it.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The server's resident memory now, in MiB.
    pub fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).expect("the server's /proc status");
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status");
        kib / 1024.0
    }

    /// An HTTP client (no cookies kept, redirects not followed).
    pub fn client(&self) -> reqwest::Client {
        self.client_from([127, 0, 0, 1])
    }

    /// An HTTP client whose connections come from `address` (any of
    /// 127.0.0.0/8): another client address, as the server counts them.
    pub fn client_from(&self, address: impl Into<IpAddr>) -> reqwest::Client {
        anteroom_server::outbound_http::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(address.into())
            .build()
            .expect("http client")
    }

    /// Stops the server as Ctrl-C does and waits for it.
    pub async fn stop(mut self) {
        let _ = std::process::Command::new("kill").args(["-INT", &self.pid.to_string()]).status();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
    }
}
