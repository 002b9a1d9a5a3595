//! Call schedules of meeting channels: made, changed and cancelled by the
//! channel's admins; when each call is (`timing`); the schedules whose next
//! call has come, for the task that emails external participants the link;
//! and what calendar emails are still to go out (`calendar_mail`). The
//! task that sends them (`sending`): the calendar invitations, updates and
//! cancellations as .ics (`invitations`), and the link when a call starts
//! (`starting`), to where the channel's guests go (`place`).

pub mod calendar_mail;
mod invitations;
mod place;
pub mod sending;
mod starting;
pub mod timing;

use super::db::{Db, now};
use crate::error::AppError;
use crate::model::{CallSchedule, ChannelId, MemberId, NewSchedule, ScheduleId};
use crate::validate;
use jiff::{Timestamp, Zoned};
pub use timing::{Timing, call_text};

/// A new schedule's first call may be this far in the past (the form has
/// minute precision, so "now" is up to a minute ago): it starts at once.
pub const PAST_ALLOWANCE_SECONDS: i64 = 5 * 60;
/// How late a call's invitations may still go out (the server was down when
/// it started). Later than this, that call is skipped.
pub const LATE_GRACE_SECONDS: i64 = 15 * 60;
/// How many coming calls the Call Schedule tab shows.
const UPCOMING_SHOWN: usize = 3;

/// A schedule as it is stored, read.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub id: ScheduleId,
    pub channel: ChannelId,
    pub title: String,
    pub starts_local: String,
    pub time_zone: String,
    pub timing: Timing,
    /// Unix seconds of the next call whose invitations have not gone out;
    /// `None` once the last call has been announced.
    pub next_at: Option<i64>,
    /// The iCalendar SEQUENCE: raised by every change.
    pub sequence: i64,
    pub cancelled: bool,
    pub participants: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    id: ScheduleId,
    channel_id: ChannelId,
    title: String,
    starts_local: String,
    time_zone: String,
    recurrence: crate::model::Recurrence,
    next_at: Option<i64>,
    sequence: i64,
    ends_on: Option<String>,
    max_calls: Option<i64>,
    cancelled_at: Option<i64>,
}

impl ScheduleRow {
    async fn read(self, db: &Db) -> Result<Schedule, AppError> {
        let participants = participants(db, self.id).await?;
        self.into_schedule(participants)
    }

    fn into_schedule(self, participants: Vec<String>) -> Result<Schedule, AppError> {
        use crate::model::RecurrenceEnd;
        let end = match (self.ends_on, self.max_calls) {
            (Some(date), _) => RecurrenceEnd::OnDate(date),
            (None, Some(count)) => RecurrenceEnd::AfterCalls(count as u32),
            (None, None) => RecurrenceEnd::Never,
        };
        let timing = Timing::parse(&self.starts_local, &self.time_zone, self.recurrence, &end)
            .inspect_err(|_| tracing::error!(schedule = %self.id, "unreadable stored schedule"))?;
        Ok(Schedule {
            participants,
            id: self.id,
            channel: self.channel_id,
            // One line even if stored before control characters in titles
            // were refused: it is the emails' subject and the .ics SUMMARY.
            title: crate::model::one_line::flattened(&self.title).into_owned(),
            starts_local: self.starts_local,
            time_zone: self.time_zone,
            timing,
            next_at: self.next_at,
            sequence: self.sequence,
            cancelled: self.cancelled_at.is_some(),
        })
    }
}

/// The columns of a [`ScheduleRow`] (a macro, so `concat!` can extend it).
macro_rules! select_schedules {
    () => {
        "SELECT id, channel_id, title, starts_local, time_zone, recurrence, next_at, sequence, ends_on, max_calls,
                cancelled_at
         FROM call_schedules"
    };
}

/// A schedule due for its invitations.
#[derive(Debug, Clone)]
pub struct DueCall {
    pub schedule: Schedule,
    /// The call being announced (unix seconds).
    pub call_at: i64,
}

impl DueCall {
    /// The schedule's call after this one, skipping any that are already
    /// more than [`LATE_GRACE_SECONDS`] old at `now` (unix seconds).
    pub fn following(&self, now: i64) -> Option<Zoned> {
        let after = Timestamp::from_second(self.call_at.max(now - LATE_GRACE_SECONDS)).ok()?;
        self.schedule.timing.next_after(after)
    }
}

/// A schedule from the form, checked: title, first call, time zone,
/// recurrence and its end, and external participants.
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
        let timing = Timing::parse(&new.starts_local, &new.time_zone, new.recurrence, &new.ends)?;
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

    /// The end as stored: (last day, number of calls).
    fn end_columns(&self) -> (Option<String>, Option<i64>) {
        match self.timing.end {
            timing::End::Never => (None, None),
            timing::End::Until(date) => (Some(date.to_string()), None),
            timing::End::Count(count) => (None, Some(i64::from(count))),
        }
    }
}

