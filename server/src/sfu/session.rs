//! The signalling socket: admits one credential to exactly one conference,
//! then carries that participant's negotiation, mute state and chat. Every
//! message acts only on the sender's own peer in its own conference, and the
//! session ends the moment its holder may no longer be there (they walked
//! out of the room or signed out).

use super::peer::Peer;
use crate::ServerState;
use anteroom_app::error::AppError;
use anteroom_app::model::RoomId;
use anteroom_app::protocol::LiveEvent;
use anteroom_app::protocol::signal::{
    ConferenceId, MAX_CHAT_CHARS, MAX_SIGNAL_MESSAGE_BYTES, Participant, SignalEvent, SignalRequest,
};
use anteroom_app::ssr::accounts::Member;
use anteroom_app::ssr::{auth, office, policy};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Messages above this are not even read; between the signalling limit and
/// this, the sender gets an error and the call goes on.
const HARD_MESSAGE_LIMIT: usize = 1024 * 1024;
/// The server pings every participant this often...
const PING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15);
/// ...and drops one it has heard nothing from for this long (a vanished
/// browser whose TCP connection never closed).
const SILENCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(45);

#[derive(serde::Deserialize)]
pub struct SignalQuery {
    room: RoomId,
}

/// Who the participant is, as admitted.
struct Admission {
    member: Member,
    conference: ConferenceId,
}

pub async fn upgrade(
    State(state): State<ServerState>,
    Query(query): Query<SignalQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !crate::origin::same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "Signalling from other sites is refused.").into_response();
    }
    match admit(&state, &headers, query.room).await {
        Ok(admission) => {
            upgrade.max_message_size(HARD_MESSAGE_LIMIT).on_upgrade(move |socket| run(socket, state, admission))
        }
        Err(error) => {
            let status = match error {
                AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::FORBIDDEN,
            };
            (status, error.to_string()).into_response()
        }
    }
}

/// Decides whether this request may join the room's conference.
async fn admit(state: &ServerState, headers: &HeaderMap, room: RoomId) -> Result<Admission, AppError> {
    let principal = auth::principal_from_headers(&state.app.db, headers).await?;
    let member = principal.member()?.clone();
    if office::room(&state.app.db, member.workspace_id, room).await?.is_none() {
        return Err(AppError::NotFound("That room".into()));
    }
    let inside_room = state.app.presence.room_of(member.id) == Some(room);
    policy::check(&principal, policy::Action::JoinRoomCall { workspace: member.workspace_id, inside_room })?;
    Ok(Admission { member, conference: ConferenceId::Room(room) })
}

