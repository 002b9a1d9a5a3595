//! Integration tests of shared inboxes: who sees and manages which inbox,
//! through the server functions a browser calls, and live sidebars.

use crate::support::{Client, LiveSocket, TestServer};
use anteroom_app::api::accounts::ListMembers;
use anteroom_app::api::inboxes::{
    AddInboxParticipants, CreateInbox, DeleteInbox, InboxOverview, MailDomains, NewParticipant, RemoveInboxParticipant,
    SetInboxRole, SetMailDomains,
};
use anteroom_app::api::teams::{ListTeams, SetTeamMember};
use anteroom_app::error::AppError;
use anteroom_app::model::{Grantee, InboxDetails, InboxId, InboxRole, MemberId, MyInbox, TeamSummary};
use anteroom_app::protocol::LiveEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;

async fn details(client: &Client, inbox: InboxId) -> Result<InboxDetails, AppError> {
    client.run(InboxOverview { inbox }).await
}

async fn add(client: &Client, inbox: InboxId, grantee: Grantee, role: InboxRole) -> Result<(), AppError> {
    client.run(AddInboxParticipants { inbox, added: vec![NewParticipant { grantee, role }] }).await
}

async fn member_id(client: &Client, email: &str) -> MemberId {
    let members = client.run(ListMembers {}).await.unwrap();
    members.into_iter().find(|m| m.email == email).expect("a demo member").id
}

async fn team(client: &Client, name: &str) -> TeamSummary {
    let teams = client.run(ListTeams {}).await.unwrap();
    teams.into_iter().find(|t| t.name == name).expect("a demo team")
}

/// The next sidebar list the live socket sends that `wanted` accepts.
async fn sidebar(socket: &mut LiveSocket, wanted: impl Fn(&[MyInbox]) -> bool) -> Vec<MyInbox> {
    match socket.wait_for(|e| matches!(e, LiveEvent::Inboxes { inboxes } if wanted(inboxes))).await {
        LiveEvent::Inboxes { inboxes } => inboxes,
        _ => unreachable!("wait_for only returns inbox lists"),
    }
}

fn has(list: &[MyInbox], name: &str) -> bool {
    list.iter().any(|i| i.name == name)
}

