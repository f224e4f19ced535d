//! Unusual activity measured: a generated 90-day web log (50 people, each with their own
//! habits per category and hour of the week, day-to-day noise, busier days and stray short
//! visits) with anomalies injected after the first five weeks, run through the same pipeline
//! the app runs (sessions from request times, hourly split in Europe/London across the
//! daylight saving change, each person's baseline of the same hour in the past eight weeks).
//! Prints precision and recall and holds them above a floor.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::collections::{BTreeMap, BTreeSet};

use charter_engine::usage::baseline::{Thresholds, assess_both};
use charter_engine::usage::sessions::{Tracker, split};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan as _};

/// A small deterministic generator (splitmix64), so the log is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

const CATEGORIES: &[&str] = &["social_media", "streaming", "news", "shopping", "games"];
const PEOPLE: usize = 50;
const DAYS: i64 = 90;
const FIRST_INJECTED_DAY: i64 = 35;

fn windows() -> charter_policy::window::Windows {
    charter_policy::parse(
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
    .unwrap()
    .windows
}

/// Requests for `minutes` of browsing from `start`, one every 20 to 60 seconds.
fn session(rng: &mut Rng, start: Timestamp, minutes: i64, out: &mut Vec<Timestamp>) {
    let end = start + SignedDuration::from_mins(minutes);
    let mut at = start;
    while at < end {
        out.push(at);
        at += SignedDuration::from_secs(20 + rng.below(41) as i64);
    }
}

type Slot = (usize, &'static str, Date, i8);

#[test]
fn unusual_activity_precision_and_recall_on_a_generated_90_day_log() {
    let w = windows();
    let tz = w.time_zone().clone();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // 2 March 2026, a Monday: the log crosses the clocks going forward on 29 March.
    let first = Date::new(2026, 3, 2).unwrap();
    // Each person's habits: (category, weekday 0..7 or 7 for every weekday, hour, minutes).
    let habits: Vec<Vec<(&str, i64, i8, i64)>> = (0..PEOPLE)
        .map(|_| {
            (0..2 + rng.below(4))
                .map(|_| {
                    let cat = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
                    let day = if rng.chance(0.5) {
                        7
                    } else {
                        rng.below(7) as i64
                    };
                    let hour = [8, 12, 13, 17, 18, 19, 20, 21][rng.below(8) as usize];
                    (cat, day, hour, 5 + rng.below(20) as i64)
                })
                .collect()
        })
        .collect();
    // Requests per person and category, and the anomalies injected.
    let mut requests: Vec<(Timestamp, usize, &str)> = Vec::new();
    let mut injected: BTreeSet<Slot> = BTreeSet::new();
    for d in 0..DAYS {
        let day = first.checked_add(d.days()).unwrap();
        let weekday = day.weekday().to_monday_zero_offset() as i64;
        for (p, hs) in habits.iter().enumerate() {
            let mut out = Vec::new();
            for &(cat, wd, hour, minutes) in hs {
                if (wd != 7 && wd != weekday) || rng.chance(0.15) {
                    continue; // not this day, or a day without it
                }
                // Noise: most days 70% to 130% of the habit, a busy day up to twice.
                let factor = if rng.chance(0.08) {
                    1.6 + rng.below(40) as f64 / 100.0
                } else {
                    0.7 + rng.below(60) as f64 / 100.0
                };
                let mins = ((minutes as f64) * factor).round() as i64;
                let start = day.at(hour, rng.below(55 - mins.min(50) as u64 + 1) as i8, 0, 0);
                let start = start.to_zoned_datetime(tz.clone()).unwrap().timestamp();
                session(&mut rng, start, mins.min(55), &mut out);
                requests.extend(out.drain(..).map(|t| (t, p, cat)));
            }
            // Stray short visits at any hour: never long enough to matter.
            if rng.chance(0.3) {
                let cat = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
                let start = day.at(rng.below(24) as i8, rng.below(45) as i8, 0, 0);
                let start = start.to_zoned_datetime(tz.clone()).unwrap().timestamp();
                let mins = 1 + rng.below(8) as i64;
                session(&mut rng, start, mins, &mut out);
                requests.extend(out.drain(..).map(|t| (t, p, cat)));
            }
            // An anomaly: 40 to 55 minutes of a category in one hour, about once a month
            // per person after the first five weeks.
            if d >= FIRST_INJECTED_DAY && rng.chance(1.0 / 30.0) {
                let cat = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
                let hour = rng.below(24) as i8;
                let Ok(start) = day.at(hour, 0, 0, 0).to_zoned_datetime(tz.clone()) else {
                    continue;
                };
                let start = start.timestamp();
                let local = start.to_zoned_datetime(tz.clone());
                if local.hour() != hour {
                    continue; // the hour the clocks skipped
                }
                let mins = 40 + rng.below(16) as i64;
                session(&mut rng, start, mins, &mut out);
                requests.extend(out.drain(..).map(|t| (t, p, cat)));
                injected.insert((p, cat, day, hour));
            }
        }
    }
    requests.sort_by_key(|r| r.0);
    let lines = requests.len();

    // The app's pipeline: sessions, hourly split, per person, category, day and hour.
    let mut tracker = Tracker::new(120);
    let names: Vec<String> = (0..PEOPLE).map(|p| format!("p{p}")).collect();
    let mut hours: BTreeMap<(usize, String, Date, i8), i64> = BTreeMap::new();
    let credit = |c: charter_engine::usage::sessions::Credit, hours: &mut BTreeMap<_, i64>| {
        let p: usize = c.person[1..].parse().unwrap();
        for s in split(&w, c.from, c.to) {
            *hours
                .entry((p, c.category.clone(), s.day, s.hour))
                .or_default() += s.seconds;
        }
    };
    for (at, p, cat) in &requests {
        if let Some(c) = tracker.request(&names[*p], *at, cat) {
            credit(c, &mut hours);
        }
    }
    for c in tracker.close_idle(Timestamp::MAX) {
        credit(c, &mut hours);
    }

    let thresholds = Thresholds::default();
    let mut flagged: BTreeSet<(usize, String, Date, i8)> = BTreeSet::new();
    for ((p, cat, day, hour), observed) in &hours {
        let mut past = Vec::new();
        for wk in 1..=8i64 {
            let Ok(d) = day.checked_sub((wk * 7).days()) else {
                break;
            };
            if d < first {
                break;
            }
            past.push(
                hours
                    .get(&(*p, cat.clone(), d, *hour))
                    .copied()
                    .unwrap_or(0),
            );
        }
        let mut days = Vec::new();
        for back in 1..=28i64 {
            let Ok(d) = day.checked_sub(back.days()) else {
                break;
            };
            if d < first {
                break;
            }
            days.push(
                hours
                    .get(&(*p, cat.clone(), d, *hour))
                    .copied()
                    .unwrap_or(0),
            );
        }
        if assess_both(&past, &days, *observed, &thresholds).is_some() {
            flagged.insert((*p, cat.clone(), *day, *hour));
        }
    }
    // Injected anomalies before four weeks of history cannot be judged; none are (day 35 on).
    let truth: BTreeSet<(usize, String, Date, i8)> = injected
        .iter()
        .map(|(p, c, d, h)| (*p, c.to_string(), *d, *h))
        .collect();
    let hits = flagged.intersection(&truth).count();
    let precision = hits as f64 / flagged.len().max(1) as f64;
    let recall = hits as f64 / truth.len().max(1) as f64;
    println!(
        "unusual_activity: {PEOPLE} people, {DAYS} days, {lines} requests; injected {}, flagged {}, correct {hits}: precision {precision:.3}, recall {recall:.3}",
        truth.len(),
        flagged.len()
    );
    // SHOW_FP=1 lists the false positives with their history.
    if std::env::var("SHOW_FP").is_ok() {
        for fp in flagged.difference(&truth) {
            let (p, cat, day, hour) = fp;
            let past: Vec<i64> = (1..=8i64)
                .filter_map(|wk| day.checked_sub((wk * 7).days()).ok())
                .filter(|d| *d >= first)
                .map(|d| {
                    hours
                        .get(&(*p, cat.clone(), d, *hour))
                        .copied()
                        .unwrap_or(0)
                })
                .collect();
            println!(
                "fp {fp:?} observed {} past {past:?} habits {:?}",
                hours[fp], habits[*p]
            );
        }
    }
    assert!(
        truth.len() >= 50,
        "enough anomalies to measure: {}",
        truth.len()
    );
    assert!(precision >= 0.9, "precision {precision:.3}");
    assert!(recall >= 0.8, "recall {recall:.3}");
}
