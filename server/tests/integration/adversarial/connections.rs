//! The connection door (issue 32, 3): connections that send nothing, half
//! a request, or nothing after their last request used to be held forever,
//! with no cap per address. 1,500 idle connections from 16 loopback
//! addresses held 1,541 descriptors.

use crate::support::process::ServerProcess;
use crate::support::{TestServer, wait_until};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The server's header timeout, with room for a loaded machine.
const CLOSED_WITHIN: Duration = Duration::from_secs(25);

/// A TCP connection to `server` from the loopback address `from`.
async fn connect_from(server: SocketAddr, from: [u8; 4]) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::from(from), 0)).unwrap();
    socket.connect(server).await.unwrap()
}

/// Waits until the server closes `stream` (end of stream or reset) and says
/// how long that took; whatever the server sent first is read and dropped.
async fn closed_by_server(mut stream: TcpStream) -> Duration {
    let start = Instant::now();
    let mut buffer = [0_u8; 4096];
    let reading = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(CLOSED_WITHIN, reading).await.expect("the server closes the connection");
    start.elapsed()
}

const HEALTH_REQUEST: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// Whether a fresh connection from `from` gets an answer to a request.
async fn served(server: SocketAddr, from: [u8; 4]) -> bool {
    let mut stream = connect_from(server, from).await;
    if stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    read.is_ok() && answer.starts_with(b"HTTP/1.1 200")
}

#[tokio::test]
async fn silent_half_sent_and_idle_kept_alive_connections_are_closed() {
    let server = TestServer::with_demo().await;
    let silent = connect_from(server.address, [127, 0, 0, 1]).await;
    let mut half_sent = connect_from(server.address, [127, 0, 0, 1]).await;
    half_sent.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.").await.unwrap();
    let mut kept_alive = connect_from(server.address, [127, 0, 0, 1]).await;
    kept_alive.write_all(HEALTH_REQUEST).await.unwrap();
    let mut answer = [0_u8; 12];
    kept_alive.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200", "the request on it was served");

    let (silent, half_sent, kept_alive) =
        tokio::join!(closed_by_server(silent), closed_by_server(half_sent), closed_by_server(kept_alive));
    for (what, took) in [("silent", silent), ("half-sent", half_sent), ("idle kept-alive", kept_alive)] {
        assert!(took >= Duration::from_secs(5), "the {what} connection had its time: closed after {took:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn one_address_holds_a_share_of_connections_and_others_are_still_served() {
    use anteroom_server::CONNECTIONS_PER_ADDRESS;
    let server = TestServer::with_demo().await;
    let mut held = Vec::new();
    for _ in 0..CONNECTIONS_PER_ADDRESS {
        held.push(connect_from(server.address, [127, 0, 0, 3]).await);
    }
    // One more from the same address is closed at once, unread.
    let over = connect_from(server.address, [127, 0, 0, 3]).await;
    assert!(closed_by_server(over).await < Duration::from_secs(5), "closed at once");
    // Everyone else is served meanwhile.
    assert!(served(server.address, [127, 0, 0, 4]).await, "another address is served");
    // One closed, the address may connect again.
    drop(held.pop());
    wait_until(Duration::from_secs(10), "the address is served again", || served(server.address, [127, 0, 0, 3])).await;
    drop(held);
    server.stop().await;
}

/// Descriptors the server process holds now.
fn descriptors(server: &ServerProcess) -> usize {
    crate::support::procstat::open_descriptors(server.pid())
}

#[tokio::test]
async fn a_flood_of_idle_connections_from_many_addresses_is_let_go() {
    let server = ServerProcess::start([127, 0, 0, 1].into(), None, true).await;
    let address: SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let before = descriptors(&server);
    let mut idle = Vec::new();
    for n in 0..600_u32 {
        idle.push(connect_from(address, [127, 0, 1, (n % 16) as u8 + 1]).await);
    }
    wait_until(Duration::from_secs(10), "the server holds the idle connections", || async {
        descriptors(&server) >= before + 500
    })
    .await;
    assert!(served(address, [127, 0, 2, 1]).await, "a member is served during the flood");
    wait_until(CLOSED_WITHIN, "the server has let them go", || async { descriptors(&server) < before + 20 }).await;
    drop(idle);
    server.stop().await;
}

#[tokio::test]
async fn a_request_body_sent_a_byte_at_a_time_is_cut_off() {
    use anteroom_server::BODY_READ_TIMEOUT;
    let server = TestServer::with_demo().await;
    let stream = connect_from(server.address, [127, 0, 0, 1]).await;
    let (mut reader, mut writer) = stream.into_split();
    let origin = &server.url;
    let head = format!(
        "POST /api/sign_in HTTP/1.1\r\nHost: {}\r\nOrigin: {origin}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=ada",
        server.address
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    // A byte every five seconds: each one well inside any idle timeout.
    let trickle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            if writer.write_all(b"%").await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(BODY_READ_TIMEOUT + Duration::from_secs(20), reader.read_to_end(&mut answer)).await;
    trickle.abort();
    assert!(read.is_ok(), "the connection is let go after the body's deadline");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "answered as the client's fault: {answer}");
    assert!(served(server.address, [127, 0, 0, 1]).await);
    server.stop().await;
}
