//! Tells open pages that inbox access or contents changed, so sidebars and
//! inbox views update without a reload. Who may see what is decided again
//! by each listener (the live socket asks the database for its member).

use crate::model::{InboxId, WorkspaceId};
use tokio::sync::broadcast;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxChange {
    /// Who may see which inbox changed somewhere in the workspace: an inbox
    /// was created or deleted, a participant or role changed, or someone
    /// joined or left a team.
    Access(WorkspaceId),
    /// The inbox's conversations changed (mail arrived or was sent).
    Mail(WorkspaceId, InboxId),
}

impl InboxChange {
    pub fn workspace(self) -> WorkspaceId {
        match self {
            InboxChange::Access(workspace) | InboxChange::Mail(workspace, _) => workspace,
        }
    }
}

#[derive(Clone)]
pub struct InboxNews {
    changes: broadcast::Sender<InboxChange>,
}

impl Default for InboxNews {
    fn default() -> Self {
        InboxNews { changes: broadcast::channel(64).0 }
    }
}

impl InboxNews {
    pub fn subscribe(&self) -> broadcast::Receiver<InboxChange> {
        self.changes.subscribe()
    }

    pub fn tell(&self, change: InboxChange) {
        // No listener is fine: nobody has a page open.
        let _ = self.changes.send(change);
    }
}
