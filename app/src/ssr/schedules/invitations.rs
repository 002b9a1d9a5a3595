//! Calendar invitations: each external participant of a schedule gets an
//! email with an iCalendar file (RFC 5545, RFC 5546 iTIP) so the calls land
//! in their calendar: `METHOD:REQUEST` when the schedule is made and after
//! each change (a stable UID per schedule, SEQUENCE raised by each change,
//! RRULE for repeating calls with their end), `METHOD:CANCEL` when it is
//! cancelled or they are taken off it. Written with the `icalendar` crate.

use super::place::{ChannelPlace, channel_place};
use crate::error::AppError;
use crate::model::Recurrence;
use crate::model::ScheduleId;
use crate::model::one_line;
use crate::ssr::mail_out::{Attachment, Delivery, Outgoing};
use crate::ssr::schedules::calendar_mail::{self, CalendarMail, Method};
use crate::ssr::schedules::timing::End;
use crate::ssr::schedules::{self, Schedule, call_text};
use crate::ssr::state::AppState;
use icalendar::{Attendee, Property};
use icalendar::{
    Calendar, CalendarDateTime, Component, EventLike, EventStatus, Frequency, NWeekday, RRule, Tz, Weekday,
};
use icalendar::{PartStat, Role};
use std::collections::HashMap;

/// How long a call is in the calendar: the schedule has no end time, and
/// an hour is what calendars assume for a meeting.
const CALL_MINUTES: i64 = 60;

/// Sends every calendar email owed. An invitation waits while its
/// channel has no external link (there is nothing to put in it); a
/// cancellation never waits. Each schedule and its channel are read once,
/// however many of its participants are owed an email. Then the
/// cancellations of deleted channels' schedules.
pub async fn send_owed(app: &AppState) -> Result<(), AppError> {
    let organizer = app.settings.calls_from();
    let mut known: HashMap<ScheduleId, Option<(Schedule, ChannelPlace)>> = HashMap::new();
    for mail in calendar_mail::due(&app.db).await? {
        if let std::collections::hash_map::Entry::Vacant(entry) = known.entry(mail.schedule) {
            let found = match schedules::by_id(&app.db, mail.schedule).await? {
                Some(schedule) => channel_place(app, schedule.channel).await?.map(|place| (schedule, place)),
                None => None,
            };
            entry.insert(found);
        }
        let Some((schedule, place)) = &known[&mail.schedule] else { continue };
        if mail.method == Method::Request && place.link.is_none() {
            continue;
        }
        let invitation = Invitation {
            schedule,
            mail: &mail,
            link: place.link.as_deref(),
            channel_name: &place.channel_name,
            organizer: &organizer,
            workspace_name: &place.workspace_name,
            uid_domain: app.settings.mail_domain(),
        };
        if let Some(delivery) = send(app, &invitation).await? {
            calendar_mail::record(&app.db, &mail, delivery).await?;
        }
    }
    for farewell in calendar_mail::farewells(&app.db).await? {
        let mail = CalendarMail {
            schedule: farewell.schedule.id,
            email: farewell.email.clone(),
            method: Method::Cancel,
            sequence: farewell.schedule.sequence,
        };
        let invitation = Invitation {
            schedule: &farewell.schedule,
            mail: &mail,
            link: None,
            channel_name: &farewell.channel_name,
            organizer: &organizer,
            workspace_name: &farewell.workspace_name,
            uid_domain: app.settings.mail_domain(),
        };
        if send(app, &invitation).await?.is_some() {
            calendar_mail::farewell_sent(&app.db, &farewell).await?;
        }
    }
    Ok(())
}

