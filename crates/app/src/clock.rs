//! Deadlines the law and the policy set, and how a person reads them: the deadline in the
//! pack's time zone, the time remaining, and OVERDUE once it has passed.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan as _};
use serde::Serialize;

use charter_store::time::add_months;

/// How long a controller has to notify the ICO of a breach: 72 hours from becoming aware
/// (UK GDPR Art. 33(1)), counted in wall time, weekends and holidays included.
pub const BREACH_NOTICE: SignedDuration = SignedDuration::from_hours(72);

/// When the ICO must be told of a breach the controller became aware of at `aware`.
pub fn breach_deadline(aware: Timestamp) -> Timestamp {
    aware.saturating_add(BREACH_NOTICE).unwrap_or(aware)
}

/// The day a subject request is due: one calendar month from receipt (three when extended
/// by two months, Art. 12(3)), plus the days the clock stood still while the organisation
/// waited for proof of identity or clarification.
pub fn subject_request_due(received: Date, extended: bool, paused_days: i64) -> Date {
    let months = if extended { 3 } else { 1 };
    let due = add_months(received, months);
    due.checked_add(paused_days.days()).unwrap_or(due)
}

/// A deadline as a person reads it. In JSON its fields sit beside the thing's own.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Clock {
    /// The deadline in the pack's time zone: `2026-06-15 16:00 BST`, or a day `2026-02-28`.
    pub deadline_local: String,
    /// `2 days 3 hours`, `OVERDUE by 5 hours`, or why the clock no longer runs.
    pub remaining: String,
    /// The deadline has passed and what it asks for is still not done.
    pub overdue: bool,
}

impl Clock {
    /// A clock running towards the instant `deadline`.
    pub fn until(deadline: Timestamp, now: Timestamp, tz: &TimeZone) -> Clock {
        let left = deadline.duration_since(now);
        Clock {
            deadline_local: local_time(deadline, tz),
            remaining: if left.is_negative() {
                format!("OVERDUE by {}", span(left.abs()))
            } else {
                span(left)
            },
            overdue: left.is_negative(),
        }
    }

    /// A clock running towards the end of the day `due` in `tz`.
    pub fn until_day(due: Date, now: Timestamp, tz: &TimeZone) -> Clock {
        let today = now.to_zoned_datetime(tz.clone()).date();
        let days = i64::from((due - today).get_days());
        let remaining = match days {
            d if d < 0 => format!("OVERDUE by {}", plural(-d, "day")),
            0 => "due today".to_string(),
            d => plural(d, "day"),
        };
        Clock {
            deadline_local: due.to_string(),
            remaining,
            overdue: days < 0,
        }
    }

    /// A clock that no longer runs, for the reason given (met, not needed, paused).
    pub fn stopped(deadline_local: String, why: impl Into<String>) -> Clock {
        Clock {
            deadline_local,
            remaining: why.into(),
            overdue: false,
        }
    }

    /// `due 2026-06-15 16:00 BST (2 days 3 hours)`, with OVERDUE shouting.
    pub fn text(&self) -> String {
        format!("due {} ({})", self.deadline_local, self.remaining)
    }
}

/// An instant as people in the pack's zone read it: `2026-06-15 16:00 BST`.
pub fn local_time(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// A stored RFC 3339 instant as [`local_time`], or the text as stored when it is not one.
pub fn local_text(at: &str, tz: &TimeZone) -> String {
    at.parse::<Timestamp>()
        .map(|t| local_time(t, tz))
        .unwrap_or_else(|_| at.to_string())
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// A length of time to the nearest minute, in the two largest units: `2 days 3 hours`,
/// `5 hours 10 minutes`, `7 minutes`.
fn span(d: SignedDuration) -> String {
    let minutes = d.as_secs() / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => plural(mins, "minute"),
        (0, h) if mins == 0 => plural(h, "hour"),
        (0, h) => format!("{} {}", plural(h, "hour"), plural(mins, "minute")),
        (d, 0) => plural(d, "day"),
        (d, h) => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn london() -> TimeZone {
        TimeZone::get("Europe/London").unwrap()
    }

    #[test]
    fn breach_clock_counts_the_weekend() {
        // Aware on a Friday afternoon: due Monday afternoon, not Wednesday.
        assert_eq!(
            breach_deadline(ts("2026-06-12T15:00:00Z")),
            ts("2026-06-15T15:00:00Z")
        );
    }

    #[test]
    fn breach_clock_is_wall_time_across_dst() {
        // 72 hours are 72 hours even when the clocks go forward (29 March 2026 in London).
        assert_eq!(
            breach_deadline(ts("2026-03-27T12:00:00Z")),
            ts("2026-03-30T12:00:00Z")
        );
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
    fn deadline_reads_in_summer_time() {
        let c = Clock::until(
            ts("2026-06-15T15:00:00Z"),
            ts("2026-06-13T12:00:00Z"),
            &london(),
        );
        assert_eq!(c.deadline_local, "2026-06-15 16:00 BST");
        assert_eq!(c.remaining, "2 days 3 hours");
        assert!(!c.overdue);
    }

    #[test]
    fn passed_deadline_is_overdue() {
        let c = Clock::until(
            ts("2026-01-12T16:00:00Z"),
            ts("2026-01-12T21:30:00Z"),
            &london(),
        );
        assert_eq!(c.deadline_local, "2026-01-12 16:00 GMT");
        assert_eq!(c.remaining, "OVERDUE by 5 hours 30 minutes");
        assert!(c.overdue);
    }

    #[test]
    fn day_deadlines_count_local_days() {
        // 23:30 UTC on 27 February is still the 27th in London (winter).
        let now = ts("2026-02-27T23:30:00Z");
        let c = Clock::until_day(date(2026, 2, 28), now, &london());
        assert_eq!((c.remaining.as_str(), c.overdue), ("1 day", false));
        let c = Clock::until_day(date(2026, 2, 27), now, &london());
        assert_eq!((c.remaining.as_str(), c.overdue), ("due today", false));
        let c = Clock::until_day(date(2026, 2, 20), now, &london());
        assert_eq!(
            (c.remaining.as_str(), c.overdue),
            ("OVERDUE by 7 days", true)
        );
    }

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(SignedDuration::from_mins(7)), "7 minutes");
        assert_eq!(span(SignedDuration::from_hours(1)), "1 hour");
        assert_eq!(span(SignedDuration::from_hours(48)), "2 days");
        assert_eq!(span(SignedDuration::from_mins(61)), "1 hour 1 minute");
    }
}
