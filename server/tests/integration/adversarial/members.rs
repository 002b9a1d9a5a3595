//! Members who leave (issue 32, item 10): a workspace admin deactivates
//! them, and everything they held ends at once (pages, calls, sign-in,
//! inboxes, teams, channel roles, optionally the guest links they made);
//! reactivating lets them sign in again; a password reset link arrives by
//! mail, works once, expires, and ends every other session.

use super::{DEMO_PASSWORD, joined, meeting_call};
use crate::support::{self, Client, TestServer};
use anteroom_app::api::accounts::{AddMember, ListMembers, ManageMember, Me, SignIn};
use anteroom_app::api::channels::ExternalLink;
use anteroom_app::api::invites::{OpenInvite, RoomInvite};
use anteroom_app::api::office::{LoadOffice, WalkInto};
use anteroom_app::api::teams::{ListTeams, SetTeamMember};
use anteroom_app::error::AppError;
use anteroom_app::model::{MemberAction, MemberId};
use anteroom_app::protocol::LiveEvent;
use anteroom_app::protocol::signal::SignalEvent;

/// The id of the member with this email, as the member list gives it.
async fn id_of(admin: &Client, email: &str) -> MemberId {
    let members = admin.run(ListMembers {}).await.unwrap();
    members.iter().find(|m| m.email == email).unwrap().id
}

/// A workspace admin's action on a member.
async fn manage(
    admin: &Client,
    member: &MemberId,
    action: MemberAction,
    replace_links: bool,
) -> Result<String, AppError> {
    admin.run(ManageMember { member: *member, action, replace_links }).await
}

async fn set_active(admin: &Client, member: &MemberId, active: bool, replace_links: bool) -> Result<String, AppError> {
    let action = if active { MemberAction::Reactivate } else { MemberAction::Deactivate };
    manage(admin, member, action, replace_links).await
}

async fn send_reset(admin: &Client, member: &MemberId) -> Result<String, AppError> {
    manage(admin, member, MemberAction::SendPasswordReset, false).await
}

/// What the database holds of `member`'s access, by table.
async fn held(server: &TestServer, member: &MemberId, table: &str) -> i64 {
    let db = anteroom_app::ssr::db::open(&server.database_url).await.unwrap();
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE member_id = ?");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(member.0).fetch_one(&db).await.unwrap()
}

