//! The mail domains a workspace's inboxes may use. A workspace admin sets
//! them; every inbox address (set by workspace or inbox admins) must be at
//! one of them, so nobody can make an inbox that sends as another
//! organisation's address through our relay.

use super::db::Db;
use crate::error::AppError;
use crate::model::WorkspaceId;

/// The workspace's mail domains, in order.
pub async fn list(db: &Db, workspace: WorkspaceId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT domain FROM mail_domains WHERE workspace_id = $1 ORDER BY domain")
        .bind(workspace)
        .fetch_all(db)
        .await
}

/// Replaces the workspace's mail domains (already validated).
pub async fn set(db: &Db, workspace: WorkspaceId, domains: &[String]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM mail_domains WHERE workspace_id = $1").bind(workspace).execute(&mut *tx).await?;
    for domain in domains {
        sqlx::query("INSERT INTO mail_domains (workspace_id, domain) VALUES ($1, $2)")
            .bind(workspace)
            .bind(domain)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Refuses addresses outside the workspace's mail domains, naming them.
pub async fn check_addresses(
    db: &Db,
    workspace: WorkspaceId,
    field: &str,
    addresses: &[String],
) -> Result<(), AppError> {
    let domains = list(db, workspace).await?;
    if domains.is_empty() {
        return Err(AppError::invalid(
            field,
            "No mail domains are set up yet. A workspace admin adds them under Workspace settings, Inbox.",
        ));
    }
    let outside: Vec<&str> = addresses
        .iter()
        .filter(|address| address.rsplit_once('@').is_none_or(|(_, domain)| !domains.iter().any(|d| d == domain)))
        .map(String::as_str)
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    Err(AppError::invalid(
        field,
        format!(
            "{} {} not at the workspace's mail domains ({}). A workspace admin can add domains under Workspace settings, Inbox.",
            outside.join(", "),
            if outside.len() == 1 { "is" } else { "are" },
            domains.join(", "),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::{accounts, db::open_for_test};

    #[tokio::test]
    async fn addresses_must_be_at_a_listed_domain() {
        let (db, _dir) = open_for_test().await;
        let workspace = accounts::tests::admin(&db).await.workspace_id;
        let addresses = |list: &[&str]| list.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let none = check_addresses(&db, workspace, "addresses", &addresses(&["sales@acme.test"])).await.unwrap_err();
        assert!(none.to_string().contains("No mail domains are set up yet"), "{none}");

        set(&db, workspace, &addresses(&["acme.test", "acme.example"])).await.unwrap();
        assert_eq!(list(&db, workspace).await.unwrap(), ["acme.example", "acme.test"]);
        check_addresses(&db, workspace, "addresses", &addresses(&["sales@acme.test", "help@acme.example"]))
            .await
            .unwrap();
        let outside =
            check_addresses(&db, workspace, "addresses", &addresses(&["sales@acme.test", "ceo@bank.example"]))
                .await
                .unwrap_err();
        assert_eq!(outside.field(), Some("addresses"));
        assert!(
            outside.to_string().starts_with("ceo@bank.example is not at the workspace's mail domains"),
            "{outside}"
        );
        let sub = check_addresses(&db, workspace, "addresses", &addresses(&["x@mail.acme.test"])).await;
        assert!(sub.is_err(), "a subdomain is a domain of its own");
    }
}
