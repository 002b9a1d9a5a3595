//! Dates as people read them.

/// Unix seconds as "2026-11-23 17:05 UTC": the same on the server and in
/// the browser, so hydration never disagrees.
pub fn time_text(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {} UTC", clock_text(rest))
}

/// The time of day of unix seconds, "17:05" (UTC).
pub fn clock_text(seconds: i64) -> String {
    let rest = seconds.rem_euclid(86_400);
    format!("{:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::{clock_text, time_text};

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(time_text(0), "1970-01-01 00:00 UTC");
        assert_eq!(time_text(1_795_453_500), "2026-11-23 17:05 UTC");
        assert_eq!(time_text(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(clock_text(1_795_453_500), "17:05");
        assert_eq!(clock_text(-60), "23:59");
    }
}
