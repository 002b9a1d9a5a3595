//! The permission table of the workspace's organising functions (teams,
//! and what issue 14 adds), through the server functions a browser calls:
//! each for a guest (an admitted guest's pass as the session cookie), a
//! non-member (no account), a member, a channel admin and a workspace
//! admin. Every cell runs against a fresh object, so an allowed call never
//! spoils the next one.

use crate::support::{Call, Client, GuestSocket, TestServer};
use anteroom_app::api::accounts::{AddMember, ListMembers, ManageMember};
use anteroom_app::api::build::{CreateRoom, DeleteRoom, PlaceRoom, RenameRoom, SetBuildAdminsOnly};
use anteroom_app::api::channels::ExternalLink;
use anteroom_app::api::office::LoadOffice;
use anteroom_app::api::schedules::{CancelSchedule, CreateSchedule, ListSchedules, UpdateSchedule};
use anteroom_app::api::teams::{CreateTeam, DeleteTeam, ListTeams, RenameTeam, SetTeamMember};
use anteroom_app::error::AppError;
use anteroom_app::model::{ChannelId, MemberAction, MemberId, NewSchedule, Recurrence, RecurrenceEnd, RoomId};
use anteroom_app::model::{ScheduleId, TeamId};
use anteroom_app::protocol::guest::GuestEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;

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
    alan_id: MemberId,
    /// The demo's meeting channel, whose admin is the channel-admin column.
    calls: ChannelId,
    /// The guest's socket: their pass lives as long as it is open.
    _guest_socket: GuestSocket,
}

