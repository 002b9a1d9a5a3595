//! Workspaces and member accounts in the database.

use super::db::{Db, now};
use crate::error::AppError;
use crate::model::{MemberId, MemberSummary, WorkspaceId};

/// A member as the server knows them (the browser gets a [`MemberSummary`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Member {
    pub id: MemberId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
}

impl Member {
    /// As the browser sees them. A `Member` is active (see [`member`]).
    pub fn summary(&self) -> MemberSummary {
        MemberSummary {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            is_admin: self.is_admin,
            deactivated: false,
        }
    }
}

/// A new member's details, already validated.
pub struct NewMember<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub is_admin: bool,
}

pub async fn workspace_exists(db: &Db) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM workspaces)").fetch_one(db).await
}

/// The workspace's name as pages and emails show it: on one line, even if
/// it was stored before line breaks in names were refused (`one_line`).
pub async fn workspace_name(db: &Db, workspace: WorkspaceId) -> Result<String, sqlx::Error> {
    let name: String =
        sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1").bind(workspace).fetch_one(db).await?;
    Ok(crate::model::one_line::flattened(&name).into_owned())
}

/// Creates the install's workspace with its first member as admin. Refused
/// once a workspace exists: from then on admins add members.
pub async fn create_workspace(
    db: &Db,
    workspace_name: &str,
    admin: NewMember<'_>,
) -> Result<(WorkspaceId, Member), AppError> {
    let mut tx = db.begin().await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM workspaces)").fetch_one(&mut *tx).await?;
    if exists {
        return Err(AppError::WorkspaceExists);
    }
    let workspace: WorkspaceId =
        sqlx::query_scalar("INSERT INTO workspaces (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(workspace_name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
    let member = insert_member(&mut tx, workspace, NewMember { is_admin: true, ..admin }).await?;
    tx.commit().await?;
    Ok((workspace, member))
}

pub async fn add_member(db: &Db, workspace: WorkspaceId, new: NewMember<'_>) -> Result<Member, AppError> {
    let mut tx = db.begin().await?;
    let member = insert_member(&mut tx, workspace, new).await?;
    tx.commit().await?;
    Ok(member)
}

async fn insert_member(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    workspace: WorkspaceId,
    new: NewMember<'_>,
) -> Result<Member, AppError> {
    let inserted = sqlx::query_as::<_, Member>(
        "INSERT INTO members (workspace_id, name, email, password_hash, is_admin, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, workspace_id, name, email, is_admin",
    )
    .bind(workspace)
    .bind(new.name)
    .bind(new.email)
    .bind(new.password_hash)
    .bind(new.is_admin)
    .bind(now())
    .fetch_one(&mut **tx)
    .await;
    match inserted {
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Err(AppError::EmailTaken(new.email.to_string()))
        }
        other => Ok(other?),
    }
}

/// The member, if they exist and are active. This is the one lookup that
/// turns a session into a principal (`auth`): a deactivated member's
/// session, had one survived, names nobody, so they are signed out
/// everywhere a session is checked.
pub async fn member(db: &Db, id: MemberId) -> Result<Option<Member>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, workspace_id, name, email, is_admin FROM members WHERE id = $1 AND deactivated_at IS NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The active member with this (normalised) email and their password hash.
pub async fn member_with_password(db: &Db, email: &str) -> Result<Option<(Member, String)>, sqlx::Error> {
    Ok(account_for_sign_in(db, email)
        .await?
        .and_then(|(member, hash, deactivated)| (!deactivated).then_some((member, hash))))
}

/// The member with this (normalised) email, active or not, their password
/// hash, and whether they are deactivated: sign-in checks the password of
/// a deactivated member like anyone's, and says so only when it is right.
pub async fn account_for_sign_in(db: &Db, email: &str) -> Result<Option<(Member, String, bool)>, sqlx::Error> {
    let row: Option<(MemberId, WorkspaceId, String, String, bool, String, bool)> = sqlx::query_as(
        "SELECT id, workspace_id, name, email, is_admin, password_hash, deactivated_at IS NOT NULL
         FROM members WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, workspace_id, name, email, is_admin, hash, deactivated)| {
        (Member { id, workspace_id, name, email, is_admin }, hash, deactivated)
    }))
}

/// A member of `workspace`, active or deactivated, for the admins' member
/// list actions: `(member, deactivated)`. Ids of other workspaces answer
/// like ids that do not exist.
pub async fn member_in_workspace(
    db: &Db,
    workspace: WorkspaceId,
    id: MemberId,
) -> Result<Option<(Member, bool)>, sqlx::Error> {
    let row: Option<(MemberId, WorkspaceId, String, String, bool, bool)> = sqlx::query_as(
        "SELECT id, workspace_id, name, email, is_admin, deactivated_at IS NOT NULL
         FROM members WHERE id = $1 AND workspace_id = $2",
    )
    .bind(id)
    .bind(workspace)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, workspace_id, name, email, is_admin, deactivated)| {
        (Member { id, workspace_id, name, email, is_admin }, deactivated)
    }))
}

