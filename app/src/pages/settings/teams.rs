//! Workspace Settings > Teams: who is in which team. Admins put members in
//! and take them out; inbox access through a team follows at once.

use crate::api::accounts::list_members;
use crate::api::teams::{SetTeamMember, list_teams};
use crate::components::form::{ErrorLine, ErrorText, action_error};
use crate::model::{MemberSummary, TeamSummary};
use leptos::prelude::*;

#[component]
pub fn Teams(is_admin: bool) -> impl IntoView {
    let change = ServerAction::<SetTeamMember>::new();
    let data = Resource::new(
        move || change.version().get(),
        |_| async { Ok::<_, crate::error::AppError>((list_teams().await?, list_members().await?)) },
    );
    let error = action_error(change);
    view! {
        <section class="card" aria-labelledby="teams-title">
            <h2 id="teams-title">"Teams"</h2>
            <p class="muted small">"Adding a team to an inbox gives everyone in the team access, now and later."</p>
            <ErrorLine error=error />
            <Transition fallback=|| view! { <p class="muted">"Loading teams…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((teams, members)) => {
                            teams
                                .into_iter()
                                .map(|team| view! { <TeamRow team members=members.clone() is_admin change /> })
                                .collect_view()
                                .into_any()
                        }
                        Err(error) => view! { <ErrorText error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn TeamRow(
    team: TeamSummary,
    members: Vec<MemberSummary>,
    is_admin: bool,
    change: ServerAction<SetTeamMember>,
) -> impl IntoView {
    let TeamSummary { id, name, members: inside } = team;
    let outside: Vec<MemberSummary> = members.into_iter().filter(|m| !inside.iter().any(|i| i.id == m.id)).collect();
    let can_add = is_admin && !outside.is_empty();
    let chosen = RwSignal::new(String::new());
    let select_id = format!("add-to-team-{id}");
    let add_label = format!("Add a member to {name}");
    view! {
        <div class="team">
            <h3>{name.clone()}</h3>
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