#[tokio::test]
async fn a_deactivated_member_is_out_at_once_everywhere_and_reactivating_lets_her_back() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let graces_phone = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let grace_id = id_of(&ada, "grace@example.com").await;

    // Grace made the guest links of a room and of client-calls (she
    // administers it), has a page open, and is in a call on her phone.
    let office = grace.run(LoadOffice {}).await.unwrap();
    let room = office.rooms.iter().find(|r| r.name == "Engineering").unwrap().id;
    grace.run(WalkInto { room }).await.unwrap();
    let room_link = grace.run(RoomInvite { room }).await.unwrap();
    let calls = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id;
    let channel_link = grace.run(ExternalLink { channel: calls }).await.unwrap();
    let mut adas_page = ada.live_socket().await.unwrap();
    adas_page.wait_for(|e| matches!(e, LiveEvent::Snapshot { .. })).await;
    let mut graces_page = grace.live_socket().await.unwrap();
    graces_page.wait_for(|e| matches!(e, LiveEvent::Snapshot { .. })).await;
    let mut graces_call = graces_phone.signal_socket_at(&meeting_call(&graces_phone).await).await.unwrap();
    assert!(matches!(joined(&mut graces_call).await, SignalEvent::Welcome { .. }));
    for table in ["inbox_participants", "team_members", "channel_admins"] {
        assert!(held(&server, &grace_id, table).await > 0, "the demo gives her {table}");
    }

    let done = set_active(&ada, &grace_id, false, true).await.unwrap();
    assert_eq!(
        done,
        "Grace Hopper was deactivated and signed out everywhere. The 2 guest links they created were replaced."
    );

    // Her open page goes to sign-in and her call ends, at once; everyone
    // else sees her go offline.
    let told =
        graces_page.wait_for(|e| *e == LiveEvent::SignedOut || *e == LiveEvent::WentOffline { member: grace_id }).await;
    assert!(matches!(told, LiveEvent::SignedOut | LiveEvent::WentOffline { .. }));
    assert!(graces_page.closed().await, "her page's socket is closed");
    let ended = graces_call.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await;
    assert_eq!(ended, SignalEvent::Ended { reason: "You were signed out, so you left the call.".into() });
    adas_page.wait_for(|e| *e == LiveEvent::WentOffline { member: grace_id }).await;

    // Every request of hers is signed out; her sockets are refused.
    for device in [&grace, &graces_phone] {
        assert_eq!(device.run(Me {}).await.unwrap_err(), AppError::NotSignedIn);
    }
    assert_eq!(support::refusal_status(grace.live_socket().await), 401);
    // Signing in: a wrong password answers as for anyone; the right one is
    // told the account was deactivated.
    let sign_in = |password: &'static str| {
        let client = server.client();
        async move { client.run(SignIn { email: "grace@example.com".into(), password: password.into() }).await }
    };
    assert_eq!(sign_in("a wrong guess").await.unwrap_err(), AppError::WrongCredentials);
    let refused = sign_in(DEMO_PASSWORD).await.unwrap_err();
    assert_eq!(refused, AppError::AccountDeactivated);
    assert_eq!(refused.to_string(), "This account was deactivated. Ask a workspace admin.");
    assert_eq!(refused.http_status(), 403);

    // Her inbox roles, teams and channel roles are gone, and she cannot be
    // given new ones; the list shows her as deactivated.
    for table in ["inbox_participants", "team_members", "channel_admins", "sessions"] {
        assert_eq!(held(&server, &grace_id, table).await, 0, "{table}");
    }
    let teams = ada.run(ListTeams {}).await.unwrap();
    assert!(teams.iter().all(|t| t.members.iter().all(|m| m.email != "grace@example.com")));
    let team = teams[0].id;
    let rejoin = ada.run(SetTeamMember { team, member: grace_id, join: true }).await;
    assert!(matches!(rejoin, Err(AppError::NotFound(_))), "{rejoin:?}");
    let members = ada.run(ListMembers {}).await.unwrap();
    let listed = members.iter().find(|m| m.email == "grace@example.com").unwrap();
    assert!(listed.deactivated && members.last() == Some(listed), "deactivated, and listed last");

    // The guest links she made were replaced: the old ones lead nowhere.
    for link in [&room_link, &channel_link] {
        let token = link.rsplit('/').next().unwrap().to_string();
        let opened = server.client().run(OpenInvite { token }).await;
        assert_eq!(opened.unwrap_err(), AppError::InviteInvalid, "{link}");
    }
    let new_link = ada.run(ExternalLink { channel: calls }).await.unwrap();
    assert_ne!(new_link, channel_link);

    // Reactivated, she signs in again with her password.
    let back = set_active(&ada, &grace_id, true, false).await.unwrap();
    assert_eq!(back, "Grace Hopper can sign in again, with their old password or a reset link.");
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    assert_eq!(grace.run(Me {}).await.unwrap().email, "grace@example.com");
    server.stop().await;
}

