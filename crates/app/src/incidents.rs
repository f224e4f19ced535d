//! Incidents staff report: where each goes, and who may close it.

use serde_json::json;

use charter_policy::Governance;
use charter_store::{Actor, Incident, IncidentKind, IncidentStatus, NewIncident};

use crate::act::{Done, May, entry};
use crate::error::{Error, Result};
use crate::{App, roles};

/// The role an incident goes to: safeguarding concerns to the pack's safeguarding lead
/// (`safeguarding_lead` when the pack names none), everything else to IT: the first of the
/// pack's device approvers (`it` when it names none). The pack's `report_to` is prose for
/// people ("the IT Dept."), not a role, so it is not used here.
pub fn route_incident(kind: IncidentKind, governance: &Governance) -> String {
    match kind {
        IncidentKind::Safeguarding => governance
            .safeguarding_role
            .clone()
            .unwrap_or_else(|| "safeguarding_lead".into()),
        _ => governance
            .device_approvers
            .first()
            .cloned()
            .unwrap_or_else(|| "it".into()),
    }
}

impl App {
    /// A person reports an incident; it goes to the role [`route_incident`] names.
    pub async fn report_incident(
        &self,
        actor: &Actor,
        kind: IncidentKind,
        description: &str,
        device_id: Option<i64>,
    ) -> Result<Incident> {
        if kind == IncidentKind::Disciplinary {
            return Err(Error::Refused(
                "a disciplinary incident is opened by referring an alert (charter alerts refer)"
                    .into(),
            ));
        }
        let route = route_incident(kind, self.governance());
        self.act(
            actor,
            "report incidents",
            May::AnyPerson,
            async |tx, who| {
                let reporter = who.person("report incidents")?.id;
                let inc = tx
                    .insert_incident(&NewIncident {
                        kind,
                        reported_by: reporter,
                        description: description.to_string(),
                        device_id,
                        routed_to: route.clone(),
                    })
                    .await?;
                Ok(Done::new(
                    inc.clone(),
                    entry(
                        "incident.report",
                        "incident",
                        inc.id,
                        reporter,
                        json!({"kind": kind, "routed_to": inc.routed_to, "device": device_id}),
                    ),
                ))
            },
        )
        .await
    }

    /// Closes an incident with what was done: someone holding the role it went to, or for
    /// anything but safeguarding, a device approver.
    pub async fn close_incident(&self, actor: &Actor, id: i64, outcome: &str) -> Result<Incident> {
        let approvers = self.governance().device_approvers.clone();
        self.act(actor, "close incidents", May::AnyPerson, async |tx, who| {
            let inc = tx.incident(id).await?;
            if inc.status != IncidentStatus::Open {
                return Err(Error::state(
                    format!("incident {id}"),
                    inc.status,
                    "close it",
                ));
            }
            let routed = [inc.routed_to.clone()];
            let may = if inc.kind == IncidentKind::Safeguarding {
                roles(&[&routed])
            } else {
                roles(&[&routed, &approvers])
            };
            let closer = who.require(&may, "close this incident")?;
            let inc = tx.close_incident(id, closer.id, outcome).await?;
            Ok(Done::new(
                inc.clone(),
                entry(
                    "incident.close",
                    "incident",
                    id,
                    inc.reported_by,
                    json!({"outcome": outcome}),
                ),
            ))
        })
        .await
    }

    /// Every incident, by id.
    pub async fn incidents(&self) -> Result<Vec<Incident>> {
        self.read(async |tx| Ok(tx.incidents().await?)).await
    }
}
