//! Shared inboxes in the database: the inboxes, their addresses, and who
//! takes part with which role (members directly, or whole teams, whose
//! membership is read at every check so joining or leaving a team counts at
//! once).

use super::accounts::Member;
use super::db::{Db, is_unique_violation, now};
use super::policy::InboxAccess;
use crate::error::AppError;
use crate::model::{
    DirectoryEntry, Grantee, InboxId, InboxParticipant, InboxParticipantId, InboxRole, InboxSummary, MemberId, MyInbox,
    TeamId, WorkspaceId,
};
use std::collections::HashMap;

/// The inbox, if it exists in `workspace` (ids from elsewhere answer like
/// ids that do not exist).
pub async fn find(db: &Db, workspace: WorkspaceId, inbox: InboxId) -> Result<Option<InboxSummary>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM inboxes WHERE workspace_id = $1 AND id = $2")
        .bind(workspace)
        .bind(inbox)
        .fetch_optional(db)
        .await
}

/// The member's role in the inbox: the highest of their own entry and the
/// entries of the teams they are in right now.
pub async fn role_of(db: &Db, inbox: InboxId, member: MemberId) -> Result<Option<InboxRole>, sqlx::Error> {
    let roles: Vec<InboxRole> = sqlx::query_scalar(
        "SELECT role FROM inbox_participants WHERE inbox_id = $1
         AND (member_id = $2 OR team_id IN (SELECT team_id FROM team_members WHERE member_id = $2))",
    )
    .bind(inbox)
    .bind(member)
    .fetch_all(db)
    .await?;
    Ok(roles.into_iter().max())
}

/// The inbox and where `member` stands with it; `None` if it is not in
/// their workspace (or does not exist).
pub async fn access(
    db: &Db,
    member: &Member,
    inbox: InboxId,
) -> Result<Option<(InboxSummary, InboxAccess)>, sqlx::Error> {
    let Some(found) = find(db, member.workspace_id, inbox).await? else { return Ok(None) };
    let access = InboxAccess { role: role_of(db, inbox, member.id).await?, workspace_admin: member.is_admin };
    Ok(Some((found, access)))
}

/// The inboxes in the member's sidebar: those they take part in, directly
/// or through a team, each with their highest role there.
pub async fn visible_to(db: &Db, member: MemberId) -> Result<Vec<MyInbox>, sqlx::Error> {
    let rows: Vec<(InboxId, String, InboxRole)> = sqlx::query_as(
        "SELECT i.id, i.name, p.role FROM inboxes i JOIN inbox_participants p ON p.inbox_id = i.id
         WHERE p.member_id = $1 OR p.team_id IN (SELECT team_id FROM team_members WHERE member_id = $1)
         ORDER BY i.name, i.id",
    )
    .bind(member)
    .fetch_all(db)
    .await?;
    let mut list: Vec<MyInbox> = Vec::new();
    for (id, name, role) in rows {
        match list.last_mut() {
            Some(last) if last.id == id => last.role = last.role.max(role),
            _ => list.push(MyInbox { id, name, role }),
        }
    }
    Ok(list)
}

/// Every member's sidebar inboxes in the workspace at once (one query,
/// not one per open page): members with none are left out.
pub async fn visible_to_all(db: &Db, workspace: WorkspaceId) -> Result<HashMap<MemberId, Vec<MyInbox>>, sqlx::Error> {
    let rows: Vec<(MemberId, InboxId, String, InboxRole)> = sqlx::query_as(
        "SELECT p.member_id, i.id, i.name, p.role FROM inboxes i JOIN inbox_participants p ON p.inbox_id = i.id
         WHERE i.workspace_id = $1 AND p.member_id IS NOT NULL
         UNION ALL
         SELECT t.member_id, i.id, i.name, p.role FROM inboxes i JOIN inbox_participants p ON p.inbox_id = i.id
         JOIN team_members t ON t.team_id = p.team_id WHERE i.workspace_id = $1
         ORDER BY 1, 3, 2",
    )
    .bind(workspace)
    .fetch_all(db)
    .await?;
    let mut sidebars: HashMap<MemberId, Vec<MyInbox>> = HashMap::new();
    for (member, id, name, role) in rows {
        let list = sidebars.entry(member).or_default();
        match list.last_mut() {
            Some(last) if last.id == id => last.role = last.role.max(role),
            _ => list.push(MyInbox { id, name, role }),
        }
    }
    Ok(sidebars)
}

