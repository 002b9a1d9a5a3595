//! The access policy: the one place that answers "may this principal do this
//! action on this resource". Every server function and every live-socket
//! message asks here; nothing else decides permissions.

use super::accounts::Member;
use crate::error::AppError;
use crate::model::ConferenceId;
use crate::model::{ChannelId, InboxRole, WorkspaceId};

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No valid session.
    Anonymous,
    Member(Member),
    /// Someone let in through a room's invite link or a meeting channel's
    /// external link: they hold a pass for that one call and nothing else.
    Guest {
        workspace: WorkspaceId,
        conference: ConferenceId,
    },
}

/// What they want to do, naming the workspace the resource lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the office map, its rooms, channels and who is where; receive
    /// its live events.
    ViewOffice(WorkspaceId),
    /// Walk into one of the workspace's rooms or out to the lobby.
    Walk(WorkspaceId),
    /// See the member list.
    ListMembers(WorkspaceId),
    /// Add a member account.
    AddMember(WorkspaceId),
    /// Deactivate a member (their sessions, calls and access end) or
    /// reactivate them.
    ManageMembers(WorkspaceId),
    /// Email a member a link to choose a new password.
    SendPasswordReset(WorkspaceId),
    /// Join the call of a virtual-office room: only while inside that room
    /// (for a guest: only the room their pass is for).
    JoinRoomCall { workspace: WorkspaceId, inside_room: bool },
    /// See, copy or regenerate a room's guest invite link: only from inside.
    InviteGuest { workspace: WorkspaceId, inside_room: bool },
    /// Let a knocking guest in or turn them away: only from inside the room
    /// they knock at.
    AnswerGuest { workspace: WorkspaceId, inside_room: bool },
    /// Send an admitted guest out of the room: only from inside it.
    RemoveGuest { workspace: WorkspaceId, inside_room: bool },
    /// Join a meeting channel's call: any member of the workspace, and a
    /// guest whose pass is for exactly this channel.
    JoinChannelCall { workspace: WorkspaceId, channel: ChannelId },
    /// Open a meeting channel's details, copy its external link, or generate
    /// one when it has none: any member.
    ShareChannelLink(WorkspaceId),
    /// Replace or turn off a channel's external link, remove guests from its
    /// call, see who came and went: the channel's admins and workspace admins.
    ManageChannel { workspace: WorkspaceId, channel_admin: bool },
    /// Create a shared inbox, or see every inbox from Workspace Settings.
    OverseeInboxes(WorkspaceId),
    /// Put members into teams and take them out.
    ManageTeams(WorkspaceId),
    /// Create and delete the workspace's channels.
    ManageChannels(WorkspaceId),
    /// See meeting channels' past calls, their transcripts and summaries,
    /// and search them: any member, never a guest.
    ReadPastCalls(WorkspaceId),
    /// Build mode: create, rename, move, resize and delete the office's
    /// rooms. Any member, unless the workspace keeps it to admins.
    BuildOffice { workspace: WorkspaceId, admins_only: bool },
    /// Change the workspace's own settings (who may build).
    ConfigureWorkspace(WorkspaceId),
    /// Read a channel's history, search it, see its files: any member,
    /// never a guest (not even one in the channel's call).
    ReadChannel(WorkspaceId),
    /// Write in a channel: any member.
    PostMessage(WorkspaceId),
    /// Change a message's text: its author only, admins included.
    EditMessage { workspace: WorkspaceId, own: bool },
    /// Delete a message: its author, the channel's admins and workspace
    /// admins.
    DeleteMessage { workspace: WorkspaceId, own: bool, channel_admin: bool },
}

impl Action {
    fn workspace(self) -> WorkspaceId {
        match self {
            Action::ViewOffice(w)
            | Action::Walk(w)
            | Action::ListMembers(w)
            | Action::AddMember(w)
            | Action::ManageMembers(w)
            | Action::SendPasswordReset(w)
            | Action::OverseeInboxes(w)
            | Action::ManageTeams(w)
            | Action::ManageChannels(w)
            | Action::ReadPastCalls(w)
            | Action::ConfigureWorkspace(w)
            | Action::ReadChannel(w)
            | Action::PostMessage(w)
            | Action::ShareChannelLink(w) => w,
            Action::EditMessage { workspace, .. } | Action::DeleteMessage { workspace, .. } => workspace,
            Action::JoinRoomCall { workspace, .. }
            | Action::JoinChannelCall { workspace, .. }
            | Action::ManageChannel { workspace, .. }
            | Action::BuildOffice { workspace, .. }
            | Action::InviteGuest { workspace, .. }
            | Action::AnswerGuest { workspace, .. }
            | Action::RemoveGuest { workspace, .. } => workspace,
        }
    }

