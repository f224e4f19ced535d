//! Alerts: findings of rules that name `alert = [...]` routes, one per person, rule and hour,
//! with their triage (open, confirmed, dismissed, referred) and delivery (mailed at once, or
//! in a daily digest). Who may see or triage which route is `charter-app`'s.

use jiff::Timestamp;
use serde::Serialize;

use sqlx::AssertSqlSafe;

use crate::db::{Row, push_rows};
use crate::error::{Result, check_len, check_text};
use crate::model::{AlertStatus, word};
use crate::registers::{LONG, SHORT};
use crate::time::{now_us, show_us, to_us};
use crate::txn::Txn;

/// An alert to raise.
#[derive(Debug, Clone)]
pub struct NewAlert {
    /// When the event happened.
    pub at: Timestamp,
    /// The account name on the record (`-` for an unknown user).
    pub user: String,
    /// The person holding that account, when known.
    pub person_id: Option<i64>,
    /// The rule.
    pub rule: String,
    /// Its check, when it has one.
    pub check: Option<String>,
    /// The rule's severity.
    pub severity: String,
    /// The routes the rule names (`safeguarding`, `dpo`, ...).
    pub routes: Vec<String>,
    /// The clause the rule enforces.
    pub clause: Option<String>,
    /// What happened, for the people the alert goes to.
    pub message: String,
    /// `web`, `mail` or `activity`.
    pub source: String,
    /// The record's subject (URL or mail headers).
    pub subject: String,
    /// `full` or `headers_only`.
    pub privacy: String,
    /// The model that made the finding, when a classifier did.
    pub model: Option<AlertModel>,
}

/// The model behind a classifier's alert.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertModel {
    /// Its name (`alt-profanity-check`, `site-classifier`).
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its score, 0 to 1 (kept to four decimals).
    pub score: f64,
}

// INVARIANT: scores are finite, so equality is total.
impl Eq for AlertModel {}

/// How a triager decided an alert.
#[derive(Debug, Clone, Copy)]
pub struct AlertDecision<'a> {
    /// The state it moves to.
    pub status: AlertStatus,
    /// The state it must be in (another triager may have got there first).
    pub from: AlertStatus,
    /// Who decided.
    pub by: Option<i64>,
    /// Their note.
    pub note: Option<&'a str>,
    /// For a referral, the incident it opened.
    pub incident: Option<i64>,
    /// For a model's alert, whether the triager agreed with the model (`None` keeps what
    /// was recorded).
    pub agreed: Option<bool>,
}

/// How often the people triaging one model's alerts agreed with it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ModelAgreement {
    /// The model.
    pub model: String,
    /// Its version.
    pub version: String,
    /// Its alerts triaged (confirmed, dismissed, or confirmed and referred).
    pub reviewed: i64,
    /// Of those, how many the triager agreed with.
    pub agreed: i64,
    /// Its alerts still open.
    pub open: i64,
}

/// A raised alert.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Alert {
    /// Id.
    pub id: i64,
    /// When raised.
    pub raised_at: String,
    /// When the event happened.
    pub at: String,
    /// The event's time in microseconds (to find its record).
    #[serde(skip)]
    pub at_us: i64,
    /// The account name.
    pub user: String,
    /// The person, when known.
    pub person_id: Option<i64>,
    /// The rule.
    pub rule: String,
    /// Its check.
    pub check: Option<String>,
    /// Severity.
    pub severity: String,
    /// Routes.
    pub routes: Vec<String>,
    /// The clause.
    pub clause: Option<String>,
    /// What happened.
    pub message: String,
    /// `web`, `mail` or `activity`.
    pub source: String,
    /// The record's subject.
    #[serde(skip)]
    pub subject: String,
    /// `full` or `headers_only`.
    pub privacy: String,
    /// Where it stands.
    pub status: AlertStatus,
    /// The triager's note.
    pub note: Option<String>,
    /// Who triaged it.
    pub decided_by: Option<i64>,
    /// When.
    pub decided_at: Option<String>,
    /// The disciplinary incident a referral opened.
    pub incident_id: Option<i64>,
    /// When it was mailed at once.
    pub mailed_at: Option<String>,
    /// When it went out in a digest.
    pub digested_at: Option<String>,
    /// The model that made the finding, when a classifier did.
    pub model: Option<AlertModel>,
    /// For a model's alert, whether the triager agreed with the model.
    pub reviewer_agreed: Option<bool>,
}

