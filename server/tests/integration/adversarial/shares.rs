//! Shared caps turned against real guests (issue 32, 8): 10 addresses × 10
//! idle pages made a real guest's page answer 429, 4 addresses × 6 knocks
//! filled a room's door, 7 addresses spent a channel link's knocks. Each
//! network now has a small share of a link's pages, knocks and waiting
//! places, and members can turn a network away at their door.

use crate::support::{GuestSocket, TestServer};
use anteroom_app::api::channels::ExternalLink;
use anteroom_app::api::guests::{AnswerGuests, DenyAndBlockGuest};
use anteroom_app::api::office::LoadOffice;
use anteroom_app::error::AppError;
use anteroom_app::model::ChannelKind;
use anteroom_app::protocol::guest::{GuestEvent, RoomGuests};
use anteroom_app::protocol::live::LiveEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use std::net::IpAddr;

const ATTACKERS: u8 = 10;

/// The `n`th attacking network of a flood (each flood its own: a network
/// spends its knocks across links too).
fn attacker(flood: u8, n: u8) -> IpAddr {
    IpAddr::from([127, 1, flood, n])
}

const REAL_GUEST: [u8; 4] = [127, 0, 2, 1];

/// Knocks on `socket` as `name`; the first answer.
async fn knock(socket: &mut GuestSocket, name: &str) -> GuestEvent {
    let knock = serde_json::json!({ "type": "knock", "name": name, "email": "someone@example.org" });
    socket.send_text(&knock.to_string()).await;
    socket.next_event().await
}

/// As many knocks, then idle pages, as ten networks can open at a link, a
/// dozen tries each: what they hold open (pages, waiting knocks, guests in
/// the call). A refused knock's page closes; a refused page ends the
/// network's turn.
async fn flood(server: &TestServer, token: &str, flood: u8) -> Vec<GuestSocket> {
    let client = server.client();
    let mut held = Vec::new();
    for n in 1..=ATTACKERS {
        for _ in 0..12 {
            let Ok(mut socket) = client.guest_socket_from(token, attacker(flood, n)).await else { break };
            match knock(&mut socket, &format!("Spam {n}")).await {
                GuestEvent::Waiting | GuestEvent::Admitted { .. } => held.push(socket),
                GuestEvent::Refused { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        // Then pages left open without a knock, as many as it may.
        for _ in 0..12 {
            let Ok(socket) = client.guest_socket_from(token, attacker(flood, n)).await else { break };
            held.push(socket);
        }
    }
    held
}

#[tokio::test]
async fn ten_attacking_networks_do_not_keep_a_real_guest_out() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let (_, room_token) = super::room_link(&ada).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    let channel = office.channels.iter().find(|c| c.kind == ChannelKind::Meeting).unwrap().id;
    let link = ada.run(ExternalLink { channel }).await.unwrap();
    let channel_token = link.rsplit('/').next().unwrap().to_string();

    for (n, token) in [&room_token, &channel_token].into_iter().enumerate() {
        let held = flood(&server, token, n as u8).await;
        assert!(!held.is_empty());
        // Their pages and knocks are held; a real guest's page opens and
        // their knock reaches the door (at the room) or the call (at the channel).
        let mut guest = server.client().guest_socket_from(token, REAL_GUEST.into()).await.expect("the page opens");
        let answer = knock(&mut guest, "Lin Park").await;
        assert!(
            matches!(answer, GuestEvent::Waiting | GuestEvent::Admitted { .. }),
            "the real guest knocks: {answer:?}"
        );
        drop(held);
    }
    server.stop().await;
}

#[tokio::test]
async fn deny_and_block_turns_a_network_away_from_the_door() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let (_, token) = super::room_link(&ada).await;
    let token = token.as_str();

    let mut adas_page = ada.live_socket().await.unwrap();
    let mut spam = server.client().guest_socket_from(token, attacker(0, 1)).await.unwrap();
    assert_eq!(knock(&mut spam, "Spam").await, GuestEvent::Waiting);
    let mut more = server.client().guest_socket_from(token, attacker(0, 1)).await.unwrap();
    assert_eq!(knock(&mut more, "More spam").await, GuestEvent::Waiting);
    let mut lin = server.client().guest_socket_from(token, REAL_GUEST.into()).await.unwrap();
    assert_eq!(knock(&mut lin, "Lin Park").await, GuestEvent::Waiting);

    let three = |rooms: &[RoomGuests]| rooms.iter().any(|r| r.waiting.len() == 3);
    let LiveEvent::Guests { rooms } =
        adas_page.wait_for(|e| matches!(e, LiveEvent::Guests { rooms } if three(rooms))).await
    else {
        unreachable!()
    };
    let waiting = &rooms.iter().find(|r| r.waiting.len() == 3).unwrap().waiting;
    let id_of = |name: &str| waiting.iter().find(|g| g.name == name).unwrap().id;
    let (spammer, lin_id) = (id_of("Spam"), id_of("Lin Park"));
    // Only members inside the room may; Grace is not.
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    assert_eq!(grace.run(DenyAndBlockGuest { guest: spammer }).await, Err(AppError::NotInRoom));
    let denied = ada.run(DenyAndBlockGuest { guest: spammer }).await.unwrap();
    assert_eq!(denied, 2, "both knocks from that network");
    assert_eq!(spam.next_event().await, GuestEvent::Denied);
    assert_eq!(more.next_event().await, GuestEvent::Denied);
    let mut again = server.client().guest_socket_from(token, attacker(0, 1)).await.unwrap();
    assert_eq!(knock(&mut again, "Spam").await, GuestEvent::Refused { error: AppError::KnocksBlocked });
    // Lin still waits, and Ada lets her in.
    ada.run(AnswerGuests { guests: vec![lin_id], admit: true }).await.unwrap();
    assert!(matches!(lin.next_event().await, GuestEvent::Admitted { .. }));
    server.stop().await;
}