/// Deactivates `member` of `workspace`: they can no longer sign in, and
/// everything that gave them access goes in one transaction: every session
/// (the caller tells their sockets), the browsers remembered for sign-in,
/// pending password reset links, their own inbox roles, their teams (whose
/// inbox roles would otherwise still count for them), the channels they
/// administer, and the call notes they asked for. Their name stays on what
/// they did (past calls, messages sent). Refused when it would leave the
/// workspace without an active admin. False if they were deactivated
/// already (nothing changes).
pub async fn deactivate(db: &Db, workspace: WorkspaceId, member: MemberId) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    // One statement decides, so two admins deactivating each other at the
    // same moment cannot both succeed.
    let done = sqlx::query(
        "UPDATE members SET deactivated_at = $1
         WHERE id = $2 AND workspace_id = $3 AND deactivated_at IS NULL
           AND (NOT is_admin OR EXISTS (SELECT 1 FROM members o WHERE o.workspace_id = $3 AND o.id <> $2
                                        AND o.is_admin AND o.deactivated_at IS NULL))",
    )
    .bind(now())
    .bind(member)
    .bind(workspace)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        let deactivated: Option<bool> =
            sqlx::query_scalar("SELECT deactivated_at IS NOT NULL FROM members WHERE id = $1 AND workspace_id = $2")
                .bind(member)
                .bind(workspace)
                .fetch_optional(&mut *tx)
                .await?;
        return match deactivated {
            None => Err(AppError::NotFound("That member".into())),
            Some(true) => Ok(false),
            Some(false) => Err(AppError::LastActiveAdmin),
        };
    }
    for statement in [
        "DELETE FROM sessions WHERE member_id = $1",
        "DELETE FROM sign_in_devices WHERE member_id = $1",
        "DELETE FROM password_resets WHERE member_id = $1",
        "DELETE FROM inbox_participants WHERE member_id = $1",
        "DELETE FROM team_members WHERE member_id = $1",
        "DELETE FROM channel_admins WHERE member_id = $1",
        "DELETE FROM call_notes_readers WHERE member_id = $1",
    ] {
        sqlx::query(statement).bind(member).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Lets a deactivated member sign in again, with the password they had.
/// What they lost on deactivation (inboxes, teams, channels) is not given
/// back: admins grant it again. False if they were active already.
pub async fn reactivate(db: &Db, workspace: WorkspaceId, member: MemberId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE members SET deactivated_at = NULL WHERE id = $1 AND workspace_id = $2 AND deactivated_at IS NOT NULL",
    )
    .bind(member)
    .bind(workspace)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a member's password hash.
pub async fn set_password(db: &Db, member: MemberId, password_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE members SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(member)
        .execute(db)
        .await?;
    Ok(())
}

/// Every member of the workspace by name, the deactivated ones last.
pub async fn members(db: &Db, workspace: WorkspaceId) -> Result<Vec<MemberSummary>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, email, is_admin, deactivated_at IS NOT NULL AS deactivated FROM members
         WHERE workspace_id = $1 ORDER BY deactivated_at IS NOT NULL, name, id",
    )
    .bind(workspace)
    .fetch_all(db)
    .await
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ssr::db::open_for_test;

    /// Creates the workspace with an admin, for tests that need a member.
    pub(crate) async fn admin(db: &Db) -> Member {
        let new = NewMember { name: "Ada", email: "ada@example.com", password_hash: "x", is_admin: true };
        create_workspace(db, "Acme", new).await.unwrap().1
    }

    #[tokio::test]
    async fn the_first_sign_up_makes_an_admin_and_the_second_is_refused() {
        let (db, _dir) = open_for_test().await;
        assert!(!workspace_exists(&db).await.unwrap());
        let new = NewMember { name: "Ada", email: "ada@example.com", password_hash: "h", is_admin: false };
        let (workspace, member) = create_workspace(&db, "Acme", new).await.unwrap();
        assert!(member.is_admin, "the founder is an admin even if not asked");
        assert_eq!(workspace_name(&db, workspace).await.unwrap(), "Acme");
        let again = NewMember { name: "Bob", email: "bob@example.com", password_hash: "h", is_admin: true };
        assert_eq!(create_workspace(&db, "Other", again).await.unwrap_err(), AppError::WorkspaceExists);
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&db).await.unwrap();
        assert_eq!(count, 1, "the refused sign-up left nothing behind");
    }

    #[tokio::test]
    async fn duplicate_emails_are_refused_by_name() {
        let (db, _dir) = open_for_test().await;
        let ada = admin(&db).await;
        let twin = NewMember { name: "Ada 2", email: "ada@example.com", password_hash: "h", is_admin: false };
        assert_eq!(
            add_member(&db, ada.workspace_id, twin).await.unwrap_err(),
            AppError::EmailTaken("ada@example.com".into())
        );
    }

    #[tokio::test]
    async fn deactivating_ends_access_keeps_an_active_admin_and_can_be_undone() {
        let (db, _dir) = open_for_test().await;
        let ada = admin(&db).await;
        let workspace = ada.workspace_id;
        let new = |name, email, is_admin| NewMember { name, email, password_hash: "h", is_admin };
        let grace = add_member(&db, workspace, new("Grace", "grace@example.com", true)).await.unwrap();
        let alan = add_member(&db, workspace, new("Alan", "alan@example.com", false)).await.unwrap();
        // Grace has a session, a team, an inbox role, a channel she administers.
        let session = crate::ssr::sessions::create(&db, grace.id).await.unwrap();
        for statement in [
            "INSERT INTO teams (workspace_id, name, created_at) VALUES (1, 'Design', 0)",
            "INSERT INTO team_members (team_id, member_id) SELECT id, $1 FROM teams",
            "INSERT INTO inboxes (workspace_id, name, created_at) VALUES (1, 'Sales', 0)",
            "INSERT INTO inbox_participants (inbox_id, member_id, role) SELECT id, $1, 'admin' FROM inboxes",
            "INSERT INTO channels (workspace_id, name, kind, created_at) VALUES (1, 'calls', 'meeting', 0)",
            "INSERT INTO channel_admins (channel_id, member_id) SELECT id, $1 FROM channels",
        ] {
            sqlx::query(statement).bind(grace.id).execute(&db).await.unwrap();
        }
        let held = async |table: &str| -> i64 {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE member_id = $1");
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(grace.id).fetch_one(&db).await.unwrap()
        };
        assert_eq!(held("inbox_participants").await, 1);

        assert_eq!(deactivate(&db, workspace, grace.id).await, Ok(true));
        assert_eq!(deactivate(&db, workspace, grace.id).await, Ok(false), "already deactivated: nothing changes");
        assert_eq!(member(&db, grace.id).await.unwrap(), None, "no principal for her");
        assert_eq!(crate::ssr::sessions::member_of(&db, &session).await.unwrap(), None);
        for table in ["sessions", "team_members", "inbox_participants", "channel_admins"] {
            assert_eq!(held(table).await, 0, "{table}");
        }
        assert_eq!(member_in_workspace(&db, workspace, grace.id).await.unwrap(), Some((grace.clone(), true)));
        assert_eq!(member_in_workspace(&db, WorkspaceId(workspace.0 + 1), grace.id).await.unwrap(), None);
        let (_, hash, deactivated) = account_for_sign_in(&db, "grace@example.com").await.unwrap().unwrap();
        assert!(deactivated && hash == "h", "sign-in still checks her password");
        assert!(member_with_password(&db, "grace@example.com").await.unwrap().is_none());

        // Ada is the last active admin now; Alan, a member, can go.
        assert_eq!(deactivate(&db, workspace, ada.id).await, Err(AppError::LastActiveAdmin));
        assert_eq!(deactivate(&db, workspace, alan.id).await, Ok(true));
        let listed: Vec<(String, bool)> =
            members(&db, workspace).await.unwrap().into_iter().map(|m| (m.name, m.deactivated)).collect();
        assert_eq!(listed, [("Ada".into(), false), ("Alan".into(), true), ("Grace".into(), true)]);

        assert!(reactivate(&db, workspace, grace.id).await.unwrap());
        assert!(!reactivate(&db, workspace, grace.id).await.unwrap());
        assert_eq!(member(&db, grace.id).await.unwrap(), Some(grace.clone()));
        assert_eq!(held("team_members").await, 0, "what she lost is granted again by admins");
        assert_eq!(deactivate(&db, workspace, MemberId(999)).await, Err(AppError::NotFound("That member".into())));
    }

    #[tokio::test]
    async fn members_are_listed_by_name_and_found_by_email() {
        let (db, _dir) = open_for_test().await;
        let ada = admin(&db).await;
        let new = NewMember { name: "Alan", email: "alan@example.com", password_hash: "secret-hash", is_admin: false };
        let alan = add_member(&db, ada.workspace_id, new).await.unwrap();
        assert!(!alan.is_admin);
        let names: Vec<String> = members(&db, ada.workspace_id).await.unwrap().into_iter().map(|m| m.name).collect();
        assert_eq!(names, ["Ada", "Alan"]);
        let (found, hash) = member_with_password(&db, "alan@example.com").await.unwrap().unwrap();
        assert_eq!((found, hash.as_str()), (alan, "secret-hash"));
        assert!(member_with_password(&db, "nobody@example.com").await.unwrap().is_none());
    }
}
