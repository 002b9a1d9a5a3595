//! The mail door (issue 32, items 6 and 17): large or costly messages keep
//! the server's memory bounded and are refused with a clear reply, senders
//! and inboxes are held to a daily allowance, real mail keeps getting in,
//! and a forgery under a real message's id does not shut the real one out.

use crate::support::TestServer;
use crate::support::process::ServerProcess;
use crate::support::procstat::rss_kib;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

const MIB: usize = 1024 * 1024;

/// One SMTP session, from a chosen loopback address.
struct Smtp {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Smtp {
    async fn connect(server: SocketAddr, from: [u8; 4]) -> Smtp {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((Ipv4Addr::from(from), 0))).unwrap();
        let (reader, writer) = socket.connect(server).await.unwrap().into_split();
        let mut smtp = Smtp { reader: BufReader::new(reader), writer };
        let greeting = smtp.reply().await;
        assert!(greeting.starts_with("220"), "{greeting}");
        smtp
    }

    /// The next reply, all its lines; filing a large message may take a
    /// while in a debug build.
    async fn reply(&mut self) -> String {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(Duration::from_secs(120), self.reader.read_line(&mut line))
                .await
                .expect("the receiver answers")
                .unwrap_or(0);
            reply.push_str(&line);
            if read == 0 || line.as_bytes().get(3) != Some(&b'-') {
                return reply;
            }
        }
    }

    async fn command(&mut self, line: &str) -> String {
        self.writer.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
        self.reply().await
    }

    /// Sends one message (ending in CRLF, no line starting with a dot) and
    /// gives back the reply to it.
    async fn send(&mut self, from: &str, to: &str, message: &[u8]) -> String {
        for (command, expected) in [(format!("MAIL FROM:<{from}>"), "250"), (format!("RCPT TO:<{to}>"), "250")] {
            let reply = self.command(&command).await;
            assert!(reply.starts_with(expected), "{command}: {reply}");
        }
        let reply = self.command("DATA").await;
        assert!(reply.starts_with("354"), "DATA: {reply}");
        for chunk in message.chunks(MIB) {
            self.writer.write_all(chunk).await.unwrap();
        }
        self.writer.write_all(b".\r\n").await.unwrap();
        self.reply().await
    }

    /// Sends the message as a mail server would: again, a little later,
    /// while the receiver has no room for it at the moment (452 4.3.1).
    async fn deliver(&mut self, from: &str, to: &str, message: &[u8]) -> String {
        for _ in 0..30 {
            let reply = self.send(from, to, message).await;
            if !reply.starts_with("452 4.3.1") {
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("no room for a message after 30 tries")
    }
}

/// A message with these fields, `Content-Type` and body.
fn message(id: &str, subject: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Lin Park <lin@example.org>\r\nTo: sales@acme.example\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
Content-Type: {content_type}\r\n\r\n{body}"
    )
    .into_bytes()
}

/// HTML of about `bytes`, in lines of a paragraph each (no colons, so it
/// reads as text and not as header fields).
fn html_of(bytes: usize) -> String {
    let line = "<p>Our <b>newsletter</b> goes on and on, paragraph after paragraph</p>\r\n";
    line.repeat(bytes.div_ceil(line.len()))
}

async fn count(db: &sqlx::SqlitePool, query: &'static str) -> i64 {
    sqlx::query_scalar(query).fetch_one(db).await.unwrap()
}

