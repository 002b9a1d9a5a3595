//! Names people type (issue 32, 9 and 18): a guest named
//! "Sam\n[09:00] Ada Lovelace: wire the deposit" forged an unmarked line
//! from Ada in the meeting notes, and a bare CR in a schedule's title wrote
//! lines of its own into the .ics. Every name and title is now one line of
//! text (no control or direction characters), refused as a field error
//! (422) wherever it is typed. The notes and .ics writers, which must also
//! cope with rows stored before, are unit-tested with them.

use super::DEMO_PASSWORD;
use crate::support::{Client, TestServer};
use anteroom_app::api::accounts::AddMember;
use anteroom_app::api::build::RenameRoom;
use anteroom_app::api::channels::ExternalLink;
use anteroom_app::api::inboxes::CreateInbox;
use anteroom_app::api::invites::RoomInvite;
use anteroom_app::api::office::{LoadOffice, WalkInto};
use anteroom_app::api::schedules::CreateSchedule;
use anteroom_app::api::teams::CreateTeam;
use anteroom_app::error::AppError;
use anteroom_app::model::{NewSchedule, Recurrence, RecurrenceEnd};
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
    let office = ada.run(LoadOffice {}).await.unwrap();
    let room = office.rooms[0].id;
    ada.run(WalkInto { room }).await.unwrap();
    let room_link = ada.run(RoomInvite { room }).await.unwrap();
    let channel = office.channels.iter().find(|c| c.name == "client-calls").expect("a demo channel").id;
    let channel_link = ada.run(ExternalLink { channel }).await.unwrap();
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
    let office = ada.run(LoadOffice {}).await.unwrap();
    let room = office.rooms[0].id;
    let channel = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id;
    let member = AddMember {
        name: FORGED.into(),
        email: "sam@example.org".into(),
        password: "a long password 1".into(),
        is_admin: None,
    };
    let schedule = NewSchedule {
        title: "Review\rATTENDEE:mailto:mallory@evil.example".into(),
        starts_local: "2030-01-08T15:30".into(),
        time_zone: "Europe/Berlin".into(),
        recurrence: Recurrence::Once,
        ends: RecurrenceEnd::Never,
        external_participants: "lin@example.org".into(),
    };
    // (what is sent, the field refused)
    let cases = [
        (ada.request(member), "name"),
        (ada.request(CreateTeam { name: "Ops\u{202E}".into() }), "name"),
        (ada.request(CreateInbox { name: "Sales\r\nBcc".into(), addresses: "s@acme.example".into() }), "name"),
        (ada.request(RenameRoom { room, name: "Studio\u{200F}".into() }), "name"),
        (ada.request(CreateSchedule { channel, schedule }), "title"),
    ];
    for (request, field) in cases {
        let response = request.send().await.unwrap();
        let function = response.url().path().to_string();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 422, "{function}: {body}");
        let error: AppError = serde_json::from_str(&body).unwrap();
        assert_eq!(error.field(), Some(field), "{function}: {error}");
    }
    server.stop().await;
}
