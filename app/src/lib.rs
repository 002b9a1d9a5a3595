//! Anteroom's shared crate: the pages, components and server functions that
//! the server renders and the browser hydrates.
//!
//! Every component returns `.into_any()`: that erases its view's type at
//! the component's edge, so a page's type is no deeper than its deepest
//! single component. Without it the release WebAssembly build (which lays
//! out the whole page's hydration future) overflowed even a limit of 256.
//! The deepest component now needs about 130 levels; 256 leaves room, and
//! `scripts/test` builds the release bundle, so a view that outgrows it
//! fails the tests rather than `scripts/run`.
#![recursion_limit = "256"]

pub mod api;
pub mod call_state;
#[cfg(feature = "hydrate")]
pub mod client;
pub mod components;
pub mod dates;
pub mod error;
pub mod json;
pub mod live_state;
pub mod model;
pub mod pages;
pub mod protocol;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod validate;

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_meta::{HashedStylesheet, MetaTags};
use leptos_meta::{Title, provide_meta_context};
use leptos_router::SsrMode;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app, rendered on the server.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    ssr::content_policy::set_for_page(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // A guest's camera preview starts before the app has loaded.
                // Before the stylesheet: an inline script waits for the
                // stylesheets above it to load before it runs.
                <script nonce=leptos::nonce::use_nonce() inner_html=include_str!("client/media/early_camera.js")></script>
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                // On a guest's welcome page the camera preview comes first:
                // the app loads when the browser is idle once the preview
                // plays (early_camera.js); forms there work before it loads.
                <HydrationScripts options defer=is_guest_page() />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Whether the page being rendered is a guest's welcome page.
#[cfg(feature = "ssr")]
fn is_guest_page() -> bool {
    use_context::<http::request::Parts>().is_some_and(|request| request.uri.path().starts_with("/guest/"))
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Anteroom".to_string() } else { format!("{page} · Anteroom") } />
        <Router>
            <Routes fallback=pages::not_found::NotFoundPage>
                <Route path=path!("") view=pages::home::HomePage ssr=SsrMode::Async />
                <Route path=path!("signin") view=pages::auth::SignInPage />
                <Route path=path!("signup") view=pages::auth::SignUpPage ssr=SsrMode::Async />
                <Route path=path!("office") view=pages::office::OfficePage ssr=SsrMode::Async />
                <Route path=path!("guest/:token") view=pages::guest::GuestWelcomePage ssr=SsrMode::Async />
                <Route path=path!("inbox/:id") view=pages::inbox::InboxPage ssr=SsrMode::Async />
                <Route path=path!("channel/:id") view=pages::channel::ChannelPage ssr=SsrMode::Async />
                <Route path=path!("files") view=pages::files::FilesPage ssr=SsrMode::Async />
                <Route
                    path=path!("settings/account")
                    view=pages::settings::account::AccountSettingsPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("settings/workspace")
                    view=pages::settings::workspace::WorkspaceSettingsPage
                    ssr=SsrMode::Async
                />
            </Routes>
        </Router>
    }
    .into_any()
}