/// Sends one calendar email; the delivery's key once it is out (relayed,
/// or kept in the outbox), None if it could not be (logged; it is tried
/// again the next time this task wakes).
async fn send(app: &AppState, invitation: &Invitation<'_>) -> Result<Option<&'static str>, AppError> {
    let mail = invitation.mail;
    let mut outgoing = Outgoing::about_calls(
        &app.settings,
        invitation.workspace_name,
        &mail.email,
        invitation.subject(),
        invitation.text(),
    );
    outgoing.attachments = vec![Attachment {
        file_name: "invite.ics".into(),
        content_type: format!("text/calendar; charset=utf-8; method={}", method_name(mail.method)),
        body: calendar_text(invitation)?.into_bytes(),
    }];
    match app.mailer.send(&outgoing).await {
        Ok(Delivery::Failed(reason)) => {
            tracing::error!(schedule = %mail.schedule, %reason, "could not send a calendar email");
            Ok(None)
        }
        Ok(delivery) => {
            tracing::info!(schedule = %mail.schedule, method = mail.method.as_str(), sequence = mail.sequence, delivery = delivery.key(), "calendar email sent");
            Ok(Some(delivery.key()))
        }
        Err(error) => {
            tracing::error!(schedule = %mail.schedule, %error, "could not send a calendar email");
            Ok(None)
        }
    }
}

/// One calendar email, as written.
struct Invitation<'a> {
    schedule: &'a Schedule,
    mail: &'a CalendarMail,
    /// The channel's external link (None only for a cancellation).
    link: Option<&'a str>,
    channel_name: &'a str,
    organizer: &'a str,
    workspace_name: &'a str,
    /// The UID's domain: the server's public host.
    uid_domain: &'a str,
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Request => "REQUEST",
        Method::Cancel => "CANCEL",
    }
}

impl Invitation<'_> {
    fn subject(&self) -> String {
        let title = &self.schedule.title;
        match (self.mail.method, self.mail.sequence) {
            (Method::Cancel, _) => format!("Cancelled: {title}"),
            (Method::Request, 0) => format!("Invitation: {title}"),
            (Method::Request, _) => format!("Updated invitation: {title}"),
        }
    }

    fn text(&self) -> String {
        let title = &self.schedule.title;
        let workspace = self.workspace_name;
        let when = self.when_text();
        match (self.mail.method, self.link) {
            (Method::Request, Some(link)) => format!(
                "{workspace} invites you to \u{201c}{title}\u{201d}: {when}.\n\n\
                 Join from your browser:\n{}\n\n\
                 No account is needed: open the link, check your camera and microphone, \
                 type your name and join. You will see only this call ({}). \
                 The attached invite.ics puts the call in your calendar; you also get the link \
                 by email when each call starts.\n",
                link, self.channel_name
            ),
            _ => format!(
                "{workspace} has cancelled \u{201c}{title}\u{201d} for you ({when}).\n\n\
                 The attached invite.ics takes it out of your calendar.\n"
            ),
        }
    }

    /// "Tue 24 Nov 2026, 10:00 (Europe/Berlin), every week, 4 calls".
    fn when_text(&self) -> String {
        let timing = &self.schedule.timing;
        let mut text = format!("{} ({})", call_text(&timing.first), self.schedule.time_zone);
        if timing.recurrence != Recurrence::Once {
            text.push_str(&format!(", {}", timing.recurrence.label().to_lowercase()));
            if let Some(end) = timing.end.as_form().label() {
                text.push_str(&format!(", {end}"));
            }
        }
        text
    }
}

