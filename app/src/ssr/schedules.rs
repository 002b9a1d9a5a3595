//! Call schedules of meeting channels: when each call is (wall-clock time
//! in the scheduler's time zone, repeating by calendar so a weekly 10:00
//! stays 10:00 across daylight-saving changes), and the schedules whose
//! next call has come, for the task that emails external participants.

use super::db::{Db, now};
use crate::error::AppError;
use crate::model::{CallSchedule, ChannelId, MemberId, NewSchedule, Recurrence, ScheduleId};
use crate::validate;
use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

/// A new schedule's first call may be this far in the past (the form has
/// minute precision, so "now" is up to a minute ago): it starts at once.
pub const PAST_ALLOWANCE_SECONDS: i64 = 5 * 60;
/// How late a call's invitations may still go out (the server was down when
/// it started). Later than this, that call is skipped.
pub const LATE_GRACE_SECONDS: i64 = 15 * 60;

/// When a schedule's calls are.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    pub first: Zoned,
    pub recurrence: Recurrence,
}

impl Timing {
    /// Reads the form's "2026-11-24T10:00" in the IANA zone `time_zone`.
    pub fn parse(starts_local: &str, time_zone: &str, recurrence: Recurrence) -> Result<Self, AppError> {
        let zone = TimeZone::get(time_zone).map_err(|_| {
            AppError::invalid(
                "starts_local",
                format!("\u{201c}{time_zone}\u{201d} is not a time zone this server knows."),
            )
        })?;
        let local: DateTime = starts_local
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("starts_local", "Pick the date and time of the first call."))?;
        let first = local
            .to_zoned(zone)
            .map_err(|_| AppError::invalid("starts_local", "Pick the date and time of the first call."))?;
        Ok(Timing { first, recurrence })
    }

    /// The `n`-th call of the schedule (the first is 0), counted by calendar
    /// from the first so month ends and time changes never drift.
    fn nth(&self, n: i64) -> Option<Zoned> {
        let span = match self.recurrence {
            Recurrence::Once if n == 0 => 0.days(),
            Recurrence::Once => return None,
            Recurrence::Daily | Recurrence::Weekdays => n.days(),
            Recurrence::Weekly => (7 * n).days(),
            Recurrence::Monthly => n.months(),
        };
        self.first.checked_add(span).ok()
    }

    /// The first call strictly after `after`, if the schedule has one.
    pub fn next_after(&self, after: Timestamp) -> Option<Zoned> {
        let period_seconds = match self.recurrence {
            Recurrence::Once => return (self.first.timestamp() > after).then(|| self.first.clone()),
            Recurrence::Daily | Recurrence::Weekdays => 86_400,
            Recurrence::Weekly => 7 * 86_400,
            Recurrence::Monthly => 28 * 86_400,
        };
        // Start a little before the answer (a time change moves calls by an
        // hour, a month is 28 to 31 days) and walk forward.
        let elapsed = after.as_second() - self.first.timestamp().as_second();
        let start = (elapsed / period_seconds - 2).max(0);
        (start..start + 400).filter_map(|n| self.nth(n)).find(|call| {
            call.timestamp() > after
                && (self.recurrence != Recurrence::Weekdays
                    || !matches!(call.weekday(), Weekday::Saturday | Weekday::Sunday))
        })
    }
}

/// "Tue 24 Nov 2026, 10:00".
pub fn call_text(call: &Zoned) -> String {
    call.strftime("%a %-d %b %Y, %H:%M").to_string()
}

/// A schedule due for its invitations.
#[derive(Debug, Clone)]
pub struct DueCall {
    pub id: ScheduleId,
    pub channel: ChannelId,
    pub title: String,
    pub timing: Timing,
    /// The call being announced (unix seconds).
    pub call_at: i64,
    pub participants: Vec<String>,
}

