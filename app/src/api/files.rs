//! Files: the workspace's Files page, and an upload taken back before its
//! message was sent. The bytes themselves go up and down outside server
//! functions (`UPLOAD_PATH`, `/files/:id`), streamed, with the same checks.

use crate::error::AppError;
use crate::model::{FileId, FileListing, FileOrder};
use leptos::prelude::*;

/// The longest search on the Files page, in characters.
pub const MAX_FILE_QUERY_CHARS: usize = 200;

/// The sent files of the caller's workspace whose name contains `query`,
/// in `order` (members only: every channel of the workspace is theirs).
#[server(endpoint = "list_files")]
pub async fn list_files(query: String, order: FileOrder) -> Result<Vec<FileListing>, AppError> {
    use crate::ssr::{auth, files, policy};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ReadChannel(me.workspace_id))?;
    if query.chars().count() > MAX_FILE_QUERY_CHARS {
        return Err(AppError::invalid("query", format!("Search for at most {MAX_FILE_QUERY_CHARS} characters.")));
    }
    Ok(files::list(&state.db, me.workspace_id, &query, order).await?)
}

/// Takes back one of the caller's uploads not yet sent with a message.
#[server(endpoint = "discard_upload")]
pub async fn discard_upload(file: FileId) -> Result<(), AppError> {
    use crate::ssr::{auth, files};
    let (state, _, me) = auth::signed_in().await?;
    if let Some(content) = files::discard_unsent(&state.db, me.id, file).await? {
        state.files.forget_unreferenced(&state.db, [content]).await;
    }
    Ok(())
}
