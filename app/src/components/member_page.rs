//! What every member page stands on: the office (workspace, who I am,
//! channels, people) loaded once, anyone not signed in sent to sign in,
//! and a card for a thing that does not exist (or may not be seen).

use crate::api::office::load_office;
use crate::components::error_panel::ErrorPanel;
use crate::error::AppError;
use crate::json::load;
use crate::model::Office;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// Loads the office, then shows `page` with it.
#[component]
pub fn WithOffice<F>(page: F) -> impl IntoView
where
    F: Fn(Office) -> AnyView + Clone + Send + Sync + 'static,
{
    let office = load(|| (), |_| load_office());
    view! {
        <Suspense fallback=|| view! { <div class="page-loading" aria-busy="true"></div> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match office.await {
                        Ok(office) => page(office),
                        Err(AppError::NotSignedIn) => view! { <Redirect path="/signin" /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
    .into_any()
}

/// "This inbox was not found": the same for things that do not exist and
/// things the member may not see. `what` is "That inbox".
#[component]
pub fn NotFoundCard(heading: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <Title text="Not found" />
        <section class="card narrow" role="alert">
            <h1>{heading}</h1>
            <p>{AppError::NotFound(what.into()).to_string()}</p>
            <a class="button" href="/office">"Back to the office"</a>
        </section>
    }
    .into_any()
}
