//! How long browsers keep the site's files (`/pkg/`: WebAssembly, scripts,
//! styles). Built with hashed names, a file's name changes whenever its
//! content does, so browsers keep it for good and a returning guest loads
//! the page without fetching the bundle again; without hashes they must
//! ask each time whether it changed.

use super::WebPolicy;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

const FOREVER: &str = "public, max-age=31536000, immutable";
const ASK_EACH_TIME: &str = "no-cache";

pub async fn cache_site_files(State(policy): State<Arc<WebPolicy>>, request: Request, next: Next) -> Response {
    let site_file = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    if site_file && response.status().is_success() {
        let rule = if policy.hashed_site_files { FOREVER } else { ASK_EACH_TIME };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(rule));
    }
    response
}
