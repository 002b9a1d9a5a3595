//! When a schedule's calls are: wall-clock time in the scheduler's time
//! zone, repeating by calendar (a weekly 10:00 stays 10:00 across
//! daylight-saving changes, a monthly 31st falls on the 28th in February),
//! until the schedule's end, if it has one.

use crate::error::AppError;
use crate::model::{Recurrence, RecurrenceEnd};
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

/// A schedule may end after at most this many calls.
pub const MAX_CALLS: u32 = 500;

/// When a schedule's calls are.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    pub first: Zoned,
    pub recurrence: Recurrence,
    pub end: End,
}

/// When a repeating schedule stops, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Never,
    /// No call after this day (in the schedule's zone).
    Until(Date),
    /// After this many calls.
    Count(u32),
}

impl End {
    /// The form's end, checked against the first call.
    fn parse(end: &RecurrenceEnd, first: &Zoned, recurrence: Recurrence) -> Result<Self, AppError> {
        if recurrence == Recurrence::Once {
            return Ok(End::Never);
        }
        match end {
            RecurrenceEnd::Never => Ok(End::Never),
            RecurrenceEnd::OnDate(text) => {
                let date: Date =
                    text.trim().parse().map_err(|_| AppError::invalid("ends", "Pick the day of the last call."))?;
                if date < first.date() {
                    return Err(AppError::invalid("ends", "The last day cannot come before the first call."));
                }
                Ok(End::Until(date))
            }
            RecurrenceEnd::AfterCalls(count) if (1..=MAX_CALLS).contains(count) => Ok(End::Count(*count)),
            RecurrenceEnd::AfterCalls(_) => {
                Err(AppError::invalid("ends", format!("A schedule can end after 1 to {MAX_CALLS} calls.")))
            }
        }
    }

    /// As the form and the database keep it.
    pub fn as_form(self) -> RecurrenceEnd {
        match self {
            End::Never => RecurrenceEnd::Never,
            End::Until(date) => RecurrenceEnd::OnDate(date.to_string()),
            End::Count(count) => RecurrenceEnd::AfterCalls(count),
        }
    }
}

impl Timing {
    /// Reads the form's "2026-11-24T10:00" in the IANA zone `time_zone`,
    /// and the schedule's end.
    pub fn parse(
        starts_local: &str,
        time_zone: &str,
        recurrence: Recurrence,
        end: &RecurrenceEnd,
    ) -> Result<Self, AppError> {
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
        let end = End::parse(end, &first, recurrence)?;
        Ok(Timing { first, recurrence, end })
    }

    /// The `n`-th day of the schedule's rhythm (the first is 0), counted by
    /// calendar from the first so month ends and time changes never drift;
    /// weekends are still in it for weekday schedules.
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

    fn is_call(&self, day: &Zoned) -> bool {
        self.recurrence != Recurrence::Weekdays || !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// Every call, in order, from the first (ignoring the end).
    fn all_calls(&self) -> impl Iterator<Item = Zoned> + '_ {
        (0..).map_while(|n| self.nth(n)).filter(|day| self.is_call(day))
    }

    /// The first call strictly after `after`, if the schedule has one.
    pub fn next_after(&self, after: Timestamp) -> Option<Zoned> {
        match self.end {
            // Counted calls are few: walk them from the first.
            End::Count(count) => self.all_calls().take(count as usize).find(|call| call.timestamp() > after),
            End::Until(last_day) => self.next_unbounded(after).filter(|call| call.date() <= last_day),
            End::Never => self.next_unbounded(after),
        }
    }

    /// Up to `count` calls after `after`.
    pub fn upcoming(&self, after: Timestamp, count: usize) -> Vec<Zoned> {
        let mut calls: Vec<Zoned> = Vec::with_capacity(count);
        while calls.len() < count {
            let from = calls.last().map_or(after, Zoned::timestamp);
            match self.next_after(from) {
                Some(call) => calls.push(call),
                None => break,
            }
        }
        calls
    }

    fn next_unbounded(&self, after: Timestamp) -> Option<Zoned> {
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
        (start..start + 400).filter_map(|n| self.nth(n)).find(|call| call.timestamp() > after && self.is_call(call))
    }
}

/// "Tue 24 Nov 2026, 10:00".
pub fn call_text(call: &Zoned) -> String {
    call.strftime("%a %-d %b %Y, %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(local: &str, recurrence: Recurrence) -> Timing {
        ending(local, recurrence, RecurrenceEnd::Never)
    }

    fn ending(local: &str, recurrence: Recurrence, end: RecurrenceEnd) -> Timing {
        Timing::parse(local, "Europe/Berlin", recurrence, &end).unwrap()
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
    fn a_schedule_ends_on_its_last_day_or_after_its_count() {
        let first = "2026-11-27T09:30"; // a Friday
        let texts = |t: &Timing| t.upcoming(at("2026-11-01T00:00"), 10).iter().map(call_text).collect::<Vec<_>>();
        let until = ending(first, Recurrence::Weekly, RecurrenceEnd::OnDate("2026-12-11".into()));
        assert_eq!(texts(&until), ["Fri 27 Nov 2026, 09:30", "Fri 4 Dec 2026, 09:30", "Fri 11 Dec 2026, 09:30"]);
        // Three weekday calls: Friday, then Monday and Tuesday.
        let counted = ending(first, Recurrence::Weekdays, RecurrenceEnd::AfterCalls(3));
        assert_eq!(texts(&counted), ["Fri 27 Nov 2026, 09:30", "Mon 30 Nov 2026, 09:30", "Tue 1 Dec 2026, 09:30"]);
        assert_eq!(counted.next_after(counted.upcoming(at(first), 2)[1].timestamp()), None);
        // A one-off call has no end to speak of.
        let once = ending(first, Recurrence::Once, RecurrenceEnd::AfterCalls(0));
        assert_eq!(once.end, End::Never);
    }

    #[test]
    fn bad_times_zones_and_ends_are_refused_by_field() {
        let field = |result: Result<Timing, AppError>| result.unwrap_err().field().map(str::to_string);
        let never = RecurrenceEnd::Never;
        let parse = |local, zone, end: &RecurrenceEnd| Timing::parse(local, zone, Recurrence::Weekly, end);
        assert_eq!(field(parse("tomorrow", "Europe/Berlin", &never)).as_deref(), Some("starts_local"));
        assert_eq!(field(parse("2026-11-24T10:00", "Mars/Olympus", &never)).as_deref(), Some("starts_local"));
        for end in [
            RecurrenceEnd::OnDate("2026-11-23".into()),
            RecurrenceEnd::OnDate("soon".into()),
            RecurrenceEnd::AfterCalls(0),
            RecurrenceEnd::AfterCalls(MAX_CALLS + 1),
        ] {
            assert_eq!(field(parse("2026-11-24T10:00", "Europe/Berlin", &end)).as_deref(), Some("ends"), "{end:?}");
        }
    }
}