impl Alert {
    fn from_row(r: &Row) -> Result<Alert> {
        let at_us = r.i64("at")?;
        Ok(Alert {
            id: r.i64("id")?,
            raised_at: show_us(r.i64("raised_at")?),
            at: show_us(at_us),
            at_us,
            user: r.text("user_name")?,
            person_id: r.opt_i64("person_id")?,
            rule: r.text("rule")?,
            check: r.opt_text("check_name")?,
            severity: r.text("severity")?,
            routes: r
                .text("routes")?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            clause: r.opt_text("clause")?,
            message: r.text("message")?,
            source: r.text("source")?,
            subject: r.text("subject")?,
            privacy: r.text("privacy")?,
            status: word(r, "status")?,
            note: r.opt_text("note")?,
            decided_by: r.opt_i64("decided_by")?,
            decided_at: r.opt_i64("decided_at")?.map(show_us),
            incident_id: r.opt_i64("incident_id")?,
            mailed_at: r.opt_i64("mailed_at")?.map(show_us),
            digested_at: r.opt_i64("digested_at")?.map(show_us),
            model: match r.opt_text("model")? {
                Some(name) => Some(AlertModel {
                    name,
                    version: r.opt_text("model_version")?.unwrap_or_default(),
                    score: r.opt_i64("model_score")?.unwrap_or(0) as f64 / SCORE_UNITS,
                }),
                None => None,
            },
            reviewer_agreed: r.opt_bool("reviewer_agreed")?,
        })
    }
}

/// Model scores are stored in ten-thousandths, an exact integer on both engines.
const SCORE_UNITS: f64 = 10_000.0;

/// The hour an alert is de-duplicated in: its event's time cut to the hour (UTC).
fn hour_us(at: Timestamp) -> i64 {
    const HOUR: i64 = 3_600_000_000;
    to_us(at).div_euclid(HOUR) * HOUR
}

impl NewAlert {
    /// What makes two alerts one: the same user, rule and hour (the store keeps the first).
    pub fn key(&self) -> (&str, &str, i64) {
        (&self.user, &self.rule, hour_us(self.at))
    }
}

/// Alerts one statement raises: 720 parameters.
const ALERTS_PER_STATEMENT: usize = 40;

impl Txn {
    /// Raises an alert unless one for the same user, rule and hour exists; the new alert,
    /// or `None` when it was a repeat.
    pub async fn insert_alert(&mut self, a: &NewAlert) -> Result<Option<Alert>> {
        Ok(self
            .insert_alerts(std::slice::from_ref(a))
            .await?
            .into_iter()
            .next())
    }

