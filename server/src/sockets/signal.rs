//! The signalling socket, the call's front door: admits one credential to
//! exactly one conference and hands the SFU a ticket for it, then carries
//! that participant's requests (checked and paced here) to their call
//! session and the call's events back. The session ends the moment its
//! holder may no longer be there (they walked out of the room, signed
//! out, were removed, or the place is gone): that is watched here, not in
//! the media plane.

use super::call_limits::{Allowances, MemberSlot, message_allowance};
use super::json::{close, ping, send};
use super::keepalive::Keepalive;
use super::signal_requests::read_request;
use crate::ServerState;
use crate::sfu::mailbox::OUTBOX_LIMIT;
use crate::sfu::session::CallSession;
use crate::sfu::ticket::Holder;
use anteroom_app::error::AppError;
use anteroom_app::model::ConferenceId;
use anteroom_app::model::{ChannelId, ChannelKind, RoomId, WorkspaceId};
use anteroom_app::protocol::LiveEvent;
use anteroom_app::protocol::signal::{PASS_PROTOCOL_PREFIX, SignalEvent, SignalRequest};
use anteroom_app::ssr::accounts::Member;
use anteroom_app::ssr::guests::{GuestPass, GuestStatus};
use anteroom_app::ssr::sessions::{SessionEnds, SessionId};
use anteroom_app::ssr::workspace_news::ChannelNews;
use anteroom_app::ssr::{auth, channels, office, policy};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

/// Messages above this are not even read; between the signalling limit and
/// this, the sender gets an error and the call goes on.
const HARD_MESSAGE_LIMIT: usize = 1024 * 1024;

/// Names the conference: a room's (`room=`) or a meeting channel's
/// (`channel=`), exactly one of them. Members are known by their session
/// cookie, guests by the pass in the socket's subprotocol.
#[derive(serde::Deserialize)]
pub struct SignalQuery {
    room: Option<RoomId>,
    channel: Option<ChannelId>,
}

/// The subprotocol that carries a guest's pass, if the browser offered one.
fn offered_pass_protocol(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .find(|protocol| protocol.starts_with(PASS_PROTOCOL_PREFIX))
        .map(str::to_string)
}

impl SignalQuery {
    fn conference(&self) -> Result<ConferenceId, AppError> {
        match (self.room, self.channel) {
            (Some(room), None) => Ok(ConferenceId::Room(room)),
            (None, Some(channel)) => Ok(ConferenceId::Channel(channel)),
            _ => Err(AppError::invalid("conference", "Name one room or one channel to join its call.")),
        }
    }
}

/// Who the participant is, as admitted.
struct Admission {
    attendee: Attendee,
    conference: ConferenceId,
}

enum Attendee {
    /// A member, and the sign-in session their socket was opened with.
    Member(Member, SessionId),
    Guest(GuestPass),
}

impl Admission {
    fn workspace(&self) -> anteroom_app::model::WorkspaceId {
        match &self.attendee {
            Attendee::Member(member, _) => member.workspace_id,
            Attendee::Guest(pass) => pass.guest.workspace,
        }
    }

    /// Who the call's ticket admits.
    fn holder(&self) -> Holder {
        match &self.attendee {
            Attendee::Member(member, _) => Holder::Member { id: member.id, name: member.name.clone() },
            Attendee::Guest(pass) => {
                Holder::Guest { id: pass.guest.id, name: pass.guest.name.clone(), email: pass.guest.email.clone() }
            }
        }
    }
}

pub async fn upgrade(
    State(state): State<ServerState>,
    Query(query): Query<SignalQuery>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !crate::web::cross_site::socket_from_own_site(&headers) {
        return (StatusCode::FORBIDDEN, "Signalling from other sites is refused.").into_response();
    }
    let pass_protocol = offered_pass_protocol(&headers);
    match admit(&state, &headers, query, pass_protocol.as_deref(), client.ip()).await {
        Ok(admission) => {
            let sockets = state.sockets.clone();
            let upgrade = super::json::bounded(upgrade.protocols(pass_protocol), HARD_MESSAGE_LIMIT);
            super::json::open(upgrade, &sockets, move |socket| run(socket, state, admission))
        }
        Err(error) => {
            let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, error.to_string()).into_response()
        }
    }
}

