//! Live presence: who is online and in which room, and the stream of changes
//! every open office page listens to.
//!
//! Presence lives in memory, not in the database: it describes open browser
//! tabs, which do not survive a server restart either. A member is online
//! while at least one of their live sockets is open (or after they walked
//! somewhere); closing their last tab takes them offline.

use super::accounts::Member;
use crate::model::{MemberId, Presence, RoomId, WorkspaceId};
use crate::protocol::LiveEvent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// How many events a slow listener may fall behind before it is sent a fresh
/// snapshot instead.
const EVENT_BUFFER: usize = 256;

#[derive(Clone)]
pub struct PresenceHub {
    people: Arc<Mutex<HashMap<MemberId, Entry>>>,
    events: broadcast::Sender<WorkspaceEvent>,
}

/// An event and the workspace whose members may see it.
#[derive(Debug, Clone)]
pub struct WorkspaceEvent {
    pub workspace: WorkspaceId,
    pub event: LiveEvent,
}

struct Entry {
    workspace: WorkspaceId,
    presence: Presence,
    open_sockets: usize,
}

/// The member's entry, created (in the lobby, no sockets yet) if missing.
fn entry_of<'a>(people: &'a mut HashMap<MemberId, Entry>, member: &Member) -> &'a mut Entry {
    people.entry(member.id).or_insert_with(|| Entry {
        workspace: member.workspace_id,
        presence: Presence { member: member.summary(), room: None },
        open_sockets: 0,
    })
}

impl Default for PresenceHub {
    fn default() -> Self {
        Self::new()
    }
}

impl PresenceHub {
    pub fn new() -> Self {
        PresenceHub { people: Arc::default(), events: broadcast::channel(EVENT_BUFFER).0 }
    }

