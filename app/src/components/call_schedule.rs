//! The Call Schedule tab of a meeting channel's details: its scheduled calls
//! (title, next call, how it repeats, who outside the workspace is invited)
//! and, for channel admins and workspace admins, a form for a new one and a
//! way to delete one. When a call starts, the server emails its external
//! participants the channel's link.

use crate::api::schedules::{create_schedule, delete_schedule, list_schedules};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{ErrorLine, ErrorText, Field, FormError, TextBox};
use crate::error::AppError;
use crate::model::{CallSchedule, ChannelId, NewSchedule, Recurrence};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn CallScheduleTab(channel: ChannelId, can_manage: bool, link_on: bool) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let schedules = Resource::new(move || version.get(), move |_| list_schedules(channel));
    let error = RwSignal::new(None::<AppError>);
    let on_delete = Callback::new(move |schedule| {
        spawn_local(async move {
            match delete_schedule(channel, schedule).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(problem) => error.set(Some(problem)),
            }
        });
    });
    view! {
        <div class="stack" role="tabpanel">
            {(!link_on)
                .then(|| {
                    view! {
                        <p class="notice">
                            "The external link is off, so no invitations go out until a link is generated (External Link tab)."
                        </p>
                    }
                })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match schedules.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="muted">"No calls are scheduled in this channel."</p> }.into_any()
                        }
                        Ok(list) => {
                            view! {
                                <ul class="schedule-list" aria-label="Scheduled calls">
                                    {list
                                        .into_iter()
                                        .map(|schedule| view! { <ScheduleRow schedule can_manage on_delete /> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(problem) => view! { <ErrorText error=problem /> }.into_any(),
                    }
                })}
            </Transition>
            <ErrorLine error=error />
            {can_manage.then(|| view! { <NewScheduleForm channel saved=Callback::new(move |_| version.update(|v| *v += 1)) /> })}
        </div>
    }
    .into_any()
}

#[component]
fn ScheduleRow(
    schedule: CallSchedule,
    can_manage: bool,
    on_delete: Callback<crate::model::ScheduleId>,
) -> impl IntoView {
    let CallSchedule { id, title, recurrence, time_zone, next_call, external_participants } = schedule;
    let when = match next_call {
        Some(next) => format!("Next call: {next} ({time_zone})"),
        None => "This call has taken place.".to_string(),
    };
    let invited = if external_participants.is_empty() {
        "No external participants".to_string()
    } else {
        format!("External participants: {}", external_participants.join(", "))
    };
    view! {
        <li class="schedule">
            <strong>{title.clone()}</strong>
            <span class="small">{when}</span>
            <span class="muted small">{recurrence.label()}</span>
            <span class="muted small">{invited}</span>
            {can_manage
                .then(|| {
                    view! {
                        <ConfirmButton
                            label="Delete"
                            aria_label=format!("Delete {title}")
                            warning="No more invitations will go out for it."
                            confirm="Delete the schedule"
                            class="small"
                            on_confirm=Callback::new(move |_| on_delete.run(id))
                        />
                    }
                })}
        </li>
    }
    .into_any()
}

/// The browser's IANA time zone ("Europe/Berlin"); the server reads the
/// form's wall-clock time in it.
fn browser_time_zone() -> String {
    #[cfg(feature = "hydrate")]
    {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
        if let Some(zone) = js_sys::Reflect::get(&options, &"timeZone".into()).ok().and_then(|z| z.as_string()) {
            return zone;
        }
    }
    "UTC".to_string()
}

#[component]
fn NewScheduleForm(channel: ChannelId, saved: Callback<()>) -> impl IntoView {
    let title = RwSignal::new(String::new());
    let starts = RwSignal::new(String::new());
    let recurrence = RwSignal::new(Recurrence::Once);
    let participants = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let schedule = NewSchedule {
            title: title.get_untracked(),
            starts_local: starts.get_untracked(),
            time_zone: browser_time_zone(),
            recurrence: recurrence.get_untracked(),
            external_participants: participants.get_untracked(),
        };
        spawn_local(async move {
            match create_schedule(channel, schedule).await {
                Ok(_) => {
                    error.set(None);
                    done.set(true);
                    title.set(String::new());
                    participants.set(String::new());
                    saved.run(());
                }
                Err(problem) => {
                    done.set(false);
                    error.set(Some(problem));
                }
            }
        });
    };
    view! {
        <form class="stack schedule-form" novalidate=true on:submit=submit>
            <h3>"Schedule a call"</h3>
            <FormError error />
            <Field label="Title" name="title" id="schedule-title" error bind=title />
            <Field
                label="First call"
                name="starts_local"
                kind="datetime-local"
                id="schedule-starts"
                hint="In your time zone; the call repeats at this time of day."
                error
                bind=starts
            />
            <div class="field">
                <label for="schedule-recurrence">"Repeats"</label>
                <select
                    id="schedule-recurrence"
                    on:change=move |e| {
                        if let Some(chosen) = Recurrence::from_key(&event_target_value(&e)) {
                            recurrence.set(chosen);
                        }
                    }
                >
                    {Recurrence::ALL
                        .into_iter()
                        .map(|r| view! { <option value=r.key() selected=move || recurrence.get() == r>{r.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <TextBox
                label="External participants"
                name="external_participants"
                id="schedule-participants"
                rows=3
                bind=participants
                error
            />
            <p class="muted small">
                "Email addresses, separated by commas or new lines. Each gets the channel's external link when a call starts."
            </p>
            <div class="button-row">
                <button type="submit" class="primary">"Save schedule"</button>
                <span class="form-success" role="status">{move || done.get().then_some("Schedule saved.")}</span>
            </div>
        </form>
    }
    .into_any()
}
