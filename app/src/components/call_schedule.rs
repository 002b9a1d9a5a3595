//! The Call Schedule tab of a meeting channel's details: its scheduled calls
//! (title, the next few calls in the viewer's own time zone, how it repeats
//! and until when, who outside the workspace is invited) and, for channel
//! admins and workspace admins, a form for a new one, Edit and Cancel.
//! External participants get a calendar invitation, an update after each
//! change, a cancellation, and the link when each call starts.

use crate::api::schedules::{cancel_schedule, create_schedule, list_schedules, update_schedule};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{ErrorLine, ErrorText, Field, FormError, TextBox};
use crate::dates::local_call_text;
use crate::error::AppError;
use crate::json::load;
use crate::model::{CallSchedule, ChannelId, NewSchedule, Recurrence, RecurrenceEnd, ScheduleId};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn CallScheduleTab(channel: ChannelId, can_manage: bool, link_on: bool) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let schedules = load(move || version.get(), move |_| list_schedules(channel));
    let error = RwSignal::new(None::<AppError>);
    // The schedule being edited, if one is.
    let editing = RwSignal::new(None::<CallSchedule>);
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let on_cancel = Callback::new(move |schedule| {
        spawn_local(async move {
            match cancel_schedule(channel, schedule).await {
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
                                        .map(|schedule| view! { <ScheduleRow schedule can_manage on_cancel editing /> })
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
            {can_manage
                .then(|| {
                    view! {
                        {move || match editing.get() {
                            Some(schedule) => {
                                view! {
                                    <ScheduleForm
                                        channel
                                        editing=Some(schedule)
                                        saved=Callback::new(move |_| {
                                            editing.set(None);
                                            reload.run(());
                                        })
                                        closed=Callback::new(move |_| editing.set(None))
                                    />
                                }
                                    .into_any()
                            }
                            None => {
                                view! { <ScheduleForm channel editing=None saved=reload closed=Callback::new(|_| {}) /> }
                                    .into_any()
                            }
                        }}
                    }
                })}
        </div>
    }
    .into_any()
}

#[component]
fn ScheduleRow(
    schedule: CallSchedule,
    can_manage: bool,
    on_cancel: Callback<ScheduleId>,
    editing: RwSignal<Option<CallSchedule>>,
) -> impl IntoView {
    let CallSchedule { id, title, recurrence, ends, upcoming, external_participants, .. } = schedule.clone();
    let repeats = match ends.label() {
        Some(end) if recurrence != Recurrence::Once => format!("{}, {end}", recurrence.label()),
        _ => recurrence.label().to_string(),
    };
    let invited = if external_participants.is_empty() {
        "No external participants".to_string()
    } else {
        format!("External participants: {}", external_participants.join(", "))
    };
    let coming = if upcoming.is_empty() {
        view! { <span class="small">"The last call has taken place."</span> }.into_any()
    } else {
        view! {
            <ul class="upcoming-calls small" aria-label=format!("Next calls of {title}")>
                {upcoming.into_iter().map(|at| view! { <li>{local_call_text(at)}</li> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <li class="schedule">
            <strong>{title.clone()}</strong>
            {coming}
            <span class="muted small">{repeats}</span>
            <span class="muted small">{invited}</span>
            {can_manage
                .then(|| {
                    view! {
                        <div class="button-row">
                            <button
                                class="quiet small"
                                aria-label=format!("Edit {title}")
                                on:click=move |_| editing.set(Some(schedule.clone()))
                            >
                                "Edit"
                            </button>
                            <ConfirmButton
                                label="Cancel"
                                aria_label=format!("Cancel {title}")
                                warning="External participants get a cancellation for their calendars."
                                confirm="Cancel the schedule"
                                class="small"
                                on_confirm=Callback::new(move |_| on_cancel.run(id))
                            />
                        </div>
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

/// How the form's "Ends" choice is kept while editing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EndChoice {
    Never,
    OnDate,
    AfterCalls,
}

/// A new schedule, or the one being edited (its values filled in, kept in
/// its own time zone).
#[component]
fn ScheduleForm(
    channel: ChannelId,
    editing: Option<CallSchedule>,
    saved: Callback<()>,
    closed: Callback<()>,
) -> impl IntoView {
    let existing = editing.as_ref().map(|s| s.id);
    let time_zone = editing.as_ref().map_or_else(browser_time_zone, |s| s.time_zone.clone());
    let title = RwSignal::new(editing.as_ref().map(|s| s.title.clone()).unwrap_or_default());
    let starts = RwSignal::new(editing.as_ref().map(|s| s.starts_local.clone()).unwrap_or_default());
    let recurrence = RwSignal::new(editing.as_ref().map_or(Recurrence::Once, |s| s.recurrence));
    let participants = RwSignal::new(editing.as_ref().map(|s| s.external_participants.join(", ")).unwrap_or_default());
    let (choice, last_day, count) = match editing.as_ref().map(|s| s.ends.clone()) {
        Some(RecurrenceEnd::OnDate(date)) => (EndChoice::OnDate, date, String::new()),
        Some(RecurrenceEnd::AfterCalls(n)) => (EndChoice::AfterCalls, String::new(), n.to_string()),
        _ => (EndChoice::Never, String::new(), String::new()),
    };
    let (end_choice, last_day, count) = (RwSignal::new(choice), RwSignal::new(last_day), RwSignal::new(count));
    let error = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(false);
    let zone_shown = time_zone.clone();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let ends = match end_choice.get_untracked() {
            EndChoice::Never => RecurrenceEnd::Never,
            EndChoice::OnDate => RecurrenceEnd::OnDate(last_day.get_untracked()),
            EndChoice::AfterCalls => match count.get_untracked().trim().parse() {
                Ok(n) => RecurrenceEnd::AfterCalls(n),
                Err(_) => {
                    error.set(Some(AppError::invalid("ends", "Give the number of calls, e.g. 10.")));
                    return;
                }
            },
        };
        let schedule = NewSchedule {
            title: title.get_untracked(),
            starts_local: starts.get_untracked(),
            time_zone: time_zone.clone(),
            recurrence: recurrence.get_untracked(),
            ends,
            external_participants: participants.get_untracked(),
        };
        spawn_local(async move {
            let result = match existing {
                Some(id) => update_schedule(channel, id, schedule).await,
                None => create_schedule(channel, schedule).await.map(drop),
            };
            match result {
                Ok(()) => {
                    error.set(None);
                    done.set(true);
                    if existing.is_none() {
                        title.set(String::new());
                        participants.set(String::new());
                    }
                    saved.run(());
                }
                Err(problem) => {
                    done.set(false);
                    error.set(Some(problem));
                }
            }
        });
    };
    let ends_message = move || error.get().filter(|e| e.field() == Some("ends")).map(|e| e.to_string());
    let heading = match &editing {
        Some(schedule) => format!("Edit \u{201c}{}\u{201d}", schedule.title),
        None => "Schedule a call".to_string(),
    };
    view! {
        <form class="stack schedule-form" novalidate=true on:submit=submit>
            <h3>{heading}</h3>
            <FormError error />
            <Field label="Title" name="title" id="schedule-title" error bind=title />
            <Field
                label="First call"
                name="starts_local"
                kind="datetime-local"
                id="schedule-starts"
                hint="The call repeats at this time of day."
                error
                bind=starts
            />
            <p class="muted small">{format!("Times are in {zone_shown}.")}</p>
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
            <Show when=move || recurrence.get() != Recurrence::Once>
                <div class="field">
                    <label for="schedule-ends">"Ends"</label>
                    <select
                        id="schedule-ends"
                        on:change=move |e| {
                            end_choice
                                .set(
                                    match event_target_value(&e).as_str() {
                                        "date" => EndChoice::OnDate,
                                        "count" => EndChoice::AfterCalls,
                                        _ => EndChoice::Never,
                                    },
                                )
                        }
                    >
                        <option value="never" selected=move || end_choice.get() == EndChoice::Never>"Never"</option>
                        <option value="date" selected=move || end_choice.get() == EndChoice::OnDate>"On a date"</option>
                        <option value="count" selected=move || end_choice.get() == EndChoice::AfterCalls>
                            "After a number of calls"
                        </option>
                    </select>
                </div>
                <Show when=move || end_choice.get() == EndChoice::OnDate>
                    <EndField label="Last day" id="schedule-last-day" kind="date" value=last_day />
                </Show>
                <Show when=move || end_choice.get() == EndChoice::AfterCalls>
                    <EndField label="Number of calls" id="schedule-count" kind="number" value=count />
                </Show>
                <p class="field-message field-error" id="schedule-ends-message">{ends_message}</p>
            </Show>
            <TextBox
                label="External participants"
                name="external_participants"
                id="schedule-participants"
                rows=3
                bind=participants
                error
            />
            <p class="muted small">
                "Email addresses, separated by commas or new lines. Each gets a calendar invitation now, an update when the schedule changes, and the channel's external link when a call starts."
            </p>
            <div class="button-row">
                <button type="submit" class="primary">
                    {if existing.is_some() { "Save changes" } else { "Save schedule" }}
                </button>
                {existing
                    .is_some()
                    .then(|| {
                        view! {
                            <button type="button" class="quiet" on:click=move |_| closed.run(())>
                                "Discard changes"
                            </button>
                        }
                    })}
                <span class="form-success" role="status">{move || done.get().then_some("Schedule saved.")}</span>
            </div>
        </form>
    }
    .into_any()
}

/// The box of the chosen end: its last day, or its number of calls. Its
/// mistakes are told under the Ends choice.
#[component]
fn EndField(label: &'static str, id: &'static str, kind: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type=kind
                prop:value=move || value.get()
                on:input=move |e| value.set(event_target_value(&e))
                aria-describedby="schedule-ends-message"
            />
        </div>
    }
}
