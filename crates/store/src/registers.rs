//! People and accounts, devices and removable media, software requests, social media
//! accounts, policy versions and acknowledgements, incidents.

use serde_json::json;
use sha2::{Digest, Sha256};

use charter_policy::{AddressFormat, Governance};

use crate::Store;
use crate::address::{self, MadeAddress, NameParts};
use crate::audit::{self, Actor, Entry};
use crate::db::Tx;
use crate::error::{Error, OnDuplicate as _, Result, check_len, check_text};
use crate::model::*;
use crate::time::{self, now_us};

/// Longest name, serial, handle or other short field kept.
pub(crate) const SHORT: usize = 200;
/// Longest description kept.
pub(crate) const LONG: usize = 20_000;

pub(crate) async fn log(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    entity: &'static str,
    entity_id: Option<i64>,
    person_id: Option<i64>,
    detail: serde_json::Value,
) -> Result<i64> {
    audit::append(
        tx,
        Entry {
            actor,
            action,
            entity,
            entity_id,
            person_id,
            detail,
        },
    )
    .await
}

pub(crate) async fn get_person(tx: &mut Tx, id: i64) -> Result<Person> {
    let row = tx
        .row("SELECT * FROM people WHERE id = $1", &[id.into()])
        .await?
        .ok_or(Error::NotFound {
            entity: "person",
            id,
        })?;
    Person::from_row(&row)
}

/// Refuses unless `actor` is a person holding one of `roles`.
pub(crate) async fn require_role(
    tx: &mut Tx,
    actor: &Actor,
    roles: &[String],
    action: &'static str,
) -> Result<Person> {
    let denied = |who: String| Error::NotAuthorised {
        actor: who,
        action,
        roles: if roles.is_empty() {
            "none configured in the pack".to_string()
        } else {
            roles.join(", ")
        },
    };
    let Some(id) = actor.person() else {
        return Err(denied(format!("{actor} (no person given)")));
    };
    let person = get_person(tx, id).await?;
    if person.status != "active" || !person.has_any_role(roles) {
        return Err(denied(format!("person {id}")));
    }
    Ok(person)
}

fn roles_text(roles: &[String]) -> Result<String> {
    let mut roles: Vec<String> = roles
        .iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    for r in &roles {
        check_len("role", r, SHORT)?;
        if r.contains(',') {
            return Err(Error::invalid("role", format!("`{r}` contains a comma")));
        }
    }
    roles.sort();
    roles.dedup();
    Ok(roles.join(","))
}

fn opt_date(field: &'static str, d: &Option<String>) -> Result<()> {
    if let Some(d) = d {
        time::parse_date(field, d)?;
    }
    Ok(())
}

/// SHA-256 of a policy text, hex.
pub fn text_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

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

impl Store {
    // ---- people and accounts ------------------------------------------------------------