    /// Listens to every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<WorkspaceEvent> {
        self.events.subscribe()
    }

    /// Everyone online in `workspace`, sorted by name.
    pub fn snapshot(&self, workspace: WorkspaceId) -> Vec<Presence> {
        let people = self.people.lock().expect("presence lock");
        let mut list: Vec<Presence> =
            people.values().filter(|entry| entry.workspace == workspace).map(|entry| entry.presence.clone()).collect();
        list.sort_by(|a, b| a.member.name.cmp(&b.member.name).then(a.member.id.cmp(&b.member.id)));
        list
    }

    /// The room a member is in, if any.
    pub fn room_of(&self, member: MemberId) -> Option<RoomId> {
        self.people.lock().expect("presence lock").get(&member).and_then(|entry| entry.presence.room)
    }

    /// A live socket of `member` opened. Returns the snapshot to send it
    /// first; the caller must have subscribed before, so no change is missed.
    pub fn socket_opened(&self, member: &Member) -> Vec<Presence> {
        let came_online = {
            let mut people = self.people.lock().expect("presence lock");
            let entry = entry_of(&mut people, member);
            entry.open_sockets += 1;
            (entry.open_sockets == 1).then(|| entry.presence.clone())
        };
        if let Some(presence) = came_online {
            self.publish(member.workspace_id, LiveEvent::Moved { presence });
        }
        self.snapshot(member.workspace_id)
    }

    /// A live socket of `member` closed; the last one takes them offline.
    pub fn socket_closed(&self, member: &Member) {
        let went_offline = {
            let mut people = self.people.lock().expect("presence lock");
            match people.get_mut(&member.id) {
                Some(entry) if entry.open_sockets > 1 => {
                    entry.open_sockets -= 1;
                    false
                }
                Some(_) => people.remove(&member.id).is_some(),
                None => false,
            }
        };
        if went_offline {
            self.publish(member.workspace_id, LiveEvent::WentOffline { member: member.id });
        }
    }

    /// Signing out takes a member offline whatever tabs they have open.
    pub fn sign_out(&self, member: &Member) {
        if self.people.lock().expect("presence lock").remove(&member.id).is_some() {
            self.publish(member.workspace_id, LiveEvent::WentOffline { member: member.id });
        }
    }

    /// Moves `member` into `room` (or the lobby with `None`). The caller has
    /// checked that the room is in the member's workspace.
    /// The room was deleted: everyone in it is in the open lobby now.
    pub fn empty_room(&self, workspace: WorkspaceId, room: RoomId) {
        let moved: Vec<Presence> = {
            let mut people = self.people.lock().expect("presence lock");
            people
                .values_mut()
                .filter(|entry| entry.workspace == workspace && entry.presence.room == Some(room))
                .map(|entry| {
                    entry.presence.room = None;
                    entry.presence.clone()
                })
                .collect()
        };
        for presence in moved {
            self.publish(workspace, LiveEvent::Moved { presence });
        }
    }

    pub fn walk(&self, member: &Member, room: Option<RoomId>) -> Presence {
        let (presence, changed) = {
            let mut people = self.people.lock().expect("presence lock");
            let entry = entry_of(&mut people, member);
            let changed = entry.presence.room != room;
            entry.presence.room = room;
            (entry.presence.clone(), changed)
        };
        if changed {
            self.publish(member.workspace_id, LiveEvent::Moved { presence: presence.clone() });
        }
        presence
    }

    fn publish(&self, workspace: WorkspaceId, event: LiveEvent) {
        // No listener is fine: nobody has the office open.
        let _ = self.events.send(WorkspaceEvent { workspace, event });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: i64, workspace: i64) -> Member {
        Member {
            id: MemberId(id),
            workspace_id: WorkspaceId(workspace),
            name: format!("Member {id}"),
            email: format!("m{id}@example.com"),
            is_admin: false,
        }
    }

    fn next(events: &mut broadcast::Receiver<WorkspaceEvent>) -> WorkspaceEvent {
        events.try_recv().expect("an event was published")
    }

    #[test]
    fn walking_is_published_and_reflected_in_snapshots() {
        let hub = PresenceHub::new();
        let mut events = hub.subscribe();
        let ada = member(1, 1);
        let snapshot = hub.socket_opened(&ada);
        assert_eq!(snapshot, vec![Presence { member: ada.summary(), room: None }]);
        assert!(matches!(next(&mut events).event, LiveEvent::Moved { .. }));

        hub.walk(&ada, Some(RoomId(5)));
        let event = next(&mut events);
        assert_eq!(event.workspace, WorkspaceId(1));
        assert_eq!(
            event.event,
            LiveEvent::Moved { presence: Presence { member: ada.summary(), room: Some(RoomId(5)) } }
        );
        assert_eq!(hub.room_of(ada.id), Some(RoomId(5)));

        hub.walk(&ada, Some(RoomId(5)));
        assert!(events.try_recv().is_err(), "walking to where you are publishes nothing");
    }

    #[test]
    fn only_the_last_closed_socket_takes_a_member_offline() {
        let hub = PresenceHub::new();
        let ada = member(1, 1);
        hub.socket_opened(&ada);
        hub.socket_opened(&ada);
        let mut events = hub.subscribe();
        hub.socket_closed(&ada);
        assert!(events.try_recv().is_err());
        assert_eq!(hub.snapshot(WorkspaceId(1)).len(), 1);
        hub.socket_closed(&ada);
        assert_eq!(next(&mut events).event, LiveEvent::WentOffline { member: ada.id });
        assert!(hub.snapshot(WorkspaceId(1)).is_empty());
    }

    #[test]
    fn snapshots_only_show_the_asking_workspace() {
        let hub = PresenceHub::new();
        hub.socket_opened(&member(1, 1));
        hub.socket_opened(&member(2, 2));
        let ids: Vec<MemberId> = hub.snapshot(WorkspaceId(2)).into_iter().map(|p| p.member.id).collect();
        assert_eq!(ids, [MemberId(2)]);
    }

    #[test]
    fn signing_out_goes_offline_at_once() {
        let hub = PresenceHub::new();
        let ada = member(1, 1);
        hub.socket_opened(&ada);
        hub.socket_opened(&ada);
        hub.sign_out(&ada);
        assert!(hub.snapshot(WorkspaceId(1)).is_empty());
        hub.socket_closed(&ada);
        hub.socket_closed(&ada);
        assert!(hub.snapshot(WorkspaceId(1)).is_empty());
    }
}
