//! The live-event websocket: tells an open page who is where, which guests
//! are waiting at or inside which room, which inboxes the member may see,
//! and who is in which meeting channel's call, as it changes. It only sends; it accepts no requests from the
//! browser (answers to guests go through server functions).

use super::json::{ping, send};
use super::keepalive::Keepalive;
use crate::ServerState;
use anteroom_app::model::{Channel, ChannelKind, MyInbox};
use anteroom_app::protocol::guest::RoomGuests;
use anteroom_app::protocol::live::ChannelCall;
use anteroom_app::protocol::{LiveEvent, MAX_CLIENT_MESSAGE_BYTES};
use anteroom_app::ssr::accounts::Member;
use anteroom_app::ssr::inbox_news::InboxChange;
use anteroom_app::ssr::sessions::{SessionEnds, SessionId};
use anteroom_app::ssr::workspace_news::{ChannelNews, RoomNews};
use anteroom_app::ssr::{auth, inboxes, office, policy};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

pub async fn upgrade(State(state): State<ServerState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    if !crate::web::cross_site::socket_from_own_site(&headers) {
        return (StatusCode::FORBIDDEN, "Live sockets from other sites are refused.").into_response();
    }
    let principal = match auth::principal_from_headers(&state.app, &headers).await {
        Ok(principal) => principal,
        Err(error) => return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    };
    let member = match principal.member() {
        Ok(member) => member.clone(),
        Err(error) => return (StatusCode::UNAUTHORIZED, error.to_string()).into_response(),
    };
    if let Err(error) = policy::check(&principal, policy::Action::ViewOffice(member.workspace_id)) {
        return (StatusCode::FORBIDDEN, error.to_string()).into_response();
    }
    let Some(session) = auth::session_token(&state.app, &headers).map(|token| token.id()) else {
        return (StatusCode::UNAUTHORIZED, "Sign in first.").into_response();
    };
    let sockets = state.sockets.clone();
    let upgrade = super::json::bounded(upgrade, MAX_CLIENT_MESSAGE_BYTES);
    super::json::open(upgrade, &sockets, move |socket| serve(socket, state, member, session))
}

async fn serve(mut socket: WebSocket, state: ServerState, member: Member, session: SessionId) {
    let presence = &state.app.presence;
    // Subscribe before taking the snapshots so no change falls in between.
    let mut events = presence.subscribe();
    let mut guest_changes = state.app.guests.subscribe();
    let mut inbox_changes = state.app.inbox_news.subscribe();
    let mut call_changes = state.sfu.subscribe_calls();
    let mut channel_changes = state.app.workspace_news.subscribe_channels();
    let mut office_changes = state.app.workspace_news.subscribe_rooms();
    let mut session_ends = state.app.session_ends.subscribe();
    let mut channel_list = LastSent::default();
    let snapshot = presence.socket_opened(&member);
    let mut shutdown = state.shutdown.clone();
    let mut guests = LastSent::default();
    let mut inboxes = LastSent::default();
    let mut calls = LastSent::default();
    let rooms = |rooms| LiveEvent::Guests { rooms };
    let sidebar = |inboxes| LiveEvent::Inboxes { inboxes };
    let in_calls = |calls| LiveEvent::Calls { calls };
    let opened = send(&mut socket, &LiveEvent::Snapshot { people: snapshot }).await
        && guests.send_if_changed(&mut socket, guests_now(&state, &member), rooms).await
        && match inboxes_now(&state, &member).await {
            Some(now) => inboxes.send_if_changed(&mut socket, now, sidebar).await,
            None => true,
        }
        && channels_and_calls(&mut socket, &state, &mut channel_list, &mut calls, channels_now(&state, &member).await)
            .await;
    // A browser that vanished (lid shut, network gone) would otherwise stay
    // "online" on everyone's map until TCP gives up, minutes later.
    let mut keepalive = Keepalive::default();
    if opened {
        loop {
            let keep_going = tokio::select! {
                alive = keepalive.ping_due() => alive && ping(&mut socket).await,
                event = events.recv() => match event {
                    Ok(event) if event.workspace == member.workspace_id => {
                        // Our own member going offline while this socket is open
                        // means they signed out: tell the page, then hang up.
                        let signed_out = event.event == LiveEvent::WentOffline { member: member.id };
                        // Walking changes which guests' emails this member sees.
                        let walked = matches!(&event.event, LiveEvent::Moved { presence } if presence.member.id == member.id);
                        send(&mut socket, &event.event).await
                            && !signed_out
                            && (!walked || guests.send_if_changed(&mut socket, guests_now(&state, &member), rooms).await)
                    }
                    Ok(_) => true,
                    Err(RecvError::Lagged(_)) => {
                        let people = presence.snapshot(member.workspace_id);
                        send(&mut socket, &LiveEvent::Snapshot { people }).await
                    }
                    Err(RecvError::Closed) => false,
                },
                change = guest_changes.recv() => match change {
                    Ok(workspace) if workspace != member.workspace_id => true,
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        guests.send_if_changed(&mut socket, guests_now(&state, &member), rooms).await
                    }
                    Err(RecvError::Closed) => false,
                },
                // The news carries what changed, read once for every page;
                // only a page that missed some (lagged) reads for itself.
                change = inbox_changes.recv() => match change {
                    Ok(change) if change.workspace() != member.workspace_id => true,
                    Ok(InboxChange::Mail { inbox, readers, .. }) => {
                        !readers.contains(&member.id) || send(&mut socket, &LiveEvent::InboxMail { inbox }).await
                    }
                    Ok(InboxChange::Access { sidebars, .. }) => {
                        let now = sidebars.get(&member.id).cloned().unwrap_or_default();
                        inboxes.send_if_changed(&mut socket, now, sidebar).await
                    }
                    Err(RecvError::Lagged(_)) => match inboxes_now(&state, &member).await {
                        Some(now) => inboxes.send_if_changed(&mut socket, now, sidebar).await,
                        None => true,
                    },
                    Err(RecvError::Closed) => false,
                },
                change = channel_changes.recv() => match change {
                    Ok(ChannelNews::Listed { workspace, channels }) if workspace == member.workspace_id => {
                        let now = Some(channels.as_ref().clone());
                        channels_and_calls(&mut socket, &state, &mut channel_list, &mut calls, now).await
                    }
                    Ok(ChannelNews::Message { workspace, message, posted }) if workspace == member.workspace_id => {
                        send(&mut socket, &LiveEvent::Message { message: message.as_ref().clone(), posted }).await
                    }
                    Ok(_) => true,
                    Err(RecvError::Lagged(_)) => {
                        let now = channels_now(&state, &member).await;
                        channels_and_calls(&mut socket, &state, &mut channel_list, &mut calls, now).await
                            && send(&mut socket, &LiveEvent::MessagesMissed).await
                    }
                    Err(RecvError::Closed) => false,
                },
                change = office_changes.recv() => match change {
                    Ok(RoomNews { workspace, .. }) if workspace != member.workspace_id => true,
                    Ok(RoomNews { rooms, .. }) => send(&mut socket, &LiveEvent::Rooms { rooms: rooms.as_ref().clone() }).await,
                    Err(RecvError::Lagged(_)) => match office::rooms(&state.app.db, member.workspace_id).await {
                        Ok(rooms) => send(&mut socket, &LiveEvent::Rooms { rooms }).await,
                        Err(error) => {
                            tracing::error!(%error, "reading the office's rooms for a live socket");
                            true
                        }
                    },
                    Err(RecvError::Closed) => false,
                },
                change = call_changes.recv() => match change {
                    Ok(()) | Err(RecvError::Lagged(_)) => {
                        calls.send_if_changed(&mut socket, calls_now(&state, &channel_list), in_calls).await
                    }
                    Err(RecvError::Closed) => false,
                },
                incoming = socket.recv() => match incoming.inspect(|_| keepalive.heard()) {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => false,
                    Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                        let reason = "This socket only sends live events; it accepts no messages.".to_string();
                        send(&mut socket, &LiveEvent::Refused { reason }).await
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => true,
                },
                heard = session_ends.recv() => {
                    // The page's session ended (signed out here or everywhere,
                    // or the password changed): it goes to sign-in.
                    !SessionEnds::ended_for(&state.app.db, member.id, &session, heard).await || {
                        send(&mut socket, &LiveEvent::SignedOut).await;
                        false
                    }
                }
                _ = shutdown.changed() => false,
            };
            if !keep_going {
                break;
            }
        }
    }
    presence.socket_closed(&member);
}