#[tokio::test]
async fn only_workspace_admins_deactivate_or_send_resets_and_never_themselves_or_the_last_admin() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    let (ada_id, grace_id) = (id_of(&ada, "ada@example.com").await, id_of(&ada, "grace@example.com").await);

    // A member, and nobody at all, may do neither.
    for (caller, refusal, status) in [(&alan, AppError::Forbidden, 403), (&server.client(), AppError::NotSignedIn, 401)]
    {
        assert_eq!(set_active(caller, &grace_id, false, true).await.unwrap_err(), refusal);
        assert_eq!(set_active(caller, &grace_id, true, false).await.unwrap_err(), refusal);
        assert_eq!(send_reset(caller, &grace_id).await.unwrap_err(), refusal);
        let deactivate = ManageMember { member: grace_id, action: MemberAction::Deactivate, replace_links: false };
        assert_eq!(caller.request(deactivate).send().await.unwrap().status(), status);
    }
    assert_eq!(alan.run(Me {}).await.unwrap().email, "alan@example.com");
    assert!(std::fs::read_dir(server.outbox()).map_or(true, |mut kept| kept.next().is_none()), "no mail went out");

    // The only admin cannot deactivate herself.
    let own = set_active(&ada, &ada_id, false, false).await.unwrap_err();
    assert_eq!(own, AppError::CannotDeactivateSelf);
    assert_eq!(own.http_status(), 409);
    // A second admin deactivates Ada; then Hedy is the last active admin,
    // and cannot deactivate herself either.
    let hedy = AddMember {
        name: "Hedy Lamarr".into(),
        email: "hedy@example.com".into(),
        password: "frequency-hop".into(),
        is_admin: Some("on".into()),
    };
    let hedy_id = ada.run(hedy).await.unwrap().id;
    let hedy = server.signed_in("hedy@example.com", "frequency-hop").await;
    set_active(&hedy, &ada_id, false, false).await.unwrap();
    assert_eq!(ada.run(Me {}).await.unwrap_err(), AppError::NotSignedIn);
    assert_eq!(set_active(&hedy, &hedy_id, false, false).await.unwrap_err(), AppError::CannotDeactivateSelf);
    // Unknown members, and resets for a deactivated one, are refused by name.
    assert!(matches!(set_active(&hedy, &MemberId(999999), false, false).await, Err(AppError::NotFound(_))));
    let reset = send_reset(&hedy, &ada_id).await.unwrap_err();
    assert_eq!(reset.to_string(), "Ada Lovelace is deactivated. Reactivate them first.");
    set_active(&hedy, &ada_id, true, false).await.unwrap();
    server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    server.stop().await;
}

/// The reset links in the outbox's mails to `to`, decoded from
/// quoted-printable (a long line is broken with `=` at its end).
fn reset_links_in_outbox(server: &TestServer, to: &str) -> Vec<String> {
    let mails = std::fs::read_dir(server.outbox()).unwrap().map(|entry| std::fs::read_to_string(entry.unwrap().path()));
    mails
        .map(|mail| mail.unwrap().replace("=\r\n", "").replace("=\n", ""))
        .filter(|text| text.contains(&format!("To: {to}")))
        .map(|text| {
            assert!(text.contains("Subject: Choose a new password for Acme Studio"), "{text}");
            let start = text.find("http://").expect("a link");
            let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
            assert!(link.contains("/reset-password/"), "{link}");
            link
        })
        .collect()
}

