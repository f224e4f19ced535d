//! Thirty days of generated activity at Demo Training Ltd, decided by the engine under the
//! demo pack and fed through the same path as real traffic: the records are written, then
//! the monitor raises alerts and keeps the personal-use figures; VPN sign-ins and USB
//! devices are decided as `charter ingest` decides log events. The generator is seeded, so
//! every first run makes the same month (relative to its day).

use std::sync::Arc;

use jiff::civil::{Date, Time, Weekday};
use jiff::{Timestamp, ToSpan as _};

use charter_app::App;
use charter_app::ingest::subject_of;
use charter_app::monitor::{Monitor, UsageConfig};
use charter_engine::Context;
use charter_engine::mail::{Envelope, MailInput};
use charter_engine::web::{Builtin, WebRequest};
use charter_proto::logs::{DeviceAction, EventKind, LogEvent, LoginSystem};
use charter_store::{Actor, NewRecord, Source};

use super::org::{DOMAIN, GAMBLER_INDEX, NIGHT_OWL_INDEX, Someone};

/// Days of activity.
pub(crate) const DAYS: i64 = 30;

/// A small deterministic generator (SplitMix64): the same month on every first run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const WORK: &[&str] = &[
    "https://www.demo-training.co.uk/courses",
    "https://www.demo-training.co.uk/bookings",
    "https://www.gov.uk/government/organisations/ofqual",
    "https://www.gov.uk/guidance/apprenticeship-funding-rules",
    "https://www.bbc.co.uk/news",
];

const PERSONAL: &[&str] = &[
    "https://www.facebook.com/",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.amazon.co.uk/gp/cart",
    "https://www.instagram.com/",
    "https://www.netflix.com/browse",
];

/// When a person's browsing sessions start on a working day, and whether each is
/// personal: the breaks and after work are, the rest mostly work.
const SESSIONS: &[(i8, i8, bool)] = &[
    (9, 5, false),
    (10, 31, true),
    (11, 10, false),
    (12, 35, true),
    (14, 0, false),
    (15, 1, true),
    (16, 10, false),
    (17, 40, true),
];

/// What the month made.
#[derive(Debug, Default)]
pub(crate) struct Made {
    pub records: usize,
    pub alerts: usize,
}

fn at(tz: &jiff::tz::TimeZone, day: Date, hour: i8, minute: i8, second: i64) -> Option<Timestamp> {
    let t = Time::new(hour, minute, 0, 0).ok()?;
    let z = day.to_datetime(t).to_zoned_datetime(tz.clone()).ok()?;
    Some(z.timestamp() + second.seconds())
}

/// Generates the month up to `now`, day by day.
pub(crate) async fn month(app: &App, people: &[Someone], now: Timestamp) -> anyhow::Result<Made> {
    let tz = app.time_zone().clone();
    let today = now.to_zoned_datetime(tz.clone()).date();
    let monitor = Monitor::new(
        Arc::clone(app.engine()),
        &UsageConfig::default(),
        None,
        None,
    );
    let actor = Actor::System("demo".into());
    let mut dice = Dice(0x00C4_A27E_2026);
    let mut made = Made::default();
    for back in (0..DAYS).rev() {
        let day = today.checked_sub(back.days())?;
        if day.weekday() == Weekday::Sunday {
            continue;
        }
        let mut records = if day.weekday() == Weekday::Saturday {
            Vec::new()
        } else {
            let mut r = web_day(app, people, day, &mut dice)?;
            r.extend(mail_day(app, people, day, &mut dice)?);
            r
        };
        records.extend(activity_day(app, &monitor, people, day, back, &mut dice).await?);
        records.retain(|r| r.at <= now);
        records.sort_by_key(|r| r.at);
        app.store().write_records(&actor, &records).await?;
        let written = monitor.written(app.store(), &records).await?;
        made.records += records.len() + written.findings;
        made.alerts += written.alerts;
    }
    Ok(made)
}

fn web_day(
    app: &App,
    people: &[Someone],
    day: Date,
    dice: &mut Dice,
) -> anyhow::Result<Vec<NewRecord>> {
    let tz = app.time_zone();
    let engine = app.engine();
    let source = Builtin::new();
    let mut out = Vec::new();
    for (n, p) in people.iter().enumerate() {
        if p.roles.iter().any(|r| r == "external") {
            continue;
        }
        for &(hour, minute, personal) in SESSIONS {
            if dice.chance(25) {
                continue;
            }
            let start_minute = (i64::from(minute) + dice.below(12) as i64) as i8;
            let mut url = if personal || dice.chance(10) {
                *dice.pick(PERSONAL)
            } else {
                *dice.pick(WORK)
            };
            if n == GAMBLER_INDEX && hour == 14 && dice.chance(30) {
                url = "https://www.bet365.com/";
            } else if hour == 11 && dice.chance(3) {
                url = "https://chatgpt.com/";
            } else if hour == 16 && dice.chance(1) {
                url = "https://nordvpn.com/download/";
            }
            let mut second = 0;
            for _ in 0..(3 + dice.below(6)) {
                second += 20 + dice.below(70) as i64;
                let Some(when) = at(tz, day, hour, start_minute.min(59), second) else {
                    continue;
                };
                let ctx = Context::new(Some(p.user.clone()), p.roles.clone(), when);
                let d = engine.decide_web(&ctx, &WebRequest::new(url), &source);
                out.push(NewRecord::from_decision(
                    when,
                    Some(p.user.clone()),
                    Source::Web,
                    url.to_string(),
                    None,
                    &d,
                ));
            }
        }
    }
    Ok(out)
}

