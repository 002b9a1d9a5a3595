//! The live-event websocket: tells an open page who is where, which guests
//! are waiting at or inside which room, and which inboxes the member may
//! see, as it changes. It only sends; it accepts no requests from the
//! browser (answers to guests go through server functions).

use crate::ServerState;
use crate::json_socket::send;
use anteroom_app::model::{InboxId, MyInbox};
use anteroom_app::protocol::guest::RoomGuests;
use anteroom_app::protocol::{LiveEvent, MAX_CLIENT_MESSAGE_BYTES};
use anteroom_app::ssr::accounts::Member;
use anteroom_app::ssr::inbox_news::InboxChange;
use anteroom_app::ssr::{auth, inboxes, policy};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

pub async fn upgrade(State(state): State<ServerState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    if !crate::origin::same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "Live sockets from other sites are refused.").into_response();
    }
    let principal = match auth::principal_from_headers(&state.app.db, &headers).await {
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
    upgrade.max_message_size(MAX_CLIENT_MESSAGE_BYTES).on_upgrade(move |socket| serve(socket, state, member))
}

async fn serve(mut socket: WebSocket, state: ServerState, member: Member) {
    let presence = &state.app.presence;
    // Subscribe before taking the snapshots so no change falls in between.
    let mut events = presence.subscribe();
    let mut guest_changes = state.app.guests.subscribe();
    let mut inbox_changes = state.app.inbox_news.subscribe();
    let snapshot = presence.socket_opened(&member);
    let mut shutdown = state.shutdown.clone();
    let mut guests = GuestsView::default();
    let mut inboxes = InboxesView::default();
    if send(&mut socket, &LiveEvent::Snapshot { people: snapshot }).await
        && guests.send_if_changed(&mut socket, &state, &member).await
        && inboxes.send_if_changed(&mut socket, &state, &member).await
    {
        loop {
            let keep_going = tokio::select! {
                event = events.recv() => match event {
                    Ok(event) if event.workspace == member.workspace_id => {
                        // Our own member going offline while this socket is open
                        // means they signed out: tell the page, then hang up.
                        let signed_out = event.event == LiveEvent::WentOffline { member: member.id };
                        // Walking changes which guests' emails this member sees.
                        let walked = matches!(&event.event, LiveEvent::Moved { presence } if presence.member.id == member.id);
                        send(&mut socket, &event.event).await
                            && !signed_out
                            && (!walked || guests.send_if_changed(&mut socket, &state, &member).await)
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
                    Ok(_) | Err(RecvError::Lagged(_)) => guests.send_if_changed(&mut socket, &state, &member).await,
                    Err(RecvError::Closed) => false,
                },
                change = inbox_changes.recv() => match change {
                    Ok(change) if change.workspace() != member.workspace_id => true,
                    Ok(InboxChange::Mail(_, inbox)) => {
                        !may_read(&state, &member, inbox).await || send(&mut socket, &LiveEvent::InboxMail { inbox }).await
                    }
                    Ok(InboxChange::Access(_)) | Err(RecvError::Lagged(_)) => {
                        inboxes.send_if_changed(&mut socket, &state, &member).await
                    }
                    Err(RecvError::Closed) => false,
                },
                incoming = socket.recv() => match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => false,
                    Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                        let reason = "This socket only sends live events; it accepts no messages.".to_string();
                        send(&mut socket, &LiveEvent::Refused { reason }).await
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => true,
                },
                _ = shutdown.changed() => false,
            };
            if !keep_going {
                break;
            }
        }
    }
    presence.socket_closed(&member);
}

/// The guests at the workspace's rooms as this socket last told
/// its member, so only real changes are sent.
#[derive(Default)]
struct GuestsView {
    last_sent: Option<Vec<RoomGuests>>,
}

impl GuestsView {
    /// Sends the member's current view of the guests, if it changed;
    /// false when the socket is gone.
    async fn send_if_changed(&mut self, socket: &mut WebSocket, state: &ServerState, member: &Member) -> bool {
        let rooms = state.app.guests.by_room(member.workspace_id, state.app.presence.room_of(member.id));
        if self.last_sent.as_ref() == Some(&rooms) {
            return true;
        }
        self.last_sent = Some(rooms.clone());
        send(socket, &LiveEvent::Guests { rooms }).await
    }
}

/// The inboxes in the member's sidebar as this socket last told them.
#[derive(Default)]
struct InboxesView {
    last_sent: Option<Vec<MyInbox>>,
}

impl InboxesView {
    /// Sends the member's inbox list, read fresh, if it changed; false when
    /// the socket is gone.
    async fn send_if_changed(&mut self, socket: &mut WebSocket, state: &ServerState, member: &Member) -> bool {
        let visible = match inboxes::visible_to(&state.app.db, member.id).await {
            Ok(visible) => visible,
            Err(error) => {
                tracing::error!(%error, "could not read a member's inboxes");
                return true;
            }
        };
        if self.last_sent.as_ref() == Some(&visible) {
            return true;
        }
        self.last_sent = Some(visible.clone());
        send(socket, &LiveEvent::Inboxes { inboxes: visible }).await
    }
}

/// Whether the member may read the inbox right now.
async fn may_read(state: &ServerState, member: &Member, inbox: InboxId) -> bool {
    match inboxes::access(&state.app.db, member, inbox).await {
        Ok(Some((_, access))) => policy::check_inbox(access, policy::InboxAction::Read).is_ok(),
        Ok(None) => false,
        Err(error) => {
            tracing::error!(%error, "could not read a member's inbox access");
            false
        }
    }
}
