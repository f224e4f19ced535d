//! Leaver checklists: opened by the register keepers or the leaver's line manager; each item
//! is checked when ticked (no device still held or lost, no official account still owned);
//! closing ends the person's accounts and removable-media authorisations and marks them left.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;

use charter_store::{
    AccountStatus, Actor, DeviceStatus, IncidentStatus, Leaver, LeaverItem, PersonStatus,
    SocialStatus, Txn,
};

use crate::act::{Done, May, entry};
use crate::clock::{Clock, local_text};
use crate::error::{Error, Result};
use crate::{App, Names, roles};

/// A leaver checklist with its clock, as a person reads it.
#[derive(Debug, Clone, Serialize)]
pub struct LeaverView {
    /// The checklist.
    #[serde(flatten)]
    pub leaver: Leaver,
    /// The leaver, by name.
    pub person_name: String,
    /// The leaving date as a deadline for the checklist.
    #[serde(flatten)]
    pub clock: Clock,
}

impl App {
    /// The roles that may tick `item` (or, with `None`, close a checklist). The pack names
    /// device, software and social media approvers but no leaver roles: IT (device
    /// approvers) ticks equipment and accounts, social media approvers the social accounts,
    /// and either may take credentials (so may the leaver's line manager) or close.
    fn leaver_roles(&self, item: Option<LeaverItem>) -> Vec<String> {
        let g = self.governance();
        match item {
            Some(LeaverItem::SocialHandedOver) => roles(&[&g.social_media_approvers]),
            Some(LeaverItem::EquipmentReturned | LeaverItem::AccountsDisabled) => {
                roles(&[&g.device_approvers])
            }
            Some(LeaverItem::CredentialsHandedOver) | None => {
                roles(&[&g.device_approvers, &g.social_media_approvers])
            }
        }
    }

    pub(crate) fn leaver_view(
        &self,
        l: Leaver,
        names: &Names,
        now: Timestamp,
    ) -> Result<LeaverView> {
        let tz = self.time_zone();
        let clock = match &l.closed {
            Some(t) => Clock::stopped(
                l.leaving_date.clone(),
                format!("closed {}", local_text(&t.at, tz)),
            ),
            None => Clock::until_day(l.leaving()?, now, tz),
        };
        Ok(LeaverView {
            person_name: names.name(l.person_id).to_string(),
            clock,
            leaver: l,
        })
    }

    async fn view_leaver(&self, l: Leaver) -> Result<LeaverView> {
        self.leaver_view(l, &self.names().await?, Timestamp::now())
    }

    /// Opens a leaver's checklist and records the leaving date: a register keeper, a device
    /// approver or the leaver's line manager.
    pub async fn open_leaver(
        &self,
        actor: &Actor,
        person_id: i64,
        leaving: Date,
    ) -> Result<LeaverView> {
        let g = self.governance();
        let keepers = roles(&[&g.register_roles, &g.device_approvers]);
        let l = self
            .act(
                actor,
                "open leaver checklists",
                May::AnyPerson,
                async |tx, who| {
                    let p = tx.person(person_id).await?;
                    if p.status != PersonStatus::Active {
                        return Err(Error::state(p.label(), p.status, "open a leaver checklist"));
                    }
                    let opener = who.person("open leaver checklists")?;
                    if p.line_manager != Some(opener.id) {
                        who.require(&keepers, "open a leaver checklist")?;
                    }
                    let l = tx.insert_leaver(person_id, leaving, opener.id).await?;
                    Ok(Done::new(
                        l.clone(),
                        entry(
                            "leaver.open",
                            "leaver",
                            l.id,
                            person_id,
                            json!({"leaving_date": leaving.to_string()}),
                        ),
                    ))
                },
            )
            .await?;
        self.view_leaver(l).await
    }

