//! The inbox permission table, through the server functions a browser
//! calls, against the real database: every inbox action for a
//! non-participant, a Viewer, a Member, an inbox Admin, someone whose role
//! comes from a team, and a workspace admin who is not a participant.

use crate::support::{Client, TestServer};
use anteroom_app::api::accounts::{AddMember, ListMembers};
use anteroom_app::api::inboxes::{
    AddInboxParticipants, AllInboxes, CreateInbox, DeleteInbox, InboxOverview, MyInboxes, NewParticipant,
    RemoveInboxParticipant, SetInboxAddresses, SetInboxRole,
};
use anteroom_app::api::mail::{ComposeEmail, ListThreads, OpenThread, ReplyInThread};
use anteroom_app::api::teams::{ListTeams, SetTeamMember};
use anteroom_app::error::AppError;
use anteroom_app::model::{Grantee, InboxRole, MemberId};
use anteroom_app::ssr::seed::DEMO_PASSWORD;

/// What a call came to: allowed, or the error it was refused with.
type Outcome = Result<(), AppError>;

fn gone() -> Outcome {
    Err(AppError::NotFound("That inbox".into()))
}

fn outcome<T>(result: Result<T, AppError>) -> Outcome {
    result.map(drop)
}

async fn id_of(admin: &Client, email: &str) -> MemberId {
    let members = admin.run(ListMembers {}).await.unwrap();
    members.into_iter().find(|m| m.email == email).unwrap().id
}

#[tokio::test]
async fn every_inbox_action_for_every_kind_of_participant() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    for (name, email) in [("Hedy Lamarr", "hedy@example.com"), ("Linus Pauling", "linus@example.com")] {
        let args = AddMember { name: name.into(), email: email.into(), password: DEMO_PASSWORD.into(), is_admin: None };
        ada.run(args).await.unwrap();
    }
    // Design becomes Linus's team alone, so his role there is his only one.
    let teams = ada.run(ListTeams {}).await.unwrap();
    let design = teams.iter().find(|t| t.name == "Design").unwrap().id;
    let engineering = teams.iter().find(|t| t.name == "Engineering").unwrap().id;
    for (email, join) in [("ada@example.com", false), ("grace@example.com", false), ("linus@example.com", true)] {
        let member = id_of(&ada, email).await;
        ada.run(SetTeamMember { team: design, member, join }).await.unwrap();
    }

    let matrix = CreateInbox { name: "Matrix".into(), addresses: "matrix@acme.example".into() };
    let inbox = ada.run(matrix).await.unwrap();
    let add = |grantee: Grantee, role: InboxRole| AddInboxParticipants {
        inbox,
        added: vec![NewParticipant { grantee, role }],
    };
    let people = [
        ("grace@example.com", InboxRole::Admin),
        ("alan@example.com", InboxRole::Viewer),
        ("katherine@example.com", InboxRole::Member),
    ];
    for (email, role) in people {
        let id = id_of(&ada, email).await;
        ada.run(add(Grantee::Member(id), role)).await.unwrap();
    }
    ada.run(add(Grantee::Team(design), InboxRole::Member)).await.unwrap();
    // A conversation to read and reply to.
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let compose = ComposeEmail { inbox, to: "lin@example.org".into(), subject: "Hi".into(), body: "Hello".into() };
    grace.run(compose).await.unwrap();
    let threads = grace.run(ListThreads { inbox }).await.unwrap();
    let thread = threads[0].id;

    // (who, email; the workspace admin last, as the only one who may delete)
    let principals = [
        ("non-participant", "hedy@example.com"),
        ("viewer", "alan@example.com"),
        ("member", "katherine@example.com"),
        ("inbox admin", "grace@example.com"),
        ("member through a team", "linus@example.com"),
        ("workspace admin (not a participant)", "ada@example.com"),
    ];
    use AppError::{CannotSend, Forbidden};
    let (y, no, cs) = (|| Ok(()), || Err(Forbidden), || Err(CannotSend));
    // A role through a team is exactly that role.
    let member = || [y(), y(), y(), y(), no(), no(), no(), no(), no(), no()];
    // [sees it listed, read, send, reply, add participant, remove participant,
    //  change role, edit addresses, create an inbox, delete]
    let expected: [[Outcome; 10]; 6] = [
        [no(), gone(), gone(), gone(), gone(), gone(), gone(), gone(), no(), gone()],
        [y(), y(), cs(), cs(), no(), no(), no(), no(), no(), no()],
        member(),
        [y(), y(), y(), y(), y(), y(), y(), y(), no(), no()],
        member(),
        [y(), y(), cs(), cs(), y(), y(), y(), y(), y(), y()],
    ];
    for ((who, email), expected) in principals.into_iter().zip(expected) {
        let client = server.signed_in(email, DEMO_PASSWORD).await;
        let is_admin = email == "ada@example.com";
        // Listing: the sidebar for participants, Settings > Inbox for admins.
        let listed = if is_admin {
            let all = client.run(AllInboxes {}).await.unwrap();
            let mine = client.run(MyInboxes {}).await.unwrap();
            assert!(mine.iter().all(|m| m.id != inbox), "not in a non-participant admin's sidebar");
            all.iter().any(|m| m.id == inbox)
        } else {
            let mine = client.run(MyInboxes {}).await.unwrap();
            mine.iter().any(|m| m.id == inbox)
        };
        let listed = if listed { Ok(()) } else { Err(Forbidden) };
        let read = outcome(client.run(OpenThread { inbox, thread }).await)
            .and(outcome(client.run(ListThreads { inbox }).await));
        let compose = ComposeEmail { inbox, to: "x@example.org".into(), subject: "S".into(), body: "B".into() };
        let send = outcome(client.run(compose).await);
        let reply = {
            let (body, recipient) = ("B".into(), "lin@example.org".into());
            outcome(
                client
                    .run(ReplyInThread {
                        inbox,
                        thread,
                        body,
                        recipient,
                        confirm_new: false,
                        cc: Vec::new(),
                        files: Vec::new(),
                    })
                    .await,
            )
        };
        // A throwaway entry (Engineering as Viewer, below everyone's own role) to add, change and remove.
        let add_team = add(Grantee::Team(engineering), InboxRole::Viewer);
        let added = outcome(client.run(add_team.clone()).await);
        ada.run(add_team).await.unwrap();
        let overview = ada.run(InboxOverview { inbox }).await.unwrap();
        let entry = overview.participants.iter().find(|p| p.name == "Engineering").unwrap().id;
        let role = outcome(client.run(SetInboxRole { inbox, participant: entry, role: InboxRole::Viewer }).await);
        let removed = outcome(client.run(RemoveInboxParticipant { inbox, participant: entry }).await);
        let addresses = SetInboxAddresses { inbox, addresses: "matrix@acme.example".into() };
        let addresses = outcome(client.run(addresses).await);
        let name = format!("Made by {who}");
        let addresses_of_own = format!("{}@acme.example", email.split('@').next().unwrap());
        let created = outcome(client.run(CreateInbox { name, addresses: addresses_of_own }).await);
        let deleted = outcome(client.run(DeleteInbox { inbox }).await);
        let actual = [listed, read, send, reply, added, removed, role, addresses, created, deleted];
        let actions = [
            "list",
            "read",
            "send",
            "reply",
            "add participant",
            "remove participant",
            "change role",
            "edit addresses",
            "create",
            "delete",
        ];
        for ((action, actual), expected) in actions.into_iter().zip(actual).zip(expected) {
            assert_eq!(actual, expected, "{who}: {action}");
        }
    }
    server.stop().await;
}
