//! Integration tests of meeting channels' external links: who may copy,
//! generate, replace and turn off a link; a guest with the link going
//! straight into that channel's call and nowhere else; channel admins
//! removing guests; and the record of guest visits.

use crate::support::{Client, GuestSocket, TestServer, refusal_status};
use anteroom_app::api::accounts::ListMembers;
use anteroom_app::api::calls::{OpenPastCall, PastCalls, SearchTranscripts};
use anteroom_app::api::channels::{
    CreateChannel, DeleteChannel, DisableExternalLink, ExternalLink, GuestActivity, ListChannels, OpenChannel,
    RegenerateExternalLink, RenameChannel, SetChannelAdmin, SetGuestNotes, SetNotesToMe, SetTranscription,
};
use anteroom_app::api::guests::RemoveGuest;
use anteroom_app::api::invites::OpenInvite;
use anteroom_app::api::messages::{ChannelHistory, UnreadCounts};
use anteroom_app::api::office::LoadOffice;
use anteroom_app::error::AppError;
use anteroom_app::model::ConferenceId;
use anteroom_app::model::GuestId;
use anteroom_app::model::{Channel, ChannelId, ChannelKind, GuestVisit, MemberId, RoomId};
use anteroom_app::protocol::LiveEvent;
use anteroom_app::protocol::guest::GuestEvent;
use anteroom_app::protocol::live::InCall;
use anteroom_app::protocol::signal::SignalEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;

/// The demo workspace with Ada (workspace admin), Grace (admin of
/// client-calls) and Alan (member) signed in.
struct Workspace {
    server: TestServer,
    ada: Client,
    grace: Client,
    alan: Client,
    /// Ids of client-calls, interviews (meeting channels) and general (text).
    calls: ChannelId,
    interviews: ChannelId,
    general: ChannelId,
    room: RoomId,
}

async fn workspace() -> Workspace {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    let id_of = |name: &str| office.channels.iter().find(|c| c.name == name).expect("a demo channel").id;
    assert_eq!(office.channels.iter().find(|c| c.name == "general").unwrap().kind, ChannelKind::Text);
    Workspace {
        calls: id_of("client-calls"),
        interviews: id_of("interviews"),
        general: id_of("general"),
        room: office.rooms[0].id,
        server,
        ada,
        grace,
        alan,
    }
}

/// Alan's member id, as the office tells him.
async fn alans_id(alan: &Client) -> MemberId {
    alan.run(LoadOffice {}).await.unwrap().me.id
}

fn token_of(link: &str) -> String {
    link.rsplit('/').next().expect("a token at the end").to_string()
}

/// Opens a guest socket with `token` and sends the lobby's form.
async fn arrive(server: &TestServer, token: &str, name: &str, email: &str) -> (GuestSocket, GuestEvent) {
    let mut socket = server.client().guest_socket(token).await.expect("the guest socket opens");
    let knock = serde_json::json!({ "type": "knock", "name": name, "email": email });
    socket.send_text(&knock.to_string()).await;
    let first = socket.next_event().await;
    (socket, first)
}

fn signal_path(channel: &ChannelId) -> String {
    ConferenceId::Channel(*channel).signal_path()
}

/// The channel's guest visits, once `done` accepts them (the end of a visit
/// is written when the guest's socket has closed, just after they hear so).
async fn visits_once(admin: &Client, channel: &ChannelId, done: impl Fn(&[GuestVisit]) -> bool) -> Vec<GuestVisit> {
    let wait = async {
        loop {
            let visits = admin.run(GuestActivity { channel: *channel }).await.unwrap();
            if done(&visits) {
                return visits;
            }
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), wait).await.expect("the visits are recorded")
}