impl DueCall {
    /// The schedule's call after this one, skipping any that are already
    /// more than [`LATE_GRACE_SECONDS`] old at `now` (unix seconds).
    pub fn following(&self, now: i64) -> Option<Zoned> {
        let after = Timestamp::from_second(self.call_at.max(now - LATE_GRACE_SECONDS)).ok()?;
        self.timing.next_after(after)
    }
}

type ScheduleRow = (ScheduleId, ChannelId, String, String, String, Recurrence, Option<i64>);

fn timing_of(row: &ScheduleRow) -> Result<Timing, AppError> {
    Timing::parse(&row.3, &row.4, row.5)
        .inspect_err(|_| tracing::error!(schedule = %row.0, "unreadable stored schedule"))
}

/// A schedule from the form, checked: title, first call, time zone,
/// recurrence and external participants.
#[derive(Debug, Clone)]
pub struct ValidSchedule {
    pub title: String,
    pub starts_local: String,
    pub time_zone: String,
    pub timing: Timing,
    pub participants: Vec<String>,
}

impl ValidSchedule {
    pub fn check(new: NewSchedule) -> Result<Self, AppError> {
        let title = validate::title("title", &new.title)?;
        let timing = Timing::parse(&new.starts_local, &new.time_zone, new.recurrence)?;
        let participants = validate::email_list(
            "external_participants",
            &new.external_participants,
            validate::MAX_SCHEDULE_PARTICIPANTS,
            "A call schedule",
        )?;
        Ok(ValidSchedule {
            title,
            starts_local: new.starts_local.trim().to_string(),
            time_zone: new.time_zone,
            timing,
            participants,
        })
    }
}

/// Saves the schedule. Refuses a first call that has already passed.
pub async fn create(db: &Db, channel: ChannelId, by: MemberId, new: &ValidSchedule) -> Result<ScheduleId, AppError> {
    let first = new.timing.first.timestamp().as_second();
    if first < now() - PAST_ALLOWANCE_SECONDS {
        return Err(AppError::invalid("starts_local", "That time has passed. Pick a time from now on."));
    }
    let mut tx = db.begin().await?;
    let id: ScheduleId = sqlx::query_scalar(
        "INSERT INTO call_schedules (channel_id, title, starts_local, time_zone, recurrence, next_at, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(channel)
    .bind(&new.title)
    .bind(&new.starts_local)
    .bind(&new.time_zone)
    .bind(new.timing.recurrence)
    .bind(first)
    .bind(by)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    for email in &new.participants {
        sqlx::query("INSERT INTO schedule_participants (schedule_id, email) VALUES ($1, $2)")
            .bind(id)
            .bind(email)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}

async fn participants(db: &Db, schedule: ScheduleId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT email FROM schedule_participants WHERE schedule_id = $1 ORDER BY email")
        .bind(schedule)
        .fetch_all(db)
        .await
}

/// The columns of a [`ScheduleRow`] (a macro, so `concat!` can extend it).
macro_rules! select_schedules {
    () => {
        "SELECT id, channel_id, title, starts_local, time_zone, recurrence, next_at FROM call_schedules"
    };
}

/// The channel's schedules, soonest next call first (finished ones last).
pub async fn list(db: &Db, channel: ChannelId) -> Result<Vec<CallSchedule>, AppError> {
    let rows: Vec<ScheduleRow> =
        sqlx::query_as(concat!(select_schedules!(), " WHERE channel_id = $1 ORDER BY next_at IS NULL, next_at, id"))
            .bind(channel)
            .fetch_all(db)
            .await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        let timing = timing_of(&row)?;
        let next_call = row
            .6
            .and_then(|at| Timestamp::from_second(at).ok())
            .map(|at| call_text(&at.to_zoned(timing.first.time_zone().clone())));
        list.push(CallSchedule {
            id: row.0,
            title: row.2.clone(),
            recurrence: row.5,
            time_zone: row.4.clone(),
            next_call,
            external_participants: participants(db, row.0).await?,
        });
    }
    Ok(list)
}

/// Deletes the channel's schedule; false if it has no such schedule.
pub async fn delete(db: &Db, channel: ChannelId, schedule: ScheduleId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM call_schedules WHERE id = $1 AND channel_id = $2")
        .bind(schedule)
        .bind(channel)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Schedules whose next call has started by `at` (unix seconds).
pub async fn due(db: &Db, at: i64) -> Result<Vec<DueCall>, AppError> {
    let rows: Vec<ScheduleRow> =
        sqlx::query_as(concat!(select_schedules!(), " WHERE next_at <= $1 ORDER BY next_at, id"))
            .bind(at)
            .fetch_all(db)
            .await?;
    let mut calls = Vec::with_capacity(rows.len());
    for row in rows {
        calls.push(DueCall {
            timing: timing_of(&row)?,
            id: row.0,
            channel: row.1,
            title: row.2.clone(),
            call_at: row.6.unwrap_or_default(),
            participants: participants(db, row.0).await?,
        });
    }
    Ok(calls)
}

/// Moves the schedule on to its next call (none: it is finished).
pub async fn set_next(db: &Db, schedule: ScheduleId, next: Option<&Zoned>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE call_schedules SET next_at = $1 WHERE id = $2")
        .bind(next.map(|call| call.timestamp().as_second()))
        .bind(schedule)
        .execute(db)
        .await?;
    Ok(())
}

/// When the soonest call of any schedule is (unix seconds).
pub async fn soonest(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MIN(next_at) FROM call_schedules").fetch_one(db).await
}

/// Whether `email` was already invited to this call of the schedule.
pub async fn invited(db: &Db, schedule: ScheduleId, call_at: i64, email: &str) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM schedule_invitations WHERE schedule_id = $1 AND occurrence = $2 AND email = $3",
    )
    .bind(schedule)
    .bind(call_at)
    .bind(email)
    .fetch_one(db)
    .await?;
    Ok(count > 0)
}

