//! The Channel Overview dialog of an inbox: About (name and addresses) and
//! Members (who takes part with which role; inbox admins and workspace
//! admins add, remove and change roles). The server checks every change.

use crate::api::inboxes::{
    NewParticipant, add_inbox_participants, remove_inbox_participant, search_directory, set_inbox_addresses,
    set_inbox_role,
};
use crate::components::dialog::Dialog;
use crate::components::form::{ErrorLine, ErrorText};
use crate::components::tabs::tab_button;
use crate::error::AppError;
use crate::json::load;
use crate::model::{DirectoryEntry, InboxDetails, InboxParticipant, InboxParticipantId, InboxRole};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    About,
    Members,
}

#[component]
pub fn InboxOverviewDialog(
    details: InboxDetails,
    close: Callback<()>,
    /// Runs after a change was saved, so the page reads the inbox again.
    changed: Callback<()>,
) -> impl IntoView {
    let tab = RwSignal::new(Tab::Members);
    let error = RwSignal::new(None::<AppError>);
    // Runs a change; reports its error or tells the page to reload.
    let run = move |change: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>>>>| {
        spawn_local(async move {
            match change.await {
                Ok(()) => {
                    error.set(None);
                    changed.run(());
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    let InboxDetails { id, name, addresses, participants, can_manage, .. } = details;
    let on_save =
        Callback::new(move |raw: String| run(Box::pin(async move { set_inbox_addresses(id, raw).await.map(drop) })));
    let on_role =
        Callback::new(move |(entry, role)| run(Box::pin(async move { set_inbox_role(id, entry, role).await })));
    let on_remove = Callback::new(move |entry| run(Box::pin(async move { remove_inbox_participant(id, entry).await })));
    let on_add = Callback::new(move |added: Vec<NewParticipant>| {
        run(Box::pin(async move { add_inbox_participants(id, added).await }))
    });
    view! {
        <Dialog title_id="overview-title" close class="wide">
            <h2 id="overview-title">{name}</h2>
            <div role="tablist" aria-label="Inbox overview" class="tabs">
                {tab_button(tab, Tab::About, "About")}
                {tab_button(tab, Tab::Members, "Members")}
            </div>
            <ErrorLine error=error />
            <Show when=move || tab.get() == Tab::About>
                <About addresses=addresses.clone() can_manage on_save />
            </Show>
            <Show when=move || tab.get() == Tab::Members>
                <ul class="participant-rows" aria-label="Participants">
                    {participants
                        .iter()
                        .cloned()
                        .map(|participant| {
                            view! { <ParticipantRow participant can_manage on_role on_remove /> }
                        })
                        .collect_view()}
                </ul>
                <p class="muted small">"Workspace admins can always manage this inbox."</p>
                <Show when=move || can_manage>
                    <AddParticipants on_add />
                </Show>
            </Show>
            <div class="dialog-actions">
                <button class="quiet" on:click=move |_| close.run(())>"Close"</button>
            </div>
        </Dialog>
    }
    .into_any()
}

#[component]
fn About(addresses: Vec<String>, can_manage: bool, on_save: Callback<String>) -> impl IntoView {
    let draft = RwSignal::new(addresses.join(", "));
    view! {
        <div class="stack" role="tabpanel">
            <h3>"Email addresses"</h3>
            <ul>{addresses.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view()}</ul>
            <Show when=move || can_manage>
                <div class="field">
                    <label for="inbox-addresses">"Change the addresses"</label>
                    <input
                        id="inbox-addresses"
                        type="text"
                        prop:value=move || draft.get()
                        on:input=move |e| draft.set(event_target_value(&e))
                    />
                    <p class="field-message">"Separated by commas. Replies go out from the first."</p>
                </div>
                <button class="primary" on:click=move |_| on_save.run(draft.get_untracked())>"Save addresses"</button>
            </Show>
        </div>
    }
    .into_any()
}

/// A role dropdown (labelled for assistive tech) that reports changes.
fn role_select(label: String, current: InboxRole, on_change: impl Fn(InboxRole) + 'static) -> impl IntoView {
    view! {
        <select
            aria-label=label
            on:change=move |e| {
                if let Some(role) = InboxRole::from_key(&event_target_value(&e)) {
                    on_change(role);
                }
            }
        >
            {InboxRole::ALL
                .into_iter()
                .map(|role| view! { <option value=role.key() selected=role == current>{role.label()}</option> })
                .collect_view()}
        </select>
    }
}

#[component]
fn ParticipantRow(
    participant: InboxParticipant,
    can_manage: bool,
    on_role: Callback<(InboxParticipantId, InboxRole)>,
    on_remove: Callback<InboxParticipantId>,
) -> impl IntoView {
    let InboxParticipant { id, name, detail, role, higher_through_team, .. } = participant;
    let role_label = format!("Role of {name}");
    let remove_label = format!("Remove {name}");
    view! {
        <li class="participant-row">
            <span class="participant-name">
                <strong>{name.clone()}</strong>
                <span class="muted small">{detail}</span>
                {higher_through_team.map(|(team, higher)| {
                    view! {
                        <span class="small note">
                            {format!("Also {} through {team}: the higher role counts.", higher.label())}
                        </span>
                    }
                })}
            </span>
            {if can_manage {
                view! {
                    {role_select(role_label, role, move |new| on_role.run((id, new)))}
                    <button class="quiet small" aria-label=remove_label on:click=move |_| on_remove.run(id)>"Remove"</button>
                }
                    .into_any()
            } else {
                view! { <span class="role-text">{role.label()}</span> }.into_any()
            }}
        </li>
    }
    .into_any()
}

/// The member selector: search members and teams by name, tick several,
/// give each a role, add them at once.
#[component]
fn AddParticipants(on_add: Callback<Vec<NewParticipant>>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let results = load(
        move || query.get(),
        |query| async move { if query.trim().is_empty() { Ok(Vec::new()) } else { search_directory(query).await } },
    );
    // The picks so far: who, their name, the role to give.
    let picked = RwSignal::new(Vec::<(DirectoryEntry, InboxRole)>::new());
    let toggle = move |entry: DirectoryEntry| {
        picked.update(|list| match list.iter().position(|(e, _)| e.grantee == entry.grantee) {
            Some(at) => {
                list.remove(at);
            }
            None => list.push((entry, InboxRole::Member)),
        })
    };
    let add = move |_| {
        let added: Vec<NewParticipant> =
            picked.get_untracked().into_iter().map(|(e, role)| NewParticipant { grantee: e.grantee, role }).collect();
        if !added.is_empty() {
            on_add.run(added);
            picked.set(Vec::new());
            query.set(String::new());
        }
    };
    view! {
        <div class="stack add-participants">
            <h3>"Add people or teams"</h3>
            <div class="field">
                <label for="directory-search">"Search members and teams by name"</label>
                <input
                    id="directory-search"
                    type="search"
                    autocomplete="off"
                    prop:value=move || query.get()
                    on:input=move |e| query.set(event_target_value(&e))
                />
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(entries) => {
                            view! {
                                <ul class="directory-results" aria-label="Search results">
                                    {entries
                                        .into_iter()
                                        .map(|entry| {
                                            let grantee = entry.grantee;
                                            let checked = move || picked.with(|l| l.iter().any(|(e, _)| e.grantee == grantee));
                                            let shown = entry.clone();
                                            view! {
                                                <li>
                                                    <label class="checkbox">
                                                        <input type="checkbox" prop:checked=checked on:change=move |_| toggle(entry.clone()) />
                                                        {shown.name.clone()}
                                                        <span class="muted small">{shown.detail.clone()}</span>
                                                    </label>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorText error /> }.into_any(),
                    }
                })}
            </Transition>
            <Show when=move || !picked.with(Vec::is_empty)>
                <ul class="picked" aria-label="To add">
                    <For
                        each=move || picked.get()
                        key=|(e, _)| e.grantee
                        children=move |(entry, role): (DirectoryEntry, InboxRole)| {
                            let grantee = entry.grantee;
                            let select = role_select(format!("Role for {}", entry.name), role, move |new| {
                                picked.update(|list| {
                                    if let Some(item) = list.iter_mut().find(|(e, _)| e.grantee == grantee) {
                                        item.1 = new;
                                    }
                                })
                            });
                            view! {
                                <li>
                                    <span>{entry.name.clone()}</span>
                                    {select}
                                </li>
                            }
                        }
                    />
                </ul>
                <button class="primary" on:click=add>"Add to inbox"</button>
            </Show>
        </div>
    }
    .into_any()
}