    /// Whether the action is allowed only from inside a room, and whether
    /// the asker is inside it.
    fn room_bound(self) -> Option<bool> {
        match self {
            Action::JoinRoomCall { inside_room, .. }
            | Action::InviteGuest { inside_room, .. }
            | Action::AnswerGuest { inside_room, .. }
            | Action::RemoveGuest { inside_room, .. } => Some(inside_room),
            Action::ViewOffice(_)
            | Action::Walk(_)
            | Action::ListMembers(_)
            | Action::AddMember(_)
            | Action::ManageMembers(_)
            | Action::SendPasswordReset(_)
            | Action::OverseeInboxes(_)
            | Action::ManageTeams(_)
            | Action::ManageChannels(_)
            | Action::ReadPastCalls(_)
            | Action::BuildOffice { .. }
            | Action::ConfigureWorkspace(_)
            | Action::JoinChannelCall { .. }
            | Action::ShareChannelLink(_)
            | Action::ManageChannel { .. }
            | Action::ReadChannel(_)
            | Action::PostMessage(_)
            | Action::EditMessage { .. }
            | Action::DeleteMessage { .. } => None,
        }
    }

    /// Whether only a workspace admin may do it (`ManageChannel`: unless
    /// they administer the channel).
    fn needs_admin(self) -> bool {
        match self {
            Action::AddMember(_)
            | Action::ManageMembers(_)
            | Action::SendPasswordReset(_)
            | Action::OverseeInboxes(_)
            | Action::ManageTeams(_)
            | Action::ManageChannels(_)
            | Action::ConfigureWorkspace(_) => true,
            Action::ManageChannel { channel_admin, .. } => !channel_admin,
            Action::DeleteMessage { own, channel_admin, .. } => !own && !channel_admin,
            Action::BuildOffice { admins_only, .. } => admins_only,
            _ => false,
        }
    }
}

/// Allows the action or says why not.
pub fn check(principal: &Principal, action: Action) -> Result<(), AppError> {
    let member = match principal {
        Principal::Anonymous => return Err(AppError::NotSignedIn),
        Principal::Guest { workspace, conference } => {
            // A guest's pass opens their own room's or channel's call, and
            // nothing else.
            let allowed = match (action, conference) {
                (Action::JoinRoomCall { workspace: w, inside_room }, ConferenceId::Room(_)) => {
                    inside_room && w == *workspace
                }
                (Action::JoinChannelCall { workspace: w, channel }, ConferenceId::Channel(own)) => {
                    channel == *own && w == *workspace
                }
                _ => false,
            };
            return if allowed { Ok(()) } else { Err(AppError::Forbidden) };
        }
        Principal::Member(member) => member,
    };
    if member.workspace_id != action.workspace() {
        return Err(AppError::Forbidden);
    }
    if action.needs_admin() && !member.is_admin {
        return Err(AppError::Forbidden);
    }
    // Words are put in no one's mouth: nobody edits another's message.
    if let Action::EditMessage { own: false, .. } = action {
        return Err(AppError::Forbidden);
    }
    if action.room_bound() == Some(false) {
        return Err(AppError::NotInRoom);
    }
    Ok(())
}

/// Where a member stands with one inbox of their own workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxAccess {
    /// Their role: the highest of their own entry and their teams' entries.
    pub role: Option<InboxRole>,
    pub workspace_admin: bool,
}

/// What someone wants to do with one inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxAction {
    /// See it in the sidebar, list and read its conversations.
    Read,
    /// Compose or reply.
    Send,
    /// Add or remove participants, change their roles.
    ManageParticipants,
    /// Rename it, change its email addresses.
    EditSettings,
    Delete,
}

