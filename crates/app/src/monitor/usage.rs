//! Personal-use accounting from committed records, and `excessive_personal_use` against the
//! pack's daily thresholds, once per person, rule and day.
//!
//! Browsing time counts toward a person's personal use on every web category except
//! `other`, `public_ai` and sites no list names (`uncategorised`), which are taken as work;
//! time inside and outside the personal-use windows both count (the figures keep them apart).
//! Personal email is the count of messages marked personal (`personal_mail`), from the
//! milter's headers-only records.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::Date;

use charter_engine::activity::Activity;
use charter_engine::usage::sessions::{Credit, Tracker, split};
use charter_engine::{Context, Decision, Privacy};
use charter_policy::Check;
use charter_store::{NewRecord, Source, UsageAdd};

use crate::App;
use crate::error::Result;

/// The category of requests no list names.
pub(super) const UNCATEGORISED: &str = "uncategorised";
/// The category under which personal-marked messages are counted.
pub(super) const PERSONAL_MAIL: &str = "personal_mail";
/// Categories taken as work, not personal use.
const WORK: &[&str] = &["other", "public_ai", UNCATEGORISED, PERSONAL_MAIL];

/// Whether time on `category` is personal use.
pub(super) fn is_personal(category: &str) -> bool {
    !WORK.contains(&category)
}

/// What one batch's accounting touched.
#[derive(Debug, Default)]
pub(super) struct Touched {
    /// People and local days with new figures.
    pub days: BTreeSet<(String, Date)>,
    /// People, categories, local days and hours with new browsing time.
    pub hours: BTreeSet<(String, String, Date, i8)>,
    /// The latest record time seen: the monitor's "now", never the wall clock, so a log
    /// ingested late is judged as of its own time.
    pub latest: Option<Timestamp>,
}

type Key = (String, Date, i8, String);

fn credit(app: &App, c: &Credit, adds: &mut BTreeMap<Key, (i64, i64, i64)>, t: &mut Touched) {
    for s in split(&app.pack().windows, c.from, c.to) {
        let e = adds
            .entry((c.person.clone(), s.day, s.hour, c.category.clone()))
            .or_default();
        if s.inside {
            e.0 += s.seconds;
        } else {
            e.1 += s.seconds;
        }
        t.days.insert((c.person.clone(), s.day));
        t.hours
            .insert((c.person.clone(), c.category.clone(), s.day, s.hour));
    }
}

/// Credits `records` to their people's sessions and stores the figures.
pub(super) async fn account(
    app: &App,
    tracker: &mut Tracker,
    records: &[NewRecord],
) -> Result<Touched> {
    let tz = app.time_zone().clone();
    let mut t = Touched::default();
    let mut adds: BTreeMap<Key, (i64, i64, i64)> = BTreeMap::new();
    let mut order: Vec<&NewRecord> = records
        .iter()
        .filter(|r| r.user.is_some() && matches!(r.source, Source::Web | Source::Mail))
        .collect();
    order.sort_by_key(|r| r.at);
    for r in order {
        let Some(user) = r.user.as_deref() else {
            continue;
        };
        let local = r.at.to_zoned_datetime(tz.clone());
        let category = match r.source {
            Source::Mail if r.privacy == Privacy::HeadersOnly => PERSONAL_MAIL,
            Source::Mail => continue,
            _ => r
                .categories
                .as_deref()
                .and_then(|c| c.split(',').next())
                .filter(|c| !c.is_empty())
                .unwrap_or(UNCATEGORISED),
        };
        adds.entry((
            user.to_string(),
            local.date(),
            local.hour(),
            category.to_string(),
        ))
        .or_default()
        .2 += 1;
        t.days.insert((user.to_string(), local.date()));
        t.latest = t.latest.max(Some(r.at));
        if r.source == Source::Web
            && let Some(c) = tracker.request(user, r.at, category)
        {
            credit(app, &c, &mut adds, &mut t);
        }
    }
    if let Some(now) = t.latest {
        for c in tracker.close_idle(now) {
            credit(app, &c, &mut adds, &mut t);
        }
    }
    let adds: Vec<UsageAdd> = adds
        .into_iter()
        .map(
            |((person, day, hour, category), (inside, outside, requests))| UsageAdd {
                person,
                day,
                hour,
                category,
                inside,
                outside,
                requests,
            },
        )
        .collect();
    app.store().add_usage(&adds).await?;
    Ok(t)
}

/// The roles of the person holding account `user`, for the engine's context.
pub(super) async fn roles_of(app: &App, user: &str) -> Result<Vec<String>> {
    let mut tx = app.store().begin().await?;
    let roles = match tx.person_by_account(user).await? {
        Some(id) => tx.person(id).await?.roles,
        None => Vec::new(),
    };
    tx.commit().await?;
    Ok(roles)
}

/// A record of the monitor's own finding, for `user` at `at`.
pub(super) fn record(user: &str, at: Timestamp, subject: String, d: &Decision) -> NewRecord {
    NewRecord::from_decision(
        at,
        Some(user.to_string()),
        Source::Activity,
        subject,
        None,
        d,
    )
}

/// `excessive_personal_use` for every person and day `t` touched, fired once per person,
/// rule and day (the store's mark makes it once across restarts and nodes too).
pub(super) async fn excessive(app: &App, t: &Touched) -> Result<Vec<NewRecord>> {
    let mut out = Vec::new();
    if !app
        .pack()
        .rules
        .iter()
        .any(|r| r.checks.contains(&Check::ExcessivePersonalUse))
    {
        return Ok(out);
    }
    for (user, day) in &t.days {
        let figures = app.store().usage_days(Some(user), *day, *day).await?;
        let seconds: i64 = figures
            .iter()
            .filter(|f| is_personal(&f.category))
            .map(|f| f.seconds_inside + f.seconds_outside)
            .sum();
        let messages: i64 = figures
            .iter()
            .filter(|f| f.category == PERSONAL_MAIL)
            .map(|f| f.requests)
            .sum();
        let at = t.latest.unwrap_or_else(Timestamp::now);
        let ctx = Context::new(Some(user.clone()), roles_of(app, user).await?, at);
        let minutes = u32::try_from(seconds / 60).unwrap_or(u32::MAX);
        let count = u32::try_from(messages).unwrap_or(u32::MAX);
        for event in [
            Activity::PersonalUse {
                minutes_today: minutes,
            },
            Activity::PersonalMail {
                messages_today: count,
            },
        ] {
            let d = app.engine().decide_activity(&ctx, &event);
            for f in d.findings {
                if f.check != Check::ExcessivePersonalUse {
                    continue;
                }
                let mark = format!("{}@{day}", f.rule);
                if !app
                    .store()
                    .mark_first(user, "excessive_personal_use", &mark, at)
                    .await?
                {
                    continue;
                }
                let message = format!("{} (on {day})", f.message);
                let f = charter_engine::Finding { message, ..f };
                let one = Decision::from_findings(vec![f], Privacy::Full, None);
                out.push(record(user, at, format!("personal use on {day}"), &one));
            }
        }
    }
    Ok(out)
}