/// The most resident memory `pid` has had, in KiB.
fn peak_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Issue 32, 6: six sessions of 20 MiB HTML took the server from 401 to
/// 883 MiB, as the memory budget was given back before each message was
/// parsed and filed (and each kept 40 MB in the database, holding the
/// writer so that deliveries failed with `database is locked`). Messages
/// shaped to inflate the parser cost more still: 20 MiB of tiny MIME parts
/// took 455 MiB, and a message hidden in base64 was parsed unseen. Now a
/// message's share of the budget is held until it is filed or refused,
/// messages are read one at a time, costly shapes are refused before
/// parsing, encodings are undone only for the text kept, and what is kept
/// is bounded: the server grows by little more than the budget, and real
/// mail sent meanwhile is all filed. (Replayed against the release build
/// from before: 32 MiB to 1,226 MiB, and three of the four HTML messages
/// answered 451 as the database was locked.)
#[tokio::test]
async fn large_messages_at_once_keep_memory_bounded_and_real_mail_still_gets_in() {
    let server = ServerProcess::start_receiving_mail([127, 0, 0, 1].into(), true).await;
    let receiver = server.smtp_address.expect("the receiver is on");
    let warm_up = message("warm@example.org", "Warm up", "text/plain", "Hello.\r\n");
    assert!(
        Smtp::connect(receiver, [127, 0, 0, 1])
            .await
            .send("lin@example.org", "sales@acme.example", &warm_up)
            .await
            .starts_with("250")
    );
    let before = rss_kib(server.pid()) as f64 / 1024.0;
    assert!(before > 0.0, "the server's memory is read from /proc");

    let html = message("big@evil.example", "Big", "text/html; charset=utf-8", &html_of(20 * MIB));
    let parts = {
        let mut raw = message("parts@evil.example", "Parts", "multipart/mixed; boundary=b", "");
        while raw.len() < 20 * MIB {
            raw.extend_from_slice(b"--b\r\n\r\nx\r\n");
        }
        raw
    };
    let hidden = message(
        "hidden@evil.example",
        "Hidden",
        "message/rfc822\r\nContent-Transfer-Encoding: base64",
        &"WC1BOiBiDQpYLUE6IGINClgtQTogYg0K\r\n".repeat(20 * MIB / 34),
    );
    let junk = [&html, &html, &html, &html, &parts, &hidden];
    let attack = junk.into_iter().enumerate().map(|(n, raw)| async move {
        let mut smtp = Smtp::connect(receiver, [127, 0, 0, 2 + n as u8]).await;
        smtp.send("mallory@evil.example", "sales@acme.example", raw).await
    });
    let real = (0..4u8).map(|n| async move {
        let mut smtp = Smtp::connect(receiver, [127, 0, 1, 1 + n]).await;
        let mut replies = Vec::new();
        for m in 0..3 {
            let body = html_of(300 * 1024);
            let raw = message(&format!("real-{n}-{m}@example.org"), "Real", "text/html; charset=utf-8", &body);
            replies.push(smtp.deliver(&format!("client{n}@example.org"), "sales@acme.example", &raw).await);
        }
        replies
    });
    let (refused, delivered) = tokio::join!(futures::future::join_all(attack), futures::future::join_all(real));

    let peak = peak_kib(server.pid()) as f64 / 1024.0;
    eprintln!("server memory: {before:.0} MiB before, {peak:.0} MiB at most");
    let refusals: Vec<&str> = refused.iter().map(|reply| reply.get(..9).unwrap_or(reply)).collect();
    // The hidden message is filed as what it is, a message with no text
    // and an attached message, kept as a file and never parsed.
    let expected = ["552 5.3.4", "552 5.3.4", "552 5.3.4", "552 5.3.4", "552 5.3.4", "250 OK, f"];
    assert_eq!(refusals, expected, "too large to keep, or costly to parse: {refused:?}");
    for reply in delivered.iter().flatten() {
        assert!(reply.starts_with("250"), "real mail is filed: {reply}");
    }
    // The budget's 128 MiB, one message read at a time, and the
    // allocator's slack (the server from before took 1.2 GB more here).
    assert!(peak < before + 256.0, "memory peaked at {peak:.0} MiB from {before:.0} MiB");

    let db = anteroom_app::ssr::db::open(&format!("sqlite://{}/bench.db", server.dir.path().display())).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM email_messages WHERE subject = 'Real'").await, 12);
    let junk = "SELECT COUNT(*), SUM(stored_bytes) FROM email_messages WHERE envelope_from = 'mallory@evil.example'";
    let (filed, stored): (i64, i64) = sqlx::query_as(junk).fetch_one(&db).await.unwrap();
    let attached = 24 * (20 * MIB / 34) as i64;
    assert!(filed == 1 && stored < attached + 1000, "only the hidden message and its file: {stored} bytes");
    let file = "SELECT content_type, size FROM mail_attachments";
    let files: Vec<(String, i64)> = sqlx::query_as(file).fetch_all(&db).await.unwrap();
    assert_eq!(files, [("message/rfc822".to_string(), attached)], "the attached message, decoded once, whole");
    let largest: i64 = count(&db, "SELECT MAX(stored_bytes) FROM email_messages WHERE subject <> 'Hidden'").await;
    assert!(largest as usize <= anteroom_app::ssr::mail_in::MAX_STORED_BYTES, "{largest}");
    server.stop().await;
}

