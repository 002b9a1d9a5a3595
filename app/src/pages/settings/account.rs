//! A member's own account: changing their password, and signing out on
//! every device at once (a lost laptop, a shared computer).

use crate::api::accounts::{ChangePassword, SignOutEverywhere};
use crate::components::form::{Field, FormError, action_error, submitted};
use crate::components::member_page::WithOffice;
use crate::components::top_bar::TopBar;
use crate::model::Office;
use leptos::prelude::*;
use leptos::server_fn::ServerFn as _;
use leptos_meta::Title;

#[component]
pub fn AccountSettingsPage() -> impl IntoView {
    let page = |office: Office| {
        let me = office.me.clone();
        view! {
            <Title text="Your account" />
            <div class="app-shell no-sidebar">
                <TopBar workspace_name=office.workspace_name me=office.me />
                <main class="settings" aria-labelledby="account-title">
                    <h1 id="account-title">"Your account"</h1>
                    <p class="muted">{format!("Signed in as {} ({}).", me.name, me.email)}</p>
                    <PasswordChange />
                    <EverywhereSignOut />
                </main>
            </div>
        }
        .into_any()
    };
    view! { <WithOffice page /> }.into_any()
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
            <form action=ChangePassword::url() method="post" novalidate class="stack" on:submit=move |ev| {
                ev.prevent_default();
                change.dispatch(ChangePassword {
                    current_password: submitted(&ev, "current_password"),
                    new_password: submitted(&ev, "new_password"),
                    repeat_password: submitted(&ev, "repeat_password"),
                });
            }>
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
            </form>
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
            <form action=SignOutEverywhere::url() method="post" class="stack" on:submit=move |ev| {
                ev.prevent_default();
                sign_out.dispatch(SignOutEverywhere {});
            }>
                <FormError error />
                <button type="submit" class="danger" disabled=move || sign_out.pending().get()>
                    "Sign out everywhere"
                </button>
            </form>
        </section>
    }
    .into_any()
}
