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

use super::usage::{Touched, is_personal, record, roles_of};
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
    user: &str,
    at: Timestamp,
    subject: String,
    description: &str,
) -> Result<Vec<NewRecord>> {
    let ctx = Context::new(Some(user.to_string()), roles_of(app, user).await?, at);
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

/// Seconds of `user` on `category` in `hour`: on the same weekday of past weeks, on each of
/// the past four weeks' days (both since the person was first seen; a day without use is a
/// 0), and on `day` itself.
async fn history(
    app: &App,
    user: &str,
    category: &str,
    day: Date,
    hour: i8,
) -> Result<(Vec<i64>, Vec<i64>, i64)> {
    let from = day.checked_sub((WEEKS * 7).days()).unwrap_or(day);
    let rows = app
        .store()
        .usage_hour_history(user, category, hour, from, day)
        .await?;
    let first = app.store().usage_first_day(user).await?.unwrap_or(day);
    let observed = rows.iter().find(|(d, _)| *d == day).map_or(0, |(_, s)| *s);
    let mut past = Vec::new();
    for w in 1..=WEEKS {
        let Ok(d) = day.checked_sub((w * 7).days()) else {
            break;
        };
        if d < first {
            break;
        }
        past.push(rows.iter().find(|(r, _)| *r == d).map_or(0, |(_, s)| *s));
    }
    let mut days = Vec::new();
    for back in 1..=28 {
        let Ok(d) = day.checked_sub(back.days()) else {
            break;
        };
        if d < first {
            break;
        }
        days.push(rows.iter().find(|(r, _)| *r == d).map_or(0, |(_, s)| *s));
    }
    Ok((past, days, observed))
}

/// Unusual hours among those `t` touched.
pub(super) async fn hours(app: &App, t: &Touched) -> Result<Vec<NewRecord>> {
    let mut out = Vec::new();
    if !has_rule(app) {
        return Ok(out);
    }
    let thresholds = Thresholds::default();
    for (user, category, day, hour) in &t.hours {
        if !is_personal(category) {
            continue;
        }
        let (past, days, observed) = history(app, user, category, *day, *hour).await?;
        let Some(u) = assess_both(&past, &days, observed, &thresholds) else {
            continue;
        };
        let slot = format!("{category}@{day}T{hour:02}");
        let at = t.latest.unwrap_or_else(Timestamp::now);
        if !app
            .store()
            .mark_first(user, "unusual_activity", &slot, at)
            .await?
        {
            continue;
        }
        let description = explain(&u, category, day.weekday(), *hour);
        out.extend(
            decide(
                app,
                user,
                at,
                format!("{category} on {day} at {hour:02}:00"),
                &description,
            )
            .await?,
        );
    }
    Ok(out)
}

/// A VPN login from a place or device the person has not logged in from before. A person's
/// first login only learns where they log in from.
pub(super) async fn vpn_login(
    app: &App,
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
        out.extend(
            decide(
                app,
                &login.user,
                login.at,
                format!("vpn login from {}", login.ip),
                &what,
            )
            .await?,
        );
    }
    Ok(out)
}
