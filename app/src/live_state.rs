//! What the live socket keeps current on a member's pages (the office, an
//! inbox, a channel): who is where, guests at the rooms, the inboxes in the
//! sidebar, news of mail, and who is in which channel's call. One connection per page.

use crate::model::layout::Place;
use crate::model::{Channel, ChannelId, ChannelMessage, InboxId, MemberId, MyInbox, Presence, Room, RoomId};
use crate::protocol::LiveEvent;
use crate::protocol::guest::RoomGuests;
use crate::protocol::live::ChannelCall;
use leptos::prelude::*;
use std::collections::HashMap;

#[derive(Clone, Copy)]
pub struct LiveState {
    pub people: RwSignal<Vec<Presence>>,
    pub waiting: RwSignal<Vec<RoomGuests>>,
    pub inboxes: RwSignal<Vec<MyInbox>>,
    /// The workspace's channels, for the sidebar.
    pub channels: RwSignal<Vec<Channel>>,
    /// The office map's rooms (the office page fills it in).
    pub rooms: RwSignal<Vec<Room>>,
    /// Rooms this page is moving or resizing in build mode, with a save in
    /// flight, and the newest place made for each. A map pushed meanwhile
    /// (after an earlier save) keeps these, so the room does not jump back
    /// under the next arrow key.
    pub placing: StoredValue<HashMap<RoomId, Place>>,
    /// The latest inbox that had new or sent mail, with a counter so the
    /// same inbox twice still counts as news.
    pub mail: RwSignal<(Option<InboxId>, u32)>,
    /// The workspace's meeting-channel calls going on, with who is in them.
    pub calls: RwSignal<Vec<ChannelCall>>,
    /// None until the first connection; then whether it is up.
    pub live: RwSignal<Option<bool>>,
    /// The latest message posted (`true`), edited or deleted in the
    /// workspace's channels.
    pub message: RwSignal<Option<(ChannelMessage, bool)>>,
    /// Counts the times this page fell behind and missed messages.
    pub missed: RwSignal<u32>,
    /// Unread messages per channel, for the sidebar (read on opening the
    /// page, then counted as posts arrive).
    pub unread: RwSignal<HashMap<ChannelId, i64>>,
    /// The channel this page shows, whose new messages are read as they come.
    pub reading: RwSignal<Option<ChannelId>>,
}

impl LiveState {
    pub fn new(people: Vec<Presence>, channels: Vec<Channel>, inboxes: Vec<MyInbox>) -> Self {
        LiveState {
            people: RwSignal::new(people),
            waiting: RwSignal::new(Vec::new()),
            inboxes: RwSignal::new(inboxes),
            channels: RwSignal::new(channels),
            rooms: RwSignal::new(Vec::new()),
            placing: StoredValue::new(HashMap::new()),
            mail: RwSignal::new((None, 0)),
            calls: RwSignal::new(Vec::new()),
            live: RwSignal::new(None),
            message: RwSignal::new(None),
            missed: RwSignal::new(0),
            unread: RwSignal::new(HashMap::new()),
            reading: RwSignal::new(None),
        }
    }

    /// Opens the live socket once the page runs in the browser and closes
    /// it when the page goes away.
    pub fn listen(self, me: MemberId) {
        #[cfg(feature = "hydrate")]
        {
            use crate::client::live::{LinkStatus, LiveConnection};
            let connection = StoredValue::new_local(None::<LiveConnection>);
            Effect::new(move |_| {
                let opened = LiveConnection::open(
                    move |event: LiveEvent| self.apply(me, event),
                    move |status| self.live.set(Some(status == LinkStatus::Connected)),
                );
                connection.set_value(Some(opened));
                self.read_unread();
            });
            on_cleanup(move || {
                connection.update_value(|connection| {
                    if let Some(connection) = connection.take() {
                        connection.close();
                    }
                })
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = me;
    }

    /// Reads the unread counts afresh (on opening, and after missing news).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn read_unread(self) {
        leptos::task::spawn_local(async move {
            if let Ok(counts) = crate::api::messages::unread_counts().await {
                let reading = self.reading.get_untracked();
                let counts = counts.into_iter().filter(|u| Some(u.channel) != reading).map(|u| (u.channel, u.count));
                self.unread.set(counts.collect());
            }
        });
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn apply(self, me: MemberId, event: LiveEvent) {
        if event == (LiveEvent::WentOffline { member: me }) || event == LiveEvent::SignedOut {
            // Signed out in another tab or everywhere: this page no longer has a session.
            let _ = window().location().set_href("/signin");
            return;
        }
        match event {
            LiveEvent::Guests { rooms } => self.waiting.set(rooms),
            LiveEvent::Inboxes { inboxes } => self.inboxes.set(inboxes),
            LiveEvent::Calls { calls } => self.calls.set(calls),
            LiveEvent::Channels { channels } => self.channels.set(channels),
            LiveEvent::Rooms { mut rooms } => {
                self.placing.with_value(|placing| {
                    for room in &mut rooms {
                        if let Some(place) = placing.get(&room.id) {
                            (room.x, room.y, room.width, room.height) = (place.x, place.y, place.width, place.height);
                        }
                    }
                });
                self.rooms.set(rooms)
            }
            LiveEvent::Message { message, posted } => {
                let unseen = posted
                    && !message.deleted
                    && message.author != Some(me)
                    && self.reading.get_untracked() != Some(message.channel);
                if unseen {
                    self.unread.update(|unread| *unread.entry(message.channel).or_default() += 1);
                }
                self.message.set(Some((message, posted)));
            }
            LiveEvent::MessagesMissed => {
                self.missed.update(|missed| *missed += 1);
                self.read_unread();
            }
            LiveEvent::InboxMail { inbox } => self.mail.update(|(last, count)| {
                *last = Some(inbox);
                *count += 1;
            }),
            event => self.people.update(|list| event.apply_to(list)),
        }
    }
}
