//! The whole-page error: what went wrong, in words a user can act on, and
//! a way to try again.

use crate::error::AppError;
use leptos::prelude::*;

/// A whole-page error with what to do about it.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    view! {
        <main class="centered-page">
            <section class="card narrow" role="alert">
                <h1>"This page could not load"</h1>
                <p>{error.to_string()}</p>
                <a class="button primary" href="">"Try again"</a>
            </section>
        </main>
    }
    .into_any()
}
