//! The guest socket: someone with a room's invite link knocks, waits, and
//! hears the answer; someone with a meeting channel's external link is let
//! into its call at once (and their visit is recorded for the channel's
//! admins). The knock lives exactly as long as this socket, so a closed or
//! reloaded tab (or Cancel Request) withdraws it everywhere, and an admitted
//! guest's pass ends with it too.

use super::json::{close, ping, send};
use super::keepalive::Keepalive;
use crate::ServerState;
use anteroom_app::error::AppError;
use anteroom_app::model::ConferenceId;
use anteroom_app::protocol::guest::{GuestEvent, GuestRequest, MAX_GUEST_MESSAGE_BYTES};
use anteroom_app::ssr::channel_settings::{self, Switch};
use anteroom_app::ssr::guests::{GuestStatus, Knock};
use anteroom_app::ssr::{channels, invites};
use anteroom_app::validate;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A guest who opens the socket but never knocks is let go after this.
const KNOCK_DEADLINE: Duration = Duration::from_secs(60);
/// Invite tokens are 43 characters; anything much longer is not one.
const MAX_INVITE_CHARS: usize = 128;

#[derive(serde::Deserialize)]
pub struct GuestQuery {
    invite: String,
}

pub async fn upgrade(
    State(state): State<ServerState>,
    Query(query): Query<GuestQuery>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !crate::web::cross_site::socket_from_own_site(&headers) {
        return (StatusCode::FORBIDDEN, "Guest sockets from other sites are refused.").into_response();
    }
    if query.invite.len() > MAX_INVITE_CHARS {
        return (StatusCode::NOT_FOUND, AppError::InviteInvalid.to_string()).into_response();
    }
    let Some(open) = state.knock_limits.open_socket(peer.ip(), &query.invite) else {
        tracing::warn!(address = %peer.ip(), "a guest socket refused: too many open");
        return (StatusCode::TOO_MANY_REQUESTS, "Too many guest pages are open from here. Close some and try again.")
            .into_response();
    };
    let sockets = state.sockets.clone();
    super::json::open(super::json::bounded(upgrade, MAX_GUEST_MESSAGE_BYTES), &sockets, move |socket| async move {
        serve(socket, state, query.invite, peer.ip()).await;
        drop(open);
    })
}

async fn serve(mut socket: WebSocket, state: ServerState, invite: String, address: IpAddr) {
    let Some(GuestRequest::Knock { name, email, knows_transcribed }) = first_knock(&mut socket).await else { return };
    let knock = match accept_knock(&state, &invite, address, &name, &email, knows_transcribed).await {
        Ok(knock) => knock,
        Err(error) => {
            send(&mut socket, &GuestEvent::Refused { error }).await;
            return;
        }
    };
    // A channel's guest is on record with the name and email as checked.
    let visit = match (knock.conference, state.app.guests.guest(knock.id)) {
        (ConferenceId::Channel(channel), Some(guest)) => {
            channels::visit_started(&state.app.db, channel, &guest.name, guest.email.as_deref())
                .await
                .inspect_err(|error| tracing::error!(%error, "could not record a guest visit"))
                .ok()
        }
        _ => None,
    };
    let removed = follow(socket, &state, knock).await;
    if let Some(visit) = visit
        && let Err(error) = channels::visit_ended(&state.app.db, visit, removed).await
    {
        tracing::error!(%error, "could not record the end of a guest visit");
    }
}

/// Waits for the knock: the first message, within [`KNOCK_DEADLINE`].
async fn first_knock(socket: &mut WebSocket) -> Option<GuestRequest> {
    let message = tokio::time::timeout(KNOCK_DEADLINE, async {
        loop {
            match socket.recv().await? {
                Ok(Message::Text(text)) => return Some(text),
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(Message::Binary(_) | Message::Close(_)) | Err(_) => return None,
            }
        }
    })
    .await
    .ok()??;
    match serde_json::from_str::<GuestRequest>(message.as_str()) {
        Ok(knock) => Some(knock),
        Err(error) => {
            let error = AppError::invalid("knock", format!("Could not read that request: {error}"));
            send(socket, &GuestEvent::Refused { error }).await;
            None
        }
    }
}

/// Checks the knock the way every other input is checked: the link is live,
/// the address and the link are within their limits, the name and email
/// are valid (the email is optional at a meeting channel), and a guest
/// joining a transcribed call was told so. Then the members inside the room
/// are asked, or the guest is let into the channel's call.
async fn accept_knock(
    state: &ServerState,
    invite: &str,
    address: IpAddr,
    name: &str,
    email: &str,
    knows_transcribed: bool,
) -> Result<Knock, AppError> {
    if !state.knock_limits.allow_address(address) {
        tracing::warn!(%address, "knocks refused: too many from one address");
        return Err(AppError::TooManyKnocks);
    }
    let invitation = invites::open(&state.app.db, invite).await?.ok_or(AppError::InviteInvalid)?;
    let name = validate::name("name", "Your name", name)?;
    let email = match invitation.conference {
        ConferenceId::Channel(_) if email.trim().is_empty() => None,
        _ => Some(validate::email("email", email)?),
    };
    if let ConferenceId::Channel(channel) = invitation.conference
        && !knows_transcribed
        && channel_settings::is_on(&state.app.db, channel, Switch::TranscribeCalls).await?
    {
        return Err(AppError::TranscriptionTurnedOn);
    }
    if !state.knock_limits.allow_link(invitation.conference) {
        tracing::warn!(conference = ?invitation.conference, "knocks refused: too many at one link");
        return Err(AppError::TooManyKnocks);
    }
    state.app.guests.knock(invitation.workspace, invitation.conference, name, email, address)
}

/// Tells the guest where their knock stands, then every change, until it
/// ends, they leave, their visit's time is up, or the server stops.
/// Dropping the knock on the way out withdraws it. Returns whether a
/// member removed them.
async fn follow(mut socket: WebSocket, state: &ServerState, knock: Knock) -> bool {
    let mut status = knock.status.clone();
    status.mark_changed();
    let mut removed = false;
    let mut keepalive = Keepalive::default();
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            changed = status.changed() => {
                if changed.is_err() {
                    break;
                }
                let event = match status.borrow_and_update().clone() {
                    GuestStatus::Waiting => GuestEvent::Waiting,
                    GuestStatus::Admitted { pass } => GuestEvent::Admitted { pass, conference: knock.conference },
                    GuestStatus::Denied => GuestEvent::Denied,
                    GuestStatus::LinkRevoked => GuestEvent::Refused { error: AppError::InviteInvalid },
                    GuestStatus::PlaceGone => GuestEvent::Refused { error: AppError::RoomGone },
                    GuestStatus::Removed => {
                        removed = true;
                        GuestEvent::Removed
                    }
                    GuestStatus::Gone => break,
                };
                let last = matches!(event, GuestEvent::Denied | GuestEvent::Removed | GuestEvent::Refused { .. });
                if !send(&mut socket, &event).await || last {
                    break;
                }
            }
            alive = keepalive.ping_due() => {
                if !alive || !ping(&mut socket).await {
                    break;
                }
            }
            incoming = socket.recv() => {
                keepalive.heard();
                match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    // One knock per socket: anything more is ignored.
                    Some(Ok(_)) => {}
                }
            }
            () = tokio::time::sleep_until(knock.expires) => {
                tracing::info!(guest = %knock.id, "a guest's visit ran out of time");
                break;
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(knock);
    close(&mut socket).await;
    removed
}
