//! The access policy: the one place that answers "may this principal do this
//! action on this resource". Every server function and every live-socket
//! message asks here; nothing else decides permissions.

use super::accounts::Member;
use crate::error::AppError;
use crate::model::WorkspaceId;

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No valid session.
    Anonymous,
    Member(Member),
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
    /// Join the call of a virtual-office room: only while inside that room.
    JoinRoomCall { workspace: WorkspaceId, inside_room: bool },
    /// See, copy or regenerate a room's guest invite link: only from inside.
    InviteGuest { workspace: WorkspaceId, inside_room: bool },
}

impl Action {
    fn workspace(self) -> WorkspaceId {
        match self {
            Action::ViewOffice(w) | Action::Walk(w) | Action::ListMembers(w) | Action::AddMember(w) => w,
            Action::JoinRoomCall { workspace, .. } | Action::InviteGuest { workspace, .. } => workspace,
        }
    }

    fn needs_admin(self) -> bool {
        matches!(self, Action::AddMember(_))
    }
}

/// Allows the action or says why not.
pub fn check(principal: &Principal, action: Action) -> Result<(), AppError> {
    let member = match principal {
        Principal::Anonymous => return Err(AppError::NotSignedIn),
        Principal::Member(member) => member,
    };
    if member.workspace_id != action.workspace() {
        return Err(AppError::Forbidden);
    }
    if action.needs_admin() && !member.is_admin {
        return Err(AppError::Forbidden);
    }
    if let Action::JoinRoomCall { inside_room: false, .. } | Action::InviteGuest { inside_room: false, .. } = action {
        return Err(AppError::NotInRoom);
    }
    Ok(())
}

impl Principal {
    /// The signed-in member, or the error to show someone who is not.
    pub fn member(&self) -> Result<&Member, AppError> {
        match self {
            Principal::Member(member) => Ok(member),
            Principal::Anonymous => Err(AppError::NotSignedIn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MemberId;

    const HOME: WorkspaceId = WorkspaceId(1);
    const OTHER: WorkspaceId = WorkspaceId(2);

    fn member(is_admin: bool) -> Principal {
        Principal::Member(Member {
            id: MemberId(7),
            workspace_id: HOME,
            name: "Grace".into(),
            email: "grace@example.com".into(),
            is_admin,
        })
    }

    #[test]
    fn permission_table() {
        use AppError::{Forbidden, NotInRoom, NotSignedIn};
        let anonymous = Principal::Anonymous;
        let plain = member(false);
        let admin = member(true);
        // (principal, action, expected)
        let table: Vec<(&str, &Principal, Action, Result<(), AppError>)> = vec![
            ("anonymous", &anonymous, Action::ViewOffice(HOME), Err(NotSignedIn)),
            ("anonymous", &anonymous, Action::Walk(HOME), Err(NotSignedIn)),
            ("anonymous", &anonymous, Action::ListMembers(HOME), Err(NotSignedIn)),
            ("anonymous", &anonymous, Action::AddMember(HOME), Err(NotSignedIn)),
            ("member", &plain, Action::ViewOffice(HOME), Ok(())),
            ("member", &plain, Action::Walk(HOME), Ok(())),
            ("member", &plain, Action::ListMembers(HOME), Ok(())),
            ("member", &plain, Action::AddMember(HOME), Err(Forbidden)),
            ("member", &plain, Action::ViewOffice(OTHER), Err(Forbidden)),
            ("member", &plain, Action::Walk(OTHER), Err(Forbidden)),
            ("workspace admin", &admin, Action::ViewOffice(HOME), Ok(())),
            ("workspace admin", &admin, Action::Walk(HOME), Ok(())),
            ("workspace admin", &admin, Action::ListMembers(HOME), Ok(())),
            ("workspace admin", &admin, Action::AddMember(HOME), Ok(())),
            ("workspace admin", &admin, Action::AddMember(OTHER), Err(Forbidden)),
            ("workspace admin", &admin, Action::ListMembers(OTHER), Err(Forbidden)),
            ("anonymous", &anonymous, Action::JoinRoomCall { workspace: HOME, inside_room: true }, Err(NotSignedIn)),
            ("member", &plain, Action::JoinRoomCall { workspace: HOME, inside_room: true }, Ok(())),
            ("member", &plain, Action::JoinRoomCall { workspace: HOME, inside_room: false }, Err(NotInRoom)),
            ("member", &plain, Action::JoinRoomCall { workspace: OTHER, inside_room: true }, Err(Forbidden)),
            ("workspace admin", &admin, Action::JoinRoomCall { workspace: HOME, inside_room: false }, Err(NotInRoom)),
            ("anonymous", &anonymous, Action::InviteGuest { workspace: HOME, inside_room: true }, Err(NotSignedIn)),
            ("member", &plain, Action::InviteGuest { workspace: HOME, inside_room: true }, Ok(())),
            ("member", &plain, Action::InviteGuest { workspace: HOME, inside_room: false }, Err(NotInRoom)),
            ("member", &plain, Action::InviteGuest { workspace: OTHER, inside_room: true }, Err(Forbidden)),
            ("workspace admin", &admin, Action::InviteGuest { workspace: HOME, inside_room: false }, Err(NotInRoom)),
        ];
        for (who, principal, action, expected) in table {
            assert_eq!(check(principal, action), expected, "{who} doing {action:?}");
        }
    }
}
