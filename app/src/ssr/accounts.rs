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
    pub fn summary(&self) -> MemberSummary {
        MemberSummary { id: self.id, name: self.name.clone(), email: self.email.clone(), is_admin: self.is_admin }
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

pub async fn workspace_name(db: &Db, workspace: WorkspaceId) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1").bind(workspace).fetch_one(db).await
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

pub async fn member(db: &Db, id: MemberId) -> Result<Option<Member>, sqlx::Error> {
    sqlx::query_as("SELECT id, workspace_id, name, email, is_admin FROM members WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The member with this (normalised) email and their password hash.
pub async fn member_with_password(db: &Db, email: &str) -> Result<Option<(Member, String)>, sqlx::Error> {
    let row: Option<(MemberId, String)> =
        sqlx::query_as("SELECT id, password_hash FROM members WHERE email = $1").bind(email).fetch_optional(db).await?;
    let Some((id, hash)) = row else { return Ok(None) };
    Ok(member(db, id).await?.map(|member| (member, hash)))
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

pub async fn members(db: &Db, workspace: WorkspaceId) -> Result<Vec<MemberSummary>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, email, is_admin FROM members WHERE workspace_id = $1 ORDER BY name, id")
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
