//! Which calendar emails a schedule's participants are still owed: an
//! invitation at the schedule's current sequence (a new schedule, or an
//! update after a change) for each participant, and a cancellation for
//! each address that was invited and is no longer (the schedule was
//! cancelled, or they were taken off it). Worked out from what has been
//! sent, so each goes once, and none is lost to a restart. A deleted
//! channel takes its schedules with it: their cancellations are copied
//! aside first (`write_farewells`) and removed once sent.

use super::super::db::{Db, now};
use super::{Schedule, ScheduleRow};
use crate::error::AppError;
use crate::model::{ChannelId, ScheduleId, WorkspaceId};

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

/// A cancellation owed for a schedule whose channel was deleted: the
/// schedule as it was (its `sequence` is the cancellation's), and where it was.
#[derive(Debug, Clone)]
pub struct Farewell {
    pub schedule: Schedule,
    pub email: String,
    pub channel_name: String,
    pub workspace_name: String,
}

#[derive(sqlx::FromRow)]
struct FarewellRow {
    #[sqlx(flatten)]
    schedule: ScheduleRow,
    email: String,
    channel_name: String,
    workspace_name: String,
}

/// Copies a cancellation for everyone whose calendar holds one of the
/// channel's schedules (invited, and not cancelled since). Run in the
/// transaction that deletes the channel, which takes the schedules and
/// their sent-mail records with it. Nothing is copied for a channel of
/// another workspace.
pub async fn write_farewells(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    workspace: WorkspaceId,
    channel: ChannelId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO calendar_farewells (schedule_id, email, title, starts_local, time_zone, recurrence, ends_on,
                                         max_calls, sequence, channel_id, channel_name, workspace_name)
         SELECT DISTINCT s.id, r.email, s.title, s.starts_local, s.time_zone, s.recurrence, s.ends_on, s.max_calls,
                CASE WHEN s.cancelled_at IS NULL THEN s.sequence + 1 ELSE s.sequence END, c.id, c.name, w.name
         FROM call_schedules s
         JOIN channels c ON c.id = s.channel_id
         JOIN workspaces w ON w.id = c.workspace_id
         JOIN schedule_calendar_mails r ON r.schedule_id = s.id AND r.method = 'request'
         WHERE s.channel_id = $1 AND c.workspace_id = $2
           AND NOT EXISTS (SELECT 1 FROM schedule_calendar_mails x
                           WHERE x.schedule_id = s.id AND x.email = r.email AND x.method = 'cancel'
                             AND x.sequence >= r.sequence)",
    )
    .bind(channel)
    .bind(workspace)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every cancellation owed for a deleted channel's schedules.
pub async fn farewells(db: &Db) -> Result<Vec<Farewell>, AppError> {
    // Read as a cancelled schedule with no call still to announce.
    let rows: Vec<FarewellRow> = sqlx::query_as(
        "SELECT schedule_id AS id, channel_id, title, starts_local, time_zone, recurrence,
                CAST(NULL AS BIGINT) AS next_at, sequence, ends_on, max_calls, CAST(0 AS BIGINT) AS cancelled_at,
                email, channel_name, workspace_name
         FROM calendar_farewells ORDER BY schedule_id, email",
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Farewell {
                schedule: row.schedule.into_schedule(Vec::new())?,
                email: row.email,
                channel_name: row.channel_name,
                workspace_name: row.workspace_name,
            })
        })
        .collect()
}

/// Forgets a farewell once its email is out.
pub async fn farewell_sent(db: &Db, farewell: &Farewell) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM calendar_farewells WHERE schedule_id = $1 AND email = $2")
        .bind(farewell.schedule.id)
        .bind(&farewell.email)
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
