//! Starts a real Anteroom server on a free loopback port with its own
//! database file, and talks to it over HTTP like a browser would.

#![allow(dead_code)]

/// The server binary as a process of its own, shared with the benchmarks.
#[path = "../../benches/common/server_process.rs"]
pub mod process;
/// CPU, memory and descriptors of the server process, from /proc.
#[path = "../../benches/sfu/procstat.rs"]
pub mod procstat;

use anteroom_app::error::AppError;
use anteroom_server::{Config, Server};
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

pub struct TestServer {
    pub url: String,
    /// The address the server listens on (differs from `url`'s host when
    /// the test gave it a public URL).
    pub address: std::net::SocketAddr,
    /// The SMTP receiver's address, when the test turned it on.
    pub smtp_address: Option<std::net::SocketAddr>,
    pub database_url: String,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// The folder that keeps sent mail when no relay is configured.
    pub fn outbox(&self) -> std::path::PathBuf {
        self._dir.path().join("outbox")
    }
}

impl TestServer {
    /// An empty server: no workspace yet.
    pub async fn empty() -> Self {
        Self::start(false).await
    }

    /// A server with the demo workspace.
    pub async fn with_demo() -> Self {
        Self::start(true).await
    }

    async fn start(demo_data: bool) -> Self {
        Self::start_with(demo_data, |_| {}).await
    }

    /// A server with the demo workspace and the test's own settings.
    pub async fn with_demo_and(configure: impl FnOnce(&mut Config)) -> Self {
        Self::start_with(true, configure).await
    }

    async fn start_with(demo_data: bool, configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = format!("sqlite://{}/anteroom.db", dir.path().display());
        let mut config = Config::for_tests(database_url.clone());
        config.demo_data = demo_data;
        config.mail_outbox = dir.path().join("outbox");
        configure(&mut config);
        let server = Server::start(config).await.expect("server starts");
        let url = server.public_url.clone();
        let address = server.address;
        let smtp_address = server.smtp_address;
        let (stop, stopped) = oneshot::channel();
        let handle = tokio::spawn(server.serve_until(async {
            let _ = stopped.await;
        }));
        TestServer { url, address, smtp_address, database_url, stop: Some(stop), handle: Some(handle), _dir: dir }
    }

    /// A new browser-like client with its own cookie jar.
    pub fn client(&self) -> Client {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Client {
            base: self.url.clone(),
            jar: jar.clone(),
            http: anteroom_server::outbound_http::client_builder()
                .cookie_provider(jar)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
        }
    }

    /// A client signed in as `email` with `password`.
    pub async fn signed_in(&self, email: &str, password: &str) -> Client {
        let client = self.client();
        client
            .call::<()>("sign_in", &[("email", email), ("password", password)])
            .await
            .unwrap_or_else(|error| panic!("{email} signs in: {error}"));
        client
    }

