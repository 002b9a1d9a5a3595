//! `GET /files/:id` (and `/files/:id/thumbnail`): a channel's file, to a
//! member of its workspace; `GET /mail-files/:id`: a mail's attachment, to
//! its inbox's participants. Never shown as a page of ours: always a
//! download (`Content-Disposition: attachment`), of the type it was
//! stored with (`nosniff`, from `web::headers`), sandboxed should a
//! browser open it anyway; thumbnails alone are shown inline. Ranges,
//! conditional requests and HEAD are tower-http's `ServeFile`.

use crate::ServerState;
use crate::web::error_status::error_response;
use anteroom_app::error::AppError;
use anteroom_app::model::{FileId, MailAttachmentId};
use anteroom_app::ssr::state::AppState;
use anteroom_app::ssr::{auth, files, policy};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Even opened in a tab, a file is no page of ours: no scripts, no
/// same-origin access, nothing loaded.
const FILE_POLICY: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

pub async fn file(State(state): State<ServerState>, Path(id): Path<FileId>, request: Request) -> Response {
    match channel_file(&state.app, request.headers().clone(), id).await {
        Ok(file) => {
            let path = state.app.files.content_path(&file.sha256);
            serve(path, &file.info.content_type, Disposition::Attachment(&file.info.name), request).await
        }
        Err(error) => error_response(error),
    }
}

pub async fn thumbnail(State(state): State<ServerState>, Path(id): Path<FileId>, request: Request) -> Response {
    match channel_file(&state.app, request.headers().clone(), id).await {
        Ok(files::StoredFile { thumbnail_type: Some(kind), sha256, .. }) => {
            serve(state.app.files.thumbnail_path(&sha256), &kind, Disposition::Inline, request).await
        }
        Ok(_) => error_response(AppError::NotFound("That file's preview".into())),
        Err(error) => error_response(error),
    }
}

pub async fn mail_attachment(
    State(state): State<ServerState>,
    Path(id): Path<MailAttachmentId>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    match anteroom_app::ssr::mail_attachments::for_download(&state.app, &headers, id).await {
        Ok(attachment) => {
            let path = state.app.files.content_path(&attachment.sha256);
            serve(path, &attachment.info.content_type, Disposition::Attachment(&attachment.info.name), request).await
        }
        Err(error) => error_response(error),
    }
}

/// The file, once the request's member may have it: a sent file of their
/// workspace (every channel is every member's), or their own upload not
/// yet sent. Anyone else is told it is not there.
async fn channel_file(app: &AppState, headers: HeaderMap, id: FileId) -> Result<files::StoredFile, AppError> {
    let principal = auth::principal_from_headers(app, &headers).await?;
    let me = principal.member()?.clone();
    policy::check(&principal, policy::Action::ReadChannel(me.workspace_id))?;
    let not_found = || AppError::NotFound("That file".into());
    let file = files::stored(&app.db, me.workspace_id, id).await?.ok_or_else(not_found)?;
    if file.message.is_none() && file.uploader != Some(me.id) {
        return Err(not_found());
    }
    Ok(file)
}

enum Disposition<'a> {
    Attachment(&'a str),
    Inline,
}

async fn serve(
    path: std::path::PathBuf,
    content_type: &str,
    disposition: Disposition<'_>,
    request: Request,
) -> Response {
    let mime = content_type.parse::<mime::Mime>().unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let Ok(response) = ServeFile::new_with_mime(path, &mime).oneshot(request).await;
    let mut response = response.map(axum::body::Body::new).into_response();
    let headers = response.headers_mut();
    let disposition = match disposition {
        Disposition::Attachment(name) => attachment(name),
        Disposition::Inline => HeaderValue::from_static("inline"),
    };
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(FILE_POLICY));
    // Whoever may fetch it can change (a member removed): browsers ask again.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    response
}

/// `attachment` with the file's name: plain ASCII for old clients, and the
/// name itself percent-encoded (RFC 6266, RFC 8187).
fn attachment(name: &str) -> HeaderValue {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let value =
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", utf8_percent_encode(name, NON_ALPHANUMERIC));
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_name_goes_in_both_forms_and_cannot_break_the_header() {
        let value = super::attachment("r\u{e9}sum\u{e9} \"final\".pdf");
        assert_eq!(
            value.to_str().unwrap(),
            "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%2Epdf"
        );
    }
}
