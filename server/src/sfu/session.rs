//! One participant in one call, from the ticket that admits them to their
//! leaving: their peer connections, made and driven on the call's worker,
//! and the requests their browser sends, each acting only on their own
//! peer in their own conference. Whether they may stay is not decided
//! here: the control plane ends the session (`leave`) when they may not.

use super::Sfu;
use super::conference::Conference;
use super::mailbox::{Mailbox, Outbox};
use super::peer::Peer;
use super::ticket::{SignedTicket, TicketError};
use anteroom_app::model::ConferenceId;
use anteroom_app::protocol::signal::{Participant, ParticipantId, SignalEvent, SignalRequest};
use std::sync::Arc;

/// Why a ticket did not get its holder into the call.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(transparent)]
    Ticket(#[from] TicketError),
    #[error("The media server could not start your call.")]
    Media(webrtc::Error),
}

pub struct CallSession {
    pub id: ParticipantId,
    pub conference: ConferenceId,
    call: Arc<Conference>,
    peer: Arc<Peer>,
}

impl CallSession {
    /// Joins the holder of `ticket` to its call: their connections are
    /// made on the call's worker, they are welcomed with who is there, and
    /// their events go to `outbox` from now on.
    pub async fn join(sfu: &Arc<Sfu>, ticket: &SignedTicket, outbox: Outbox) -> Result<CallSession, JoinError> {
        let ticket = sfu.tickets().redeem(ticket)?;
        let id = sfu.next_participant_id();
        let mailbox = Mailbox::new(id, outbox);
        let arrival = sfu.arrive_at(ticket.conference);
        let call = arrival.conference().clone();
        // The peer connections are made on the call's worker, so that the
        // WebRTC stack's tasks for them run there (see `workers`).
        let made = call.worker.run({
            let (sfu, on_track) = (sfu.clone(), call.on_published_track(id));
            async move { Peer::new(&sfu.engine, mailbox, on_track).await }
        });
        // A failure drops `arrival`: the call forgets them.
        let peer = made.await.map_err(JoinError::Media)?;
        let participant = Participant {
            id,
            name: ticket.holder.name().to_string(),
            guest: ticket.holder.guest(),
            audio_muted: false,
            video_muted: false,
            streams: Vec::new(),
        };
        tracing::info!(conference = ?ticket.conference, participant = %id, guest = participant.guest.is_some(), "joined call");
        // Joining, handling a message and leaving run on the call's worker;
        // their futures (the WebRTC stack's are 6 KB each) are tasks there,
        // taking memory only while they run, not in every session for its
        // whole life.
        call.worker
            .run({
                let (call, peer, ice_servers) = (call.clone(), peer.clone(), sfu.ice_servers());
                async move { call.join(arrival, peer, participant, &ticket.holder, ice_servers).await }
            })
            .await;
        Ok(CallSession { id, conference: call.id, call, peer })
    }

    /// Completes when the session must end: a media link failed for good,
    /// or the browser stopped reading its events.
    pub async fn failed(&self) {
        self.peer.mailbox.failed().await
    }

    /// Tells the participant something (an error about their last request).
    pub fn tell(&self, event: SignalEvent) {
        self.peer.send(event);
    }

    /// Acts on one request from the participant, on the call's worker.
    /// A refusal goes back to them only; the call carries on.
    pub async fn handle(&self, request: SignalRequest) {
        let (call, peer) = (self.call.clone(), self.peer.clone());
        self.call.worker.run(async move { handle(&call, &peer, request).await }).await;
    }

    /// Takes the participant out of the call; `removed`: a member put
    /// them out (their call's watch is told).
    pub async fn leave(self, removed: bool) {
        tracing::info!(conference = ?self.conference, participant = %self.id, "left call");
        let (call, id) = (self.call.clone(), self.id);
        self.call.worker.run(async move { call.leave(id, removed).await }).await;
    }
}

async fn handle(call: &Arc<Conference>, peer: &Arc<Peer>, request: SignalRequest) {
    let refuse = |reason: String| peer.send(SignalEvent::Error { reason });
    match request {
        SignalRequest::PublishOffer { sdp, screen_stream } => {
            call.set_screen_stream(peer.id, screen_stream);
            if let Err(error) = peer.accept_publish_offer(sdp).await {
                refuse(error.to_string());
            }
        }
        SignalRequest::SubscribeAnswer { sdp } => {
            if let Err(error) = peer.accept_subscribe_answer(sdp).await {
                refuse(error.to_string());
            }
        }
        SignalRequest::Candidate { link, candidate } => peer.add_candidate(link, candidate).await,
        SignalRequest::Mute { audio, video } => call.set_muted(peer.id, audio, video),
        SignalRequest::StopScreen => call.stop_screen(peer.id).await,
        SignalRequest::Chat { text } => {
            if let Err(reason) = call.chat(peer.id, text).await {
                refuse(reason);
            }
        }
        SignalRequest::TileSize { stream, height } => peer.show_at_height(&stream, height).await,
    }
}

