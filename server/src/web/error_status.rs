//! Server function errors answer with the HTTP status of their kind (400,
//! 401, 403, 404, 409, 413, 422, 429, 503; 500 only for real faults).
//! Leptos answers every server function error with 500; the error itself
//! travels in the body as JSON, so the status is set here from it.
//!
//! What a call sends is the caller's to get right, so input the server
//! cannot decode is never a 500: a body over
//! [`MAX_REQUEST_BODY_BYTES`] is refused here before it is read in full
//! (413); one that cannot be read as what it says it is, 400; one read but
//! with a value missing or not fitting, 422. Leptos reports JSON that does
//! not parse and JSON that does not fit alike, so the body is kept here
//! to tell the two apart.

use anteroom_app::api::MAX_REQUEST_BODY_BYTES;
use anteroom_app::error::AppError;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// Error bodies are a short JSON value; anything longer is left as it is.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn by_kind(request: Request, next: Next) -> Response {
    // Server functions are called with POST; nothing else has a body but
    // an upload, which is streamed to disk where it is handled.
    let upload = request.uri().path() == anteroom_app::model::UPLOAD_PATH;
    let (request, sent) = if request.method() == Method::POST && !upload {
        let (parts, body) = request.into_parts();
        let sent = match read_body(&parts.headers, body).await {
            Ok(bytes) => bytes,
            Err(error) => return error_response(error),
        };
        (Request::from_parts(parts, Body::from(sent.clone())), Some(sent))
    } else {
        (request, None)
    };
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::from("Something went wrong on the server."));
    };
    let Ok(error) = serde_json::from_slice::<AppError>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let error = match error {
        AppError::Unreadable(detail) if json && sent.as_deref().is_some_and(parses_as_json) => {
            AppError::BadArguments(detail)
        }
        other => other,
    };
    parts.status = status_of(&error);
    if let AppError::TooManyAttempts { retry_after_secs } = error {
        parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    }
    // The body may be rewritten above: its length is the new body's.
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(serde_json::to_vec(&error).unwrap_or_default()))
}

/// The request's body, read whole: refused past [`MAX_REQUEST_BODY_BYTES`]
/// (at once when its length says so, else as soon as it is reached).
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, AppError> {
    let too_large = AppError::TooLarge { max_bytes: MAX_REQUEST_BODY_BYTES };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_REQUEST_BODY_BYTES as u64) {
        return Err(too_large);
    }
    // Grown as the bytes come, not as long as the caller says they will be.
    let mut read = Vec::new();
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| AppError::Unreadable("its body did not arrive whole".into()))?;
        if read.len() + chunk.len() > MAX_REQUEST_BODY_BYTES {
            return Err(too_large);
        }
        read.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(read))
}

/// Whether `bytes` are JSON of any shape.
fn parses_as_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

fn status_of(error: &AppError) -> StatusCode {
    StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An error answered here, before any server function ran, as a server
/// function would answer it (the browser reads the error from the body).
pub(crate) fn error_response(error: AppError) -> Response {
    let body = serde_json::to_vec(&error).unwrap_or_default();
    (status_of(&error), [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
