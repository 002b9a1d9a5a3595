//! The HTTP surface: pages and server functions (Leptos), the live socket,
//! health check and static files, all behind the checks of [`web`].

use crate::sockets::{guest, live, signal};
use crate::{ServerState, files, web};
use anteroom_app::model::UPLOAD_PATH;
use anteroom_app::protocol::LIVE_PATH;
use anteroom_app::protocol::guest::GUEST_PATH;
use anteroom_app::protocol::signal::SIGNAL_PATH;
use anteroom_app::ssr::reset_page;
use anteroom_app::{App, shell};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

pub fn router(state: ServerState) -> Router {
    let routes = generate_route_list(App);
    let app_state = state.app.clone();
    let options = state.leptos.clone();
    let public_url = state.app.settings.public_url.clone();
    let hashed_site_files = state.leptos.hash_files;
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route(LIVE_PATH, get(live::upgrade))
        .route(SIGNAL_PATH, get(signal::upgrade))
        .route(GUEST_PATH, get(guest::upgrade))
        .route(reset_page::ROUTE, get(show_reset_page).post(submit_reset_page))
        .route(UPLOAD_PATH, post(files::upload::upload).layer(DefaultBodyLimit::disable()))
        .route("/files/{id}", get(files::download::file))
        .route("/files/{id}/thumbnail", get(files::download::thumbnail))
        .route("/mail-files/{id}", get(files::download::mail_attachment))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(app_state.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<ServerState, _>(shell))
        .with_state(state);
    web::guard(router, &public_url, hashed_site_files)
}

/// 200 when the server can reach its database, 503 otherwise.
async fn healthz(State(state): State<ServerState>) -> (StatusCode, &'static str) {
    match sqlx::query("SELECT 1").execute(&state.app.db).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// A password reset link's page (`anteroom_app::ssr::reset_page`).
async fn show_reset_page(State(state): State<ServerState>, Path(token): Path<String>) -> Response {
    reset_page::show(&state.app, &state.leptos, &token).await
}

/// Its form, posted back to it. It signs a browser in, so like a server
/// function call it must come from our own page (no cross-site sign-in).
async fn submit_reset_page(
    State(state): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<reset_page::Submitted>,
) -> Response {
    if !web::cross_site::call_from_own_site(&headers) {
        return (StatusCode::FORBIDDEN, "Refused: this request did not come from Anteroom's own pages.")
            .into_response();
    }
    reset_page::submit(&state.app, &state.leptos, &token, form).await
}
