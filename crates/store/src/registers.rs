//! Typed storage for people and accounts, devices and removable media, software requests,
//! social media accounts, policy versions and acknowledgements, incidents and notices. No
//! rule of any workflow is here: who may do what, and in which state, is `charter-app`'s.

use sha2::{Digest, Sha256};

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::db::Tx;
use crate::error::{Error, OnDuplicate as _, Result, check_len, check_text};
use crate::model::*;
use crate::time::{self, now_us};
use crate::txn::Txn;

/// Longest name, serial, handle or other short field kept.
pub(crate) const SHORT: usize = 200;
/// Longest description kept.
pub(crate) const LONG: usize = 20_000;
/// Longest policy text kept.
const POLICY_TEXT: usize = 5_000_000;

/// Appends an audit row inside `tx` (the monitoring records' writes and views log through it).
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

fn opt_len(fields: &[(&'static str, &Option<String>)], max: usize) -> Result<()> {
    for (f, v) in fields {
        if let Some(v) = v {
            check_len(f, v, max)?;
        }
    }
    Ok(())
}

/// SHA-256 of a policy text, hex.
pub fn text_hash(text: &str) -> String {
    bytes_hash(text.as_bytes())
}

/// SHA-256 of bytes, hex (a log file's first bytes, to tell it from its rotated successor).
pub fn bytes_hash(bytes: &[u8]) -> String {
    charter_proto::hex::encode(&Sha256::digest(bytes))
}

impl Store {
    /// Everyone, by id.
    pub async fn people(&self) -> Result<Vec<Person>> {
        let mut tx = self.begin().await?;
        let out = tx.people().await?;
        tx.commit().await?;
        Ok(out)
    }

    /// One person.
    pub async fn person(&self, id: i64) -> Result<Person> {
        let mut tx = self.begin().await?;
        let out = tx.person(id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A person's accounts.
    pub async fn accounts_of(&self, person_id: i64) -> Result<Vec<Account>> {
        let mut tx = self.begin().await?;
        let out = tx.accounts_of(person_id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Every device, by id.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        let mut tx = self.begin().await?;
        let out = tx.devices().await?;
        tx.commit().await?;
        Ok(out)
    }
}

impl Txn {
    // ---- people ---------------------------------------------------------------------------

    /// One person.
    pub async fn person(&mut self, id: i64) -> Result<Person> {
        self.by_id(
            "SELECT * FROM people WHERE id = $1",
            "person",
            id,
            Person::from_row,
        )
        .await
    }

    /// Everyone, by id.
    pub async fn people(&mut self) -> Result<Vec<Person>> {
        self.all("SELECT * FROM people ORDER BY id", &[], Person::from_row)
            .await
    }

    /// Adds a person, `active`.
    pub async fn insert_person(&mut self, p: &NewPerson) -> Result<Person> {
        check_text("first_name", &p.first_name, SHORT)?;
        check_text("last_name", &p.last_name, SHORT)?;
        opt_len(
            &[("department", &p.department), ("location", &p.location)],
            SHORT,
        )?;
        opt_date("start_date", &p.start_date)?;
        let roles = roles_text(&p.roles)?;
        if let Some(m) = p.line_manager {
            self.person(m).await?;
        }
        let now = now_us();
        let id = self.tx
            .insert(
                "INSERT INTO people (first_name, last_name, department, location, roles, line_manager_id, start_date, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                &[
                    p.first_name.trim().into(),
                    p.last_name.trim().into(),
                    p.department.clone().into(),
                    p.location.clone().into(),
                    roles.into(),
                    p.line_manager.into(),
                    p.start_date.clone().into(),
                    PersonStatus::Active.into(),
                    now.into(),
                ],
            )
            .await?;
        self.person(id).await
    }

    /// Writes the fields `u` sets; the rest stay.
    pub async fn update_person(&mut self, id: i64, u: &PersonUpdate) -> Result<Person> {
        opt_date("leaving_date", &u.leaving_date)?;
        opt_len(
            &[("department", &u.department), ("location", &u.location)],
            SHORT,
        )?;
        let before = self.person(id).await?;
        if let Some(m) = u.line_manager {
            self.person(m).await?;
        }
        let roles = match &u.roles {
            Some(r) => roles_text(r)?,
            None => before.roles.join(","),
        };
        self.tx
            .exec(
                "UPDATE people SET roles = $2, line_manager_id = $3, department = $4, location = $5, leaving_date = $6, updated_at = $7 WHERE id = $1",
                &[
                    id.into(),
                    roles.into(),
                    u.line_manager.or(before.line_manager).into(),
                    u.department.clone().or(before.department).into(),
                    u.location.clone().or(before.location).into(),
                    u.leaving_date.clone().or(before.leaving_date).into(),
                    now_us().into(),
                ],
            )
            .await?;
        self.person(id).await
    }

    /// Moves a person from `from` to `to`.
    pub async fn set_person_status(
        &mut self,
        id: i64,
        from: PersonStatus,
        to: PersonStatus,
    ) -> Result<Person> {
        let n = self
            .tx
            .exec(
                "UPDATE people SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2",
                &[id.into(), from.into(), to.into(), now_us().into()],
            )
            .await?;
        Txn::changed(n, "person", id)?;
        self.person(id).await
    }

    /// Replaces what identifies a person who has left by `erased` / `person N`, clears their
    /// department, location and roles, and marks them `erased`. The id stays, so kept records
    /// still hang together.
    pub async fn erase_identity(&mut self, id: i64) -> Result<Person> {
        let n = self.tx
            .exec(
                "UPDATE people SET first_name = 'erased', last_name = $2, department = NULL, location = NULL, roles = '', status = $3, updated_at = $4 WHERE id = $1 AND status = $5",
                &[id.into(), format!("person {id}").into(), PersonStatus::Erased.into(), now_us().into(), PersonStatus::Left.into()],
            )
            .await?;
        Txn::changed(n, "person", id)?;
        self.person(id).await
    }

    // ---- accounts -------------------------------------------------------------------------

    /// One account.
    pub async fn account(&mut self, id: i64) -> Result<Account> {
        self.by_id(
            "SELECT * FROM accounts WHERE id = $1",
            "account",
            id,
            Account::from_row,
        )
        .await
    }

    /// A person's accounts, by id.
    pub async fn accounts_of(&mut self, person_id: i64) -> Result<Vec<Account>> {
        self.person(person_id).await?;
        self.all(
            "SELECT * FROM accounts WHERE person_id = $1 ORDER BY id",
            &[person_id.into()],
            Account::from_row,
        )
        .await
    }

    /// Every account, by id.
    pub async fn accounts(&mut self) -> Result<Vec<Account>> {
        self.all("SELECT * FROM accounts ORDER BY id", &[], Account::from_row)
            .await
    }

    /// Adds an account, `active`.
    pub async fn insert_account(
        &mut self,
        person_id: i64,
        system: &str,
        name: &str,
        note: Option<&str>,
    ) -> Result<Account> {
        check_text("system", system, SHORT)?;
        check_text("name", name, SHORT)?;
        if let Some(n) = note {
            check_len("note", n, LONG)?;
        }
        self.person(person_id).await?;
        let id = self.tx
            .insert(
                "INSERT INTO accounts (person_id, system, name, note, status, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[person_id.into(), system.trim().into(), name.trim().into(), note.into(), AccountStatus::Active.into(), now_us().into()],
            )
            .await
            .on_duplicate("account", &format!("{system} {name}"))?;
        self.account(id).await
    }

    /// Disables one active account.
    pub async fn disable_account(&mut self, id: i64) -> Result<Account> {
        let n = self
            .tx
            .exec(
                "UPDATE accounts SET status = $2, disabled_at = $3 WHERE id = $1 AND status = $4",
                &[
                    id.into(),
                    AccountStatus::Disabled.into(),
                    now_us().into(),
                    AccountStatus::Active.into(),
                ],
            )
            .await?;
        Txn::changed(n, "account", id)?;
        self.account(id).await
    }

    // ---- devices --------------------------------------------------------------------------

    /// One device.
    pub async fn device(&mut self, id: i64) -> Result<Device> {
        self.by_id(
            "SELECT * FROM devices WHERE id = $1",
            "device",
            id,
            Device::from_row,
        )
        .await
    }

    /// Every device, by id.
    pub async fn devices(&mut self) -> Result<Vec<Device>> {
        self.all("SELECT * FROM devices ORDER BY id", &[], Device::from_row)
            .await
    }

    /// Devices assigned to a person (their own BYOD ones included).
    pub async fn devices_of(&mut self, person_id: i64) -> Result<Vec<Device>> {
        self.all(
            "SELECT * FROM devices WHERE assignee_id = $1 ORDER BY id",
            &[person_id.into()],
            Device::from_row,
        )
        .await
    }

    /// Adds a device in `status`.
    pub async fn insert_device(&mut self, d: &NewDevice, status: DeviceStatus) -> Result<Device> {
        check_text("serial", &d.serial, SHORT)?;
        check_text("kind", &d.kind, SHORT)?;
        if let Some(n) = &d.note {
            check_len("note", n, LONG)?;
        }
        if let Some(a) = d.assignee {
            self.person(a).await?;
        }
        let now = now_us();
        let id = self.tx
            .insert(
                "INSERT INTO devices (serial, kind, assignee_id, byod, encrypted, status, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                &[
                    d.serial.trim().into(),
                    d.kind.trim().into(),
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
        self.device(id).await
    }

    /// Moves a device from `from` to `to`, with `assignee` as its holder.
    pub async fn set_device(
        &mut self,
        id: i64,
        from: DeviceStatus,
        to: DeviceStatus,
        assignee: Option<i64>,
    ) -> Result<Device> {
        let n = self.tx
            .exec(
                "UPDATE devices SET status = $3, assignee_id = $4, updated_at = $5 WHERE id = $1 AND status = $2",
                &[id.into(), from.into(), to.into(), assignee.into(), now_us().into()],
            )
            .await?;
        Txn::changed(n, "device", id)?;
        self.device(id).await
    }

    /// Sets how a device shows on the network (each field as given: `None` clears it).
    pub async fn set_device_network(&mut self, id: i64, net: &DeviceNetwork) -> Result<Device> {
        for (what, value) in [
            ("mac", &net.mac),
            ("hostname", &net.hostname),
            ("ip", &net.ip),
        ] {
            if let Some(v) = value {
                check_text(what, v, SHORT)?;
            }
        }
        let n = self
            .tx
            .exec(
                "UPDATE devices SET mac = $2, hostname = $3, ip = $4, updated_at = $5 WHERE id = $1",
                &[
                    id.into(),
                    net.mac.clone().into(),
                    net.hostname.clone().into(),
                    net.ip.clone().into(),
                    now_us().into(),
                ],
            )
            .await?;
        Txn::changed(n, "device", id)?;
        self.device(id).await
    }

    // ---- removable media ------------------------------------------------------------------

    /// One removable-media authorisation.
    pub async fn media(&mut self, id: i64) -> Result<MediaAuthorisation> {
        self.by_id(
            "SELECT * FROM media_authorisations WHERE id = $1",
            "media authorisation",
            id,
            MediaAuthorisation::from_row,
        )
        .await
    }

    /// Every removable-media authorisation, by id.
    pub async fn media_all(&mut self) -> Result<Vec<MediaAuthorisation>> {
        self.all(
            "SELECT * FROM media_authorisations ORDER BY id",
            &[],
            MediaAuthorisation::from_row,
        )
        .await
    }

    /// A person's removable-media authorisations, by id.
    pub async fn media_of(&mut self, person_id: i64) -> Result<Vec<MediaAuthorisation>> {
        self.all(
            "SELECT * FROM media_authorisations WHERE person_id = $1 ORDER BY id",
            &[person_id.into()],
            MediaAuthorisation::from_row,
        )
        .await
    }

    /// Records an authorisation.
    pub async fn insert_media(&mut self, m: &NewMedia) -> Result<MediaAuthorisation> {
        check_text("description", &m.description, SHORT)?;
        check_text("reason", &m.reason, LONG)?;
        opt_date("expires_on", &m.expires_on)?;
        if let Some(id) = &m.usb_id {
            crate::error::check_len("usb_id", id, SHORT)?;
        }
        if let Some(serial) = &m.usb_serial {
            crate::error::check_len("usb_serial", serial, SHORT)?;
        }
        self.person(m.person_id).await?;
        let id = self.tx
            .insert(
                "INSERT INTO media_authorisations (person_id, description, reason, authorised_by, authorised_at, expires_on, usb_id, usb_serial) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[m.person_id.into(), m.description.clone().into(), m.reason.clone().into(), m.authorised_by.into(), now_us().into(), m.expires_on.clone().into(), m.usb_id.clone().into(), m.usb_serial.clone().into()],
            )
            .await?;
        self.media(id).await
    }

    /// Ends an authorisation that is still in force.
    pub async fn revoke_media(&mut self, id: i64) -> Result<MediaAuthorisation> {
        let n = self
            .tx
            .exec(
                "UPDATE media_authorisations SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[id.into(), now_us().into()],
            )
            .await?;
        Txn::changed(n, "media authorisation", id)?;
        self.media(id).await
    }

    // ---- software -------------------------------------------------------------------------

    /// One software request.
    pub async fn software_request(&mut self, id: i64) -> Result<SoftwareRequest> {
        self.by_id(
            "SELECT * FROM software_requests WHERE id = $1",
            "software request",
            id,
            SoftwareRequest::from_row,
        )
        .await
    }

    /// Every software request, by id.
    pub async fn software_requests(&mut self) -> Result<Vec<SoftwareRequest>> {
        self.all(
            "SELECT * FROM software_requests ORDER BY id",
            &[],
            SoftwareRequest::from_row,
        )
        .await
    }

    /// A person's software requests, by id.
    pub async fn software_requests_of(&mut self, person_id: i64) -> Result<Vec<SoftwareRequest>> {
        self.all(
            "SELECT * FROM software_requests WHERE person_id = $1 ORDER BY id",
            &[person_id.into()],
            SoftwareRequest::from_row,
        )
        .await
    }

    /// Records a request, `requested`.
    pub async fn insert_software_request(
        &mut self,
        person_id: i64,
        software: &str,
        reason: &str,
    ) -> Result<SoftwareRequest> {
        check_text("software", software, SHORT)?;
        check_text("reason", reason, LONG)?;
        self.person(person_id).await?;
        let id = self.tx
            .insert(
                "INSERT INTO software_requests (person_id, software, reason, status, requested_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[person_id.into(), software.trim().into(), reason.into(), SoftwareStatus::Requested.into(), now_us().into()],
            )
            .await?;
        self.software_request(id).await
    }

    /// Records the decision on a request still `requested`.
    pub async fn decide_software_request(
        &mut self,
        id: i64,
        to: SoftwareStatus,
        by: i64,
        reason: &str,
    ) -> Result<SoftwareRequest> {
        check_text("reason", reason, LONG)?;
        let n = self.tx
            .exec(
                "UPDATE software_requests SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5 WHERE id = $1 AND status = $6",
                &[id.into(), to.into(), by.into(), now_us().into(), reason.into(), SoftwareStatus::Requested.into()],
            )
            .await?;
        Txn::changed(n, "software request", id)?;
        self.software_request(id).await
    }

    /// The approved list: the names the engine's `unauthorised_software` check treats as
    /// authorised, sorted and without repeats.
    pub async fn approved_software(&mut self) -> Result<Vec<String>> {
        self.all(
            "SELECT DISTINCT software FROM software_requests WHERE status = $1 ORDER BY software",
            &[SoftwareStatus::Approved.into()],
            |r| r.text("software"),
        )
        .await
    }

    // ---- social media accounts ------------------------------------------------------------

    /// One official social media account.
    pub async fn social(&mut self, id: i64) -> Result<SocialAccount> {
        self.by_id(
            "SELECT * FROM social_accounts WHERE id = $1",
            "social account",
            id,
            SocialAccount::from_row,
        )
        .await
    }

    /// Every official social media account, by id.
    pub async fn socials(&mut self) -> Result<Vec<SocialAccount>> {
        self.all(
            "SELECT * FROM social_accounts ORDER BY id",
            &[],
            SocialAccount::from_row,
        )
        .await
    }

    /// Registers an account, `active`.
    pub async fn insert_social(&mut self, s: &NewSocial) -> Result<SocialAccount> {
        check_text("platform", &s.platform, SHORT)?;
        check_text("handle", &s.handle, SHORT)?;
        self.person(s.owner_id).await?;
        self.person(s.custodian_id).await?;
        let now = now_us();
        let id = self.tx
            .insert(
                "INSERT INTO social_accounts (platform, handle, owner_id, custodian_id, two_factor, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                &[s.platform.trim().into(), s.handle.trim().into(), s.owner_id.into(), s.custodian_id.into(), s.two_factor.into(), SocialStatus::Active.into(), now.into()],
            )
            .await
            .on_duplicate("social account", &format!("{} {}", s.platform, s.handle))?;
        self.social(id).await
    }

    /// Sets who holds an `active` account: owner, credentials custodian and the others who
    /// may post.
    pub async fn set_social_holders(
        &mut self,
        id: i64,
        owner: i64,
        custodian: i64,
        users: &[i64],
    ) -> Result<SocialAccount> {
        for p in [owner, custodian].iter().chain(users) {
            self.person(*p).await?;
        }
        let users: Vec<String> = users.iter().map(i64::to_string).collect();
        let n = self.tx
            .exec(
                "UPDATE social_accounts SET owner_id = $2, custodian_id = $3, authorised_users = $4, updated_at = $5 WHERE id = $1 AND status = $6",
                &[id.into(), owner.into(), custodian.into(), users.join(",").into(), now_us().into(), SocialStatus::Active.into()],
            )
            .await?;
        Txn::changed(n, "social account", id)?;
        self.social(id).await
    }

    // ---- policy versions and acknowledgements ----------------------------------------------

    /// One published version.
    pub async fn policy_version(&mut self, id: i64) -> Result<PolicyVersion> {
        self.by_id(
            "SELECT * FROM policies WHERE id = $1",
            "policy version",
            id,
            PolicyVersion::from_row,
        )
        .await
    }

    /// Every published version, oldest first.
    pub async fn policy_versions(&mut self) -> Result<Vec<PolicyVersion>> {
        self.all(
            "SELECT * FROM policies ORDER BY id",
            &[],
            PolicyVersion::from_row,
        )
        .await
    }

    /// Publishes a version: its exact text is hashed so that an acknowledgement binds a
    /// person to that text.
    pub async fn insert_policy_version(
        &mut self,
        pack_id: &str,
        version: &str,
        title: &str,
        text: &str,
        material_change: bool,
    ) -> Result<PolicyVersion> {
        check_text("pack_id", pack_id, SHORT)?;
        check_text("version", version, SHORT)?;
        check_text("title", title, SHORT)?;
        check_text("text", text, POLICY_TEXT)?;
        let id = self.tx
            .insert(
                "INSERT INTO policies (pack_id, version, title, text_hash, material_change, published_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[pack_id.into(), version.trim().into(), title.into(), text_hash(text).into(), material_change.into(), now_us().into()],
            )
            .await
            .on_duplicate("policy version", &format!("{pack_id} {version}"))?;
        self.policy_version(id).await
    }

    /// Every acknowledgement, oldest first.
    pub async fn acknowledgements(&mut self) -> Result<Vec<Acknowledgement>> {
        self.all(
            "SELECT * FROM acknowledgements ORDER BY at, id",
            &[],
            Acknowledgement::from_row,
        )
        .await
    }

    /// A person's acknowledgements, oldest first.
    pub async fn acknowledgements_of(&mut self, person_id: i64) -> Result<Vec<Acknowledgement>> {
        self.all(
            "SELECT * FROM acknowledgements WHERE person_id = $1 ORDER BY id",
            &[person_id.into()],
            Acknowledgement::from_row,
        )
        .await
    }

    /// Records that a person acknowledged `policy_id`, whose text hashes to `text_hash`.
    pub async fn insert_acknowledgement(
        &mut self,
        person_id: i64,
        policy_id: i64,
        text_hash: &str,
        kind: AckKind,
        device: Option<i64>,
    ) -> Result<Acknowledgement> {
        check_text("text_hash", text_hash, SHORT)?;
        let id = self.tx
            .insert(
                "INSERT INTO acknowledgements (person_id, policy_id, text_hash, kind, at, device_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[person_id.into(), policy_id.into(), text_hash.into(), kind.into(), now_us().into(), device.into()],
            )
            .await?;
        self.by_id(
            "SELECT * FROM acknowledgements WHERE id = $1",
            "acknowledgement",
            id,
            Acknowledgement::from_row,
        )
        .await
    }

    // ---- incidents ------------------------------------------------------------------------

    /// One incident.
    pub async fn incident(&mut self, id: i64) -> Result<Incident> {
        self.by_id(
            "SELECT * FROM incidents WHERE id = $1",
            "incident",
            id,
            Incident::from_row,
        )
        .await
    }

    /// Every incident, by id.
    pub async fn incidents(&mut self) -> Result<Vec<Incident>> {
        self.all(
            "SELECT * FROM incidents ORDER BY id",
            &[],
            Incident::from_row,
        )
        .await
    }

    /// Incidents about one device, by id.
    pub async fn incidents_about(&mut self, device_id: i64) -> Result<Vec<Incident>> {
        self.all(
            "SELECT * FROM incidents WHERE device_id = $1 ORDER BY id",
            &[device_id.into()],
            Incident::from_row,
        )
        .await
    }

    /// Incidents a person reported, by id.
    pub async fn incidents_reported_by(&mut self, person_id: i64) -> Result<Vec<Incident>> {
        self.all(
            "SELECT * FROM incidents WHERE reported_by = $1 ORDER BY id",
            &[person_id.into()],
            Incident::from_row,
        )
        .await
    }

    /// Records an incident, `open`.
    pub async fn insert_incident(&mut self, i: &NewIncident) -> Result<Incident> {
        check_text("description", &i.description, LONG)?;
        check_text("routed_to", &i.routed_to, SHORT)?;
        self.person(i.reported_by).await?;
        if let Some(d) = i.device_id {
            self.device(d).await?;
        }
        let id = self.tx
            .insert(
                "INSERT INTO incidents (kind, reported_by, reported_at, description, device_id, routed_to, status) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[i.kind.into(), i.reported_by.into(), now_us().into(), i.description.clone().into(), i.device_id.into(), i.routed_to.clone().into(), IncidentStatus::Open.into()],
            )
            .await?;
        self.incident(id).await
    }

    /// Closes an `open` incident with what was done.
    pub async fn close_incident(&mut self, id: i64, by: i64, outcome: &str) -> Result<Incident> {
        check_text("outcome", outcome, LONG)?;
        let n = self.tx
            .exec(
                "UPDATE incidents SET status = $2, closed_by = $3, closed_at = $4, outcome = $5 WHERE id = $1 AND status = $6",
                &[id.into(), IncidentStatus::Closed.into(), by.into(), now_us().into(), outcome.into(), IncidentStatus::Open.into()],
            )
            .await?;
        Txn::changed(n, "incident", id)?;
        self.incident(id).await
    }

    // ---- notices --------------------------------------------------------------------------

    /// Leaves a message for a person.
    pub async fn insert_notice(
        &mut self,
        person_id: i64,
        text: &str,
        audit_seq: Option<i64>,
    ) -> Result<Notice> {
        check_text("text", text, LONG)?;
        let id = self.tx
            .insert(
                "INSERT INTO notices (person_id, at, text, audit_seq) VALUES ($1, $2, $3, $4) RETURNING id",
                &[person_id.into(), now_us().into(), text.into(), audit_seq.into()],
            )
            .await?;
        self.by_id(
            "SELECT * FROM notices WHERE id = $1",
            "notice",
            id,
            Notice::from_row,
        )
        .await
    }

    /// A person's messages, oldest first.
    pub async fn notices_of(&mut self, person_id: i64) -> Result<Vec<Notice>> {
        self.all(
            "SELECT * FROM notices WHERE person_id = $1 ORDER BY id",
            &[person_id.into()],
            Notice::from_row,
        )
        .await
    }
}