/// Notes that `email` was invited to this call, and how it went out.
pub async fn record_invitation(
    db: &Db,
    schedule: ScheduleId,
    call_at: i64,
    email: &str,
    delivery: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schedule_invitations (schedule_id, occurrence, email, delivery, sent_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(schedule)
    .bind(call_at)
    .bind(email)
    .bind(delivery)
    .bind(now())
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(local: &str, recurrence: Recurrence) -> Timing {
        Timing::parse(local, "Europe/Berlin", recurrence).unwrap()
    }

    fn at(local: &str) -> Timestamp {
        timing(local, Recurrence::Once).first.timestamp()
    }

    fn next_text(t: &Timing, after: &str) -> Option<String> {
        t.next_after(at(after)).map(|call| call_text(&call))
    }

    #[test]
    fn a_weekly_call_keeps_its_wall_clock_time_across_daylight_saving() {
        // Summer time in Berlin ends on 25 October 2026.
        let weekly = timing("2026-10-20T10:00", Recurrence::Weekly);
        assert_eq!(next_text(&weekly, "2026-10-20T10:00").as_deref(), Some("Tue 27 Oct 2026, 10:00"));
        let summer = weekly.first.timestamp();
        let winter = weekly.next_after(summer).unwrap().timestamp();
        assert_eq!(winter.as_second() - summer.as_second(), 7 * 86_400 + 3600, "one hour longer in UTC");
    }

    #[test]
    fn each_recurrence_finds_its_next_call() {
        let first = "2026-11-27T09:30"; // a Friday
        let cases = [
            (Recurrence::Once, "2026-11-20T00:00", Some("Fri 27 Nov 2026, 09:30")),
            (Recurrence::Once, "2026-11-27T09:30", None),
            (Recurrence::Daily, "2026-11-27T09:30", Some("Sat 28 Nov 2026, 09:30")),
            (Recurrence::Weekdays, "2026-11-27T09:30", Some("Mon 30 Nov 2026, 09:30")),
            (Recurrence::Weekly, "2026-12-31T00:00", Some("Fri 1 Jan 2027, 09:30")),
            (Recurrence::Monthly, "2027-05-01T00:00", Some("Thu 27 May 2027, 09:30")),
        ];
        for (recurrence, after, expected) in cases {
            assert_eq!(
                next_text(&timing(first, recurrence), after).as_deref(),
                expected,
                "{recurrence:?} after {after}"
            );
        }
    }

    #[test]
    fn a_monthly_call_on_the_31st_does_not_drift() {
        let monthly = timing("2027-01-31T12:00", Recurrence::Monthly);
        assert_eq!(next_text(&monthly, "2027-02-01T00:00").as_deref(), Some("Sun 28 Feb 2027, 12:00"));
        assert_eq!(next_text(&monthly, "2027-03-01T00:00").as_deref(), Some("Wed 31 Mar 2027, 12:00"));
    }

    #[test]
    fn bad_times_and_zones_are_refused_by_field() {
        let field = |result: Result<Timing, AppError>| result.unwrap_err().field().map(str::to_string);
        assert_eq!(
            field(Timing::parse("tomorrow", "Europe/Berlin", Recurrence::Once)).as_deref(),
            Some("starts_local")
        );
        assert_eq!(
            field(Timing::parse("2026-11-24T10:00", "Mars/Olympus", Recurrence::Once)).as_deref(),
            Some("starts_local")
        );
    }

    #[tokio::test]
    async fn schedules_are_saved_listed_due_and_moved_on() {
        let (db, _dir, ada, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let channel = channel.id;

        let form = |starts_local: &str, recurrence| NewSchedule {
            title: " Stand-up ".into(),
            starts_local: starts_local.into(),
            time_zone: "Europe/Berlin".into(),
            recurrence,
            external_participants: "LIN@example.org, lin@example.org".into(),
        };
        let past = ValidSchedule::check(form("2020-01-01T10:00", Recurrence::Once)).unwrap();
        let refused = create(&db, channel, ada.id, &past).await;
        assert_eq!(refused.unwrap_err().field(), Some("starts_local"));
        let bad_email =
            NewSchedule { external_participants: "lin@".into(), ..form("2030-01-01T10:00", Recurrence::Once) };
        assert_eq!(ValidSchedule::check(bad_email).unwrap_err().field(), Some("external_participants"));

        let soon = Zoned::now().with_time_zone(TimeZone::get("Europe/Berlin").unwrap());
        let local = soon.datetime().strftime("%Y-%m-%dT%H:%M").to_string();
        let valid = ValidSchedule::check(form(&local, Recurrence::Daily)).unwrap();
        let daily = valid.timing.clone();
        let id = create(&db, channel, ada.id, &valid).await.unwrap();
        let people = vec!["lin@example.org".to_string()];

        let listed = list(&db, channel).await.unwrap();
        assert_eq!((listed[0].title.as_str(), listed[0].external_participants.clone()), ("Stand-up", people.clone()));
        let due_now = due(&db, now()).await.unwrap();
        assert_eq!(due_now.iter().map(|d| d.id).collect::<Vec<_>>(), vec![id], "the first call is this minute");
        let call_at = due_now[0].call_at;
        assert!(!invited(&db, id, call_at, "lin@example.org").await.unwrap());
        record_invitation(&db, id, call_at, "lin@example.org", "outbox").await.unwrap();
        assert!(invited(&db, id, call_at, "lin@example.org").await.unwrap());

        let next = daily.next_after(Timestamp::from_second(call_at).unwrap()).unwrap();
        set_next(&db, id, Some(&next)).await.unwrap();
        assert!(due(&db, now()).await.unwrap().is_empty(), "tomorrow's call is not due yet");
        assert_eq!(soonest(&db).await.unwrap(), Some(next.timestamp().as_second()));
        assert!(delete(&db, channel, id).await.unwrap());
        assert!(list(&db, channel).await.unwrap().is_empty());
    }
}
