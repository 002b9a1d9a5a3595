//! Integration tests: the real server on a free loopback port, spoken to over
//! HTTP and websockets like a browser would.

use crate::support::{TestServer, refusal_status};
use anteroom_app::api::accounts::{AddMember, ListMembers, Me, SignIn, SignOut, SignUp, WhereToGo};
use anteroom_app::api::office::{LoadOffice, WalkInto, WalkOut};
use anteroom_app::error::AppError;
use anteroom_app::model::{Landing, RoomId};
use anteroom_app::protocol::LiveEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;

#[tokio::test]
async fn health_check_and_pages_answer() {
    let server = TestServer::empty().await;
    let client = server.client();
    let health = client.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    let page = client.get("/signin").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign in to Anteroom"), "server-rendered sign-in form");
    assert!(html.contains("/pkg/anteroom.js"), "hydration script is linked");

    assert_eq!(client.get("/no/such/page").await.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn the_first_sign_up_creates_the_workspace_and_later_ones_are_refused() {
    let server = TestServer::empty().await;
    let founder = server.client();
    assert_eq!(founder.run(WhereToGo {}).await, Ok(Landing::SignUp));
    let sign_up = |workspace_name: &str, name: &str, email: &str, password: &str| SignUp {
        workspace_name: workspace_name.into(),
        name: name.into(),
        email: email.into(),
        password: password.into(),
    };

    let bad_email = founder.run(sign_up("Acme", "Ada", "ada@", "long enough")).await;
    assert_eq!(bad_email.unwrap_err().field(), Some("email"));
    let short_password = founder.run(sign_up("Acme", "Ada", "ada@example.com", "short")).await;
    assert_eq!(short_password.unwrap_err().field(), Some("password"));
    let too_long = "n".repeat(81);
    let long_name = founder.run(sign_up("Acme", &too_long, "ada@example.com", "long enough")).await;
    assert_eq!(long_name.unwrap_err().field(), Some("name"));

    founder.run(sign_up("Acme", "Ada", "Ada@Example.com", "long enough")).await.expect("first sign-up works");
    let me = founder.run(Me {}).await.unwrap();
    assert!(me.is_admin);
    assert_eq!(me.email, "ada@example.com");
    let office = founder.run(LoadOffice {}).await.unwrap();
    assert_eq!(office.workspace_name, "Acme");
    assert!(!office.rooms.is_empty(), "a new workspace starts with rooms");

    let latecomer = server.client();
    assert_eq!(latecomer.run(WhereToGo {}).await, Ok(Landing::SignIn));
    let second = latecomer.run(sign_up("Other", "Bob", "bob@example.com", "long enough")).await;
    assert_eq!(second, Err(AppError::WorkspaceExists));
    server.stop().await;
}

#[tokio::test]
async fn sign_in_errors_are_specific_and_sign_out_ends_the_session() {
    let server = TestServer::with_demo().await;
    let client = server.client();
    assert_eq!(client.run(LoadOffice {}).await, Err(AppError::NotSignedIn));
    let sign_in = |email: &str, password: &str| SignIn { email: email.into(), password: password.into() };
    let empty = client.run(sign_in("", "x")).await;
    assert_eq!(empty.unwrap_err().field(), Some("email"));
    let no_password = client.run(sign_in("ada@example.com", "")).await;
    assert_eq!(no_password.unwrap_err().field(), Some("password"));
    let wrong = client.run(sign_in("ada@example.com", "wrong password")).await;
    assert_eq!(wrong, Err(AppError::WrongCredentials));
    let unknown = client.run(sign_in("nobody@example.com", DEMO_PASSWORD)).await;
    assert_eq!(unknown, Err(AppError::WrongCredentials), "unknown emails get the same answer");

    let ada = server.signed_in("ADA@example.com", DEMO_PASSWORD).await;
    assert_eq!(ada.run(WhereToGo {}).await, Ok(Landing::Office));
    ada.run(SignOut {}).await.unwrap();
    assert_eq!(ada.run(LoadOffice {}).await, Err(AppError::NotSignedIn));
    server.stop().await;
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax() {
    let server = TestServer::with_demo().await;
    let sign_in = SignIn { email: "ada@example.com".into(), password: DEMO_PASSWORD.into() };
    let response = server.client().request(sign_in).send().await.unwrap();
    let cookie = response.headers().get("set-cookie").expect("a session cookie").to_str().unwrap().to_string();
    assert!(cookie.starts_with("anteroom_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let stored: String = {
        let db = anteroom_app::ssr::db::open(&server.database_url).await.unwrap();
        sqlx::query_scalar("SELECT token_hash FROM sessions").fetch_one(&db).await.unwrap()
    };
    let token = cookie.split(';').next().unwrap().trim_start_matches("anteroom_session=");
    assert_ne!(stored, token, "only a hash of the token is stored");
    server.stop().await;
}

#[tokio::test]
async fn only_admins_add_members_and_duplicates_are_refused() {
    let server = TestServer::with_demo().await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let new = AddMember {
        name: "Hedy Lamarr".into(),
        email: "hedy@example.com".into(),
        password: "frequency-hop".into(),
        is_admin: None,
    };
    assert_eq!(grace.run(new.clone()).await, Err(AppError::Forbidden));

    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let hedy = ada.run(new.clone()).await.expect("admin adds a member");
    assert!(!hedy.is_admin);
    assert_eq!(ada.run(new).await, Err(AppError::EmailTaken("hedy@example.com".into())));
    let admin_too = AddMember {
        name: "Joan Clarke".into(),
        email: "joan@example.com".into(),
        password: "enigma-1940".into(),
        is_admin: Some("on".into()),
    };
    assert!(ada.run(admin_too).await.unwrap().is_admin);

    let members = grace.run(ListMembers {}).await.unwrap();
    assert!(members.iter().any(|m| m.email == "hedy@example.com"));
    server.signed_in("hedy@example.com", "frequency-hop").await;
    server.stop().await;
}

#[tokio::test]
async fn walking_into_a_room_reaches_other_members_live() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let office = grace.run(LoadOffice {}).await.unwrap();
    let room = office.rooms[0].id;

    let mut graces_view = grace.live_socket().await.expect("grace opens the live socket");
    assert!(matches!(graces_view.next_event().await, LiveEvent::Snapshot { .. }));
    let mut adas_view = ada.live_socket().await.expect("ada opens the live socket");
    let came_online = graces_view
        .wait_for(|e| matches!(e, LiveEvent::Moved { presence } if presence.member.email == "ada@example.com"))
        .await;
    assert!(matches!(&came_online, LiveEvent::Moved { presence } if presence.room.is_none()), "{came_online:?}");

    let walked = ada.run(WalkInto { room }).await.unwrap();
    assert_eq!(walked.room, Some(room));
    let seen = graces_view.wait_for(|e| matches!(e, LiveEvent::Moved { presence } if presence.room.is_some())).await;
    assert_eq!(seen, LiveEvent::Moved { presence: walked.clone() });

    let back = ada.run(WalkOut {}).await.unwrap();
    assert_eq!(back.room, None);
    assert_eq!(graces_view.next_event().await, LiveEvent::Moved { presence: back });

    adas_view.0.close(None).await.expect("ada closes her tab");
    let offline = graces_view.next_event().await;
    assert_eq!(offline, LiveEvent::WentOffline { member: walked.member.id });
    server.stop().await;
}

#[tokio::test]
async fn walking_is_checked_on_the_server() {
    let server = TestServer::with_demo().await;
    let anonymous = server.client();
    assert_eq!(anonymous.run(WalkInto { room: RoomId(1) }).await, Err(AppError::NotSignedIn));
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let missing = ada.run(WalkInto { room: RoomId(9999) }).await;
    assert!(matches!(missing, Err(AppError::NotFound(_))), "{missing:?}");
    server.stop().await;
}

#[tokio::test]
async fn the_live_socket_needs_a_session_and_refuses_messages() {
    let server = TestServer::with_demo().await;
    assert_eq!(refusal_status(server.client().live_socket().await), 401, "an anonymous live socket");

    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let mut socket = ada.live_socket().await.unwrap();
    assert!(matches!(socket.next_event().await, LiveEvent::Snapshot { .. }));
    socket.send_text(r#"{"type":"snapshot","people":[]}"#).await;
    socket.wait_for(|e| matches!(e, LiveEvent::Refused { .. })).await;
    server.stop().await;
}

#[tokio::test]
async fn signing_out_tells_that_members_open_pages_and_closes_their_sockets() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let me = ada.run(Me {}).await.unwrap();
    let mut adas_tab = ada.live_socket().await.unwrap();
    let mut graces_tab = grace.live_socket().await.unwrap();
    adas_tab.wait_for(|e| matches!(e, LiveEvent::Snapshot { .. })).await;

    ada.run(SignOut {}).await.unwrap();
    let gone = LiveEvent::WentOffline { member: me.id };
    assert_eq!(graces_tab.wait_for(|e| matches!(e, LiveEvent::WentOffline { .. })).await, gone);
    // Her own page hears either (whichever the server's socket takes up
    // first); the page goes to sign-in on both.
    let told = adas_tab.wait_for(|e| matches!(e, LiveEvent::WentOffline { .. } | LiveEvent::SignedOut)).await;
    assert!(told == gone || told == LiveEvent::SignedOut, "her page was told {told:?}");
    assert!(adas_tab.closed().await, "the signed-out member's socket is closed by the server");
    server.stop().await;
}
