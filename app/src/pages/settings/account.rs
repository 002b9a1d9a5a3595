//! A member's own account: changing their password, and signing out on
//! every device at once (a lost laptop, a shared computer).

use crate::api::accounts::{ChangePassword, SignOutEverywhere, me};
use crate::api::office::load_office;
use crate::components::form::{Field, FormError, action_error};
use crate::components::top_bar::TopBar;
use crate::error::AppError;
use crate::pages::office::ErrorPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn AccountSettingsPage() -> impl IntoView {
    let header =
        Resource::new(|| (), |_| async { Ok::<_, AppError>((load_office().await?.workspace_name, me().await?)) });
    view! {
        <Title text="Your account" />
        <Suspense fallback=|| view! { <div class="page-loading" aria-busy="true"></div> }>
            {move || Suspend::new(async move {
                match header.await {
                    Ok((workspace_name, me)) => {
                        view! {
                            <div class="app-shell no-sidebar">
                                <TopBar workspace_name me=me.clone() />
                                <main class="settings" aria-labelledby="account-title">
                                    <h1 id="account-title">"Your account"</h1>
                                    <p class="muted">{format!("Signed in as {} ({}).", me.name, me.email)}</p>
                                    <PasswordChange />
                                    <EverywhereSignOut />
                                </main>
                            </div>
                        }
                            .into_any()
                    }
                    Err(AppError::NotSignedIn) => view! { <Redirect path="/signin" /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn PasswordChange() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = action_error(change);
    let changed = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <p class="muted small">"Every other device you are signed in on is signed out; this one stays."</p>
            <ActionForm action=change attr:novalidate=true attr:class="stack">
                <FormError error />
                <Field
                    label="Current password"
                    name="current_password"
                    kind="password"
                    autocomplete="current-password"
                    error
                />
                <Field
                    label="New password"
                    name="new_password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 8 characters."
                    error
                />
                <Field
                    label="New password again"
                    name="repeat_password"
                    kind="password"
                    autocomplete="new-password"
                    error
                />
                <button type="submit" class="primary" disabled=move || change.pending().get()>
                    "Change password"
                </button>
                <p class="form-success" role="status">
                    {move || changed().then_some("Password changed. Your other devices were signed out.")}
                </p>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn EverywhereSignOut() -> impl IntoView {
    let sign_out = ServerAction::<SignOutEverywhere>::new();
    let error = action_error(sign_out);
    view! {
        <section class="card" aria-labelledby="everywhere-title">
            <h2 id="everywhere-title">"Sign out everywhere"</h2>
            <p class="muted small">
                "Ends every session of yours, on every device, this one included: open pages go to sign-in and your calls end."
            </p>
            <ActionForm action=sign_out attr:class="stack">
                <FormError error />
                <button type="submit" class="danger" disabled=move || sign_out.pending().get()>
                    "Sign out everywhere"
                </button>
            </ActionForm>
        </section>
    }
    .into_any()
}
