//! Subject access and erasure: everything Charter holds about one person, and what erasure
//! may remove and what the law requires to keep.

use serde::Serialize;
use serde_json::json;

use crate::Store;
use crate::audit::{self, Actor, AuditRow};
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::model::*;
use crate::records::{self, Record, RecordFilter};
use crate::registers::{get_person, log};

/// Everything held about one person.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectExport {
    /// When the export was made.
    pub generated_at: String,
    /// The person.
    pub person: Person,
    /// Their accounts (mail addresses, logins).
    pub accounts: Vec<Account>,
    /// Devices assigned to them.
    pub devices: Vec<Device>,
    /// Removable-media authorisations.
    pub media_authorisations: Vec<MediaAuthorisation>,
    /// Their software requests.
    pub software_requests: Vec<SoftwareRequest>,
    /// Official social accounts they own, hold or may post from.
    pub social_accounts: Vec<SocialAccount>,
    /// Their policy acknowledgements.
    pub acknowledgements: Vec<Acknowledgement>,
    /// Incidents they reported.
    pub incidents: Vec<Incident>,
    /// Breaches that concern them.
    pub breaches: Vec<Breach>,
    /// Their data subject requests.
    pub subject_requests: Vec<SubjectRequest>,
    /// Their leaver checklist.
    pub leavers: Vec<Leaver>,
    /// Monitoring records under their account names.
    pub monitoring_records: Vec<Record>,
    /// Audit rows about them (this export's own view row included).
    pub audit: Vec<AuditRow>,
}

/// One line of an erasure report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErasureItem {
    /// What (`monitoring records`, `breach log entries`).
    pub what: String,
    /// How many rows.
    pub count: u64,
    /// Why it was erased or kept.
    pub reason: String,
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErasureReport {
    /// The person.
    pub person_id: i64,
    /// What was removed.
    pub erased: Vec<ErasureItem>,
    /// What was kept, and the law or policy that requires it.
    pub kept: Vec<ErasureItem>,
}

async fn all<T>(
    tx: &mut Tx,
    sql: &'static str,
    id: i64,
    f: fn(&crate::db::Row) -> Result<T>,
) -> Result<Vec<T>> {
    tx.rows(sql, &[id.into()]).await?.iter().map(f).collect()
}

async fn account_names(tx: &mut Tx, id: i64) -> Result<Vec<String>> {
    let mut names: Vec<String> = tx
        .rows(
            "SELECT name FROM accounts WHERE person_id = $1",
            &[id.into()],
        )
        .await?
        .iter()
        .map(|r| r.text("name"))
        .collect::<Result<_>>()?;
    // Mail gateways log the whole address, proxies often the local part: match both.
    let locals: Vec<String> = names
        .iter()
        .filter_map(|n| n.split_once('@').map(|(l, _)| l.to_string()))
        .collect();
    names.extend(locals);
    names.sort();
    names.dedup();
    Ok(names)
}