/// Found while fixing item 6: 50,000 messages nested in each other (1.6 MB)
/// overflowed the stack of the thread that dropped the parse, and the
/// server aborted. Such nesting is refused before it is parsed.
#[tokio::test]
async fn messages_nested_fifty_thousand_deep_are_refused_and_the_server_lives_on() {
    let server = ServerProcess::start_receiving_mail([127, 0, 0, 1].into(), true).await;
    let receiver = server.smtp_address.expect("the receiver is on");
    let nested =
        message("deep@evil.example", "Deep", "message/rfc822", &"Content-Type: message/rfc822\r\n\r\n".repeat(50_000));
    let mut smtp = Smtp::connect(receiver, [127, 0, 0, 2]).await;
    let reply = smtp.send("mallory@evil.example", "sales@acme.example", &nested).await;
    assert!(reply.starts_with("552 5.3.4"), "{reply:?}");
    let real = message("after@example.org", "After", "text/plain", "Still here.\r\n");
    let mut smtp = Smtp::connect(receiver, [127, 0, 0, 3]).await;
    assert!(smtp.send("lin@example.org", "sales@acme.example", &real).await.starts_with("250"));
    server.stop().await;
}

async fn receiving() -> (TestServer, SocketAddr, sqlx::SqlitePool) {
    let server = TestServer::with_demo_and(|config| config.smtp_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let receiver = server.smtp_address.expect("the receiver is on");
    let db = anteroom_app::ssr::db::open(&server.database_url).await.unwrap();
    (server, receiver, db)
}

/// Issue 32, 6: 16 messages from one sender added 1.2 GB to the database.
/// A sender may have 32 MiB (and 500 messages) kept in 24 hours; past that
/// its server is told to try again later, and nothing more of it is kept,
/// while other senders still get in.
#[tokio::test]
async fn a_sender_past_its_daily_allowance_is_told_to_try_later_and_nothing_more_is_kept() {
    let (server, receiver, db) = receiving().await;
    let mut smtp = Smtp::connect(receiver, [127, 0, 0, 1]).await;
    let body = "Quarterly figures, line after line of them.\r\n".repeat(1_900_000 / 45);
    let allowance = anteroom_app::ssr::mail_in::PER_SENDER_DAILY.bytes;
    let mut kept: i64 = 0;
    for n in 0.. {
        let raw = message(&format!("{n}@bulk.example"), "Figures", "text/plain", &body);
        let reply = smtp.send("bulk@bulk.example", "sales@acme.example", &raw).await;
        if !reply.starts_with("250") {
            assert!(reply.starts_with("452 4.2.2 Too much mail from this sender"), "{reply}");
            break;
        }
        kept += 1;
        assert!(kept * body.len() as i64 <= allowance, "message {n} went past the allowance");
    }
    let each =
        count(&db, "SELECT MAX(stored_bytes) FROM email_messages WHERE envelope_from = 'bulk@bulk.example'").await;
    assert_eq!(kept, allowance / each, "as many as fit");
    let stored =
        count(&db, "SELECT SUM(stored_bytes) FROM email_messages WHERE envelope_from = 'bulk@bulk.example'").await;
    assert!(stored <= allowance && stored + each > allowance, "{stored} bytes kept, nothing more");
    let again = message("again@bulk.example", "Figures", "text/plain", &body);
    assert!(
        smtp.send("bulk@bulk.example", "support@acme.example", &again).await.starts_with("452 4.2.2"),
        "in every inbox"
    );
    let other = message("other@example.org", "Hello", "text/plain", &body);
    assert!(smtp.send("lin@example.org", "sales@acme.example", &other).await.starts_with("250"), "others still get in");
    server.stop().await;
}

/// Issue 32, 6: what an inbox keeps of one message is bounded (2 MiB of
/// text, HTML and fields) below the 25 MiB a message may be, and a message
/// whose shape would cost too much to read is refused before it is read:
/// both for good (552), with a reply that says why.
#[tokio::test]
async fn a_message_too_large_to_keep_or_too_costly_to_read_is_refused_for_good() {
    let (server, receiver, db) = receiving().await;
    let mut smtp = Smtp::connect(receiver, [127, 0, 0, 1]).await;
    let html = message("html@example.org", "Large", "text/html; charset=utf-8", &html_of(3 * MIB));
    let reply = smtp.send("lin@example.org", "sales@acme.example", &html).await;
    assert!(reply.starts_with("552 5.3.4 Message text and HTML over 2097152 bytes, too large to keep"), "{reply}");
    let fields = format!(
        "From: lin@example.org\r\nMessage-ID: <fields@example.org>\r\nSubject: Fields\r\n{}\r\nhi\r\n",
        "X-A: b\r\n".repeat(250_000)
    );
    let reply = smtp.send("lin@example.org", "sales@acme.example", fields.as_bytes()).await;
    assert!(reply.starts_with("552 5.3.4 Message has too many header fields"), "{reply}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM email_messages WHERE subject IN ('Large', 'Fields')").await, 0);
    let fits = message("fits@example.org", "Fits", "text/html; charset=utf-8", &html_of(MIB));
    assert!(
        smtp.send("lin@example.org", "sales@acme.example", &fits).await.starts_with("250"),
        "a large newsletter fits"
    );
    server.stop().await;
}

