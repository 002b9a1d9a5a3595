//! The permission table of the workspace's organising functions (teams,
//! and what issue 14 adds), through the server functions a browser calls:
//! each for a guest (an admitted guest's pass as the session cookie), a
//! non-member (no account), a member, a channel admin and a workspace
//! admin. Every cell runs against a fresh object, so an allowed call never
//! spoils the next one.

mod support;

use anteroom_app::error::AppError;
use anteroom_app::model::{MemberSummary, Office, Room, ScheduleId, TeamId};
use anteroom_app::protocol::guest::GuestEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use support::{Client, GuestSocket, TestServer};

/// What a call came to: allowed, or the error it was refused with.
type Outcome = Result<(), AppError>;

const GUEST: usize = 0;
const COLUMNS: [&str; 5] = ["guest", "non-member", "member", "channel admin", "workspace admin"];

/// Allowed to the channel's admins and workspace admins.
fn channel_admins() -> [Outcome; 5] {
    [Err(AppError::NotSignedIn), Err(AppError::NotSignedIn), Err(AppError::Forbidden), Ok(()), Ok(())]
}

/// Allowed to every member.
fn members() -> [Outcome; 5] {
    [Err(AppError::NotSignedIn), Err(AppError::NotSignedIn), Ok(()), Ok(()), Ok(())]
}

/// Allowed to workspace admins only.
fn admins_only() -> [Outcome; 5] {
    [Err(AppError::NotSignedIn), Err(AppError::NotSignedIn), Err(AppError::Forbidden), Err(AppError::Forbidden), Ok(())]
}

struct Table {
    server: TestServer,
    /// One client per column, in `COLUMNS` order.
    callers: Vec<Client>,
    ada: Client,
    alan_id: String,
    /// The demo's meeting channel, whose admin is the channel-admin column.
    calls: String,
    /// The guest's socket: their pass lives as long as it is open.
    _guest_socket: GuestSocket,
}

