//! The monthly compliance report for the policy owner and the Cyber Essentials readiness
//! check (issue 13): the month's figures gathered once ([`Gathered`]), one module per
//! section turning them into figures, charts and tables that each name their source records,
//! and [`MonthlyReport`] as plain data for `charter-report` to render (HTML, PDF).
//!
//! Monitoring records are counted by the database (`charter_store`'s report aggregates),
//! never read one by one; the registers are small and are read whole. No chart singles out a
//! person: charts are by category, team (teams under five people merged, [`teams`]) or month.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan as _};
use serde_json::json;

use charter_policy::Diagnostic;
use charter_policy::lint::Site;
use charter_store::{
    Account, Actor, Approval, Breach, Device, Incident, Leaver, MediaAuthorisation, ModelAgreement,
    Person, SocialAccount, SoftwareRequest, SubjectRequest, Tally, UsageTotal, User,
};

use crate::act::{Done, May, entry};
use crate::error::{Error, Result};
use crate::{AckDue, App, Review, roles};

mod acks;
mod alerts;
mod breaches;
mod devices;
mod governance;
mod leavers;
mod model;
mod readiness;
mod requests;
mod subjects;
pub mod teams;
mod trends;
mod usage;
mod web;

pub use model::{
    Bar, Chart, Control, Figure, MonthlyReport, Readiness, Requirement, Section, Table, rate,
};

/// How many months the trends cover, the report's own included.
pub const TREND_MONTHS: i32 = 6;

/// A calendar month in the pack's zone: its days and the instants that bound it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// The first day.
    pub first: Date,
    /// The last day.
    pub last: Date,
    /// Local midnight starting the first day.
    pub from: Timestamp,
    /// Local midnight after the last day.
    pub to: Timestamp,
}

impl Month {
    /// The month `text` names (`2026-11`), in `tz`.
    pub fn parse(text: &str, tz: &TimeZone) -> Result<Month> {
        let bad = || Error::Refused(format!("`{text}` is not a month such as 2026-11"));
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i16 = y.parse().map_err(|_| bad())?;
        let month: i8 = m.parse().map_err(|_| bad())?;
        let first = Date::new(year, month, 1).map_err(|_| bad())?;
        Month::starting(first, tz).ok_or_else(bad)
    }

    fn starting(first: Date, tz: &TimeZone) -> Option<Month> {
        let next = first.checked_add(1.month()).ok()?;
        Some(Month {
            first,
            last: next.yesterday().ok()?,
            from: first.to_zoned_datetime(tz.clone()).ok()?.timestamp(),
            to: next.to_zoned_datetime(tz.clone()).ok()?.timestamp(),
        })
    }

    /// The month `n` months before this one.
    pub fn back(&self, n: i32, tz: &TimeZone) -> Option<Month> {
        Month::starting(self.first.checked_sub(n.months()).ok()?, tz)
    }

    /// `2026-11`.
    pub fn label(&self) -> String {
        self.first.strftime("%Y-%m").to_string()
    }

    /// Whether the stored RFC 3339 instant `at` falls in the month.
    pub fn holds(&self, at: &str) -> bool {
        at.parse::<Timestamp>()
            .is_ok_and(|t| t >= self.from && t < self.to)
    }

    /// Whether the day `day` (`YYYY-MM-DD`) falls in the month.
    pub fn holds_day(&self, day: &str) -> bool {
        day.parse::<Date>()
            .is_ok_and(|d| d >= self.first && d <= self.last)
    }

    /// `at in 2026-11 (Europe/London)`: how sources name the month.
    fn filter(&self, column: &str, tz: &TimeZone) -> String {
        format!(
            "{column} in {} ({})",
            self.label(),
            tz.iana_name().unwrap_or("UTC")
        )
    }
}

/// Everything the sections read, gathered once.
#[derive(Debug)]
pub(crate) struct Gathered {
    month: Month,
    tz: TimeZone,
    now: Timestamp,
    people: Vec<Person>,
    accounts: Vec<Account>,
    devices: Vec<Device>,
    media: Vec<MediaAuthorisation>,
    software: Vec<SoftwareRequest>,
    approvals: Vec<Approval>,
    incidents: Vec<Incident>,
    breaches: Vec<Breach>,
    subject_requests: Vec<SubjectRequest>,
    leavers: Vec<Leaver>,
    users: Vec<User>,
    socials: Vec<SocialAccount>,
    acks_due: Vec<AckDue>,
    review: Option<Review>,
    lint: Vec<Diagnostic>,
    /// The pack's rules, for what the readiness check can see enforced.
    pack: charter_policy::Pack,
    records: i64,
    blocked: Vec<Tally>,
    flagged: Vec<Tally>,
    alerts: Vec<Tally>,
    /// Per model, the month's alerts it raised that people triaged and agreed with.
    agreement: Vec<ModelAgreement>,
    usage: Vec<UsageTotal>,
    /// Flagged records by verdict and check for each trend month, oldest first.
    history: Vec<(Month, Vec<Tally>)>,
}

impl Gathered {
    /// Flagged records of the month carrying `check`.
    fn check_count(&self, check: &str) -> i64 {
        self.flagged
            .iter()
            .filter(|t| t.key.get(1).and_then(|c| c.as_deref()) == Some(check))
            .map(|t| t.count)
            .sum()
    }

