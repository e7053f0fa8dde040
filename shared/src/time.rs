//! Timestamps and durations as the suite prints them: RFC 3339 through jiff (already compiled
//! in through k8s-openapi), kubectl's ages (apimachinery's `duration.HumanDuration`: `45s`,
//! `5m30s`, `3h10m`, `2d4h`, `1y30d`) and the short durations of messages (`250ms`, `1.5s`,
//! `1m30s`).

#![deny(clippy::string_slice, clippy::indexing_slicing)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch of an RFC 3339 timestamp (`2026-11-22T19:50:11Z`,
/// `…T19:50:11.123+02:00`), or `None` if it is not one (a timestamp needs its offset).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(jiff::Timestamp::as_second)
}

/// Seconds since the epoch as RFC 3339 in UTC (`2026-11-22T19:50:11Z`), as the API server
/// writes timestamps. Seconds outside years 0001–9999 read as the nearest representable one.
pub fn format_rfc3339(secs: i64) -> String {
    let min = jiff::Timestamp::MIN.as_second();
    let max = jiff::Timestamp::MAX.as_second();
    jiff::Timestamp::from_second(secs.clamp(min, max)).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_string()
}

/// Seconds since the epoch of a UTC calendar time, or `None` when it is not a real one.
pub fn utc_seconds(year: i16, month: i8, day: i8, hour: i8, minute: i8, second: i8) -> Option<i64> {
    let at = jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0).ok()?;
    jiff::tz::Offset::UTC.to_timestamp(at).ok().map(jiff::Timestamp::as_second)
}

/// Now, in seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// kubectl's age of a timestamp (`translateTimestampSince`): `<unknown>` when it cannot be read.
pub fn age(timestamp: &str) -> String {
    match parse_rfc3339(timestamp) {
        Some(t) => human_duration_secs(now() - t),
        None => "<unknown>".into(),
    }
}

/// apimachinery's `duration.HumanDuration`.
pub fn human_duration(d: Duration) -> String {
    human_duration_secs(d.as_secs() as i64)
}

/// `HumanDuration` on a signed number of seconds (clock skew of up to a second reads `0s`).
pub fn human_duration_secs(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{dy}d", hours / 24 / 365) };
    }
    format!("{}y", hours / 24 / 365)
}

/// A duration for messages, as Go prints a `time.Duration` rounded to a tenth of a second:
/// `250ms`, `3s`, `1.5s`, `1m30s`.
pub fn humanize(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else if d < Duration::from_secs(60) {
        let s = d.as_secs_f64();
        if s.fract() == 0.0 { format!("{}s", s as u64) } else { format!("{s:.1}s") }
    } else {
        format!("{}m{}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-22T19:50:11Z"), Some(1_795_377_011));
        assert_eq!(parse_rfc3339("2026-11-22T21:50:11.5+02:00"), Some(1_795_377_011));
        assert_eq!(parse_rfc3339("2026-13-22T19:50:11Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2026-11-22T19:50:11"), None);
    }

    #[test]
    fn formats_rfc3339_and_reads_it_back() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_795_377_011), "2026-11-22T19:50:11Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        for t in [-86_401, 1, 68_169_600, 4_102_444_799, 1_795_377_011] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
    }

    #[test]
    fn calendar_times_and_odd_inputs() {
        assert_eq!(utc_seconds(2026, 11, 22, 19, 50, 11), Some(1_795_377_011));
        assert_eq!(utc_seconds(2026, 2, 30, 0, 0, 0), None, "no such day");
        assert_eq!(parse_rfc3339("2026-11-22t19:50:11z"), Some(1_795_377_011), "lower case as RFC 3339 allows");
        assert_eq!(parse_rfc3339("2026-11-22T19:50:11.123456-01:30"), Some(1_795_377_011 + 5400));
        assert_eq!(parse_rfc3339(""), None);
        assert_eq!(format_rfc3339(i64::MAX), "9999-12-30T22:00:00Z", "clamped, not a panic");
    }

    #[test]
    fn message_durations_read_like_go() {
        assert_eq!(humanize(Duration::from_millis(250)), "250ms");
        assert_eq!(humanize(Duration::from_secs(3)), "3s");
        assert_eq!(humanize(Duration::from_millis(1500)), "1.5s");
        assert_eq!(humanize(Duration::from_secs(90)), "1m30s");
        assert_eq!(humanize(Duration::from_secs(120)), "2m0s");
    }

    #[test]
    fn ages_read_like_kubectl() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (45, "45s"),
            (119, "119s"),
            (330, "5m30s"),
            (600, "10m"),
            (179 * 60, "179m"),
            (3 * 3600 + 600, "3h10m"),
            (8 * 3600, "8h"),
            (47 * 3600, "47h"),
            (2 * 86400 + 4 * 3600, "2d4h"),
            (30 * 86400, "30d"),
            ((2 * 365 + 30) * 86400, "2y30d"),
            (9 * 365 * 86400, "9y"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration_secs(secs), want, "{secs}");
        }
    }
}