/// Where every member who stands anywhere with the inbox stands: its
/// participants (directly or through a team) and the workspace's admins.
/// Whoever is not in it has no access at all.
pub async fn access_of_all(
    db: &Db,
    workspace: WorkspaceId,
    inbox: InboxId,
) -> Result<HashMap<MemberId, InboxAccess>, sqlx::Error> {
    let admins: Vec<MemberId> = sqlx::query_scalar("SELECT id FROM members WHERE workspace_id = $1 AND is_admin")
        .bind(workspace)
        .fetch_all(db)
        .await?;
    let roles: Vec<(MemberId, InboxRole)> = sqlx::query_as(
        "SELECT member_id, role FROM inbox_participants WHERE inbox_id = $1 AND member_id IS NOT NULL
         UNION ALL
         SELECT t.member_id, p.role FROM inbox_participants p JOIN team_members t ON t.team_id = p.team_id
         WHERE p.inbox_id = $1",
    )
    .bind(inbox)
    .fetch_all(db)
    .await?;
    let mut access: HashMap<MemberId, InboxAccess> = HashMap::new();
    for admin in admins {
        access.insert(admin, InboxAccess { role: None, workspace_admin: true });
    }
    for (member, role) in roles {
        let entry = access.entry(member).or_insert(InboxAccess { role: None, workspace_admin: false });
        entry.role = entry.role.max(Some(role));
    }
    Ok(access)
}

/// Every inbox of the workspace, for workspace admins.
pub async fn all(db: &Db, workspace: WorkspaceId) -> Result<Vec<InboxSummary>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM inboxes WHERE workspace_id = $1 ORDER BY name")
        .bind(workspace)
        .fetch_all(db)
        .await
}

/// Creates an inbox with its addresses (already validated, lower-case).
pub async fn create(db: &Db, workspace: WorkspaceId, name: &str, addresses: &[String]) -> Result<InboxId, AppError> {
    let mut tx = db.begin().await?;
    let created: Result<InboxId, sqlx::Error> =
        sqlx::query_scalar("INSERT INTO inboxes (workspace_id, name, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(workspace)
            .bind(name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await;
    let inbox = match created {
        Err(error) if is_unique_violation(&error) => {
            return Err(AppError::invalid("name", format!("An inbox named \u{201c}{name}\u{201d} already exists.")));
        }
        other => other?,
    };
    insert_addresses(&mut tx, inbox, addresses).await?;
    tx.commit().await?;
    Ok(inbox)
}

pub async fn delete(db: &Db, inbox: InboxId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM inboxes WHERE id = $1").bind(inbox).execute(db).await.map(drop)
}

async fn insert_addresses(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    inbox: InboxId,
    addresses: &[String],
) -> Result<(), AppError> {
    for (position, address) in addresses.iter().enumerate() {
        let inserted = sqlx::query("INSERT INTO inbox_addresses (address, inbox_id, position) VALUES ($1, $2, $3)")
            .bind(address)
            .bind(inbox)
            .bind(position as i64)
            .execute(&mut **tx)
            .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => {
                return Err(AppError::invalid("addresses", format!("{address} is already used by another inbox.")));
            }
            other => other?,
        };
    }
    Ok(())
}

/// The inbox's addresses, the one replies come from first.
pub async fn addresses(db: &Db, inbox: InboxId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT address FROM inbox_addresses WHERE inbox_id = $1 ORDER BY position")
        .bind(inbox)
        .fetch_all(db)
        .await
}

/// Replaces the inbox's addresses (already validated, lower-case).
pub async fn set_addresses(db: &Db, inbox: InboxId, addresses: &[String]) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM inbox_addresses WHERE inbox_id = $1").bind(inbox).execute(&mut *tx).await?;
    insert_addresses(&mut tx, inbox, addresses).await?;
    tx.commit().await?;
    Ok(())
}

/// The inbox that receives mail sent to `address`.
pub async fn inbox_for_address(db: &Db, address: &str) -> Result<Option<(WorkspaceId, InboxId)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.workspace_id, i.id FROM inbox_addresses a JOIN inboxes i ON i.id = a.inbox_id
         WHERE a.address = $1",
    )
    .bind(address.to_lowercase())
    .fetch_optional(db)
    .await
}