async fn run(mut socket: WebSocket, state: ServerState, admission: Admission) {
    let sfu = state.sfu.clone();
    let (outbox, mut events) = mpsc::unbounded_channel();
    let id = sfu.next_participant_id();
    let peer = match Peer::new(&sfu.engine, id, outbox).await {
        Ok(peer) => peer,
        Err(error) => {
            tracing::error!(%error, "could not create peer connections");
            let _ =
                send(&mut socket, &SignalEvent::Ended { reason: "The media server could not start your call.".into() })
                    .await;
            return;
        }
    };
    let conference = sfu.conference(admission.conference);
    let participant = Participant {
        id,
        name: admission.member.name.clone(),
        is_guest: false,
        audio_muted: false,
        video_muted: false,
        streams: Vec::new(),
    };
    let mut presence = state.app.presence.subscribe();
    let mut shutdown = state.shutdown.clone();
    tracing::info!(conference = ?admission.conference, participant = %id, member = %admission.member.id, "joined call");
    conference.join(peer.clone(), participant, sfu.ice_servers()).await;
    // Re-check after subscribing, so a walk-out that raced the join is not missed.
    let mut ended = still_allowed(&state, &admission).err();
    let mut ping = tokio::time::interval(PING_INTERVAL);
    let mut last_heard = tokio::time::Instant::now();

    while ended.is_none() {
        tokio::select! {
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    tracing::info!(participant = %id, "dropping a silent participant");
                    break;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
            _ = peer.failed.notified() => {
                // Closing without `Ended` makes a live browser rejoin from scratch.
                tracing::info!(participant = %id, "a media link failed");
                break;
            }
            Some(event) = events.recv() => {
                if !send(&mut socket, &event).await {
                    break;
                }
            }
            incoming = socket.recv() => match incoming.inspect(|_| last_heard = tokio::time::Instant::now()) {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Text(text))) => handle(&conference, &peer, text.as_str()).await,
                Some(Ok(Message::Binary(_))) => peer.send(SignalEvent::Error { reason: "Signalling messages are JSON text.".into() }),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            },
            event = presence.recv() => {
                let relevant = match event {
                    Ok(event) => matches!(&event.event,
                        LiveEvent::Moved { presence } if presence.member.id == admission.member.id)
                        || matches!(&event.event, LiveEvent::WentOffline { member } if *member == admission.member.id),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => false,
                };
                if relevant {
                    ended = still_allowed(&state, &admission).err();
                }
            }
            _ = shutdown.changed() => {
                ended = Some("The server is restarting. Rejoin in a moment.".to_string());
            }
        }
    }
    if let Some(reason) = ended {
        while let Ok(event) = events.try_recv() {
            send(&mut socket, &event).await;
        }
        send(&mut socket, &SignalEvent::Ended { reason }).await;
    }
    tracing::info!(conference = ?admission.conference, participant = %id, "left call");
    conference.leave(id).await;
}

/// Whether the participant may still be in the call; the reason if not.
fn still_allowed(state: &ServerState, admission: &Admission) -> Result<(), String> {
    let ConferenceId::Room(room) = admission.conference;
    if state.app.presence.room_of(admission.member.id) == Some(room) {
        Ok(())
    } else {
        Err("You left the room, so you left its call.".into())
    }
}

/// Acts on one message from the participant. Errors go back to the sender
/// only; the conference carries on.
async fn handle(conference: &Arc<super::conference::Conference>, peer: &Arc<Peer>, text: &str) {
    let refuse = |reason: String| peer.send(SignalEvent::Error { reason });
    if text.len() > MAX_SIGNAL_MESSAGE_BYTES {
        return refuse(format!(
            "That message is too large ({} bytes; the limit is {MAX_SIGNAL_MESSAGE_BYTES}).",
            text.len()
        ));
    }
    let request = match serde_json::from_str::<SignalRequest>(text) {
        Ok(request) => request,
        Err(error) => return refuse(format!("Could not read that message: {error}")),
    };
    match request {
        SignalRequest::PublishOffer { sdp, screen_stream } => {
            conference.set_screen_stream(peer.id, screen_stream);
            if let Err(error) = peer.accept_publish_offer(sdp).await {
                refuse(error.to_string());
            }
        }
        SignalRequest::SubscribeAnswer { sdp } => match peer.accept_subscribe_answer(sdp).await {
            Ok(()) => conference.request_keyframes(peer.id),
            Err(error) => refuse(error.to_string()),
        },
        SignalRequest::Candidate { link, candidate } => peer.add_candidate(link, candidate).await,
        SignalRequest::Mute { audio, video } => conference.set_muted(peer.id, audio, video),
        SignalRequest::StopScreen => conference.stop_screen(peer.id).await,
        SignalRequest::Chat { text } => {
            let text = text.trim().to_string();
            if text.is_empty() {
                return refuse("Type a message first.".into());
            }
            if text.chars().count() > MAX_CHAT_CHARS {
                return refuse(format!("Chat messages can be at most {MAX_CHAT_CHARS} characters."));
            }
            conference.chat(peer.id, text);
        }
    }
}

/// Sends one event; false when the socket is gone.
async fn send(socket: &mut WebSocket, event: &SignalEvent) -> bool {
    match serde_json::to_string(event) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(error) => {
            tracing::error!(%error, "could not encode a signalling event");
            true
        }
    }
}
