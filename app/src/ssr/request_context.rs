//! The request a server-rendered page's data is fetched for, carried by
//! each fetch.
//!
//! Server functions find the request (its state, headers and response) in
//! the reactive owner tree they run under. A fetch started while rendering
//! can outlive its place in that tree: `Suspense` makes throwaway copies of
//! its children to find the resources they read (vendor/README.md, tachys),
//! and a copy's fetches go on after the copy, or the effect that made it,
//! is dropped, sometimes after the response itself. Walking up from there
//! finds nothing, and the server function fails with an internal error. So
//! each fetch takes the request's context with it, on an owner of its own.

use super::state::AppState;
use leptos::prelude::{Owner, provide_context, use_context};
use leptos::reactive::computed::ScopedFuture;
use leptos_axum::ResponseOptions;
use std::future::Future;

/// What server functions read from the owner tree.
#[derive(Clone)]
struct RequestContext {
    state: Option<AppState>,
    request: Option<http::request::Parts>,
    response: Option<ResponseOptions>,
}

/// Makes the future with `make` and runs it, now and at every later poll,
/// under an owner that holds the current request's context itself, so the
/// server functions it calls find the request however long it runs.
pub fn carrying_request<Fut: Future>(make: impl FnOnce() -> Fut) -> ScopedFuture<Fut> {
    let context = RequestContext {
        state: use_context::<AppState>(),
        request: use_context::<http::request::Parts>(),
        response: use_context::<ResponseOptions>(),
    };
    let owner = Owner::new();
    owner.with(|| {
        let RequestContext { state, request, response } = context;
        if let Some(state) = state {
            provide_context(state);
        }
        if let Some(request) = request {
            provide_context(request);
        }
        if let Some(response) = response {
            provide_context(response);
        }
        ScopedFuture::new(make())
    })
}
