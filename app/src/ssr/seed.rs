//! Demo data for a fresh install, so a newcomer can try every screen at once.
//! Only ever written into an empty database; production turns it off.

use super::accounts::{self, NewMember};
use super::db::{Db, now};
use super::mail_store::{self, NewEmail};
use super::{channels, inboxes, office, passwords};
use crate::error::AppError;
use crate::model::{ChannelKind, Grantee, InboxRole, MemberId, TeamId, WorkspaceId};

pub const DEMO_WORKSPACE: &str = "Acme Studio";
/// Every demo member signs in with this password.
pub const DEMO_PASSWORD: &str = "anteroom-demo";
/// (name, email, workspace admin)
pub const DEMO_MEMBERS: &[(&str, &str, bool)] = &[
    ("Ada Lovelace", "ada@example.com", true),
    ("Grace Hopper", "grace@example.com", false),
    ("Alan Turing", "alan@example.com", false),
    ("Katherine Johnson", "katherine@example.com", false),
];
/// The right-hand strip is left free, for rooms made in build mode.
const DEMO_ROOMS: &[office::RoomPlan<'static>] = &[
    ("Design Review", 40, 40, 360, 250),
    ("Engineering", 430, 40, 340, 250),
    ("Coffee Corner", 40, 320, 240, 240),
    ("Focus Booth", 300, 320, 220, 240),
    ("Boardroom", 540, 320, 230, 240),
];
/// Channel, admin: Grace runs the client calls (Ada, a workspace admin,
/// manages every channel anyway).
const DEMO_CHANNEL_ADMINS: &[(&str, &str)] = &[("client-calls", "grace@example.com")];
const DEMO_CHANNELS: &[(&str, ChannelKind)] = &[
    ("client-calls", ChannelKind::Meeting),
    ("interviews", ChannelKind::Meeting),
    ("general", ChannelKind::Text),
    ("random", ChannelKind::Text),
];
/// (team, emails of its members)
const DEMO_TEAMS: &[(&str, &[&str])] = &[
    ("Design", &["ada@example.com", "grace@example.com"]),
    ("Engineering", &["alan@example.com", "grace@example.com", "katherine@example.com"]),
];

/// The demo workspace's mail domain: its inbox addresses are all at it.
pub const DEMO_MAIL_DOMAIN: &str = "acme.example";
/// Who takes part in a demo inbox: a member's email or a team's name.
type DemoParticipants = &'static [(&'static str, InboxRole)];
/// (inbox, address, participants)
const DEMO_INBOXES: &[(&str, &str, DemoParticipants)] = &[
    (
        "Sales",
        "sales@acme.example",
        &[("grace@example.com", InboxRole::Admin), ("alan@example.com", InboxRole::Viewer)],
    ),
    ("Support", "support@acme.example", &[("Engineering", InboxRole::Member)]),
];

/// A conversation message already in a demo inbox.
struct DemoMail {
    inbox: &'static str,
    id: &'static str,
    answers: Option<&'static str>,
    from_name: &'static str,
    from_address: &'static str,
    subject: &'static str,
    body: &'static str,
    /// The HTML part, for a message sent as HTML (shown sandboxed).
    html: Option<&'static str>,
}

const DEMO_MAIL: &[DemoMail] = &[
    DemoMail {
        inbox: "Sales",
        id: "pricing-1@client.example",
        answers: None,
        from_name: "Lin Park",
        from_address: "lin@client.example",
        subject: "Pricing for 40 seats",
        body: "Hello,\n\nWe are comparing tools for our design team. What would 40 seats cost per year?\n\nLin",
        html: None,
    },
    DemoMail {
        inbox: "Sales",
        id: "pricing-2@client.example",
        answers: Some("pricing-1@client.example"),
        from_name: "Lin Park",
        from_address: "lin@client.example",
        subject: "Re: Pricing for 40 seats",
        body: "One more question: do guests need an account?\n\nLin",
        html: None,
    },
    DemoMail {
        inbox: "Support",
        id: "camera-1@partner.example",
        answers: None,
        from_name: "Sam Lee",
        from_address: "sam@partner.example",
        subject: "Cannot join the call",
        body: "Hi, the camera preview stays black when I open your link. Any idea?\n\nSam",
        html: Some(
            "<p>Hi, the camera preview stays <b>black</b> when I open your link. Any idea?</p>\
             <p>I followed <a href=\"https://partner.example/setup\">our setup notes</a>.</p>\
             <script>parent.document.title = 'pwned'</script><p>Sam</p>",
        ),
    },
];

