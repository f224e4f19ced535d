//! Browsing sessions from request times, and the split of browsing time into local days and
//! into time inside or outside the pack's personal-use window.

use std::collections::HashMap;

use charter_policy::window::Windows;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

/// The idle gap used when the config names none: two minutes.
pub const DEFAULT_GAP_SECONDS: i64 = 120;

/// Browsing time credited to one request: from `from` to `to`, for `person` in `category`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// Whose.
    pub person: String,
    /// The request's category (`uncategorised` when it had none).
    pub category: String,
    /// When the request was made.
    pub from: Timestamp,
    /// Until the person's next request, or the end of the idle gap.
    pub to: Timestamp,
}

impl Credit {
    /// Its length in seconds.
    pub fn seconds(&self) -> i64 {
        self.to.duration_since(self.from).as_secs().max(0)
    }
}

#[derive(Debug, Clone)]
struct Last {
    at: Timestamp,
    category: String,
}

/// Each person's last request, waiting for the next one to say how long it lasted.
///
/// A request is credited when the person's next request arrives (the time between them, at
/// most the gap), or by [`Tracker::close_idle`] once the gap has passed without one (the whole
/// gap). Requests that arrive out of order count from the latest one seen: time is never
/// credited twice.
#[derive(Debug, Clone)]
pub struct Tracker {
    gap: i64,
    open: HashMap<String, Last>,
}

impl Tracker {
    /// A tracker whose sessions end after `gap_seconds` without a request (at least one second).
    pub fn new(gap_seconds: i64) -> Tracker {
        Tracker {
            gap: gap_seconds.max(1),
            open: HashMap::new(),
        }
    }

    /// The idle gap, in seconds.
    pub fn gap_seconds(&self) -> i64 {
        self.gap
    }

    /// A request by `person` at `at` in `category`: credits the person's previous request,
    /// when there was one.
    pub fn request(&mut self, person: &str, at: Timestamp, category: &str) -> Option<Credit> {
        match self.open.get_mut(person) {
            None => {
                self.open.insert(
                    person.to_string(),
                    Last {
                        at,
                        category: category.to_string(),
                    },
                );
                None
            }
            Some(last) if at <= last.at => None,
            Some(last) => {
                let to = at.min(last.at + SignedDuration::from_secs(self.gap));
                let credit = Credit {
                    person: person.to_string(),
                    category: std::mem::replace(&mut last.category, category.to_string()),
                    from: last.at,
                    to,
                };
                last.at = at;
                Some(credit)
            }
        }
    }

    /// Ends every session idle for at least the gap at `now`, crediting its last request the
    /// whole gap.
    pub fn close_idle(&mut self, now: Timestamp) -> Vec<Credit> {
        let gap = SignedDuration::from_secs(self.gap);
        let mut out = Vec::new();
        self.open.retain(|person, last| {
            let end = last.at + gap;
            if end > now {
                return true;
            }
            out.push(Credit {
                person: person.clone(),
                category: std::mem::take(&mut last.category),
                from: last.at,
                to: end,
            });
            false
        });
        out.sort_by(|a, b| a.from.cmp(&b.from).then(a.person.cmp(&b.person)));
        out
    }

    /// How many people have a session open.
    pub fn open_sessions(&self) -> usize {
        self.open.len()
    }
}

/// A piece of browsing time inside one local hour, wholly inside or wholly outside the
/// personal-use window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// The local day.
    pub day: Date,
    /// The local hour (0 to 23).
    pub hour: i8,
    /// Inside the pack's `personal_use` window.
    pub inside: bool,
    /// Seconds.
    pub seconds: i64,
}

