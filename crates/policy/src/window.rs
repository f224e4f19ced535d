//! Named time windows in the pack's local time.
//!
//! A window is judged on the local wall clock of the pack's time zone: "09:00-17:30 Mon-Fri"
//! in Europe/London means 09:00 GMT in winter and 09:00 BST in summer. Instants are turned
//! into local weekday and minute of day with jiff, which applies the zone's rules.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// Minutes in a day; `to = "24:00"` is allowed and means midnight at the end of the day.
const DAY_MINUTES: u16 = 24 * 60;

/// A set of weekdays.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Days(u8);

impl Days {
    /// Every day of the week.
    pub const ALL: Days = Days(0b111_1111);
    /// Monday to Friday.
    pub const WEEKDAYS: Days = Days(0b001_1111);

    fn bit(day: Weekday) -> u8 {
        1 << (day.to_monday_zero_offset() as u8)
    }

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & Self::bit(day) != 0
    }

    /// Parses `Mon-Fri`, `Mon,Wed,Fri`, `Sat-Sun`, `all`, `weekdays` or `weekends`.
    /// Ranges may wrap (`Fri-Mon`). Day names are three letters or whole, any case.
    pub fn parse(text: &str) -> Result<Days, String> {
        let expected = "expected days such as `Mon-Fri`, `Mon,Wed,Fri`, `Sat-Sun` or `all`";
        match text.trim().to_ascii_lowercase().as_str() {
            "all" | "daily" | "every day" => return Ok(Days::ALL),
            "weekdays" => return Ok(Days::WEEKDAYS),
            "weekends" => return Ok(Days(0b110_0000)),
            _ => {}
        }
        let mut days = Days(0);
        for part in text.split(',') {
            let part = part.trim();
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (a, b),
                None => (part, part),
            };
            let (Some(first), Some(last)) = (weekday(first), weekday(last)) else {
                return Err(format!("bad days `{text}`, {expected}"));
            };
            let mut day = first;
            loop {
                days.0 |= Self::bit(day);
                if day == last {
                    break;
                }
                day = day.next();
            }
        }
        Ok(days)
    }
}

fn weekday(name: &str) -> Option<Weekday> {
    let name = name.trim().to_ascii_lowercase();
    let days = [
        ("mon", "monday", Weekday::Monday),
        ("tue", "tuesday", Weekday::Tuesday),
        ("wed", "wednesday", Weekday::Wednesday),
        ("thu", "thursday", Weekday::Thursday),
        ("fri", "friday", Weekday::Friday),
        ("sat", "saturday", Weekday::Saturday),
        ("sun", "sunday", Weekday::Sunday),
    ];
    days.iter()
        .find(|(short, long, _)| name == *short || name == *long)
        .map(|(_, _, day)| *day)
}

impl fmt::Debug for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Days::ALL {
            return f.write_str("every day");
        }
        if *self == Days::WEEKDAYS {
            return f.write_str("Mon-Fri");
        }
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let listed: Vec<&str> = (0..7)
            .filter(|i| self.0 & (1 << i) != 0)
            .map(|i| names[i])
            .collect();
        f.write_str(&listed.join(","))
    }
}

/// A minute of the local day, 0 to 1440 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(u16);

impl ClockTime {
    /// Parses `HH:MM`, `00:00` to `24:00`.
    pub fn parse(text: &str) -> Result<ClockTime, String> {
        let bad = || format!("bad time `{text}`, expected HH:MM between 00:00 and 24:00");
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        if m > 59 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(ClockTime(h * 60 + m))
    }

    /// Minutes since local midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One stretch of local time on some days: `from` inclusive, `to` exclusive.
/// When `to` is before `from` the span runs overnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The days the span starts on.
    pub days: Days,
    /// Start, inclusive.
    pub from: ClockTime,
    /// End, exclusive.
    pub to: ClockTime,
}

