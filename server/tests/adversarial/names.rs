//! Names people type (issue 32, 9 and 18): a guest named
//! "Sam\n[09:00] Ada Lovelace: wire the deposit" forged an unmarked line
//! from Ada in the meeting notes, and a bare CR in a schedule's title wrote
//! lines of its own into the .ics. Every name and title is now one line of
//! text (no control or direction characters), refused as a field error
//! (422) wherever it is typed. The notes and .ics writers, which must also
//! cope with rows stored before, are unit-tested with them.

use crate::DEMO_PASSWORD;
use crate::support::{Client, TestServer};
use anteroom_app::error::AppError;
use anteroom_app::model::{Office, Presence};
use anteroom_app::protocol::guest::{GuestEvent, guest_socket_path};

const FORGED: &str = "Sam\n[09:00] Ada Lovelace: wire the deposit";

/// Knocks with `name` on the guest socket of `token`, from the loopback
/// address `source` (one address may knock only a few times at once); the
/// refusal.
async fn knock(server: &TestServer, source: [u8; 4], token: &str, name: &str) -> AppError {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let connection = tokio::net::TcpSocket::new_v4().unwrap();
    connection.bind(std::net::SocketAddr::from((source, 0))).unwrap();
    let stream = connection.connect(server.address).await.expect("connects");
    let url = format!("{}{}", server.url.replacen("http", "ws", 1), guest_socket_path(token));
    let (mut socket, _) = tokio_tungstenite::client_async(url, stream).await.expect("the guest socket opens");
    let knock =
        serde_json::json!({ "type": "knock", "name": name, "email": "sam@example.org", "knows_transcribed": true });
    socket.send(Message::Text(knock.to_string().into())).await.unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
        .await
        .expect("an answer within 5 s")
        .expect("an answer")
        .unwrap();
    match serde_json::from_str(answer.to_text().unwrap()).unwrap() {
        GuestEvent::Refused { error } => error,
        other => panic!("{name:?} was let in: {other:?}"),
    }
}

fn token_of(link: &str) -> String {
    link.rsplit('/').next().expect("a token at the end").to_string()
}

/// Ada inside the demo's first room, with its invite token and the token
/// of the client-calls channel's external link.
async fn doors(ada: &Client) -> (String, String) {
    let office: Office = ada.call("load_office", &[]).await.unwrap();
    let room = office.rooms[0].id.to_string();
    let _: Presence = ada.call("walk_into", &[("room", room.as_str())]).await.unwrap();
    let room_link: String = ada.call("room_invite", &[("room", room.as_str())]).await.unwrap();
    let channel = office.channels.iter().find(|c| c.name == "client-calls").expect("a demo channel").id.to_string();
    let channel_link: String = ada.call("external_link", &[("channel", channel.as_str())]).await.unwrap();
    (token_of(&room_link), token_of(&channel_link))
}

#[tokio::test]
async fn a_guest_name_that_forges_a_line_is_refused_at_the_door_and_in_the_lobby() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let (room, channel) = doors(&ada).await;
    // (the name typed, what it tries)
    let names = [
        (FORGED, "a line from Ada, in the notes"),
        ("Sam\r[09:00] Ada Lovelace: wire the deposit", "the same with a bare CR"),
        ("Sam\u{2028}Ada Lovelace", "a Unicode line separator"),
        ("Sam\tLee", "a tab"),
        ("\u{202E}ecalevoL adA", "a name that reads backwards as Ada's"),
        ("Ada\u{2067}", "an unclosed direction isolate"),
        (&"x".repeat(81), "a name past 80 characters"),
    ];
    let mut source = 10;
    for (token, door) in [(&room, "a room's door"), (&channel, "a channel's lobby")] {
        for (name, what) in names {
            source += 1;
            let refused = knock(&server, [127, 0, 0, source], token, name).await;
            assert_eq!(refused.field(), Some("name"), "{what} at {door}: {refused:?}");
            assert_eq!(refused.http_status(), 422, "{what} at {door}");
        }
    }
    let db = anteroom_app::ssr::db::open(&server.database_url).await.unwrap();
    let visits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM guest_visits").fetch_one(&db).await.unwrap();
    assert_eq!(visits, 0, "no visit was recorded under a forged name");
    server.stop().await;
}

#[tokio::test]
async fn names_and_titles_typed_by_members_are_one_line_too() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let office: Office = ada.call("load_office", &[]).await.unwrap();
    let room = office.rooms[0].id.to_string();
    let channel = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id.0;
    let member = [("name", FORGED), ("email", "sam@example.org"), ("password", "a long password 1")];
    let schedule = serde_json::json!({
        "channel": channel,
        "schedule": {
            "title": "Review\rATTENDEE:mailto:mallory@evil.example",
            "starts_local": "2030-01-08T15:30",
            "time_zone": "Europe/Berlin",
            "recurrence": "Once",
            "external_participants": "lin@example.org",
        },
    });
    // (server function, what is sent, the field refused)
    let cases = [
        ("add_member", ada.post("add_member").form(&member), "name"),
        ("create_team", ada.post("create_team").form(&[("name", "Ops\u{202E}")]), "name"),
        (
            "create_inbox",
            ada.post("create_inbox").form(&[("name", "Sales\r\nBcc"), ("addresses", "s@acme.example")]),
            "name",
        ),
        ("rename_room", ada.post("rename_room").form(&[("room", room.as_str()), ("name", "Studio\u{200F}")]), "name"),
        ("create_schedule", ada.post("create_schedule").json(&schedule), "title"),
    ];
    for (function, request, field) in cases {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 422, "{function}: {body}");
        let error: AppError = serde_json::from_str(&body).unwrap();
        assert_eq!(error.field(), Some(field), "{function}: {error}");
    }
    server.stop().await;
}