/// Seeds the demo workspace if the database has no workspace yet. Returns
/// whether it did.
pub async fn seed_demo_if_empty(db: &Db) -> Result<bool, AppError> {
    if accounts::workspace_exists(db).await? {
        return Ok(false);
    }
    let password_hash = passwords::hash(DEMO_PASSWORD.to_string()).await?;
    let mut members = Vec::new();
    let mut workspace = None;
    for &(name, email, is_admin) in DEMO_MEMBERS {
        let new = NewMember { name, email, password_hash: &password_hash, is_admin };
        let member = match workspace {
            None => {
                let (created, member) = accounts::create_workspace(db, DEMO_WORKSPACE, new).await?;
                workspace = Some(created);
                member
            }
            Some(workspace) => accounts::add_member(db, workspace, new).await?,
        };
        members.push(member);
    }
    let workspace = workspace.expect("DEMO_MEMBERS is not empty");
    office::create_rooms(db, workspace, DEMO_ROOMS).await?;
    office::create_channels(db, workspace, DEMO_CHANNELS).await?;
    for channel in office::channels(db, workspace).await? {
        for (_, email) in DEMO_CHANNEL_ADMINS.iter().filter(|(name, _)| *name == channel.name) {
            let admin = members.iter().find(|m| m.email == *email).expect("demo channel admins are demo members");
            channels::add_admin(db, channel.id, admin.id).await?;
        }
    }
    let mut teams = Vec::new();
    for (team, emails) in DEMO_TEAMS {
        let ids: Vec<MemberId> = members.iter().filter(|m| emails.contains(&m.email.as_str())).map(|m| m.id).collect();
        teams.push((*team, create_team(db, workspace, team, &ids).await?));
    }
    super::mail_domains::set(db, workspace, &[DEMO_MAIL_DOMAIN.to_string()]).await?;
    for (name, address, participants) in DEMO_INBOXES {
        let inbox = inboxes::create(db, workspace, name, &[address.to_string()]).await?;
        for (who, role) in *participants {
            let member = members.iter().find(|m| m.email == *who).map(|m| Grantee::Member(m.id));
            let team = teams.iter().find(|(team, _)| team == who).map(|(_, id)| Grantee::Team(*id));
            let grantee = member.or(team).expect("demo participants name demo members or teams");
            inboxes::add_participant(db, inbox, grantee, *role).await?;
        }
        for mail in DEMO_MAIL.iter().filter(|mail| mail.inbox == *name) {
            let email = NewEmail {
                message_id: mail.id.to_string(),
                in_reply_to: mail.answers.map(str::to_string),
                references: mail.answers.iter().map(|a| a.to_string()).collect(),
                from_address: mail.from_address.to_string(),
                from_name: mail.from_name.to_string(),
                to_addresses: address.to_string(),
                subject: mail.subject.to_string(),
                text_body: mail.body.to_string(),
                html_body: mail.html.map(str::to_string),
                ..NewEmail::default()
            };
            mail_store::file(db, inbox, &email).await?;
        }
    }
    Ok(true)
}

async fn create_team(db: &Db, workspace: WorkspaceId, name: &str, members: &[MemberId]) -> Result<TeamId, sqlx::Error> {
    let team: TeamId =
        sqlx::query_scalar("INSERT INTO teams (workspace_id, name, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(workspace)
            .bind(name)
            .bind(now())
            .fetch_one(db)
            .await?;
    for member in members {
        sqlx::query("INSERT INTO team_members (team_id, member_id) VALUES ($1, $2)")
            .bind(team)
            .bind(member)
            .execute(db)
            .await?;
    }
    Ok(team)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::db::open_for_test;

    #[tokio::test]
    async fn seeds_once_with_members_who_can_sign_in() {
        let (db, _dir) = open_for_test().await;
        assert!(seed_demo_if_empty(&db).await.unwrap());
        assert!(!seed_demo_if_empty(&db).await.unwrap(), "a second start leaves the data alone");

        let (ada, hash) = accounts::member_with_password(&db, "ada@example.com").await.unwrap().unwrap();
        assert!(ada.is_admin);
        assert_eq!(passwords::verify(DEMO_PASSWORD.into(), hash, passwords::Queue::Anyone).await, Ok(true));
        assert_eq!(accounts::members(&db, ada.workspace_id).await.unwrap().len(), DEMO_MEMBERS.len());
        let rooms = office::rooms(&db, ada.workspace_id).await.unwrap();
        assert_eq!(rooms.len(), DEMO_ROOMS.len());
        assert!(crate::model::layout::free_spot(&rooms).is_some(), "build mode has room to add one");
        assert_eq!(office::channels(&db, ada.workspace_id).await.unwrap().len(), DEMO_CHANNELS.len());
        let team_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM team_members").fetch_one(&db).await.unwrap();
        assert_eq!(team_rows, 5);
        let inboxes = inboxes::all(&db, ada.workspace_id).await.unwrap();
        assert_eq!(inboxes.len(), DEMO_INBOXES.len());
        let participants: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM inbox_participants").fetch_one(&db).await.unwrap();
        assert_eq!(participants, 3);
        let sales = inboxes.iter().find(|i| i.name == "Sales").unwrap();
        let threads = mail_store::threads(&db, sales.id).await.unwrap();
        assert_eq!((threads.len(), threads[0].message_count), (1, 2), "the reply joined its thread");
    }
}
