//! Integration tests of room invite links.

use crate::support::TestServer;
use anteroom_app::api::invites::{OpenInvite, RegenerateRoomInvite, RoomInvite};
use anteroom_app::api::office::{LoadOffice, WalkInto};
use anteroom_app::error::AppError;
use anteroom_app::model::RoomId;
use anteroom_app::ssr::seed::DEMO_PASSWORD;

#[tokio::test]
async fn members_inside_a_room_get_its_link_and_regenerating_kills_the_old_one() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    let (room, name) = (office.rooms[0].id, office.rooms[0].name.clone());

    // (who, expected) before anyone is inside
    assert_eq!(server.client().run(RoomInvite { room }).await, Err(AppError::NotSignedIn));
    assert_eq!(ada.run(RoomInvite { room }).await, Err(AppError::NotInRoom));
    assert!(matches!(ada.run(RoomInvite { room: RoomId(999999) }).await, Err(AppError::NotFound(_))));

    ada.run(WalkInto { room }).await.unwrap();
    grace.run(WalkInto { room }).await.unwrap();
    let link = ada.run(RoomInvite { room }).await.unwrap();
    assert!(link.starts_with(&format!("{}/guest/", server.url)), "{link}");
    let token = link.rsplit('/').next().unwrap().to_string();
    assert!(token.len() >= 43, "a long random token, not an id: {token}");
    assert_eq!(grace.run(RoomInvite { room }).await, Ok(link.clone()), "one link per room");

    let guest = server.client();
    let welcome = guest.run(OpenInvite { token: token.clone() }).await.unwrap();
    assert_eq!((welcome.workspace_name.as_str(), welcome.place_name.as_str()), ("Acme Studio", name.as_str()));

    let fresh = grace.run(RegenerateRoomInvite { room }).await.unwrap();
    assert_ne!(fresh, link);
    assert_eq!(guest.run(OpenInvite { token }).await, Err(AppError::InviteInvalid));
    let fresh_token = fresh.rsplit('/').next().unwrap().to_string();
    assert!(guest.run(OpenInvite { token: fresh_token }).await.is_ok());
    assert_eq!(guest.run(OpenInvite { token: "1".into() }).await, Err(AppError::InviteInvalid));
    server.stop().await;
}
