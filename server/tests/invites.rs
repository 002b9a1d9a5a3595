//! Integration tests of room invite links.

mod support;

use anteroom_app::error::AppError;
use anteroom_app::model::{GuestWelcome, Office, Presence};
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use support::TestServer;

#[tokio::test]
async fn members_inside_a_room_get_its_link_and_regenerating_kills_the_old_one() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let office: Office = ada.call("load_office", &[]).await.unwrap();
    let (room, name) = (office.rooms[0].id.to_string(), office.rooms[0].name.clone());

    // (who, expected) before anyone is inside
    assert_eq!(server.client().call::<String>("room_invite", &[("room", &room)]).await, Err(AppError::NotSignedIn));
    assert_eq!(ada.call::<String>("room_invite", &[("room", &room)]).await, Err(AppError::NotInRoom));
    assert!(matches!(ada.call::<String>("room_invite", &[("room", "999999")]).await, Err(AppError::NotFound(_))));

    let _: Presence = ada.call("walk_into", &[("room", &room)]).await.unwrap();
    let _: Presence = grace.call("walk_into", &[("room", &room)]).await.unwrap();
    let link: String = ada.call("room_invite", &[("room", &room)]).await.unwrap();
    assert!(link.starts_with(&format!("{}/guest/", server.url)), "{link}");
    let token = link.rsplit('/').next().unwrap().to_string();
    assert!(token.len() >= 43, "a long random token, not an id: {token}");
    assert_eq!(grace.call::<String>("room_invite", &[("room", &room)]).await, Ok(link.clone()), "one link per room");

    let guest = server.client();
    let welcome: GuestWelcome = guest.call("open_invite", &[("token", &token)]).await.unwrap();
    assert_eq!((welcome.workspace_name.as_str(), welcome.place_name.as_str()), ("Acme Studio", name.as_str()));

    let fresh: String = grace.call("regenerate_room_invite", &[("room", &room)]).await.unwrap();
    assert_ne!(fresh, link);
    assert_eq!(guest.call::<GuestWelcome>("open_invite", &[("token", &token)]).await, Err(AppError::InviteInvalid));
    let fresh_token = fresh.rsplit('/').next().unwrap();
    assert!(guest.call::<GuestWelcome>("open_invite", &[("token", fresh_token)]).await.is_ok());
    assert_eq!(guest.call::<GuestWelcome>("open_invite", &[("token", "1")]).await, Err(AppError::InviteInvalid));
    server.stop().await;
}
