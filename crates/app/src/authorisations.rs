//! General authorisation requests (the seed policies' "must be authorised by"): accepting a
//! website's licence or contract terms (IMPRESS), a new social media account or blog, a mass
//! mailing, third-party hardware, VPN access outside the agreed hours. A person asks for
//! themselves; the roles [`App::authorisers`] names decide, never on their own request.

use serde_json::json;

use charter_store::{Actor, ApprovalStatus, Authorisation, AuthorisationKind};

use crate::act::{Done, May, entry, not_authorised};
use crate::error::{Error, Result};
use crate::{App, roles};

/// Longest description kept.
const MAX_DETAILS: usize = 2_000;

impl App {
    /// Who decides a `kind` of request: social media accounts the social media approvers;
    /// hardware and out-of-hours VPN the device approvers; a website's terms the software
    /// approvers (who decide what people may use); mass mail the register keepers. Where the
    /// pack names none, the access approvers.
    pub fn authorisers(&self, kind: AuthorisationKind) -> Vec<String> {
        let g = self.governance();
        let list = match kind {
            AuthorisationKind::SocialMediaAccount => &g.social_media_approvers,
            AuthorisationKind::ThirdPartyHardware | AuthorisationKind::OutOfHoursVpn => {
                &g.device_approvers
            }
            AuthorisationKind::WebsiteTerms => &g.software_approvers,
            AuthorisationKind::MassMail => &g.register_roles,
        };
        if list.is_empty() {
            g.access_approvers.clone()
        } else {
            list.clone()
        }
    }

    /// Everyone who decides some kind of request.
    pub(crate) fn all_authorisers(&self) -> Vec<String> {
        let lists: Vec<Vec<String>> = AuthorisationKind::ALL
            .iter()
            .map(|k| self.authorisers(*k))
            .collect();
        let refs: Vec<&[String]> = lists.iter().map(Vec::as_slice).collect();
        roles(&refs)
    }

    /// `actor` asks for authorisation of `kind`, saying what in `details`.
    pub async fn ask_authorisation(
        &self,
        actor: &Actor,
        kind: AuthorisationKind,
        details: &str,
    ) -> Result<Authorisation> {
        let details = details.trim();
        if details.is_empty() || details.chars().count() > MAX_DETAILS {
            return Err(Error::Refused(format!(
                "say what is to be authorised (1 to {MAX_DETAILS} characters)"
            )));
        }
        self.act(
            actor,
            "ask for authorisation",
            May::AnyPerson,
            async |tx, who| {
                let me = who.person("ask for authorisation")?.id;
                let a = tx.insert_authorisation(me, kind, details).await?;
                Ok(Done::new(
                    a.clone(),
                    entry(
                        "authorisation.request",
                        "authorisation",
                        a.id,
                        me,
                        json!({"kind": kind.as_str()}),
                    ),
                ))
            },
        )
        .await
    }

    /// Approves or refuses request `id`: one of the roles that decide its kind, never the
    /// person who asked.
    pub async fn decide_authorisation(
        &self,
        actor: &Actor,
        id: i64,
        approve: bool,
        reason: &str,
    ) -> Result<Authorisation> {
        self.act(
            actor,
            "decide authorisations",
            May::AnyPerson,
            async |tx, who| {
                let me = who.person("decide authorisations")?;
                let a = tx.authorisation(id).await?;
                let deciders = self.authorisers(a.kind);
                if !me.has_any_role(&deciders) {
                    return Err(not_authorised(
                        me.label(),
                        "decide this kind of authorisation",
                        &deciders,
                    ));
                }
                if a.person_id == me.id {
                    return Err(Error::Refused(format!(
                        "authorisation {id} is {}'s own request: someone else decides it",
                        me.label()
                    )));
                }
                if a.status != ApprovalStatus::Requested {
                    return Err(Error::state(
                        format!("authorisation {id}"),
                        a.status,
                        "decide it again",
                    ));
                }
                let decided = tx.decide_authorisation(id, me.id, approve, reason).await?;
                Ok(Done::new(
                    decided.clone(),
                    entry(
                        if approve {
                            "authorisation.approve"
                        } else {
                            "authorisation.refuse"
                        },
                        "authorisation",
                        id,
                        a.person_id,
                        json!({"kind": a.kind.as_str(), "reason": reason}),
                    ),
                ))
            },
        )
        .await
    }

    /// Every authorisation request.
    pub async fn authorisations(&self) -> Result<Vec<Authorisation>> {
        self.read(async |tx| Ok(tx.authorisations().await?)).await
    }
}
