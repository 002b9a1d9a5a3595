//! Integration tests of guest access: knocking over the guest socket, only
//! members inside the room deciding, the guest's pass opening that room's
//! call and nothing else, and removal.

use crate::support::{Client, GuestSocket, LiveSocket, TestServer, refusal_status};
use anteroom_app::api::accounts::{AddMember, ListMembers, Me};
use anteroom_app::api::build::DeleteRoom;
use anteroom_app::api::guests::{AnswerGuests, RemoveGuest};
use anteroom_app::api::invites::{OpenInvite, RegenerateRoomInvite, RoomInvite};
use anteroom_app::api::office::{LoadOffice, WalkInto, WalkOut};
use anteroom_app::error::AppError;
use anteroom_app::model::GuestId;
use anteroom_app::model::RoomId;
use anteroom_app::protocol::LiveEvent;
use anteroom_app::protocol::guest::{GuestEvent, RoomGuests};
use anteroom_app::protocol::signal::SignalEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;

async fn walk_in(client: &Client, room: &RoomId) {
    client.run(WalkInto { room: *room }).await.expect("walks in");
}

/// The invite token of `room`, fetched by a member inside it.
async fn invite_token(member: &Client, room: &RoomId) -> String {
    let link = member.run(RoomInvite { room: *room }).await.expect("a link");
    link.rsplit('/').next().expect("a token at the end").to_string()
}

/// Opens a guest socket and knocks; returns the socket and the first answer.
async fn knock(server: &TestServer, token: &str, name: &str, email: &str) -> (GuestSocket, GuestEvent) {
    let mut socket = server.client().guest_socket(token).await.expect("the guest socket opens");
    let knock = serde_json::json!({ "type": "knock", "name": name, "email": email });
    socket.send_text(&knock.to_string()).await;
    let first = socket.next_event().await;
    (socket, first)
}

/// The next waiting list the live socket sends that `wanted` accepts.
async fn waiting_list(socket: &mut LiveSocket, wanted: impl Fn(&[RoomGuests]) -> bool) -> Vec<RoomGuests> {
    match socket.wait_for(|e| matches!(e, LiveEvent::Guests { rooms } if wanted(rooms))).await {
        LiveEvent::Guests { rooms } => rooms,
        _ => unreachable!("wait_for only returns waiting lists"),
    }
}

async fn answer(member: &Client, guest: GuestId, admit: bool) -> Result<usize, AppError> {
    member.run(AnswerGuests { guests: vec![guest], admit }).await
}

struct Office2 {
    server: TestServer,
    ada: Client,
    grace: Client,
    alan: Client,
    room_a: RoomId,
    room_b: RoomId,
}

/// Ada and Grace inside room A, Alan inside room B.
async fn office() -> Office2 {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    let (room_a, room_b) = (office.rooms[0].id, office.rooms[1].id);
    walk_in(&ada, &room_a).await;
    walk_in(&grace, &room_a).await;
    walk_in(&alan, &room_b).await;
    Office2 { server, ada, grace, alan, room_a, room_b }
}