/// Decides whether this request may join the conference: for a room's, a
/// member inside the room; for a meeting channel's, any member of its
/// workspace; for either, a guest whose pass is for exactly that call,
/// presented from where they knocked.
async fn admit(
    state: &ServerState,
    headers: &HeaderMap,
    query: SignalQuery,
    pass_protocol: Option<&str>,
    client: IpAddr,
) -> Result<Admission, AppError> {
    let conference = query.conference()?;
    if let Some(protocol) = pass_protocol {
        let pass = protocol.strip_prefix(PASS_PROTOCOL_PREFIX).unwrap_or_default();
        let pass = state.app.guests.pass(pass, client, conference)?;
        let workspace = pass.guest.workspace;
        let principal = policy::Principal::Guest { workspace, conference: pass.guest.conference };
        let action = match conference {
            ConferenceId::Room(_) => {
                policy::Action::JoinRoomCall { workspace, inside_room: pass.guest.conference == conference }
            }
            ConferenceId::Channel(channel) => policy::Action::JoinChannelCall { workspace, channel },
        };
        policy::check(&principal, action)?;
        // A pass outlives nothing it was for: a deleted room or channel
        // (whose id is never given to another) opens no call.
        place_exists(state, workspace, conference).await?;
        return Ok(Admission { attendee: Attendee::Guest(pass), conference });
    }
    let principal = auth::principal_from_headers(&state.app, headers).await?;
    let member = principal.member()?.clone();
    let session = auth::session_token(&state.app, headers).ok_or(AppError::NotSignedIn)?.id();
    let workspace = member.workspace_id;
    place_exists(state, workspace, conference).await?;
    let action = match conference {
        ConferenceId::Room(room) => {
            let inside_room = state.app.presence.room_of(member.id) == Some(room);
            policy::Action::JoinRoomCall { workspace, inside_room }
        }
        ConferenceId::Channel(channel) => policy::Action::JoinChannelCall { workspace, channel },
    };
    policy::check(&principal, action)?;
    Ok(Admission { attendee: Attendee::Member(member, session), conference })
}

/// The room, or meeting channel, of the call exists in the workspace.
async fn place_exists(state: &ServerState, workspace: WorkspaceId, conference: ConferenceId) -> Result<(), AppError> {
    match conference {
        ConferenceId::Room(room) => match office::room(&state.app.db, workspace, room).await? {
            Some(_) => Ok(()),
            None => Err(AppError::NotFound("That room".into())),
        },
        ConferenceId::Channel(channel) => match channels::channel(&state.app.db, workspace, channel).await? {
            Some(found) if found.kind == ChannelKind::Meeting => Ok(()),
            _ => Err(AppError::NotFound("That meeting channel".into())),
        },
    }
}

/// Whether one more session fits: the call's size, and for a member their
/// number of sessions (whose slot is held until this session ends).
fn room_for_one_more(state: &ServerState, admission: &Admission) -> Result<Option<MemberSlot>, String> {
    let limits = &state.call_limits;
    if state.sfu.participants_in(admission.conference) >= limits.max_participants {
        return Err(format!("This call is full ({} people). Try again when someone leaves.", limits.max_participants));
    }
    match &admission.attendee {
        Attendee::Member(member, _) => limits.member_slot(member.id).map(Some).ok_or_else(|| {
            format!(
                "You are in calls in {} windows already. Hang up in one of them to join here.",
                limits.max_sessions_per_member()
            )
        }),
        Attendee::Guest(_) => Ok(None),
    }
}