    /// Stops the server the way Ctrl-C does and waits until it has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("server task ends cleanly");
        }
    }
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Client {
    /// Calls a server function with form-encoded arguments, as an HTML form
    /// on our own page would, and decodes its typed result or error.
    pub async fn call<T: DeserializeOwned>(&self, function: &str, args: &[(&str, &str)]) -> Result<T, AppError> {
        decode(function, self.post(function).form(args)).await
    }

    /// Calls a server function that takes JSON arguments.
    pub async fn call_json<T: DeserializeOwned>(&self, function: &str, args: serde_json::Value) -> Result<T, AppError> {
        decode(function, self.post(function).json(&args)).await
    }

    /// A server function request as our own pages send it: with our Origin.
    pub fn post(&self, function: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}/api/{function}", self.base)).header("Origin", &self.base)
    }

    /// Opens the live-event socket with this client's cookies.
    pub async fn live_socket(&self) -> Result<LiveSocket, tokio_tungstenite::tungstenite::Error> {
        self.socket(anteroom_app::protocol::LIVE_PATH).await
    }

    /// Opens the call signalling socket of a room with this client's cookies.
    pub async fn signal_socket(&self, room: &str) -> Result<SignalSocket, tokio_tungstenite::tungstenite::Error> {
        self.socket(&format!("{}?room={room}", anteroom_app::protocol::signal::SIGNAL_PATH)).await
    }

    /// Opens the call signalling socket of a room as a guest holding `pass`.
    pub async fn guest_signal_socket(
        &self,
        room: &str,
        pass: &str,
    ) -> Result<SignalSocket, tokio_tungstenite::tungstenite::Error> {
        self.guest_signal_socket_at(&format!("{}?room={room}", anteroom_app::protocol::signal::SIGNAL_PATH), pass).await
    }

    /// Opens the signalling socket at `path` (a conference's `signal_path()`)
    /// with this client's cookies.
    pub async fn signal_socket_at(&self, path: &str) -> Result<SignalSocket, tokio_tungstenite::tungstenite::Error> {
        self.socket_with(path, None).await
    }

    /// Opens the signalling socket at `path` as a guest, with `pass` in the
    /// subprotocol as the browser sends it.
    pub async fn guest_signal_socket_at(
        &self,
        path: &str,
        pass: &str,
    ) -> Result<SignalSocket, tokio_tungstenite::tungstenite::Error> {
        self.socket_with(path, Some(&anteroom_app::protocol::signal::pass_protocol(pass))).await
    }

    /// Opens the guest socket of an invite token (no knock sent yet).
    pub async fn guest_socket(&self, invite: &str) -> Result<GuestSocket, tokio_tungstenite::tungstenite::Error> {
        self.socket(&anteroom_app::protocol::guest::guest_socket_path(invite)).await
    }

    /// Opens the guest socket of an invite token from the loopback address
    /// `from`, as a guest on another network would.
    pub async fn guest_socket_from(
        &self,
        invite: &str,
        from: std::net::IpAddr,
    ) -> Result<GuestSocket, tokio_tungstenite::tungstenite::Error> {
        self.socket_from(&anteroom_app::protocol::guest::guest_socket_path(invite), None, from).await
    }

    /// Opens the signalling socket at `path` as a guest holding `pass`,
    /// from the loopback address `from` (where the guest knocked).
    pub async fn guest_signal_socket_at_from(
        &self,
        path: &str,
        pass: &str,
        from: std::net::IpAddr,
    ) -> Result<SignalSocket, tokio_tungstenite::tungstenite::Error> {
        self.socket_from(path, Some(&anteroom_app::protocol::signal::pass_protocol(pass)), from).await
    }

    async fn socket_from<T>(
        &self,
        path: &str,
        protocol: Option<&str>,
        from: std::net::IpAddr,
    ) -> Result<JsonSocket<T>, tokio_tungstenite::tungstenite::Error> {
        let request = self.socket_request(path, protocol);
        let address = self.base.trim_start_matches("http://").to_string();
        let connection = tokio::net::TcpSocket::new_v4().expect("a socket");
        connection.bind(std::net::SocketAddr::new(from, 0)).expect("binds the address");
        let stream = connection.connect(address.parse().expect("a socket address")).await?;
        let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
        let (socket, _) = tokio_tungstenite::client_async(request, stream).await?;
        Ok(JsonSocket(socket, std::marker::PhantomData))
    }

    /// Opens the signalling socket at `path` over a connection whose
    /// receive window is as small as the system allows, for a browser that
    /// stops reading: the test then never reads from it.
    pub async fn stalled_signal_socket_at(&self, path: &str) -> SignalSocket {
        let request = self.socket_request(path, None);
        let address = self.base.trim_start_matches("http://").to_string();
        let connection = tokio::net::TcpSocket::new_v4().expect("a socket");
        connection.set_recv_buffer_size(1024).expect("a small receive buffer");
        let stream = connection.connect(address.parse().expect("a socket address")).await.expect("connects");
        let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
        let (socket, _) = tokio_tungstenite::client_async(request, stream).await.expect("the socket opens");
        JsonSocket(socket, std::marker::PhantomData)
    }

    async fn socket<T>(&self, path: &str) -> Result<JsonSocket<T>, tokio_tungstenite::tungstenite::Error> {
        self.socket_with(path, None).await
    }

    async fn socket_with<T>(
        &self,
        path: &str,
        protocol: Option<&str>,
    ) -> Result<JsonSocket<T>, tokio_tungstenite::tungstenite::Error> {
        let (socket, _) = tokio_tungstenite::connect_async(self.socket_request(path, protocol)).await?;
        Ok(JsonSocket(socket, std::marker::PhantomData))
    }

    /// The upgrade request for `path`, with this client's cookies.
    fn socket_request(
        &self,
        path: &str,
        protocol: Option<&str>,
    ) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        use reqwest::cookie::CookieStore;
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("{}{path}", self.base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("a websocket url");
        if let Some(cookies) = self.jar.cookies(&self.base.parse().expect("base url")) {
            request.headers_mut().insert("cookie", cookies);
        }
        if let Some(protocol) = protocol {
            request.headers_mut().insert("sec-websocket-protocol", protocol.parse().expect("a protocol token"));
        }
        request
    }

    /// Adds a cookie to this client's jar, as a browser would hold it.
    pub fn set_cookie(&self, cookie: &str) {
        self.jar.add_cookie_str(cookie, &self.base.parse().expect("base url"));
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.expect("server answers")
    }
}

/// The HTTP status a socket upgrade was refused with; panics if it opened.
/// Waits (`limit` at most, looking every 20 ms) until `done` holds; `what`
/// names it when it never does.
pub async fn wait_until<F: std::future::Future<Output = bool>>(
    limit: std::time::Duration,
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "waited {limit:?} for this: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

pub fn refusal_status<T>(result: Result<T, tokio_tungstenite::tungstenite::Error>) -> u16 {
    match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, but the socket opened"),
    }
}

