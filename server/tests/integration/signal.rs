//! Integration tests of call signalling: who may join which conference, and
//! that nothing crosses from one room's call to another's.

use crate::support::{Client, SignalSocket, TestServer, refusal_status};
use anteroom_app::api::office::{LoadOffice, WalkInto};
use anteroom_app::model::RoomId;
use anteroom_app::protocol::signal::{MAX_SIGNAL_MESSAGE_BYTES, SignalEvent};
use anteroom_app::ssr::seed::DEMO_PASSWORD;

async fn rooms(client: &Client) -> (RoomId, RoomId) {
    let office = client.run(LoadOffice {}).await.unwrap();
    (office.rooms[0].id, office.rooms[1].id)
}

async fn walk_in(client: &Client, room: &RoomId) {
    client.run(WalkInto { room: *room }).await.expect("walks in");
}

/// Joins the room's call and returns the socket after its Welcome.
async fn join(client: &Client, room: &RoomId) -> (SignalSocket, SignalEvent) {
    let mut socket = client.signal_socket(room).await.expect("joins the call");
    let welcome = socket.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    (socket, welcome)
}

#[tokio::test]
async fn joining_a_call_is_decided_by_the_server() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let (room_a, room_b) = rooms(&ada).await;

    // (who, which room, expected HTTP status)
    assert_eq!(refusal_status(server.client().signal_socket(&room_a).await), 401, "anonymous");
    assert_eq!(refusal_status(ada.signal_socket(&room_a).await), 403, "a member in the lobby");
    walk_in(&ada, &room_a).await;
    assert_eq!(refusal_status(ada.signal_socket(&room_b).await), 403, "a member inside another room");
    assert_eq!(refusal_status(ada.signal_socket("999999").await), 404, "a room that does not exist");
    let (_socket, welcome) = join(&ada, &room_a).await;
    assert!(matches!(welcome, SignalEvent::Welcome { participants, .. } if participants.is_empty()));
    server.stop().await;
}

#[tokio::test]
async fn nothing_crosses_from_one_rooms_call_to_another() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    let (room_a, room_b) = rooms(&ada).await;
    walk_in(&ada, &room_a).await;
    walk_in(&grace, &room_a).await;
    walk_in(&alan, &room_b).await;

    let (mut adas, _) = join(&ada, &room_a).await;
    let (mut graces, welcome) = join(&grace, &room_a).await;
    assert!(
        matches!(&welcome, SignalEvent::Welcome { participants, .. } if participants.len() == 1 && participants[0].name == "Ada Lovelace")
    );
    let (mut alans, welcome) = join(&alan, &room_b).await;
    assert!(matches!(&welcome, SignalEvent::Welcome { participants, .. } if participants.is_empty()), "{welcome:?}");

    adas.send_text(r#"{"type":"chat","text":"only for room A"}"#).await;
    let heard = graces.wait_for(|e| matches!(e, SignalEvent::Chat { .. })).await;
    assert!(
        matches!(heard, SignalEvent::Chat { message } if message.text == "only for room A" && message.name == "Ada Lovelace")
    );

    // Alan's own message reaches him; had Ada's crossed over, it would have come first.
    alans.send_text(r#"{"type":"chat","text":"room B here"}"#).await;
    let first = alans.wait_for(|e| matches!(e, SignalEvent::Chat { .. } | SignalEvent::Joined { .. })).await;
    assert!(matches!(&first, SignalEvent::Chat { message } if message.text == "room B here"), "{first:?}");
    server.stop().await;
}

#[tokio::test]
async fn bad_messages_get_an_error_and_the_call_goes_on() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let (room, _) = rooms(&ada).await;
    walk_in(&ada, &room).await;
    walk_in(&grace, &room).await;
    let (mut adas, _) = join(&ada, &room).await;
    let (mut graces, _) = join(&grace, &room).await;

    let is_error = |e: &SignalEvent| matches!(e, SignalEvent::Error { .. });
    for bad in [
        "not json at all".to_string(),
        r#"{"type":"become_admin"}"#.to_string(),
        r#"{"type":"subscribe_answer","sdp":"v=0"}"#.to_string(),
        r#"{"type":"publish_offer","sdp":"this is not sdp","screen_stream":null}"#.to_string(),
        format!(r#"{{"type":"chat","text":"{}"}}"#, "x".repeat(MAX_SIGNAL_MESSAGE_BYTES)),
        format!(r#"{{"type":"chat","text":"{}"}}"#, "y".repeat(2001)),
        r#"{"type":"chat","text":"   "}"#.to_string(),
    ] {
        adas.send_text(&bad).await;
        let answer = adas.wait_for(|e| is_error(e)).await;
        assert!(matches!(&answer, SignalEvent::Error { reason } if !reason.is_empty()), "{bad:.40}: {answer:?}");
    }

    adas.send_text(r#"{"type":"chat","text":"still here"}"#).await;
    let heard = graces.wait_for(|e| matches!(e, SignalEvent::Chat { .. })).await;
    assert!(matches!(heard, SignalEvent::Chat { message } if message.text == "still here"));
    server.stop().await;
}

#[tokio::test]
async fn walking_out_of_the_room_ends_the_call_for_that_member() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let (room, other_room) = rooms(&ada).await;
    walk_in(&ada, &room).await;
    walk_in(&grace, &room).await;
    let (mut adas, _) = join(&ada, &room).await;
    let (mut graces, _) = join(&grace, &room).await;
    let graces_id = match adas.wait_for(|e| matches!(e, SignalEvent::Joined { .. })).await {
        SignalEvent::Joined { participant } => participant.id,
        _ => unreachable!(),
    };

    walk_in(&grace, &other_room).await;
    let ended = graces.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await;
    assert!(matches!(ended, SignalEvent::Ended { reason } if reason.contains("left the room")));
    assert!(graces.closed().await, "the server closes the socket after Ended");
    let left = adas.wait_for(|e| matches!(e, SignalEvent::Left { .. })).await;
    assert_eq!(left, SignalEvent::Left { participant: graces_id });
    server.stop().await;
}