async fn run(mut socket: WebSocket, state: ServerState, mut admission: Admission) {
    let _slot = match room_for_one_more(&state, &admission) {
        Ok(slot) => slot,
        Err(reason) => {
            send(&mut socket, &SignalEvent::Ended { reason }).await;
            return;
        }
    };
    let mut presence = state.app.presence.subscribe();
    let mut channel_changes = state.app.workspace_news.subscribe_channels();
    let mut shutdown = state.shutdown.clone();
    let mut session_ends = state.app.session_ends.subscribe();
    let ticket = state.tickets.issue(admission.conference, admission.holder());
    let (outbox, mut events) = mpsc::channel(OUTBOX_LIMIT);
    let call = match CallSession::join(&state.sfu, &ticket, outbox).await {
        Ok(call) => call,
        Err(error) => {
            tracing::error!(%error, "could not join a call");
            send(&mut socket, &SignalEvent::Ended { reason: error.to_string() }).await;
            return;
        }
    };
    let id = call.id;
    // Re-check after subscribing, so a walk-out that raced the join is not missed.
    let mut ended = still_allowed(&state, &admission).err();
    let mut keepalive = Keepalive::default();
    let allowance = message_allowance();
    let allowances = Allowances::default();

    while ended.is_none() {
        tokio::select! {
            alive = keepalive.ping_due() => {
                if !alive {
                    tracing::info!(participant = %id, "dropping a silent participant");
                    break;
                }
                if !ping(&mut socket).await {
                    break;
                }
            }
            () = call.failed() => {
                // Closing without `Ended` makes a live browser rejoin from scratch.
                tracing::info!(participant = %id, "a media link failed, or the browser stopped reading");
                break;
            }
            Some(event) = events.recv() => {
                // A browser whose queue overflowed while this write waits
                // is dropped at once, not when the write gives up.
                let sent = tokio::select! {
                    sent = send(&mut socket, &event) => sent,
                    () = call.failed() => false,
                };
                if !sent {
                    tracing::info!(participant = %id, "dropping a participant who stopped reading");
                    break;
                }
            }
            incoming = socket.recv() => match incoming.inspect(|_| keepalive.heard()) {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Text(text))) => match allowance.check() {
                    Ok(()) => match allowed_request(&text, &allowances) {
                        Ok(request) => call.handle(request).await,
                        Err(reason) => call.tell(SignalEvent::Error { reason }),
                    },
                    Err(_) => call.tell(SignalEvent::Error { reason: "Too many messages at once; that one was dropped.".into() }),
                },
                Some(Ok(Message::Binary(_))) => call.tell(SignalEvent::Error { reason: "Signalling messages are JSON text.".into() }),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            },
            () = guest_pass_changed(&mut admission.attendee) => {
                ended = still_allowed(&state, &admission).err();
            }
            event = presence.recv() => {
                let Attendee::Member(member, _) = &admission.attendee else { continue };
                let relevant = match event {
                    Ok(event) => matches!(&event.event,
                        LiveEvent::Moved { presence } if presence.member.id == member.id)
                        || matches!(&event.event, LiveEvent::WentOffline { member: gone } if *gone == member.id),
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => false,
                };
                if relevant {
                    ended = still_allowed(&state, &admission).err();
                }
            }
            change = channel_changes.recv() => {
                let ConferenceId::Channel(channel) = admission.conference else { continue };
                let deleted = match change {
                    Ok(ChannelNews::Listed { workspace, channels }) if workspace == admission.workspace() => {
                        !channels.iter().any(|listed| listed.id == channel)
                    }
                    Ok(_) | Err(RecvError::Closed) => false,
                    // Some news was missed: read what it could have said.
                    Err(RecvError::Lagged(_)) => {
                        matches!(channels::channel(&state.app.db, admission.workspace(), channel).await, Ok(None))
                    }
                };
                if deleted {
                    ended = Some("This channel was deleted, so its call ended.".to_string());
                }
            }
            heard = session_ends.recv() => {
                if let Attendee::Member(member, session) = &admission.attendee
                    && SessionEnds::ended_for(&state.app.db, member.id, session, heard).await
                {
                    ended = Some("You were signed out, so you left the call.".to_string());
                }
            }
            _ = shutdown.changed() => {
                ended = Some("The server is restarting. Rejoin in a moment.".to_string());
            }
        }
    }
    // Put out of a room's call because the room itself was deleted: say so.
    if let (Some(reason), ConferenceId::Room(room)) = (ended.as_mut(), admission.conference)
        && matches!(office::room(&state.app.db, admission.workspace(), room).await, Ok(None))
    {
        *reason = "This room was deleted, so its call ended.".to_string();
    }
    if let Some(reason) = ended {
        while let Ok(event) = events.try_recv() {
            send(&mut socket, &event).await;
        }
        send(&mut socket, &SignalEvent::Ended { reason }).await;
        close(&mut socket).await;
    }
    let removed = matches!(&admission.attendee, Attendee::Guest(pass) if *pass.status.borrow() == GuestStatus::Removed);
    call.leave(removed).await;
}

/// Whether the participant may still be in the call; the reason if not.
/// A member stays in a room's call while inside the room, and in a
/// channel's call until they hang up; a guest until removed or gone.
fn still_allowed(state: &ServerState, admission: &Admission) -> Result<(), String> {
    let place = match admission.conference {
        ConferenceId::Room(_) => "room",
        ConferenceId::Channel(_) => "call",
    };
    match (&admission.attendee, admission.conference) {
        (Attendee::Member(member, _), ConferenceId::Room(room)) => {
            if state.app.presence.room_of(member.id) == Some(room) {
                Ok(())
            } else {
                Err("You left the room, so you left its call.".into())
            }
        }
        (Attendee::Member(..), ConferenceId::Channel(_)) => Ok(()),
        (Attendee::Guest(pass), _) => {
            if pass.superseded() {
                return Err(format!("You joined this {place} from another window, so you left it here."));
            }
            if tokio::time::Instant::now() >= pass.expires {
                return Err("Your visit's time is up. Open the link again to come back.".into());
            }
            match &*pass.status.borrow() {
                GuestStatus::Admitted { .. } => Ok(()),
                GuestStatus::Removed => Err(format!("You were removed from the {place}.")),
                _ => Err(format!("You left the {place}.")),
            }
        }
    }
}

/// Completes when a guest's admission changes (removed, their guest socket
/// closed, a newer session took the pass, the visit's time ran out); never
/// for a member.
async fn guest_pass_changed(attendee: &mut Attendee) {
    match attendee {
        // An error means the desk forgot the guest; their last status
        // (gone) tells the caller the rest.
        Attendee::Guest(pass) => tokio::select! {
            changed = pass.status.changed() => changed.unwrap_or(()),
            changed = pass.sessions.changed() => changed.unwrap_or(()),
            () = tokio::time::sleep_until(pass.expires) => {}
        },
        Attendee::Member(..) => std::future::pending().await,
    }
}

/// The request in `text`, if it is well formed and within the sender's
/// allowances (renegotiations and chat each have their own pace).
fn allowed_request(text: &str, allowances: &Allowances) -> Result<SignalRequest, String> {
    let request = read_request(text)?;
    match request {
        SignalRequest::PublishOffer { .. } if allowances.offers.check().is_err() => {
            Err("Your browser is renegotiating too often: that offer was not taken. Wait a moment.".into())
        }
        SignalRequest::Chat { .. } if allowances.chat.check().is_err() => {
            Err("You are sending chat messages too fast: that one was not sent. Wait a moment.".into())
        }
        request => Ok(request),
    }
}