/// The media plane driven as the control plane drives it, without any
/// websocket: tickets in, events out of each participant's queue, and
/// what the observer hears.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::sfu::MediaConfig;
    use crate::sfu::observer::{CallObserver, CallWatch, PacketTap};
    use crate::sfu::ticket::{Holder, TicketKey};
    use anteroom_app::model::{ChannelId, GuestId, MemberId, RoomId};
    use anteroom_app::protocol::signal::ChatMessage;
    use async_trait::async_trait;
    use std::sync::Mutex;
    use tokio::sync::mpsc;

    /// What the observer heard, in order.
    #[derive(Default)]
    struct Heard(Mutex<Vec<String>>);

    impl Heard {
        fn note(&self, what: String) {
            self.0.lock().unwrap().push(what);
        }
        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    struct Observer(Arc<Heard>);
    struct Watch(Arc<Heard>);

    #[async_trait]
    impl CallObserver for Observer {
        async fn call_started(&self, conference: ConferenceId) -> Option<(Arc<dyn CallWatch>, bool)> {
            self.0.note(format!("started {conference:?}"));
            Some((Arc::new(Watch(self.0.clone())), false))
        }
    }

    #[async_trait]
    impl CallWatch for Watch {
        async fn joined(&self, participant: ParticipantId, holder: &Holder) {
            self.0.note(format!("joined {participant} {}", holder.name()));
        }
        async fn left(&self, participant: ParticipantId, removed: bool) {
            self.0.note(format!("left {participant} removed={removed}"));
        }
        async fn chat(&self, message: &ChatMessage) {
            self.0.note(format!("chat {}: {}", message.name, message.text));
        }
        async fn transcription_on(&self) {
            self.0.note("transcription on".into());
        }
        async fn tap_microphone(&self, _: ParticipantId, _: u64) -> Option<PacketTap> {
            None
        }
        async fn ended(&self) {
            self.0.note("ended".into());
        }
    }

    struct Plane {
        sfu: Arc<Sfu>,
        key: TicketKey,
        heard: Arc<Heard>,
    }

    async fn plane() -> Plane {
        let key = TicketKey::random();
        let config = MediaConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            public_ip: None,
            loopback_only: true,
            ice_servers: Vec::new(),
        };
        let sfu = Sfu::start(&config, key.clone()).await.unwrap();
        let heard = Arc::new(Heard::default());
        sfu.observe_calls(Arc::new(Observer(heard.clone())));
        Plane { sfu, key, heard }
    }

    fn member(id: i64, name: &str) -> Holder {
        Holder::Member { id: MemberId(id), name: name.into() }
    }

    /// A participant as the control plane holds one: the session and
    /// the events queued for their socket.
    struct Joined {
        call: CallSession,
        events: mpsc::Receiver<Box<SignalEvent>>,
    }

    impl Joined {
        /// The next event of the kind `pick` selects, skipping others
        /// (candidates, layer hints).
        async fn next<T>(&mut self, pick: impl Fn(SignalEvent) -> Option<T>) -> T {
            loop {
                let event = tokio::time::timeout(std::time::Duration::from_secs(10), self.events.recv())
                    .await
                    .expect("an event within 10 s")
                    .expect("the queue is open");
                if let Some(found) = pick(*event) {
                    return found;
                }
            }
        }
    }

    async fn join(plane: &Plane, conference: ConferenceId, holder: Holder) -> Joined {
        let (outbox, events) = mpsc::channel(crate::sfu::mailbox::OUTBOX_LIMIT);
        let call = CallSession::join(&plane.sfu, &plane.key.issue(conference, holder), outbox).await.unwrap();
        Joined { call, events }
    }

    #[tokio::test]
    async fn only_a_ticket_signed_with_the_planes_key_joins() {
        let plane = plane().await;
        let (outbox, _events) = mpsc::channel(8);
        let stranger = TicketKey::random().issue(ConferenceId::Room(RoomId(1)), member(1, "Ada"));
        let refused = CallSession::join(&plane.sfu, &stranger, outbox).await;
        assert!(matches!(refused, Err(JoinError::Ticket(crate::sfu::ticket::TicketError::Forged))));
        assert!(plane.sfu.census().is_empty(), "no call was started for it");
        assert!(plane.heard.take().is_empty());
    }

    #[tokio::test]
    async fn a_ticket_joins_once() {
        let plane = plane().await;
        let ticket = plane.key.issue(ConferenceId::Room(RoomId(1)), member(1, "Ada"));
        let (outbox, _events) = mpsc::channel(crate::sfu::mailbox::OUTBOX_LIMIT);
        let _ada = CallSession::join(&plane.sfu, &ticket, outbox).await.unwrap();
        let (outbox, _events) = mpsc::channel(8);
        let again = CallSession::join(&plane.sfu, &ticket, outbox).await;
        assert!(matches!(again, Err(JoinError::Ticket(crate::sfu::ticket::TicketError::Spent))));
        assert_eq!(plane.sfu.participants_in(ConferenceId::Room(RoomId(1))), 1);
    }

    #[tokio::test]
    async fn participants_are_welcomed_hear_each_other_and_the_observer_hears_it_all() {
        let plane = plane().await;
        let room = ConferenceId::Room(RoomId(7));
        let mut ada = join(&plane, room, member(1, "Ada")).await;
        let (me, others) = ada
            .next(|event| match event {
                SignalEvent::Welcome { me, participants, .. } => Some((me, participants)),
                _ => None,
            })
            .await;
        assert_eq!(me, ada.call.id);
        assert!(others.is_empty());

        ada.call.handle(SignalRequest::Chat { text: "before the guest".into() }).await;
        ada.next(|event| matches!(event, SignalEvent::Chat { .. }).then_some(())).await;

        let guest = Holder::Guest { id: GuestId(9), name: "Lin".into(), email: Some("lin@example.org".into()) };
        let mut lin = join(&plane, room, guest).await;
        let (others, chat) = lin
            .next(|event| match event {
                SignalEvent::Welcome { participants, chat, .. } => Some((participants, chat)),
                _ => None,
            })
            .await;
        assert_eq!(others.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Ada"]);
        assert!(chat.is_empty(), "a guest sees only what is said from their arrival on");
        let joined = ada
            .next(|event| match event {
                SignalEvent::Joined { participant } => Some(participant),
                _ => None,
            })
            .await;
        assert_eq!((joined.name.as_str(), joined.guest), ("Lin", Some(GuestId(9))));
        assert_eq!(plane.sfu.census().get(&room), Some(&2));

        lin.call.handle(SignalRequest::Chat { text: "hello".into() }).await;
        for page in [&mut ada, &mut lin] {
            let said = page
                .next(|event| match event {
                    SignalEvent::Chat { message } => Some(message),
                    _ => None,
                })
                .await;
            assert_eq!((said.name.as_str(), said.text.as_str()), ("Lin", "hello"));
        }

        let (ada_id, lin_id) = (ada.call.id, lin.call.id);
        lin.call.leave(true).await;
        let gone = ada
            .next(|event| match event {
                SignalEvent::Left { participant } => Some(participant),
                _ => None,
            })
            .await;
        assert_eq!(gone, lin_id);
        ada.call.leave(false).await;
        plane.sfu.shutdown().await;
        assert!(plane.sfu.census().is_empty());
        assert_eq!(
            plane.heard.take(),
            [
                format!("started {room:?}"),
                format!("joined {ada_id} Ada"),
                "chat Ada: before the guest".to_string(),
                format!("joined {lin_id} Lin"),
                "chat Lin: hello".to_string(),
                format!("left {lin_id} removed=true"),
                format!("left {ada_id} removed=false"),
                "ended".to_string(),
            ]
        );
    }

    #[tokio::test]
    async fn turning_transcription_on_tells_everyone_in_that_call_only() {
        let plane = plane().await;
        let here = ConferenceId::Channel(ChannelId(3));
        let elsewhere = ConferenceId::Channel(ChannelId(4));
        let mut ada = join(&plane, here, member(1, "Ada")).await;
        let mut grace = join(&plane, elsewhere, member(2, "Grace")).await;
        plane.sfu.set_transcribing(here, true).await;
        let on = ada
            .next(|event| match event {
                SignalEvent::Transcription { on } => Some(on),
                _ => None,
            })
            .await;
        assert!(on);
        grace.call.handle(SignalRequest::Chat { text: "still here".into() }).await;
        let next = grace
            .next(|event| match event {
                SignalEvent::Transcription { .. } => Some("transcription"),
                SignalEvent::Chat { .. } => Some("chat"),
                _ => None,
            })
            .await;
        assert_eq!(next, "chat", "the other call was not told");
        assert!(plane.heard.take().contains(&"transcription on".to_string()));
        ada.call.leave(false).await;
        grace.call.leave(false).await;
    }
}
