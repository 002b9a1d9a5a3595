//! The guest desk: who is knocking at which room, and which guests are
//! inside a room's or a meeting channel's call. It lives in memory, like presence: a knock is tied to one open
//! guest socket and means nothing once that socket is gone.
//!
//! A guest's life: [`GuestDesk::knock`] hands the guest socket a [`Knock`];
//! at a room, members answer it ([`GuestDesk::answer`]); at a meeting
//! channel the link itself is the permission, so the guest is let in at once.
//! An admitted guest gets a pass for that one call; a member may remove
//! them later. Dropping the
//! `Knock` (the socket closed) withdraws it or ends the admission, whatever
//! stage it had reached.
//!
//! A pass is one person's: it opens one call session at a time (a new one,
//! say after a network drop, ends the old), only from the client address
//! that knocked (IPv6 by /64), and only for [`GuestDesk::pass_lifetime`]
//! after the knock. Replacing or turning off the link ends the knocks
//! waiting through it and stops its passes opening new sessions; guests
//! already in the call stay until they leave.

use super::rate_limit::{Limit, client_key};
use super::tokens::random_token;
use crate::model::ConferenceId;
use crate::model::GuestId;
use crate::model::{RoomId, WorkspaceId};
use crate::protocol::guest::{GuestInside, RoomGuests, WaitingGuest};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

/// Guests who may wait at one room's door at once; members answer a few at
/// a time, and a longer queue would only bury them in notifications.
pub const MAX_WAITING_PER_ROOM: usize = 50;
/// Guests one network (an IPv4 address, an IPv6 /64) may have waiting at
/// one door: colleagues behind one office's address fit, and it takes
/// thirteen networks to fill a door (issue 32: four filled it).
pub const MAX_WAITING_PER_NETWORK: usize = 4;
/// How long "Deny and block this network" turns a network's knocks away
/// from a door.
pub const BLOCK_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// Blocks remembered at most (expired ones are forgotten first).
const MAX_BLOCKS: usize = 10_000;

/// How long a guest's visit may last, from the knock, unless configured.
pub const DEFAULT_PASS_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Call sessions one pass may open at once, and how fast it earns more: a
/// guest's browser rejoins after a dropped network or a reload, a few
/// times a minute at worst. Each session is a new participant for everyone
/// in the call; one pass opened 300 in 0.8 s (issue 32).
pub const PASS_SESSIONS_BURST: u32 = 10;
const PASS_SESSIONS_REFILL: Duration = Duration::from_secs(6);

/// Where a guest stands. The guest socket watches this to tell the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestStatus {
    Waiting,
    /// Let in; `pass` admits them to their room's or channel's call.
    Admitted {
        pass: String,
    },
    Denied,
    Removed,
    /// The link they came by was replaced or turned off while they waited.
    LinkRevoked,
    /// The room they came for was deleted: waiting or inside, they are out.
    PlaceGone,
    /// The guest left (socket closed) or their visit ran out of time: any
    /// call they are in ends.
    Gone,
}

/// Why a pass did not open a call session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassRefusal {
    /// No such pass: made up, or the guest left, was removed, or the link
    /// was replaced.
    Unknown,
    /// The visit's time is up.
    Expired,
    /// Presented from another network than the one that knocked.
    OtherClient,
    /// Presented at another call than the one it was given for.
    OtherCall,
    /// The pass opened sessions too often; the next one may open after this.
    TooOften(Duration),
}

impl From<PassRefusal> for crate::error::AppError {
    fn from(refusal: PassRefusal) -> Self {
        match refusal {
            PassRefusal::Unknown | PassRefusal::OtherClient | PassRefusal::OtherCall => {
                crate::error::AppError::Forbidden
            }
            PassRefusal::Expired => crate::error::AppError::InviteInvalid,
            PassRefusal::TooOften(wait) => {
                crate::error::AppError::TooManyAttempts { retry_after_secs: wait.as_secs().max(1) }
            }
        }
    }
}

/// Why an answer or removal did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskError {
    /// No such guest any more: they cancelled, closed the tab, or someone
    /// else answered first and they already left.
    Gone,
    /// Someone answered first.
    NotWaiting,
    /// Only a guest who was let in can be removed.
    NotInside,
}

