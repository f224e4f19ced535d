//! The one time parser every command uses (`--at`, `--since`, `--until`, `--aware-at`,
//! `--received`, `--on`): a time with an offset is that instant; a time or date without one is
//! local time in the pack's zone, so a breach noticed at 09:00 in a London summer is 08:00 UTC,
//! not 09:00 UTC, and its 72-hour deadline is not an hour late.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

/// A time or date that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad time `{text}`: expected RFC 3339 such as 2026-06-15T10:00:00+01:00, or a local time in {zone} such as 2026-06-15T10:00 or 2026-06-15"
)]
pub struct TimeError {
    text: String,
    zone: String,
}

fn zone_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_string()
}

/// Reads `text` as an instant: RFC 3339 with an offset or `Z`, else a civil date and time
/// (`2026-06-15T10:00`, `2026-06-15 10:00`) or a date (`2026-06-15`, meaning its first
/// moment) in `tz`. A local time that falls in a daylight-saving gap is read as the moment
/// after the gap, one that occurs twice as the first.
pub fn parse_time(text: &str, tz: &TimeZone) -> Result<Timestamp, TimeError> {
    let t = text.trim();
    if let Ok(at) = t.parse::<Timestamp>() {
        return Ok(at);
    }
    let civil = t.parse::<DateTime>().ok().or_else(|| {
        t.parse::<Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::time(0, 0, 0, 0)))
    });
    civil
        .and_then(|dt| dt.to_zoned_datetime(tz.clone()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| TimeError {
            text: text.to_string(),
            zone: zone_name(tz),
        })
}

/// Reads `text` as a day in `tz`: a date, or the local date of a time.
pub fn parse_day(text: &str, tz: &TimeZone) -> Result<Date, TimeError> {
    parse_time(text, tz).map(|t| t.to_zoned_datetime(tz.clone()).date())
}

/// `text` read by [`parse_time`], or `now` when not given.
pub fn time_or(text: Option<&str>, tz: &TimeZone, now: Timestamp) -> Result<Timestamp, TimeError> {
    text.map_or(Ok(now), |t| parse_time(t, tz))
}

/// `text` read by [`parse_day`], or the day `now` falls on in `tz` when not given.
pub fn day_or(text: Option<&str>, tz: &TimeZone, now: Timestamp) -> Result<Date, TimeError> {
    text.map_or_else(|| Ok(local(now, tz).date()), |t| parse_day(t, tz))
}

/// An instant in `tz`.
pub fn local(at: Timestamp, tz: &TimeZone) -> ZonedDateTime {
    at.to_zoned_datetime(tz.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> TimeZone {
        TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC)
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn offset_is_taken_as_given() {
        assert_eq!(
            parse_time("2026-06-15T10:00:00+01:00", &london()),
            Ok(ts("2026-06-15T09:00:00Z"))
        );
        assert_eq!(
            parse_time("2026-06-15T10:00:00Z", &london()),
            Ok(ts("2026-06-15T10:00:00Z"))
        );
    }

    #[test]
    fn local_summer_time_is_an_hour_ahead_of_utc() {
        assert_eq!(
            parse_time("2026-06-15T10:00", &london()),
            Ok(ts("2026-06-15T09:00:00Z"))
        );
        assert_eq!(
            parse_time("2026-06-15 10:00", &london()),
            Ok(ts("2026-06-15T09:00:00Z"))
        );
    }

    #[test]
    fn local_winter_time_is_utc_in_london() {
        assert_eq!(
            parse_time("2026-01-15T10:00", &london()),
            Ok(ts("2026-01-15T10:00:00Z"))
        );
    }

    #[test]
    fn a_date_is_its_first_local_moment() {
        assert_eq!(
            parse_time("2026-06-15", &london()),
            Ok(ts("2026-06-14T23:00:00Z"))
        );
        assert_eq!(
            parse_day("2026-06-15", &london()),
            Ok(jiff::civil::date(2026, 6, 15))
        );
    }

    #[test]
    fn the_local_day_of_an_instant() {
        // 23:30 UTC on 14 June is already 15 June in London.
        assert_eq!(
            parse_day("2026-06-14T23:30:00Z", &london()),
            Ok(jiff::civil::date(2026, 6, 15))
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_is_read_after_it() {
        // 01:30 does not exist on 29 March 2026 in London: clocks go from 01:00 to 02:00.
        assert_eq!(
            parse_time("2026-03-29T01:30", &london()),
            Ok(ts("2026-03-29T01:30:00Z"))
        );
    }

    #[test]
    fn nonsense_is_an_error_naming_the_text_and_zone() {
        let e = parse_time("tomorrow", &london()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad time `tomorrow`: expected RFC 3339 such as 2026-06-15T10:00:00+01:00, or a local time in Europe/London such as 2026-06-15T10:00 or 2026-06-15"
        );
        assert!(parse_time("", &london()).is_err());
        assert!(parse_time("2026-13-01", &london()).is_err());
    }

    #[test]
    fn absent_means_now() {
        let now = ts("2026-06-14T23:30:00Z");
        assert_eq!(time_or(None, &london(), now), Ok(now));
        assert_eq!(
            day_or(None, &london(), now),
            Ok(jiff::civil::date(2026, 6, 15))
        );
    }
}
