//! Workspace settings: members, teams and, for admins, adding members and
//! overseeing every inbox.

use super::channels::ChannelAdmin;
use super::inboxes::InboxAdmin;
use super::teams::Teams;
use crate::api::accounts::{AddMember, list_members, me};
use crate::api::office::load_office;
use crate::components::avatar::Avatar;
use crate::components::form::{ErrorText, Field, FormError, action_error};
use crate::components::top_bar::TopBar;
use crate::error::AppError;
use crate::json::load;
use crate::pages::office::ErrorPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn WorkspaceSettingsPage() -> impl IntoView {
    let header = load(|| (), |_| async { Ok::<_, AppError>((load_office().await?.workspace_name, me().await?)) });
    view! {
        <Title text="Workspace settings" />
        <Suspense fallback=|| view! { <div class="page-loading" aria-busy="true"></div> }>
            {move || Suspend::new(async move {
                match header.await {
                    Ok((workspace_name, me)) => {
                        let is_admin = me.is_admin;
                        view! {
                            <div class="app-shell no-sidebar">
                                <TopBar workspace_name me />
                                <main class="settings" aria-labelledby="settings-title">
                                    <h1 id="settings-title">
                                        {if is_admin { "Workspace settings" } else { "Members" }}
                                    </h1>
                                    <Members is_admin />
                                    <Teams is_admin />
                                    <Show when=move || is_admin>
                                        <BuildPolicy />
                                        <ChannelAdmin />
                                        <InboxAdmin />
                                    </Show>
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
fn Members(is_admin: bool) -> impl IntoView {
    let add = ServerAction::<AddMember>::new();
    let members = load(move || add.version().get(), |_| list_members());
    let error = action_error(add);
    let added = move || add.value().get().and_then(Result::ok);
    view! {
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title">"Members"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
                {move || Suspend::new(async move {
                    match members.await {
                        Ok(list) => {
                            view! {
                                <table class="member-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Email"</th>
                                            <th scope="col">"Role"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|member| {
                                                let role = if member.is_admin { "Workspace admin" } else { "Member" };
                                                view! {
                                                    <tr>
                                                        <td>
                                                            <span class="member-name">
                                                                <Avatar member=member.clone() />
                                                                {member.name.clone()}
                                                            </span>
                                                        </td>
                                                        <td>{member.email.clone()}</td>
                                                        <td>{role}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorText error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <Show
            when=move || is_admin
            fallback=|| view! { <p class="muted">"Only workspace admins can add members."</p> }
        >
            <section class="card" aria-labelledby="add-member-title">
                <h2 id="add-member-title">"Add a member"</h2>
                <p class="muted small">
                    "Choose a first password and pass it on to them; they sign in with their email and that password."
                </p>
                <ActionForm action=add attr:novalidate=true attr:class="stack">
                    <FormError error />
                    <Field label="Name" name="name" autocomplete="off" error />
                    <Field label="Email address" name="email" kind="email" autocomplete="off" error />
                    <Field
                        label="First password"
                        name="password"
                        kind="password"
                        autocomplete="new-password"
                        hint="At least 8 characters."
                        error
                    />
                    <label class="checkbox">
                        <input type="checkbox" name="is_admin" value="on" />
                        "Workspace admin (can add members and manage every inbox)"
                    </label>
                    <button type="submit" class="primary" disabled=move || add.pending().get()>
                        "Add member"
                    </button>
                    <p class="form-success" role="status">
                        {move || added().map(|member| format!("{} can now sign in as {}.", member.name, member.email))}
                    </p>
                </ActionForm>
            </section>
        </Show>
    }
    .into_any()
}

/// Who may use build mode on the office map: every member (the default, as
/// in Gather and Kumospace), or workspace admins only.
#[component]
fn BuildPolicy() -> impl IntoView {
    use crate::api::build::set_build_admins_only;
    use crate::components::form::ErrorLine;
    use leptos::task::spawn_local;
    let admins_only = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let current = load(|| (), |_| load_office());
    Effect::new(move |_| {
        if let Some(Ok(office)) = current.get() {
            admins_only.set(office.build_admins_only);
        }
    });
    let toggled = move |event: leptos::ev::Event| {
        let wanted = event_target_checked(&event);
        spawn_local(async move {
            match set_build_admins_only(wanted).await {
                Ok(()) => {
                    admins_only.set(wanted);
                    error.set(None);
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="office-settings-title">
            <h2 id="office-settings-title">"Office"</h2>
            <label class="checkbox-row">
                <input type="checkbox" prop:checked=move || admins_only.get() on:change=toggled />
                "Only workspace admins can use build mode"
            </label>
            <p class="muted small">
                "Build mode creates, renames, moves, resizes and deletes the office's rooms. Off: every member can."
            </p>
            <ErrorLine error />
        </section>
    }
    .into_any()
}