impl Store {
    /// Gathers everything held about `person_id`. Reading their monitoring records is a view
    /// and is logged in the audit chain like any other.
    pub async fn subject_export(
        &self,
        actor: &Actor,
        person_id: i64,
        today: jiff::civil::Date,
    ) -> Result<SubjectExport> {
        let mut tx = self.backend.begin_write().await?;
        let person = get_person(&mut tx, person_id).await?;
        let names = account_names(&mut tx, person_id).await?;
        let monitoring_records = records::view(
            &mut tx,
            actor,
            &RecordFilter {
                users: names,
                limit: Some(1_000_000),
                ..RecordFilter::default()
            },
            Some(person_id),
        )
        .await?;
        log(
            &mut tx,
            actor,
            "dsar.export",
            "person",
            Some(person_id),
            Some(person_id),
            json!({"records": monitoring_records.len()}),
        )
        .await?;
        let accounts = all(
            &mut tx,
            "SELECT * FROM accounts WHERE person_id = $1 ORDER BY id",
            person_id,
            Account::from_row,
        )
        .await?;
        let devices = all(
            &mut tx,
            "SELECT * FROM devices WHERE assignee_id = $1 ORDER BY id",
            person_id,
            Device::from_row,
        )
        .await?;
        let media_authorisations = all(
            &mut tx,
            "SELECT * FROM media_authorisations WHERE person_id = $1 ORDER BY id",
            person_id,
            MediaAuthorisation::from_row,
        )
        .await?;
        let software_requests = all(
            &mut tx,
            "SELECT * FROM software_requests WHERE person_id = $1 ORDER BY id",
            person_id,
            SoftwareRequest::from_row,
        )
        .await?;
        let social_accounts = all(
            &mut tx,
            "SELECT * FROM social_accounts WHERE owner_id = $1 OR custodian_id = $1 ORDER BY id",
            person_id,
            SocialAccount::from_row,
        )
        .await?;
        let mut social_accounts = social_accounts;
        for s in all(
            &mut tx,
            "SELECT * FROM social_accounts WHERE owner_id <> $1 AND custodian_id <> $1 ORDER BY id",
            person_id,
            SocialAccount::from_row,
        )
        .await?
        {
            if s.authorised_users.contains(&person_id) {
                social_accounts.push(s);
            }
        }
        let acknowledgements = all(
            &mut tx,
            "SELECT * FROM acknowledgements WHERE person_id = $1 ORDER BY id",
            person_id,
            Acknowledgement::from_row,
        )
        .await?;
        let incidents = all(
            &mut tx,
            "SELECT * FROM incidents WHERE reported_by = $1 ORDER BY id",
            person_id,
            Incident::from_row,
        )
        .await?;
        let breach_rows = tx.rows("SELECT b.* FROM breaches b JOIN breach_people p ON p.breach_id = b.id WHERE p.person_id = $1 ORDER BY b.id", &[person_id.into()]).await?;
        let breaches = breach_rows
            .iter()
            .map(|r| Breach::from_row(r, vec![person_id]))
            .collect::<Result<_>>()?;
        let subject_requests = tx
            .rows(
                "SELECT * FROM subject_requests WHERE person_id = $1 ORDER BY id",
                &[person_id.into()],
            )
            .await?
            .iter()
            .map(|r| SubjectRequest::from_row(r, today))
            .collect::<Result<_>>()?;
        let leavers = all(
            &mut tx,
            "SELECT * FROM leavers WHERE person_id = $1 ORDER BY id",
            person_id,
            Leaver::from_row,
        )
        .await?;
        let audit = all(
            &mut tx,
            "SELECT * FROM audit WHERE person_id = $1 ORDER BY seq",
            person_id,
            audit::audit_row,
        )
        .await?;
        tx.commit().await?;
        Ok(SubjectExport {
            generated_at: jiff::Timestamp::now().to_string(),
            person,
            accounts,
            devices,
            media_authorisations,
            software_requests,
            social_accounts,
            acknowledgements,
            incidents,
            breaches,
            subject_requests,
            leavers,
            monitoring_records,
            audit,
        })
    }