impl From<DeskError> for crate::error::AppError {
    fn from(error: DeskError) -> Self {
        match error {
            DeskError::Gone => crate::error::AppError::NotFound("That guest".into()),
            DeskError::NotWaiting => crate::error::AppError::AlreadyAnswered,
            DeskError::NotInside => crate::error::AppError::NotFound("That guest in the room".into()),
        }
    }
}

/// What the server knows of one guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestInfo {
    pub id: GuestId,
    pub workspace: WorkspaceId,
    /// The room or meeting channel whose link they came by.
    pub conference: ConferenceId,
    pub name: String,
    /// Always given at a room; optional at a meeting channel.
    pub email: Option<String>,
}

/// An admitted guest's credential for their one call, as the signalling
/// socket sees it. `status` changes when they are removed or leave;
/// `session` when the pass opens a newer session elsewhere.
pub struct GuestPass {
    pub guest: GuestInfo,
    pub status: watch::Receiver<GuestStatus>,
    /// This session's number, and the pass's newest: when they differ, a
    /// newer session took over.
    pub session: u64,
    pub sessions: watch::Receiver<u64>,
    /// When the visit ends.
    pub expires: Instant,
}

impl GuestPass {
    /// A newer session opened with the same pass.
    pub fn superseded(&self) -> bool {
        *self.sessions.borrow() != self.session
    }
}

struct Guest {
    info: GuestInfo,
    status: watch::Sender<GuestStatus>,
    /// The client that knocked, as rate limits key it.
    client: IpAddr,
    /// When the visit ends, whatever stage it reached.
    expires: Instant,
    /// Counts the call sessions the pass opened; the newest one is live.
    sessions: watch::Sender<u64>,
    /// How often the pass may open one.
    session_allowance: Limit,
}

#[derive(Default)]
struct Desk {
    next_id: u64,
    /// Ordered by id, so by knock time.
    guests: BTreeMap<GuestId, Guest>,
    /// Admission passes to the guest they admit.
    passes: HashMap<String, GuestId>,
    /// Networks whose knocks a door turns away, until when.
    blocks: HashMap<(IpAddr, ConferenceId), Instant>,
}

impl Desk {
    fn blocked(&self, network: IpAddr, conference: ConferenceId) -> bool {
        self.blocks.get(&(network, conference)).is_some_and(|until| Instant::now() < *until)
    }

    /// Turns `network`'s knocks at `conference` away for [`BLOCK_FOR`].
    /// The map is bounded: expired blocks go first, then the soonest to end.
    fn block(&mut self, network: IpAddr, conference: ConferenceId) {
        let now = Instant::now();
        if self.blocks.len() >= MAX_BLOCKS {
            self.blocks.retain(|_, until| *until > now);
        }
        if self.blocks.len() >= MAX_BLOCKS
            && let Some(soonest) = self.blocks.iter().min_by_key(|(_, until)| **until).map(|(key, _)| *key)
        {
            self.blocks.remove(&soonest);
        }
        self.blocks.insert((network, conference), now + BLOCK_FOR);
    }
}

#[derive(Clone)]
pub struct GuestDesk {
    desk: Arc<Mutex<Desk>>,
    /// Tells live sockets that a workspace's waiting lists changed.
    changes: broadcast::Sender<WorkspaceId>,
    /// How long a visit may last, from the knock.
    pub pass_lifetime: Duration,
}

/// A knock held by its guest socket. Dropping it withdraws the knock, or
/// ends the guest's admission if they were let in.
pub struct Knock {
    desk: GuestDesk,
    pub id: GuestId,
    pub conference: ConferenceId,
    pub status: watch::Receiver<GuestStatus>,
    /// When the visit ends; the guest socket closes then.
    pub expires: Instant,
}

impl Drop for Knock {
    fn drop(&mut self) {
        self.desk.leave(self.id);
    }
}

impl Default for GuestDesk {
    fn default() -> Self {
        Self::new(DEFAULT_PASS_LIFETIME)
    }
}