    /// Raises each alert unless one for the same user, rule and hour exists (given or
    /// stored), a few dozen a statement; the new alerts, in the order raised.
    pub async fn insert_alerts(&mut self, alerts: &[NewAlert]) -> Result<Vec<Alert>> {
        for a in alerts {
            check_text("user", &a.user, SHORT)?;
            check_text("rule", &a.rule, SHORT)?;
            check_len("message", &a.message, LONG)?;
            check_len("subject", &a.subject, crate::records::MAX_SUBJECT)?;
            for r in &a.routes {
                check_text("route", r, SHORT)?;
            }
            if let Some(m) = &a.model {
                check_text("model", &m.name, SHORT)?;
                check_text("model version", &m.version, SHORT)?;
            }
        }
        let engine = self.tx.engine();
        let raised_at = now_us();
        let mut out = Vec::new();
        for chunk in alerts.chunks(ALERTS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO alerts (raised_at, at, hour_us, user_name, person_id, rule, check_name, severity, routes, clause, message, source, subject, privacy, status, model, model_version, model_score) VALUES ",
            );
            push_rows(&mut sql, engine, chunk.len(), 18);
            let mut args = Vec::with_capacity(chunk.len() * 18);
            for a in chunk {
                let score = a
                    .model
                    .as_ref()
                    .map(|m| (m.score.clamp(0.0, 1.0) * SCORE_UNITS).round() as i64);
                args.extend([
                    raised_at.into(),
                    to_us(a.at).into(),
                    hour_us(a.at).into(),
                    a.user.as_str().into(),
                    a.person_id.into(),
                    a.rule.as_str().into(),
                    a.check.clone().into(),
                    a.severity.as_str().into(),
                    a.routes.join(",").into(),
                    a.clause.clone().into(),
                    a.message.as_str().into(),
                    a.source.as_str().into(),
                    a.subject.as_str().into(),
                    a.privacy.as_str().into(),
                    AlertStatus::Open.into(),
                    a.model.as_ref().map(|m| m.name.clone()).into(),
                    a.model.as_ref().map(|m| m.version.clone()).into(),
                    score.into(),
                ]);
            }
            sql.push_str(" ON CONFLICT (user_name, rule, hour_us) DO NOTHING RETURNING *");
            for row in self.tx.rows(AssertSqlSafe(sql), &args).await? {
                out.push(Alert::from_row(&row)?);
            }
        }
        // RETURNING promises no order; ids are in the order raised.
        out.sort_by_key(|a| a.id);
        Ok(out)
    }

    /// One alert.
    pub async fn alert(&mut self, id: i64) -> Result<Alert> {
        self.by_id(
            "SELECT * FROM alerts WHERE id = $1",
            "alert",
            id,
            Alert::from_row,
        )
        .await
    }

    /// Alerts, newest first: those in `status` (every one when `None`), at most `limit`.
    pub async fn alerts(&mut self, status: Option<AlertStatus>, limit: i64) -> Result<Vec<Alert>> {
        self.all(
            "SELECT * FROM alerts WHERE ($1 IS NULL OR status = $1) ORDER BY raised_at DESC, id DESC LIMIT $2",
            &[status.map(|s| s.as_str()).into(), limit.into()],
            Alert::from_row,
        )
        .await
    }

    /// Triages an alert in `d.from`: confirmed, dismissed or referred, by `d.by`, with a
    /// note, for a referral the incident it opened, and for a model's alert whether the
    /// triager agreed with the model.
    pub async fn decide_alert(&mut self, id: i64, d: AlertDecision<'_>) -> Result<Alert> {
        if let Some(n) = d.note {
            check_len("note", n, LONG)?;
        }
        let n = self.tx
            .exec(
                "UPDATE alerts SET status = $2, decided_by = $3, decided_at = $4, note = $5, incident_id = $6, \
                 reviewer_agreed = CASE WHEN model IS NULL THEN NULL ELSE COALESCE($8, reviewer_agreed) END \
                 WHERE id = $1 AND status = $7",
                &[id.into(), d.status.into(), d.by.into(), now_us().into(), d.note.into(), d.incident.into(), d.from.into(), d.agreed.into()],
            )
            .await?;
        Txn::changed(n, "alert", id)?;
        self.alert(id).await
    }

    /// Per model and version, how many of its alerts were triaged and how many of those the
    /// triager agreed with, most alerts first: all alerts, or those about events from `from`
    /// (inclusive) to `to` (exclusive).
    pub async fn model_agreement(
        &mut self,
        span: Option<(Timestamp, Timestamp)>,
    ) -> Result<Vec<ModelAgreement>> {
        let (from, to) = span.map_or((i64::MIN, i64::MAX), |(f, t)| (to_us(f), to_us(t)));
        self.all(
            "SELECT model, COALESCE(model_version, '') AS version, \
             SUM(CASE WHEN reviewer_agreed IS NULL THEN 0 ELSE 1 END) AS reviewed, \
             SUM(CASE WHEN reviewer_agreed THEN 1 ELSE 0 END) AS agreed, \
             SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open_count \
             FROM alerts WHERE model IS NOT NULL AND at >= $1 AND at < $2 \
             GROUP BY model, COALESCE(model_version, '') \
             ORDER BY COUNT(*) DESC, model, version",
            &[from.into(), to.into()],
            |r| {
                Ok(ModelAgreement {
                    model: r.text("model")?,
                    version: r.text("version")?,
                    reviewed: r.i64("reviewed")?,
                    agreed: r.i64("agreed")?,
                    open: r.i64("open_count")?,
                })
            },
        )
        .await
    }

    /// Alerts not yet mailed nor put in a digest, oldest first.
    pub async fn alerts_undelivered(&mut self) -> Result<Vec<Alert>> {
        self.all(
            "SELECT * FROM alerts WHERE mailed_at IS NULL AND digested_at IS NULL ORDER BY raised_at, id",
            &[],
            Alert::from_row,
        )
        .await
    }

    /// Notes that alert `id` was mailed at once.
    pub async fn mark_alert_mailed(&mut self, id: i64, at: Timestamp) -> Result<()> {
        self.tx
            .exec(
                "UPDATE alerts SET mailed_at = $2 WHERE id = $1",
                &[id.into(), to_us(at).into()],
            )
            .await?;
        Ok(())
    }

    /// Notes that alert `id` went out in a digest.
    pub async fn mark_alert_digested(&mut self, id: i64, at: Timestamp) -> Result<()> {
        self.tx
            .exec(
                "UPDATE alerts SET digested_at = $2 WHERE id = $1",
                &[id.into(), to_us(at).into()],
            )
            .await?;
        Ok(())
    }

    /// Gives incident `id` a severity (a referred alert's rule's).
    pub async fn set_incident_severity(&mut self, id: i64, severity: &str) -> Result<()> {
        check_text("severity", severity, SHORT)?;
        let n = self
            .tx
            .exec(
                "UPDATE incidents SET severity = $2 WHERE id = $1",
                &[id.into(), severity.into()],
            )
            .await?;
        Txn::changed(n, "incident", id)
    }

    /// The severity of incident `id`, when it has one.
    pub async fn incident_severity(&mut self, id: i64) -> Result<Option<String>> {
        let row = self
            .tx
            .row("SELECT severity FROM incidents WHERE id = $1", &[id.into()])
            .await?;
        Ok(match row {
            Some(r) => r.opt_text("severity")?,
            None => None,
        })
    }
}

impl Txn {
    /// The monitoring record an alert was raised from (found by its user, time and subject),
    /// read and logged as a view of records (`records.view`, the purpose naming the alert),
    /// like every other look at someone's records.
    pub async fn alert_record(
        &mut self,
        viewer: &crate::audit::Actor,
        alert: &Alert,
    ) -> Result<Vec<crate::records::Record>> {
        let filter = crate::records::RecordFilter {
            users: vec![alert.user.clone()],
            since: Some(crate::time::from_us(alert.at_us)),
            until: Some(crate::time::from_us(alert.at_us + 1)),
            limit: Some(20),
            flagged_only: false,
        };
        let purpose = serde_json::json!({"alert": alert.id});
        let (mut out, _) =
            crate::records::view(&mut self.tx, viewer, &filter, alert.person_id, purpose).await?;
        out.retain(|r| r.subject == alert.subject);
        Ok(out)
    }
}