#[tokio::test]
async fn a_reset_link_comes_by_mail_works_once_expires_and_ends_every_other_session() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let katherine_id = id_of(&ada, "katherine@example.com").await;
    let laptop = server.signed_in("katherine@example.com", DEMO_PASSWORD).await;
    let mut laptops_page = laptop.live_socket().await.unwrap();
    laptops_page.wait_for(|e| matches!(e, LiveEvent::Snapshot { .. })).await;
    let mut laptops_call = laptop.signal_socket_at(&meeting_call(&laptop).await).await.unwrap();
    assert!(matches!(joined(&mut laptops_call).await, SignalEvent::Welcome { .. }));

    let sent = send_reset(&ada, &katherine_id).await.unwrap();
    assert_eq!(sent, "A reset link was sent to katherine@example.com. It works once, within an hour.");
    let [link] = &reset_links_in_outbox(&server, "katherine@example.com")[..] else { panic!("one mail") };
    let link = link.clone();
    assert!(link.starts_with(&format!("{}/reset-password/", server.url)), "{link}");
    let token = link.rsplit('/').next().unwrap().to_string();
    let db = anteroom_app::ssr::db::open(&server.database_url).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_resets WHERE token_hash = ?")
        .bind(&token)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, 0, "only the token's hash is stored");

    // The page opens by its address, for whoever holds the link, and needs
    // no script: its form posts back to it.
    let phone = server.client();
    let page = phone.http.get(&link).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("default-src 'none'") && policy.contains("form-action 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("Choose a new password") && html.contains("For katherine@example.com."), "{html}");
    assert!(html.contains(r#"<form method="post""#) && !html.contains("<script"), "{html}");

    // A bad new password spends nothing (the form comes back saying why);
    // the right one spends the link, signs this browser in and every other
    // session out.
    let reset = async |link: &str, new: &str, repeat: &str| {
        let form = [("new_password", new), ("repeat_password", repeat)];
        let response = phone.http.post(link).header("Origin", &server.url).form(&form).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    let (status, short) = reset(&link, "short", "short").await;
    assert_eq!(status, 422);
    assert!(short.contains("Password must be at least 8 characters") && short.contains(r#"aria-invalid="true""#));
    let (status, differ) = reset(&link, "a fresh long password", "a fresh long pasword").await;
    assert!(status == 422 && differ.contains("This differs from the new password above."), "{differ}");
    // Only from our own page: another site cannot sign a browser in with it.
    let form = [("new_password", "a fresh long password"), ("repeat_password", "a fresh long password")];
    let forged = phone.http.post(&link).header("Origin", "https://evil.example").form(&form).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(reset(&link, "a fresh long password", "a fresh long password").await.0, 303);
    assert_eq!(phone.run(Me {}).await.unwrap().email, "katherine@example.com");
    laptops_page.wait_for(|e| *e == LiveEvent::SignedOut).await;
    let ended = laptops_call.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await;
    assert_eq!(ended, SignalEvent::Ended { reason: "You were signed out, so you left the call.".into() });
    assert_eq!(laptop.run(Me {}).await.unwrap_err(), AppError::NotSignedIn);
    let old = SignIn { email: "katherine@example.com".into(), password: DEMO_PASSWORD.into() };
    assert_eq!(server.client().run(old).await.unwrap_err(), AppError::WrongCredentials);
    server.signed_in("katherine@example.com", "a fresh long password").await;

    // Used once, it is spent; a made-up link is not one.
    let (status, again) = reset(&link, "yet another password", "yet another password").await;
    assert!(status == 410 && again.contains("This password reset link was already used."), "{again}");
    let made_up = server.client().get("/reset-password/made-up").await;
    assert_eq!(made_up.status(), 404);
    assert!(made_up.text().await.unwrap().contains("This password reset link is not valid."));

    // A link past its hour is expired, on its page too.
    send_reset(&ada, &katherine_id).await.unwrap();
    let links = reset_links_in_outbox(&server, "katherine@example.com");
    let late = links.into_iter().find(|sent| *sent != link).expect("a second mail with a new link");
    sqlx::query("UPDATE password_resets SET expires_at = 0 WHERE used_at IS NULL").execute(&db).await.unwrap();
    let (status, expired) = reset(&late, "a late password!", "a late password!").await;
    assert!(status == 410 && expired.contains("This password reset link has expired"), "{expired}");
    let page = server.client().http.get(&late).send().await.unwrap();
    assert_eq!(page.status(), 410);
    server.signed_in("katherine@example.com", "a fresh long password").await;

    // Three links an hour to one member, then the admin is told to wait.
    send_reset(&ada, &katherine_id).await.unwrap();
    let limited = send_reset(&ada, &katherine_id).await.unwrap_err();
    assert!(matches!(limited, AppError::TooManyResets { .. }), "{limited:?}");
    assert_eq!(limited.http_status(), 429);
    server.stop().await;
}