    /// Adds a person.
    pub async fn add_person(&self, actor: &Actor, p: NewPerson) -> Result<Person> {
        check_text("first_name", &p.first_name, SHORT)?;
        check_text("last_name", &p.last_name, SHORT)?;
        for (f, v) in [("department", &p.department), ("location", &p.location)] {
            if let Some(v) = v {
                check_len(f, v, SHORT)?;
            }
        }
        opt_date("start_date", &p.start_date)?;
        let roles = roles_text(&p.roles)?;
        let mut tx = self.backend.begin_write().await?;
        if let Some(m) = p.line_manager {
            get_person(&mut tx, m).await?;
        }
        let now = now_us();
        let id = tx
            .insert(
                "INSERT INTO people (first_name, last_name, department, location, roles, line_manager_id, start_date, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                &[
                    p.first_name.clone().into(),
                    p.last_name.clone().into(),
                    p.department.clone().into(),
                    p.location.clone().into(),
                    roles.clone().into(),
                    p.line_manager.into(),
                    p.start_date.clone().into(),
                    now.into(),
                ],
            )
            .await?;
        log(
            &mut tx,
            actor,
            "person.add",
            "person",
            Some(id),
            Some(id),
            json!({"roles": roles, "line_manager": p.line_manager, "start_date": p.start_date}),
        )
        .await?;
        let person = get_person(&mut tx, id).await?;
        tx.commit().await?;
        Ok(person)
    }

    /// One person.
    pub async fn person(&self, id: i64) -> Result<Person> {
        let mut tx = self.backend.begin_read().await?;
        let p = get_person(&mut tx, id).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Everyone, by id.
    pub async fn people(&self) -> Result<Vec<Person>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx.rows("SELECT * FROM people ORDER BY id", &[]).await?;
        tx.commit().await?;
        rows.iter().map(Person::from_row).collect()
    }

    /// Changes a person's roles, manager, department, location or leaving date.
    pub async fn update_person(&self, actor: &Actor, id: i64, u: PersonUpdate) -> Result<Person> {
        opt_date("leaving_date", &u.leaving_date)?;
        let mut tx = self.backend.begin_write().await?;
        let before = get_person(&mut tx, id).await?;
        if before.status == "erased" {
            return Err(Error::Transition {
                entity: "person",
                id,
                state: before.status,
                action: "update",
            });
        }
        if let Some(m) = u.line_manager {
            if m == id {
                return Err(Error::invalid(
                    "line_manager",
                    "a person cannot manage themselves",
                ));
            }
            get_person(&mut tx, m).await?;
        }
        let roles = match &u.roles {
            Some(r) => roles_text(r)?,
            None => before.roles.join(","),
        };
        for (f, v) in [("department", &u.department), ("location", &u.location)] {
            if let Some(v) = v {
                check_len(f, v, SHORT)?;
            }
        }
        tx.exec(
            "UPDATE people SET roles = $2, line_manager_id = $3, department = $4, location = $5, leaving_date = $6, updated_at = $7 WHERE id = $1",
            &[
                id.into(),
                roles.clone().into(),
                u.line_manager.or(before.line_manager).into(),
                u.department.clone().or(before.department.clone()).into(),
                u.location.clone().or(before.location.clone()).into(),
                u.leaving_date.clone().or(before.leaving_date.clone()).into(),
                now_us().into(),
            ],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "person.update",
            "person",
            Some(id),
            Some(id),
            json!({"roles": u.roles.map(|_| roles), "line_manager": u.line_manager,
                   "department": u.department, "location": u.location, "leaving_date": u.leaving_date}),
        )
        .await?;
        let p = get_person(&mut tx, id).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Adds an account (`system` such as `login` or `vpn`) for a person.
    pub async fn add_account(
        &self,
        actor: &Actor,
        person_id: i64,
        system: &str,
        name: &str,
        note: Option<&str>,
    ) -> Result<Account> {
        check_text("system", system, SHORT)?;
        check_text("name", name, SHORT)?;
        let mut tx = self.backend.begin_write().await?;
        let acc = insert_account(&mut tx, actor, person_id, system, name, note).await?;
        tx.commit().await?;
        Ok(acc)
    }

    /// Makes a person's email address by the pack's naming convention, resolving collisions,
    /// and records it as their `email` account with the explanation.
    pub async fn make_email(
        &self,
        actor: &Actor,
        person_id: i64,
        formats: &[AddressFormat],
        domain: &str,
    ) -> Result<(Account, MadeAddress)> {
        let mut tx = self.backend.begin_write().await?;
        let p = get_person(&mut tx, person_id).await?;
        let format = address::format_for(formats, &p.roles).ok_or_else(|| {
            Error::Refused(format!(
                "the pack has no address format for roles `{}` (and none for `staff`)",
                p.roles.join(",")
            ))
        })?;
        let taken: Vec<(String, i64)> = tx
            .rows(
                "SELECT name, person_id FROM accounts WHERE system = 'email'",
                &[],
            )
            .await?
            .iter()
            .map(|r| Ok((r.text("name")?, r.i64("person_id")?)))
            .collect::<Result<_>>()?;
        let parts = NameParts {
            first: &p.first_name,
            last: &p.last_name,
            department: p.department.as_deref(),
            location: p.location.as_deref(),
        };
        let made = address::make(format, &parts, domain, |a| {
            taken
                .iter()
                .find(|(n, _)| n == a)
                .map(|(_, who)| format!("person {who}"))
        })?;
        let acc = insert_account(
            &mut tx,
            actor,
            person_id,
            "email",
            &made.address,
            Some(&made.explanation),
        )
        .await?;
        tx.commit().await?;
        Ok((acc, made))
    }

    /// A person's accounts.
    pub async fn accounts_of(&self, person_id: i64) -> Result<Vec<Account>> {
        let mut tx = self.backend.begin_read().await?;
        get_person(&mut tx, person_id).await?;
        let rows = tx
            .rows(
                "SELECT * FROM accounts WHERE person_id = $1 ORDER BY id",
                &[person_id.into()],
            )
            .await?;
        tx.commit().await?;
        rows.iter().map(Account::from_row).collect()
    }

    /// Disables one account.
    pub async fn disable_account(&self, actor: &Actor, account_id: i64) -> Result<Account> {
        let mut tx = self.backend.begin_write().await?;
        let row = tx
            .row("SELECT * FROM accounts WHERE id = $1", &[account_id.into()])
            .await?
            .ok_or(Error::NotFound {
                entity: "account",
                id: account_id,
            })?;
        let acc = Account::from_row(&row)?;
        if acc.status != "active" {
            return Err(Error::Transition {
                entity: "account",
                id: account_id,
                state: acc.status,
                action: "disable",
            });
        }
        tx.exec(
            "UPDATE accounts SET status = 'disabled', disabled_at = $2 WHERE id = $1",
            &[account_id.into(), now_us().into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "account.disable",
            "account",
            Some(account_id),
            Some(acc.person_id),
            json!({"system": acc.system, "name": acc.name}),
        )
        .await?;
        let row = tx
            .one("SELECT * FROM accounts WHERE id = $1", &[account_id.into()])
            .await?;
        tx.commit().await?;
        Account::from_row(&row)
    }

    // ---- devices and removable media ------------------------------------------------------

    /// Adds a device; with an assignee it is `assigned`, else `in_stock`.
    pub async fn add_device(&self, actor: &Actor, d: NewDevice) -> Result<Device> {
        check_text("serial", &d.serial, SHORT)?;
        check_text("kind", &d.kind, SHORT)?;
        if let Some(n) = &d.note {
            check_len("note", n, LONG)?;
        }
        if d.byod && d.assignee.is_none() {
            return Err(Error::invalid(
                "assignee",
                "a BYOD device needs its owner as assignee",
            ));
        }
        let mut tx = self.backend.begin_write().await?;
        if let Some(a) = d.assignee {
            get_person(&mut tx, a).await?;
        }
        let now = now_us();
        let status = if d.assignee.is_some() {
            "assigned"
        } else {
            "in_stock"
        };
        let id = tx
            .insert(
                "INSERT INTO devices (serial, kind, assignee_id, byod, encrypted, status, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                &[
                    d.serial.clone().into(),
                    d.kind.clone().into(),
                    d.assignee.into(),
                    d.byod.into(),
                    d.encrypted.into(),
                    status.into(),
                    d.note.clone().into(),
                    now.into(),
                ],
            )
            .await
            .on_duplicate("device serial", &d.serial)?;
        log(&mut tx, actor, "device.add", "device", Some(id), d.assignee,
            json!({"serial": d.serial, "kind": d.kind, "byod": d.byod, "encrypted": d.encrypted, "status": status})).await?;
        let dev = get_device(&mut tx, id).await?;
        tx.commit().await?;
        Ok(dev)
    }

    /// Every device, by id.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx.rows("SELECT * FROM devices ORDER BY id", &[]).await?;
        tx.commit().await?;
        rows.iter().map(Device::from_row).collect()
    }

    /// One device.
    pub async fn device(&self, id: i64) -> Result<Device> {
        let mut tx = self.backend.begin_read().await?;
        let d = get_device(&mut tx, id).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Gives a device in stock (or returned) to a person. Only the pack's device approvers may.
    pub async fn assign_device(
        &self,
        actor: &Actor,
        id: i64,
        person_id: i64,
        approvers: &[String],
    ) -> Result<Device> {
        let mut tx = self.backend.begin_write().await?;
        require_role(&mut tx, actor, approvers, "assign devices").await?;
        let d = get_device(&mut tx, id).await?;
        if !matches!(d.status.as_str(), "in_stock" | "returned") {
            return Err(Error::Transition {
                entity: "device",
                id,
                state: d.status,
                action: "assign it",
            });
        }
        let p = get_person(&mut tx, person_id).await?;
        if p.status != "active" {
            return Err(Error::Refused(format!(
                "person {person_id} is {}: devices go only to active people",
                p.status
            )));
        }
        tx.exec(
            "UPDATE devices SET status = 'assigned', assignee_id = $2, updated_at = $3 WHERE id = $1",
            &[id.into(), person_id.into(), now_us().into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "device.assign",
            "device",
            Some(id),
            Some(person_id),
            json!({"serial": d.serial}),
        )
        .await?;
        let d = get_device(&mut tx, id).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Records a device lost or stolen and opens a `lost_stolen_device` incident for it.
    pub async fn report_device_lost(
        &self,
        actor: &Actor,
        id: i64,
        stolen: bool,
        description: &str,
        routed_to: &str,
    ) -> Result<(Device, Incident)> {
        check_text("description", description, LONG)?;
        let reporter = actor
            .person()
            .ok_or_else(|| Error::Refused("a lost device is reported by a person".into()))?;
        let mut tx = self.backend.begin_write().await?;
        get_person(&mut tx, reporter).await?;
        let d = get_device(&mut tx, id).await?;
        if !matches!(d.status.as_str(), "assigned" | "in_stock") {
            return Err(Error::Transition {
                entity: "device",
                id,
                state: d.status,
                action: "report it lost or stolen",
            });
        }
        let status = if stolen { "stolen" } else { "lost" };
        let now = now_us();
        tx.exec(
            "UPDATE devices SET status = $2, updated_at = $3 WHERE id = $1",
            &[id.into(), status.into(), now.into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "device.lost",
            "device",
            Some(id),
            d.assignee,
            json!({"serial": d.serial, "status": status}),
        )
        .await?;
        let inc = insert_incident(
            &mut tx,
            actor,
            reporter,
            IncidentKind::LostStolenDevice,
            description,
            Some(id),
            routed_to,
        )
        .await?;
        let d = get_device(&mut tx, id).await?;
        tx.commit().await?;
        Ok((d, inc))
    }

    /// Records a device handed back (also a lost one found again).
    pub async fn return_device(
        &self,
        actor: &Actor,
        id: i64,
        approvers: &[String],
    ) -> Result<Device> {
        let mut tx = self.backend.begin_write().await?;
        require_role(&mut tx, actor, approvers, "take devices back").await?;
        let d = get_device(&mut tx, id).await?;
        if !matches!(d.status.as_str(), "assigned" | "lost" | "stolen") {
            return Err(Error::Transition {
                entity: "device",
                id,
                state: d.status,
                action: "return it",
            });
        }
        tx.exec(
            "UPDATE devices SET status = 'returned', assignee_id = NULL, updated_at = $2 WHERE id = $1",
            &[id.into(), now_us().into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "device.return",
            "device",
            Some(id),
            d.assignee,
            json!({"serial": d.serial, "from": d.status}),
        )
        .await?;
        let d = get_device(&mut tx, id).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Authorises a person to attach a removable medium or third-party hardware.
    pub async fn authorise_media(
        &self,
        actor: &Actor,
        person_id: i64,
        description: &str,
        reason: &str,
        expires_on: Option<&str>,
        approvers: &[String],
    ) -> Result<MediaAuthorisation> {
        check_text("description", description, SHORT)?;
        check_text("reason", reason, LONG)?;
        if let Some(e) = expires_on {
            time::parse_date("expires_on", e)?;
        }
        let mut tx = self.backend.begin_write().await?;
        let approver = require_role(&mut tx, actor, approvers, "authorise removable media").await?;
        get_person(&mut tx, person_id).await?;
        let id = tx
            .insert(
                "INSERT INTO media_authorisations (person_id, description, reason, authorised_by, authorised_at, expires_on) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[person_id.into(), description.into(), reason.into(), approver.id.into(), now_us().into(), expires_on.into()],
            )
            .await?;
        log(
            &mut tx,
            actor,
            "media.authorise",
            "media_authorisation",
            Some(id),
            Some(person_id),
            json!({"description": description, "expires_on": expires_on}),
        )
        .await?;
        let row = tx
            .one(
                "SELECT * FROM media_authorisations WHERE id = $1",
                &[id.into()],
            )
            .await?;
        tx.commit().await?;
        MediaAuthorisation::from_row(&row)
    }

    /// Withdraws a removable-media authorisation.
    pub async fn revoke_media(
        &self,
        actor: &Actor,
        id: i64,
        approvers: &[String],
    ) -> Result<MediaAuthorisation> {
        let mut tx = self.backend.begin_write().await?;
        require_role(
            &mut tx,
            actor,
            approvers,
            "revoke removable-media authorisations",
        )
        .await?;
        let row = tx
            .row(
                "SELECT * FROM media_authorisations WHERE id = $1",
                &[id.into()],
            )
            .await?
            .ok_or(Error::NotFound {
                entity: "media authorisation",
                id,
            })?;
        let m = MediaAuthorisation::from_row(&row)?;
        if m.revoked_at.is_some() {
            return Err(Error::Transition {
                entity: "media authorisation",
                id,
                state: "revoked".into(),
                action: "revoke it again",
            });
        }
        tx.exec(
            "UPDATE media_authorisations SET revoked_at = $2 WHERE id = $1",
            &[id.into(), now_us().into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "media.revoke",
            "media_authorisation",
            Some(id),
            Some(m.person_id),
            json!({"description": m.description}),
        )
        .await?;
        let row = tx
            .one(
                "SELECT * FROM media_authorisations WHERE id = $1",
                &[id.into()],
            )
            .await?;
        tx.commit().await?;
        MediaAuthorisation::from_row(&row)
    }

    /// Removable-media authorisations, by id.
    pub async fn media_authorisations(&self) -> Result<Vec<MediaAuthorisation>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows("SELECT * FROM media_authorisations ORDER BY id", &[])
            .await?;
        tx.commit().await?;
        rows.iter().map(MediaAuthorisation::from_row).collect()
    }

    // ---- software ---------------------------------------------------------------------------

    /// A person asks to install software.
    pub async fn request_software(
        &self,
        actor: &Actor,
        person_id: i64,
        software: &str,
        reason: &str,
    ) -> Result<SoftwareRequest> {
        check_text("software", software, SHORT)?;
        check_text("reason", reason, LONG)?;
        let mut tx = self.backend.begin_write().await?;
        get_person(&mut tx, person_id).await?;
        let id = tx
            .insert(
                "INSERT INTO software_requests (person_id, software, reason, status, requested_at) VALUES ($1, $2, $3, 'requested', $4) RETURNING id",
                &[person_id.into(), software.trim().into(), reason.into(), now_us().into()],
            )
            .await?;
        log(
            &mut tx,
            actor,
            "software.request",
            "software_request",
            Some(id),
            Some(person_id),
            json!({"software": software.trim()}),
        )
        .await?;
        let r = get_software(&mut tx, id).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Approves or refuses a software request. Only the pack's software approvers may, and
    /// not for their own request.
    pub async fn decide_software(
        &self,
        actor: &Actor,
        id: i64,
        approve: bool,
        reason: &str,
        approvers: &[String],
    ) -> Result<SoftwareRequest> {
        check_text("reason", reason, LONG)?;
        let mut tx = self.backend.begin_write().await?;
        let approver = require_role(&mut tx, actor, approvers, "decide software requests").await?;
        let r = get_software(&mut tx, id).await?;
        if r.status != "requested" {
            return Err(Error::Transition {
                entity: "software request",
                id,
                state: r.status,
                action: "decide it again",
            });
        }
        if r.person_id == approver.id {
            return Err(Error::Refused(format!(
                "person {} may not decide their own software request",
                approver.id
            )));
        }
        let status = if approve { "approved" } else { "refused" };
        tx.exec(
            "UPDATE software_requests SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5 WHERE id = $1",
            &[id.into(), status.into(), approver.id.into(), now_us().into(), reason.into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "software.decide",
            "software_request",
            Some(id),
            Some(r.person_id),
            json!({"software": r.software, "status": status, "reason": reason}),
        )
        .await?;
        let r = get_software(&mut tx, id).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Every software request, by id.
    pub async fn software_requests(&self) -> Result<Vec<SoftwareRequest>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows("SELECT * FROM software_requests ORDER BY id", &[])
            .await?;
        tx.commit().await?;
        rows.iter().map(SoftwareRequest::from_row).collect()
    }

    /// The approved software list: the names the engine's `unauthorised_software` check
    /// treats as authorised, sorted and without repeats.
    pub async fn approved_software(&self) -> Result<Vec<String>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows("SELECT DISTINCT software FROM software_requests WHERE status = 'approved' ORDER BY software", &[])
            .await?;
        tx.commit().await?;
        rows.iter().map(|r| r.text("software")).collect()
    }

    // ---- social media accounts ----------------------------------------------------------

    /// Registers an official social media account. Two-factor sign-in must be on, and only
    /// the pack's social media approvers may open one.
    #[expect(
        clippy::too_many_arguments,
        reason = "each is a field the policy asks for"
    )]
    pub async fn add_social_account(
        &self,
        actor: &Actor,
        platform: &str,
        handle: &str,
        owner: i64,
        custodian: i64,
        two_factor: bool,
        approvers: &[String],
    ) -> Result<SocialAccount> {
        check_text("platform", platform, SHORT)?;
        check_text("handle", handle, SHORT)?;
        if !two_factor {
            return Err(Error::Refused("the policy requires two-factor authentication on official social media accounts: turn it on first".into()));
        }
        let mut tx = self.backend.begin_write().await?;
        require_role(
            &mut tx,
            actor,
            approvers,
            "open official social media accounts",
        )
        .await?;
        get_person(&mut tx, owner).await?;
        get_person(&mut tx, custodian).await?;
        let now = now_us();
        let id = tx
            .insert(
                "INSERT INTO social_accounts (platform, handle, owner_id, custodian_id, two_factor, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) RETURNING id",
                &[platform.into(), handle.into(), owner.into(), custodian.into(), two_factor.into(), now.into()],
            )
            .await
            .on_duplicate("social account", &format!("{platform} {handle}"))?;
        log(
            &mut tx,
            actor,
            "social.add",
            "social_account",
            Some(id),
            Some(owner),
            json!({"platform": platform, "handle": handle, "custodian": custodian}),
        )
        .await?;
        let s = get_social(&mut tx, id).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Lets one more person post from an official account.
    pub async fn authorise_social_user(
        &self,
        actor: &Actor,
        id: i64,
        person_id: i64,
        approvers: &[String],
    ) -> Result<SocialAccount> {
        let mut tx = self.backend.begin_write().await?;
        require_role(&mut tx, actor, approvers, "authorise social media users").await?;
        let s = get_social(&mut tx, id).await?;
        if s.status != "active" {
            return Err(Error::Transition {
                entity: "social account",
                id,
                state: s.status,
                action: "add users",
            });
        }
        get_person(&mut tx, person_id).await?;
        let mut users = s.authorised_users.clone();
        if !users.contains(&person_id) {
            users.push(person_id);
        }
        let text = users
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        tx.exec(
            "UPDATE social_accounts SET authorised_users = $2, updated_at = $3 WHERE id = $1",
            &[id.into(), text.into(), now_us().into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "social.authorise",
            "social_account",
            Some(id),
            Some(person_id),
            json!({"handle": s.handle}),
        )
        .await?;
        let s = get_social(&mut tx, id).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Hands an official account to a new owner and credentials custodian (the policy: "The
    /// account must be handed over to the respective authority with all credentials"). The
    /// old owner loses posting rights.
    pub async fn hand_over_social(
        &self,
        actor: &Actor,
        id: i64,
        new_owner: i64,
        new_custodian: i64,
        approvers: &[String],
    ) -> Result<SocialAccount> {
        let mut tx = self.backend.begin_write().await?;
        require_role(&mut tx, actor, approvers, "hand over social media accounts").await?;
        let s = get_social(&mut tx, id).await?;
        if s.status != "active" {
            return Err(Error::Transition {
                entity: "social account",
                id,
                state: s.status,
                action: "hand it over",
            });
        }
        for p in [new_owner, new_custodian] {
            let person = get_person(&mut tx, p).await?;
            if person.status != "active" {
                return Err(Error::Refused(format!(
                    "person {p} is {}: hand the account to someone active",
                    person.status
                )));
            }
        }
        let users: Vec<String> = s
            .authorised_users
            .iter()
            .filter(|u| **u != s.owner_id && **u != s.custodian_id)
            .map(i64::to_string)
            .collect();
        tx.exec("UPDATE social_accounts SET owner_id = $2, custodian_id = $3, authorised_users = $4, updated_at = $5 WHERE id = $1",
            &[id.into(), new_owner.into(), new_custodian.into(), users.join(",").into(), now_us().into()]).await?;
        log(&mut tx, actor, "social.handover", "social_account", Some(id), Some(s.owner_id),
            json!({"handle": s.handle, "from_owner": s.owner_id, "to_owner": new_owner, "from_custodian": s.custodian_id, "to_custodian": new_custodian})).await?;
        let s = get_social(&mut tx, id).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Every official social media account, by id.
    pub async fn social_accounts(&self) -> Result<Vec<SocialAccount>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows("SELECT * FROM social_accounts ORDER BY id", &[])
            .await?;
        tx.commit().await?;
        rows.iter().map(SocialAccount::from_row).collect()
    }

    // ---- policy versions and acknowledgements -------------------------------------------

    /// Publishes a version of the written policy: its exact text is hashed so that an
    /// acknowledgement binds a person to that text. `material_change` makes everyone
    /// acknowledge again.
    pub async fn publish_policy(
        &self,
        actor: &Actor,
        pack_id: &str,
        version: &str,
        title: &str,
        text: &str,
        material_change: bool,
    ) -> Result<PolicyVersion> {
        check_text("pack_id", pack_id, SHORT)?;
        check_text("version", version, SHORT)?;
        check_text("title", title, SHORT)?;
        check_text("text", text, 5_000_000)?;
        let hash = text_hash(text);
        let mut tx = self.backend.begin_write().await?;
        let id = tx
            .insert(
                "INSERT INTO policies (pack_id, version, title, text_hash, material_change, published_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[pack_id.into(), version.into(), title.into(), hash.clone().into(), material_change.into(), now_us().into()],
            )
            .await
            .on_duplicate("policy version", &format!("{pack_id} {version}"))?;
        log(&mut tx, actor, "policy.publish", "policy", Some(id), None,
            json!({"pack_id": pack_id, "version": version, "text_hash": hash, "material_change": material_change})).await?;
        let row = tx
            .one("SELECT * FROM policies WHERE id = $1", &[id.into()])
            .await?;
        tx.commit().await?;
        PolicyVersion::from_row(&row)
    }

    /// Every published version, oldest first.
    pub async fn policy_versions(&self) -> Result<Vec<PolicyVersion>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx.rows("SELECT * FROM policies ORDER BY id", &[]).await?;
        tx.commit().await?;
        rows.iter().map(PolicyVersion::from_row).collect()
    }

    /// A person acknowledges the version whose text hashes to `text_hash` (what they were
    /// shown). A hash that is not the version's is refused: they read something else.
    /// `device` is the laptop an agreement names, which must be assigned to them.
    pub async fn acknowledge(
        &self,
        actor: &Actor,
        person_id: i64,
        policy_id: i64,
        text_hash: &str,
        kind: AckKind,
        device: Option<i64>,
    ) -> Result<Acknowledgement> {
        let mut tx = self.backend.begin_write().await?;
        if let Some(d) = device {
            let dev = get_device(&mut tx, d).await?;
            if dev.assignee != Some(person_id) || dev.status != "assigned" {
                return Err(Error::Refused(format!(
                    "device {d} ({}) is not assigned to person {person_id}",
                    dev.serial
                )));
            }
        }
        let p = get_person(&mut tx, person_id).await?;
        if p.status != "active" {
            return Err(Error::Refused(format!(
                "person {person_id} is {}",
                p.status
            )));
        }
        let row = tx
            .row("SELECT * FROM policies WHERE id = $1", &[policy_id.into()])
            .await?
            .ok_or(Error::NotFound {
                entity: "policy version",
                id: policy_id,
            })?;
        let v = PolicyVersion::from_row(&row)?;
        if v.text_hash != text_hash.trim() {
            return Err(Error::Refused(format!(
                "the text acknowledged (hash {}) is not the text of {} version {} (hash {})",
                text_hash.trim(),
                v.pack_id,
                v.version,
                v.text_hash
            )));
        }
        let id = tx
            .insert(
                "INSERT INTO acknowledgements (person_id, policy_id, text_hash, kind, at, device_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[person_id.into(), policy_id.into(), v.text_hash.clone().into(), kind.as_str().into(), now_us().into(), device.into()],
            )
            .await?;
        log(&mut tx, actor, "policy.acknowledge", "acknowledgement", Some(id), Some(person_id),
            json!({"policy": policy_id, "version": v.version, "kind": kind.as_str(), "text_hash": v.text_hash, "device": device})).await?;
        let row = tx
            .one("SELECT * FROM acknowledgements WHERE id = $1", &[id.into()])
            .await?;
        tx.commit().await?;
        Acknowledgement::from_row(&row)
    }

    /// A person's acknowledgements, oldest first.
    pub async fn acknowledgements_of(&self, person_id: i64) -> Result<Vec<Acknowledgement>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows(
                "SELECT * FROM acknowledgements WHERE person_id = $1 ORDER BY id",
                &[person_id.into()],
            )
            .await?;
        tx.commit().await?;
        rows.iter().map(Acknowledgement::from_row).collect()
    }

    /// Who owes what on `today`: an agreement to the latest materially changed version (or
    /// the first version), a briefing when the last one is older than `briefing_every_months`,
    /// and an induction for new staff when `induction` is set.
    pub async fn acknowledgements_due(
        &self,
        today: jiff::civil::Date,
        governance: &Governance,
    ) -> Result<Vec<AckDue>> {
        let people = self.people().await?;
        let versions = self.policy_versions().await?;
        let Some(required) = versions
            .iter()
            .rev()
            .find(|v| v.material_change)
            .or(versions.first())
        else {
            return Ok(Vec::new());
        };
        let mut tx = self.backend.begin_read().await?;
        let acks: Vec<Acknowledgement> = tx
            .rows("SELECT * FROM acknowledgements ORDER BY at", &[])
            .await?
            .iter()
            .map(Acknowledgement::from_row)
            .collect::<Result<_>>()?;
        tx.commit().await?;
        let mut due = Vec::new();
        for p in people.iter().filter(|p| p.status == "active") {
            let mine: Vec<&Acknowledgement> = acks.iter().filter(|a| a.person_id == p.id).collect();
            // Everyone owes an agreement to the version in force (ITEC: signed before using
            // the facilities; elsewhere: on publication or a material change).
            {
                let agreed = mine
                    .iter()
                    .any(|a| a.kind == "agreement" && a.policy_id >= required.id);
                if !agreed {
                    due.push(AckDue {
                        person_id: p.id,
                        kind: "agreement".into(),
                        reason: format!(
                            "has not acknowledged {} version {}{}",
                            required.pack_id,
                            required.version,
                            if required.material_change {
                                " (a material change)"
                            } else {
                                ""
                            }
                        ),
                    });
                }
            }
            if governance.induction && !mine.iter().any(|a| a.kind == "induction") {
                due.push(AckDue {
                    person_id: p.id,
                    kind: "induction".into(),
                    reason: "new staff are briefed on joining; no induction recorded".into(),
                });
            }
            if let Some(months) = governance.briefing_every_months {
                let last = mine
                    .iter()
                    .filter(|a| a.kind == "briefing" || a.kind == "induction")
                    .filter_map(|a| a.at.parse::<jiff::Timestamp>().ok())
                    .max();
                let last_day = last.map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date());
                match last_day {
                    Some(d) if time::add_months(d, i64::from(months)) > today => {}
                    Some(d) => due.push(AckDue {
                        person_id: p.id,
                        kind: "briefing".into(),
                        reason: format!("last briefed {d}; briefings are every {months} months"),
                    }),
                    None => due.push(AckDue {
                        person_id: p.id,
                        kind: "briefing".into(),
                        reason: "never briefed".into(),
                    }),
                }
            }
        }
        Ok(due)
    }

    // ---- incidents --------------------------------------------------------------------------

    /// Reports an incident; `routed_to` is the role it goes to (see [`route_incident`]).
    pub async fn report_incident(
        &self,
        actor: &Actor,
        kind: IncidentKind,
        description: &str,
        device_id: Option<i64>,
        routed_to: &str,
    ) -> Result<Incident> {
        check_text("description", description, LONG)?;
        let reporter = actor
            .person()
            .ok_or_else(|| Error::Refused("incidents are reported by a person".into()))?;
        let mut tx = self.backend.begin_write().await?;
        get_person(&mut tx, reporter).await?;
        if let Some(d) = device_id {
            get_device(&mut tx, d).await?;
        }
        let inc = insert_incident(
            &mut tx,
            actor,
            reporter,
            kind,
            description,
            device_id,
            routed_to,
        )
        .await?;
        tx.commit().await?;
        Ok(inc)
    }

    /// Closes an incident with what was done. Only someone holding the role it was routed to
    /// (or one of `also`) may.
    pub async fn close_incident(
        &self,
        actor: &Actor,
        id: i64,
        outcome: &str,
        also: &[String],
    ) -> Result<Incident> {
        check_text("outcome", outcome, LONG)?;
        let mut tx = self.backend.begin_write().await?;
        let inc = get_incident(&mut tx, id).await?;
        if inc.status != "open" {
            return Err(Error::Transition {
                entity: "incident",
                id,
                state: inc.status,
                action: "close it",
            });
        }
        let mut roles = vec![inc.routed_to.clone()];
        if inc.kind != "safeguarding" {
            roles.extend(also.iter().cloned());
        }
        let closer = require_role(&mut tx, actor, &roles, "close this incident").await?;
        tx.exec("UPDATE incidents SET status = 'closed', closed_by = $2, closed_at = $3, outcome = $4 WHERE id = $1",
            &[id.into(), closer.id.into(), now_us().into(), outcome.into()]).await?;
        log(
            &mut tx,
            actor,
            "incident.close",
            "incident",
            Some(id),
            Some(inc.reported_by),
            json!({"outcome": outcome}),
        )
        .await?;
        let inc = get_incident(&mut tx, id).await?;
        tx.commit().await?;
        Ok(inc)
    }

    /// Every incident, by id.
    pub async fn incidents(&self) -> Result<Vec<Incident>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx.rows("SELECT * FROM incidents ORDER BY id", &[]).await?;
        tx.commit().await?;
        rows.iter().map(Incident::from_row).collect()
    }
}

pub(crate) async fn insert_account(
    tx: &mut Tx,
    actor: &Actor,
    person_id: i64,
    system: &str,
    name: &str,
    note: Option<&str>,
) -> Result<Account> {
    let p = get_person(tx, person_id).await?;
    if p.status != "active" {
        return Err(Error::Refused(format!(
            "person {person_id} is {}: no new accounts",
            p.status
        )));
    }
    let id = tx
        .insert(
            "INSERT INTO accounts (person_id, system, name, note, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[person_id.into(), system.into(), name.into(), note.into(), now_us().into()],
        )
        .await
        .on_duplicate("account", &format!("{system} {name}"))?;
    log(
        tx,
        actor,
        "account.add",
        "account",
        Some(id),
        Some(person_id),
        json!({"system": system, "name": name, "note": note}),
    )
    .await?;
    let row = tx
        .one("SELECT * FROM accounts WHERE id = $1", &[id.into()])
        .await?;
    Account::from_row(&row)
}

pub(crate) async fn get_device(tx: &mut Tx, id: i64) -> Result<Device> {
    let row = tx
        .row("SELECT * FROM devices WHERE id = $1", &[id.into()])
        .await?
        .ok_or(Error::NotFound {
            entity: "device",
            id,
        })?;
    Device::from_row(&row)
}

async fn get_software(tx: &mut Tx, id: i64) -> Result<SoftwareRequest> {
    let row = tx
        .row(
            "SELECT * FROM software_requests WHERE id = $1",
            &[id.into()],
        )
        .await?
        .ok_or(Error::NotFound {
            entity: "software request",
            id,
        })?;
    SoftwareRequest::from_row(&row)
}

async fn get_social(tx: &mut Tx, id: i64) -> Result<SocialAccount> {
    let row = tx
        .row("SELECT * FROM social_accounts WHERE id = $1", &[id.into()])
        .await?
        .ok_or(Error::NotFound {
            entity: "social account",
            id,
        })?;
    SocialAccount::from_row(&row)
}

async fn get_incident(tx: &mut Tx, id: i64) -> Result<Incident> {
    let row = tx
        .row("SELECT * FROM incidents WHERE id = $1", &[id.into()])
        .await?
        .ok_or(Error::NotFound {
            entity: "incident",
            id,
        })?;
    Incident::from_row(&row)
}

async fn insert_incident(
    tx: &mut Tx,
    actor: &Actor,
    reporter: i64,
    kind: IncidentKind,
    description: &str,
    device_id: Option<i64>,
    routed_to: &str,
) -> Result<Incident> {
    check_text("routed_to", routed_to, SHORT)?;
    let id = tx
        .insert(
            "INSERT INTO incidents (kind, reported_by, reported_at, description, device_id, routed_to, status) VALUES ($1, $2, $3, $4, $5, $6, 'open') RETURNING id",
            &[kind.as_str().into(), reporter.into(), now_us().into(), description.into(), device_id.into(), routed_to.into()],
        )
        .await?;
    log(
        tx,
        actor,
        "incident.report",
        "incident",
        Some(id),
        Some(reporter),
        json!({"kind": kind.as_str(), "routed_to": routed_to, "device": device_id}),
    )
    .await?;
    get_incident(tx, id).await
}