/// Splits `[from, to)` at local hour boundaries (so at midnight, on daylight saving days too)
/// and at the edges of the pack's windows; each slice says whether it is inside the
/// `personal_use` window (never, for a pack without one).
pub fn split(windows: &Windows, from: Timestamp, to: Timestamp) -> Vec<Slice> {
    let tz = windows.time_zone();
    let personal = windows.get("personal_use");
    let mut out: Vec<Slice> = Vec::new();
    let mut at = from;
    while at < to {
        let local = at.to_zoned_datetime(tz.clone());
        let into_minute = SignedDuration::from_secs(i64::from(local.second()))
            + SignedDuration::from_nanos(i64::from(local.subsec_nanosecond()));
        // The next local hour starts an hour after this one did: counted from the instant,
        // so a daylight saving change (at an hour's edge) and half-hour zones come out right.
        let next_hour = at - into_minute - SignedDuration::from_mins(i64::from(local.minute()))
            + SignedDuration::from_hours(1);
        // Window edges fall on whole local minutes. Most credits are a few minutes long
        // (at most the idle gap): stepping minute by minute is cheaper for them than finding
        // the next edge of every window.
        let edge = if to.duration_since(at) <= SignedDuration::from_mins(10) {
            at - into_minute + SignedDuration::from_mins(1)
        } else {
            windows.next_edge_after(at).unwrap_or(to)
        };
        let end = to.min(next_hour).min(edge);
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        let inside = personal.is_some_and(|w| w.contains_local(local.weekday(), minute));
        let seconds = end.duration_since(at).as_secs();
        let (day, hour) = (local.date(), local.hour());
        match out.last_mut() {
            Some(s) if s.day == day && s.hour == hour && s.inside == inside => s.seconds += seconds,
            _ => out.push(Slice {
                day,
                hour,
                inside,
                seconds,
            }),
        }
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a test instant")
    }

    fn windows() -> Windows {
        let pack = charter_policy::parse(
            r#"
[policy]
id = "x"
title = "x"
source = "x"
timezone = "Europe/London"
[organisation]
name = "X Ltd"
[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
breaks = [{ from = "12:30", to = "13:30" }]
personal_use = ["breaks", "outside_working"]
"#,
            "x.toml",
        )
        .expect("the test pack loads");
        pack.windows
    }

    #[test]
    fn first_request_credits_nothing() {
        let mut t = Tracker::new(120);
        assert_eq!(t.request("ann", at("2026-06-15T10:00:00Z"), "news"), None);
    }

    #[test]
    fn next_request_credits_the_time_between_for_the_earlier_category() {
        let mut t = Tracker::new(120);
        t.request("ann", at("2026-06-15T10:00:00Z"), "news");
        let c = t
            .request("ann", at("2026-06-15T10:00:45Z"), "streaming")
            .expect("a credit");
        assert_eq!((c.category.as_str(), c.seconds()), ("news", 45));
    }

    #[test]
    fn a_gap_longer_than_the_idle_gap_credits_only_the_gap() {
        let mut t = Tracker::new(120);
        t.request("ann", at("2026-06-15T10:00:00Z"), "news");
        let c = t
            .request("ann", at("2026-06-15T11:00:00Z"), "news")
            .expect("a credit");
        assert_eq!(c.seconds(), 120);
    }

    #[test]
    fn people_have_separate_sessions() {
        let mut t = Tracker::new(120);
        t.request("ann", at("2026-06-15T10:00:00Z"), "news");
        assert_eq!(t.request("bob", at("2026-06-15T10:00:30Z"), "news"), None);
        let c = t
            .request("ann", at("2026-06-15T10:01:00Z"), "news")
            .expect("a credit");
        assert_eq!((c.person.as_str(), c.seconds()), ("ann", 60));
    }

    #[test]
    fn out_of_order_request_credits_nothing_twice() {
        let mut t = Tracker::new(120);
        t.request("ann", at("2026-06-15T10:01:00Z"), "news");
        assert_eq!(t.request("ann", at("2026-06-15T10:00:00Z"), "news"), None);
        let c = t
            .request("ann", at("2026-06-15T10:01:30Z"), "news")
            .expect("a credit");
        assert_eq!(c.seconds(), 30);
    }

    #[test]
    fn close_idle_credits_the_last_request_the_gap() {
        let mut t = Tracker::new(120);
        t.request("ann", at("2026-06-15T10:00:00Z"), "news");
        assert!(t.close_idle(at("2026-06-15T10:01:00Z")).is_empty());
        let closed = t.close_idle(at("2026-06-15T10:05:00Z"));
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].seconds(), 120);
        assert_eq!(t.open_sessions(), 0);
    }

    #[test]
    fn split_inside_and_outside_the_break() {
        // 12:20 to 12:40 London summer time (UTC+1): ten minutes of work, ten of break.
        let s = split(
            &windows(),
            at("2026-06-15T11:20:00Z"),
            at("2026-06-15T11:40:00Z"),
        );
        let inside: i64 = s.iter().filter(|s| s.inside).map(|s| s.seconds).sum();
        let outside: i64 = s.iter().filter(|s| !s.inside).map(|s| s.seconds).sum();
        assert_eq!((inside, outside), (600, 600));
        assert!(s.iter().all(|s| s.hour == 12));
    }

    #[test]
    fn split_at_local_midnight() {
        // 23:50 to 00:10 London summer time.
        let s = split(
            &windows(),
            at("2026-06-15T22:50:00Z"),
            at("2026-06-15T23:10:00Z"),
        );
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].day.to_string(), s[0].hour, s[0].seconds),
            ("2026-06-15".to_string(), 23, 600)
        );
        assert_eq!(
            (s[1].day.to_string(), s[1].hour, s[1].seconds),
            ("2026-06-16".to_string(), 0, 600)
        );
        assert!(
            s.iter().all(|s| s.inside),
            "evenings are outside working hours"
        );
    }

    #[test]
    fn split_on_the_day_clocks_go_forward() {
        // 29 March 2026: 01:00 GMT becomes 02:00 BST. 00:30 GMT to 01:30 UTC spans local
        // 00:30 to 02:30: an hour of time in two local hours, none of it in hour 1.
        let s = split(
            &windows(),
            at("2026-03-29T00:30:00Z"),
            at("2026-03-29T01:30:00Z"),
        );
        let hours: Vec<(i8, i64)> = s.iter().map(|s| (s.hour, s.seconds)).collect();
        assert_eq!(hours, vec![(0, 1800), (2, 1800)]);
        assert!(s.iter().all(|s| s.day.to_string() == "2026-03-29"));
    }

    #[test]
    fn split_on_the_day_clocks_go_back() {
        // 25 October 2026: 02:00 BST becomes 01:00 GMT, so local hour 1 happens twice.
        // 00:00 to 02:00 UTC is 01:00 BST to 02:00 GMT: two hours, both in local hour 1.
        let s = split(
            &windows(),
            at("2026-10-25T00:00:00Z"),
            at("2026-10-25T02:00:00Z"),
        );
        let total: i64 = s.iter().map(|s| s.seconds).sum();
        assert_eq!(total, 7200);
        assert!(s.iter().all(|s| s.hour == 1));
    }

    #[test]
    fn split_without_personal_use_window_is_all_outside() {
        let w = Windows::new(TimeZone::UTC);
        let s = split(&w, at("2026-06-15T10:00:00Z"), at("2026-06-15T10:30:00Z"));
        assert_eq!(s.len(), 1);
        assert!(!s[0].inside);
        assert_eq!(s[0].seconds, 1800);
    }
}