/// Sends a server function request and decodes its typed result or error.
async fn decode<T: DeserializeOwned>(function: &str, request: reqwest::RequestBuilder) -> Result<T, AppError> {
    let response = request.header("Accept", "application/json").send().await.expect("server answers");
    let status = response.status();
    let body = response.text().await.expect("body");
    if status.is_success() || status.is_redirection() {
        let body = if body.is_empty() { "null" } else { &body };
        Ok(serde_json::from_str(body).unwrap_or_else(|e| panic!("{function} returned {body:?}: {e}")))
    } else {
        Err(serde_json::from_str(&body).unwrap_or_else(|e| panic!("{function} failed with {status} {body:?}: {e}")))
    }
}

/// A websocket whose server messages are JSON values of type `T`.
pub struct JsonSocket<T>(
    pub tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    std::marker::PhantomData<T>,
);
pub type LiveSocket = JsonSocket<anteroom_app::protocol::LiveEvent>;
pub type SignalSocket = JsonSocket<anteroom_app::protocol::signal::SignalEvent>;
pub type GuestSocket = JsonSocket<anteroom_app::protocol::guest::GuestEvent>;

impl<T: DeserializeOwned> JsonSocket<T> {
    /// The next live event, waiting at most five seconds (a generous bound
    /// for a loopback server; the test fails rather than hangs).
    pub async fn next_event(&mut self) -> T {
        self.next_event_within(std::time::Duration::from_secs(5)).await
    }

    pub async fn next_event_within(&mut self, limit: std::time::Duration) -> T {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let message = tokio::time::timeout(limit, self.0.next())
                .await
                .unwrap_or_else(|_| panic!("an event within {limit:?}"))
                .expect("socket open")
                .expect("readable message");
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).unwrap_or_else(|e| panic!("unexpected message {text}: {e}"));
            }
        }
    }

    /// Waits for the first event that `wanted` accepts, skipping others.
    pub async fn wait_for(&mut self, wanted: impl Fn(&T) -> bool) -> T {
        self.wait_for_within(std::time::Duration::from_secs(5), wanted).await
    }

    /// Like [`Self::wait_for`], for something the server does only after
    /// one of its own deadlines (up to `limit` between events).
    pub async fn wait_for_within(&mut self, limit: std::time::Duration, wanted: impl Fn(&T) -> bool) -> T {
        loop {
            let event = self.next_event_within(limit).await;
            if wanted(&event) {
                return event;
            }
        }
    }

    /// True once the server has closed the socket (within five seconds).
    pub async fn closed(&mut self) -> bool {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let wait = async {
            loop {
                match self.0.next().await {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                    Some(Ok(_)) => continue,
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(5), wait).await.unwrap_or(false)
    }

    pub async fn send_text(&mut self, text: &str) {
        use futures::SinkExt;
        self.0.send(tokio_tungstenite::tungstenite::Message::Text(text.into())).await.expect("send");
    }
}

/// An SMTP relay for a test, on 127.0.0.1: takes any mail and hands each
/// message (recipients, raw bytes) to the test. Stops when dropped.
pub struct Relay {
    pub url: String,
    pub received: tokio::sync::mpsc::Receiver<(Vec<String>, Vec<u8>)>,
    _stop: tokio::sync::watch::Sender<bool>,
}

#[derive(Clone)]
struct Sink(tokio::sync::mpsc::Sender<(Vec<String>, Vec<u8>)>);

impl anteroom_server::smtp_receiver::MailHandler for Sink {
    async fn accepts(&self, _recipient: &str) -> bool {
        true
    }
    async fn deliver(
        &self,
        envelope: anteroom_server::smtp_receiver::Envelope,
        raw: Vec<u8>,
    ) -> Result<(), anteroom_server::smtp_receiver::Refusal> {
        let sent = self.0.send((envelope.recipients, raw)).await;
        sent.map_err(|e| anteroom_server::smtp_receiver::Refusal::Failed(e.to_string()))
    }
    fn max_message_bytes(&self) -> usize {
        1 << 20
    }
}

impl Relay {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url = format!("smtp://127.0.0.1:{}", listener.local_addr().expect("bound").port());
        let (sent, received) = tokio::sync::mpsc::channel(16);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(anteroom_server::smtp_receiver::serve(listener, Sink(sent), stopped));
        Relay { url, received, _stop: stop }
    }

    /// The next message the relay took, within ten seconds.
    pub async fn next(&mut self) -> (Vec<String>, Vec<u8>) {
        tokio::time::timeout(std::time::Duration::from_secs(10), self.received.recv())
            .await
            .expect("mail within 10 s")
            .expect("the relay is running")
    }
}