impl GuestDesk {
    pub fn new(pass_lifetime: Duration) -> Self {
        GuestDesk { desk: Arc::default(), changes: broadcast::channel(64).0, pass_lifetime }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Desk> {
        self.desk.lock().expect("guest desk lock")
    }

    /// Hears about every change to any workspace's waiting lists from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<WorkspaceId> {
        self.changes.subscribe()
    }

    fn changed(&self, workspace: WorkspaceId) {
        // No listener is fine: nobody has the office open.
        let _ = self.changes.send(workspace);
    }

    /// Registers a guest who came by the link of `conference`: a knock at
    /// a room's door (members decide), or a guest let straight into a
    /// meeting channel's call. The caller has checked the link and the
    /// guest's name and email. `client` is the address the guest knocked
    /// from: their pass works only from there. A room with
    /// [`MAX_WAITING_PER_ROOM`] guests waiting takes no more for now.
    pub fn knock(
        &self,
        workspace: WorkspaceId,
        conference: ConferenceId,
        name: String,
        email: Option<String>,
        client: IpAddr,
    ) -> Result<Knock, crate::error::AppError> {
        let (status, watcher) = watch::channel(GuestStatus::Waiting);
        let expires = Instant::now() + self.pass_lifetime;
        let id = {
            let mut desk = self.lock();
            let network = client_key(client);
            if desk.blocked(network, conference) {
                return Err(crate::error::AppError::KnocksBlocked);
            }
            let waiting: Vec<&Guest> = desk
                .guests
                .values()
                .filter(|guest| guest.info.conference == conference && *guest.status.borrow() == GuestStatus::Waiting)
                .collect();
            if waiting.iter().filter(|guest| guest.client == network).count() >= MAX_WAITING_PER_NETWORK {
                return Err(crate::error::AppError::DoorBusyFromHere);
            }
            if waiting.len() >= MAX_WAITING_PER_ROOM {
                return Err(crate::error::AppError::DoorBusy);
            }
            desk.next_id += 1;
            let id = GuestId(desk.next_id);
            if let ConferenceId::Channel(_) = conference {
                let pass = random_token();
                status.send_replace(GuestStatus::Admitted { pass: pass.clone() });
                desk.passes.insert(pass, id);
            }
            let guest = Guest {
                info: GuestInfo { id, workspace, conference, name, email },
                status,
                client: client_key(client),
                expires,
                sessions: watch::channel(0).0,
                session_allowance: Limit::new(PASS_SESSIONS_BURST, PASS_SESSIONS_REFILL),
            };
            desk.guests.insert(id, guest);
            id
        };
        tracing::info!(guest = %id, ?conference, "a guest arrived");
        self.changed(workspace);
        Ok(Knock { desk: self.clone(), id, conference, status: watcher, expires })
    }

    /// The guest, if they are still knocking or inside.
    pub fn guest(&self, id: GuestId) -> Option<GuestInfo> {
        self.lock().guests.get(&id).map(|guest| guest.info.clone())
    }

    /// The guests of `workspace`, room by room, as seen by a member standing
    /// in `viewer_room`: who waits (with emails only for the viewer's own
    /// room, where they are the ones to decide) and who was let in.
    pub fn by_room(&self, workspace: WorkspaceId, viewer_room: Option<RoomId>) -> Vec<RoomGuests> {
        let desk = self.lock();
        let mut rooms: BTreeMap<RoomId, RoomGuests> = BTreeMap::new();
        for guest in desk.guests.values().filter(|guest| guest.info.workspace == workspace) {
            let info = &guest.info;
            let ConferenceId::Room(room) = info.conference else { continue };
            let entry = || RoomGuests { room, waiting: Vec::new(), inside: Vec::new() };
            match &*guest.status.borrow() {
                GuestStatus::Waiting => rooms.entry(room).or_insert_with(entry).waiting.push(WaitingGuest {
                    id: info.id,
                    name: info.name.clone(),
                    email: info.email.clone().filter(|_| viewer_room == Some(room)),
                }),
                GuestStatus::Admitted { .. } => rooms
                    .entry(room)
                    .or_insert_with(entry)
                    .inside
                    .push(GuestInside { id: info.id, name: info.name.clone() }),
                GuestStatus::Denied
                | GuestStatus::Removed
                | GuestStatus::LinkRevoked
                | GuestStatus::PlaceGone
                | GuestStatus::Gone => {}
            }
        }
        rooms.into_values().collect()
    }

