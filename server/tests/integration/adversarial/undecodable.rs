//! Input the server cannot decode (issue 32, 12): a non-number id, a
//! missing field, an overflowing number, bad JSON and bodies over the limit
//! all answered 500, as if the server had failed. They now answer 400
//! (cannot be read at all), 422 (read, but a value missing or not fitting)
//! or 413 (too large), each with a short message; 500 is kept for faults.

use super::DEMO_PASSWORD;
use crate::support::TestServer;
use anteroom_app::api::MAX_REQUEST_BODY_BYTES;
use anteroom_app::error::AppError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A schedule as the Call Schedule form sends it, with `channel`.
fn schedule_call(channel: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "channel": channel,
        "schedule": {
            "title": "Weekly review",
            "starts_local": "2030-01-08T15:30",
            "time_zone": "Europe/Berlin",
            "recurrence": "Once",
            "external_participants": "",
        },
    })
}

#[tokio::test]
async fn undecodable_input_is_the_callers_fault_not_the_servers() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    // Bodies built by hand: no typed call (`Client::request`) can send them.
    let form = |function: &str, body: Vec<u8>| {
        ada.post(function).header("Content-Type", "application/x-www-form-urlencoded").body(body)
    };
    let json = |function: &str, body: Vec<u8>| ada.post(function).header("Content-Type", "application/json").body(body);
    let over_limit = MAX_REQUEST_BODY_BYTES + 1;

    // (what was sent, the request, the status it must answer)
    let cases = [
        ("a non-number id", form("open_channel", b"channel=abc".to_vec()), 422),
        ("a missing field", form("open_channel", b"".to_vec()), 422),
        ("an overflowing number", form("open_channel", b"channel=99999999999999999999999".to_vec()), 422),
        ("a fraction for an id", form("open_channel", b"channel=1.5".to_vec()), 422),
        ("a form that is not UTF-8", form("open_channel", b"channel=\xff\xfe".to_vec()), 400),
        ("bad JSON", json("create_schedule", br#"{"channel": 1, "schedule": {"#.to_vec()), 400),
        ("JSON that is not an object", json("create_schedule", b"[1, 2".to_vec()), 400),
        ("JSON missing a field", json("create_schedule", br#"{"channel": 1}"#.to_vec()), 422),
        (
            "JSON with a string for an id",
            json("create_schedule", schedule_call(serde_json::json!("one")).to_string().into_bytes()),
            422,
        ),
        (
            "JSON with an overflowing id",
            json("create_schedule", schedule_call(serde_json::json!(1e30)).to_string().into_bytes()),
            422,
        ),
        (
            "JSON echoing a huge value back",
            json("create_schedule", schedule_call(serde_json::json!("x".repeat(1 << 20))).to_string().into_bytes()),
            422,
        ),
        ("a form over the limit", form("sign_in", format!("email={}", "a".repeat(over_limit)).into_bytes()), 413),
        ("JSON over the limit", json("create_schedule", vec![b' '; over_limit]), 413),
    ];
    let mut wrong = Vec::new();
    for (what, request, expected) in cases {
        let response = request.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        let shown = || format!("{what}: {status} {}", body.chars().take(200).collect::<String>());
        if status != expected {
            wrong.push(format!("{} (expected {expected})", shown()));
            continue;
        }
        let error: AppError = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{}: {e}", shown()));
        assert_eq!(error.http_status(), expected, "{}: the error says the same as the status", shown());
        let message = error.to_string();
        assert!(message.len() < 400, "{}: a short message, not the input echoed", shown());
        assert!(!message.contains("server function"), "{}: plain words", shown());
    }
    assert!(wrong.is_empty(), "answered wrongly:\n{}", wrong.join("\n"));

    // A body sent in chunks, with no length given up front, is cut off at
    // the limit all the same.
    assert_eq!(chunked_post(&server, "sign_in", over_limit).await, 413);

    // The server is fine, and the same calls well formed still work.
    assert_eq!(server.client().get("/healthz").await.status(), 200);
    let office = ada.run(anteroom_app::api::office::LoadOffice {}).await.unwrap();
    assert!(!office.rooms.is_empty());
    server.stop().await;
}

/// Posts `bytes` of form data to `function` in 64 KiB chunks (no
/// Content-Length), as Ada's page would with her cookie; the status.
async fn chunked_post(server: &TestServer, function: &str, bytes: usize) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(server.address).await.unwrap();
    let head = format!(
        "POST /api/{function} HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        host = server.address,
        origin = server.url,
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    while sent < bytes {
        let size = chunk.len().min(bytes - sent);
        let framed = [format!("{size:x}\r\n").as_bytes(), &chunk[..size], b"\r\n"].concat();
        if stream.write_all(&framed).await.is_err() {
            break; // the server answered and closed early
        }
        sent += size;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the server answers")
        .unwrap();
    let line = String::from_utf8_lossy(&answer[..read]).to_string();
    line.split(' ').nth(1).and_then(|status| status.parse().ok()).unwrap_or_else(|| panic!("a status line: {line}"))
}