/// The iCalendar file of one calendar email. The crate escapes line feeds
/// in text values but not a bare CR, so what people typed is written on one
/// line here, whenever it was stored.
fn calendar_text(invitation: &Invitation<'_>) -> Result<String, AppError> {
    let schedule = invitation.schedule;
    let timing = &schedule.timing;
    let start = naive(timing.first.datetime());
    let zone = |date_time| CalendarDateTime::WithTimezone { date_time, tzid: schedule.time_zone.clone() };
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("schedule-{}@{}", schedule.id, invitation.uid_domain))
        .sequence(u32::try_from(invitation.mail.sequence).unwrap_or(u32::MAX))
        .timestamp(chrono::Utc::now())
        .summary(&one_line::flattened(&schedule.title))
        .starts(zone(start))
        .ends(zone(start + chrono::Duration::minutes(CALL_MINUTES)))
        .append_property(
            Property::new("ORGANIZER", format!("mailto:{}", invitation.organizer))
                .add_parameter("CN", &parameter_text(invitation.workspace_name))
                .done(),
        )
        .attendee(
            Attendee::new(format!("mailto:{}", invitation.mail.email))
                .role(Role::ReqParticipant)
                .partstat(PartStat::NeedsAction)
                .rsvp(false),
        );
    if let Some(link) = invitation.link {
        event.location(link).url(link).description(&format!("Join from your browser: {link}"));
    }
    match invitation.mail.method {
        Method::Request => event.status(EventStatus::Confirmed),
        Method::Cancel => event.status(EventStatus::Cancelled),
    };
    if let Some(rule) = rule(schedule)? {
        event.recurrence(rule).map_err(|error| {
            tracing::error!(schedule = %schedule.id, %error, "a schedule's recurrence rule was refused");
            AppError::Internal
        })?;
    }
    let mut calendar = Calendar::empty();
    calendar.append_property(("VERSION", "2.0"));
    calendar.append_property(("PRODID", "-//Anteroom//Call schedules//EN"));
    calendar.append_property(("CALSCALE", "GREGORIAN"));
    calendar.append_property(("METHOD", method_name(invitation.mail.method)));
    calendar.push(event.done());
    Ok(calendar.done().to_string())
}

/// Text for a parameter value (RFC 5545 3.2): one line, and no double
/// quote, which would end the quoted value the writer puts it in.
fn parameter_text(text: &str) -> String {
    one_line::flattened(text).replace('"', "'")
}

/// The schedule's RRULE; None for a one-off call.
fn rule(schedule: &Schedule) -> Result<Option<icalendar::UnvalidatedRRule>, AppError> {
    let timing = &schedule.timing;
    let rule = match timing.recurrence {
        Recurrence::Once => return Ok(None),
        Recurrence::Daily => RRule::default().freq(Frequency::Daily),
        Recurrence::Weekdays => RRule::default().freq(Frequency::Weekly).by_weekday(
            [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri].map(NWeekday::Every).to_vec(),
        ),
        Recurrence::Weekly => RRule::default().freq(Frequency::Weekly),
        Recurrence::Monthly => RRule::default().freq(Frequency::Monthly),
    };
    Ok(Some(match timing.end {
        End::Never => rule,
        End::Count(count) => rule.count(count),
        // The end of the last day, in UTC as RFC 5545 asks when the start
        // has a time zone.
        End::Until(last_day) => {
            let end_of_day = last_day
                .at(23, 59, 59, 0)
                .to_zoned(timing.first.time_zone().clone())
                .map_err(|_| AppError::Internal)?;
            let utc =
                chrono::DateTime::from_timestamp(end_of_day.timestamp().as_second(), 0).ok_or(AppError::Internal)?;
            rule.until(utc.with_timezone(&Tz::UTC))
        }
    }))
}