/// Issue 32, 17: a message was a duplicate when the inbox had its
/// Message-ID, so a forgery filed first under a real message's id had the
/// real one dropped. Now a duplicate must match the id, the envelope sender
/// and everything kept of it; the same message sent twice is still filed
/// once.
#[tokio::test]
async fn a_forgery_under_a_real_message_id_does_not_shut_the_real_one_out() {
    let (server, receiver, db) = receiving().await;
    let mut smtp = Smtp::connect(receiver, [127, 0, 0, 1]).await;
    let real = message("contract@example.org", "Contract", "text/plain", "Signed, see you Monday.\r\n");
    let forged = message("contract@example.org", "Contract", "text/plain", "Change of bank details: ...\r\n");
    for (from, raw) in [("mallory@evil.example", &forged), ("lin@example.org", &forged), ("lin@example.org", &real)] {
        assert!(smtp.send(from, "sales@acme.example", raw).await.starts_with("250"));
    }
    let query = "SELECT COUNT(*) FROM email_messages WHERE message_id = 'contract@example.org'";
    assert_eq!(count(&db, query).await, 3, "each sender's, and each content, kept");
    let real_kept = "SELECT COUNT(*) FROM email_messages WHERE text_body LIKE 'Signed%'";
    assert_eq!(count(&db, real_kept).await, 1, "the real message is filed");
    // A retry of the real message, as after a lost reply, is filed once.
    assert!(smtp.send("lin@example.org", "sales@acme.example", &real).await.starts_with("250"));
    assert_eq!(count(&db, query).await, 3);
    server.stop().await;
}
