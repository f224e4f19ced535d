//! Personal-use accounting from committed records, and `excessive_personal_use` against the
//! pack's daily thresholds, once per person, rule and day.
//!
//! Browsing time counts toward a person's personal use on every web category except
//! `other`, `public_ai` and sites no list names (`uncategorised`), which are taken as work;
//! time inside and outside the personal-use windows both count (the figures keep them apart).
//! Personal email is the count of messages marked personal (`personal_mail`), from the
//! milter's headers-only records.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;

use charter_engine::activity::Activity;
use charter_engine::usage::sessions::{Credit, Tracker, split};
use charter_engine::{Context, Decision, Privacy};
use charter_policy::Check;
use charter_store::{NewRecord, Source, UsageAdd};

use crate::error::Result;
use crate::{App, FastMap};

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
    /// Per person and local day: personal seconds and personal-mail messages added.
    pub days: BTreeMap<(String, Date), (i64, i64)>,
    /// Each person, category, local day and hour that got browsing time, with its total
    /// seconds after this batch.
    pub slots: Vec<(Slot, i64)>,
    /// The latest record time seen: the monitor's "now", never the wall clock, so a log
    /// ingested late is judged as of its own time.
    pub latest: Option<Timestamp>,
}

/// A person, category, local day and hour.
pub(super) type Slot = (String, String, Date, i8);

/// What the monitor remembers between batches so that most batches ask the store nothing
/// beyond their own writes: each person's personal time per day, baselines, roles, and what
/// has fired. It is forgotten when the records' day moves on; the store's marks keep firing
/// once across that and across restarts.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    day: Option<Date>,
    days: HashMap<(String, Date), (i64, i64)>,
    pub(super) baselines: HashMap<Slot, (Vec<i64>, Vec<i64>)>,
    pub(super) first_days: HashMap<String, Date>,
    roles: HashMap<String, Vec<String>>,
    pub(super) fired: HashSet<String>,
}

impl Cache {
    /// Forgets everything but first days when `today` is a new day.
    fn roll(&mut self, today: Date) {
        if self.day != Some(today) {
            let first_days = std::mem::take(&mut self.first_days);
            *self = Cache {
                day: Some(today),
                first_days,
                ..Cache::default()
            };
        }
    }
}

/// A person, local day, hour and category, borrowed from the records and credits of a batch.
type Key<'a> = (&'a str, Date, i8, &'a str);

/// Credits `records` to their people's sessions and stores the figures.
pub(super) async fn account(
    app: &App,
    tracker: &mut Tracker,
    cache: &mut Cache,
    records: &[NewRecord],
) -> Result<Touched> {
    let tz = app.time_zone().clone();
    let mut t = Touched::default();
    let mut order: Vec<&NewRecord> = records
        .iter()
        .filter(|r| r.user.is_some() && matches!(r.source, Source::Web | Source::Mail))
        .collect();
    order.sort_by_key(|r| r.at);
    // Inside, outside, requests.
    let mut sums: FastMap<Key<'_>, (i64, i64, i64)> = FastMap::default();
    let mut credits: Vec<Credit> = Vec::new();
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
        sums.entry((user, local.date(), local.hour(), category))
            .or_default()
            .2 += 1;
        t.latest = t.latest.max(Some(r.at));
        if r.source == Source::Web
            && let Some(c) = tracker.request(user, r.at, category)
        {
            credits.push(c);
        }
    }
    if let Some(now) = t.latest {
        credits.extend(tracker.close_idle(now));
        cache.roll(now.to_zoned_datetime(tz).date());
    }
    for c in &credits {
        for s in split(&app.pack().windows, c.from, c.to) {
            let e = sums
                .entry((&c.person, s.day, s.hour, &c.category))
                .or_default();
            if s.inside {
                e.0 += s.seconds;
            } else {
                e.1 += s.seconds;
            }
        }
    }
    let mut sums: Vec<_> = sums.into_iter().collect();
    sums.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let adds: Vec<UsageAdd> = sums
        .into_iter()
        .map(
            |((person, day, hour, category), (inside, outside, requests))| UsageAdd {
                person: person.to_string(),
                day,
                hour,
                category: category.to_string(),
                inside,
                outside,
                requests,
            },
        )
        .collect();
    let totals = app.store().add_usage(&adds).await?;
    for (a, total) in adds.into_iter().zip(totals) {
        let day = t.days.entry((a.person.clone(), a.day)).or_default();
        if a.category == PERSONAL_MAIL {
            day.1 += a.requests;
        } else if is_personal(&a.category) {
            day.0 += a.inside + a.outside;
        }
        if a.inside + a.outside > 0 {
            t.slots.push(((a.person, a.category, a.day, a.hour), total));
        }
    }
    Ok(t)
}

