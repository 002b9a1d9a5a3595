//! Workspace settings: members, teams and, for admins, adding,
//! deactivating and reactivating members, sending password resets, and
//! overseeing every inbox.

use super::channels::ChannelAdmin;
use super::inboxes::InboxAdmin;
use super::teams::Teams;
use crate::api::accounts::{AddMember, list_members, manage_member, me};
use crate::api::office::load_office;
use crate::components::avatar::Avatar;
use crate::components::confirm::{ConfirmButton, ConfirmButtonProps};
use crate::components::error_panel::ErrorPanel;
use crate::components::form::{ErrorLine, ErrorText, Field, FormError, action_error};
use crate::components::top_bar::TopBar;
use crate::error::AppError;
use crate::json::load;
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
                        let (is_admin, my_id) = (me.is_admin, me.id);
                        view! {
                            <div class="app-shell no-sidebar">
                                <TopBar workspace_name me />
                                <main class="settings" aria-labelledby="settings-title">
                                    <h1 id="settings-title">
                                        {if is_admin { "Workspace settings" } else { "Members" }}
                                    </h1>
                                    <Members is_admin me=my_id />
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
fn Members(is_admin: bool, me: crate::model::MemberId) -> impl IntoView {
    let add = ServerAction::<AddMember>::new();
    // What the last row action did or why it could not; each one done
    // reloads the list.
    let done = RwSignal::new(None::<String>);
    let failed = RwSignal::new(None::<AppError>);
    let changes = RwSignal::new(0);
    let replace_links = RwSignal::new(true);
    let members = load(move || add.version().get() + changes.get(), |_| list_members());
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
                                            {is_admin
                                                .then(|| {
                                                    view! {
                                                        <th scope="col">
                                                            <span class="visually-hidden">"Actions"</span>
                                                        </th>
                                                    }
                                                })}
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|member| {
                                                let role = match (member.is_admin, member.deactivated) {
                                                    (true, false) => "Workspace admin",
                                                    (false, false) => "Member",
                                                    (true, true) => "Workspace admin, deactivated",
                                                    (false, true) => "Member, deactivated",
                                                };
                                                let signals = (done, failed, changes, replace_links);
                                                let actions = is_admin.then(|| member_actions(&member, me, signals));
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
                                                        {actions}
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                {is_admin
                                    .then(|| {
                                        view! {
                                            <label class="checkbox-row small">
                                                <input
                                                    type="checkbox"
                                                    prop:checked=move || replace_links.get()
                                                    on:change=move |e| replace_links.set(event_target_checked(&e))
                                                />
                                                "Deactivating someone also replaces the guest links they created"
                                            </label>
                                        }
                                    })}
                                <p class="form-success" role="status">{move || done.get()}</p>
                                <ErrorLine error=failed />
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

/// What the member list's actions share: what the last one did, or why
/// not; how many were done (each reloads the list); whether deactivating
/// replaces the guest links the member created.
type MemberSignals = (RwSignal<Option<String>>, RwSignal<Option<AppError>>, RwSignal<usize>, RwSignal<bool>);

/// An admin's buttons on a member's row, each asking first: a password
/// reset and deactivation for an active member (not deactivating
/// themselves), reactivation for a deactivated one. What was done, or why
/// not, shows under the list.
fn member_actions(
    member: &crate::model::MemberSummary,
    me: crate::model::MemberId,
    (done, failed, changes, replace_links): MemberSignals,
) -> AnyView {
    use crate::model::MemberAction::{self, Deactivate, Reactivate, SendPasswordReset};
    let id = member.id;
    let reset = (
        SendPasswordReset,
        "Send password reset",
        "Email a link to choose a new password (once, within an hour)?",
        "Send link",
    );
    let deactivate = (
        Deactivate,
        "Deactivate",
        "They are signed out everywhere, leave their calls, and lose their inboxes, teams and channel roles. Their name stays on past activity.",
        "Deactivate",
    );
    let reactivate = (Reactivate, "Reactivate", "They can sign in again with their old password.", "Reactivate");
    let actions: Vec<(MemberAction, &'static str, &'static str, &'static str)> = match (member.deactivated, id == me) {
        (true, _) => vec![reactivate],
        (false, true) => vec![reset],
        (false, false) => vec![reset, deactivate],
    };
    let buttons = actions
        .into_iter()
        .map(|(action, label, warning, confirm)| {
            let on_confirm = Callback::new(move |_| {
                leptos::task::spawn_local(async move {
                    match manage_member(id, action, replace_links.get_untracked()).await {
                        Ok(message) => {
                            failed.set(None);
                            done.set(Some(message));
                            changes.update(|n| *n += 1);
                        }
                        Err(problem) => failed.set(Some(problem)),
                    }
                })
            });
            let aria_label = Some(match action {
                SendPasswordReset => format!("Send {} a password reset", member.name),
                _ => format!("{label} {}", member.name),
            });
            ConfirmButton(ConfirmButtonProps { label, aria_label, warning, confirm, on_confirm, class: "small" })
        })
        .collect_view();
    view! {
        <td>
            <div class="row-actions">{buttons}</div>
        </td>
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
