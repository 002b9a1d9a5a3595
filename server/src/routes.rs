//! The HTTP surface: pages and server functions (Leptos), the live socket,
//! health check and static files, all behind the checks of [`web`].

use crate::{ServerState, guest_socket, live_socket, sfu, web};
use anteroom_app::protocol::LIVE_PATH;
use anteroom_app::protocol::guest::GUEST_PATH;
use anteroom_app::protocol::signal::SIGNAL_PATH;
use anteroom_app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
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
        .route(LIVE_PATH, get(live_socket::upgrade))
        .route(SIGNAL_PATH, get(sfu::session::upgrade))
        .route(GUEST_PATH, get(guest_socket::upgrade))
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