    /// Lets a waiting guest in or turns them away. The first answer wins;
    /// later ones get [`DeskError::NotWaiting`].
    pub fn answer(&self, id: GuestId, admit: bool) -> Result<(), DeskError> {
        let workspace = {
            let mut desk = self.lock();
            let guest = desk.guests.get(&id).ok_or(DeskError::Gone)?;
            if *guest.status.borrow() != GuestStatus::Waiting {
                return Err(DeskError::NotWaiting);
            }
            let workspace = guest.info.workspace;
            if admit {
                let pass = random_token();
                guest.status.send_replace(GuestStatus::Admitted { pass: pass.clone() });
                desk.passes.insert(pass, id);
            } else {
                guest.status.send_replace(GuestStatus::Denied);
            }
            workspace
        };
        tracing::info!(guest = %id, admit, "a knock was answered");
        self.changed(workspace);
        Ok(())
    }

    /// Turns a waiting guest away and, for [`BLOCK_FOR`], every knock from
    /// their network at the same door: the others waiting from there are
    /// turned away too, and new ones are refused. Returns how many were.
    pub fn deny_and_block(&self, id: GuestId) -> Result<usize, DeskError> {
        let (workspace, denied) = {
            let mut desk = self.lock();
            let guest = desk.guests.get(&id).ok_or(DeskError::Gone)?;
            if *guest.status.borrow() != GuestStatus::Waiting {
                return Err(DeskError::NotWaiting);
            }
            let (workspace, network, conference) = (guest.info.workspace, guest.client, guest.info.conference);
            desk.block(network, conference);
            let mut denied = 0;
            for guest in desk.guests.values() {
                if guest.client == network
                    && guest.info.conference == conference
                    && *guest.status.borrow() == GuestStatus::Waiting
                {
                    guest.status.send_replace(GuestStatus::Denied);
                    denied += 1;
                }
            }
            (workspace, denied)
        };
        tracing::info!(guest = %id, denied, "a knock was denied and its network blocked at the door");
        self.changed(workspace);
        Ok(denied)
    }

    /// Sends an admitted guest out of the call: it ends for them and their
    /// pass stops working.
    pub fn remove(&self, id: GuestId) -> Result<(), DeskError> {
        let mut desk = self.lock();
        let guest = desk.guests.get(&id).ok_or(DeskError::Gone)?;
        let GuestStatus::Admitted { pass } = guest.status.borrow().clone() else {
            return Err(DeskError::NotInside);
        };
        guest.status.send_replace(GuestStatus::Removed);
        let workspace = guest.info.workspace;
        desk.passes.remove(&pass);
        drop(desk);
        tracing::info!(guest = %id, "a guest was removed from the call");
        self.changed(workspace);
        Ok(())
    }

    /// Opens a session of the call `conference` with `pass`, presented from
    /// `client`: the admitted guest it belongs to, while it is valid. Only
    /// then is any session the pass opened before told to end (see
    /// [`GuestPass::superseded`]); a refused attempt takes nothing over.
    pub fn pass(&self, pass: &str, client: IpAddr, conference: ConferenceId) -> Result<GuestPass, PassRefusal> {
        let desk = self.lock();
        let guest = desk.passes.get(pass).and_then(|id| desk.guests.get(id)).ok_or(PassRefusal::Unknown)?;
        if guest.info.conference != conference {
            return Err(PassRefusal::OtherCall);
        }
        if Instant::now() >= guest.expires {
            return Err(PassRefusal::Expired);
        }
        if client_key(client) != guest.client {
            tracing::warn!(guest = %guest.info.id, "a pass was presented from another network than the knock");
            return Err(PassRefusal::OtherClient);
        }
        guest.session_allowance.check().map_err(PassRefusal::TooOften)?;
        guest.sessions.send_modify(|count| *count += 1);
        let mut sessions = guest.sessions.subscribe();
        let session = *sessions.borrow_and_update();
        Ok(GuestPass {
            guest: guest.info.clone(),
            status: guest.status.subscribe(),
            session,
            sessions,
            expires: guest.expires,
        })
    }

