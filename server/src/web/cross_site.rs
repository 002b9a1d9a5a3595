//! Requests that ride a member's cookie from another site.
//!
//! A browser marks where a request comes from: `Sec-Fetch-Site` (sent to
//! https and loopback origins) and `Origin` (on every POST, though as
//! `null` when the page's referrer policy is `no-referrer`, as ours is). A
//! state-changing server function call must be marked as coming from our
//! own origin, with a content type a server function reads; anything else
//! is refused with 403 before the function runs. Sockets need a credential
//! of their own (a session or a pass), so for them an absent `Origin`
//! (a non-browser client) is fine, but a foreign one is not.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// True when `origin` (an `Origin` header's value) names the host the
/// request was sent to.
fn is_own_origin(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(scheme, origin_host)| {
        matches!(scheme, "http" | "https") && !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
    })
}

/// For sockets: no `Origin` (not a browser) or our own.
pub fn socket_from_own_site(headers: &HeaderMap) -> bool {
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        None => true,
        Some(Ok(origin)) => is_own_origin(origin, headers),
        Some(Err(_)) => false,
    }
}

/// For state-changing calls: the browser says it comes from our own origin.
pub fn call_from_own_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).is_some_and(|origin| is_own_origin(origin, headers))
}

/// The content types server functions read: HTML forms and JSON. A
/// cross-site page can send `text/plain` without asking the browser first;
/// it is never one of ours.
fn is_server_function_body(headers: &HeaderMap) -> bool {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        || essence.eq_ignore_ascii_case("application/json")
}

/// Refuses state-changing `/api/` calls that do not come from our pages.
pub async fn refuse_cross_site_calls(request: Request, next: Next) -> Response {
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state && request.uri().path().starts_with("/api/") {
        if !call_from_own_site(request.headers()) {
            return (StatusCode::FORBIDDEN, "Refused: this request did not come from Anteroom's own pages.")
                .into_response();
        }
        // An upload's body is the file, of its own type; it is still ours.
        let upload = request.uri().path() == anteroom_app::model::UPLOAD_PATH;
        if !upload && !is_server_function_body(request.headers()) {
            return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Send form fields or JSON.").into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn sockets_take_no_origin_or_our_own() {
        assert!(socket_from_own_site(&headers(&[("origin", "http://127.0.0.1:3000")])));
        assert!(socket_from_own_site(&headers(&[])));
        assert!(!socket_from_own_site(&headers(&[("origin", "https://evil.example")])));
        assert!(!socket_from_own_site(&headers(&[("origin", "null")])));
    }

    #[test]
    fn calls_must_be_marked_as_ours() {
        assert!(call_from_own_site(&headers(&[("origin", "http://127.0.0.1:3000")])));
        assert!(call_from_own_site(&headers(&[("sec-fetch-site", "same-origin"), ("origin", "null")])));
        assert!(!call_from_own_site(&headers(&[])), "no mark at all");
        assert!(!call_from_own_site(&headers(&[("origin", "null")])));
        assert!(!call_from_own_site(&headers(&[("origin", "https://evil.example")])));
        assert!(!call_from_own_site(&headers(&[("origin", "http://127.0.0.1:3000.evil.example")])));
        assert!(
            !call_from_own_site(&headers(&[("sec-fetch-site", "cross-site"), ("origin", "http://127.0.0.1:3000")])),
            "the browser's own word wins"
        );
        assert!(!call_from_own_site(&headers(&[("sec-fetch-site", "same-site")])));
    }

    #[test]
    fn only_forms_and_json_are_server_function_bodies() {
        assert!(is_server_function_body(&headers(&[("content-type", "application/x-www-form-urlencoded")])));
        assert!(is_server_function_body(&headers(&[("content-type", "application/json; charset=utf-8")])));
        assert!(!is_server_function_body(&headers(&[("content-type", "text/plain")])));
        assert!(!is_server_function_body(&headers(&[("content-type", "multipart/form-data; boundary=x")])));
        assert!(!is_server_function_body(&headers(&[])));
    }
}
