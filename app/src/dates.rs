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

/// Unix seconds as the viewer's own clock reads them, with its zone:
/// "Tue 24 Nov 2026, 10:00 CET". In the browser only (the server does not
/// know the viewer's zone: it writes UTC), so use it in views that are
/// drawn in the browser, never in server-rendered ones.
pub fn local_call_text(seconds: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let date = js_sys::Date::new(&JsValue::from_f64(seconds as f64 * 1000.0));
        let options = js_sys::Object::new();
        for (key, value) in [
            ("weekday", "short"),
            ("day", "numeric"),
            ("month", "short"),
            ("year", "numeric"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("timeZoneName", "short"),
        ] {
            let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
        }
        if let Some(text) = date.to_locale_string("en-GB", &options).as_string() {
            return text;
        }
    }
    time_text(seconds)
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