#[tokio::test]
async fn members_share_the_link_and_only_channel_or_workspace_admins_replace_or_turn_it_off() {
    let Workspace { ada, grace, alan, calls, general, server, .. } = workspace().await;
    let channel = calls;

    let seen_by_alan = alan.run(OpenChannel { channel }).await.unwrap();
    assert_eq!((seen_by_alan.external_link.as_deref(), seen_by_alan.can_manage), (None, false));
    assert_eq!(seen_by_alan.admins.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["Grace Hopper"]);
    let seen_by_grace = grace.run(OpenChannel { channel }).await.unwrap();
    let seen_by_ada = ada.run(OpenChannel { channel }).await.unwrap();
    assert!(seen_by_grace.can_manage && seen_by_ada.can_manage, "channel admin and workspace admin manage");

    // Any member generates the first link and copies the same one later.
    let link = alan.run(ExternalLink { channel }).await.unwrap();
    assert!(link.starts_with(&format!("{}/guest/", server.url)), "{link}");
    assert_eq!(grace.run(ExternalLink { channel }).await.unwrap(), link, "persistent");
    let shown = alan.run(OpenChannel { channel }).await.unwrap();
    assert_eq!(shown.external_link.as_deref(), Some(link.as_str()));

    // (who, action) -> expected
    let forbidden = Err::<(), _>(AppError::Forbidden);
    assert_eq!(alan.run(RegenerateExternalLink { channel }).await.map(drop), forbidden);
    assert_eq!(alan.run(DisableExternalLink { channel }).await, forbidden);
    assert_eq!(alan.run(GuestActivity { channel }).await.map(drop), forbidden);
    assert_eq!(server.client().run(ExternalLink { channel }).await, Err(AppError::NotSignedIn));
    let welcome = server.client().run(OpenInvite { token: token_of(&link) }).await.unwrap();
    assert_eq!(welcome.place_name, "client-calls");

    let replaced = grace.run(RegenerateExternalLink { channel }).await.unwrap();
    assert_ne!(replaced, link);
    let dead = server.client().run(OpenInvite { token: token_of(&link) }).await;
    assert_eq!(dead, Err(AppError::InviteInvalid), "the replaced link is dead");
    let (_, refused) = arrive(&server, &token_of(&link), "Lin", "").await;
    assert_eq!(refused, GuestEvent::Refused { error: AppError::InviteInvalid });

    ada.run(DisableExternalLink { channel }).await.unwrap();
    let off = server.client().run(OpenInvite { token: token_of(&replaced) }).await;
    assert_eq!(off, Err(AppError::InviteInvalid), "a turned-off link is dead");
    let details = grace.run(OpenChannel { channel }).await.unwrap();
    assert_eq!(details.external_link, None);

    // Channel admins are chosen by workspace admins and channel admins.
    let members = ada.run(ListMembers {}).await.unwrap();
    let alan_id = members.iter().find(|m| m.name == "Alan Turing").unwrap().id;
    let make_alan = SetChannelAdmin { channel: calls, member: alan_id, admin: true };
    assert_eq!(alan.run(make_alan.clone()).await, Err(AppError::Forbidden));
    grace.run(make_alan).await.unwrap();
    let now_admin = alan.run(OpenChannel { channel }).await.unwrap();
    assert!(now_admin.can_manage, "Alan now manages the channel");
    let stranger = SetChannelAdmin { channel: calls, member: MemberId(999999), admin: true };
    assert_eq!(ada.run(stranger).await, Err(AppError::NotFound("That member".into())));

    // A text channel has no call and no link.
    let text = general;
    let not_found = Err(AppError::NotFound("That meeting channel".into()));
    assert_eq!(alan.run(OpenChannel { channel: text }).await, not_found);
    assert_eq!(alan.run(ExternalLink { channel: text }).await.map(drop), not_found.map(drop));
    assert_eq!(refusal_status(alan.signal_socket_at(&signal_path(&general)).await), 404);
}

