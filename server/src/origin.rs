//! Cross-site websocket protection, shared by every socket endpoint.

use axum::http::{HeaderMap, header};

/// A browser's own pages carry an Origin equal to our Host; a page on another
/// site trying to ride the member's cookie does not. Non-browser clients send
/// no Origin and still need a valid credential.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, origin_host)| origin_host == host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, host.parse().unwrap());
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, origin.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_our_own_origin_or_none_passes() {
        assert!(same_origin(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000")));
        assert!(same_origin(&headers(None, "127.0.0.1:3000")));
        assert!(!same_origin(&headers(Some("https://evil.example"), "127.0.0.1:3000")));
        assert!(!same_origin(&headers(Some("null"), "127.0.0.1:3000")));
    }
}