    fn filter(&self, column: &str) -> String {
        self.month.filter(column, &self.tz)
    }
}

impl App {
    /// Who may make the monthly report: the policy owners (register keepers, data
    /// protection, compliance, which is where packs put an auditor), and the operator.
    pub(crate) fn report_readers(&self) -> Vec<String> {
        let g = self.governance();
        roles(&[
            &g.register_roles,
            &g.data_protection_roles,
            &g.compliance_roles,
        ])
    }

    /// The report for `month` (`YYYY-MM`, in the pack's zone) as of `now`, with the pack
    /// linted for `site`. Making it is audited.
    pub async fn monthly_report(
        &self,
        actor: &Actor,
        month: &str,
        site: Site,
        now: Timestamp,
    ) -> Result<MonthlyReport> {
        let tz = self.time_zone().clone();
        let month = Month::parse(month, &tz)?;
        let readers = self.report_readers();
        let label = month.label();
        self.act(
            actor,
            "make the monthly report",
            May::OperatorOr(&readers),
            async |_, _| {
                Ok(Done::new(
                    (),
                    entry("report.make", "report", None, None, json!({"month": label})),
                ))
            },
        )
        .await?;
        let g = self.gather(month, tz, site, now).await?;
        Ok(self.assemble(&g))
    }

    async fn gather(
        &self,
        month: Month,
        tz: TimeZone,
        site: Site,
        now: Timestamp,
    ) -> Result<Gathered> {
        let (people, accounts, devices, media, software, approvals, incidents) = self
            .read(async |tx| {
                Ok((
                    tx.people().await?,
                    tx.accounts().await?,
                    tx.devices().await?,
                    tx.media_all().await?,
                    tx.software_requests().await?,
                    tx.approvals().await?,
                    tx.incidents().await?,
                ))
            })
            .await?;
        let (breaches, subject_requests, leavers, users, socials, agreement) = self
            .read(async |tx| {
                Ok((
                    tx.breaches().await?,
                    tx.subject_requests().await?,
                    tx.leavers().await?,
                    tx.users().await?,
                    tx.socials().await?,
                    tx.model_agreement(Some((month.from, month.to))).await?,
                ))
            })
            .await?;
        let store = &self.store;
        let mut history = Vec::new();
        for back in (1..TREND_MONTHS).rev() {
            if let Some(m) = month.back(back, &tz) {
                let t = store.flagged_by_verdict_and_check(m.from, m.to).await?;
                history.push((m, t));
            }
        }
        let flagged = store
            .flagged_by_verdict_and_check(month.from, month.to)
            .await?;
        history.push((month.clone(), flagged.clone()));
        Ok(Gathered {
            records: store.count_records_between(month.from, month.to).await?,
            blocked: store
                .blocked_by_user_and_categories(month.from, month.to)
                .await?,
            alerts: store
                .alerts_by_severity_and_status(month.from, month.to)
                .await?,
            usage: store.usage_by_category(month.first, month.last).await?,
            acks_due: self.acknowledgements_due(month.to.min(now)).await?,
            review: self.policy_review(now),
            lint: governance::lint(self.pack(), now.to_zoned_datetime(tz.clone()).date(), site),
            pack: self.pack().clone(),
            flagged,
            history,
            month,
            tz,
            now,
            people,
            accounts,
            devices,
            media,
            software,
            approvals,
            incidents,
            breaches,
            subject_requests,
            leavers,
            users,
            socials,
            agreement,
        })
    }

    fn assemble(&self, g: &Gathered) -> MonthlyReport {
        let meta = &self.pack().meta;
        MonthlyReport {
            organisation: self.pack().organisation.name.clone(),
            policy: meta.title.clone(),
            month: g.month.label(),
            period: format!(
                "{} ({})",
                g.month.first.strftime("%B %Y"),
                g.tz.iana_name().unwrap_or("UTC")
            ),
            generated_at: crate::clock::local_time(g.now, &g.tz),
            sections: vec![
                web::section(g),
                usage::section(g),
                alerts::section(g),
                trends::section(g),
                acks::section(g),
                devices::section(g),
                requests::section(g),
                breaches::section(g),
                subjects::section(g),
                leavers::section(g),
                governance::section(g),
            ],
            readiness: readiness::assess(g),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_bounded_by_local_midnights() {
        let tz = TimeZone::get("Europe/London").expect("zone");
        let m = Month::parse("2026-07", &tz).expect("month");
        assert_eq!(m.first.to_string(), "2026-07-01");
        assert_eq!(m.last.to_string(), "2026-07-31");
        // British Summer Time: local midnight is 23:00 UTC the day before.
        assert_eq!(m.from.to_string(), "2026-06-30T23:00:00Z");
        assert_eq!(m.to.to_string(), "2026-07-31T23:00:00Z");
        assert_eq!(m.back(7, &tz).expect("back").label(), "2025-12");
    }

    #[test]
    fn bad_months_are_refused_in_words() {
        let tz = TimeZone::UTC;
        for bad in ["2026-13", "2026-1", "November", "2026/11", ""] {
            let e = Month::parse(bad, &tz).expect_err(bad).to_string();
            assert!(e.contains("is not a month such as 2026-11"), "{e}");
        }
    }
}
