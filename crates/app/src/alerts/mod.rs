//! Alerts: every finding whose rule names `alert = [...]` routes becomes an alert, one per
//! person, rule and hour; each route goes to the roles the pack's `[governance]` gives it
//! ([`route_roles`]); safeguarding is mailed at once, the rest wait for the daily digest
//! (`mail.rs`); the people those roles hold triage them (`triage.rs`).
//!
//! Alerts are raised where records are written: [`App::raise_alerts`] takes the records a
//! batch committed, so the gateways (through `serve`'s spool), `charter ingest` and the
//! accounting of personal use all feed them through the one call.

mod mail;
mod triage;

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::json;

use charter_policy::Governance;
use charter_store::{Actor, Alert, AlertModel, NewAlert, NewRecord, Person, Txn};

use crate::App;
use crate::act::entry;
use crate::error::Result;

pub use mail::{AlertsConfig, Delivery, Digest, MailError};
pub use triage::{AlertFilter, ModelAgreementRate};

/// The route that is mailed at once.
pub const SAFEGUARDING: &str = "safeguarding";

/// The roles a route goes to: `safeguarding` to the safeguarding role, `dpo` to the data
/// protection roles, `hr` to the register roles, `it` to the device approvers, `compliance`
/// to the compliance roles (each with the pack's defaults). `line_manager` goes to the
/// person's own line manager, not to a role, so it names none here. Any other word is taken
/// as a role of that name.
pub fn route_roles(route: &str, g: &Governance) -> Vec<String> {
    let or = |list: &[String], default: &str| {
        if list.is_empty() {
            vec![default.to_string()]
        } else {
            list.to_vec()
        }
    };
    match route {
        SAFEGUARDING => vec![
            g.safeguarding_role
                .clone()
                .unwrap_or_else(|| "safeguarding_lead".into()),
        ],
        "dpo" => or(&g.data_protection_roles, "dpo"),
        "hr" => or(&g.register_roles, "hr"),
        "it" => or(&g.device_approvers, "it"),
        "compliance" => or(&g.compliance_roles, "compliance"),
        "line_manager" => Vec::new(),
        other => vec![other.to_string()],
    }
}

/// One finding as a record stores it (JSON written by the engine).
#[derive(Debug, Deserialize)]
struct StoredFinding {
    rule: String,
    check: Option<String>,
    clause: Option<String>,
    severity: Option<String>,
    message: Option<String>,
    /// The classifier that made it (`charter_engine::ModelScore`).
    model: Option<StoredModel>,
}

/// A classifier finding's model as a record stores it.
#[derive(Debug, Deserialize)]
struct StoredModel {
    name: String,
    version: String,
    score: f64,
}

/// What an alert says happened. Personal-marked mail keeps headers only, so its alert names
/// the check and never the finding's own words, which may quote the body.
fn alert_message(r: &NewRecord, f: &StoredFinding) -> String {
    let check = f.check.as_deref().unwrap_or("finding");
    match r.privacy {
        charter_engine::Privacy::HeadersOnly => format!(
            "{check} in a message marked personal (headers only: the body is not read or kept)"
        ),
        charter_engine::Privacy::Full => f.message.clone().unwrap_or_else(|| check.to_string()),
    }
}