#[tokio::test]
async fn a_knock_is_answered_only_from_inside_and_the_first_answer_wins() {
    let Office2 { server, ada, grace, alan, room_a, room_b } = office().await;
    let mut adas_page = ada.live_socket().await.unwrap();
    let mut alans_page = alan.live_socket().await.unwrap();
    let token = invite_token(&ada, &room_a).await;

    let (mut guest, first) = knock(&server, &token, "  Lin <b>Park</b> ", "LIN@Example.org").await;
    assert_eq!(first, GuestEvent::Waiting);

    let seen_inside = waiting_list(&mut adas_page, |rooms| !rooms.is_empty()).await;
    let lin = &seen_inside[0].waiting[0];
    assert_eq!(seen_inside[0].room, room_a);
    assert_eq!(lin.name, "Lin <b>Park</b>", "trimmed, kept as text (the page escapes it)");
    assert_eq!(lin.email.as_deref(), Some("lin@example.org"));
    let seen_elsewhere = waiting_list(&mut alans_page, |rooms| !rooms.is_empty()).await;
    assert_eq!(seen_elsewhere[0].waiting[0].email, None, "members elsewhere see the badge, not the email");

    // (who, expected) for the same answer
    assert_eq!(answer(&server.client(), lin.id, true).await, Err(AppError::NotSignedIn));
    assert_eq!(answer(&alan, lin.id, true).await, Err(AppError::NotInRoom));
    assert_eq!(answer(&grace, lin.id, true).await, Ok(1));
    assert_eq!(answer(&ada, lin.id, false).await, Err(AppError::AlreadyAnswered));

    let GuestEvent::Admitted { pass, conference } = guest.next_event().await else { panic!("the guest is let in") };
    assert_eq!(conference.signal_path(), format!("/api/signal?room={room_a}"));
    // Nobody waits any more; Lin shows inside the room, for the map.
    let after = waiting_list(&mut adas_page, |rooms| rooms.iter().all(|r| r.waiting.is_empty())).await;
    assert_eq!(after[0].inside.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["Lin <b>Park</b>"]);

    // The pass opens room A's call, as a guest, and no other room's.
    let mut adas_call = ada.signal_socket(&room_a).await.unwrap();
    adas_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    let guest_client = server.client();
    assert_eq!(refusal_status(guest_client.guest_signal_socket(&room_b, &pass).await), 403);
    assert_eq!(refusal_status(guest_client.guest_signal_socket(&room_a, "made-up-pass").await), 403);
    let mut guests_call = guest_client.guest_signal_socket(&room_a, &pass).await.expect("the guest joins");
    let welcome = guests_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    let SignalEvent::Welcome { participants, .. } = welcome else { unreachable!() };
    assert_eq!(participants.len(), 1, "the guest sees Ada, who is in the call");
    let joined = adas_call.wait_for(|e| matches!(e, SignalEvent::Joined { .. })).await;
    let SignalEvent::Joined { participant } = joined else { unreachable!() };
    assert_eq!((participant.name.as_str(), participant.guest), ("Lin <b>Park</b>", Some(lin.id)));

    // Alan, elsewhere, cannot remove her; Ada, inside, can.
    let remove = RemoveGuest { guest: lin.id };
    assert_eq!(alan.run(remove.clone()).await, Err(AppError::NotInRoom));
    assert_eq!(ada.run(remove).await, Ok(()));
    assert_eq!(guest.next_event().await, GuestEvent::Removed);
    assert!(guest.closed().await, "the guest socket closes after the removal");
    let ended = guests_call.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await;
    assert_eq!(ended, SignalEvent::Ended { reason: "You were removed from the room.".into() });
    adas_call.wait_for(|e| matches!(e, SignalEvent::Left { .. })).await;
    waiting_list(&mut adas_page, |rooms| rooms.is_empty()).await;
    assert_eq!(refusal_status(guest_client.guest_signal_socket(&room_a, &pass).await), 403, "the pass is dead");
    server.stop().await;
}

#[tokio::test]
async fn closing_the_tab_withdraws_the_knock_and_a_denied_guest_is_told() {
    let Office2 { server, ada, room_a, .. } = office().await;
    let mut adas_page = ada.live_socket().await.unwrap();
    let token = invite_token(&ada, &room_a).await;

    let (guest, _) = knock(&server, &token, "Sam", "sam@example.org").await;
    let rooms = waiting_list(&mut adas_page, |rooms| !rooms.is_empty()).await;
    let sam = rooms[0].waiting[0].id;
    drop(guest);
    waiting_list(&mut adas_page, |rooms| rooms.is_empty()).await;
    assert!(matches!(answer(&ada, sam, true).await, Err(AppError::NotFound(_))), "a withdrawn knock is gone");

    let (mut again, _) = knock(&server, &token, "Sam", "sam@example.org").await;
    let rooms = waiting_list(&mut adas_page, |rooms| !rooms.is_empty()).await;
    assert_ne!(rooms[0].waiting[0].id, sam, "knocking again is a new knock");
    assert_eq!(answer(&ada, rooms[0].waiting[0].id, false).await, Ok(1));
    assert_eq!(again.next_event().await, GuestEvent::Denied);
    assert!(again.closed().await);
    server.stop().await;
}