impl Table {
    async fn new() -> Self {
        let server = TestServer::with_demo().await;
        let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
        let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
        let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
        let office = ada.run(LoadOffice {}).await.unwrap();
        let calls = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id;
        // A guest let into client-calls: their pass is all they hold.
        let link = grace.run(ExternalLink { channel: calls }).await.unwrap();
        let token = link.rsplit('/').next().unwrap();
        let mut guest_socket = server.client().guest_socket(token).await.unwrap();
        guest_socket.send_text(r#"{"type":"knock","name":"Lin Park","email":""}"#).await;
        let GuestEvent::Admitted { pass, .. } = guest_socket.next_event().await else { panic!("admitted") };
        let guest = server.client();
        guest.set_cookie(&format!("anteroom_session={pass}"));
        let members = ada.run(ListMembers {}).await.unwrap();
        let alan_id = members.iter().find(|m| m.email == "alan@example.com").unwrap().id;
        let callers =
            vec![guest, server.client(), alan, grace, server.signed_in("ada@example.com", DEMO_PASSWORD).await];
        Table { server, callers, ada, alan_id, calls, _guest_socket: guest_socket }
    }

    /// A new team, made by the workspace admin.
    async fn fresh_team(&self, n: usize) -> TeamId {
        let name = format!("Subject {n}");
        self.ada.run(CreateTeam { name }).await.unwrap()
    }

    /// A new schedule in the meeting channel, made by the workspace admin.
    async fn fresh_schedule(&self) -> ScheduleId {
        let schedule = self.schedule_args("Subject");
        self.ada.run(CreateSchedule { channel: self.calls, schedule }).await.unwrap()
    }

    fn schedule_args(&self, title: &str) -> NewSchedule {
        NewSchedule {
            title: title.into(),
            starts_local: "2031-01-01T09:00".into(),
            time_zone: "UTC".into(),
            recurrence: Recurrence::Weekly,
            ends: RecurrenceEnd::Never,
            external_participants: "".into(),
        }
    }

    /// Calls a server function as every column, each with the arguments
    /// `args` makes for it (given a number no other cell uses), and checks
    /// the outcomes.
    async fn row<F: Call>(&self, expected: [Outcome; 5], mut args: impl AsyncFnMut(usize) -> F) {
        for (column, caller) in self.callers.iter().enumerate() {
            let cell = args(column).await;
            let (function, got) = caller.outcome(cell).await;
            assert_eq!(got, expected[column], "{function} as {}", COLUMNS[column]);
        }
    }
}

#[tokio::test]
async fn teams_are_organised_by_workspace_admins_only() {
    let table = Table::new().await;
    let mut n = 0;
    // A new team for each cell, so an allowed call never spoils the next.
    let mut fresh_teams = async || {
        let mut cells = Vec::new();
        for _ in COLUMNS {
            n += 1;
            cells.push(table.fresh_team(n).await);
        }
        cells
    };
    table.row(admins_only(), async |column| CreateTeam { name: format!("New team {column}") }).await;
    let cells = fresh_teams().await;
    table
        .row(admins_only(), async |column| RenameTeam { team: cells[column], name: format!("Renamed {column}") })
        .await;
    let cells = fresh_teams().await;
    table.row(admins_only(), async |column| DeleteTeam { team: cells[column] }).await;
    let cells = fresh_teams().await;
    table
        .row(admins_only(), async |column| SetTeamMember { team: cells[column], member: table.alan_id, join: true })
        .await;
    // A guest's pass reads nothing either.
    let listed = table.callers[GUEST].run(ListTeams {}).await;
    assert_eq!(listed.map(drop), Err(AppError::NotSignedIn));
    table.server.stop().await;
}

#[tokio::test]
async fn call_schedules_are_seen_by_members_and_changed_by_channel_admins() {
    let table = Table::new().await;
    let calls = table.calls;
    table.row(members(), async |_| ListSchedules { channel: calls }).await;
    table
        .row(channel_admins(), async |column| CreateSchedule {
            channel: calls,
            schedule: table.schedule_args(&format!("New {column}")),
        })
        .await;
    table
        .row(channel_admins(), async |column| {
            let changed = table.schedule_args(&format!("Changed {column}"));
            UpdateSchedule { channel: calls, schedule: table.fresh_schedule().await, changed }
        })
        .await;
    table
        .row(channel_admins(), async |_| CancelSchedule { channel: calls, schedule: table.fresh_schedule().await })
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
    let office = table.ada.run(LoadOffice {}).await.unwrap();
    assert!(office.can_build && !office.build_admins_only);
    // An empty map, then each cell gets a room of its own, six to a row,
    // with space to grow into.
    for room in office.rooms {
        table.ada.run(DeleteRoom { room: room.id }).await.unwrap();
    }
    let mut made = 0;
    let mut fresh_room = async || -> RoomId {
        let (name, x, y) = (format!("Subject {made}"), made % 6 * 165, made % 18 / 6 * 125);
        made += 1;
        let room = table.ada.run(CreateRoom { name, x, y, width: 160, height: 120 }).await.unwrap();
        room.id
    };
    for (admins_only, expected) in [(false, builders()), (true, admins_only())] {
        table.ada.run(SetBuildAdminsOnly { on: admins_only }).await.unwrap();
        let mut rooms = Vec::new();
        for _ in 0..3 * COLUMNS.len() {
            rooms.push(fresh_room().await);
        }
        let cell = |row: usize, column: usize| rooms[row * COLUMNS.len() + column];
        table
            .row(expected.clone(), async |column| {
                let name = format!("Built {admins_only} {column}");
                CreateRoom { name, x: column as i64 * 160, y: 400, width: 160, height: 120 }
            })
            .await;
        // Those it made go again, to leave the space for the next round.
        for room in table.ada.run(LoadOffice {}).await.unwrap().rooms {
            if room.name.starts_with("Built") {
                table.ada.run(DeleteRoom { room: room.id }).await.unwrap();
            }
        }
        table
            .row(expected.clone(), async |column| RenameRoom {
                room: cell(0, column),
                name: format!("Renamed {admins_only} {column}"),
            })
            .await;
        table
            .row(expected.clone(), async |column| {
                let room = cell(1, column);
                let current = table.ada.run(LoadOffice {}).await.unwrap().rooms;
                let found = current.iter().find(|r| r.id == room).unwrap();
                PlaceRoom { room, x: found.x, y: found.y, width: 165, height: 125 }
            })
            .await;
        table.row(expected.clone(), async |column| DeleteRoom { room: cell(2, column) }).await;
        for room in table.ada.run(LoadOffice {}).await.unwrap().rooms {
            if room.name.starts_with("Subject") || room.name.starts_with("Renamed") {
                table.ada.run(DeleteRoom { room: room.id }).await.unwrap();
            }
        }
    }
    table.row(admins_only(), async |_| SetBuildAdminsOnly { on: false }).await;
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
        let args = AddMember { name, email, password: "a long password 1".into(), is_admin: None };
        let id = table.ada.run(args).await.unwrap().id;
        if deactivated {
            let deactivate = ManageMember { member: id, action: MemberAction::Deactivate, replace_links: false };
            table.ada.run(deactivate).await.unwrap();
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
    let actions = [MemberAction::Deactivate, MemberAction::Reactivate, MemberAction::SendPasswordReset];
    for (row, action) in actions.into_iter().enumerate() {
        table
            .row(admins_only(), async |column| ManageMember { member: cells[row][column], action, replace_links: true })
            .await;
    }
    // A reset link's page is open to whoever holds a link: a made-up one is
    // refused alike for every column.
    for caller in &table.callers {
        assert_eq!(caller.get("/reset-password/made-up").await.status(), 404);
    }
    table.server.stop().await;
}

/// Allowed to no one: only the author edits, and the row's message is
/// someone else's for every column but the workspace admin's.
fn author_only() -> [Outcome; 5] {
    [Err(AppError::NotSignedIn), Err(AppError::NotSignedIn), Err(AppError::Forbidden), Err(AppError::Forbidden), Ok(())]
}

#[tokio::test]
async fn a_channels_conversation_is_for_members_and_a_guest_in_its_call_gets_none_of_it() {
    use anteroom_app::api::messages::{
        ChannelHistory, DeleteMessage, EditMessage, MarkRead, OpenConversation, PostMessage, SearchMessages,
        UnreadCounts,
    };
    let table = Table::new().await;
    let calls = table.calls;
    // The guest is in this very channel's call, and still reads nothing.
    let fresh_message = async |n: usize| {
        let post = PostMessage {
            channel: calls,
            body: format!("Subject {n}"),
            client_key: format!("subject-{n}"),
            files: Vec::new(),
        };
        table.ada.run(post).await.unwrap()
    };
    let first = fresh_message(1000).await;
    table.row(members(), async |_| ChannelHistory { channel: calls, before: None, after: None }).await;
    table.row(members(), async |_| OpenConversation { channel: calls, at: Some(first.id) }).await;
    table.row(members(), async |_| ChannelHistory { channel: calls, before: None, after: Some(first.id) }).await;
    table
        .row(members(), async |column| PostMessage {
            channel: calls,
            body: format!("Hello from {column}"),
            client_key: format!("column-{column}"),
            files: Vec::new(),
        })
        .await;
    table.row(members(), async |_| MarkRead { channel: calls, up_to: first.id }).await;
    table.row(members(), async |_| UnreadCounts {}).await;
    table.row(members(), async |_| SearchMessages { query: "Subject".into() }).await;
    // Each cell gets a message of the workspace admin's: hers to edit
    // alone; hers, the channel's admins' and workspace admins' to delete.
    table
        .row(author_only(), async |column| EditMessage {
            message: fresh_message(column).await.id,
            body: "Changed".into(),
        })
        .await;
    table.row(channel_admins(), async |column| DeleteMessage { message: fresh_message(10 + column).await.id }).await;
    // Another workspace's channel and message answer as if they did not exist.
    let stranger = table.callers[2].run(ChannelHistory { channel: ChannelId(9999), before: None, after: None }).await;
    assert_eq!(stranger, Err(AppError::NotFound("That channel".into())));
    table.server.stop().await;
}

#[tokio::test]
async fn files_are_for_members_and_a_guest_holding_a_members_file_url_gets_nothing() {
    use anteroom_app::api::files::{DiscardUpload, ListFiles};
    use anteroom_app::api::messages::PostMessage;
    use anteroom_app::model::{FileInfo, FileOrder};
    let table = Table::new().await;
    let calls = table.calls;
    let mut png = Vec::new();
    image::RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let upload = table.ada.upload(calls, "plan.png", "image/png", png.clone()).await;
    let file: FileInfo = upload.json().await.unwrap();
    let post = PostMessage { channel: calls, body: "The plan".into(), client_key: "plan".into(), files: vec![file.id] };
    table.ada.run(post).await.unwrap();
    // The URLs a member's page shows, tried by every column.
    let expected = [401, 401, 200, 200, 200];
    for url in [file.download_url(), file.thumbnail_url().unwrap()] {
        for (column, caller) in table.callers.iter().enumerate() {
            assert_eq!(caller.get(&url).await.status(), expected[column], "GET {url} as {}", COLUMNS[column]);
        }
    }
    for (column, caller) in table.callers.iter().enumerate() {
        let status = caller.upload(calls, "mine.png", "image/png", png.clone()).await.status();
        assert_eq!(status, expected[column], "upload as {}", COLUMNS[column]);
    }
    table.row(members(), async |_| ListFiles { query: String::new(), order: FileOrder::Newest }).await;
    // Taking back an upload is its uploader's: anyone else's call does nothing.
    table.row(members(), async |_| DiscardUpload { file: file.id }).await;
    assert_eq!(table.callers[2].get(&file.download_url()).await.status(), 200, "a sent file is not taken back");
    // Another workspace's file answers as if it did not exist.
    assert_eq!(table.callers[2].get("/files/99999").await.status(), 404);
    table.server.stop().await;
}
