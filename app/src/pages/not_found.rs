use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="centered-page">
            <section class="card narrow">
                <h1>"Nothing here"</h1>
                <p>"This address does not lead anywhere. Check the link, or go back to the office."</p>
                <a class="button primary" href="/">"Go to Anteroom"</a>
            </section>
        </main>
    }
    .into_any()
}
