//! The release server as its own process, for the benchmarks (and for the
//! tests whose point is what an attack costs the server, read from its
//! `/proc` with `procstat`): started on a loopback (or namespace) address with a fresh
//! database, its server functions called over HTTP the way our own pages
//! call them.

use std::net::IpAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// How many times one call is retried after a 429 before the bench gives up.
const MAX_REFUSALS: u32 = 100;

/// Sign-ins are limited per address (20 at once, then one per 3 s), as
/// they should be; a town hall bench signs 200 people in, which from one
/// address takes ten minutes. From a loopback server they come from this
/// many loopback addresses in turn, as from a company's many machines.
const SIGN_IN_ADDRESSES: u8 = 10;

pub struct ServerProcess {
    child: tokio::process::Child,
    pub url: String,
    http: reqwest::Client,
    /// Clients on different source addresses, for sign-ins.
    sign_in_http: Vec<reqwest::Client>,
    sign_ins: std::sync::atomic::AtomicUsize,
    /// The SMTP receiver's address, when it was started with one.
    #[allow(dead_code, reason = "read by the mail tests only")]
    pub smtp_address: Option<std::net::SocketAddr>,
    /// The server's files: database, outbox, data folder (recordings).
    #[allow(dead_code, reason = "read by the SFU bench, not by the doors bench")]
    pub dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts the server on `ip`, inside network namespace `netns` when
    /// given (`ip netns exec` execs it, so its pid is the server's; under a
    /// profiler wrapper, the profiler's), with the demo workspace if `demo`.
    #[allow(dead_code, reason = "not every bench or test that includes this file starts it plainly")]
    pub async fn start(ip: IpAddr, netns: Option<&str>, demo: bool) -> Self {
        Self::launch(ip, netns, demo, false, &[]).await
    }

    /// Like [`start`](Self::start) on `ip`, with these settings in the
    /// server's environment too (`ANTEROOM_…`, as an operator sets them).
    #[allow(dead_code, reason = "not every bench or test that includes this file sets any")]
    pub async fn start_with_env(ip: IpAddr, demo: bool, env: &[(&str, &str)]) -> Self {
        Self::launch(ip, None, demo, false, env).await
    }

    /// Like [`start`](Self::start), with the SMTP receiver on a free port
    /// of `ip` too.
    #[allow(dead_code, reason = "not every bench or test that includes this file receives mail")]
    pub async fn start_receiving_mail(ip: IpAddr, demo: bool) -> Self {
        Self::launch(ip, None, demo, true, &[]).await
    }

