//! Tells open pages and calls that a workspace's channels or office map
//! changed. Whoever makes the change reads the new list once and the news
//! carries it: a thousand open pages cost one read, not a thousand.

use super::db::Db;
use super::office;
use crate::model::{Channel, ChannelId, ChannelMessage, Room, WorkspaceId};
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelNews {
    /// A channel was created, renamed or deleted: the workspace's channels now.
    Listed { workspace: WorkspaceId, channels: Arc<Vec<Channel>> },
    /// A meeting channel's "Transcribe calls" switch was turned.
    Transcription { channel: ChannelId, on: bool },
    /// A message was posted (`posted`), or edited or deleted, in one of the
    /// workspace's channels: every member's open pages hear it.
    Message { workspace: WorkspaceId, message: Arc<ChannelMessage>, posted: bool },
}

/// A room was created, renamed, moved, resized or deleted: the workspace's
/// rooms now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomNews {
    pub workspace: WorkspaceId,
    pub rooms: Arc<Vec<Room>>,
}

#[derive(Clone)]
pub struct WorkspaceNews {
    channels: broadcast::Sender<ChannelNews>,
    rooms: broadcast::Sender<RoomNews>,
}

impl Default for WorkspaceNews {
    fn default() -> Self {
        WorkspaceNews { channels: broadcast::channel(256).0, rooms: broadcast::channel(16).0 }
    }
}

impl WorkspaceNews {
    pub fn subscribe_channels(&self) -> broadcast::Receiver<ChannelNews> {
        self.channels.subscribe()
    }

    pub fn subscribe_rooms(&self) -> broadcast::Receiver<RoomNews> {
        self.rooms.subscribe()
    }

    /// The workspace's channels changed: they are read once and sent.
    pub async fn channels_changed(&self, db: &Db, workspace: WorkspaceId) {
        match office::channels(db, workspace).await {
            // No listener is fine: nobody has a page open.
            Ok(channels) => drop(self.channels.send(ChannelNews::Listed { workspace, channels: Arc::new(channels) })),
            Err(error) => tracing::error!(%error, "could not read the channels after a change"),
        }
    }

    pub fn transcription_changed(&self, channel: ChannelId, on: bool) {
        let _ = self.channels.send(ChannelNews::Transcription { channel, on });
    }

    pub fn message_changed(&self, workspace: WorkspaceId, message: ChannelMessage, posted: bool) {
        let _ = self.channels.send(ChannelNews::Message { workspace, message: Arc::new(message), posted });
    }

    /// The office map changed: its rooms are read once and sent.
    pub async fn rooms_changed(&self, db: &Db, workspace: WorkspaceId) {
        match office::rooms(db, workspace).await {
            Ok(rooms) => drop(self.rooms.send(RoomNews { workspace, rooms: Arc::new(rooms) })),
            Err(error) => tracing::error!(%error, "could not read the office's rooms after a change"),
        }
    }
}
