use crate::api::accounts::where_to_go;
use crate::json::load;
use crate::model::Landing;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// The front door: sends people to the office, sign-in or workspace set-up.
#[component]
pub fn HomePage() -> impl IntoView {
    let destination = load(|| (), |_| where_to_go());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let path = match destination.await {
                    Ok(Landing::Office) => "/office",
                    Ok(Landing::SignUp) => "/signup",
                    Ok(Landing::SignIn) | Err(_) => "/signin",
                };
                view! { <Redirect path=path /> }
            })}
        </Suspense>
    }
    .into_any()
}