    async fn launch(ip: IpAddr, netns: Option<&str>, demo: bool, mail: bool, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = env!("CARGO_BIN_EXE_anteroom-server");
        // A profiler to run the server under, e.g. "heaptrack -o /tmp/sfu".
        let wrapper = std::env::var("ANTEROOM_BENCH_WRAPPER").unwrap_or_default();
        let mut words: Vec<&str> = match netns {
            Some(netns) => vec!["ip", "netns", "exec", netns],
            None => Vec::new(),
        };
        words.extend(wrapper.split_whitespace());
        words.push(server);
        let mut command = tokio::process::Command::new(words[0]);
        command.args(&words[1..]);
        if mail {
            command.env("ANTEROOM_SMTP_LISTEN", format!("{ip}:0"));
        }
        command.envs(env.iter().copied());
        let mut child = command
            .env("ANTEROOM_LISTEN", format!("{ip}:0"))
            .env("ANTEROOM_MEDIA_PORT", "0")
            .env("ANTEROOM_DEMO_DATA", demo.to_string())
            // A town hall bench goes past the default cap of 100 a call.
            .env("ANTEROOM_MAX_CALL_PARTICIPANTS", "1000")
            .env("DATABASE_URL", format!("sqlite://{}/bench.db", dir.path().display()))
            .env("ANTEROOM_MAIL_OUTBOX", dir.path().join("outbox"))
            .env("ANTEROOM_DATA_DIR", dir.path().join("data"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let (url, smtp_address) = tokio::time::timeout(Duration::from_secs(30), async {
            let mut url = None;
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(listening) = line.split("listening on ").nth(1) {
                    url = Some(listening.trim().to_string());
                } else if let Some(smtp) = line.split("over SMTP on ").nth(1) {
                    return (url.expect("the web address first"), Some(smtp.trim().parse().expect("an address")));
                }
                if let Some(url) = url.clone().filter(|_| !mail) {
                    return (url, None);
                }
            }
            panic!("the server exited before listening");
        })
        .await
        .expect("the server listens within 30 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let client = |from: Option<IpAddr>| {
            anteroom_app::ssr::outbound_http::client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .local_address(from)
                .build()
                .unwrap()
        };
        let http = client(None);
        let sign_in_http = match ip {
            IpAddr::V4(server) if server.is_loopback() => {
                (2..2 + SIGN_IN_ADDRESSES).map(|n| client(Some(IpAddr::from([127, 0, 0, n])))).collect()
            }
            _ => sign_in_addresses().into_iter().map(|from| client(Some(from))).collect(),
        };
        ServerProcess { child, url, http, sign_in_http, sign_ins: Default::default(), smtp_address, dir }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// An HTTP client whose connections come from `from` (any of
    /// 127.0.0.0/8 for a loopback server): another client address, as the
    /// server counts them.
    #[allow(dead_code, reason = "not every bench or test that includes this file calls it")]
    pub fn client_from(&self, from: impl Into<IpAddr>) -> reqwest::Client {
        anteroom_app::ssr::outbound_http::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(from.into())
            .build()
            .expect("http client")
    }

    /// Calls a server function as our own page would (our Origin, a form
    /// body); returns its result and the session cookie it set, if any.
    pub async fn call<T: serde::de::DeserializeOwned>(
        &self,
        cookie: Option<&str>,
        function: &str,
        args: &[(&str, &str)],
    ) -> (T, Option<String>) {
        self.call_from(&self.http, cookie, function, args).await
    }

    async fn call_from<T: serde::de::DeserializeOwned>(
        &self,
        http: &reqwest::Client,
        cookie: Option<&str>,
        function: &str,
        args: &[(&str, &str)],
    ) -> (T, Option<String>) {
        // Refused for going too fast (sign-ins are limited per address):
        // wait as long as the server says, as a browser's user would.
        let mut refusals = 0;
        let response = loop {
            let mut request = http
                .post(format!("{}/api/{function}", self.url))
                .header("Accept", "application/json")
                .header("Origin", &self.url)
                .form(args);
            if let Some(cookie) = cookie {
                request = request.header("Cookie", cookie);
            }
            let response = request.send().await.expect("server answers");
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|_| response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS && refusals < MAX_REFUSALS);
            match retry_after {
                Some(seconds) => {
                    refusals += 1;
                    tokio::time::sleep(Duration::from_secs(seconds)).await;
                }
                None => break response,
            }
        };
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().to_string());
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success() || status.is_redirection(), "{function} failed: {status} {body}");
        let body = if body.is_empty() { "null" } else { &body };
        (serde_json::from_str(body).unwrap_or_else(|e| panic!("{function}: {e}: {body}")), cookie)
    }

    /// Signs in and returns the session cookie.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let turn = self.sign_ins.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let http = self.sign_in_http.get(turn % self.sign_in_http.len().max(1)).unwrap_or(&self.http);
        let args = [("email", email), ("password", password)];
        self.call_from::<()>(http, None, "sign_in", &args).await.1.expect("a session cookie")
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// Extra source addresses for sign-ins to a server that is not on
/// loopback (`ANTEROOM_BENCH_SIGN_IN_FROM`, comma-separated; the bench
/// script gives its peers' namespace these addresses too).
fn sign_in_addresses() -> Vec<IpAddr> {
    std::env::var("ANTEROOM_BENCH_SIGN_IN_FROM")
        .unwrap_or_default()
        .split(',')
        .filter_map(|address| address.trim().parse().ok())
        .collect()
}
