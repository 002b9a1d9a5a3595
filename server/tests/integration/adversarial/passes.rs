//! The guest pass door (issue 32, 13): one pass reopened 300 call sessions
//! in 0.8 s, each a new participant everyone in the call was told of. A
//! pass now opens sessions at a rejoining pace.

use crate::support::{TestServer, refusal_status};
use anteroom_app::api::channels::ExternalLink;
use anteroom_app::api::office::LoadOffice;
use anteroom_app::model::ChannelKind;
use anteroom_app::protocol::guest::GuestEvent;
use anteroom_app::protocol::signal::SignalEvent;
use anteroom_app::ssr::guests::PASS_SESSIONS_BURST;
use anteroom_app::ssr::seed::DEMO_PASSWORD;

#[tokio::test]
async fn a_pass_cannot_flood_a_call_with_new_sessions() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    let channel = office.channels.iter().find(|c| c.kind == ChannelKind::Meeting).expect("a meeting channel").id;
    let link = ada.run(ExternalLink { channel }).await.unwrap();
    let token = link.rsplit('/').next().unwrap();

    let mut lobby = server.client().guest_socket(token).await.unwrap();
    lobby.send_text(r#"{"type":"knock","name":"Mallory","email":""}"#).await;
    let GuestEvent::Admitted { pass, conference } = lobby.next_event().await else { panic!("admitted") };
    let path = conference.signal_path();
    let mut adas = ada.signal_socket_at(&path).await.unwrap();
    super::joined(&mut adas).await;

    let guest = server.client();
    let mut opened = 0;
    let status = loop {
        match guest.guest_signal_socket_at(&path, &pass).await {
            Ok(mut socket) => {
                socket.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
                opened += 1;
                assert!(opened <= PASS_SESSIONS_BURST + 1, "sessions per pass are bounded");
            }
            refused => break refusal_status(refused),
        }
    };
    assert_eq!(status, 429, "refused as too many, after {opened}");
    assert!(opened >= PASS_SESSIONS_BURST, "a guest's own rejoins pass: {opened}");

    // Ada's call goes on.
    adas.send_text(r#"{"type":"chat","text":"still fine"}"#).await;
    adas.wait_for(|e| matches!(e, SignalEvent::Chat { message } if message.text == "still fine")).await;
    server.stop().await;
}
