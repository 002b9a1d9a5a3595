//! The Channel Details dialog of a meeting channel: About (who administers
//! it), External Link (copy it, generate it; channel admins and workspace
//! admins replace or turn it off), Call Schedule and, for those admins, Guest Activity
//! (who came in through the link, and when they left). The server checks
//! every change.

use crate::api::accounts::list_members;
use crate::api::channels::{
    disable_external_link, external_link, guest_activity, regenerate_external_link, set_channel_admin, set_guest_notes,
    set_notes_to_me, set_transcription,
};
use crate::components::call_schedule::CallScheduleTab;
use crate::components::confirm::ConfirmButton;
use crate::components::copy_link::CopyLink;
use crate::components::dialog::Dialog;
use crate::components::form::{ErrorLine, ErrorText};
use crate::components::tabs::tab_button;
use crate::dates::time_text;
use crate::error::AppError;
use crate::json::load;
use crate::model::{ChannelDetails, ChannelId, GuestVisit, MemberId, MemberSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailsTab {
    About,
    ExternalLink,
    CallSchedule,
    Transcription,
    GuestActivity,
}

#[component]
pub fn ChannelDetailsDialog(
    details: ChannelDetails,
    tab: RwSignal<DetailsTab>,
    close: Callback<()>,
    /// Runs after a change was saved, so the page reads the channel again.
    changed: Callback<()>,
) -> impl IntoView {
    let ChannelDetails {
        id,
        name,
        external_link: link,
        can_manage,
        admins,
        email_guest_notes,
        transcribe_calls,
        notes_to_me,
        ..
    } = details;
    let link_on = link.is_some();
    view! {
        <Dialog title_id="channel-details-title" close class="wide">
            <h2 id="channel-details-title">{format!("{name} details")}</h2>
            <div role="tablist" aria-label="Channel details" class="tabs">
                {tab_button(tab, DetailsTab::About, "About")}
                {tab_button(tab, DetailsTab::ExternalLink, "External Link")}
                {tab_button(tab, DetailsTab::CallSchedule, "Call Schedule")}
                {tab_button(tab, DetailsTab::Transcription, "Transcription")}
                {can_manage.then(|| tab_button(tab, DetailsTab::GuestActivity, "Guest Activity"))}
            </div>
            <Show when=move || tab.get() == DetailsTab::About>
                <About channel=id admins=admins.clone() can_manage changed />
            </Show>
            <Show when=move || tab.get() == DetailsTab::ExternalLink>
                <ExternalLink channel=id link=link.clone() can_manage changed />
            </Show>
            <Show when=move || tab.get() == DetailsTab::CallSchedule>
                <CallScheduleTab channel=id can_manage link_on=link_on />
            </Show>
            <Show when=move || tab.get() == DetailsTab::Transcription>
                <TranscriptionSettings
                    channel=id
                    transcribe=transcribe_calls
                    notes=email_guest_notes
                    notes_to_me
                    can_manage
                    changed
                />
            </Show>
            <Show when=move || can_manage && tab.get() == DetailsTab::GuestActivity>
                <GuestActivity channel=id />
            </Show>
            <div class="dialog-actions">
                <button class="quiet" on:click=move |_| close.run(())>"Close"</button>
            </div>
        </Dialog>
    }
    .into_any()
}

/// The About tab: what the channel is, and its admins (workspace admins
/// and channel admins add and remove them).
#[component]
fn About(channel: ChannelId, admins: Vec<MemberSummary>, can_manage: bool, changed: Callback<()>) -> impl IntoView {
    let error = RwSignal::new(None::<AppError>);
    let set = move |member: MemberId, admin: bool| {
        spawn_local(async move {
            match set_channel_admin(channel, member, admin).await {
                Ok(()) => {
                    error.set(None);
                    changed.run(());
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    let admin_ids: Vec<MemberId> = admins.iter().map(|a| a.id).collect();
    let candidates = load(|| (), |_| list_members());
    let picked = RwSignal::new(String::new());
    view! {
        <div class="stack" role="tabpanel">
            <p>"A meeting channel: its call is open to every member, and to guests who have its external link."</p>
            <h3>"Channel admins"</h3>
            <p class="muted small">
                "They replace or turn off the external link, schedule calls, remove guests and see guest activity. Workspace admins can always do all of that."
            </p>
            {admins.is_empty().then(|| view! { <p>"No channel admins yet."</p> })}
            <ul class="participant-rows" aria-label="Channel admins">
                {admins
                    .into_iter()
                    .map(|admin| {
                        let id = admin.id;
                        let label = format!("Remove {} as channel admin", admin.name);
                        view! {
                            <li class="participant-row">
                                <span class="participant-name">
                                    <strong>{admin.name.clone()}</strong>
                                    <span class="muted small">{admin.email.clone()}</span>
                                </span>
                                {can_manage
                                    .then(|| {
                                        view! {
                                            <button class="quiet small" aria-label=label on:click=move |_| set(id, false)>
                                                "Remove"
                                            </button>
                                        }
                                    })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {can_manage.then(|| view! {
                <div class="inline-form">
                    <label for="new-channel-admin">"Add a channel admin"</label>
                    <select id="new-channel-admin" on:change=move |e| picked.set(event_target_value(&e))>
                        <option value="">"Choose a member…"</option>
                        <Transition fallback=|| ()>
                            {
                                let admin_ids = admin_ids.clone();
                                move || {
                                    let admin_ids = admin_ids.clone();
                                    Suspend::new(async move {
                                        candidates
                                            .await
                                            .unwrap_or_default()
                                            .into_iter()
                                            .filter(|m| !m.deactivated && !admin_ids.contains(&m.id))
                                            .map(|m| view! { <option value=m.id.to_string()>{m.name}</option> })
                                            .collect_view()
                                    })
                                }
                            }
                        </Transition>
                    </select>
                    <button
                        class="primary"
                        on:click=move |_| {
                            match picked.get_untracked().parse::<i64>() {
                                Ok(id) => set(MemberId(id), true),
                                Err(_) => error.set(Some(AppError::invalid("member", "Choose a member to add."))),
                            }
                        }
                    >
                        "Add"
                    </button>
                </div>
            })}
            <ErrorLine error=error />
        </div>
    }
    .into_any()
}

/// The External Link tab: the link and what the asker may do with it.
#[component]
fn ExternalLink(channel: ChannelId, link: Option<String>, can_manage: bool, changed: Callback<()>) -> impl IntoView {
    let link = RwSignal::new(link);
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let run = move |change: std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<String>, AppError>>>>| {
        busy.set(true);
        spawn_local(async move {
            match change.await {
                Ok(new_link) => {
                    link.set(new_link);
                    error.set(None);
                    changed.run(());
                }
                Err(problem) => error.set(Some(problem)),
            }
            busy.set(false);
        });
    };
    let generate = move |_| run(Box::pin(async move { external_link(channel).await.map(Some) }));
    let regenerate =
        Callback::new(move |_| run(Box::pin(async move { regenerate_external_link(channel).await.map(Some) })));
    let disable =
        Callback::new(move |_| run(Box::pin(async move { disable_external_link(channel).await.map(|_| None) })));
    let shown = Signal::derive(move || link.get());
    view! {
        <div class="stack" role="tabpanel">
            <p class="muted small">
                "Anyone with this link can join this channel's call from a lobby, without an account, and sees nothing else of the workspace. Treat it like a password."
            </p>
            <Show
                when=move || link.with(Option::is_some)
                fallback=move || {
                    view! {
                        <p>"This channel has no external link, so guests cannot join its call."</p>
                        <div>
                            <button class="primary" on:click=generate disabled=move || busy.get()>
                                "Generate Link"
                            </button>
                        </div>
                    }
                }
            >
                <CopyLink id="external-link" label="External link" link=shown />
                <p class="muted small">"The link stays the same for every call until it is replaced."</p>
                <Show
                    when=move || can_manage
                    fallback=|| view! { <p class="muted small">"Channel admins can replace or turn off the link."</p> }
                >
                    <div class="button-row">
                        <ConfirmButton
                            label="Generate a new link"
                            warning="The current link will stop working."
                            confirm="Replace the link"
                            on_confirm=regenerate
                        />
                        <ConfirmButton
                            label="Turn off the link"
                            warning="Guests will not be able to join with it."
                            confirm="Turn it off"
                            on_confirm=disable
                        />
                    </div>
                </Show>
            </Show>
            <ErrorLine error=error />
        </div>
    }
    .into_any()
}

/// The Transcription tab: whether calls are transcribed, whether guests
/// get the meeting notes by email, and whether the admin looking does.
#[component]
fn TranscriptionSettings(
    channel: ChannelId,
    transcribe: bool,
    notes: bool,
    notes_to_me: bool,
    can_manage: bool,
    changed: Callback<()>,
) -> impl IntoView {
    let transcribe = RwSignal::new(transcribe);
    let notes = RwSignal::new(notes);
    let notes_to_me = RwSignal::new(notes_to_me);
    let error = RwSignal::new(None::<AppError>);
    let toggled = move |which: Switch| {
        Callback::new(move |wanted: bool| {
            spawn_local(async move {
                let (saved, setting) = match which {
                    Switch::Transcribe => (set_transcription(channel, wanted).await, transcribe),
                    Switch::Notes => (set_guest_notes(channel, wanted).await, notes),
                    Switch::NotesToMe => (set_notes_to_me(channel, wanted).await, notes_to_me),
                };
                match saved {
                    Ok(()) => {
                        setting.set(wanted);
                        error.set(None);
                        changed.run(());
                    }
                    Err(problem) => error.set(Some(problem)),
                }
            });
        })
    };
    view! {
        <div class="stack" role="tabpanel">
            <SettingSwitch
                label="Transcribe calls"
                hint="Each person's words are written down from their own microphone, so every line names who said it. After the call, members find the transcript and a summary under Past calls. Everyone in the call, and guests in the lobby, see that it is transcribed."
                on=transcribe
                can_manage
                toggled=toggled(Switch::Transcribe)
            />
            <SettingSwitch
                label="External users receive email summary"
                hint="When a call ends, every guest who gave an email address in the lobby gets the meeting notes: who joined and left when, the in-call chat, and, when the call was transcribed, the summary and the transcript."
                on=notes
                can_manage
                toggled=toggled(Switch::Notes)
            />
            {if can_manage {
                view! {
                    <SettingSwitch
                        label="Email me the notes after each call"
                        hint="You get the same email as guests after every call in this channel, whether you were in it or not. This is your own choice; other admins choose for themselves."
                        on=notes_to_me
                        can_manage
                        toggled=toggled(Switch::NotesToMe)
                    />
                }
                    .into_any()
            } else {
                view! { <p class="muted small">"Channel admins can change these."</p> }.into_any()
            }}
            <ErrorLine error=error />
        </div>
    }
    .into_any()
}

/// One switch of the Transcription tab, with what it does.
#[component]
fn SettingSwitch(
    label: &'static str,
    hint: &'static str,
    on: RwSignal<bool>,
    can_manage: bool,
    toggled: Callback<bool>,
) -> impl IntoView {
    view! {
        <label class="checkbox-row">
            <input
                type="checkbox"
                prop:checked=move || on.get()
                disabled=!can_manage
                on:change=move |event| toggled.run(event_target_checked(&event))
            />
            {label}
        </label>
        <p class="muted small">{hint}</p>
    }
}

/// The Guest Activity tab: the latest guests who joined, newest first.
#[component]
fn GuestActivity(channel: ChannelId) -> impl IntoView {
    let visits = load(|| (), move |_| guest_activity(channel));
    view! {
        <div class="stack" role="tabpanel">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match visits.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="muted">"No guest has joined this channel's call yet."</p> }.into_any()
                        }
                        Ok(list) => view! { <VisitTable visits=list /> }.into_any(),
                        Err(error) => view! { <ErrorText error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
    .into_any()
}

#[component]
fn VisitTable(visits: Vec<GuestVisit>) -> impl IntoView {
    view! {
        <table class="visits">
            <caption class="visually-hidden">"Guests who joined the call"</caption>
            <thead>
                <tr>
                    <th scope="col">"Guest"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Joined"</th>
                    <th scope="col">"Left"</th>
                </tr>
            </thead>
            <tbody>
                {visits
                    .into_iter()
                    .map(|visit| {
                        let left = match (visit.left_at, visit.removed) {
                            (None, _) => "Still in the call".to_string(),
                            (Some(at), true) => format!("{} (removed)", time_text(at)),
                            (Some(at), false) => time_text(at),
                        };
                        view! {
                            <tr>
                                <td>{visit.name}</td>
                                <td>{visit.email.unwrap_or_else(|| "—".into())}</td>
                                <td>{time_text(visit.joined_at)}</td>
                                <td>{left}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The switches of the Transcription tab.
#[derive(Clone, Copy)]
enum Switch {
    Transcribe,
    Notes,
    NotesToMe,
}