impl Table {
    async fn new() -> Self {
        let server = TestServer::with_demo().await;
        let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
        let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
        let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
        let office: Office = ada.call("load_office", &[]).await.unwrap();
        let calls = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id.to_string();
        // A guest let into client-calls: their pass is all they hold.
        let link: String = grace.call("external_link", &[("channel", &calls)]).await.unwrap();
        let token = link.rsplit('/').next().unwrap();
        let mut guest_socket = server.client().guest_socket(token).await.unwrap();
        guest_socket.send_text(r#"{"type":"knock","name":"Lin Park","email":""}"#).await;
        let GuestEvent::Admitted { pass, .. } = guest_socket.next_event().await else { panic!("admitted") };
        let guest = server.client();
        guest.set_cookie(&format!("anteroom_session={pass}"));
        let members: Vec<MemberSummary> = ada.call("list_members", &[]).await.unwrap();
        let alan_id = members.iter().find(|m| m.email == "alan@example.com").unwrap().id.to_string();
        let callers =
            vec![guest, server.client(), alan, grace, server.signed_in("ada@example.com", DEMO_PASSWORD).await];
        Table { server, callers, ada, alan_id, calls, _guest_socket: guest_socket }
    }

    /// A new team, made by the workspace admin.
    async fn fresh_team(&self, n: usize) -> String {
        let name = format!("Subject {n}");
        let team: TeamId = self.ada.call("create_team", &[("name", name.as_str())]).await.unwrap();
        team.to_string()
    }

    /// A new schedule in the meeting channel, made by the workspace admin.
    async fn fresh_schedule(&self) -> i64 {
        let id: ScheduleId = self.ada.call_json("create_schedule", self.schedule_args("Subject")).await.unwrap();
        id.0
    }

    fn schedule_args(&self, title: &str) -> serde_json::Value {
        serde_json::json!({
            "channel": self.calls.parse::<i64>().unwrap(),
            "schedule": {
                "title": title, "starts_local": "2031-01-01T09:00", "time_zone": "UTC",
                "recurrence": "Weekly", "external_participants": "",
            },
        })
    }

    /// As `row`, for a function that takes JSON.
    async fn row_json(
        &self,
        function: &str,
        expected: [Outcome; 5],
        mut args: impl AsyncFnMut(usize) -> serde_json::Value,
    ) {
        for (column, caller) in self.callers.iter().enumerate() {
            let cell = args(column).await;
            let got = caller.call_json::<serde_json::Value>(function, cell).await.map(drop);
            assert_eq!(got, expected[column], "{function} as {}", COLUMNS[column]);
        }
    }

    /// Calls `function` as every column, each with arguments `args` makes
    /// for it (given a number no other cell uses), and checks the outcomes.
    async fn row(
        &self,
        function: &str,
        expected: [Outcome; 5],
        mut args: impl AsyncFnMut(usize) -> Vec<(&'static str, String)>,
    ) {
        for (column, caller) in self.callers.iter().enumerate() {
            let cell = args(column).await;
            let cell: Vec<(&str, &str)> = cell.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let got = caller.call::<serde_json::Value>(function, &cell).await.map(drop);
            assert_eq!(got, expected[column], "{function} as {}", COLUMNS[column]);
        }
    }
}

#[tokio::test]
async fn teams_are_organised_by_workspace_admins_only() {
    let table = Table::new().await;
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    table.row("create_team", admins_only(), async |column| vec![("name", format!("New team {column}"))]).await;
    for function in ["rename_team", "delete_team", "set_team_member"] {
        let mut cells = Vec::new();
        for _ in COLUMNS {
            cells.push(table.fresh_team(next()).await);
        }
        table
            .row(function, admins_only(), async |column| {
                let team = cells[column].clone();
                match function {
                    "rename_team" => vec![("team", team), ("name", format!("Renamed {column}"))],
                    "set_team_member" => {
                        vec![("team", team), ("member", table.alan_id.clone()), ("join", "true".into())]
                    }
                    _ => vec![("team", team)],
                }
            })
            .await;
    }
    // A guest's pass reads nothing either.
    let listed = table.callers[GUEST].call::<serde_json::Value>("list_teams", &[]).await;
    assert_eq!(listed.map(drop), Err(AppError::NotSignedIn));
    table.server.stop().await;
}

#[tokio::test]
async fn call_schedules_are_seen_by_members_and_changed_by_channel_admins() {
    let table = Table::new().await;
    let calls = table.calls.clone();
    table.row("list_schedules", members(), async |_| vec![("channel", calls.clone())]).await;
    table
        .row_json("create_schedule", channel_admins(), async |column| table.schedule_args(&format!("New {column}")))
        .await;
    table
        .row_json("update_schedule", channel_admins(), async |column| {
            let mut args = table.schedule_args(&format!("Changed {column}"));
            args["changed"] = args["schedule"].take();
            args["schedule"] = table.fresh_schedule().await.into();
            args
        })
        .await;
    table
        .row("cancel_schedule", channel_admins(), async |_| {
            vec![("channel", calls.clone()), ("schedule", table.fresh_schedule().await.to_string())]
        })
        .await;
    table.server.stop().await;
}

/// Allowed to every member (build mode's default).
fn builders() -> [Outcome; 5] {
    members()
}

#[tokio::test]
async fn build_mode_is_for_members_or_admins_only_and_never_guests() {
    let table = Table::new().await;
    let office: Office = table.ada.call("load_office", &[]).await.unwrap();
    assert!(office.can_build && !office.build_admins_only);
    // An empty map, then each cell gets a room of its own, six to a row,
    // with space to grow into.
    for room in office.rooms {
        table.ada.call::<()>("delete_room", &[("room", &room.id.to_string())]).await.unwrap();
    }
    let mut made = 0;
    let mut fresh_room = async || {
        let (name, x, y) = (format!("Subject {made}"), made % 6 * 165, made % 18 / 6 * 125);
        made += 1;
        let args = [
            ("name", name),
            ("x", x.to_string()),
            ("y", y.to_string()),
            ("width", "160".into()),
            ("height", "120".into()),
        ];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let room: Room = table.ada.call("create_room", &args).await.unwrap();
        room.id.to_string()
    };
    for (admins_only, expected) in [("false", builders()), ("true", admins_only())] {
        table.ada.call::<()>("set_build_admins_only", &[("on", admins_only)]).await.unwrap();
        let mut rooms = Vec::new();
        for _ in 0..3 * COLUMNS.len() {
            rooms.push(fresh_room().await);
        }
        let cell = |row: usize, column: usize| rooms[row * COLUMNS.len() + column].clone();
        table
            .row("create_room", expected.clone(), async |column| {
                let name = format!("Built {admins_only} {column}");
                let x = (column as i64 * 160).to_string();
                vec![("name", name), ("x", x), ("y", "400".into()), ("width", "160".into()), ("height", "120".into())]
            })
            .await;
        // Those it made go again, to leave the space for the next round.
        for room in table.ada.call::<Office>("load_office", &[]).await.unwrap().rooms {
            if room.name.starts_with("Built") {
                table.ada.call::<()>("delete_room", &[("room", &room.id.to_string())]).await.unwrap();
            }
        }
        table
            .row("rename_room", expected.clone(), async |column| {
                vec![("room", cell(0, column)), ("name", format!("Renamed {admins_only} {column}"))]
            })
            .await;
        table
            .row("place_room", expected.clone(), async |column| {
                let room = cell(1, column);
                let current = table.ada.call::<Office>("load_office", &[]).await.unwrap().rooms;
                let found = current.iter().find(|r| r.id.to_string() == room).unwrap();
                vec![
                    ("room", room),
                    ("x", found.x.to_string()),
                    ("y", found.y.to_string()),
                    ("width", "165".into()),
                    ("height", "125".into()),
                ]
            })
            .await;
        table.row("delete_room", expected.clone(), async |column| vec![("room", cell(2, column))]).await;
        for room in table.ada.call::<Office>("load_office", &[]).await.unwrap().rooms {
            if room.name.starts_with("Subject") || room.name.starts_with("Renamed") {
                table.ada.call::<()>("delete_room", &[("room", &room.id.to_string())]).await.unwrap();
            }
        }
    }
    table.row("set_build_admins_only", admins_only(), async |_| vec![("on", "false".to_string())]).await;
    table.server.stop().await;
}

#[tokio::test]
async fn members_are_deactivated_reactivated_and_sent_resets_by_workspace_admins_only() {
    let table = Table::new().await;
    let mut made = 0;
    // A new member for each cell, so an allowed call never spoils the next.
    let mut fresh_member = async |deactivated: bool| {
        made += 1;
        let (name, email) = (format!("Subject {made}"), format!("subject{made}@example.com"));
        let args = [("name", name.as_str()), ("email", email.as_str()), ("password", "a long password 1")];
        let id = table.ada.call::<MemberSummary>("add_member", &args).await.unwrap().id.to_string();
        if deactivated {
            let args = [("member", id.as_str()), ("action", "Deactivate"), ("replace_links", "false")];
            table.ada.call::<String>("manage_member", &args).await.unwrap();
        }
        id
    };
    let mut cells = Vec::new();
    for deactivated in [false, true, false] {
        let mut row = Vec::new();
        for _ in COLUMNS {
            row.push(fresh_member(deactivated).await);
        }
        cells.push(row);
    }
    for (row, action) in ["Deactivate", "Reactivate", "SendPasswordReset"].into_iter().enumerate() {
        table
            .row("manage_member", admins_only(), async |column| {
                vec![
                    ("member", cells[row][column].clone()),
                    ("action", action.into()),
                    ("replace_links", "true".into()),
                ]
            })
            .await;
    }
    // A reset link's page is open to whoever holds a link: a made-up one is
    // refused alike for every column.
    for caller in &table.callers {
        assert_eq!(caller.get("/reset-password/made-up").await.status(), 404);
    }
    table.server.stop().await;
}