/// What this socket last sent of one kind of list, so only real changes
/// go out.
struct LastSent<T>(Option<T>);

impl<T> Default for LastSent<T> {
    fn default() -> Self {
        LastSent(None)
    }
}

impl<T: PartialEq + Clone> LastSent<T> {
    /// Sends `event(now)` if `now` differs from what went last; false when
    /// the socket is gone.
    async fn send_if_changed(&mut self, socket: &mut WebSocket, now: T, event: impl FnOnce(T) -> LiveEvent) -> bool {
        if self.0.as_ref() == Some(&now) {
            return true;
        }
        self.0 = Some(now.clone());
        send(socket, &event(now)).await
    }
}

/// The guests at the workspace's rooms as the member sees them (emails only
/// for the room they are in).
fn guests_now(state: &ServerState, member: &Member) -> Vec<RoomGuests> {
    state.app.guests.by_room(member.workspace_id, state.app.presence.room_of(member.id))
}

/// The inboxes in the member's sidebar, read fresh; `None` if the database
/// could not say (nothing is sent then).
async fn inboxes_now(state: &ServerState, member: &Member) -> Option<Vec<MyInbox>> {
    inboxes::visible_to(&state.app.db, member.id)
        .await
        .inspect_err(|error| tracing::error!(%error, "could not read a member's inboxes"))
        .ok()
}

/// The workspace's channels, read fresh; `None` if the database could not
/// say (nothing is sent then).
async fn channels_now(state: &ServerState, member: &Member) -> Option<Vec<Channel>> {
    office::channels(&state.app.db, member.workspace_id)
        .await
        .inspect_err(|error| tracing::error!(%error, "could not read the workspace's channels"))
        .ok()
}

/// Sends the workspace's channels if they changed (`now`; nothing when
/// they could not be read), then the calls going on in its meeting
/// channels: a new channel list can change which calls this page may see.
/// False when the socket is gone.
async fn channels_and_calls(
    socket: &mut WebSocket,
    state: &ServerState,
    listed: &mut LastSent<Vec<Channel>>,
    calls: &mut LastSent<Vec<ChannelCall>>,
    now: Option<Vec<Channel>>,
) -> bool {
    let Some(now) = now else { return true };
    listed.send_if_changed(socket, now, |channels| LiveEvent::Channels { channels }).await
        && calls.send_if_changed(socket, calls_now(state, listed), |calls| LiveEvent::Calls { calls }).await
}

/// The calls going on in the meeting channels this socket last listed.
fn calls_now(state: &ServerState, listed: &LastSent<Vec<Channel>>) -> Vec<ChannelCall> {
    let ours =
        |call: &ChannelCall| listed.0.iter().flatten().any(|c| c.id == call.channel && c.kind == ChannelKind::Meeting);
    state.sfu.channel_calls().into_iter().filter(ours).collect()
}