    /// Erases what may be erased about a person who has left, and says what is kept and why.
    /// Someone still employed cannot be erased: close their leaver checklist first.
    pub async fn erase_person(&self, actor: &Actor, person_id: i64) -> Result<ErasureReport> {
        let mut tx = self.backend.begin_write().await?;
        let p = get_person(&mut tx, person_id).await?;
        if p.status != "left" {
            return Err(Error::Refused(format!(
                "person {person_id} is {}: erasure applies to people who have left (the employment contract is the lawful basis while they work here)",
                p.status
            )));
        }
        let names = account_names(&mut tx, person_id).await?;
        let mut records = 0;
        for n in &names {
            records += tx
                .exec("DELETE FROM decisions WHERE user_name = $1", &[n.into()])
                .await?;
        }
        let requests = tx
            .exec(
                "DELETE FROM software_requests WHERE person_id = $1",
                &[person_id.into()],
            )
            .await?;
        let media = tx
            .exec(
                "DELETE FROM media_authorisations WHERE person_id = $1",
                &[person_id.into()],
            )
            .await?;
        tx.exec("UPDATE people SET first_name = 'erased', last_name = $2, department = NULL, location = NULL, roles = '', status = 'erased', updated_at = $3 WHERE id = $1",
            &[person_id.into(), format!("person {person_id}").into(), crate::time::now_us().into()]).await?;
        let mut kept = Vec::new();
        for (what, sql, reason) in [
            (
                "accounts",
                "SELECT COUNT(*) AS n FROM accounts WHERE person_id = $1",
                "kept disabled so that the address or login is never handed to someone else and past mail can be attributed",
            ),
            (
                "acknowledgements",
                "SELECT COUNT(*) AS n FROM acknowledgements WHERE person_id = $1",
                "evidence that the policy was agreed to, needed to defend legal claims (UK GDPR Art. 17(3)(e))",
            ),
            (
                "incidents reported",
                "SELECT COUNT(*) AS n FROM incidents WHERE reported_by = $1",
                "security and safeguarding records the organisation must keep (Art. 17(3)(b), (e))",
            ),
            (
                "breach log entries",
                "SELECT COUNT(*) AS n FROM breach_people WHERE person_id = $1",
                "UK GDPR Art. 33(5) requires every breach to be documented",
            ),
            (
                "subject requests",
                "SELECT COUNT(*) AS n FROM subject_requests WHERE person_id = $1",
                "evidence that requests were answered within the time limits (Art. 5(2) accountability)",
            ),
            (
                "leaver checklist",
                "SELECT COUNT(*) AS n FROM leavers WHERE person_id = $1",
                "evidence that equipment was returned and access removed (Art. 32 security)",
            ),
            (
                "audit rows",
                "SELECT COUNT(*) AS n FROM audit WHERE person_id = $1",
                "the audit chain is append-only; removing rows would break the evidence for everyone (Art. 5(2))",
            ),
        ] {
            let n = tx.one(sql, &[person_id.into()]).await?.i64("n")?;
            if n > 0 {
                kept.push(ErasureItem {
                    what: what.into(),
                    count: u64::try_from(n).unwrap_or(0),
                    reason: reason.into(),
                });
            }
        }
        let erased = vec![
            ErasureItem { what: "monitoring records".into(), count: records, reason: "kept only for monitoring; no legal duty to keep them".into() },
            ErasureItem { what: "software requests".into(), count: requests, reason: "no longer needed once the person has left".into() },
            ErasureItem { what: "removable-media authorisations".into(), count: media, reason: "no longer needed once the person has left".into() },
            ErasureItem { what: "name, department, location and roles".into(), count: 1, reason: "replaced by `erased person N`; the id stays so that kept records still hang together".into() },
        ];
        log(&mut tx, actor, "dsar.erase", "person", Some(person_id), Some(person_id),
            json!({"erased": erased.iter().map(|e| json!({"what": e.what, "count": e.count})).collect::<Vec<_>>(),
                   "kept": kept.iter().map(|e| json!({"what": e.what, "count": e.count})).collect::<Vec<_>>()})).await?;
        tx.commit().await?;
        Ok(ErasureReport {
            person_id,
            erased,
            kept,
        })
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn table<T: Serialize>(out: &mut String, title: &str, rows: &[T]) {
    out.push_str(&format!("<h2>{} ({})</h2>\n", esc(title), rows.len()));
    if rows.is_empty() {
        out.push_str("<p>None held.</p>\n");
        return;
    }
    let values: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect();
    let cols: Vec<String> = values
        .first()
        .and_then(|v| v.as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    out.push_str("<table>\n<tr>");
    for c in &cols {
        out.push_str(&format!("<th>{}</th>", esc(&c.replace('_', " "))));
    }
    out.push_str("</tr>\n");
    for v in &values {
        out.push_str("<tr>");
        for c in &cols {
            let cell = match v.get(c) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            out.push_str(&format!("<td>{}</td>", esc(&cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// A readable HTML summary of an export, one table per register.
pub fn render_html(e: &SubjectExport, organisation: &str) -> String {
    let mut out = String::new();
    let name = format!("{} {}", e.person.first_name, e.person.last_name);
    out.push_str(&format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>What {org} holds about {n}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1em}}td,th{{border:1px solid #999;padding:.2em .4em;font-size:90%;vertical-align:top}}th{{background:#eee}}</style></head><body>\n\
         <h1>What {org} holds about {n}</h1>\n<p>Person {id}. Made {at}. The same data is in <code>export.json</code> beside this file.</p>\n",
        org = esc(organisation), n = esc(&name), id = e.person.id, at = esc(&e.generated_at)));
    table(&mut out, "Person", std::slice::from_ref(&e.person));
    table(&mut out, "Accounts", &e.accounts);
    table(&mut out, "Devices", &e.devices);
    table(
        &mut out,
        "Removable-media authorisations",
        &e.media_authorisations,
    );
    table(&mut out, "Software requests", &e.software_requests);
    table(
        &mut out,
        "Official social media accounts",
        &e.social_accounts,
    );
    table(&mut out, "Policy acknowledgements", &e.acknowledgements);
    table(&mut out, "Incidents reported", &e.incidents);
    table(&mut out, "Data breaches that concern you", &e.breaches);
    table(&mut out, "Data subject requests", &e.subject_requests);
    table(&mut out, "Leaving", &e.leavers);
    table(&mut out, "Monitoring records", &e.monitoring_records);
    table(&mut out, "Audit log entries about you", &e.audit);
    out.push_str("</body></html>\n");
    out
}
