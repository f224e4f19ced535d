//! Triage: the people an alert's routes reach list it, look at it (with its monitoring
//! record, a look the audit chain keeps like any view of records), and confirm it, dismiss
//! it with a note saying why, or refer it, which opens a disciplinary incident with the
//! rule's severity.
//!
//! A classifier's alert (one whose finding a model made) is evidence for a person, never a
//! decision by itself: it is referred only once a person has confirmed it, and confirming or
//! dismissing it records whether that person agreed with the model, from which
//! [`App::model_agreement`] gives each model's agreement rate.

use serde::Serialize;
use serde_json::json;

use charter_store::{
    Actor, Alert, AlertDecision, AlertStatus, Incident, IncidentKind, ModelAgreement, NewIncident,
    Person, Record, Txn,
};

use super::{may_handle, route_roles};
use crate::App;
use crate::act::{Acting, Done, May, entry, not_authorised};
use crate::error::{Error, Result};

/// Which alerts to list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Only those in this state (default: every state).
    pub status: Option<AlertStatus>,
    /// At most this many, newest first (default 200).
    pub limit: Option<i64>,
}

/// One alert with what a triager needs to judge it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertDetail {
    /// The alert.
    #[serde(flatten)]
    pub alert: Alert,
    /// The rule's quote of the written policy.
    pub quote: Option<String>,
    /// The monitoring record it was raised from, while retention keeps it.
    pub records: Vec<Record>,
}

/// One model's agreement with the people who triaged its alerts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelAgreementRate {
    /// The counts.
    #[serde(flatten)]
    pub counts: ModelAgreement,
    /// `agreed / reviewed`, when any were reviewed.
    pub rate: Option<f64>,
}

impl From<ModelAgreement> for ModelAgreementRate {
    fn from(counts: ModelAgreement) -> Self {
        let rate = (counts.reviewed > 0).then(|| counts.agreed as f64 / counts.reviewed as f64);
        ModelAgreementRate { counts, rate }
    }
}

/// Longest note kept.
const MAX_NOTE: usize = 2_000;

fn check_note(note: &str) -> Result<()> {
    if note.chars().count() > MAX_NOTE {
        return Err(Error::Refused(format!(
            "the note is too long (at most {MAX_NOTE} characters)"
        )));
    }
    Ok(())
}