impl Span {
    fn contains(&self, day: Weekday, minute: u16) -> bool {
        let (from, to) = (self.from.0, self.to.0);
        if from <= to {
            self.days.contains(day) && from <= minute && minute < to
        } else {
            (self.days.contains(day) && minute >= from)
                || (self.days.contains(day.previous()) && minute < to)
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}-{}", self.days, self.from, self.to)
    }
}

/// A window: spans, the complement of a window, or the union of several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    /// Inside any of these spans.
    Spans(Vec<Span>),
    /// Outside the inner window.
    Outside(Box<Window>),
    /// Inside any of the inner windows.
    Any(Vec<Window>),
}

impl Window {
    /// Whether local `day` and `minute` fall inside the window.
    pub fn contains_local(&self, day: Weekday, minute: u16) -> bool {
        match self {
            Window::Spans(spans) => spans.iter().any(|s| s.contains(day, minute)),
            Window::Outside(inner) => !inner.contains_local(day, minute),
            Window::Any(inner) => inner.iter().any(|w| w.contains_local(day, minute)),
        }
    }

    fn edges(&self, out: &mut Vec<u16>) {
        match self {
            Window::Spans(spans) => {
                for span in spans {
                    out.push(span.from.0 % DAY_MINUTES);
                    out.push(span.to.0 % DAY_MINUTES);
                }
            }
            Window::Outside(inner) => inner.edges(out),
            Window::Any(inner) => inner.iter().for_each(|w| w.edges(out)),
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::Spans(spans) => {
                let parts: Vec<String> = spans.iter().map(Span::to_string).collect();
                f.write_str(&parts.join(", "))
            }
            Window::Outside(inner) => write!(f, "outside ({inner})"),
            Window::Any(inner) => {
                let parts: Vec<String> = inner.iter().map(Window::to_string).collect();
                f.write_str(&parts.join(" or "))
            }
        }
    }
}

/// Whether each named window holds, worked out once for a stretch of time in which none
/// opens or closes ([`Windows::states_at`], [`Windows::stable_until`]), so that a gateway
/// deciding thousands of requests a second converts the instant to local time once a
/// stretch, not once a rule and request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowStates(BTreeMap<String, bool>);

impl WindowStates {
    /// Whether the window `name` holds; `None` for an unknown name.
    pub fn contains(&self, name: &str) -> Option<bool> {
        self.0.get(name).copied()
    }
}

/// The pack's named windows and the time zone they are read in.
#[derive(Debug, Clone)]
pub struct Windows {
    tz: TimeZone,
    named: BTreeMap<String, Window>,
}

/// Names every pack has once it has `[hours]`.
pub const BUILT_IN_WINDOWS: &[&str] = &["working", "breaks", "outside_working", "personal_use"];

impl Windows {
    /// Windows in `tz`; see [`Windows::insert`].
    pub fn new(tz: TimeZone) -> Self {
        Windows {
            tz,
            named: BTreeMap::new(),
        }
    }

    /// Adds or replaces a named window.
    pub fn insert(&mut self, name: impl Into<String>, window: Window) {
        self.named.insert(name.into(), window);
    }

    /// The window called `name`.
    pub fn get(&self, name: &str) -> Option<&Window> {
        self.named.get(name)
    }

    /// Every named window, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Window)> {
        self.named.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The time zone windows are read in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Whether the instant `at` falls inside the window `name`; `None` for an unknown name.
    pub fn contains(&self, name: &str, at: Timestamp) -> Option<bool> {
        let window = self.named.get(name)?;
        let local = at.to_zoned_datetime(self.tz.clone());
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        Some(window.contains_local(local.weekday(), minute))
    }

    /// Whether each named window holds at `at`: one conversion to local time for them all.
    pub fn states_at(&self, at: Timestamp) -> WindowStates {
        let local = at.to_zoned_datetime(self.tz.clone());
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        let day = local.weekday();
        WindowStates(
            self.named
                .iter()
                .map(|(name, w)| (name.clone(), w.contains_local(day, minute)))
                .collect(),
        )
    }

