//! The inbox permission table, through the server functions a browser
//! calls, against the real database: every inbox action for a
//! non-participant, a Viewer, a Member, an inbox Admin, someone whose role
//! comes from a team, and a workspace admin who is not a participant.

mod support;

use anteroom_app::error::AppError;
use anteroom_app::model::{InboxId, InboxRole, InboxSummary, MemberSummary, MyInbox, TeamSummary, ThreadSummary};
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use serde_json::json;
use support::{Client, TestServer};

/// What a call came to: allowed, or the error it was refused with.
type Outcome = Result<(), AppError>;

fn gone() -> Outcome {
    Err(AppError::NotFound("That inbox".into()))
}

fn outcome<T>(result: Result<T, AppError>) -> Outcome {
    result.map(drop)
}

async fn id_of(admin: &Client, email: &str) -> i64 {
    let members: Vec<MemberSummary> = admin.call("list_members", &[]).await.unwrap();
    members.into_iter().find(|m| m.email == email).unwrap().id.0
}

#[tokio::test]
async fn every_inbox_action_for_every_kind_of_participant() {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    for (name, email) in [("Hedy Lamarr", "hedy@example.com"), ("Linus Pauling", "linus@example.com")] {
        let args = [("name", name), ("email", email), ("password", DEMO_PASSWORD)];
        let _: MemberSummary = ada.call("add_member", &args).await.unwrap();
    }
    // Design becomes Linus's team alone, so his role there is his only one.
    let teams: Vec<TeamSummary> = ada.call("list_teams", &[]).await.unwrap();
    let design = teams.iter().find(|t| t.name == "Design").unwrap().id.to_string();
    let engineering = teams.iter().find(|t| t.name == "Engineering").unwrap().id.0;
    for (email, join) in [("ada@example.com", false), ("grace@example.com", false), ("linus@example.com", true)] {
        let member = id_of(&ada, email).await.to_string();
        let join = join.to_string();
        ada.call::<()>("set_team_member", &[("team", &design), ("member", &member), ("join", &join)]).await.unwrap();
    }

    let inbox: InboxId =
        ada.call("create_inbox", &[("name", "Matrix"), ("addresses", "matrix@acme.example")]).await.unwrap();
    let add = |grantee: serde_json::Value, role: InboxRole| json!({ "inbox": inbox, "added": [{ "grantee": grantee, "role": role }] });
    let people = [
        ("grace@example.com", InboxRole::Admin),
        ("alan@example.com", InboxRole::Viewer),
        ("katherine@example.com", InboxRole::Member),
    ];
    for (email, role) in people {
        let id = id_of(&ada, email).await;
        ada.call_json::<()>("add_inbox_participants", add(json!({ "kind": "member", "id": id }), role)).await.unwrap();
    }
    let design_id: i64 = design.parse().unwrap();
    ada.call_json::<()>("add_inbox_participants", add(json!({ "kind": "team", "id": design_id }), InboxRole::Member))
        .await
        .unwrap();
    // A conversation to read and reply to.
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let compose = [
        ("inbox", inbox.to_string()),
        ("to", "lin@example.org".into()),
        ("subject", "Hi".into()),
        ("body", "Hello".into()),
    ];
    let compose: Vec<(&str, &str)> = compose.iter().map(|(k, v)| (*k, v.as_str())).collect();
    grace.call::<()>("compose_email", &compose).await.unwrap();
    let threads: Vec<ThreadSummary> = grace.call("list_threads", &[("inbox", &inbox.to_string())]).await.unwrap();
    let thread = threads[0].id.to_string();

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
    let i = inbox.to_string();
    let engineering_entry = json!({ "kind": "team", "id": engineering });
    for ((who, email), expected) in principals.into_iter().zip(expected) {
        let client = server.signed_in(email, DEMO_PASSWORD).await;
        let is_admin = email == "ada@example.com";
        // Listing: the sidebar for participants, Settings > Inbox for admins.
        let listed = if is_admin {
            let all: Vec<InboxSummary> = client.call("all_inboxes", &[]).await.unwrap();
            let mine: Vec<MyInbox> = client.call("my_inboxes", &[]).await.unwrap();
            assert!(mine.iter().all(|m| m.id != inbox), "not in a non-participant admin's sidebar");
            all.iter().any(|m| m.id == inbox)
        } else {
            let mine: Vec<MyInbox> = client.call("my_inboxes", &[]).await.unwrap();
            mine.iter().any(|m| m.id == inbox)
        };
        let listed = if listed { Ok(()) } else { Err(Forbidden) };
        let read =
            outcome(client.call::<serde_json::Value>("open_thread", &[("inbox", &i), ("thread", &thread)]).await)
                .and(outcome(client.call::<serde_json::Value>("list_threads", &[("inbox", &i)]).await));
        let send = outcome(
            client
                .call::<()>("compose_email", &[("inbox", &i), ("to", "x@example.org"), ("subject", "S"), ("body", "B")])
                .await,
        );
        let reply = {
            let reply = [("inbox", i.as_str()), ("thread", &thread), ("body", "B"), ("recipient", "lin@example.org")];
            outcome(client.call::<()>("reply_in_thread", &[&reply[..], &[("confirm_new", "false")]].concat()).await)
        };
        // A throwaway entry (Engineering as Viewer, below everyone's own role) to add, change and remove.
        let add_team = json!({ "inbox": inbox, "added": [{ "grantee": engineering_entry, "role": "viewer" }] });
        let added = outcome(client.call_json::<()>("add_inbox_participants", add_team.clone()).await);
        ada.call_json::<()>("add_inbox_participants", add_team).await.unwrap();
        let overview: serde_json::Value = ada.call("inbox_overview", &[("inbox", &i)]).await.unwrap();
        let entry =
            overview["participants"].as_array().unwrap().iter().find(|p| p["name"] == "Engineering").unwrap()["id"]
                .to_string();
        let role = outcome(
            client.call::<()>("set_inbox_role", &[("inbox", &i), ("participant", &entry), ("role", "viewer")]).await,
        );
        let removed =
            outcome(client.call::<()>("remove_inbox_participant", &[("inbox", &i), ("participant", &entry)]).await);
        let addresses = outcome(
            client
                .call::<Vec<String>>("set_inbox_addresses", &[("inbox", &i), ("addresses", "matrix@acme.example")])
                .await,
        );
        let name = format!("Made by {who}");
        let created = outcome(
            client
                .call::<InboxId>(
                    "create_inbox",
                    &[("name", &name), ("addresses", &format!("{}@acme.example", email.split('@').next().unwrap()))],
                )
                .await,
        );
        let deleted = outcome(client.call::<()>("delete_inbox", &[("inbox", &i)]).await);
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
