//! Integration tests of call schedules: only channel admins and workspace
//! admins schedule calls; every member sees them; when a call starts its
//! external participants get the channel's link over real SMTP (a relay
//! this test starts on 127.0.0.1), once each, and the schedule moves on.

mod support;

use anteroom_app::error::AppError;
use anteroom_app::model::{CallSchedule, Office, Recurrence, ScheduleId};
use anteroom_app::ssr::{mail_in, seed::DEMO_PASSWORD};
use std::time::Duration;
use support::{Client, Relay, TestServer};

/// This minute in UTC as a date-time field gives it: "2026-11-23T17:05".
fn this_minute_utc() -> String {
    let seconds = anteroom_app::ssr::db::now();
    anteroom_app::dates::time_text(seconds).trim_end_matches(" UTC").replacen(' ', "T", 1)
}

fn schedule(title: &str, starts_local: &str, recurrence: Recurrence, participants: &str) -> serde_json::Value {
    serde_json::json!({
        "title": title,
        "starts_local": starts_local,
        "time_zone": "UTC",
        "recurrence": recurrence,
        "external_participants": participants,
    })
}

async fn create(member: &Client, channel: &str, new: serde_json::Value) -> Result<ScheduleId, AppError> {
    member
        .call_json(
            "create_schedule",
            serde_json::json!({ "channel": channel.parse::<i64>().unwrap(), "schedule": new }),
        )
        .await
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
    let office: Office = grace.call("load_office", &[]).await.unwrap();
    let calls = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id.to_string();
    let link: String = grace.call("external_link", &[("channel", &calls)]).await.unwrap();

    // (who, input) -> refused
    let now = this_minute_utc();
    let weekly = schedule("Weekly sync", &now, Recurrence::Weekly, "lin@example.org, SAM@example.org");
    assert_eq!(create(&alan, &calls, weekly.clone()).await, Err(AppError::Forbidden), "members do not schedule");
    let untitled = create(&grace, &calls, schedule(" ", &now, Recurrence::Once, "")).await;
    assert_eq!(untitled.unwrap_err().field(), Some("title"));
    let bad_email = create(&grace, &calls, schedule("Sync", &now, Recurrence::Once, "lin@example")).await;
    assert_eq!(bad_email.unwrap_err().field(), Some("external_participants"));
    let past = create(&grace, &calls, schedule("Sync", "2020-01-01T10:00", Recurrence::Once, "")).await;
    assert_eq!(past.unwrap_err().field(), Some("starts_local"));

    // Grace, the channel admin, schedules a weekly call starting this minute.
    create(&grace, &calls, weekly).await.unwrap();
    let mut recipients = Vec::new();
    for _ in 0..2 {
        let (to, raw) = relay.next().await;
        let mail = mail_in::parse(&raw).unwrap();
        assert_eq!(mail.subject, "Weekly sync is starting now");
        assert!(mail.text_body.contains(&link), "the channel's link: {}", mail.text_body);
        assert_eq!((mail.from_name.as_str(), mail.from_address.as_str()), ("Acme Studio", "meetings@acme.example"));
        recipients.extend(to);
    }
    recipients.sort();
    assert_eq!(recipients, ["lin@example.org", "sam@example.org"]);

    // Every member sees the schedule, now pointing at next week's call.
    let listed: Vec<CallSchedule> = alan.call("list_schedules", &[("channel", &calls)]).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].external_participants, ["lin@example.org", "sam@example.org"]);
    let next = listed[0].next_call.clone().expect("a weekly call has a next one");
    assert!(!next.is_empty());
    // Nobody is invited twice to the same call.
    assert!(tokio::time::timeout(Duration::from_millis(300), relay.received.recv()).await.is_err());

    // Alan may not delete it; Grace may.
    let id = listed[0].id.to_string();
    let args = [("channel", calls.as_str()), ("schedule", id.as_str())];
    assert_eq!(alan.call::<()>("delete_schedule", &args).await, Err(AppError::Forbidden));
    grace.call::<()>("delete_schedule", &args).await.unwrap();
    let listed: Vec<CallSchedule> = alan.call("list_schedules", &[("channel", &calls)]).await.unwrap();
    assert!(listed.is_empty());
}
