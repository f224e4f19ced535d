//! Time in the store: instants are kept as microseconds since the Unix epoch (UTC) so that
//! both engines store and compare them the same way; dates are ISO 8601 text. The deadline
//! rules of the law live here as pure functions.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan as _};

use crate::error::{Error, Result};

/// Now, in microseconds since the epoch.
pub fn now_us() -> i64 {
    to_us(Timestamp::now())
}

/// An instant as stored.
pub fn to_us(at: Timestamp) -> i64 {
    // i64 microseconds cover years -292,000 to 292,000; jiff's range is smaller.
    at.as_microsecond()
}

/// A stored instant.
pub fn from_us(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A stored instant as RFC 3339 UTC text, for JSON and people.
pub fn show_us(us: i64) -> String {
    from_us(us).to_string()
}

/// Parses a stored or given date (`2026-04-01`).
pub fn parse_date(field: &'static str, text: &str) -> Result<Date> {
    text.parse::<Date>()
        .map_err(|_| Error::invalid(field, format!("`{text}` is not a date such as 2026-04-01")))
}

/// How long a controller has to notify the ICO of a breach: 72 hours from becoming aware
/// (UK GDPR Art. 33(1)), counted in wall time, weekends and holidays included.
pub const BREACH_NOTICE: SignedDuration = SignedDuration::from_hours(72);

/// When the ICO must be told of a breach the controller became aware of at `aware`.
pub fn breach_deadline(aware: Timestamp) -> Timestamp {
    aware.saturating_add(BREACH_NOTICE).unwrap_or(aware)
}

/// Adds calendar months the ICO's way: the same date `months` later, or the last day of
/// that month when it is shorter (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: Date, months: i64) -> Date {
    // jiff clamps the day to the end of a shorter month, which is exactly the ICO rule.
    date.checked_add(months.months()).unwrap_or(date)
}

/// The day a subject request is due: one calendar month from receipt (three when extended
/// by two months, Art. 12(3)), plus the days the clock stood still while the organisation
/// waited for proof of identity or clarification.
pub fn subject_request_due(received: Date, extended: bool, paused_days: i64) -> Date {
    let months = if extended { 3 } else { 1 };
    let due = add_months(received, months);
    due.checked_add(paused_days.days()).unwrap_or(due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn month_same_date() {
        assert_eq!(add_months(date(2026, 3, 3), 1), date(2026, 4, 3));
    }

    #[test]
    fn month_shorter_next_month_gives_last_day() {
        assert_eq!(add_months(date(2026, 1, 31), 1), date(2026, 2, 28));
        assert_eq!(add_months(date(2028, 1, 31), 1), date(2028, 2, 29));
        assert_eq!(add_months(date(2026, 3, 31), 1), date(2026, 4, 30));
    }

    #[test]
    fn month_across_year_end() {
        assert_eq!(add_months(date(2026, 12, 15), 1), date(2027, 1, 15));
    }

    #[test]
    fn extension_is_two_further_months() {
        assert_eq!(
            subject_request_due(date(2026, 1, 31), true, 0),
            date(2026, 4, 30)
        );
        assert_eq!(
            subject_request_due(date(2026, 11, 30), true, 0),
            date(2027, 2, 28)
        );
    }

    #[test]
    fn pause_moves_the_due_date() {
        assert_eq!(
            subject_request_due(date(2026, 1, 10), false, 5),
            date(2026, 2, 15)
        );
    }

    #[test]
    fn breach_clock_counts_the_weekend() {
        // Aware on a Friday afternoon: due Monday afternoon, not Wednesday.
        let aware: Timestamp = "2026-06-12T15:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(breach_deadline(aware).to_string(), "2026-06-15T15:00:00Z");
    }

    #[test]
    fn breach_clock_is_wall_time_across_dst() {
        // 72 hours are 72 hours even when the clocks go forward (29 March 2026 in London).
        let aware: Timestamp = "2026-03-27T12:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(breach_deadline(aware).to_string(), "2026-03-30T12:00:00Z");
    }
}
