//! Workspace Settings > Teams: who is in which team. Admins create, rename
//! and delete teams, and put members in and take them out; inbox access
//! through a team follows at once.

use crate::api::accounts::list_members;
use crate::api::teams::{CreateTeam, DeleteTeam, SetTeamMember, list_teams, rename_team};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{ErrorLine, ErrorText, Field, FormError, action_error, submitted};
use crate::components::rename::InlineRename;
use crate::json::load;
use crate::model::{MemberSummary, TeamSummary};
use leptos::prelude::*;
use leptos::server_fn::ServerFn as _;

/// What a team row can do to the list: change who is in it, delete it, and
/// say it was renamed (each makes the list load again).
#[derive(Clone, Copy)]
struct TeamActions {
    change: ServerAction<SetTeamMember>,
    delete: ServerAction<DeleteTeam>,
    renamed: RwSignal<u32>,
}

#[component]
pub fn Teams(is_admin: bool) -> impl IntoView {
    let actions = TeamActions {
        change: ServerAction::<SetTeamMember>::new(),
        delete: ServerAction::<DeleteTeam>::new(),
        renamed: RwSignal::new(0),
    };
    let create = ServerAction::<CreateTeam>::new();
    let data = load(
        move || {
            (
                actions.change.version().get(),
                actions.delete.version().get(),
                actions.renamed.get(),
                create.version().get(),
            )
        },
        |_| async { Ok::<_, crate::error::AppError>((list_teams().await?, list_members().await?)) },
    );
    let error = action_error(actions.change);
    let delete_error = action_error(actions.delete);
    let create_error = action_error(create);
    let created = move || create.value().get().and_then(Result::ok).is_some();
    view! {
        <section class="card" aria-labelledby="teams-title">
            <h2 id="teams-title">"Teams"</h2>
            <p class="muted small">"Adding a team to an inbox gives everyone in the team access, now and later."</p>
            <ErrorLine error=error />
            <ErrorLine error=delete_error />
            <Transition fallback=|| view! { <p class="muted">"Loading teams…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((teams, members)) => {
                            teams
                                .into_iter()
                                .map(|team| view! { <TeamRow team members=members.clone() is_admin actions /> })
                                .collect_view()
                                .into_any()
                        }
                        Err(error) => view! { <ErrorText error /> }.into_any(),
                    }
                })}
            </Transition>
            <Show when=move || is_admin>
                <h3>"Create a team"</h3>
                <form action=CreateTeam::url() method="post" novalidate class="stack" on:submit=move |ev| {
                    ev.prevent_default();
                    create.dispatch(CreateTeam { name: submitted(&ev, "name") });
                }>
                    <FormError error=create_error />
                    <Field label="Team name" name="name" id="new-team-name" error=create_error />
                    <button type="submit" class="primary" disabled=move || create.pending().get()>
                        "Create team"
                    </button>
                    <p class="form-success" role="status">{move || created().then_some("The team was created.")}</p>
                </form>
            </Show>
        </section>
    }
    .into_any()
}

#[component]
fn TeamRow(team: TeamSummary, members: Vec<MemberSummary>, is_admin: bool, actions: TeamActions) -> impl IntoView {
    let TeamActions { change, delete, renamed } = actions;
    let TeamSummary { id, name, members: inside } = team;
    let outside: Vec<MemberSummary> =
        members.into_iter().filter(|m| !m.deactivated && !inside.iter().any(|i| i.id == m.id)).collect();
    let can_add = is_admin && !outside.is_empty();
    let chosen = RwSignal::new(String::new());
    let select_id = format!("add-to-team-{id}");
    let add_label = format!("Add a member to {name}");
    view! {
        <div class="team">
            <div class="team-title">
                <h3>{name.clone()}</h3>
                {is_admin
                    .then(|| {
                        view! {
                            <InlineRename
                                name=name.clone()
                                save=move |new_name| rename_team(id, new_name)
                                saved=Callback::new(move |_| renamed.update(|n| *n += 1))
                            />
                            <ConfirmButton
                                label="Delete"
                                aria_label=format!("Delete the team {name}")
                                warning="Its members stay in the workspace; inboxes it gave them access to are taken away."
                                confirm="Delete the team"
                                class="small"
                                on_confirm=Callback::new(move |_| {
                                    delete.dispatch(DeleteTeam { team: id });
                                })
                            />
                        }
                    })}
            </div>
            <ul class="chips" aria-label=format!("Members of {name}")>
                {inside
                    .into_iter()
                    .map(|member| {
                        let label = format!("Remove {} from {name}", member.name);
                        let member_id = member.id;
                        view! {
                            <li class="chip">
                                {member.name.clone()}
                                <Show when=move || is_admin>
                                    <button
                                        class="quiet small"
                                        aria-label=label.clone()
                                        on:click=move |_| {
                                            change.dispatch(SetTeamMember { team: id, member: member_id, join: false });
                                        }
                                    >
                                        "×"
                                    </button>
                                </Show>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <Show when=move || can_add>
                <div class="inline-form">
                    <label class="visually-hidden" for=select_id.clone()>{add_label.clone()}</label>
                    <select id=select_id.clone() on:change=move |e| chosen.set(event_target_value(&e))>
                        <option value="">"Add a member…"</option>
                        {outside
                            .iter()
                            .map(|m| view! { <option value=m.id.0.to_string()>{m.name.clone()}</option> })
                            .collect_view()}
                    </select>
                    <button
                        class="small"
                        aria-label=format!("Add to {name}")
                        disabled=move || chosen.get().is_empty()
                        on:click=move |_| {
                            if let Ok(member) = chosen.get_untracked().parse() {
                                change.dispatch(SetTeamMember { team: id, member: crate::model::MemberId(member), join: true });
                            }
                        }
                    >
                        "Add"
                    </button>
                </div>
            </Show>
        </div>
    }
    .into_any()
}
