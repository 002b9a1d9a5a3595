//! Which calendar emails a schedule's participants are still owed: an
//! invitation at the schedule's current sequence (a new schedule, or an
//! update after a change) for each participant, and a cancellation for
//! each address that was invited and is no longer (the schedule was
//! cancelled, or they were taken off it). Worked out from what has been
//! sent, so each goes once, and none is lost to a restart.

use super::super::db::{Db, now};
use crate::model::ScheduleId;

/// What a calendar email does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// iCalendar METHOD:REQUEST: put the call in the calendar, or update it.
    Request,
    /// METHOD:CANCEL: take it out.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "request",
            Method::Cancel => "cancel",
        }
    }
}

/// One calendar email owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarMail {
    pub schedule: ScheduleId,
    pub email: String,
    pub method: Method,
    /// The schedule's sequence it carries.
    pub sequence: i64,
}

/// Every calendar email owed, oldest schedule first.
pub async fn due(db: &Db) -> Result<Vec<CalendarMail>, sqlx::Error> {
    let requests: Vec<(ScheduleId, String, i64)> = sqlx::query_as(
        "SELECT s.id, p.email, s.sequence FROM call_schedules s
         JOIN schedule_participants p ON p.schedule_id = s.id
         WHERE s.cancelled_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM schedule_calendar_mails m
                           WHERE m.schedule_id = s.id AND m.email = p.email AND m.sequence = s.sequence
                             AND m.method = 'request')
         ORDER BY s.id, p.email",
    )
    .fetch_all(db)
    .await?;
    // Invited at some sequence, not cancelled since, and no longer on a live
    // schedule.
    let cancels: Vec<(ScheduleId, String, i64)> = sqlx::query_as(
        "SELECT DISTINCT s.id, r.email, s.sequence FROM call_schedules s
         JOIN schedule_calendar_mails r ON r.schedule_id = s.id AND r.method = 'request'
         WHERE (s.cancelled_at IS NOT NULL
                OR NOT EXISTS (SELECT 1 FROM schedule_participants p WHERE p.schedule_id = s.id AND p.email = r.email))
           AND NOT EXISTS (SELECT 1 FROM schedule_calendar_mails c
                           WHERE c.schedule_id = s.id AND c.email = r.email AND c.method = 'cancel'
                             AND c.sequence >= r.sequence)
         ORDER BY s.id, r.email",
    )
    .fetch_all(db)
    .await?;
    let mail = |method| move |(schedule, email, sequence)| CalendarMail { schedule, email, method, sequence };
    Ok(requests.into_iter().map(mail(Method::Request)).chain(cancels.into_iter().map(mail(Method::Cancel))).collect())
}

/// Notes that the email went out, and how.
pub async fn record(db: &Db, mail: &CalendarMail, delivery: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schedule_calendar_mails (schedule_id, email, sequence, method, delivery, sent_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(mail.schedule)
    .bind(&mail.email)
    .bind(mail.sequence)
    .bind(mail.method.as_str())
    .bind(delivery)
    .bind(now())
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{ValidSchedule, cancel, create, update};
    use super::*;
    use crate::model::{NewSchedule, Recurrence, RecurrenceEnd};

    fn form(participants: &str) -> ValidSchedule {
        ValidSchedule::check(NewSchedule {
            title: "Review".into(),
            starts_local: "2030-01-07T10:00".into(),
            time_zone: "Europe/Berlin".into(),
            recurrence: Recurrence::Weekly,
            ends: RecurrenceEnd::Never,
            external_participants: participants.into(),
        })
        .unwrap()
    }

    async fn send_all(db: &Db) -> Vec<(String, Method, i64)> {
        let owed = due(db).await.unwrap();
        for mail in &owed {
            record(db, mail, "outbox").await.unwrap();
        }
        owed.into_iter().map(|m| (m.email, m.method, m.sequence)).collect()
    }

    #[tokio::test]
    async fn invitations_updates_and_cancellations_are_owed_once_each() {
        let (db, _dir, ada, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let channel = channel.id;
        let id = create(&db, channel, ada.id, &form("lin@example.org, sam@example.org")).await.unwrap();
        let (lin, sam, kim) =
            ("lin@example.org".to_string(), "sam@example.org".to_string(), "kim@example.org".to_string());
        assert_eq!(send_all(&db).await, [(lin.clone(), Method::Request, 0), (sam.clone(), Method::Request, 0)]);
        assert!(send_all(&db).await.is_empty(), "nothing goes twice");

        // Sam is taken off, Kim put on: Lin and Kim get the update, Sam a cancellation.
        update(&db, channel, id, &form("lin@example.org, kim@example.org")).await.unwrap();
        assert_eq!(
            send_all(&db).await,
            [(kim.clone(), Method::Request, 1), (lin.clone(), Method::Request, 1), (sam.clone(), Method::Cancel, 1)]
        );
        // Cancelled: everyone invited and not yet cancelled is told, once.
        assert!(cancel(&db, channel, id).await.unwrap());
        assert_eq!(send_all(&db).await, [(kim, Method::Cancel, 2), (lin, Method::Cancel, 2)]);
        assert!(send_all(&db).await.is_empty());
    }
}