/// Allows the inbox action or says why not. An inbox the member may not
/// read answers exactly like one that does not exist.
pub fn check_inbox(access: InboxAccess, action: InboxAction) -> Result<(), AppError> {
    let InboxAccess { role, workspace_admin } = access;
    if role.is_none() && !workspace_admin {
        return Err(AppError::NotFound("That inbox".into()));
    }
    let allowed = match action {
        InboxAction::Read => true,
        InboxAction::Send => role >= Some(InboxRole::Member),
        InboxAction::ManageParticipants | InboxAction::EditSettings => {
            workspace_admin || role == Some(InboxRole::Admin)
        }
        InboxAction::Delete => workspace_admin,
    };
    match (allowed, action) {
        (true, _) => Ok(()),
        (false, InboxAction::Send) => Err(AppError::CannotSend),
        (false, _) => Err(AppError::Forbidden),
    }
}

impl Principal {
    /// The signed-in member, or the error to show someone who is not.
    pub fn member(&self) -> Result<&Member, AppError> {
        match self {
            Principal::Member(member) => Ok(member),
            Principal::Anonymous => Err(AppError::NotSignedIn),
            Principal::Guest { .. } => Err(AppError::Forbidden),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MemberId, RoomId};

    const HOME: WorkspaceId = WorkspaceId(1);
    const OTHER: WorkspaceId = WorkspaceId(2);
    const CALLS: ChannelId = ChannelId(5);

    fn member(is_admin: bool) -> Principal {
        Principal::Member(Member {
            id: MemberId(7),
            workspace_id: HOME,
            name: "Grace".into(),
            email: "grace@example.com".into(),
            is_admin,
        })
    }

    /// Every action, from inside the room it concerns (for a guest: the room
    /// of their pass) and from elsewhere, in this and another workspace.
    #[test]
    fn permission_table() {
        use AppError::{Forbidden as No, NotInRoom as Outside, NotSignedIn as SignIn};
        let principals = [
            ("anonymous", Principal::Anonymous),
            ("room guest", Principal::Guest { workspace: HOME, conference: ConferenceId::Room(RoomId(3)) }),
            ("channel guest", Principal::Guest { workspace: HOME, conference: ConferenceId::Channel(CALLS) }),
            ("member", member(false)),
            ("workspace admin", member(true)),
        ];
        let room_bound = |w, inside_room| {
            [
                Action::JoinRoomCall { workspace: w, inside_room },
                Action::InviteGuest { workspace: w, inside_room },
                Action::AnswerGuest { workspace: w, inside_room },
                Action::RemoveGuest { workspace: w, inside_room },
            ]
        };
        let mut table: Vec<(Action, [Result<(), AppError>; 5])> = vec![
            //                     anonymous  room guest channel guest member  admin
            (Action::ViewOffice(HOME), [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())]),
            (Action::Walk(HOME), [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())]),
            (Action::ListMembers(HOME), [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())]),
            (Action::AddMember(HOME), [Err(SignIn), Err(No), Err(No), Err(No), Ok(())]),
            (Action::ViewOffice(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::Walk(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::ListMembers(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::AddMember(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::ManageMembers(HOME), [Err(SignIn), Err(No), Err(No), Err(No), Ok(())]),
            (Action::ManageMembers(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::SendPasswordReset(HOME), [Err(SignIn), Err(No), Err(No), Err(No), Ok(())]),
            (Action::SendPasswordReset(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::OverseeInboxes(HOME), [Err(SignIn), Err(No), Err(No), Err(No), Ok(())]),
            (Action::ManageTeams(HOME), [Err(SignIn), Err(No), Err(No), Err(No), Ok(())]),
            (Action::OverseeInboxes(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::ManageTeams(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::ManageChannels(HOME), [Err(SignIn), Err(No), Err(No), Err(No), Ok(())]),
            (Action::ManageChannels(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
        ];
        let [join, invite, answer, remove] = room_bound(HOME, true);
        table.push((join, [Err(SignIn), Ok(()), Err(No), Ok(()), Ok(())]));
        for action in [invite, answer, remove] {
            table.push((action, [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())]));
        }
        let other_channel = ChannelId(6);
        table.extend([
            (
                Action::JoinChannelCall { workspace: HOME, channel: CALLS },
                [Err(SignIn), Err(No), Ok(()), Ok(()), Ok(())],
            ),
            (
                Action::JoinChannelCall { workspace: HOME, channel: other_channel },
                [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())],
            ),
            (
                Action::JoinChannelCall { workspace: OTHER, channel: CALLS },
                [Err(SignIn), Err(No), Err(No), Err(No), Err(No)],
            ),
            (Action::ShareChannelLink(HOME), [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())]),
            (Action::ShareChannelLink(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::ReadPastCalls(HOME), [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())]),
            (Action::ReadPastCalls(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (
                Action::BuildOffice { workspace: HOME, admins_only: false },
                [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())],
            ),
            (
                Action::BuildOffice { workspace: HOME, admins_only: true },
                [Err(SignIn), Err(No), Err(No), Err(No), Ok(())],
            ),
            (
                Action::BuildOffice { workspace: OTHER, admins_only: false },
                [Err(SignIn), Err(No), Err(No), Err(No), Err(No)],
            ),
            (Action::ConfigureWorkspace(HOME), [Err(SignIn), Err(No), Err(No), Err(No), Ok(())]),
            (Action::ConfigureWorkspace(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            // A channel admin's standing is in the action: the member column
            // then reads as "a member who administers this channel".
            (
                Action::ManageChannel { workspace: HOME, channel_admin: true },
                [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())],
            ),
            (
                Action::ManageChannel { workspace: HOME, channel_admin: false },
                [Err(SignIn), Err(No), Err(No), Err(No), Ok(())],
            ),
            (
                Action::ManageChannel { workspace: OTHER, channel_admin: true },
                [Err(SignIn), Err(No), Err(No), Err(No), Err(No)],
            ),
            // A channel's conversation: members only, whatever call a guest is in.
            (Action::ReadChannel(HOME), [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())]),
            (Action::ReadChannel(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::PostMessage(HOME), [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())]),
            (Action::PostMessage(OTHER), [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::EditMessage { workspace: HOME, own: true }, [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())]),
            // Not even a workspace admin edits someone else's words.
            (Action::EditMessage { workspace: HOME, own: false }, [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (Action::EditMessage { workspace: OTHER, own: true }, [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]),
            (
                Action::DeleteMessage { workspace: HOME, own: true, channel_admin: false },
                [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())],
            ),
            (
                Action::DeleteMessage { workspace: HOME, own: false, channel_admin: true },
                [Err(SignIn), Err(No), Err(No), Ok(()), Ok(())],
            ),
            (
                Action::DeleteMessage { workspace: HOME, own: false, channel_admin: false },
                [Err(SignIn), Err(No), Err(No), Err(No), Ok(())],
            ),
            (
                Action::DeleteMessage { workspace: OTHER, own: true, channel_admin: true },
                [Err(SignIn), Err(No), Err(No), Err(No), Err(No)],
            ),
        ]);
        for action in room_bound(HOME, false) {
            table.push((action, [Err(SignIn), Err(No), Err(No), Err(Outside), Err(Outside)]));
        }
        for action in room_bound(OTHER, true).into_iter().chain(room_bound(OTHER, false)) {
            table.push((action, [Err(SignIn), Err(No), Err(No), Err(No), Err(No)]));
        }
        for (action, expected) in table {
            for ((who, principal), expected) in principals.iter().zip(expected) {
                assert_eq!(check(principal, action), expected, "{who} doing {action:?}");
            }
        }
    }

    /// Every inbox action for every kind of standing (the database test in
    /// `ssr::inboxes` checks the same table against real participants).
    #[test]
    fn inbox_permission_table() {
        use InboxAction::*;
        use InboxRole::{Admin, Member, Viewer};
        let gone = || Err(AppError::NotFound("That inbox".into()));
        let access = |role, workspace_admin| InboxAccess { role, workspace_admin };
        let no = || Err(AppError::Forbidden);
        let read_only = || Err(AppError::CannotSend);
        // (standing, [Read, Send, ManageParticipants, EditSettings, Delete])
        let table = [
            ("non-participant", access(None, false), [gone(), gone(), gone(), gone(), gone()]),
            ("viewer", access(Some(Viewer), false), [Ok(()), read_only(), no(), no(), no()]),
            ("member", access(Some(Member), false), [Ok(()), Ok(()), no(), no(), no()]),
            ("inbox admin", access(Some(Admin), false), [Ok(()), Ok(()), Ok(()), Ok(()), no()]),
            ("workspace admin", access(None, true), [Ok(()), read_only(), Ok(()), Ok(()), Ok(())]),
            ("workspace admin and viewer", access(Some(Viewer), true), [Ok(()), read_only(), Ok(()), Ok(()), Ok(())]),
        ];
        for (who, standing, expected) in table {
            for (action, expected) in [Read, Send, ManageParticipants, EditSettings, Delete].into_iter().zip(expected) {
                assert_eq!(check_inbox(standing, action), expected, "{who} doing {action:?}");
            }
        }
    }
}