#[tokio::test]
async fn a_guest_with_the_link_joins_that_call_only_and_a_channel_admin_can_remove_them() {
    let Workspace { grace, alan, calls, interviews, room, server, .. } = workspace().await;
    let link = alan.run(ExternalLink { channel: calls }).await.unwrap();
    let token = token_of(&link);

    // Bad lobby input is refused with the field to fix.
    let (_, no_name) = arrive(&server, &token, "  ", "").await;
    assert!(matches!(no_name, GuestEvent::Refused { error: AppError::Invalid { ref field, .. } } if field == "name"));
    let (_, bad_email) = arrive(&server, &token, "Lin", "lin@").await;
    assert!(
        matches!(bad_email, GuestEvent::Refused { error: AppError::Invalid { ref field, .. } } if field == "email")
    );

    // The email is optional; nobody has to let the guest in.
    let (mut lobby, admitted) = arrive(&server, &token, "  Lin Park ", "").await;
    let GuestEvent::Admitted { pass, conference } = admitted else { panic!("let in at once, got {admitted:?}") };
    assert_eq!(conference.signal_path(), signal_path(&calls));

    let guest = server.client();
    let mut guests_call = guest.guest_signal_socket_at(&conference.signal_path(), &pass).await.unwrap();
    assert!(matches!(guests_call.next_event().await, SignalEvent::Welcome { .. }));
    // The pass opens nothing else: another channel, a room, or the member side.
    let elsewhere = ConferenceId::Channel(interviews);
    assert_eq!(refusal_status(guest.guest_signal_socket_at(&elsewhere.signal_path(), &pass).await), 403);
    let a_room = ConferenceId::Room(room);
    assert_eq!(refusal_status(guest.guest_signal_socket_at(&a_room.signal_path(), &pass).await), 403);
    assert_eq!(refusal_status(guest.signal_socket_at(&conference.signal_path()).await), 401);
    assert_eq!(guest.run(LoadOffice {}).await, Err(AppError::NotSignedIn));

    // Members' pages learn who is in the call before they join.
    let mut graces_page = grace.live_socket().await.unwrap();
    let calls_seen = graces_page.wait_for(|e| matches!(e, LiveEvent::Calls { calls } if !calls.is_empty())).await;
    let LiveEvent::Calls { calls: seen } = calls_seen else { unreachable!() };
    assert_eq!(seen[0].people, [InCall { name: "Lin Park".into(), guest: true }]);

    // A member joins the channel's call from anywhere and sees the guest marked.
    let mut alans_call = alan.signal_socket_at(&signal_path(&calls)).await.unwrap();
    let SignalEvent::Welcome { participants, .. } = alans_call.next_event().await else { panic!("welcome first") };
    let lin = participants.iter().find(|p| p.name == "Lin Park").expect("the guest is in the call");
    let lin_id: GuestId = lin.guest.expect("marked as a guest");
    let mut graces_call = grace.signal_socket_at(&signal_path(&calls)).await.unwrap();
    graces_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    guests_call
        .wait_for(|e| matches!(e, SignalEvent::Joined { participant } if participant.name == "Grace Hopper"))
        .await;

    let visits = visits_once(&grace, &calls, |v| !v.is_empty()).await;
    assert_eq!((visits[0].name.as_str(), visits[0].email.as_deref(), visits[0].left_at), ("Lin Park", None, None));

    // Plain members may not remove guests from a channel's call; its admin may.
    let guest_arg = RemoveGuest { guest: lin_id };
    assert_eq!(alan.run(guest_arg.clone()).await, Err(AppError::Forbidden));
    grace.run(guest_arg).await.unwrap();
    assert_eq!(lobby.next_event().await, GuestEvent::Removed);
    let ended = guests_call.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await;
    assert_eq!(ended, SignalEvent::Ended { reason: "You were removed from the call.".into() });
    alans_call.wait_for(|e| matches!(e, SignalEvent::Left { .. })).await;

    let visits = visits_once(&grace, &calls, |v| v.first().is_some_and(|v| v.left_at.is_some())).await;
    assert!(visits[0].removed, "the record says a channel admin removed them");

    // With an email, the visit keeps it (for the meeting notes).
    let (_sam, admitted) = arrive(&server, &token, "Sam", "SAM@example.org").await;
    assert!(matches!(admitted, GuestEvent::Admitted { .. }));
    let visits = visits_once(&grace, &calls, |v| v.len() == 2).await;
    assert_eq!((visits[0].name.as_str(), visits[0].email.as_deref()), ("Sam", Some("sam@example.org")));

    // Stopping the server while Sam is still there ends his visit on
    // record: stopping waits for open sockets before it closes the
    // database (it used to close it under them, and the end was lost).
    let database_url = server.database_url.clone();
    server.stop().await;
    let db = anteroom_app::ssr::db::open(&database_url).await.unwrap();
    let unended: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM guest_visits WHERE left_at IS NULL").fetch_one(&db).await.unwrap();
    assert_eq!(unended, 0, "every visit has its end");
    // Grace and Alan were still in the call: its record has its end too.
    let open_calls: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM calls WHERE ended_at IS NULL").fetch_one(&db).await.unwrap();
    assert_eq!(open_calls, 0, "the call cut short by stopping has its end on record");
}