/// Saves the schedule. Refuses a first call that has already passed.
pub async fn create(db: &Db, channel: ChannelId, by: MemberId, new: &ValidSchedule) -> Result<ScheduleId, AppError> {
    let first = new.timing.first.timestamp().as_second();
    if first < now() - PAST_ALLOWANCE_SECONDS {
        return Err(AppError::invalid("starts_local", "That time has passed. Pick a time from now on."));
    }
    let (ends_on, max_calls) = new.end_columns();
    let mut tx = db.begin().await?;
    let id: ScheduleId = sqlx::query_scalar(
        "INSERT INTO call_schedules
             (channel_id, title, starts_local, time_zone, recurrence, next_at, created_by, created_at, ends_on, max_calls)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(channel)
    .bind(&new.title)
    .bind(&new.starts_local)
    .bind(&new.time_zone)
    .bind(new.timing.recurrence)
    .bind(first)
    .bind(by)
    .bind(now())
    .bind(ends_on)
    .bind(max_calls)
    .fetch_one(&mut *tx)
    .await?;
    insert_participants(&mut tx, id, &new.participants).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes the channel's schedule (everything the form holds) and raises
/// its sequence, so calendars take the change. A one-off call must still
/// be to come; a repeating one goes on from its next call after now.
pub async fn update(db: &Db, channel: ChannelId, schedule: ScheduleId, new: &ValidSchedule) -> Result<(), AppError> {
    let since = Timestamp::from_second(now() - PAST_ALLOWANCE_SECONDS - 1).map_err(|_| AppError::Internal)?;
    let Some(next) = new.timing.next_after(since) else {
        let (field, message) = match new.timing.recurrence {
            crate::model::Recurrence::Once => ("starts_local", "That time has passed. Pick a time from now on."),
            _ => ("ends", "With this end the schedule has no calls left. Pick a later end."),
        };
        return Err(AppError::invalid(field, message));
    };
    let (ends_on, max_calls) = new.end_columns();
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE call_schedules
         SET title = $1, starts_local = $2, time_zone = $3, recurrence = $4, next_at = $5, ends_on = $6,
             max_calls = $7, sequence = sequence + 1
         WHERE id = $8 AND channel_id = $9 AND cancelled_at IS NULL",
    )
    .bind(&new.title)
    .bind(&new.starts_local)
    .bind(&new.time_zone)
    .bind(new.timing.recurrence)
    .bind(next.timestamp().as_second())
    .bind(ends_on)
    .bind(max_calls)
    .bind(schedule)
    .bind(channel)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound("That call schedule".into()));
    }
    sqlx::query("DELETE FROM schedule_participants WHERE schedule_id = $1").bind(schedule).execute(&mut *tx).await?;
    insert_participants(&mut tx, schedule, &new.participants).await?;
    tx.commit().await?;
    Ok(())
}

/// Cancels the channel's schedule: no more calls are announced, and its
/// participants' calendars are told. False if it has no such schedule.
pub async fn cancel(db: &Db, channel: ChannelId, schedule: ScheduleId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE call_schedules SET cancelled_at = $1, next_at = NULL, sequence = sequence + 1
         WHERE id = $2 AND channel_id = $3 AND cancelled_at IS NULL",
    )
    .bind(now())
    .bind(schedule)
    .bind(channel)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The channel's link changed: every live schedule's calendar entry points
/// at the old one, so each gets a new sequence (and an update goes out).
pub async fn link_changed(db: &Db, channel: ChannelId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE call_schedules SET sequence = sequence + 1 WHERE channel_id = $1 AND cancelled_at IS NULL")
        .bind(channel)
        .execute(db)
        .await?;
    Ok(())
}