impl App {
    /// Raises the alerts `records` call for (records already committed): one per finding
    /// whose rule names routes, de-duplicated per user, rule and hour, each new one audited
    /// (`alert.raise`). Returns the new alerts.
    pub async fn raise_alerts(&self, actor: &Actor, records: &[NewRecord]) -> Result<Vec<Alert>> {
        let mut wanted = Vec::new();
        for r in records {
            if r.findings.len() <= 2 && r.rule.is_none() {
                continue;
            }
            let findings = match serde_json::from_str::<Vec<StoredFinding>>(&r.findings) {
                Ok(f) if !f.is_empty() => f,
                // A record written without its findings (imported) still names its rule.
                _ => match &r.rule {
                    Some(rule) => vec![StoredFinding {
                        rule: rule.to_string(),
                        check: r.check.as_deref().map(str::to_string),
                        clause: None,
                        severity: r.severity.as_deref().map(str::to_string),
                        message: Some(format!(
                            "{} {}",
                            r.check.as_deref().unwrap_or("rule matched:"),
                            r.subject
                        )),
                        model: None,
                    }],
                    None => continue,
                },
            };
            for f in findings {
                let Some(rule) = self.pack().rule(&f.rule) else {
                    continue;
                };
                if rule.alert.is_empty() {
                    continue;
                }
                wanted.push(NewAlert {
                    at: r.at,
                    user: r.user.as_deref().unwrap_or("-").to_string(),
                    person_id: None,
                    rule: rule.id.clone(),
                    check: f.check.clone(),
                    severity: f
                        .severity
                        .clone()
                        .unwrap_or_else(|| rule.severity.as_str().to_string()),
                    routes: rule.alert.clone(),
                    clause: f.clause.clone().or_else(|| rule.clause.clone()),
                    message: alert_message(r, &f),
                    source: r.source.as_str().to_string(),
                    subject: r.subject.to_string(),
                    privacy: match r.privacy {
                        charter_engine::Privacy::Full => "full".into(),
                        charter_engine::Privacy::HeadersOnly => "headers_only".into(),
                    },
                    model: f
                        .model
                        .as_ref()
                        .filter(|m| m.score.is_finite())
                        .map(|m| AlertModel {
                            name: m.name.clone(),
                            version: m.version.clone(),
                            score: m.score,
                        }),
                });
            }
        }
        // A batch repeats the same alert (a person's blocked requests in one hour); the store
        // would keep only the first of each, so the rest are not sent to it.
        let mut seen = HashSet::new();
        wanted.retain(|a| {
            let (user, rule, hour) = a.key();
            seen.insert((user.to_string(), rule.to_string(), hour))
        });
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.store().begin().await?;
        let mut people: HashMap<String, Option<i64>> = HashMap::new();
        for a in &mut wanted {
            if a.user != "-" {
                a.person_id = match people.get(&a.user) {
                    Some(id) => *id,
                    None => {
                        let id = tx.person_by_account(&a.user).await?;
                        people.insert(a.user.clone(), id);
                        id
                    }
                };
            }
        }
        let raised = tx.insert_alerts(&wanted).await?;
        let entries = raised
            .iter()
            .map(|alert| {
                entry(
                    "alert.raise",
                    "alert",
                    alert.id,
                    alert.person_id,
                    json!({"rule": alert.rule, "routes": alert.routes, "severity": alert.severity, "user": alert.user}),
                )
            })
            .collect();
        tx.audit_many(actor, entries).await?;
        tx.commit().await?;
        Ok(raised)
    }
}

/// The people an alert's routes reach: everyone active holding a routed role, and for
/// `line_manager` the person's own line manager. Never the person the alert is about.
pub(crate) async fn recipients(
    tx: &mut Txn,
    g: &Governance,
    alert: &Alert,
    routes: &[String],
) -> Result<Vec<Person>> {
    let people = tx.people().await?;
    let subject = alert.person_id;
    let manager = match subject {
        Some(id) => tx.person(id).await?.line_manager,
        None => None,
    };
    let mut out: Vec<Person> = people
        .into_iter()
        .filter(|p| p.status == charter_store::PersonStatus::Active && Some(p.id) != subject)
        .filter(|p| {
            routes.iter().any(|route| {
                (route == "line_manager" && Some(p.id) == manager)
                    || p.has_any_role(&route_roles(route, g))
            })
        })
        .collect();
    out.sort_by_key(|p| p.id);
    Ok(out)
}

/// Whether `person` may see and triage `alert`: they hold a role one of its routes goes to
/// (or are the person's line manager, for `line_manager`), and it is not about them.
pub(crate) async fn may_handle(
    tx: &mut Txn,
    g: &Governance,
    person: &Person,
    alert: &Alert,
) -> Result<bool> {
    if alert.person_id == Some(person.id) {
        return Ok(false);
    }
    for route in &alert.routes {
        if person.has_any_role(&route_roles(route, g)) {
            return Ok(true);
        }
        if route == "line_manager"
            && let Some(id) = alert.person_id
            && tx.person(id).await?.line_manager == Some(person.id)
        {
            return Ok(true);
        }
    }
    Ok(false)
}
