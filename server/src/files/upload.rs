//! `POST /api/files?channel=&name=` (or `?inbox=`): a member's file for a
//! message they are about to send in a channel, or a reply they are about
//! to send from an inbox. The body is the file itself, streamed to the store and
//! refused the moment it passes the size limit; the answer is the file as
//! the message will show it, or the error (as server functions answer).

use crate::ServerState;
use crate::web::error_status::error_response;
use anteroom_app::error::AppError;
use anteroom_app::model::{ChannelId, FileInfo, InboxId, UploadTarget};
use anteroom_app::ssr::file_store::{self, ReceiveError};
use anteroom_app::ssr::state::AppState;
use anteroom_app::ssr::{auth, channels, db, files, inboxes, policy};
use anteroom_app::validate as validate_upload;
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

#[derive(serde::Deserialize)]
pub struct Target {
    channel: Option<ChannelId>,
    inbox: Option<InboxId>,
    name: String,
}

pub async fn upload(
    State(state): State<ServerState>,
    Query(target): Query<Target>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match receive(&state.app, target, &headers, body).await {
        Ok(file) => Json(file).into_response(),
        Err(error) => error_response(error),
    }
}

async fn receive(app: &AppState, target: Target, headers: &HeaderMap, body: Body) -> Result<FileInfo, AppError> {
    let principal = auth::principal_from_headers(app, headers).await?;
    let me = principal.member()?.clone();
    let to = match (target.channel, target.inbox) {
        (Some(channel), None) => {
            policy::check(&principal, policy::Action::PostMessage(me.workspace_id))?;
            let channel = channels::channel(&app.db, me.workspace_id, channel)
                .await?
                .ok_or_else(|| AppError::NotFound("That channel".into()))?;
            UploadTarget::Channel(channel.id)
        }
        (None, Some(inbox)) => {
            let (_, access) =
                inboxes::access(&app.db, &me, inbox).await?.ok_or_else(|| AppError::NotFound("That inbox".into()))?;
            policy::check_inbox(access, policy::InboxAction::Send)?;
            UploadTarget::Inbox(inbox)
        }
        _ => return Err(AppError::BadArguments("a channel or an inbox".into())),
    };
    let limits = app.files.limits;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|size| size > limits.max_file_bytes) {
        return Err(AppError::FileTooLarge { max_bytes: limits.max_file_bytes });
    }
    let now = db::now_millis();
    let forgotten = files::forget_unsent(&app.db, now).await?;
    app.files.forget_unreferenced(&app.db, forgotten).await;
    let quota_full = || AppError::FilesQuotaFull { quota_bytes: limits.workspace_quota_bytes };
    // Reserved against the quota while it comes: what it says it is, or
    // the most it may be.
    let (_underway, reserved) = app
        .files
        .start_upload(me.id, me.workspace_id, declared.unwrap_or(limits.max_file_bytes))
        .ok_or(AppError::TooManyUploads(file_store::UPLOADS_PER_MEMBER))?;
    let used = files::used_bytes(&app.db, me.workspace_id).await? as u64;
    if used + reserved > limits.workspace_quota_bytes {
        return Err(quota_full());
    }
    let received =
        app.files.receive(body.into_data_stream(), limits.max_file_bytes).await.map_err(|error| match error {
            ReceiveError::TooLarge { .. } => AppError::FileTooLarge { max_bytes: limits.max_file_bytes },
            ReceiveError::Interrupted(_) => AppError::UploadStopped,
            ReceiveError::Disk(error) => {
                tracing::error!(%error, "an upload could not be written to the data folder");
                AppError::Internal
            }
        })?;
    let name = validate_upload::file_name(&target.name);
    let content_type = validate_upload::content_type(
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default(),
    );
    let (sha256, size) = (received.sha256.clone(), received.size);
    let mut file = {
        let placing = app.files.placing().await;
        if files::used_bytes(&app.db, me.workspace_id).await? as u64 + size > limits.workspace_quota_bytes {
            return Err(quota_full());
        }
        app.files.place(received, &placing).await.map_err(|error| {
            tracing::error!(%error, "an upload could not be kept in the data folder");
            AppError::Internal
        })?;
        let upload = files::NewUpload {
            workspace: me.workspace_id,
            to,
            uploader: me.id,
            uploader_name: &me.name,
            name: &name,
            content_type: &content_type,
            size,
            sha256: &sha256,
            at: now,
        };
        match files::add_upload(&app.db, upload).await {
            Ok(file) => file,
            // Its channel or inbox was deleted meanwhile.
            Err(sqlx::Error::Database(error)) if error.is_foreign_key_violation() => {
                drop(placing);
                app.files.forget_unreferenced(&app.db, [sha256]).await;
                return Err(AppError::NotFound("That channel or inbox".into()));
            }
            Err(error) => return Err(error.into()),
        }
    };
    if let Some(kind) = app.files.make_thumbnail(&sha256, &content_type).await {
        files::set_thumbnail(&app.db, file.id, kind).await?;
        file.thumbnail = true;
    }
    Ok(file)
}
