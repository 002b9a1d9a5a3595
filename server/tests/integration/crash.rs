//! `kill -9` of the real server binary while members are in a call, a guest
//! knocks, mail arrives over SMTP and channels are being created: after a
//! restart, every write the server had acknowledged is there, the database
//! passes `PRAGMA integrity_check`, and the server works as before.

use crate::support::{Call, answer};
use anteroom_app::api::accounts::SignIn;
use anteroom_app::api::channels::{CreateChannel, ListChannels};
use anteroom_app::api::invites::RoomInvite;
use anteroom_app::api::office::{LoadOffice, WalkInto};
use anteroom_app::model::{ChannelKind, ConferenceId};
use anteroom_app::protocol::guest::{GuestEvent, guest_socket_path};
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use futures::{SinkExt, StreamExt};
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Writes each kind of load must have had acknowledged before the kill.
const ACKNOWLEDGED_BEFORE_KILL: usize = 10;
/// Most writes each load loop tries, kill or not.
const MAX_WRITES: usize = 2_000;

/// The server binary running on `database`, and where it listens.
struct Running {
    child: tokio::process::Child,
    url: String,
    smtp: SocketAddr,
    http: reqwest::Client,
}

async fn start(dir: &std::path::Path) -> Running {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_anteroom-server"))
        .env("ANTEROOM_LISTEN", "127.0.0.1:0")
        .env("ANTEROOM_MEDIA_PORT", "0")
        .env("ANTEROOM_SMTP_LISTEN", "127.0.0.1:0")
        .env("DATABASE_URL", format!("sqlite://{}/anteroom.db", dir.display()))
        .env("ANTEROOM_MAIL_OUTBOX", dir.join("outbox"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the server starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut url, mut smtp) = (None, None);
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(found) = line.split("listening on ").nth(1) {
                url = Some(found.trim().to_string());
            }
            if let Some(found) = line.split("over SMTP on ").nth(1) {
                smtp = Some(found.trim().parse().expect("an SMTP address"));
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read).await.expect("the server listens within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let http =
        anteroom_app::ssr::outbound_http::client_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Running { child, url: url.expect("a URL"), smtp: smtp.expect("an SMTP address"), http }
}

impl Running {
    /// Calls a server function as our page would, in the session of
    /// `cookie`; the result, or the status.
    async fn call<F: Call>(&self, cookie: &str, args: F) -> Result<F::Output, u16> {
        let request = args.encode().request(&self.http, &self.url).header("Cookie", cookie);
        let response = request.send().await.map_err(|_| 0u16)?;
        let status = response.status();
        if !status.is_success() {
            return Err(status.as_u16());
        }
        Ok(F::decode(response.bytes().await.map_err(|_| 0u16)?))
    }

    async fn sign_in(&self, email: &str) -> String {
        let sign_in = SignIn { email: email.into(), password: DEMO_PASSWORD.into() };
        let response = sign_in.encode().request(&self.http, &self.url).send().await.unwrap();
        let cookie = response.headers().get("set-cookie").expect("a session").to_str().unwrap();
        cookie.split(';').next().unwrap().to_string()
    }

    async fn socket(&self, path: &str, cookie: Option<&str>) -> Socket {
        let mut request = format!("{}{path}", self.url.replacen("http", "ws", 1)).into_client_request().unwrap();
        if let Some(cookie) = cookie {
            request.headers_mut().insert("cookie", cookie.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request).await.expect("the socket opens").0
    }
}

async fn count(db: &sqlx::SqlitePool, query: &'static str) -> i64 {
    sqlx::query_scalar(query).fetch_one(db).await.unwrap()
}

#[tokio::test]
async fn a_killed_server_loses_no_acknowledged_write_and_restarts_intact() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let ada = server.sign_in("ada@example.com").await;

    // Ada in a meeting channel's call, and a guest knocking at her room.
    let office = server.call(&ada, LoadOffice {}).await.unwrap();
    let meeting = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id;
    let mut call = server.socket(&ConferenceId::Channel(meeting).signal_path(), Some(&ada)).await;
    assert!(matches!(call.next().await, Some(Ok(Message::Text(_)))), "Ada is welcomed into the call");
    let room = office.rooms[0].id;
    server.call(&ada, WalkInto { room }).await.unwrap();
    let link = server.call(&ada, RoomInvite { room }).await.unwrap();
    let mut guest = server.socket(&guest_socket_path(link.rsplit('/').next().unwrap()), None).await;
    let knock = serde_json::json!({ "type": "knock", "name": "Lin Park", "email": "lin@example.org" });
    guest.send(Message::Text(knock.to_string().into())).await.unwrap();
    let Some(Ok(Message::Text(waiting))) = guest.next().await else { panic!("an answer to the knock") };
    assert_eq!(serde_json::from_str::<GuestEvent>(&waiting).unwrap(), GuestEvent::Waiting);

    // Mail arriving and channels being created, each write noted once the
    // server acknowledged it (250 after DATA; the created channel).
    let mails = Arc::new(Mutex::new(Vec::<String>::new()));
    let channels = Arc::new(Mutex::new(Vec::<String>::new()));
    let mail_load = {
        let (mails, smtp) = (mails.clone(), server.smtp);
        tokio::spawn(async move {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.ip().to_string())
                .port(smtp.port())
                .build();
            let envelope =
                Envelope::new(Some("lin@example.org".parse().unwrap()), vec!["sales@acme.example".parse().unwrap()])
                    .unwrap();
            for n in 0..MAX_WRITES {
                let subject = format!("crash-{n}");
                let raw =
                    format!("From: lin@example.org\r\nTo: sales@acme.example\r\nSubject: {subject}\r\n\r\nhi\r\n");
                if transport.send_raw(&envelope, raw.as_bytes()).await.is_err() {
                    return;
                }
                mails.lock().unwrap().push(subject);
            }
        })
    };
    let channel_load = {
        let (channels, url, http, cookie) = (channels.clone(), server.url.clone(), server.http.clone(), ada.clone());
        tokio::spawn(async move {
            for n in 0..MAX_WRITES {
                let create = CreateChannel { name: format!("crash-{n}"), kind: ChannelKind::Text };
                let created = create.encode().request(&http, &url).header("Cookie", &cookie).send().await;
                match created {
                    Ok(response) if response.status().is_success() => {
                        let made = answer::<CreateChannel>(response).await.unwrap();
                        channels.lock().unwrap().push(made.name);
                    }
                    _ => return,
                }
            }
        })
    };

    // Kill -9 once both loads have had writes acknowledged, mid-stream.
    let enough = async {
        while mails.lock().unwrap().len() < ACKNOWLEDGED_BEFORE_KILL
            || channels.lock().unwrap().len() < ACKNOWLEDGED_BEFORE_KILL
        {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), enough).await.expect("writes are acknowledged");
    server.child.start_kill().unwrap();
    let status = server.child.wait().await.unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9), "killed, not stopped");
    mail_load.await.unwrap();
    channel_load.await.unwrap();
    let (mails, channels) = (mails.lock().unwrap().clone(), channels.lock().unwrap().clone());

    // The file as the kill left it (its WAL included) is intact and holds
    // every acknowledged write.
    let url = format!("sqlite://{}/anteroom.db", dir.path().display());
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&db).await.unwrap();
    assert_eq!(integrity, "ok");
    for subject in &mails {
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_messages WHERE subject = ?")
            .bind(subject)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(found, 1, "acknowledged mail {subject} is filed once");
    }
    for name in &channels {
        let found: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM channels WHERE name = ?").bind(name).fetch_one(&db).await.unwrap();
        assert_eq!(found, 1, "acknowledged channel {name} is there");
    }
    let members = count(&db, "SELECT COUNT(*) FROM members").await;
    db.close().await;

    // It starts again on the same file, without demo data twice, and works.
    let server = start(dir.path()).await;
    assert_eq!(server.http.get(format!("{}/healthz", server.url)).send().await.unwrap().status(), 200);
    let ada = server.sign_in("ada@example.com").await;
    let listed = server.call(&ada, ListChannels {}).await.unwrap();
    assert!(channels.iter().all(|name| listed.iter().any(|c| &c.name == name)));
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM members").await, members, "no demo data twice");
    assert!(mails.len() >= ACKNOWLEDGED_BEFORE_KILL && channels.len() >= ACKNOWLEDGED_BEFORE_KILL);
}
