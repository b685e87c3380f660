//! UTC calendar arithmetic for SigV4 dates (`20260101T000000Z`) and certificate validity.
//!
//! Only the proleptic Gregorian calendar in UTC is needed, so this is Howard Hinnant's
//! `days_from_civil` / `civil_from_days` rather than a date-time dependency.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A UTC date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// The year, e.g. 2026.
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
}

/// Seconds since the Unix epoch (0 for a clock set before 1970).
pub fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The time `seconds` after the Unix epoch.
pub fn from_unix_seconds(seconds: i64) -> SystemTime {
    if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    }
}

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(date: Date) -> i64 {
    let y = i64::from(date.year) - i64::from(date.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(date.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(date.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date {
        year: i32::try_from(year).unwrap_or(i32::MAX),
        month: u8::try_from(month).unwrap_or(1),
        day: u8::try_from(day).unwrap_or(1),
    }
}

/// The UTC date of `time`.
pub fn date_of(time: SystemTime) -> Date {
    civil_from_days(unix_seconds(time).div_euclid(86_400))
}

/// Formats `time` as SigV4's `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`).
pub fn amz_date(time: SystemTime) -> String {
    let seconds = unix_seconds(time);
    let date = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        date.year,
        date.month,
        date.day,
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Parses SigV4's `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`, exactly) into seconds since the epoch.
pub fn parse_amz_date(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let text = value.get(range)?;
        if !text.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    };
    let (year, month, day) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let date = Date {
        year: i32::try_from(year).ok()?,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
    };
    // Reject dates such as 20260231 that would silently roll over.
    if civil_from_days(days_from_civil(date)) != date {
        return None;
    }
    Some(days_from_civil(date) * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates_round_trip_through_known_instants() {
        let cases = [
            (0, "19700101T000000Z"),
            (1_440_938_160, "20150830T123600Z"),
            (951_782_400, "20000229T000000Z"),
            (1_767_225_599, "20251231T235959Z"),
        ];
        for (seconds, text) in cases {
            assert_eq!(amz_date(from_unix_seconds(seconds)), text);
            assert_eq!(parse_amz_date(text), Some(seconds), "{text}");
        }
    }

    #[test]
    fn malformed_or_impossible_amz_dates_are_refused() {
        for text in [
            "",
            "20150830T123600",
            "2015-08-30T12:36:00Z",
            "20150830 123600Z",
            "20150231T000000Z",
            "20151301T000000Z",
            "20150830T246000Z",
            "2015083OT123600Z",
        ] {
            assert_eq!(parse_amz_date(text), None, "{text}");
        }
    }

    #[test]
    fn civil_dates_and_day_counts_agree_across_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            assert_eq!(days_from_civil(civil_from_days(days)), days);
        }
        let leap = Date {
            year: 2024,
            month: 2,
            day: 29,
        };
        assert_eq!(civil_from_days(days_from_civil(leap)), leap);
    }
}