impl App {
    /// The roles any of `routes` go to, for messages.
    fn roles_of_routes(&self, routes: &[String]) -> Vec<String> {
        let mut out: Vec<String> = routes
            .iter()
            .flat_map(|r| {
                let roles = route_roles(r, self.governance());
                if roles.is_empty() {
                    vec![format!("the person's {r}")]
                } else {
                    roles
                }
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    async fn handled(
        &self,
        tx: &mut Txn,
        who: &Acting,
        id: i64,
        action: &'static str,
    ) -> Result<Alert> {
        let person = who.person(action)?;
        let alert = tx.alert(id).await?;
        if !may_handle(tx, self.governance(), person, &alert).await? {
            if alert.person_id == Some(person.id) {
                return Err(Error::Refused(format!(
                    "alert {id} is about {}: nobody triages alerts about themselves",
                    person.label()
                )));
            }
            return Err(not_authorised(
                person.label(),
                action,
                &self.roles_of_routes(&alert.routes),
            ));
        }
        Ok(alert)
    }

    /// The alerts `actor` may see (those whose routes reach them), newest first. The list
    /// is audited (`alert.list`, with the ids seen).
    pub async fn list_alerts(&self, actor: &Actor, filter: AlertFilter) -> Result<Vec<Alert>> {
        let limit = filter.limit.unwrap_or(200).clamp(1, 10_000);
        self.act(actor, "list alerts", May::AnyPerson, async |tx, who| {
            let person = who.person("list alerts")?.clone();
            let out = self.handleable(tx, &person, filter.status, limit).await?;
            let ids: Vec<i64> = out.iter().map(|a| a.id).collect();
            Ok(Done::new(
                out,
                entry(
                    "alert.list",
                    "alert",
                    None,
                    None,
                    json!({"ids": ids, "status": filter.status.map(|s| s.as_str())}),
                ),
            ))
        })
        .await
    }

    /// The alerts in `status` (any when `None`) that `person` may handle, newest first, at
    /// most `limit`.
    pub(crate) async fn handleable(
        &self,
        tx: &mut Txn,
        person: &Person,
        status: Option<AlertStatus>,
        limit: i64,
    ) -> Result<Vec<Alert>> {
        let mut out = Vec::new();
        for alert in tx.alerts(status, 100_000).await? {
            if may_handle(tx, self.governance(), person, &alert).await? {
                out.push(alert);
                if out.len() as i64 >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// One alert with its monitoring record: the look is audited (`alert.view`, and the
    /// store's `records.view` naming the alert).
    pub async fn show_alert(&self, actor: &Actor, id: i64) -> Result<AlertDetail> {
        self.act(actor, "see alerts", May::AnyPerson, async |tx, who| {
            let alert = self.handled(tx, who, id, "see alerts").await?;
            let records = tx.alert_record(actor, &alert).await?;
            let quote = self.pack().rule(&alert.rule).and_then(|r| r.quote.clone());
            let person = alert.person_id;
            Ok(Done::new(
                AlertDetail {
                    alert,
                    quote,
                    records,
                },
                entry("alert.view", "alert", id, person, json!({})),
            ))
        })
        .await
    }

    /// Confirms an open alert: it is what it says.
    pub async fn confirm_alert(&self, actor: &Actor, id: i64, note: Option<&str>) -> Result<Alert> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = note {
            check_note(n)?;
        }
        self.decide(
            actor,
            id,
            AlertStatus::Confirmed,
            note,
            "confirm alerts",
            "alert.confirm",
        )
        .await
    }

    /// Dismisses an open alert; the note saying why is required.
    pub async fn dismiss_alert(&self, actor: &Actor, id: i64, note: &str) -> Result<Alert> {
        let note = note.trim();
        if note.is_empty() {
            return Err(Error::Refused(
                "dismissing an alert needs a note saying why (give --note)".into(),
            ));
        }
        check_note(note)?;
        self.decide(
            actor,
            id,
            AlertStatus::Dismissed,
            Some(note),
            "dismiss alerts",
            "alert.dismiss",
        )
        .await
    }

    async fn decide(
        &self,
        actor: &Actor,
        id: i64,
        status: AlertStatus,
        note: Option<&str>,
        action: &'static str,
        audit: &'static str,
    ) -> Result<Alert> {
        self.act(actor, action, May::AnyPerson, async |tx, who| {
            let alert = self.handled(tx, who, id, action).await?;
            if alert.status != AlertStatus::Open {
                return Err(Error::state(format!("alert {id}"), alert.status, action));
            }
            // Confirming a model's alert agrees with the model; dismissing it does not.
            let agreed = alert
                .model
                .as_ref()
                .map(|_| status == AlertStatus::Confirmed);
            let done = tx
                .decide_alert(
                    id,
                    AlertDecision {
                        status,
                        from: AlertStatus::Open,
                        by: who.id(),
                        note,
                        incident: None,
                        agreed,
                    },
                )
                .await?;
            Ok(Done::new(
                done.clone(),
                entry(
                    audit,
                    "alert",
                    id,
                    done.person_id,
                    json!({"status": status.as_str(), "note": note, "agreed_with_model": agreed}),
                ),
            ))
        })
        .await
    }

    /// Per model and version, how many of its alerts people triaged and how many of those
    /// they agreed with (for the dashboard, the monthly report and `charter alerts
    /// agreement`). Counts only, no one's alerts: any person may see them; the look is
    /// audited (`alert.agreement`).
    pub async fn model_agreement(&self, actor: &Actor) -> Result<Vec<ModelAgreementRate>> {
        self.act(
            actor,
            "see model agreement",
            May::AnyPerson,
            async |tx, _| {
                let rows: Vec<ModelAgreementRate> = tx
                    .model_agreement(None)
                    .await?
                    .into_iter()
                    .map(ModelAgreementRate::from)
                    .collect();
                Ok(Done::new(
                    rows,
                    entry("alert.agreement", "alert", None, None, json!({})),
                ))
            },
        )
        .await
    }

    /// Refers an alert: opens a disciplinary incident carrying the rule's severity, routed
    /// to the pack's register (HR) roles, and marks the alert referred to it. An alert a
    /// person made is referred while open; a model's alert only once a person confirmed it.
    pub async fn refer_alert(
        &self,
        actor: &Actor,
        id: i64,
        note: Option<&str>,
    ) -> Result<(Alert, Incident)> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = note {
            check_note(n)?;
        }
        let routed_to = route_roles("hr", self.governance())
            .first()
            .cloned()
            .unwrap_or_else(|| "hr".into());
        self.act(actor, "refer alerts", May::AnyPerson, async |tx, who| {
            let alert = self.handled(tx, who, id, "refer alerts").await?;
            let from = match &alert.model {
                None => AlertStatus::Open,
                Some(model) if alert.status == AlertStatus::Open => {
                    return Err(Error::Refused(format!(
                        "alert {id} was raised by the model {} {} (score {:.2}): a person must confirm it (`charter alerts confirm {id}`) before it is referred",
                        model.name, model.version, model.score
                    )));
                }
                Some(_) => AlertStatus::Confirmed,
            };
            if alert.status != from {
                return Err(Error::state(format!("alert {id}"), alert.status, "refer alerts"));
            }
            let referrer = who.person("refer alerts")?.id;
            let about = match alert.person_id {
                Some(p) => tx.person(p).await?.label(),
                None => format!("account `{}`", alert.user),
            };
            let mut description = format!(
                "Referred alert {id}: rule {} ({}), severity {}, about {about}: {}",
                alert.rule,
                alert.clause.as_deref().unwrap_or("no clause"),
                alert.severity,
                alert.message
            );
            if let Some(n) = note {
                description.push_str(&format!("\nNote: {n}"));
            }
            let incident = tx
                .insert_incident(&NewIncident {
                    kind: IncidentKind::Disciplinary,
                    reported_by: referrer,
                    description,
                    device_id: None,
                    routed_to: routed_to.clone(),
                })
                .await?;
            tx.set_incident_severity(incident.id, &alert.severity).await?;
            let done = tx
                .decide_alert(
                    id,
                    AlertDecision {
                        status: AlertStatus::Referred,
                        from,
                        by: Some(referrer),
                        note,
                        incident: Some(incident.id),
                        agreed: None,
                    },
                )
                .await?;
            Ok(Done::many(
                (done.clone(), incident.clone()),
                vec![
                    entry("alert.refer", "alert", id, done.person_id, json!({"incident": incident.id, "note": note})),
                    entry("incident.report", "incident", incident.id, done.person_id,
                        json!({"kind": incident.kind, "routed_to": incident.routed_to, "severity": alert.severity, "alert": id})),
                ],
            ))
        })
        .await
    }
}
