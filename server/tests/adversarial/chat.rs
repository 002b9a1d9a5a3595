//! The chat door (issue 32, 2): anyone with a meeting channel's link could
//! send 50 messages a second of 2,000 characters, each stored, mailed in
//! the notes and answered in Past calls. Each participant now sends 10 at
//! once, then one a second; a call takes 1,000 messages or 512 KiB at most
//! (unit-tested in the conference); the notes carry 200 messages or 32 KiB
//! (unit-tested with them).

use crate::support::{SignalSocket, TestServer};
use anteroom_app::protocol::signal::SignalEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;

const TOO_FAST: &str = "You are sending chat messages too fast: that one was not sent. Wait a moment.";

/// Reads `socket` until each of `sent` chat messages of its own came back,
/// as passed on or as refused; how many of each.
async fn outcomes(socket: &mut SignalSocket, me: &str, sent: usize) -> (usize, usize) {
    let (mut passed, mut refused) = (0, 0);
    while passed + refused < sent {
        match socket.next_event().await {
            SignalEvent::Chat { message } if message.name == me => passed += 1,
            SignalEvent::Error { reason } => {
                assert_eq!(reason, TOO_FAST);
                refused += 1;
            }
            _ => {}
        }
    }
    (passed, refused)
}

#[tokio::test]
async fn a_chat_flood_is_cut_to_a_typing_pace_and_the_call_goes_on() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let call = crate::meeting_call(&ada).await;
    let mut adas = ada.signal_socket_at(&call).await.unwrap();
    crate::joined(&mut adas).await;
    let mut graces = grace.signal_socket_at(&call).await.unwrap();
    crate::joined(&mut graces).await;

    let long = "x".repeat(2000);
    let message = serde_json::json!({ "type": "chat", "text": long }).to_string();
    for _ in 0..100 {
        graces.send_text(&message).await;
    }
    let (passed, refused) = outcomes(&mut graces, "Grace Hopper", 100).await;
    assert!((10..=15).contains(&passed), "10 at once, then one a second: {passed} passed, {refused} refused");

    // The call goes on: Ada's own message passes, and she saw only what passed.
    adas.send_text(r#"{"type":"chat","text":"still fine"}"#).await;
    let mut seen = 0;
    loop {
        match adas.next_event().await {
            SignalEvent::Chat { message } if message.text == "still fine" => break,
            SignalEvent::Chat { .. } => seen += 1,
            _ => {}
        }
    }
    assert_eq!(seen, passed, "Ada got exactly the messages that passed");
    server.stop().await;
}
