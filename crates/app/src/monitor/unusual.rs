//! `unusual_activity`: an hour of a category well above the person's own baseline for that
//! hour of the week (the same weekday and hour of the past eight weeks, median and MAD) and
//! for that hour of the day (each of the past 28 days), and
//! a VPN login from a place or a device the person has never logged in from. Each fires once
//! (per person, category and hour; per person and place or device).

use std::net::IpAddr;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan as _};

use charter_engine::activity::Activity;
use charter_engine::usage::baseline::{Thresholds, assess_both, explain};
use charter_engine::usage::first_seen::{Countries, place};
use charter_engine::{Context, Decision, Privacy};
use charter_policy::Check;
use charter_store::NewRecord;

use super::usage::{Cache, Slot, Touched, first_time, is_personal, record, roles_of, within_day};
use crate::App;
use crate::error::Result;

/// Past weeks a baseline is taken from.
const WEEKS: i64 = 8;

/// A VPN (remote access) login, as ingest reads it from OpenVPN, strongSwan and the like.
#[derive(Debug, Clone)]
pub struct VpnLogin {
    /// The account.
    pub user: String,
    /// When.
    pub at: Timestamp,
    /// Where from.
    pub ip: IpAddr,
    /// The device, when the log names one (a certificate name, a client id).
    pub device: Option<String>,
}

fn has_rule(app: &App) -> bool {
    app.pack()
        .rules
        .iter()
        .any(|r| r.checks.contains(&Check::UnusualActivity))
}

/// Decides `description` as unusual activity of `user` at `at`: the records of the findings.
async fn decide(
    app: &App,
    cache: &mut Cache,
    user: &str,
    at: Timestamp,
    subject: String,
    description: &str,
) -> Result<Vec<NewRecord>> {
    let ctx = Context::new(
        Some(user.to_string()),
        roles_of(app, cache, user).await?,
        at,
    );
    let d = app
        .engine()
        .decide_activity(&ctx, &Activity::Unusual { description });
    let findings: Vec<_> = d
        .findings
        .into_iter()
        .filter(|f| f.check == Check::UnusualActivity)
        .collect();
    if findings.is_empty() {
        return Ok(Vec::new());
    }
    let d = Decision::from_findings(findings, Privacy::Full, None);
    Ok(vec![record(user, at, subject, &d)])
}

/// The baselines of a slot: the seconds of `user` on `category` in `hour` on the same
/// weekday of past weeks, and on each of the past four weeks' days, both since the person was
/// first seen (a day without use is a 0). Read from the store once per slot.
async fn baselines(app: &App, cache: &mut Cache, slot: &Slot) -> Result<(Vec<i64>, Vec<i64>)> {
    if let Some(b) = cache.baselines.get(slot) {
        return Ok(b.clone());
    }
    let (user, category, day, hour) = slot;
    let first = match cache.first_days.get(user) {
        Some(d) => *d,
        None => {
            let d = app.store().usage_first_day(user).await?.unwrap_or(*day);
            cache.first_days.insert(user.clone(), d);
            d
        }
    };
    let from = day.checked_sub((WEEKS * 7).days()).unwrap_or(*day);
    let until = day.checked_sub(1.day()).unwrap_or(*day);
    let rows = app
        .store()
        .usage_hour_history(user, category, *hour, from, until)
        .await?;
    let on = |d: Date| rows.iter().find(|(r, _)| *r == d).map_or(0, |(_, s)| *s);
    let mut past = Vec::new();
    for w in 1..=WEEKS {
        match day.checked_sub((w * 7).days()) {
            Ok(d) if d >= first => past.push(on(d)),
            _ => break,
        }
    }
    let mut days = Vec::new();
    for back in 1..=28 {
        match day.checked_sub(back.days()) {
            Ok(d) if d >= first => days.push(on(d)),
            _ => break,
        }
    }
    cache
        .baselines
        .insert(slot.clone(), (past.clone(), days.clone()));
    Ok((past, days))
}

/// Unusual hours among those `t` touched: only an hour long enough to be unusual is
/// compared with its baselines.
pub(super) async fn hours(app: &App, cache: &mut Cache, t: &Touched) -> Result<Vec<NewRecord>> {
    let mut out = Vec::new();
    if !has_rule(app) {
        return Ok(out);
    }
    let thresholds = Thresholds::default();
    for (slot, observed) in &t.slots {
        let (user, category, day, hour) = slot;
        if *observed < thresholds.min_seconds || !is_personal(category) {
            continue;
        }
        let (past, days) = baselines(app, cache, slot).await?;
        let Some(u) = assess_both(&past, &days, *observed, &thresholds) else {
            continue;
        };
        let at = within_day(app, t.latest, *day);
        let mark = format!("{category}@{day}T{hour:02}");
        if !first_time(app, cache, user, "unusual_activity", &mark, at).await? {
            continue;
        }
        let description = explain(&u, category, day.weekday(), *hour);
        let subject = format!("{category} on {day} at {hour:02}:00");
        out.extend(decide(app, cache, user, at, subject, &description).await?);
    }
    Ok(out)
}

/// A VPN login from a place or device the person has not logged in from before. A person's
/// first login only learns where they log in from.
pub(super) async fn vpn_login(
    app: &App,
    cache: &mut Cache,
    countries: Option<&Countries>,
    login: &VpnLogin,
) -> Result<Vec<NewRecord>> {
    let mut out = Vec::new();
    let mut checks = vec![("vpn_place", place(login.ip, countries))];
    if let Some(device) = &login.device {
        checks.push(("vpn_device", format!("device:{device}")));
    }
    for (kind, value) in checks {
        let known = app.store().has_marks(&login.user, kind).await?;
        let new = app
            .store()
            .mark_first(&login.user, kind, &value, login.at)
            .await?;
        if !(known && new && has_rule(app)) {
            continue;
        }
        let what = match kind {
            "vpn_place" if value.starts_with("country:") => format!(
                "first VPN login from country {} (address {})",
                &value["country:".len()..],
                login.ip
            ),
            "vpn_place" => format!(
                "first VPN login from network {} (address {})",
                &value["net:".len()..],
                login.ip
            ),
            _ => format!(
                "first VPN login from {}",
                value.replacen("device:", "device ", 1)
            ),
        };
        let subject = format!("vpn login from {}", login.ip);
        out.extend(decide(app, cache, &login.user, login.at, subject, &what).await?);
    }
    Ok(out)
}