#[tokio::test]
async fn roles_decide_who_sees_and_manages_an_inbox() {
    let server = TestServer::with_demo().await;
    let [ada, grace, alan, katherine] = [
        server.signed_in("ada@example.com", DEMO_PASSWORD).await,
        server.signed_in("grace@example.com", DEMO_PASSWORD).await,
        server.signed_in("alan@example.com", DEMO_PASSWORD).await,
        server.signed_in("katherine@example.com", DEMO_PASSWORD).await,
    ];
    let create_inbox = |name: &str, addresses: &str| CreateInbox { name: name.into(), addresses: addresses.into() };
    let create = create_inbox("Partners", "partners@acme.example, Deals@acme.example");
    assert_eq!(grace.run(create.clone()).await, Err(AppError::Forbidden), "only admins create");
    let inbox = ada.run(create).await.unwrap();
    let bad = ada.run(create_inbox("Other", "deals@acme.example")).await;
    assert_eq!(bad.unwrap_err().field(), Some("addresses"), "an address belongs to one inbox");

    // Addresses must be at the workspace's mail domains, which only
    // workspace admins set; then the new domain can be used.
    let elsewhere = create_inbox("Bank", "ceo@bank.example");
    let outside = ada.run(elsewhere.clone()).await.unwrap_err();
    assert_eq!(outside.field(), Some("addresses"));
    assert!(outside.to_string().contains("not at the workspace's mail domains (acme.example)"), "{outside}");
    let domains = SetMailDomains { domains: "acme.example, Bank.example".into() };
    assert_eq!(grace.run(domains.clone()).await, Err(AppError::Forbidden));
    let set = ada.run(domains).await.unwrap();
    assert_eq!(set, ["acme.example", "bank.example"]);
    assert_eq!(grace.run(MailDomains {}).await.unwrap(), set, "members may read them");
    ada.run(elsewhere).await.unwrap();

    // Not a participant: the inbox answers exactly like one that does not exist.
    let missing = details(&katherine, InboxId(999_999)).await;
    assert_eq!(details(&katherine, inbox).await, missing);
    assert_eq!(missing, Err(AppError::NotFound("That inbox".into())));
    let workspace_admin_view = details(&ada, inbox).await.unwrap();
    assert_eq!(workspace_admin_view.addresses, ["partners@acme.example", "deals@acme.example"]);
    assert!(workspace_admin_view.can_manage && !workspace_admin_view.can_send, "admins oversee, members send");

    let grace_id = member_id(&ada, "grace@example.com").await;
    let alan_id = member_id(&ada, "alan@example.com").await;
    add(&ada, inbox, Grantee::Member(grace_id), InboxRole::Admin).await.unwrap();
    add(&grace, inbox, Grantee::Member(alan_id), InboxRole::Viewer).await.unwrap();
    let alans = details(&alan, inbox).await.unwrap();
    assert_eq!((alans.my_role, alans.can_send, alans.can_manage), (Some(InboxRole::Viewer), false, false));
    let katherine_id = member_id(&ada, "katherine@example.com").await;
    let as_viewer = add(&alan, inbox, Grantee::Member(katherine_id), InboxRole::Viewer).await;
    assert_eq!(as_viewer, Err(AppError::Forbidden), "viewers manage nothing");

    // A team: Katherine is in Engineering, so she gets in through it.
    let engineering = team(&ada, "Engineering").await;
    add(&grace, inbox, Grantee::Team(engineering.id), InboxRole::Member).await.unwrap();
    let hers = details(&katherine, inbox).await.unwrap();
    assert_eq!((hers.my_role, hers.can_send), (Some(InboxRole::Member), true));
    let listed = details(&grace, inbox).await.unwrap().participants;
    let alan_entry = listed.iter().find(|p| p.name == "Alan Turing").unwrap();
    assert_eq!(alan_entry.higher_through_team, Some(("Engineering".into(), InboxRole::Member)), "the UI says why");

    // Changing a role counts at the next call.
    let participant = alan_entry.id;
    grace.run(SetInboxRole { inbox, participant, role: InboxRole::Admin }).await.unwrap();
    assert!(details(&alan, inbox).await.unwrap().can_manage);
    grace.run(RemoveInboxParticipant { inbox, participant }).await.unwrap();
    assert_eq!(details(&alan, inbox).await.unwrap().my_role, Some(InboxRole::Member), "still in through the team");

    // Only workspace admins delete.
    assert_eq!(grace.run(DeleteInbox { inbox }).await, Err(AppError::Forbidden));
    ada.run(DeleteInbox { inbox }).await.unwrap();
    assert_eq!(details(&grace, inbox).await, Err(AppError::NotFound("That inbox".into())));
    server.stop().await;
}

#[tokio::test]
async fn sidebars_follow_participants_and_teams_live() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let katherine = server.signed_in("katherine@example.com", DEMO_PASSWORD).await;
    let mut her_page = katherine.live_socket().await.unwrap();
    let first = sidebar(&mut her_page, |_| true).await;
    assert!(!has(&first, "Partners"));

    let partners = CreateInbox { name: "Partners".into(), addresses: "partners@acme.example".into() };
    let inbox = ada.run(partners).await.unwrap();
    let engineering = team(&ada, "Engineering").await;
    add(&ada, inbox, Grantee::Team(engineering.id), InboxRole::Viewer).await.unwrap();
    sidebar(&mut her_page, |list| has(list, "Partners")).await;

    // Taking her out of the team takes the inbox out of her sidebar, and her
    // next request is refused.
    let katherine_id = member_id(&ada, "katherine@example.com").await;
    let leave = SetTeamMember { team: engineering.id, member: katherine_id, join: false };
    assert_eq!(katherine.run(leave.clone()).await, Err(AppError::Forbidden), "admins manage teams");
    ada.run(leave).await.unwrap();
    sidebar(&mut her_page, |list| !has(list, "Partners")).await;
    assert_eq!(details(&katherine, inbox).await, Err(AppError::NotFound("That inbox".into())));
    server.stop().await;
}
