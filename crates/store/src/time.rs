//! Time in the store: instants are kept as microseconds since the Unix epoch (UTC) so that
//! both engines store and compare them the same way; dates are ISO 8601 text. The deadlines
//! the law sets are `charter-app`'s (`clock.rs`).

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan as _};

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

/// Adds calendar months the ICO's way: the same date `months` later, or the last day of
/// that month when it is shorter (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: Date, months: i64) -> Date {
    // jiff clamps the day to the end of a shorter month, which is exactly the ICO rule.
    date.checked_add(months.months()).unwrap_or(date)
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
}