/// Whether the member or team belongs to `workspace` (a deactivated member
/// is given no inbox).
pub async fn grantee_in_workspace(db: &Db, workspace: WorkspaceId, grantee: Grantee) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = match grantee {
        Grantee::Member(id) => {
            sqlx::query_scalar("SELECT id FROM members WHERE id = $1 AND workspace_id = $2 AND deactivated_at IS NULL")
                .bind(id)
                .bind(workspace)
                .fetch_optional(db)
                .await?
        }
        Grantee::Team(id) => {
            sqlx::query_scalar("SELECT id FROM teams WHERE id = $1 AND workspace_id = $2")
                .bind(id)
                .bind(workspace)
                .fetch_optional(db)
                .await?
        }
    };
    Ok(found.is_some())
}

/// Gives the member or team `role` in the inbox (changing the role if they
/// already take part).
pub async fn add_participant(db: &Db, inbox: InboxId, grantee: Grantee, role: InboxRole) -> Result<(), sqlx::Error> {
    let (member, team) = match grantee {
        Grantee::Member(id) => (Some(id), None),
        Grantee::Team(id) => (None, Some(id)),
    };
    let existing: Option<InboxParticipantId> = sqlx::query_scalar(
        "SELECT id FROM inbox_participants WHERE inbox_id = $1 AND (member_id = $2 OR team_id = $3)",
    )
    .bind(inbox)
    .bind(member)
    .bind(team)
    .fetch_optional(db)
    .await?;
    match existing {
        Some(id) => set_role(db, inbox, id, role).await.map(drop),
        None => {
            sqlx::query("INSERT INTO inbox_participants (inbox_id, member_id, team_id, role) VALUES ($1, $2, $3, $4)")
                .bind(inbox)
                .bind(member)
                .bind(team)
                .bind(role)
                .execute(db)
                .await
                .map(drop)
        }
    }
}