#[tokio::test]
async fn when_the_call_ends_guests_who_gave_an_email_get_the_notes_if_the_channel_says_so() {
    let mut relay = crate::support::Relay::start().await;
    // Guests here stay a moment; the minimum stay has unit tests of its own.
    let server = TestServer::with_demo_and(|config| {
        config.smtp_relay = Some(relay.url.clone());
        config.guest_notes_min_stay_secs = 0;
    })
    .await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    let office = grace.run(LoadOffice {}).await.unwrap();
    let calls = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id;
    let channel = calls;
    let link = grace.run(ExternalLink { channel }).await.unwrap();
    let token = token_of(&link);

    // Only the channel's admins change the setting.
    let on = true;
    assert_eq!(alan.run(SetGuestNotes { channel, on }).await, Err(AppError::Forbidden));
    grace.run(SetGuestNotes { channel, on }).await.unwrap();
    let details = alan.run(OpenChannel { channel }).await.unwrap();
    assert!(details.email_guest_notes && !details.notes_to_me);
    // A channel admin asks for the notes herself; a plain member cannot.
    assert_eq!(alan.run(SetNotesToMe { channel, on }).await, Err(AppError::Forbidden));
    grace.run(SetNotesToMe { channel, on }).await.unwrap();
    let details = grace.run(OpenChannel { channel }).await.unwrap();
    assert!(details.notes_to_me);

    // Someone with the link, alone in the call, types an advert for an
    // address of their choosing and leaves: no member took part, so no
    // notes go out, to her or to Grace (if they did, the relay would get
    // them first).
    let mut graces_page = grace.live_socket().await.unwrap();
    let (_mallorys_lobby, admitted) = arrive(&server, &token, "Mallory", "victim@example.net").await;
    let GuestEvent::Admitted { pass, conference } = admitted else { panic!("admitted") };
    let mut mallorys = server.client().guest_signal_socket_at(&conference.signal_path(), &pass).await.unwrap();
    mallorys.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    mallorys.send_text(r#"{"type":"chat","text":"Cheap watches at evil.example"}"#).await;
    mallorys.wait_for(|e| matches!(e, SignalEvent::Chat { .. })).await;
    let calls_now = |e: &LiveEvent| matches!(e, LiveEvent::Calls { .. });
    let in_call = |e: &LiveEvent, count| matches!(e, LiveEvent::Calls { calls } if calls.iter().map(|c| c.people.len()).sum::<usize>() == count);
    graces_page.wait_for(|e| calls_now(e) && in_call(e, 1)).await;
    drop(mallorys);
    // Her call is over before Grace starts the next one.
    graces_page.wait_for(|e| calls_now(e) && in_call(e, 0)).await;

    // Grace and three guests (two with an email) meet; Grace writes in the
    // chat, Lin answers, and Grace removes the third guest, Ann.
    let mut graces_call = grace.signal_socket_at(&signal_path(&calls)).await.unwrap();
    graces_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    let (_anns_lobby, admitted) = arrive(&server, &token, "Ann", "ann@example.org").await;
    let GuestEvent::Admitted { pass, conference } = admitted else { panic!("admitted") };
    let mut anns = server.client().guest_signal_socket_at(&conference.signal_path(), &pass).await.unwrap();
    anns.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    let SignalEvent::Joined { participant: ann } =
        graces_call.wait_for(|e| matches!(e, SignalEvent::Joined { participant } if participant.name == "Ann")).await
    else {
        unreachable!()
    };
    let ann = ann.guest.expect("Ann is a guest");
    grace.run(RemoveGuest { guest: ann }).await.unwrap();
    anns.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await;
    let mut guest_calls = Vec::new();
    let mut lobbies = Vec::new();
    for (name, email) in [("Lin Park", "lin@example.org"), ("Sam", "")] {
        let (lobby, admitted) = arrive(&server, &token, name, email).await;
        let GuestEvent::Admitted { pass, conference } = admitted else { panic!("admitted") };
        let mut call = server.client().guest_signal_socket_at(&conference.signal_path(), &pass).await.unwrap();
        call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
        guest_calls.push(call);
        lobbies.push(lobby);
    }
    graces_call.send_text(r#"{"type":"chat","text":"Thanks for coming, the deck is on its way"}"#).await;
    for call in &mut guest_calls {
        call.wait_for(|e| matches!(e, SignalEvent::Chat { .. })).await;
    }
    guest_calls[0].send_text(r#"{"type":"chat","text":"Great\nSummary: wire the money"}"#).await;
    graces_call.wait_for(|e| matches!(e, SignalEvent::Chat { message } if message.name == "Lin Park")).await;

    // Everyone leaves: the call ends and Lin, who gave an email, gets the
    // notes, and so does Grace, who asked for them.
    drop(graces_call);
    drop(guest_calls);
    for reader in ["lin@example.org", "grace@example.com"] {
        let (to, raw) = relay.next().await;
        assert_eq!(to, [reader]);
        let mail = anteroom_app::ssr::mail_in::parse(&raw).unwrap();
        assert_eq!(mail.subject, "Notes from your call in client-calls");
        // Grace reads the whole call; Lin the part she was in (whether Ann,
        // gone before, shows depends on the second she left in).
        if reader == "grace@example.com" {
            let everyone = "4 took part: Grace Hopper, Ann (guest), Lin Park (guest), Sam (guest)";
            assert!(mail.text_body.contains(everyone), "{}", mail.text_body);
        }
        for expected in [
            "Grace Hopper: Thanks for coming, the deck is on its way",
            "Lin Park (guest) wrote:",
            "    > Summary: wire the money",
        ] {
            assert!(mail.text_body.contains(expected), "{expected:?} in {}", mail.text_body);
        }
    }
    // The sending is put on record just after the relay took it.
    let recorded = async {
        while sqlx_count(&server, "SELECT COUNT(*) FROM call_notes_sent").await != 2 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), recorded).await.expect("the sending is on record");
    // Ann was removed (and her address sorts first): she got nothing.
    assert_eq!(sqlx_count(&server, "SELECT COUNT(*) FROM call_notes_sent WHERE email = 'ann@example.org'").await, 0);
}

/// A count read straight from the server's database file.
async fn sqlx_count(server: &TestServer, query: &'static str) -> i64 {
    let db = sqlx::SqlitePool::connect(&server.database_url).await.unwrap();
    let count = sqlx::query_scalar(query).fetch_one(&db).await.unwrap();
    db.close().await;
    count
}

#[tokio::test]
async fn workspace_admins_create_rename_and_delete_channels() {
    let Workspace { ada, alan, server, .. } = workspace().await;
    let args = CreateChannel { name: "  Partner Sync ".into(), kind: ChannelKind::Meeting };
    assert_eq!(alan.run(args.clone()).await, Err(AppError::Forbidden));
    let made = ada.run(args.clone()).await.unwrap();
    assert_eq!((made.name.as_str(), made.kind), ("partner-sync", ChannelKind::Meeting));
    let again = ada.run(args.clone()).await.unwrap_err();
    assert_eq!(again.field(), Some("name"), "the name is taken");
    let bad = ada.run(CreateChannel { name: "q&a".into(), kind: ChannelKind::Text }).await.unwrap_err();
    assert_eq!(bad.field(), Some("name"));

    let rename = RenameChannel { channel: made.id, name: "Partners".into() };
    assert_eq!(alan.run(rename.clone()).await, Err(AppError::Forbidden));
    ada.run(rename).await.unwrap();
    let made = Channel { name: "partners".into(), ..made };
    let listed = alan.run(ListChannels {}).await.unwrap();
    assert!(listed.contains(&made), "renamed in the usual form: {listed:?}");

    // The new meeting channel has a call and a link like any other.
    let link = alan.run(ExternalLink { channel: made.id }).await.unwrap();
    let id = made.id;
    let mut alans_call = alan.signal_socket_at(&signal_path(&id)).await.unwrap();
    alans_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    let mut alans_page = alan.live_socket().await.unwrap();
    alans_page.wait_for(|e| matches!(e, LiveEvent::Channels { channels } if channels.contains(&made))).await;
    assert_eq!(alan.run(DeleteChannel { channel: id }).await, Err(AppError::Forbidden));
    ada.run(DeleteChannel { channel: id }).await.unwrap();
    // Its call ends, and open pages drop it from the sidebar.
    let ended = alans_call.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await;
    assert_eq!(ended, SignalEvent::Ended { reason: "This channel was deleted, so its call ended.".into() });
    alans_page.wait_for(|e| matches!(e, LiveEvent::Channels { channels } if !channels.contains(&made))).await;
    let dead = server.client().run(OpenInvite { token: token_of(&link) }).await;
    assert_eq!(dead, Err(AppError::InviteInvalid), "its link died with it");
    let listed = alan.run(ListChannels {}).await.unwrap();
    assert!(listed.iter().all(|c| c.name != "partner-sync"));

    // It was the newest channel, yet a new one never gets its id: nothing
    // held for the old one (a pass, a link, an open page) can reach it.
    let next = ada.run(args).await.unwrap();
    assert!(next.id > made.id, "{:?} reuses or precedes {:?}", next.id, made.id);
}

#[tokio::test]
async fn transcription_is_told_to_everyone_and_past_calls_are_for_members_only() {
    let Workspace { server, grace, alan, calls, .. } = workspace().await;
    let channel = calls;
    let on = SetTranscription { channel, on: true };
    let off = SetTranscription { channel, on: false };

    // Only the channel's admins (and workspace admins) switch it.
    assert_eq!(alan.run(on.clone()).await, Err(AppError::Forbidden));
    grace.run(on).await.unwrap();
    let details = alan.run(OpenChannel { channel }).await.unwrap();
    assert!(details.transcribe_calls && !details.email_guest_notes);

    // A guest is told in the lobby, before joining.
    let link = grace.run(ExternalLink { channel }).await.unwrap();
    let token = token_of(&link);
    let welcome = server.client().run(OpenInvite { token: token.clone() }).await.unwrap();
    assert!(welcome.transcribed);
    // A guest whose lobby was opened before it was turned on, and so did
    // not say so, is told before being let in; told, they join.
    let (_lobby, refused) = arrive(&server, &token, "Lin Park", "").await;
    assert_eq!(refused, GuestEvent::Refused { error: AppError::TranscriptionTurnedOn });
    let mut lobby = server.client().guest_socket(&token).await.unwrap();
    let knock = serde_json::json!({ "type": "knock", "name": "Lin Park", "email": "", "knows_transcribed": true });
    lobby.send_text(&knock.to_string()).await;
    assert!(matches!(lobby.next_event().await, GuestEvent::Admitted { .. }));
    drop(lobby);

    // Everyone in the call is told, at once, when it changes.
    let mut graces_call = grace.signal_socket_at(&signal_path(&calls)).await.unwrap();
    let welcome = graces_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    assert!(matches!(welcome, SignalEvent::Welcome { transcribing: true, .. }));
    let mut alans_call = alan.signal_socket_at(&signal_path(&calls)).await.unwrap();
    alans_call.wait_for(|e| matches!(e, SignalEvent::Welcome { transcribing: true, .. })).await;
    grace.run(off).await.unwrap();
    for call in [&mut graces_call, &mut alans_call] {
        call.wait_for(|e| *e == SignalEvent::Transcription { on: false }).await;
    }
    alans_call.send_text(r#"{"type":"chat","text":"See you next week"}"#).await;
    graces_call.wait_for(|e| matches!(e, SignalEvent::Chat { .. })).await;
    drop(graces_call);
    drop(alans_call);

    // The ended call is in Past calls for members, with its chat.
    let past = loop {
        let past = alan.run(PastCalls { channel }).await.unwrap();
        if !past.is_empty() {
            break past;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(past[0].people, ["Grace Hopper", "Alan Turing"]);
    let call = past[0].id;
    let details = grace.run(OpenPastCall { call }).await.unwrap();
    assert_eq!(details.chat.lines.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["See you next week"]);
    // The call's chat is in the channel's history too, marked with its call.
    let history = grace.run(ChannelHistory { channel, before: None, after: None }).await.unwrap();
    let kept: Vec<_> = history.messages.iter().map(|m| (m.body.as_str(), m.author_name.as_str(), m.call)).collect();
    assert_eq!(kept, [("See you next week", "Alan Turing", Some(call))]);
    // Alan's own line, unread to Grace only.
    let unread_in =
        |counts: Vec<anteroom_app::model::Unread>| counts.iter().find(|u| u.channel == channel).map_or(0, |u| u.count);
    assert_eq!(unread_in(grace.run(UnreadCounts {}).await.unwrap()), 1);
    assert_eq!(unread_in(alan.run(UnreadCounts {}).await.unwrap()), 0);
    assert_eq!(history.messages[0].author, Some(alans_id(&alan).await));

    // Nobody without an account reads them; searches are bounded.
    let stranger = server.client();
    assert_eq!(stranger.run(PastCalls { channel }).await, Err(AppError::NotSignedIn));
    assert_eq!(stranger.run(OpenPastCall { call }).await, Err(AppError::NotSignedIn));
    let long = "word ".repeat(60);
    for query in ["  ", long.as_str()] {
        let refused = alan.run(SearchTranscripts { query: query.into() }).await;
        assert!(matches!(refused, Err(AppError::Invalid { .. })), "{refused:?}");
    }
    let none = alan.run(SearchTranscripts { query: "week".into() }).await.unwrap();
    assert!(none.is_empty(), "chat is not transcript");
}