    /// The link of `conference` was replaced or turned off: the knocks
    /// waiting through it end, and the passes issued through it open no
    /// new sessions (guests in the call stay until they leave).
    pub fn revoke_link(&self, conference: ConferenceId) {
        let mut desk = self.lock();
        let mut dead_passes = Vec::new();
        let mut workspace = None;
        for guest in desk.guests.values().filter(|guest| guest.info.conference == conference) {
            workspace = Some(guest.info.workspace);
            let status = guest.status.borrow().clone();
            match status {
                GuestStatus::Admitted { pass } => dead_passes.push(pass),
                GuestStatus::Waiting => {
                    guest.status.send_replace(GuestStatus::LinkRevoked);
                }
                _ => {}
            }
        }
        for pass in dead_passes {
            desk.passes.remove(&pass);
        }
        drop(desk);
        if let Some(workspace) = workspace {
            tracing::info!(?conference, "a link was revoked: its knocks ended, its passes open no new sessions");
            self.changed(workspace);
        }
    }

    /// The room was deleted: every guest waiting at it or inside it is
    /// told, and their passes open nothing any more.
    pub fn place_gone(&self, conference: ConferenceId) {
        let mut desk = self.lock();
        let mut dead_passes = Vec::new();
        let mut workspace = None;
        for guest in desk.guests.values().filter(|guest| guest.info.conference == conference) {
            workspace = Some(guest.info.workspace);
            if let GuestStatus::Admitted { pass } = &*guest.status.borrow() {
                dead_passes.push(pass.clone());
            }
            guest.status.send_replace(GuestStatus::PlaceGone);
        }
        for pass in dead_passes {
            desk.passes.remove(&pass);
        }
        drop(desk);
        if let Some(workspace) = workspace {
            tracing::info!(?conference, "a room was deleted: its guests were told, their passes ended");
            self.changed(workspace);
        }
    }

