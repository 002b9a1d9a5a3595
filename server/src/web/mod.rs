//! What every HTTP request passes on its way to a page, a server function
//! or a socket, and what every response carries back: the host must be
//! ours (DNS rebinding), state-changing calls must come from our own pages
//! (cross-site request forgery), responses carry the browser's safety
//! headers, and server function errors answer with the HTTP status of
//! their kind. Before any of that, the connection itself is bounded
//! (`connections`: timeouts and caps per address and in all).

pub mod body_deadline;
mod caching;
pub mod connections;
pub mod cross_site;
pub(crate) mod error_status;
mod headers;
pub mod hosts;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use std::sync::Arc;

/// The checks' settings, from the public URL.
pub struct WebPolicy {
    pub hosts: hosts::AllowedHosts,
    /// Reached over https: browsers are told to keep to it (HSTS).
    pub https: bool,
    /// The site's files carry content hashes in their names.
    pub hashed_site_files: bool,
}

impl WebPolicy {
    pub fn new(public_url: &str, hashed_site_files: bool) -> Self {
        WebPolicy {
            hosts: hosts::AllowedHosts::new(public_url),
            https: public_url.starts_with("https://"),
            hashed_site_files,
        }
    }
}

/// Wraps every route of `router`. From the outside in: safety headers (so
/// refusals carry them too), the host check, the cross-site check, the
/// error statuses of server functions, and how long site files are cached.
pub fn guard(router: Router, public_url: &str, hashed_site_files: bool) -> Router {
    let policy = Arc::new(WebPolicy::new(public_url, hashed_site_files));
    router
        .layer(from_fn_with_state(policy.clone(), caching::cache_site_files))
        .layer(from_fn(error_status::by_kind))
        .layer(from_fn(cross_site::refuse_cross_site_calls))
        .layer(from_fn_with_state(policy.clone(), hosts::refuse_unknown_hosts))
        .layer(from_fn_with_state(policy, headers::add_safety_headers))
}
