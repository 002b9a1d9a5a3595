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

use super::tokens::random_token;
use crate::model::{RoomId, WorkspaceId};
use crate::protocol::guest::{GuestId, GuestInside, RoomGuests, WaitingGuest};
use crate::protocol::signal::ConferenceId;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch};

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
    /// The guest left (socket closed): any call they are in ends.
    Gone,
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
/// socket sees it. `status` changes when they are removed or leave.
pub struct GuestPass {
    pub guest: GuestInfo,
    pub status: watch::Receiver<GuestStatus>,
}

struct Guest {
    info: GuestInfo,
    status: watch::Sender<GuestStatus>,
}

#[derive(Default)]
struct Desk {
    next_id: u64,
    /// Ordered by id, so by knock time.
    guests: BTreeMap<GuestId, Guest>,
    /// Admission passes to the guest they admit.
    passes: HashMap<String, GuestId>,
}

#[derive(Clone)]
pub struct GuestDesk {
    desk: Arc<Mutex<Desk>>,
    /// Tells live sockets that a workspace's waiting lists changed.
    changes: broadcast::Sender<WorkspaceId>,
}

/// A knock held by its guest socket. Dropping it withdraws the knock, or
/// ends the guest's admission if they were let in.
pub struct Knock {
    desk: GuestDesk,
    pub id: GuestId,
    pub conference: ConferenceId,
    pub status: watch::Receiver<GuestStatus>,
}

impl Drop for Knock {
    fn drop(&mut self) {
        self.desk.leave(self.id);
    }
}

impl Default for GuestDesk {
    fn default() -> Self {
        Self::new()
    }
}

impl GuestDesk {
    pub fn new() -> Self {
        GuestDesk { desk: Arc::default(), changes: broadcast::channel(64).0 }
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
    /// guest's name and email.
    pub fn knock(
        &self,
        workspace: WorkspaceId,
        conference: ConferenceId,
        name: String,
        email: Option<String>,
    ) -> Knock {
        let (status, watcher) = watch::channel(GuestStatus::Waiting);
        let id = {
            let mut desk = self.lock();
            desk.next_id += 1;
            let id = GuestId(desk.next_id);
            if let ConferenceId::Channel(_) = conference {
                let pass = random_token();
                status.send_replace(GuestStatus::Admitted { pass: pass.clone() });
                desk.passes.insert(pass, id);
            }
            desk.guests.insert(id, Guest { info: GuestInfo { id, workspace, conference, name, email }, status });
            id
        };
        tracing::info!(guest = %id, ?conference, "a guest arrived");
        self.changed(workspace);
        Knock { desk: self.clone(), id, conference, status: watcher }
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
                GuestStatus::Denied | GuestStatus::Removed | GuestStatus::Gone => {}
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

    /// The admitted guest a pass belongs to, while it is valid.
    pub fn pass(&self, pass: &str) -> Option<GuestPass> {
        let desk = self.lock();
        let guest = desk.passes.get(pass).and_then(|id| desk.guests.get(id))?;
        Some(GuestPass { guest: guest.info.clone(), status: guest.status.subscribe() })
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

    fn knock(desk: &GuestDesk, room: RoomId, name: &str) -> Knock {
        let email = format!("{}@example.org", name.to_lowercase());
        desk.knock(ACME, ConferenceId::Room(room), name.into(), Some(email))
    }

    fn names(rooms: &[RoomGuests]) -> Vec<(RoomId, Vec<&str>)> {
        rooms.iter().map(|r| (r.room, r.waiting.iter().map(|g| g.name.as_str()).collect())).collect()
    }

    #[test]
    fn waiting_lists_show_emails_only_to_the_room_that_decides() {
        let desk = GuestDesk::new();
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
        let desk = GuestDesk::new();
        let mut changes = desk.subscribe();
        let lin = knock(&desk, DESIGN, "Lin");
        assert_eq!(changes.try_recv().unwrap(), ACME);
        desk.answer(lin.id, true).unwrap();
        assert_eq!(desk.answer(lin.id, false), Err(DeskError::NotWaiting));
        let GuestStatus::Admitted { pass } = lin.status.borrow().clone() else { panic!("admitted") };
        let admitted = desk.pass(&pass).expect("the pass works");
        assert_eq!((admitted.guest.conference, admitted.guest.name.as_str()), (ConferenceId::Room(DESIGN), "Lin"));
        let rooms = desk.by_room(ACME, Some(DESIGN));
        assert!(rooms[0].waiting.is_empty(), "admitted guests are no longer waiting...");
        assert_eq!(rooms[0].inside[0].name, "Lin", "...they are inside");
        assert!(desk.pass("made-up").is_none());
    }

    #[test]
    fn closing_the_socket_withdraws_the_knock_or_ends_the_admission() {
        let desk = GuestDesk::new();
        let lin = knock(&desk, DESIGN, "Lin");
        let id = lin.id;
        drop(lin);
        assert!(desk.by_room(ACME, None).is_empty());
        assert_eq!(desk.answer(id, true), Err(DeskError::Gone));

        let sam = knock(&desk, DESIGN, "Sam");
        desk.answer(sam.id, true).unwrap();
        let GuestStatus::Admitted { pass } = sam.status.borrow().clone() else { panic!("admitted") };
        let in_call = desk.pass(&pass).unwrap();
        drop(sam);
        assert_eq!(*in_call.status.borrow(), GuestStatus::Gone);
        assert!(desk.by_room(ACME, None).is_empty(), "gone from the room too");
        assert!(desk.pass(&pass).is_none(), "the pass dies with the socket");
    }

    #[test]
    fn only_admitted_guests_can_be_removed_and_their_pass_dies() {
        let desk = GuestDesk::new();
        let lin = knock(&desk, DESIGN, "Lin");
        assert_eq!(desk.remove(lin.id), Err(DeskError::NotInside));
        desk.answer(lin.id, true).unwrap();
        let GuestStatus::Admitted { pass } = lin.status.borrow().clone() else { panic!("admitted") };
        desk.remove(lin.id).unwrap();
        assert_eq!(*lin.status.borrow(), GuestStatus::Removed);
        assert!(desk.by_room(ACME, None).is_empty(), "no longer inside");
        assert!(desk.pass(&pass).is_none());
    }

    #[test]
    fn denied_guests_are_told_and_leave_the_list() {
        let desk = GuestDesk::new();
        let lin = knock(&desk, DESIGN, "Lin");
        desk.answer(lin.id, false).unwrap();
        assert_eq!(*lin.status.borrow(), GuestStatus::Denied);
        assert!(desk.by_room(ACME, Some(DESIGN)).is_empty());
    }

    #[test]
    fn a_channel_link_lets_the_guest_straight_into_that_call_only() {
        let desk = GuestDesk::new();
        let calls = ConferenceId::Channel(crate::model::ChannelId(5));
        let lin = desk.knock(ACME, calls, "Lin".into(), None);
        let GuestStatus::Admitted { pass } = lin.status.borrow().clone() else { panic!("admitted at once") };
        let admitted = desk.pass(&pass).expect("the pass works");
        assert_eq!(admitted.guest.conference, calls);
        assert!(desk.by_room(ACME, None).is_empty(), "channel guests are not on the office map");
        desk.remove(lin.id).unwrap();
        assert!(desk.pass(&pass).is_none(), "removed: the pass is dead");
    }
}