    /// The guest's socket closed: forget them, and end whatever they had.
    fn leave(&self, id: GuestId) {
        let (workspace, was_listed) = {
            let mut desk = self.lock();
            let Some(guest) = desk.guests.remove(&id) else { return };
            if let GuestStatus::Admitted { pass } = &*guest.status.borrow() {
                desk.passes.remove(pass);
            }
            // Waiting or inside: the members' lists change. A removal or
            // refusal stays the last word, so a call ending right after
            // says why.
            let was_listed = matches!(*guest.status.borrow(), GuestStatus::Waiting | GuestStatus::Admitted { .. });
            if was_listed {
                guest.status.send_replace(GuestStatus::Gone);
            }
            (guest.info.workspace, was_listed)
        };
        if was_listed {
            tracing::info!(guest = %id, "a guest left");
            self.changed(workspace);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: WorkspaceId = WorkspaceId(1);
    const DESIGN: RoomId = RoomId(10);
    const COFFEE: RoomId = RoomId(11);
    /// Where the test guests knock from.
    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

    fn knock(desk: &GuestDesk, room: RoomId, name: &str) -> Knock {
        let email = format!("{}@example.org", name.to_lowercase());
        desk.knock(ACME, ConferenceId::Room(room), name.into(), Some(email), HOME).unwrap()
    }

    fn names(rooms: &[RoomGuests]) -> Vec<(RoomId, Vec<&str>)> {
        rooms.iter().map(|r| (r.room, r.waiting.iter().map(|g| g.name.as_str()).collect())).collect()
    }

    #[test]
    fn waiting_lists_show_emails_only_to_the_room_that_decides() {
        let desk = GuestDesk::default();
        let _lin = knock(&desk, DESIGN, "Lin");
        let _sam = knock(&desk, DESIGN, "Sam");
        let _kai = knock(&desk, COFFEE, "Kai");
        let seen_from_design = desk.by_room(ACME, Some(DESIGN));
        assert_eq!(names(&seen_from_design), vec![(DESIGN, vec!["Lin", "Sam"]), (COFFEE, vec!["Kai"])]);
        assert_eq!(seen_from_design[0].waiting[0].email.as_deref(), Some("lin@example.org"));
        assert_eq!(seen_from_design[1].waiting[0].email, None);
        assert!(desk.by_room(ACME, None).iter().flat_map(|r| &r.waiting).all(|g| g.email.is_none()));
        assert!(desk.by_room(WorkspaceId(2), Some(DESIGN)).is_empty());
    }

    #[test]
    fn the_first_answer_wins_and_admits_with_a_pass() {
        let desk = GuestDesk::default();
        let mut changes = desk.subscribe();
        let lin = knock(&desk, DESIGN, "Lin");
        assert_eq!(changes.try_recv().unwrap(), ACME);
        desk.answer(lin.id, true).unwrap();
        assert_eq!(desk.answer(lin.id, false), Err(DeskError::NotWaiting));
        let GuestStatus::Admitted { pass } = lin.status.borrow().clone() else { panic!("admitted") };
        let admitted = desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).expect("the pass works");
        assert_eq!((admitted.guest.conference, admitted.guest.name.as_str()), (ConferenceId::Room(DESIGN), "Lin"));
        let rooms = desk.by_room(ACME, Some(DESIGN));
        assert!(rooms[0].waiting.is_empty(), "admitted guests are no longer waiting...");
        assert_eq!(rooms[0].inside[0].name, "Lin", "...they are inside");
        assert_eq!(desk.pass("made-up", HOME, ConferenceId::Room(DESIGN)).err(), Some(PassRefusal::Unknown));
    }

    #[test]
    fn closing_the_socket_withdraws_the_knock_or_ends_the_admission() {
        let desk = GuestDesk::default();
        let lin = knock(&desk, DESIGN, "Lin");
        let id = lin.id;
        drop(lin);
        assert!(desk.by_room(ACME, None).is_empty());
        assert_eq!(desk.answer(id, true), Err(DeskError::Gone));

        let sam = knock(&desk, DESIGN, "Sam");
        desk.answer(sam.id, true).unwrap();
        let GuestStatus::Admitted { pass } = sam.status.borrow().clone() else { panic!("admitted") };
        let in_call = desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).unwrap();
        drop(sam);
        assert_eq!(*in_call.status.borrow(), GuestStatus::Gone);
        assert!(desk.by_room(ACME, None).is_empty(), "gone from the room too");
        assert!(desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).is_err(), "the pass dies with the socket");
    }

    #[test]
    fn only_admitted_guests_can_be_removed_and_their_pass_dies() {
        let desk = GuestDesk::default();
        let lin = knock(&desk, DESIGN, "Lin");
        assert_eq!(desk.remove(lin.id), Err(DeskError::NotInside));
        desk.answer(lin.id, true).unwrap();
        let GuestStatus::Admitted { pass } = lin.status.borrow().clone() else { panic!("admitted") };
        desk.remove(lin.id).unwrap();
        assert_eq!(*lin.status.borrow(), GuestStatus::Removed);
        assert!(desk.by_room(ACME, None).is_empty(), "no longer inside");
        assert!(desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).is_err());
    }

    #[test]
    fn denied_guests_are_told_and_leave_the_list() {
        let desk = GuestDesk::default();
        let lin = knock(&desk, DESIGN, "Lin");
        desk.answer(lin.id, false).unwrap();
        assert_eq!(*lin.status.borrow(), GuestStatus::Denied);
        assert!(desk.by_room(ACME, Some(DESIGN)).is_empty());
    }

    #[test]
    fn a_channel_link_lets_the_guest_straight_into_that_call_only() {
        let desk = GuestDesk::default();
        let calls = ConferenceId::Channel(crate::model::ChannelId(5));
        let lin = desk.knock(ACME, calls, "Lin".into(), None, HOME).unwrap();
        let GuestStatus::Admitted { pass } = lin.status.borrow().clone() else { panic!("admitted at once") };
        let admitted = desk.pass(&pass, HOME, calls).expect("the pass works");
        assert_eq!(admitted.guest.conference, calls);
        assert!(desk.by_room(ACME, None).is_empty(), "channel guests are not on the office map");
        desk.remove(lin.id).unwrap();
        assert!(desk.pass(&pass, HOME, calls).is_err(), "removed: the pass is dead");
    }

    fn admitted_pass(knock: &Knock) -> String {
        let GuestStatus::Admitted { pass } = knock.status.borrow().clone() else { panic!("admitted") };
        pass
    }

    #[test]
    fn a_pass_opens_one_session_at_a_time_and_only_from_where_the_guest_knocked() {
        let desk = GuestDesk::default();
        let lin = knock(&desk, DESIGN, "Lin");
        desk.answer(lin.id, true).unwrap();
        let pass = admitted_pass(&lin);
        let first = desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).unwrap();
        assert!(!first.superseded());
        // A reconnect (or a second window) takes over; the first is told.
        let second = desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).unwrap();
        assert!(first.superseded() && !second.superseded());
        // Another address in the same IPv4 network is someone else...
        let elsewhere: IpAddr = [192, 0, 2, 8].into();
        assert_eq!(desk.pass(&pass, elsewhere, ConferenceId::Room(DESIGN)).err(), Some(PassRefusal::OtherClient));
        assert_eq!(desk.pass(&pass, HOME, ConferenceId::Room(COFFEE)).err(), Some(PassRefusal::OtherCall));
        assert!(!second.superseded(), "a refused attempt takes nothing over");
        // ...while a guest on IPv6 may move within their /64.
        let v6 = desk
            .knock(
                ACME,
                ConferenceId::Room(DESIGN),
                "Kai".into(),
                Some("kai@example.org".into()),
                "2001:db8::1".parse().unwrap(),
            )
            .unwrap();
        desk.answer(v6.id, true).unwrap();
        assert!(desk.pass(&admitted_pass(&v6), "2001:db8::ffff".parse().unwrap(), ConferenceId::Room(DESIGN)).is_ok());
    }

    #[test]
    fn a_pass_opens_sessions_at_a_rejoining_pace_not_a_flood() {
        let desk = GuestDesk::default();
        let calls = ConferenceId::Channel(crate::model::ChannelId(5));
        let lin = desk.knock(ACME, calls, "Lin".into(), None, HOME).unwrap();
        let pass = admitted_pass(&lin);
        for _ in 0..PASS_SESSIONS_BURST {
            assert!(desk.pass(&pass, HOME, calls).is_ok());
        }
        let refused = desk.pass(&pass, HOME, calls).err();
        assert!(matches!(refused, Some(PassRefusal::TooOften(wait)) if wait > Duration::ZERO), "{refused:?}");
        let error = crate::error::AppError::from(refused.unwrap());
        assert!(matches!(error, crate::error::AppError::TooManyAttempts { .. }));
        // Another guest's pass is not affected.
        let kai = desk.knock(ACME, calls, "Kai".into(), None, HOME).unwrap();
        assert!(desk.pass(&admitted_pass(&kai), HOME, calls).is_ok());
    }

    #[test]
    fn replacing_the_link_ends_waiting_knocks_and_stops_its_passes_opening_sessions() {
        let desk = GuestDesk::default();
        let inside = knock(&desk, DESIGN, "Lin");
        desk.answer(inside.id, true).unwrap();
        let pass = admitted_pass(&inside);
        let in_call = desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).unwrap();
        let waiting = knock(&desk, DESIGN, "Sam");
        let other_room = knock(&desk, COFFEE, "Kai");

        desk.revoke_link(ConferenceId::Room(DESIGN));
        assert_eq!(*waiting.status.borrow(), GuestStatus::LinkRevoked);
        assert_eq!(
            desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).err(),
            Some(PassRefusal::Unknown),
            "no new session"
        );
        assert!(matches!(*in_call.status.borrow(), GuestStatus::Admitted { .. }), "the call in progress goes on");
        assert_eq!(*other_room.status.borrow(), GuestStatus::Waiting, "other rooms' links are not touched");
        let rooms = desk.by_room(ACME, None);
        assert_eq!(names(&rooms), vec![(DESIGN, vec![]), (COFFEE, vec!["Kai"])], "Sam no longer waits");
        assert_eq!(rooms[0].inside[0].name, "Lin", "Lin is still inside");
    }

    #[tokio::test(start_paused = true)]
    async fn a_visit_has_an_absolute_lifetime() {
        let desk = GuestDesk::new(Duration::from_secs(60));
        let lin = knock(&desk, DESIGN, "Lin");
        desk.answer(lin.id, true).unwrap();
        let pass = admitted_pass(&lin);
        assert!(desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).is_ok());
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(desk.pass(&pass, HOME, ConferenceId::Room(DESIGN)).err(), Some(PassRefusal::Expired));
        assert!(Instant::now() >= lin.expires, "the guest socket closes too");
    }

    #[test]
    fn a_door_takes_only_so_many_waiting_guests_and_a_network_a_share_of_them() {
        let desk = GuestDesk::default();
        let email = Some("one@example.org".to_string());
        let at =
            |room: RoomId, from: IpAddr| desk.knock(ACME, ConferenceId::Room(room), "G".into(), email.clone(), from);
        let network = |n: usize| IpAddr::from([10, 0, (n / 200) as u8, (n % 200) as u8]);
        let from_home: Vec<Knock> = (0..MAX_WAITING_PER_NETWORK).map(|_| at(DESIGN, HOME).unwrap()).collect();
        assert_eq!(at(DESIGN, HOME).err(), Some(crate::error::AppError::DoorBusyFromHere));
        assert!(at(COFFEE, HOME).is_ok(), "another door's share is its own");
        let others: Vec<Knock> =
            (MAX_WAITING_PER_NETWORK..MAX_WAITING_PER_ROOM).map(|n| at(DESIGN, network(n)).unwrap()).collect();
        assert_eq!(at(DESIGN, network(999)).err(), Some(crate::error::AppError::DoorBusy));
        // Once one is answered, the next may knock.
        desk.answer(others[0].id, false).unwrap();
        assert!(at(DESIGN, network(999)).is_ok());
        drop(from_home);
    }

    #[test]
    fn deny_and_block_turns_away_a_network_at_one_door_only() {
        let desk = GuestDesk::default();
        let email = Some("one@example.org".to_string());
        let at =
            |room: RoomId, from: IpAddr| desk.knock(ACME, ConferenceId::Room(room), "G".into(), email.clone(), from);
        let elsewhere: IpAddr = [198, 51, 100, 1].into();
        let spam: Vec<Knock> = (0..2).map(|_| at(DESIGN, HOME).unwrap()).collect();
        let next_door = at(COFFEE, HOME).unwrap();
        let real = at(DESIGN, elsewhere).unwrap();
        assert_eq!(desk.deny_and_block(spam[0].id), Ok(2), "both knocks from that network");
        assert!(spam.iter().all(|knock| *knock.status.borrow() == GuestStatus::Denied));
        assert_eq!(*real.status.borrow(), GuestStatus::Waiting, "another network's guest still waits");
        assert_eq!(*next_door.status.borrow(), GuestStatus::Waiting, "another door is not touched");
        assert_eq!(at(DESIGN, HOME).err(), Some(crate::error::AppError::KnocksBlocked));
        assert!(at(COFFEE, HOME).is_ok());
        assert_eq!(desk.deny_and_block(spam[0].id), Err(DeskError::NotWaiting));
    }

    #[tokio::test(start_paused = true)]
    async fn a_block_ends_after_its_time() {
        let desk = GuestDesk::default();
        let lin = knock(&desk, DESIGN, "Lin");
        desk.deny_and_block(lin.id).unwrap();
        assert!(desk.knock(ACME, ConferenceId::Room(DESIGN), "Lin".into(), None, HOME).is_err());
        tokio::time::advance(BLOCK_FOR + Duration::from_secs(1)).await;
        assert!(desk.knock(ACME, ConferenceId::Room(DESIGN), "Lin".into(), None, HOME).is_ok());
    }
}
