//! Sign in, and setting up the workspace on a fresh install.

use crate::api::accounts::{SignIn, SignUp, where_to_go};
use crate::components::form::{Field, FormError, action_error, submitted};
use crate::json::load;
use crate::model::Landing;
use leptos::prelude::*;
use leptos::server_fn::ServerFn as _;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let error = action_error(sign_in);
    let destination = load(|| (), |_| where_to_go());
    view! {
        <Title text="Sign in" />
        <main class="centered-page">
            <section class="card narrow" aria-labelledby="sign-in-title">
                <div class="brand-mark large" aria-hidden="true"></div>
                <h1 id="sign-in-title">"Sign in to Anteroom"</h1>
                <form action=SignIn::url() method="post" novalidate class="stack" on:submit=move |ev| {
                    ev.prevent_default();
                    sign_in.dispatch(SignIn { email: submitted(&ev, "email"), password: submitted(&ev, "password") });
                }>
                    <FormError error />
                    <Field label="Email address" name="email" kind="email" autocomplete="username" error />
                    <Field label="Password" name="password" kind="password" autocomplete="current-password" error />
                    <button type="submit" class="primary" disabled=move || sign_in.pending().get()>
                        "Sign in"
                    </button>
                </form>
                <Suspense>
                    {move || Suspend::new(async move {
                        (destination.await == Ok(Landing::SignUp))
                            .then(|| {
                                view! {
                                    <p class="muted small">
                                        "Setting up a new Anteroom? " <A href="/signup">"Create the workspace"</A>
                                    </p>
                                }
                            })
                    })}
                </Suspense>
            </section>
        </main>
    }
    .into_any()
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let sign_up = ServerAction::<SignUp>::new();
    let error = action_error(sign_up);
    let destination = load(|| (), |_| where_to_go());
    view! {
        <Title text="Create your workspace" />
        <main class="centered-page">
            <section class="card narrow" aria-labelledby="sign-up-title">
                <div class="brand-mark large" aria-hidden="true"></div>
                <h1 id="sign-up-title">"Create your workspace"</h1>
                <Suspense>
                    {move || Suspend::new(async move {
                        if destination.await == Ok(Landing::SignUp) {
                            view! {
                                <p class="muted">
                                    "You will be its first member and its admin. You add everyone else afterwards."
                                </p>
                                <form action=SignUp::url() method="post" novalidate class="stack" on:submit=move |ev| {
                                    ev.prevent_default();
                                    sign_up.dispatch(SignUp {
                                        workspace_name: submitted(&ev, "workspace_name"),
                                        name: submitted(&ev, "name"),
                                        email: submitted(&ev, "email"),
                                        password: submitted(&ev, "password"),
                                    });
                                }>
                                    <FormError error />
                                    <Field label="Workspace name" name="workspace_name" autocomplete="organization" error />
                                    <Field label="Your name" name="name" autocomplete="name" error />
                                    <Field label="Email address" name="email" kind="email" autocomplete="email" error />
                                    <Field
                                        label="Password"
                                        name="password"
                                        kind="password"
                                        autocomplete="new-password"
                                        hint="At least 8 characters."
                                        error
                                    />
                                    <button type="submit" class="primary" disabled=move || sign_up.pending().get()>
                                        "Create workspace"
                                    </button>
                                </form>
                            }
                                .into_any()
                        } else {
                            view! {
                                <p role="status">
                                    "This Anteroom already has a workspace. Sign in, or ask a workspace admin to add you."
                                </p>
                                <A href="/signin" attr:class="button primary">"Go to sign in"</A>
                            }
                                .into_any()
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
    .into_any()
}
