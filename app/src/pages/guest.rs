//! What a guest sees after opening a room's invite link: where it leads, a
//! camera and microphone check, and their name and email.

use crate::api::invites::open_invite;
use crate::components::form::{Field, FormError};
use crate::components::preview::{CameraPreview, PreviewState};
use crate::error::AppError;
use crate::model::GuestWelcome;
use crate::pages::office::ErrorPanel;
use crate::validate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn GuestWelcomePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invite = Resource::new(token, open_invite);
    view! {
        <Suspense fallback=|| view! { <div class="page-loading" aria-busy="true"></div> }>
            {move || Suspend::new(async move {
                match invite.await {
                    Ok(welcome) => view! { <Welcome welcome /> }.into_any(),
                    Err(AppError::InviteInvalid) => view! { <InvalidLink /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn InvalidLink() -> impl IntoView {
    view! {
        <Title text="Link no longer valid" />
        <main class="centered-page">
            <section class="card narrow" role="alert">
                <div class="brand-mark large" aria-hidden="true"></div>
                <h1>"This link is no longer valid"</h1>
                <p>{AppError::InviteInvalid.to_string()}</p>
            </section>
        </main>
    }
}

#[component]
fn Welcome(welcome: GuestWelcome) -> impl IntoView {
    let GuestWelcome { workspace_name, room_name } = welcome;
    let preview = PreviewState::new();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let status = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let checked = validate::name("name", "Your name", &name.get_untracked())
            .and_then(|_| validate::email("email", &email.get_untracked()));
        match checked {
            Err(problem) => error.set(Some(problem)),
            Ok(_) => {
                error.set(None);
                // Knocking (and the waiting screen) is the next step of guest access.
                status.set(Some("Asking to join is not available yet.".into()));
            }
        }
    };
    view! {
        <Title text=format!("Join {room_name}") />
        <main class="guest-welcome">
            <section class="guest-preview" aria-label="Camera and microphone check">
                <CameraPreview state=preview />
            </section>
            <section class="guest-form card" aria-labelledby="guest-title">
                <p class="muted">{workspace_name}</p>
                <h1 id="guest-title">{room_name}</h1>
                <p class="muted small">"Check your camera and microphone, then tell the people inside who you are."</p>
                <form class="stack" novalidate=true on:submit=submit>
                    <FormError error />
                    <Field label="Your Name" name="name" autocomplete="name" error bind=name />
                    <Field label="Email Address" name="email" kind="email" autocomplete="email" error bind=email />
                    <button type="submit" class="primary">"Continue to Join"</button>
                    <p class="muted small" role="status">{move || status.get()}</p>
                </form>
            </section>
        </main>
    }
}
