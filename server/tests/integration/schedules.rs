//! Integration tests of call schedules: only channel admins and workspace
//! admins schedule, change and cancel calls; every member sees them;
//! external participants get a calendar invitation (read back with the
//! `icalendar` crate), an update after a change, a cancellation (also when
//! the whole channel is deleted), and the channel's link when a call
//! starts, over real SMTP (a relay this test starts on 127.0.0.1), once each.

use crate::support::{Client, Relay, TestServer, wait_until};
use anteroom_app::api::channels::{DeleteChannel, ExternalLink};
use anteroom_app::api::office::LoadOffice;
use anteroom_app::api::schedules::{CancelSchedule, CreateSchedule, ListSchedules, UpdateSchedule};
use anteroom_app::error::AppError;
use anteroom_app::model::{ChannelId, NewSchedule, Recurrence, RecurrenceEnd, ScheduleId};
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use icalendar::{Calendar, Component, EventLike};
use mail_parser::MimeHeaders;
use std::time::Duration;

/// This minute in UTC as a date-time field gives it: "2026-11-23T17:05".
fn this_minute_utc() -> String {
    let seconds = anteroom_app::ssr::db::now();
    anteroom_app::dates::time_text(seconds).trim_end_matches(" UTC").replacen(' ', "T", 1)
}

fn schedule(title: &str, starts_local: &str, recurrence: Recurrence, participants: &str) -> NewSchedule {
    NewSchedule {
        title: title.into(),
        starts_local: starts_local.into(),
        time_zone: "UTC".into(),
        recurrence,
        ends: RecurrenceEnd::Never,
        external_participants: participants.into(),
    }
}

/// One email from the relay: to whom, its subject and text, and its
/// calendar, if it carries one.
struct Received {
    to: String,
    subject: String,
    text: String,
    calendar: Option<Calendar>,
}

async fn next_mail(relay: &mut Relay) -> Received {
    let (to, raw) = relay.next().await;
    let message = mail_parser::MessageParser::default().parse(&raw).expect("a readable email");
    let calendar = message.attachments().find(|part| part.attachment_name() == Some("invite.ics")).map(|part| {
        String::from_utf8(part.contents().to_vec()).unwrap().parse::<Calendar>().expect("an .ics the parser reads")
    });
    Received {
        to: to.join(","),
        subject: message.subject().unwrap_or_default().to_string(),
        text: message.body_text(0).unwrap_or_default().into_owned(),
        calendar,
    }
}

/// The next `count` emails, by recipient and subject.
async fn next_mails(relay: &mut Relay, count: usize) -> Vec<Received> {
    let mut mails = Vec::new();
    for _ in 0..count {
        mails.push(next_mail(relay).await);
    }
    mails.sort_by(|a, b| (&a.to, &a.subject).cmp(&(&b.to, &b.subject)));
    mails
}

/// The calendar's method, and its one event's sequence and calls (up to ten).
fn read(calendar: &Calendar) -> (String, u32, Vec<String>) {
    let event = calendar.events().next().expect("an event");
    let calls = event.get_recurrence().expect("a readable rule").all(10).dates;
    (
        calendar.property_value("METHOD").unwrap().to_string(),
        event.get_sequence().unwrap(),
        calls.iter().map(|call| call.format("%Y-%m-%d %H:%M").to_string()).collect(),
    )
}

async fn create(member: &Client, channel: ChannelId, new: NewSchedule) -> Result<ScheduleId, AppError> {
    member.run(CreateSchedule { channel, schedule: new }).await
}

