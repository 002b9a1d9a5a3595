//! Starts a real Anteroom server on a free loopback port with its own
//! database file, and talks to it over HTTP like a browser would.

/// The server binary as a process of its own, shared with the benchmarks.
#[path = "../../../benches/common/server_process.rs"]
#[allow(dead_code, reason = "the benchmarks' own: they use what the tests do not")]
pub mod process;
/// CPU, memory and descriptors of the server process, from /proc.
#[path = "../../../benches/sfu/procstat.rs"]
#[allow(dead_code, reason = "the benchmarks' own: they use what the tests do not")]
pub mod procstat;

use anteroom_app::api::accounts::SignIn;
use anteroom_app::error::AppError;
use anteroom_app::model::UploadTarget;
use anteroom_server::{Config, Server};
use leptos::server_fn::codec::{IntoReq, Post};
use leptos::server_fn::error::FromServerFnError;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::{Bytes, ContentType, Decodes, Http, ServerFn};
use reqwest::Method;
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
    /// The server's data folder (channel files live under `files/`).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("data")
    }

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
        config.data_dir = dir.path().join("data");
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
        Client::at(&self.url)
    }

    /// A client signed in as `email` with `password`.
    pub async fn signed_in(&self, email: &str, password: &str) -> Client {
        let client = self.client();
        let sign_in = SignIn { email: email.into(), password: password.into() };
        client.run(sign_in).await.unwrap_or_else(|error| panic!("{email} signs in: {error}"));
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

/// A browser: its cookie jar, and the server it talks to. Clones share the
/// jar, as a browser's tabs do.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Client {
    /// A new browser-like client of the server at `base` (a `TestServer`'s,
    /// or the server binary's own process), with its own cookie jar.
    pub fn at(base: &str) -> Client {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Client {
            base: base.to_string(),
            jar: jar.clone(),
            http: anteroom_app::ssr::outbound_http::client_builder()
                .cookie_provider(jar)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
        }
    }

    /// Calls a server function as our own pages do, with its arguments as
    /// the app's `#[server]` function declares them (`OpenChannel { channel }`),
    /// and answers its typed result or error.
    pub async fn run<F: Call>(&self, args: F) -> Result<F::Output, AppError> {
        let response = self.request(args).send().await.expect("server answers");
        answer::<F>(response).await
    }

    /// What a call came to, allowed or refused, with the function's path:
    /// for tables of calls to different functions.
    pub async fn outcome<F: Call>(&self, args: F) -> (&'static str, Result<(), AppError>) {
        (F::PATH, self.run(args).await.map(drop))
    }

    /// The request `run` sends, not yet sent: for a test that reads the
    /// answer's status or headers itself.
    pub fn request<F: Call>(&self, args: F) -> reqwest::RequestBuilder {
        args.encode().request(&self.http, &self.base)
    }

    /// A server function request as our own pages send it: with our Origin,
    /// the body left to the test (one the app's pages would not send; a
    /// call they would send is `request`).
    pub fn post(&self, function: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}/api/{function}", self.base)).header("Origin", &self.base)
    }

    /// Opens the live-event socket with this client's cookies.
    pub async fn live_socket(&self) -> Result<LiveSocket, tokio_tungstenite::tungstenite::Error> {
        self.socket(anteroom_app::protocol::LIVE_PATH).await
    }

    /// Opens the call signalling socket of a room with this client's cookies.
    pub async fn signal_socket(
        &self,
        room: impl std::fmt::Display,
    ) -> Result<SignalSocket, tokio_tungstenite::tungstenite::Error> {
        self.socket(&format!("{}?room={room}", anteroom_app::protocol::signal::SIGNAL_PATH)).await
    }

    /// Opens the call signalling socket of a room as a guest holding `pass`.
    pub async fn guest_signal_socket(
        &self,
        room: impl std::fmt::Display,
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

    /// Uploads `bytes` as a file named `name` for a message in a channel
    /// or a reply from an inbox (`target`), as the composer does.
    pub async fn upload(
        &self,
        target: impl Into<UploadTarget>,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let target = target.into().query();
        self.http
            .post(format!("{}{}?{target}", self.base, anteroom_app::model::UPLOAD_PATH))
            .query(&[("name", name)])
            .header("Origin", &self.base)
            .header("Content-Type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("server answers")
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

/// A server function, typed: the struct the app's `#[server]` macro makes of
/// it (`OpenChannel { channel }` for `open_channel(channel)`). It knows its
/// URL and how its arguments and answer are encoded, so a test names
/// neither; server_fn encodes the arguments exactly as the browser's calls
/// do (URL-encoded by default, JSON for `input = Json`).
pub trait Call: ServerFn<Error = AppError> {
    /// The request as the browser would send it.
    fn encode(self) -> Encoded;

    /// The function's output from the body of a successful answer; panics
    /// if the body is not one (the server answered something else).
    fn decode(body: Bytes) -> Self::Output;
}

impl<F, I, O> Call for F
where
    F: ServerFn<Protocol = Http<I, Post<O>>, Error = AppError> + IntoReq<I, Encoded, AppError>,
    O: ContentType + Decodes<F::Output>,
{
    fn encode(self) -> Encoded {
        self.into_req(F::PATH, O::CONTENT_TYPE).unwrap_or_else(|error| panic!("{}: {error}", F::PATH))
    }

    fn decode(body: Bytes) -> F::Output {
        O::decode(body.clone()).unwrap_or_else(|error| panic!("{} answered {body:?}: {error}", F::PATH))
    }
}

/// A server function call encoded by server_fn: what the browser would send.
pub struct Encoded {
    method: Method,
    /// The function's path ("/api/open_channel"), with the query of a GET.
    path: String,
    content_type: String,
    accepts: String,
    body: Bytes,
}

impl Encoded {
    /// The request to the server at `base`, as our own pages send it (with
    /// our Origin).
    pub fn request(self, http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
        http.request(self.method, format!("{base}{}", self.path))
            .header("Origin", base)
            .header("Content-Type", self.content_type)
            .header("Accept", self.accepts)
            .body(self.body)
    }
}

/// Where server_fn puts what it encodes. Our server functions take
/// URL-encoded or JSON bodies; none takes form data or a stream.
impl ClientReq<AppError> for Encoded {
    type FormData = std::convert::Infallible;

    fn try_new_req_query(
        path: &str,
        content_type: &str,
        accepts: &str,
        query: &str,
        method: Method,
    ) -> Result<Self, AppError> {
        let (path, content_type, accepts) = (format!("{path}?{query}"), content_type.into(), accepts.into());
        Ok(Encoded { method, path, content_type, accepts, body: Bytes::new() })
    }

    fn try_new_req_text(
        path: &str,
        content_type: &str,
        accepts: &str,
        body: String,
        method: Method,
    ) -> Result<Self, AppError> {
        Self::try_new_req_bytes(path, content_type, accepts, body.into(), method)
    }

    fn try_new_req_bytes(
        path: &str,
        content_type: &str,
        accepts: &str,
        body: Bytes,
        method: Method,
    ) -> Result<Self, AppError> {
        let (path, content_type, accepts) = (path.into(), content_type.into(), accepts.into());
        Ok(Encoded { method, path, content_type, accepts, body })
    }

    fn try_new_req_form_data(_: &str, _: &str, _: &str, body: Self::FormData, _: Method) -> Result<Self, AppError> {
        match body {}
    }

    fn try_new_req_multipart(_: &str, _: &str, body: Self::FormData, _: Method) -> Result<Self, AppError> {
        match body {}
    }

    fn try_new_req_streaming(
        path: &str,
        _: &str,
        _: &str,
        _: impl futures::Stream<Item = Bytes> + Send + 'static,
        _: Method,
    ) -> Result<Self, AppError> {
        unimplemented!("{path} streams its input; the tests have no use for that yet")
    }
}

/// A server function's answer: its output, or the error it answered with
/// (decoded as the browser decodes it; a body that is neither fails the
/// test).
pub async fn answer<F: Call>(response: reqwest::Response) -> Result<F::Output, AppError> {
    let status = response.status();
    let body = response.bytes().await.expect("body");
    if status.is_client_error() || status.is_server_error() {
        let error = <<AppError as FromServerFnError>::Encoder as Decodes<AppError>>::decode(body.clone());
        Err(error.unwrap_or_else(|e| panic!("{} failed with {status} {body:?}: {e}", F::PATH)))
    } else {
        Ok(F::decode(body))
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

/// espeak-ng saying "The launch budget is approved. Lin will send the
/// contract on Friday." (5 s), as 48 kHz mono Ogg Opus in 20 ms packets:
/// what the speech tests hear.
pub const SPEECH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/integration/fixtures/speech.ogg");

/// The embedded speech engine's Python, which scripts/setup installs.
pub fn speech_python() -> std::path::PathBuf {
    let python = std::env::var_os("ANTEROOM_SPEECH_PYTHON").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/anteroom/speech-venv/bin/python")
    });
    assert!(python.exists(), "{} is missing: run scripts/setup, which installs the speech engine", python.display());
    python
}