    /// Ticks one item, checking that it is true. Ticking `accounts_disabled` disables every
    /// active account.
    pub async fn tick_leaver(
        &self,
        actor: &Actor,
        id: i64,
        item: LeaverItem,
    ) -> Result<LeaverView> {
        let may = self.leaver_roles(Some(item));
        let l = self.act(actor, "tick leaver items", May::AnyPerson, async |tx, who| {
            let l = tx.leaver(id).await?;
            if l.closed.is_some() {
                return Err(Error::state(format!("leaver {id}"), "closed", "tick items"));
            }
            if l.item(item).is_some() {
                return Err(Error::state(format!("leaver {id}"), format!("{item} already ticked"), "tick it again"));
            }
            let leaver = tx.person(l.person_id).await?;
            let by = who.person("tick leaver items")?;
            if !(item == LeaverItem::CredentialsHandedOver && leaver.line_manager == Some(by.id)) {
                who.require(&may, "tick this leaver item")?;
            }
            if by.id == l.person_id {
                return Err(Error::Refused("a leaver cannot tick their own checklist".into()));
            }
            let detail = match item {
                LeaverItem::EquipmentReturned => {
                    equipment_is_back(tx, &leaver.label(), l.person_id).await?;
                    json!({"item": item})
                }
                LeaverItem::SocialHandedOver => {
                    let held: Vec<String> = tx.socials_of(l.person_id).await?.into_iter()
                        .filter(|s| s.status == SocialStatus::Active && (s.owner_id == l.person_id || s.custodian_id == l.person_id))
                        .map(|s| s.label())
                        .collect();
                    if !held.is_empty() {
                        return Err(Error::Refused(format!(
                            "{} still owns or holds the credentials of {}: hand them over first",
                            leaver.label(), held.join(", ")
                        )));
                    }
                    json!({"item": item})
                }
                LeaverItem::AccountsDisabled => {
                    let disabled = disable_accounts(tx, l.person_id).await?;
                    json!({"item": item, "accounts_disabled": disabled})
                }
                LeaverItem::CredentialsHandedOver => json!({"item": item}),
            };
            let out = tx.tick_leaver(id, item, by.id).await?;
            Ok(Done::new(out, entry("leaver.tick", "leaver", id, l.person_id, detail)))
        })
        .await?;
        self.view_leaver(l).await
    }

    /// Closes a checklist once every item is ticked: the person is marked left, and any
    /// account still active and any removable-media authorisation still in force ends.
    pub async fn close_leaver(&self, actor: &Actor, id: i64) -> Result<LeaverView> {
        let may = self.leaver_roles(None);
        let l = self.act(actor, "close leaver checklists", May::Roles(&may), async |tx, who| {
            let l = tx.leaver(id).await?;
            if l.closed.is_some() {
                return Err(Error::state(format!("leaver {id}"), "closed", "close it again"));
            }
            let missing: Vec<&str> = LeaverItem::ALL.iter().filter(|i| l.item(**i).is_none()).map(|i| i.as_str()).collect();
            if !missing.is_empty() {
                return Err(Error::Refused(format!("leaver {id} cannot close: not yet done: {}", missing.join(", "))));
            }
            let by = who.person("close leaver checklists")?.id;
            let out = tx.close_leaver(id, by).await?;
            tx.set_person_status(l.person_id, PersonStatus::Active, PersonStatus::Left).await?;
            let accounts = disable_accounts(tx, l.person_id).await?;
            let mut media = Vec::new();
            for m in tx.media_of(l.person_id).await? {
                if m.revoked_at.is_none() {
                    tx.revoke_media(m.id).await?;
                    media.push(json!({"id": m.id, "description": m.description}));
                }
            }
            Ok(Done::new(out, entry("leaver.close", "leaver", id, l.person_id,
                json!({"accounts_disabled": accounts, "media_authorisations_ended": media}))))
        })
        .await?;
        self.view_leaver(l).await
    }

    /// Every leaver checklist with its clock at `now`, by id.
    pub async fn leavers(&self, now: Timestamp) -> Result<Vec<LeaverView>> {
        let names = self.names().await?;
        let all = self.read(async |tx| Ok(tx.leavers().await?)).await?;
        all.into_iter()
            .map(|l| self.leaver_view(l, &names, now))
            .collect()
    }
}

/// Refuses unless every organisation device `person` had is back: none still assigned, and
/// none lost or stolen, which is not a return; the refusal names the device and its incident.
async fn equipment_is_back(tx: &mut Txn, who: &str, person: i64) -> Result<()> {
    let mut problems = Vec::new();
    for d in tx.devices_of(person).await? {
        match d.status {
            DeviceStatus::Assigned if !d.byod => {
                problems.push(format!("still holds {}", d.label()))
            }
            DeviceStatus::Lost | DeviceStatus::Stolen => {
                let incidents: Vec<String> = tx
                    .incidents_about(d.id)
                    .await?
                    .iter()
                    .map(|i| {
                        format!(
                            "incident {} ({})",
                            i.id,
                            if i.status == IncidentStatus::Open {
                                "open"
                            } else {
                                "closed"
                            }
                        )
                    })
                    .collect();
                problems.push(format!(
                    "{} was reported {} ({}), which is not a return: record it returned if found, or close the incident and retire the device",
                    d.label(),
                    d.status,
                    if incidents.is_empty() { "no incident".to_string() } else { incidents.join(", ") }
                ));
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "equipment not returned: {who} {}",
            problems.join("; ")
        )))
    }
}

/// Disables every active account of `person`; returns what was disabled.
async fn disable_accounts(tx: &mut Txn, person: i64) -> Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for a in tx.accounts_of(person).await? {
        if a.status == AccountStatus::Active {
            tx.disable_account(a.id).await?;
            out.push(json!({"id": a.id, "system": a.system, "name": a.name}));
        }
    }
    Ok(out)
}