#[tokio::test]
async fn bad_knocks_are_refused_with_a_reason() {
    let Office2 { server, ada, room_a, .. } = office().await;
    let token = invite_token(&ada, &room_a).await;
    let refused = |event: GuestEvent| match event {
        GuestEvent::Refused { error } => error,
        other => panic!("expected a refusal, got {other:?}"),
    };

    let (_, answer) = knock(&server, &token, "Lin", "not-an-email").await;
    assert_eq!(refused(answer).field(), Some("email"));
    let (_, answer) = knock(&server, &token, " ", "lin@example.org").await;
    assert_eq!(refused(answer).field(), Some("name"));
    let (_, answer) = knock(&server, &token, &"x".repeat(81), "lin@example.org").await;
    assert_eq!(refused(answer).field(), Some("name"));
    let (_, answer) = knock(&server, "no-such-link", "Lin", "lin@example.org").await;
    assert_eq!(refused(answer), AppError::InviteInvalid);

    let mut socket = server.client().guest_socket(&token).await.unwrap();
    socket.send_text(r#"{"type":"walk","room":1}"#).await;
    assert_eq!(refused(socket.next_event().await).field(), Some("knock"));

    // One address knocking again and again is stopped.
    let mut open = Vec::new();
    let limited = loop {
        let (socket, answer) = knock(&server, &token, "Lin", "lin@example.org").await;
        match answer {
            GuestEvent::Waiting if open.len() < 20 => open.push(socket),
            other => break refused(other),
        }
    };
    assert_eq!(limited, AppError::TooManyKnocks);
    server.stop().await;
}

/// A guest's browser holds no session: whatever it sends, every member
/// function and socket refuses it, even with its pass offered as a cookie.
#[tokio::test]
async fn a_guest_reaches_nothing_but_their_rooms_call() {
    let Office2 { server, ada, room_a, room_b, .. } = office().await;
    let token = invite_token(&ada, &room_a).await;
    let mut adas_page = ada.live_socket().await.unwrap();
    let (mut guest, _) = knock(&server, &token, "Lin", "lin@example.org").await;
    let rooms = waiting_list(&mut adas_page, |rooms| !rooms.is_empty()).await;
    let lin = rooms[0].waiting[0].id;
    answer(&ada, lin, true).await.unwrap();
    let GuestEvent::Admitted { pass, .. } = guest.next_event().await else { panic!("admitted") };

    let plain = server.client();
    let with_pass_cookie = server.client();
    with_pass_cookie.set_cookie(&format!("anteroom_session={pass}"));
    // Every server function call below must answer NotSignedIn.
    let eve = AddMember {
        name: "Eve".into(),
        email: "eve@example.org".into(),
        password: "long-enough-1".into(),
        is_admin: None,
    };
    for client in [&plain, &with_pass_cookie] {
        let table = [
            client.outcome(LoadOffice {}).await,
            client.outcome(WalkInto { room: room_a }).await,
            client.outcome(WalkInto { room: room_b }).await,
            client.outcome(WalkOut {}).await,
            client.outcome(Me {}).await,
            client.outcome(ListMembers {}).await,
            client.outcome(eve.clone()).await,
            client.outcome(RoomInvite { room: room_a }).await,
            client.outcome(RegenerateRoomInvite { room: room_a }).await,
            client.outcome(AnswerGuests { guests: vec![lin], admit: true }).await,
            client.outcome(RemoveGuest { guest: lin }).await,
        ];
        for (function, result) in table {
            assert_eq!(result, Err(AppError::NotSignedIn), "a guest calling {function}");
        }
        assert_eq!(refusal_status(client.live_socket().await), 401, "the office's live events");
        assert_eq!(refusal_status(client.signal_socket(&room_a).await), 401, "room A's call without the pass");
        assert_eq!(refusal_status(client.guest_signal_socket(&room_b, &pass).await), 403, "room B's call");
    }
    let mut call = plain.guest_signal_socket(&room_a, &pass).await.expect("their own room's call");
    call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    server.stop().await;
}

/// Lin, let into room A's call, with what keeps her visit going.
struct Lin {
    token: String,
    pass: String,
    /// Her guest socket: closing it ends her visit.
    _socket: GuestSocket,
    /// Ada's open office: closing it would take Ada out of the room.
    _adas_page: LiveSocket,
}

/// Lin knocks at room A through its invite link and Grace lets her in.
async fn lin_let_into_room_a(office: &Office2) -> Lin {
    let token = invite_token(&office.ada, &office.room_a).await;
    let (mut socket, _) = knock(&office.server, &token, "Lin Park", "lin@example.org").await;
    let mut adas_page = office.ada.live_socket().await.unwrap();
    let waiting = waiting_list(&mut adas_page, |rooms| !rooms.is_empty()).await;
    answer(&office.grace, waiting[0].waiting[0].id, true).await.unwrap();
    let GuestEvent::Admitted { pass, .. } = socket.next_event().await else { panic!("let in") };
    Lin { token, pass, _socket: socket, _adas_page: adas_page }
}

#[tokio::test]
async fn a_guest_pass_is_one_persons_for_their_own_time_until_the_link_is_replaced() {
    let office = office().await;
    let Lin { token, pass, _socket, _adas_page } = lin_let_into_room_a(&office).await;
    let Office2 { server, ada, grace, room_a, .. } = office;
    let mut adas_call = ada.signal_socket(&room_a).await.unwrap();
    adas_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;

    // In the URL the pass means nothing: only the subprotocol carries it.
    let in_url = format!("{}?room={room_a}&guest={pass}", anteroom_app::protocol::signal::SIGNAL_PATH);
    assert_eq!(refusal_status(server.client().signal_socket_at(&in_url).await), 401);

    // Ada says something before the guest comes in: members who join later
    // read it, the guest does not (they see only their own time).
    adas_call.send_text(r#"{"type":"chat","text":"before Lin came"}"#).await;
    adas_call.wait_for(|e| matches!(e, SignalEvent::Chat { .. })).await;
    let mut graces_call = grace.signal_socket(&room_a).await.unwrap();
    let SignalEvent::Welcome { chat, .. } = graces_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(chat.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["before Lin came"]);

    // One person, one session: a second one (a reconnect) ends the first.
    let mut first = server.client().guest_signal_socket(&room_a, &pass).await.unwrap();
    let SignalEvent::Welcome { chat, .. } = first.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await else {
        unreachable!()
    };
    assert!(chat.is_empty(), "the guest sees none of what was said before: {chat:?}");
    let mut second = server.client().guest_signal_socket(&room_a, &pass).await.unwrap();
    second.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    let ended = first.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await;
    assert_eq!(
        ended,
        SignalEvent::Ended { reason: "You joined this room from another window, so you left it here.".into() }
    );

    // Ada replaces the link: a knock waiting at the old one ends, the pass
    // opens no new session, and Lin's call in progress goes on.
    let (mut sam, first_answer) = knock(&server, &token, "Sam Lee", "sam@example.org").await;
    assert_eq!(first_answer, GuestEvent::Waiting);
    ada.run(RegenerateRoomInvite { room: room_a }).await.unwrap();
    assert_eq!(sam.next_event().await, GuestEvent::Refused { error: AppError::InviteInvalid });
    assert_eq!(refusal_status(server.client().guest_signal_socket(&room_a, &pass).await), 403);
    second.send_text(r#"{"type":"chat","text":"still here"}"#).await;
    let said = adas_call.wait_for(|e| matches!(e, SignalEvent::Chat { .. })).await;
    let SignalEvent::Chat { message } = said else { unreachable!() };
    assert_eq!(message.text, "still here");
    server.stop().await;
}

#[tokio::test]
async fn a_pass_opens_no_call_for_a_room_that_no_longer_exists() {
    let office = office().await;
    let Lin { pass, _socket, _adas_page, .. } = lin_let_into_room_a(&office).await;
    let Office2 { server, room_a, .. } = office;

    // The room goes (as deleting it from the map will); its id is never
    // reused, and the pass opens no call for it.
    let db = anteroom_app::ssr::db::open(&server.database_url).await.unwrap();
    sqlx::query("DELETE FROM rooms WHERE id = ?").bind(room_a.0).execute(&db).await.unwrap();
    assert_eq!(refusal_status(server.client().guest_signal_socket(&room_a, &pass).await), 404);
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_room_empties_it_ends_its_call_and_kills_its_link_knocks_and_passes() {
    let office = office().await;
    let Lin { token, pass, _socket: mut lins_door, _adas_page: _ada_online } = lin_let_into_room_a(&office).await;
    let Office2 { server, ada, grace, alan, room_a, room_b } = office;
    let mut graces_call = grace.signal_socket(&room_a).await.unwrap();
    graces_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    let mut lins_call = server.client().guest_signal_socket(&room_a, &pass).await.unwrap();
    lins_call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    // Sam knocks at room A and waits.
    let (mut sam, first) = knock(&server, &token, "Sam", "sam@example.org").await;
    assert_eq!(first, GuestEvent::Waiting);
    let mut alans_page = alan.live_socket().await.unwrap();

    // Alan, a member outside it, deletes room A in build mode.
    alan.run(DeleteRoom { room: room_a }).await.unwrap();
    let gone = "This room was deleted, so its call ended.".to_string();
    assert_eq!(
        graces_call.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await,
        SignalEvent::Ended { reason: gone.clone() }
    );
    assert_eq!(
        lins_call.wait_for(|e| matches!(e, SignalEvent::Ended { .. })).await,
        SignalEvent::Ended { reason: gone }
    );
    assert_eq!(lins_door.next_event().await, GuestEvent::Refused { error: AppError::RoomGone }, "Lin is told");
    assert_eq!(sam.next_event().await, GuestEvent::Refused { error: AppError::RoomGone }, "Sam's knock ends");
    // Everyone's map loses the room; Ada and Grace are in the lobby.
    let rooms = alans_page.wait_for(|e| matches!(e, LiveEvent::Rooms { .. })).await;
    let LiveEvent::Rooms { rooms } = rooms else { unreachable!() };
    assert!(rooms.iter().all(|r| r.id != room_a) && rooms.iter().any(|r| r.id == room_b));
    let office = ada.run(LoadOffice {}).await.unwrap();
    for name in ["Ada Lovelace", "Grace Hopper"] {
        let presence = office.people.iter().find(|p| p.member.name == name).unwrap();
        assert_eq!(presence.room, None, "{name} is in the lobby");
    }
    // Neither the old link nor the old pass opens anything.
    let dead = server.client().run(OpenInvite { token }).await;
    assert_eq!(dead, Err(AppError::InviteInvalid));
    assert_eq!(refusal_status(server.client().guest_signal_socket(&room_a, &pass).await), 403);
    assert_eq!(alan.run(DeleteRoom { room: room_a }).await, Err(AppError::NotFound("That room".into())));
    server.stop().await;
}