async fn insert_participants(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    schedule: ScheduleId,
    emails: &[String],
) -> Result<(), sqlx::Error> {
    for email in emails {
        sqlx::query("INSERT INTO schedule_participants (schedule_id, email) VALUES ($1, $2)")
            .bind(schedule)
            .bind(email)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn participants(db: &Db, schedule: ScheduleId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT email FROM schedule_participants WHERE schedule_id = $1 ORDER BY email")
        .bind(schedule)
        .fetch_all(db)
        .await
}

/// One schedule, cancelled or not; None if there is no such schedule.
pub async fn by_id(db: &Db, schedule: ScheduleId) -> Result<Option<Schedule>, AppError> {
    let row: Option<ScheduleRow> =
        sqlx::query_as(concat!(select_schedules!(), " WHERE id = $1")).bind(schedule).fetch_optional(db).await?;
    match row {
        Some(row) => Ok(Some(row.read(db).await?)),
        None => Ok(None),
    }
}

/// The channel's schedules, soonest next call first (finished ones last).
pub async fn list(db: &Db, channel: ChannelId) -> Result<Vec<CallSchedule>, AppError> {
    let rows: Vec<ScheduleRow> = sqlx::query_as(concat!(
        select_schedules!(),
        " WHERE channel_id = $1 AND cancelled_at IS NULL ORDER BY next_at IS NULL, next_at, id"
    ))
    .bind(channel)
    .fetch_all(db)
    .await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        let schedule = row.read(db).await?;
        // The coming calls: from the one still to be announced.
        let upcoming = match schedule.next_at.and_then(|at| Timestamp::from_second(at - 1).ok()) {
            Some(after) => schedule.timing.upcoming(after, UPCOMING_SHOWN),
            None => Vec::new(),
        };
        list.push(CallSchedule {
            id: schedule.id,
            title: schedule.title,
            starts_local: schedule.starts_local,
            recurrence: schedule.timing.recurrence,
            ends: schedule.timing.end.as_form(),
            time_zone: schedule.time_zone,
            upcoming: upcoming.iter().map(|call| call.timestamp().as_second()).collect(),
            external_participants: schedule.participants,
        });
    }
    Ok(list)
}

/// Schedules whose next call has started by `at` (unix seconds).
pub async fn due(db: &Db, at: i64) -> Result<Vec<DueCall>, AppError> {
    let rows: Vec<ScheduleRow> = sqlx::query_as(concat!(
        select_schedules!(),
        " WHERE next_at <= $1 AND cancelled_at IS NULL ORDER BY next_at, id"
    ))
    .bind(at)
    .fetch_all(db)
    .await?;
    let mut calls = Vec::with_capacity(rows.len());
    for row in rows {
        let call_at = row.next_at.unwrap_or_default();
        calls.push(DueCall { schedule: row.read(db).await?, call_at });
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
    sqlx::query_scalar("SELECT MIN(next_at) FROM call_schedules WHERE cancelled_at IS NULL").fetch_one(db).await
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
    use crate::model::{Recurrence, RecurrenceEnd};
    use jiff::tz::TimeZone;

    fn form(starts_local: &str, recurrence: Recurrence) -> NewSchedule {
        NewSchedule {
            title: " Stand-up ".into(),
            starts_local: starts_local.into(),
            time_zone: "Europe/Berlin".into(),
            recurrence,
            ends: RecurrenceEnd::Never,
            external_participants: "LIN@example.org, lin@example.org".into(),
        }
    }

    fn this_minute() -> String {
        let soon = Zoned::now().with_time_zone(TimeZone::get("Europe/Berlin").unwrap());
        soon.datetime().strftime("%Y-%m-%dT%H:%M").to_string()
    }

    #[tokio::test]
    async fn schedules_are_saved_listed_due_and_moved_on() {
        let (db, _dir, ada, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let channel = channel.id;

        let past = ValidSchedule::check(form("2020-01-01T10:00", Recurrence::Once)).unwrap();
        let refused = create(&db, channel, ada.id, &past).await;
        assert_eq!(refused.unwrap_err().field(), Some("starts_local"));
        let bad_email =
            NewSchedule { external_participants: "lin@".into(), ..form("2030-01-01T10:00", Recurrence::Once) };
        assert_eq!(ValidSchedule::check(bad_email).unwrap_err().field(), Some("external_participants"));

        let valid = ValidSchedule::check(form(&this_minute(), Recurrence::Daily)).unwrap();
        let daily = valid.timing.clone();
        let id = create(&db, channel, ada.id, &valid).await.unwrap();
        let people = vec!["lin@example.org".to_string()];

        let listed = list(&db, channel).await.unwrap();
        assert_eq!((listed[0].title.as_str(), listed[0].external_participants.clone()), ("Stand-up", people.clone()));
        assert_eq!(listed[0].upcoming.len(), UPCOMING_SHOWN, "the next three calls");
        let due_now = due(&db, now()).await.unwrap();
        assert_eq!(
            due_now.iter().map(|d| d.schedule.id).collect::<Vec<_>>(),
            vec![id],
            "the first call is this minute"
        );
        let call_at = due_now[0].call_at;
        assert_eq!(listed[0].upcoming[0], call_at);
        assert!(!invited(&db, id, call_at, "lin@example.org").await.unwrap());
        record_invitation(&db, id, call_at, "lin@example.org", "outbox").await.unwrap();
        assert!(invited(&db, id, call_at, "lin@example.org").await.unwrap());

        let next = daily.next_after(Timestamp::from_second(call_at).unwrap()).unwrap();
        set_next(&db, id, Some(&next)).await.unwrap();
        assert!(due(&db, now()).await.unwrap().is_empty(), "tomorrow's call is not due yet");
        assert_eq!(soonest(&db).await.unwrap(), Some(next.timestamp().as_second()));
        assert!(cancel(&db, channel, id).await.unwrap());
        assert!(!cancel(&db, channel, id).await.unwrap(), "cancelled once");
        assert!(list(&db, channel).await.unwrap().is_empty());
        assert_eq!(soonest(&db).await.unwrap(), None, "a cancelled schedule is never due");
        assert!(by_id(&db, id).await.unwrap().unwrap().cancelled);
    }

    /// Issue 32, 18: a bare CR in a title wrote lines of its own into the
    /// .ics. Titles with control or direction characters are refused; one
    /// stored before is read on one line.
    #[tokio::test]
    async fn titles_are_one_line_even_when_stored_before_the_rule() {
        let (db, _dir, ada, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        for title in
            ["Review\rATTENDEE:mailto:mallory@evil.example", "Review\nEND:VEVENT", "Review\tweekly", "\u{202E}weiveR"]
        {
            let typed = NewSchedule { title: title.into(), ..form("2030-01-07T10:00", Recurrence::Once) };
            assert_eq!(ValidSchedule::check(typed).unwrap_err().field(), Some("title"), "{title:?}");
        }
        let valid = ValidSchedule::check(form("2030-01-07T10:00", Recurrence::Once)).unwrap();
        let id = create(&db, channel.id, ada.id, &valid).await.unwrap();
        sqlx::query("UPDATE call_schedules SET title = $1 WHERE id = $2")
            .bind("Review\rATTENDEE:mailto:mallory@evil.example\r\nX")
            .bind(id)
            .execute(&db)
            .await
            .unwrap();
        let stored = by_id(&db, id).await.unwrap().unwrap();
        assert_eq!(stored.title, "Review ATTENDEE:mailto:mallory@evil.example  X");
    }

    #[tokio::test]
    async fn an_edit_changes_everything_the_form_holds_and_raises_the_sequence() {
        let (db, _dir, ada, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let channel = channel.id;
        let id =
            create(&db, channel, ada.id, &ValidSchedule::check(form("2030-01-07T10:00", Recurrence::Weekly)).unwrap())
                .await
                .unwrap();
        let edit = NewSchedule {
            title: "Weekly review".into(),
            ends: RecurrenceEnd::AfterCalls(4),
            external_participants: "sam@example.org".into(),
            ..form("2030-01-08T15:30", Recurrence::Weekly)
        };
        update(&db, channel, id, &ValidSchedule::check(edit).unwrap()).await.unwrap();
        let changed = by_id(&db, id).await.unwrap().unwrap();
        assert_eq!((changed.title.as_str(), changed.sequence), ("Weekly review", 1));
        assert_eq!(changed.participants, ["sam@example.org"]);
        assert_eq!(changed.timing.end, timing::End::Count(4));
        assert_eq!(call_text(&changed.timing.first), "Tue 8 Jan 2030, 15:30");
        assert_eq!(changed.next_at, Some(changed.timing.first.timestamp().as_second()));

        // An end already behind it, or a one-off call in the past, is refused.
        let ended = NewSchedule { ends: RecurrenceEnd::AfterCalls(1), ..form("2020-01-07T10:00", Recurrence::Weekly) };
        let refused = update(&db, channel, id, &ValidSchedule::check(ended).unwrap()).await.unwrap_err();
        assert_eq!(refused.field(), Some("ends"));
        let past = ValidSchedule::check(form("2020-01-07T10:00", Recurrence::Once)).unwrap();
        assert_eq!(update(&db, channel, id, &past).await.unwrap_err().field(), Some("starts_local"));
        // A repeating schedule begun in the past goes on from its next call.
        let running = ValidSchedule::check(form("2020-01-07T10:00", Recurrence::Daily)).unwrap();
        update(&db, channel, id, &running).await.unwrap();
        let next_at = by_id(&db, id).await.unwrap().unwrap().next_at.unwrap();
        assert!(next_at > now() - PAST_ALLOWANCE_SECONDS && next_at <= now() + 86_400, "{next_at}");

        let other = crate::model::ChannelId(channel.0 + 100);
        assert_eq!(update(&db, other, id, &running).await, Err(AppError::NotFound("That call schedule".into())));
        link_changed(&db, channel).await.unwrap();
        assert_eq!(by_id(&db, id).await.unwrap().unwrap().sequence, 3);
    }
}
