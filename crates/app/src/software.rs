//! Software requests: a person asks (or their line manager, or the register keepers, on their
//! behalf); the pack's software approvers decide, never on their own request.

use serde_json::json;

use charter_store::{Actor, SoftwareRequest, SoftwareStatus};

use crate::App;
use crate::act::{Done, May, entry};
use crate::error::{Error, Result};
use crate::people::active;

impl App {
    /// Records a request to install `software` for `person_id`. A person asks for
    /// themselves; their line manager, a software approver or a register keeper (or the
    /// operator) may ask on their behalf.
    pub async fn request_software(
        &self,
        actor: &Actor,
        person_id: i64,
        software: &str,
        reason: &str,
    ) -> Result<SoftwareRequest> {
        let g = self.governance();
        let for_others = crate::roles(&[&g.software_approvers, &g.register_roles]);
        self.act(actor, "request software", May::Anyone, async |tx, who| {
            let subject = active(tx.person(person_id).await?, "request software")?;
            if let Some(p) = &who.person
                && p.id != person_id
                && subject.line_manager != Some(p.id)
            {
                who.require(&for_others, "request software for someone else")?;
            }
            let r = tx
                .insert_software_request(person_id, software, reason)
                .await?;
            Ok(Done::new(
                r.clone(),
                entry(
                    "software.request",
                    "software_request",
                    r.id,
                    person_id,
                    json!({"software": r.software}),
                ),
            ))
        })
        .await
    }

    /// Approves or refuses a software request.
    pub async fn decide_software(
        &self,
        actor: &Actor,
        id: i64,
        approve: bool,
        reason: &str,
    ) -> Result<SoftwareRequest> {
        let approvers = self.governance().software_approvers.clone();
        self.act(
            actor,
            "decide software requests",
            May::Roles(&approvers),
            async |tx, who| {
                let r = tx.software_request(id).await?;
                if r.status != SoftwareStatus::Requested {
                    return Err(Error::state(
                        format!("software request {id} ({})", r.software),
                        r.status,
                        "decide it again",
                    ));
                }
                let approver = who.person("decide software requests")?;
                if r.person_id == approver.id {
                    return Err(Error::Refused(format!(
                        "{} may not decide their own software request",
                        approver.label()
                    )));
                }
                let to = if approve {
                    SoftwareStatus::Approved
                } else {
                    SoftwareStatus::Refused
                };
                let r = tx
                    .decide_software_request(id, to, approver.id, reason)
                    .await?;
                Ok(Done::new(
                    r.clone(),
                    entry(
                        "software.decide",
                        "software_request",
                        id,
                        r.person_id,
                        json!({"software": r.software, "status": to, "reason": reason}),
                    ),
                ))
            },
        )
        .await
    }

    /// Every software request, by id.
    pub async fn software_requests(&self) -> Result<Vec<SoftwareRequest>> {
        self.read(async |tx| Ok(tx.software_requests().await?))
            .await
    }

    /// The approved list: what the engine's `unauthorised_software` check allows.
    pub async fn approved_software(&self) -> Result<Vec<String>> {
        self.read(async |tx| Ok(tx.approved_software().await?))
            .await
    }
}