    /// The first instant after `at` at which any named window's state may change, exact
    /// across clock changes: every instant a window edge's local time can name (both, where
    /// the clock goes back) and the zone's next transition. Between `at` and it,
    /// [`Windows::states_at`] gives the same answer for every instant.
    pub fn stable_until(&self, at: Timestamp) -> Option<Timestamp> {
        let mut edges = Vec::new();
        self.named.values().for_each(|w| w.edges(&mut edges));
        edges.sort_unstable();
        edges.dedup();
        let transition = self
            .tz
            .following(at)
            .next()
            .map(|t| t.timestamp())
            .filter(|t| *t > at);
        if edges.is_empty() {
            return transition;
        }
        let today: Date = at.to_zoned_datetime(self.tz.clone()).date();
        (-1..=7)
            .filter_map(|offset| today.checked_add(offset.days()).ok())
            .flat_map(|day| {
                edges.iter().flat_map(move |m| {
                    let local = day.at((m / 60) as i8, (m % 60) as i8, 0, 0);
                    let both = self.tz.to_ambiguous_timestamp(local);
                    [both.earlier().ok(), both.later().ok()]
                })
            })
            .flatten()
            .chain(transition)
            .filter(|t| *t > at)
            .min()
    }

    /// The first instant after `at` at which any named window may open or close.
    /// Gateways use it to keep cached answers from outliving a window edge.
    pub fn next_edge_after(&self, at: Timestamp) -> Option<Timestamp> {
        let mut edges = Vec::new();
        self.named.values().for_each(|w| w.edges(&mut edges));
        edges.sort_unstable();
        edges.dedup();
        let today: Date = at.to_zoned_datetime(self.tz.clone()).date();
        (0..=7)
            .filter_map(|offset| today.checked_add(offset.days()).ok())
            .flat_map(|day| {
                edges.iter().filter_map(move |m| {
                    day.at((m / 60) as i8, (m % 60) as i8, 0, 0)
                        .to_zoned_datetime(self.tz.clone())
                        .ok()
                })
            })
            .map(|z| z.timestamp())
            .filter(|t| *t > at)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> TimeZone {
        TimeZone::get("Europe/London").unwrap()
    }

    fn working() -> Window {
        Window::Spans(vec![Span {
            days: Days::WEEKDAYS,
            from: ClockTime::parse("09:00").unwrap(),
            to: ClockTime::parse("17:30").unwrap(),
        }])
    }

    fn windows() -> Windows {
        let mut w = Windows::new(london());
        w.insert("working", working());
        w.insert("outside_working", Window::Outside(Box::new(working())));
        w
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn states_hold_for_every_instant_until_stable_until() {
        let mut w = windows();
        w.insert(
            "night",
            Window::Spans(vec![Span {
                days: Days::ALL,
                from: ClockTime::parse("01:30").unwrap(),
                to: ClockTime::parse("02:15").unwrap(),
            }]),
        );
        // Around both clock changes of 2026 in London, and an ordinary week.
        for start in [
            "2026-03-28T12:00:00Z",
            "2026-10-24T12:00:00Z",
            "2026-06-12T12:00:00Z",
        ] {
            let mut t = at(start);
            let end = t.checked_add(jiff::SignedDuration::from_hours(72)).unwrap();
            let mut stretch = (t, w.stable_until(t).unwrap(), w.states_at(t));
            while t < end {
                if t >= stretch.1 {
                    stretch = (t, w.stable_until(t).unwrap(), w.states_at(t));
                }
                for name in ["working", "outside_working", "night"] {
                    assert_eq!(
                        stretch.2.contains(name),
                        w.contains(name, t),
                        "{name} at {t} (stretch from {} until {})",
                        stretch.0,
                        stretch.1
                    );
                }
                t = t.checked_add(jiff::SignedDuration::from_secs(60)).unwrap();
            }
        }
    }

    #[test]
    fn stable_until_stops_at_a_window_edge() {
        let w = windows();
        assert_eq!(
            w.stable_until(at("2026-06-15T07:00:00Z")),
            Some(at("2026-06-15T08:00:00Z"))
        );
        assert_eq!(
            w.states_at(at("2026-06-15T07:59:00Z")).contains("working"),
            Some(false)
        );
        assert_eq!(
            w.states_at(at("2026-06-15T08:00:00Z")).contains("working"),
            Some(true)
        );
        assert_eq!(
            w.states_at(at("2026-06-15T08:00:00Z")).contains("nope"),
            None
        );
    }

    #[test]
    fn days_range() {
        let d = Days::parse("Mon-Fri").unwrap();
        assert!(d.contains(Weekday::Friday));
        assert!(!d.contains(Weekday::Saturday));
    }

    #[test]
    fn days_wrapping_range() {
        let d = Days::parse("Fri-Mon").unwrap();
        assert!(d.contains(Weekday::Sunday));
        assert!(!d.contains(Weekday::Tuesday));
    }

    #[test]
    fn days_list_and_full_names() {
        let d = Days::parse("monday, Wed,FRI").unwrap();
        assert_eq!(d.to_string(), "Mon,Wed,Fri");
    }

    #[test]
    fn days_bad_name() {
        let err = Days::parse("Mon-Fry").unwrap_err();
        assert_eq!(
            err,
            "bad days `Mon-Fry`, expected days such as `Mon-Fri`, `Mon,Wed,Fri`, `Sat-Sun` or `all`"
        );
    }

    #[test]
    fn time_accepts_midnight_end() {
        assert_eq!(ClockTime::parse("24:00").unwrap().minutes(), 1440);
    }

    #[test]
    fn time_rejects_out_of_range() {
        for bad in ["25:00", "09:60", "9:00", "0900", "24:01", "ab:cd", ""] {
            assert_eq!(
                ClockTime::parse(bad).unwrap_err(),
                format!("bad time `{bad}`, expected HH:MM between 00:00 and 24:00")
            );
        }
    }

    #[test]
    fn overnight_span_runs_into_next_day() {
        let span = Span {
            days: Days::parse("Fri").unwrap(),
            from: ClockTime::parse("22:00").unwrap(),
            to: ClockTime::parse("06:00").unwrap(),
        };
        assert!(span.contains(Weekday::Friday, 23 * 60));
        assert!(span.contains(Weekday::Saturday, 5 * 60));
        assert!(!span.contains(Weekday::Saturday, 23 * 60));
    }

    #[test]
    fn winter_working_hours_are_gmt() {
        // 2026-01-12 is a Monday; London is on GMT (UTC+0).
        assert_eq!(
            windows().contains("working", at("2026-01-12T08:59:00Z")),
            Some(false)
        );
        assert_eq!(
            windows().contains("working", at("2026-01-12T09:00:00Z")),
            Some(true)
        );
    }

    #[test]
    fn summer_working_hours_are_bst() {
        // 2026-06-15 is a Monday; London is on BST (UTC+1), so 09:00 local is 08:00 UTC.
        assert_eq!(
            windows().contains("working", at("2026-06-15T08:00:00Z")),
            Some(true)
        );
        assert_eq!(
            windows().contains("working", at("2026-06-15T16:30:00Z")),
            Some(false)
        );
    }

    #[test]
    fn unknown_window_is_none() {
        assert_eq!(
            windows().contains("lunch", at("2026-06-15T08:00:00Z")),
            None
        );
    }

    #[test]
    fn next_edge_is_the_coming_opening() {
        // Monday 2026-06-15 07:50 UTC = 08:50 BST: the next edge is 09:00 BST = 08:00 UTC.
        let edge = windows()
            .next_edge_after(at("2026-06-15T07:50:00Z"))
            .unwrap();
        assert_eq!(edge, at("2026-06-15T08:00:00Z"));
    }
}