/// The roles of the person holding account `user`, for the engine's context (read once a
/// day per account).
pub(super) async fn roles_of(app: &App, cache: &mut Cache, user: &str) -> Result<Vec<String>> {
    if let Some(roles) = cache.roles.get(user) {
        return Ok(roles.clone());
    }
    let mut tx = app.store().begin().await?;
    let roles = match tx.person_by_account(user).await? {
        Some(id) => tx.person(id).await?.roles,
        None => Vec::new(),
    };
    tx.commit().await?;
    cache.roles.insert(user.to_string(), roles.clone());
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

/// `latest`, or the last second of `day` when `latest` is later (a batch spanning midnight).
pub(super) fn within_day(app: &App, latest: Option<Timestamp>, day: Date) -> Timestamp {
    let tz = app.time_zone();
    let end = day
        .at(23, 59, 59, 0)
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .ok();
    match (latest, end) {
        (Some(l), Some(e)) => l.min(e),
        (Some(l), None) => l,
        (None, Some(e)) => e,
        (None, None) => Timestamp::now(),
    }
}

/// Whether `key` fires for the first time: not yet in this process, and the store's mark
/// (the first on any node) is new.
pub(super) async fn first_time(
    app: &App,
    cache: &mut Cache,
    user: &str,
    kind: &str,
    value: &str,
    at: Timestamp,
) -> Result<bool> {
    let key = format!("{kind}\u{0}{user}\u{0}{value}");
    if !cache.fired.insert(key) {
        return Ok(false);
    }
    Ok(app.store().mark_first(user, kind, value, at).await?)
}

/// `excessive_personal_use` for every person and day `t` touched, fired once per person,
/// rule and day (the store's mark makes it once across restarts and nodes too).
pub(super) async fn excessive(app: &App, cache: &mut Cache, t: &Touched) -> Result<Vec<NewRecord>> {
    let mut out = Vec::new();
    let rules = app
        .pack()
        .rules
        .iter()
        .filter(|r| r.checks.contains(&Check::ExcessivePersonalUse));
    let (mut least_minutes, mut least_messages) = (None::<u32>, None::<u32>);
    for r in rules {
        if let Some(m) = r.max_minutes_per_day {
            least_minutes = Some(least_minutes.map_or(m, |l| l.min(m)));
        }
        if let Some(m) = r.max_messages_per_day {
            least_messages = Some(least_messages.map_or(m, |l| l.min(m)));
        }
    }
    if least_minutes.is_none() && least_messages.is_none() {
        return Ok(out);
    }
    for ((user, day), (seconds, messages)) in &t.days {
        let key = (user.clone(), *day);
        let (seconds, messages) = match cache.days.get_mut(&key) {
            Some(known) => {
                known.0 += seconds;
                known.1 += messages;
                *known
            }
            None => {
                // Read once, after this batch was added: it holds this batch too.
                let figures = app.store().usage_days(Some(user), *day, *day).await?;
                let known = figures.iter().fold((0, 0), |(s, m), f| {
                    if f.category == PERSONAL_MAIL {
                        (s, m + f.requests)
                    } else if is_personal(&f.category) {
                        (s + f.seconds_inside + f.seconds_outside, m)
                    } else {
                        (s, m)
                    }
                });
                cache.days.insert(key, known);
                known
            }
        };
        let minutes = u32::try_from(seconds / 60).unwrap_or(u32::MAX);
        let count = u32::try_from(messages).unwrap_or(u32::MAX);
        let over =
            least_minutes.is_some_and(|l| minutes > l) || least_messages.is_some_and(|l| count > l);
        if !over {
            continue;
        }
        let at = within_day(app, t.latest, *day);
        let ctx = Context::new(Some(user.clone()), roles_of(app, cache, user).await?, at);
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
                if !first_time(app, cache, user, "excessive_personal_use", &mark, at).await? {
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