#[tokio::test]
async fn when_a_scheduled_call_starts_its_external_participants_get_the_link_once() {
    let mut relay = Relay::start().await;
    let server = TestServer::with_demo_and(|config| {
        config.smtp_relay = Some(relay.url.clone());
        config.calls_from = Some("Meetings@Acme.example".into());
    })
    .await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    let office = grace.run(LoadOffice {}).await.unwrap();
    let calls = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id;
    let link = grace.run(ExternalLink { channel: calls }).await.unwrap();

    // (who, input) -> refused
    let now = this_minute_utc();
    let weekly = schedule("Weekly sync", &now, Recurrence::Weekly, "lin@example.org, SAM@example.org");
    assert_eq!(create(&alan, calls, weekly.clone()).await, Err(AppError::Forbidden), "members do not schedule");
    let untitled = create(&grace, calls, schedule(" ", &now, Recurrence::Once, "")).await;
    assert_eq!(untitled.unwrap_err().field(), Some("title"));
    let bad_email = create(&grace, calls, schedule("Sync", &now, Recurrence::Once, "lin@example")).await;
    assert_eq!(bad_email.unwrap_err().field(), Some("external_participants"));
    let past = create(&grace, calls, schedule("Sync", "2020-01-01T10:00", Recurrence::Once, "")).await;
    assert_eq!(past.unwrap_err().field(), Some("starts_local"));

    // Grace, the channel admin, schedules a weekly call starting this minute:
    // each participant gets the calendar invitation, and the link as it starts.
    create(&grace, calls, weekly).await.unwrap();
    let mails = next_mails(&mut relay, 4).await;
    let subjects: Vec<(&str, &str)> = mails.iter().map(|m| (m.to.as_str(), m.subject.as_str())).collect();
    assert_eq!(
        subjects,
        [
            ("lin@example.org", "Invitation: Weekly sync"),
            ("lin@example.org", "Weekly sync is starting now"),
            ("sam@example.org", "Invitation: Weekly sync"),
            ("sam@example.org", "Weekly sync is starting now"),
        ]
    );
    for mail in &mails {
        assert!(mail.text.contains(&link), "the channel's link: {}", mail.text);
    }
    let invitation = mails[0].calendar.as_ref().expect("the invitation's .ics");
    let (method, sequence, first_calls) = read(invitation);
    assert_eq!((method.as_str(), sequence), ("REQUEST", 0));
    assert_eq!(first_calls[0], now.replace('T', " "), "the first call is this minute");
    assert_eq!(first_calls.len(), 10, "weekly, without an end");
    let event = invitation.events().next().unwrap();
    assert_eq!(event.get_location(), Some(link.as_str()));
    let uid = event.get_uid().unwrap().to_string();
    assert!(mails[1].calendar.is_none(), "the link as the call starts is a plain email");

    // Every member sees the schedule, now pointing at next week's call.
    let listed = alan.run(ListSchedules { channel: calls }).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].external_participants, ["lin@example.org", "sam@example.org"]);
    assert_eq!(listed[0].upcoming.len(), 3, "the next three calls");
    // Nobody is invited twice to the same call.
    assert!(tokio::time::timeout(Duration::from_millis(300), relay.received.recv()).await.is_err());

    // Grace moves it to 9:00 on the first of next year, three calls in all,
    // and takes Sam off: Lin gets the update, Sam a cancellation.
    let id = listed[0].id;
    let changed = UpdateSchedule {
        channel: calls,
        schedule: id,
        changed: NewSchedule {
            ends: RecurrenceEnd::AfterCalls(3),
            ..schedule("Weekly sync", "2031-01-01T09:00", Recurrence::Weekly, "lin@example.org")
        },
    };
    assert_eq!(alan.run(changed.clone()).await, Err(AppError::Forbidden));
    grace.run(changed).await.unwrap();
    let mails = next_mails(&mut relay, 2).await;
    assert_eq!(
        (mails[0].to.as_str(), mails[0].subject.as_str()),
        ("lin@example.org", "Updated invitation: Weekly sync")
    );
    let (method, sequence, calls_now) = read(mails[0].calendar.as_ref().unwrap());
    assert_eq!((method.as_str(), sequence), ("REQUEST", 1));
    assert_eq!(calls_now, ["2031-01-01 09:00", "2031-01-08 09:00", "2031-01-15 09:00"]);
    assert_eq!(mails[0].calendar.as_ref().unwrap().events().next().unwrap().get_uid(), Some(uid.as_str()));
    assert_eq!((mails[1].to.as_str(), mails[1].subject.as_str()), ("sam@example.org", "Cancelled: Weekly sync"));
    assert_eq!(read(mails[1].calendar.as_ref().unwrap()).0, "CANCEL");

    // Alan may not cancel it; Grace may, and Lin's calendar is told.
    let args = CancelSchedule { channel: calls, schedule: id };
    assert_eq!(alan.run(args.clone()).await, Err(AppError::Forbidden));
    grace.run(args).await.unwrap();
    let cancelled = next_mail(&mut relay).await;
    assert_eq!((cancelled.to.as_str(), cancelled.subject.as_str()), ("lin@example.org", "Cancelled: Weekly sync"));
    let calendar = cancelled.calendar.unwrap();
    let (method, sequence, _) = read(&calendar);
    assert_eq!((method.as_str(), sequence), ("CANCEL", 2));
    assert_eq!(calendar.events().next().unwrap().get_uid(), Some(uid.as_str()));
    let listed = alan.run(ListSchedules { channel: calls }).await.unwrap();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn deleting_a_channel_takes_its_calls_out_of_the_guests_calendars() {
    let mut relay = Relay::start().await;
    let server = TestServer::with_demo_and(|config| config.smtp_relay = Some(relay.url.clone())).await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    let interviews = office.channels.iter().find(|c| c.name == "interviews").unwrap().id;
    let _link = ada.run(ExternalLink { channel: interviews }).await.unwrap();

    // Kim and Lee hold the weekly call in their calendars; Max was taken
    // off it and already has its cancellation.
    let loop_call = |participants| schedule("Candidate loop", "2031-02-03T14:00", Recurrence::Weekly, participants);
    let id = create(&ada, interviews, loop_call("kim@example.org, lee@example.org, max@example.org")).await.unwrap();
    let invited = next_mails(&mut relay, 3).await;
    let uid = invited[0].calendar.as_ref().unwrap().events().next().unwrap().get_uid().unwrap().to_string();
    let changed =
        UpdateSchedule { channel: interviews, schedule: id, changed: loop_call("kim@example.org, lee@example.org") };
    ada.run(changed).await.unwrap();
    let updated = next_mails(&mut relay, 3).await;
    assert_eq!((updated[2].to.as_str(), updated[2].subject.as_str()), ("max@example.org", "Cancelled: Candidate loop"));
    let db = sqlx::SqlitePool::connect(&server.database_url).await.unwrap();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db).await.unwrap() }
    };
    // Max's cancellation is recorded just after the relay has it.
    let recorded = "SELECT COUNT(*) FROM schedule_calendar_mails WHERE method = 'cancel'";
    let ten_seconds = Duration::from_secs(10);
    wait_until(ten_seconds, "Max's cancellation is recorded", || async { count(recorded).await == 1 }).await;

    // Ada deletes the channel: Kim and Lee get a cancellation of the same
    // calendar entry, with a higher sequence; Max nothing more.
    ada.run(DeleteChannel { channel: interviews }).await.unwrap();
    let cancelled = next_mails(&mut relay, 2).await;
    for (mail, to) in cancelled.iter().zip(["kim@example.org", "lee@example.org"]) {
        assert_eq!((mail.to.as_str(), mail.subject.as_str()), (to, "Cancelled: Candidate loop"));
        let calendar = mail.calendar.as_ref().expect("the cancellation's .ics");
        let (method, sequence, calls) = read(calendar);
        assert_eq!((method.as_str(), sequence), ("CANCEL", 2));
        assert_eq!(calls[0], "2031-02-03 14:00");
        assert_eq!(calendar.events().next().unwrap().get_uid(), Some(uid.as_str()));
    }

    // Once sent, nothing is owed any more, and nothing goes twice.
    let owed = "SELECT COUNT(*) FROM calendar_farewells";
    wait_until(ten_seconds, "the sent cancellations are no longer owed", || async { count(owed).await == 0 }).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    assert!(office.channels.iter().all(|c| c.name != "interviews"));
    let gone = ada.run(ListSchedules { channel: interviews }).await;
    assert!(matches!(gone, Err(AppError::NotFound(_))), "{gone:?}");
    if let Ok(Some((to, raw))) = tokio::time::timeout(Duration::from_millis(300), relay.received.recv()).await {
        panic!("one more email, to {to:?}:\n{}", String::from_utf8_lossy(&raw));
    }
}