/// A few messages each working day: replies to enquiries, now and then one marked
/// personal (headers only are kept), a bank-details change, a staff list in To.
fn mail_day(
    app: &App,
    people: &[Someone],
    day: Date,
    dice: &mut Dice,
) -> anyhow::Result<Vec<NewRecord>> {
    const KINDS: &[(&str, &str, &str)] = &[
        (
            "enquiries@example.com",
            "Re: Your course enquiry",
            "Thank you for your enquiry. The next Level 3 course starts on the first Monday of the month.",
        ),
        (
            "venue@example.org",
            "Room booking for next week",
            "Please can we book the training room for Tuesday and Wednesday.",
        ),
        (
            "friend@example.net",
            "Personal: dinner on Friday?",
            "Are we still on for Friday? Let me know.",
        ),
        (
            "accounts@example.com",
            "Change of bank details",
            "Please update our bank details: sort code 12-34-56, account number 12345678, with immediate effect.",
        ),
    ];
    let tz = app.time_zone();
    let engine = app.engine();
    let mut out = Vec::new();
    for m in 0..6u64 {
        let p = dice.pick(people);
        let (to, subject, body) = if m == 0 && dice.chance(60) {
            KINDS[2]
        } else if m == 1 && dice.chance(15) {
            KINDS[3]
        } else {
            *dice.pick(&KINDS[..2])
        };
        let Some(when) = at(tz, day, 9 + (m as i8), dice.below(60) as i8, 0) else {
            continue;
        };
        let from = format!("{}@{DOMAIN}", p.user);
        let date = when
            .to_zoned_datetime(tz.clone())
            .strftime("%a, %d %b %Y %H:%M:%S %z");
        let raw = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{}.{m}@{DOMAIN}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
            when.as_second()
        );
        let ctx = Context::new(Some(from.clone()), p.roles.clone(), when);
        let envelope = Envelope::default();
        let d = engine.decide_mail(&ctx, &MailInput::new(raw.as_bytes(), &envelope));
        out.push(NewRecord::from_decision(
            when,
            Some(from.clone()),
            Source::Mail,
            format!("From: {from}; To: {to}; Subject: {subject}"),
            None,
            &d,
        ));
    }
    Ok(out)
}

fn event(when: Timestamp, user: &str, kind: EventKind) -> LogEvent {
    LogEvent {
        at_us: when.as_microsecond(),
        user: Some(user.to_string()),
        reporter: "vpn1".into(),
        kind,
    }
}

/// VPN sign-ins (the night owl's outside the agreed hours now and then) and, twice in the
/// month, a USB stick nobody registered; decided as `charter ingest` decides log events.
async fn activity_day(
    app: &App,
    monitor: &Monitor,
    people: &[Someone],
    day: Date,
    back: i64,
    dice: &mut Dice,
) -> anyhow::Result<Vec<NewRecord>> {
    let tz = app.time_zone();
    let mut events = Vec::new();
    for _ in 0..3 {
        let p = dice.pick(people);
        let hour = 7 + dice.below(12) as i8;
        if let Some(when) = at(tz, day, hour, dice.below(60) as i8, 0) {
            events.push(vpn(when, p, dice));
        }
    }
    let owl = &people[NIGHT_OWL_INDEX];
    if back % 9 == 4
        && let Some(when) = at(tz, day, 22, 40, 0)
    {
        events.push(vpn(when, owl, dice));
    }
    if back == 12 || back == 3 {
        let p = &people[(back as usize) % people.len()];
        if let Some(when) = at(tz, day, 10, 15, 0) {
            let mut e = event(
                when,
                &p.user,
                EventKind::Device {
                    host: format!("dt-{}", p.user.replace('.', "-")),
                    id: "0781:5567".into(),
                    serial: Some("4C530001230918117433".into()),
                    name: "SanDisk Cruzer Blade".into(),
                    action: DeviceAction::Blocked,
                },
            );
            e.reporter = "usbguard".into();
            events.push(e);
        }
    }
    let mut out = Vec::new();
    for e in events {
        let Some(decision) = app.decide_event(&e).await? else {
            continue;
        };
        monitor.log_event(app.store(), &e).await?;
        let Ok(when) = Timestamp::from_microsecond(e.at_us) else {
            continue;
        };
        out.push(NewRecord::from_decision(
            when,
            e.user.clone(),
            Source::Activity,
            subject_of(&e),
            None,
            &decision,
        ));
    }
    Ok(out)
}

fn vpn(when: Timestamp, p: &Someone, dice: &mut Dice) -> LogEvent {
    let ip = format!("81.2.69.{}", 10 + dice.below(200));
    event(
        when,
        &p.user,
        EventKind::Login {
            system: LoginSystem::Vpn,
            session: Some(format!("{}/{ip}:1194", p.user)),
            from: Some(ip),
            mfa: Some(true),
            success: true,
        },
    )
}