/// A civil date-time as chrono has it.
fn naive(local: jiff::civil::DateTime) -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(i32::from(local.year()), local.month() as u32, local.day() as u32)
        .and_then(|date| date.and_hms_opt(local.hour() as u32, local.minute() as u32, local.second() as u32))
        .expect("a valid civil date-time")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChannelId, RecurrenceEnd, ScheduleId};
    use crate::ssr::schedules::Timing;

    fn schedule(recurrence: Recurrence, end: RecurrenceEnd) -> Schedule {
        Schedule {
            id: ScheduleId(7),
            channel: ChannelId(1),
            title: "Weekly review".into(),
            starts_local: "2030-01-08T15:30".into(),
            time_zone: "Europe/Berlin".into(),
            timing: Timing::parse("2030-01-08T15:30", "Europe/Berlin", recurrence, &end).unwrap(),
            next_at: None,
            sequence: 2,
            cancelled: false,
            participants: vec!["lin@example.org".into()],
        }
    }

    fn written(schedule: &Schedule, method: Method) -> Calendar {
        let mail = CalendarMail {
            schedule: schedule.id,
            email: "lin@example.org".into(),
            method,
            sequence: schedule.sequence,
        };
        let invitation = Invitation {
            schedule,
            mail: &mail,
            link: Some("https://meet.example/guest/abc"),
            channel_name: "client-calls",
            organizer: "calls@meet.example",
            workspace_name: "Acme Studio",
            uid_domain: "meet.example",
        };
        calendar_text(&invitation).unwrap().parse().expect("a calendar the parser reads")
    }

    #[test]
    fn a_repeating_schedule_with_an_end_reads_back_as_the_same_calls() {
        let weekly = schedule(Recurrence::Weekly, RecurrenceEnd::AfterCalls(3));
        let calendar = written(&weekly, Method::Request);
        assert_eq!(calendar.property_value("METHOD"), Some("REQUEST"));
        assert_eq!(calendar.property_value("PRODID"), Some("-//Anteroom//Call schedules//EN"));
        let event = calendar.events().next().unwrap();
        assert_eq!(event.get_uid(), Some("schedule-7@meet.example"));
        assert_eq!(event.get_sequence(), Some(2));
        assert_eq!(event.get_location(), Some("https://meet.example/guest/abc"));
        let calls = event.get_recurrence().unwrap().all(10).dates;
        let texts: Vec<String> = calls.iter().map(|c| c.format("%Y-%m-%d %H:%M %Z").to_string()).collect();
        assert_eq!(texts, ["2030-01-08 15:30 CET", "2030-01-15 15:30 CET", "2030-01-22 15:30 CET"]);

        let until = schedule(Recurrence::Weekdays, RecurrenceEnd::OnDate("2030-01-14".into()));
        let calendar = written(&until, Method::Request);
        let event = calendar.events().next().unwrap();
        let days: Vec<String> =
            event.get_recurrence().unwrap().all(10).dates.iter().map(|c| c.format("%a %d").to_string()).collect();
        assert_eq!(days, ["Tue 08", "Wed 09", "Thu 10", "Fri 11", "Mon 14"], "weekdays up to the last day");
    }

    /// Issue 32, 18: a bare CR in a title (or the workspace's name) wrote
    /// lines of its own, here a second attendee, into the .ics.
    #[test]
    fn what_people_typed_stays_on_its_line_in_the_ics() {
        let mut once = schedule(Recurrence::Once, RecurrenceEnd::Never);
        once.title = "Review\rATTENDEE:mailto:mallory@evil.example\nEND:VEVENT".into();
        let mail =
            CalendarMail { schedule: once.id, email: "lin@example.org".into(), method: Method::Request, sequence: 0 };
        let invitation = Invitation {
            schedule: &once,
            mail: &mail,
            link: Some("https://meet.example/guest/abc"),
            channel_name: "client-calls",
            organizer: "calls@meet.example",
            workspace_name: "Acme\r\nATTENDEE:mailto:eve@evil.example\u{202E} \"Studio\"",
            uid_domain: "meet.example",
        };
        let text = calendar_text(&invitation).unwrap();
        assert!(!text.replace("\r\n", "").contains(['\r', '\n', '\u{202E}']), "no line of its own: {text:?}");
        let calendar: Calendar = text.parse().expect("a calendar the parser reads");
        let event = calendar.events().next().unwrap();
        assert_eq!(event.get_summary(), Some("Review ATTENDEE:mailto:mallory@evil.example END:VEVENT"));
        let attendees: Vec<_> = event.multi_properties().get("ATTENDEE").into_iter().flatten().collect();
        assert_eq!(attendees.len(), 1, "only Lin is invited");
        assert!(text.contains("CN=\"Acme  ATTENDEE:mailto:eve@evil.example  'Studio'\""), "{text}");
    }

    #[test]
    fn a_cancellation_keeps_the_uid_and_says_cancelled() {
        let once = schedule(Recurrence::Once, RecurrenceEnd::Never);
        let calendar = written(&once, Method::Cancel);
        assert_eq!(calendar.property_value("METHOD"), Some("CANCEL"));
        let event = calendar.events().next().unwrap();
        assert_eq!(event.get_uid(), Some("schedule-7@meet.example"));
        assert_eq!(event.get_status(), Some(EventStatus::Cancelled));
        assert_eq!(event.get_recurrence().unwrap().all(10).dates.len(), 1, "a one-off call has no rule");
    }
}