/// False when the entry is not one of this inbox's.
pub async fn remove_participant(db: &Db, inbox: InboxId, id: InboxParticipantId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM inbox_participants WHERE inbox_id = $1 AND id = $2")
        .bind(inbox)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// False when the entry is not one of this inbox's.
pub async fn set_role(db: &Db, inbox: InboxId, id: InboxParticipantId, role: InboxRole) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE inbox_participants SET role = $1 WHERE inbox_id = $2 AND id = $3")
        .bind(role)
        .bind(inbox)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The inbox's participant entries: members first, then teams, by name.
/// A member who also holds a higher role through a team is told so.
pub async fn participants(db: &Db, inbox: InboxId) -> Result<Vec<InboxParticipant>, sqlx::Error> {
    type Row = (InboxParticipantId, Option<MemberId>, Option<TeamId>, InboxRole, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.member_id, p.team_id, p.role,
                COALESCE(m.name, t.name),
                COALESCE(m.email, (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = t.id) || ' members')
         FROM inbox_participants p
         LEFT JOIN members m ON m.id = p.member_id
         LEFT JOIN teams t ON t.id = p.team_id
         WHERE p.inbox_id = $1
         ORDER BY p.team_id IS NOT NULL, COALESCE(m.name, t.name)",
    )
    .bind(inbox)
    .fetch_all(db)
    .await?;
    let mut list = Vec::with_capacity(rows.len());
    for (id, member, team, role, name, detail) in rows {
        let (grantee, higher_through_team) = match (member, team) {
            (Some(member), _) => (Grantee::Member(member), best_team_role(db, inbox, member, role).await?),
            (None, Some(team)) => (Grantee::Team(team), None),
            (None, None) => continue,
        };
        list.push(InboxParticipant { id, grantee, name, detail, role, higher_through_team });
    }
    Ok(list)
}

/// The best role the member holds through a team, if it beats `own`.
async fn best_team_role(
    db: &Db,
    inbox: InboxId,
    member: MemberId,
    own: InboxRole,
) -> Result<Option<(String, InboxRole)>, sqlx::Error> {
    let through: Vec<(String, InboxRole)> = sqlx::query_as(
        "SELECT t.name, p.role FROM inbox_participants p JOIN teams t ON t.id = p.team_id
         JOIN team_members tm ON tm.team_id = t.id
         WHERE p.inbox_id = $1 AND tm.member_id = $2",
    )
    .bind(inbox)
    .bind(member)
    .fetch_all(db)
    .await?;
    Ok(through.into_iter().filter(|(_, role)| *role > own).max_by_key(|(_, role)| *role))
}

/// Members and teams of the workspace whose names contain `query`, for the
/// participant selector (at most 20).
pub async fn directory(db: &Db, workspace: WorkspaceId, query: &str) -> Result<Vec<DirectoryEntry>, sqlx::Error> {
    let pattern = format!("%{}%", query.trim().to_lowercase());
    let members: Vec<(MemberId, String, String)> = sqlx::query_as(
        "SELECT id, name, email FROM members WHERE workspace_id = $1 AND LOWER(name) LIKE $2 AND deactivated_at IS NULL
         ORDER BY name LIMIT 20",
    )
    .bind(workspace)
    .bind(&pattern)
    .fetch_all(db)
    .await?;
    let teams: Vec<(TeamId, String, i64)> = sqlx::query_as(
        "SELECT t.id, t.name, (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = t.id)
         FROM teams t WHERE t.workspace_id = $1 AND LOWER(t.name) LIKE $2 ORDER BY t.name LIMIT 20",
    )
    .bind(workspace)
    .bind(&pattern)
    .fetch_all(db)
    .await?;
    let members = members.into_iter().map(|(id, name, email)| DirectoryEntry {
        grantee: Grantee::Member(id),
        name,
        detail: email,
    });
    let teams = teams.into_iter().map(|(id, name, size)| DirectoryEntry {
        grantee: Grantee::Team(id),
        name,
        detail: format!("Team, {size} members"),
    });
    Ok(members.chain(teams).take(20).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::accounts::{self, NewMember};
    use crate::ssr::db::open_for_test;
    use crate::ssr::policy::{InboxAction, check_inbox};

    async fn member(db: &Db, workspace: WorkspaceId, name: &str) -> Member {
        let email = format!("{}@example.com", name.to_lowercase());
        let new = NewMember { name, email: &email, password_hash: "x", is_admin: false };
        accounts::add_member(db, workspace, new).await.unwrap()
    }

    async fn team(db: &Db, workspace: WorkspaceId, name: &str, members: &[&Member]) -> TeamId {
        let team: TeamId =
            sqlx::query_scalar("INSERT INTO teams (workspace_id, name, created_at) VALUES ($1, $2, 0) RETURNING id")
                .bind(workspace)
                .bind(name)
                .fetch_one(db)
                .await
                .unwrap();
        for member in members {
            sqlx::query("INSERT INTO team_members (team_id, member_id) VALUES ($1, $2)")
                .bind(team)
                .bind(member.id)
                .execute(db)
                .await
                .unwrap();
        }
        team
    }

    /// The inbox permission table, against real participants in a real
    /// database: every action for a non-participant, each role, a role held
    /// through a team, and a workspace admin who is not a participant.
    #[tokio::test]
    async fn permission_table_with_real_participants() {
        let (db, _dir) = open_for_test().await;
        let admin = accounts::tests::admin(&db).await;
        let w = admin.workspace_id;
        let [outsider, viewer, plain, inbox_admin, via_team] = [
            member(&db, w, "Olga").await,
            member(&db, w, "Vic").await,
            member(&db, w, "Max").await,
            member(&db, w, "Ida").await,
            member(&db, w, "Tom").await,
        ];
        let support = team(&db, w, "Support", &[&via_team]).await;
        let inbox = create(&db, w, "Sales", &["sales@acme.test".into()]).await.unwrap();
        add_participant(&db, inbox, Grantee::Member(viewer.id), InboxRole::Viewer).await.unwrap();
        add_participant(&db, inbox, Grantee::Member(plain.id), InboxRole::Member).await.unwrap();
        add_participant(&db, inbox, Grantee::Member(inbox_admin.id), InboxRole::Admin).await.unwrap();
        add_participant(&db, inbox, Grantee::Team(support), InboxRole::Member).await.unwrap();

        use InboxAction::*;
        let gone = || Err(AppError::NotFound("That inbox".into()));
        let (no, cannot_send) = (|| Err(AppError::Forbidden), || Err(AppError::CannotSend));
        // (who, [Read, Send, ManageParticipants, EditSettings, Delete])
        let table = [
            (&outsider, [gone(), gone(), gone(), gone(), gone()]),
            (&viewer, [Ok(()), cannot_send(), no(), no(), no()]),
            (&plain, [Ok(()), Ok(()), no(), no(), no()]),
            (&inbox_admin, [Ok(()), Ok(()), Ok(()), Ok(()), no()]),
            (&via_team, [Ok(()), Ok(()), no(), no(), no()]),
            (&admin, [Ok(()), cannot_send(), Ok(()), Ok(()), Ok(())]),
        ];
        for (who, expected) in table {
            let (_, standing) = access(&db, who, inbox).await.unwrap().expect("the inbox is in their workspace");
            for (action, expected) in [Read, Send, ManageParticipants, EditSettings, Delete].into_iter().zip(expected) {
                assert_eq!(check_inbox(standing, action), expected, "{} doing {action:?}", who.name);
            }
        }
        // The sidebar shows it to participants only.
        assert!(visible_to(&db, outsider.id).await.unwrap().is_empty());
        assert_eq!(visible_to(&db, via_team.id).await.unwrap()[0].role, InboxRole::Member);
        assert!(visible_to(&db, admin.id).await.unwrap().is_empty(), "admins oversee it from settings");
    }

    #[tokio::test]
    async fn team_membership_is_followed_and_the_higher_role_counts() {
        let (db, _dir) = open_for_test().await;
        let admin = accounts::tests::admin(&db).await;
        let w = admin.workspace_id;
        let tom = member(&db, w, "Tom").await;
        let leads = team(&db, w, "Leads", &[]).await;
        let inbox = create(&db, w, "Sales", &["sales@acme.test".into()]).await.unwrap();
        add_participant(&db, inbox, Grantee::Member(tom.id), InboxRole::Viewer).await.unwrap();
        add_participant(&db, inbox, Grantee::Team(leads), InboxRole::Admin).await.unwrap();
        assert_eq!(role_of(&db, inbox, tom.id).await.unwrap(), Some(InboxRole::Viewer));

        sqlx::query("INSERT INTO team_members (team_id, member_id) VALUES ($1, $2)")
            .bind(leads)
            .bind(tom.id)
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(role_of(&db, inbox, tom.id).await.unwrap(), Some(InboxRole::Admin), "joining the team counts");
        let listed = participants(&db, inbox).await.unwrap();
        assert_eq!(listed[0].name, "Tom");
        assert_eq!(listed[0].higher_through_team, Some(("Leads".into(), InboxRole::Admin)));
        assert_eq!((listed[1].name.as_str(), listed[1].detail.as_str()), ("Leads", "1 members"));

        sqlx::query("DELETE FROM team_members WHERE member_id = $1").bind(tom.id).execute(&db).await.unwrap();
        assert_eq!(role_of(&db, inbox, tom.id).await.unwrap(), Some(InboxRole::Viewer), "leaving it counts too");
        let own = listed[0].id;
        assert!(remove_participant(&db, inbox, own).await.unwrap());
        assert_eq!(role_of(&db, inbox, tom.id).await.unwrap(), None);
        assert!(!remove_participant(&db, inbox, own).await.unwrap(), "already gone");
    }

    #[tokio::test]
    async fn names_and_addresses_are_unique_and_route_mail() {
        let (db, _dir) = open_for_test().await;
        let admin = accounts::tests::admin(&db).await;
        let w = admin.workspace_id;
        let sales = create(&db, w, "Sales", &["sales@acme.test".into(), "hello@acme.test".into()]).await.unwrap();
        assert_eq!(create(&db, w, "Sales", &["other@acme.test".into()]).await.unwrap_err().field(), Some("name"));
        let taken = create(&db, w, "Support", &["hello@acme.test".into()]).await.unwrap_err();
        assert_eq!(taken.field(), Some("addresses"));
        assert!(all(&db, w).await.unwrap().iter().all(|i| i.name != "Support"), "nothing half-created");
        assert_eq!(inbox_for_address(&db, "HELLO@acme.test").await.unwrap(), Some((w, sales)));
        set_addresses(&db, sales, &["sales@acme.test".into()]).await.unwrap();
        assert_eq!(inbox_for_address(&db, "hello@acme.test").await.unwrap(), None);
        assert_eq!(addresses(&db, sales).await.unwrap(), ["sales@acme.test"]);
        delete(&db, sales).await.unwrap();
        assert_eq!(find(&db, w, sales).await.unwrap(), None);
    }
}
