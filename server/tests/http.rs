//! Integration tests: the real server on a free loopback port, spoken to over
//! HTTP and websockets like a browser would.

mod support;

use anteroom_app::error::AppError;
use anteroom_app::model::{Landing, MemberSummary, Office, Presence};
use anteroom_app::protocol::LiveEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use support::{TestServer, refusal_status};

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
    assert_eq!(founder.call::<Landing>("where_to_go", &[]).await, Ok(Landing::SignUp));

    let bad_email = founder
        .call::<()>(
            "sign_up",
            &[("workspace_name", "Acme"), ("name", "Ada"), ("email", "ada@"), ("password", "long enough")],
        )
        .await;
    assert_eq!(bad_email.unwrap_err().field(), Some("email"));
    let short_password = founder
        .call::<()>(
            "sign_up",
            &[("workspace_name", "Acme"), ("name", "Ada"), ("email", "ada@example.com"), ("password", "short")],
        )
        .await;
    assert_eq!(short_password.unwrap_err().field(), Some("password"));
    let too_long = "n".repeat(81);
    let long_name = founder
        .call::<()>(
            "sign_up",
            &[
                ("workspace_name", "Acme"),
                ("name", &too_long),
                ("email", "ada@example.com"),
                ("password", "long enough"),
            ],
        )
        .await;
    assert_eq!(long_name.unwrap_err().field(), Some("name"));

    founder
        .call::<()>(
            "sign_up",
            &[("workspace_name", "Acme"), ("name", "Ada"), ("email", "Ada@Example.com"), ("password", "long enough")],
        )
        .await
        .expect("first sign-up works");
    let me: MemberSummary = founder.call("me", &[]).await.unwrap();
    assert!(me.is_admin);
    assert_eq!(me.email, "ada@example.com");
    let office: Office = founder.call("load_office", &[]).await.unwrap();
    assert_eq!(office.workspace_name, "Acme");
    assert!(!office.rooms.is_empty(), "a new workspace starts with rooms");

    let latecomer = server.client();
    assert_eq!(latecomer.call::<Landing>("where_to_go", &[]).await, Ok(Landing::SignIn));
    let second = latecomer
        .call::<()>(
            "sign_up",
            &[("workspace_name", "Other"), ("name", "Bob"), ("email", "bob@example.com"), ("password", "long enough")],
        )
        .await;
    assert_eq!(second, Err(AppError::WorkspaceExists));
    server.stop().await;
}

#[tokio::test]
async fn sign_in_errors_are_specific_and_sign_out_ends_the_session() {
    let server = TestServer::with_demo().await;
    let client = server.client();
    assert_eq!(client.call::<Office>("load_office", &[]).await, Err(AppError::NotSignedIn));
    let empty = client.call::<()>("sign_in", &[("email", ""), ("password", "x")]).await;
    assert_eq!(empty.unwrap_err().field(), Some("email"));
    let no_password = client.call::<()>("sign_in", &[("email", "ada@example.com"), ("password", "")]).await;
    assert_eq!(no_password.unwrap_err().field(), Some("password"));
    let wrong = client.call::<()>("sign_in", &[("email", "ada@example.com"), ("password", "wrong password")]).await;
    assert_eq!(wrong, Err(AppError::WrongCredentials));
    let unknown = client.call::<()>("sign_in", &[("email", "nobody@example.com"), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(unknown, Err(AppError::WrongCredentials), "unknown emails get the same answer");

    let ada = server.signed_in("ADA@example.com", DEMO_PASSWORD).await;
    assert_eq!(ada.call::<Landing>("where_to_go", &[]).await, Ok(Landing::Office));
    ada.call::<()>("sign_out", &[]).await.unwrap();
    assert_eq!(ada.call::<Office>("load_office", &[]).await, Err(AppError::NotSignedIn));
    server.stop().await;
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax() {
    let server = TestServer::with_demo().await;
    let response = server
        .client()
        .post("sign_in")
        .form(&[("email", "ada@example.com"), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
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
    let new = [("name", "Hedy Lamarr"), ("email", "hedy@example.com"), ("password", "frequency-hop")];
    assert_eq!(grace.call::<MemberSummary>("add_member", &new).await, Err(AppError::Forbidden));

    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let hedy: MemberSummary = ada.call("add_member", &new).await.expect("admin adds a member");
    assert!(!hedy.is_admin);
    assert_eq!(
        ada.call::<MemberSummary>("add_member", &new).await,
        Err(AppError::EmailTaken("hedy@example.com".into()))
    );
    let admin_too =
        [("name", "Joan Clarke"), ("email", "joan@example.com"), ("password", "enigma-1940"), ("is_admin", "on")];
    assert!(ada.call::<MemberSummary>("add_member", &admin_too).await.unwrap().is_admin);

    let members: Vec<MemberSummary> = grace.call("list_members", &[]).await.unwrap();
    assert!(members.iter().any(|m| m.email == "hedy@example.com"));
    server.signed_in("hedy@example.com", "frequency-hop").await;
    server.stop().await;
}

#[tokio::test]
async fn walking_into_a_room_reaches_other_members_live() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let office: Office = grace.call("load_office", &[]).await.unwrap();
    let room = office.rooms[0].id;

    let mut graces_view = grace.live_socket().await.expect("grace opens the live socket");
    assert!(matches!(graces_view.next_event().await, LiveEvent::Snapshot { .. }));
    let mut adas_view = ada.live_socket().await.expect("ada opens the live socket");
    let came_online = graces_view
        .wait_for(|e| matches!(e, LiveEvent::Moved { presence } if presence.member.email == "ada@example.com"))
        .await;
    assert!(matches!(&came_online, LiveEvent::Moved { presence } if presence.room.is_none()), "{came_online:?}");

    let walked: Presence = ada.call("walk_into", &[("room", &room.to_string())]).await.unwrap();
    assert_eq!(walked.room, Some(room));
    let seen = graces_view.wait_for(|e| matches!(e, LiveEvent::Moved { presence } if presence.room.is_some())).await;
    assert_eq!(seen, LiveEvent::Moved { presence: walked.clone() });

    let back: Presence = ada.call("walk_out", &[]).await.unwrap();
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
    assert_eq!(anonymous.call::<Presence>("walk_into", &[("room", "1")]).await, Err(AppError::NotSignedIn));
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let missing = ada.call::<Presence>("walk_into", &[("room", "9999")]).await;
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
    let me: MemberSummary = ada.call("me", &[]).await.unwrap();
    let mut adas_tab = ada.live_socket().await.unwrap();
    let mut graces_tab = grace.live_socket().await.unwrap();
    adas_tab.wait_for(|e| matches!(e, LiveEvent::Snapshot { .. })).await;

    ada.call::<()>("sign_out", &[]).await.unwrap();
    let gone = LiveEvent::WentOffline { member: me.id };
    assert_eq!(graces_tab.wait_for(|e| matches!(e, LiveEvent::WentOffline { .. })).await, gone);
    // Her own page hears either (whichever the server's socket takes up
    // first); the page goes to sign-in on both.
    let told = adas_tab.wait_for(|e| matches!(e, LiveEvent::WentOffline { .. } | LiveEvent::SignedOut)).await;
    assert!(told == gone || told == LiveEvent::SignedOut, "her page was told {told:?}");
    assert!(adas_tab.closed().await, "the signed-out member's socket is closed by the server");
    server.stop().await;
}
