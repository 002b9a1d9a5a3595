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
    let (mut adas, mut graces) = super::two_in_a_call(&server).await;

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

#[tokio::test]
async fn a_past_call_is_read_a_page_at_a_time() {
    use anteroom_app::api::calls::{OpenPastCall, PastCallLines};
    use anteroom_app::api::office::LoadOffice;
    use anteroom_app::model::{CallPart, ChannelKind, LinesCursor};
    use anteroom_app::protocol::signal::{ChatMessage, ParticipantId};
    use anteroom_app::ssr::call_notes::Attendance;
    use anteroom_app::ssr::calls::{self, transcript};

    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    let channel = office.channels.iter().find(|c| c.kind == ChannelKind::Meeting).expect("a meeting channel").id;

    // A call with the most chat a call takes, and an hour of transcript,
    // several lines to a millisecond so pages split between equal times.
    let db = anteroom_app::ssr::db::open(&server.database_url).await.unwrap();
    let call = calls::start(&db, channel, 1_000, true).await.unwrap();
    for (participant, name, guest) in [(7, "Lin Park", true), (8, "Ada Lovelace", false)] {
        let stay = Attendance {
            participant: ParticipantId(participant),
            name: name.into(),
            guest_email: None,
            guest,
            removed: false,
            joined_at: 1_000,
            left_at: 4_600,
        };
        calls::joined(&db, call, &stay, None).await.unwrap();
    }
    let chat = 1_000;
    for n in 0..chat {
        let (from, name) = if n % 2 == 0 { (7, "Lin Park") } else { (8, "Ada Lovelace") };
        let message = ChatMessage {
            from: ParticipantId(from),
            name: name.into(),
            text: format!("message {n}"),
            sent_at: 1_000_000 + n / 3,
        };
        calls::chat(&db, call, &message).await.unwrap();
    }
    let spoken: Vec<transcript::Line> = (0..700)
        .map(|n| transcript::Line {
            participant: ParticipantId(8),
            speaker: "Ada Lovelace".into(),
            guest: false,
            said_at: 1_000_000 + n / 4,
            ended_at: 1_000_001 + n / 4,
            text: format!("line {n}"),
        })
        .collect();
    calls::end(&db, call, 4_600).await.unwrap();
    transcript::store(&db, call, &spoken, "A long call.").await.unwrap();

    let details = ada.run(OpenPastCall { call }).await.unwrap();
    assert_eq!(details.summary.as_deref(), Some("A long call."));
    assert_eq!(details.chat.lines.len(), calls::pages::CHAT_PAGE, "the first page only");
    assert_eq!(details.transcript.lines.len(), calls::pages::TRANSCRIPT_PAGE);

    // Following the pages reads every line once, in order.
    for (part, first, total, prefix) in
        [(CallPart::Chat, details.chat, chat, "message"), (CallPart::Transcript, details.transcript, 700, "line")]
    {
        let mut read: Vec<String> = first.lines.iter().map(|line| line.text.clone()).collect();
        let mut guests = first.lines.iter().filter(|line| line.guest).count();
        let mut next = first.next;
        while let Some(after) = next {
            let page = ada.run(PastCallLines { call, part, after }).await.unwrap();
            guests += page.lines.iter().filter(|line| line.guest).count();
            read.extend(page.lines.into_iter().map(|line| line.text));
            next = page.next;
        }
        let expected: Vec<String> = (0..total).map(|n| format!("{prefix} {n}")).collect();
        assert_eq!(read, expected, "{part:?}");
        let expected_guests = if part == CallPart::Chat { chat as usize / 2 } else { 0 };
        assert_eq!(guests, expected_guests, "{part:?}: a guest's lines are marked");
    }

    // Nobody outside the workspace reads a page.
    let stranger = server.client();
    let first_page = PastCallLines { call, part: CallPart::Chat, after: LinesCursor { at: 0, id: 0 } };
    assert_eq!(stranger.run(first_page).await, Err(anteroom_app::error::AppError::NotSignedIn));
    server.stop().await;
}
