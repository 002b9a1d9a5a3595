//! Tells open pages that inbox access or contents changed, so sidebars and
//! inbox views update without a reload. Whoever makes the change reads what
//! it means once (every member's sidebar, or who may read the inbox), and
//! the news carries it: a thousand open pages cost one read, not a
//! thousand (each live socket only picks its member's part).

use super::db::Db;
use super::inboxes;
use super::policy::{self, InboxAction};
use crate::model::{InboxId, MemberId, MyInbox, WorkspaceId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxChange {
    /// Who may see which inbox changed somewhere in the workspace (an inbox
    /// was created or deleted, a participant or role changed, or someone
    /// joined or left a team): every member's sidebar as it is now; a
    /// member left out sees none.
    Access { workspace: WorkspaceId, sidebars: Arc<HashMap<MemberId, Vec<MyInbox>>> },
    /// The inbox's conversations changed (mail arrived or was sent);
    /// `readers`: the members who may read it now.
    Mail { workspace: WorkspaceId, inbox: InboxId, readers: Arc<HashSet<MemberId>> },
}

impl InboxChange {
    pub fn workspace(&self) -> WorkspaceId {
        match self {
            InboxChange::Access { workspace, .. } | InboxChange::Mail { workspace, .. } => *workspace,
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

    /// Access changed in `workspace`: every sidebar is read once and sent.
    pub async fn access_changed(&self, db: &Db, workspace: WorkspaceId) {
        match inboxes::visible_to_all(db, workspace).await {
            Ok(sidebars) => self.tell(InboxChange::Access { workspace, sidebars: Arc::new(sidebars) }),
            Err(error) => tracing::error!(%error, "could not read the sidebars' inboxes after a change"),
        }
    }

    /// Mail changed in `inbox`: who may read it is read once and sent.
    pub async fn mail_changed(&self, db: &Db, workspace: WorkspaceId, inbox: InboxId) {
        match inboxes::access_of_all(db, workspace, inbox).await {
            Ok(access) => {
                let readers = access
                    .into_iter()
                    .filter(|(_, access)| policy::check_inbox(*access, InboxAction::Read).is_ok())
                    .map(|(member, _)| member)
                    .collect();
                self.tell(InboxChange::Mail { workspace, inbox, readers: Arc::new(readers) });
            }
            Err(error) => tracing::error!(%error, %inbox, "could not read who may read an inbox after new mail"),
        }
    }

    fn tell(&self, change: InboxChange) {
        // No listener is fine: nobody has a page open.
        let _ = self.changes.send(change);
    }
}
