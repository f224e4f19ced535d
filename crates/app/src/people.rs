//! People and their accounts: adding, changing, email addresses by the pack's naming
//! convention, and finding someone by id, name or account name.

use serde::Serialize;
use serde_json::json;

use charter_store::{
    Account, AccountStatus, Actor, NewPerson, Person, PersonStatus, PersonUpdate, Txn,
};

use crate::act::{Done, May, entry};
use crate::address::{self, MadeAddress, NameParts};
use crate::error::{Error, Result};
use crate::{App, roles};

/// A person just added, with the address made for them.
#[derive(Debug, Clone, Serialize)]
pub struct PersonAdded {
    /// The person.
    pub person: Person,
    /// Their email address, when asked for.
    pub email: Option<MadeAddress>,
}

/// Lowercase with single spaces, for comparing names as people type them.
fn folded(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl App {
    fn account_keepers(&self) -> Vec<String> {
        let g = self.governance();
        roles(&[&g.register_roles, &g.device_approvers])
    }

    /// Adds a person and, with `email`, makes their address, in one transaction: either both
    /// are recorded or neither. Their roles must be ones the pack declares.
    pub async fn add_person(
        &self,
        actor: &Actor,
        new: NewPerson,
        email: bool,
    ) -> Result<PersonAdded> {
        self.pack().check_roles(&new.roles)?;
        let keepers = self.governance().register_roles.clone();
        self.act(actor, "add people", May::OperatorOr(&keepers), async |tx, _| {
            if let Some(m) = new.line_manager {
                active(tx.person(m).await?, "be a line manager")?;
            }
            let person = tx.insert_person(&new).await?;
            let mut audit = vec![entry("person.add", "person", person.id, person.id,
                json!({"roles": person.roles, "line_manager": person.line_manager, "start_date": person.start_date}))];
            let made = if email {
                let (account, made) = self.new_address(tx, &person).await?;
                audit.push(account_entry(&account));
                Some(made)
            } else {
                None
            };
            Ok(Done::many(PersonAdded { person, email: made }, audit))
        })
        .await
    }

    /// Changes a person's roles (to ones the pack declares), manager, department, location or
    /// leaving date.
    pub async fn update_person(&self, actor: &Actor, id: i64, u: PersonUpdate) -> Result<Person> {
        if let Some(roles) = &u.roles {
            self.pack().check_roles(roles)?;
        }
        let keepers = self.governance().register_roles.clone();
        self.act(actor, "change people", May::OperatorOr(&keepers), async |tx, _| {
            let before = tx.person(id).await?;
            if before.status == PersonStatus::Erased {
                return Err(Error::state(before.label(), before.status, "change them"));
            }
            if let Some(m) = u.line_manager {
                if m == id {
                    return Err(Error::Refused(format!(
                        "{} cannot be their own line manager",
                        before.label()
                    )));
                }
                active(tx.person(m).await?, "be a line manager")?;
            }
            let p = tx.update_person(id, &u).await?;
            Ok(Done::new(
                p.clone(),
                entry("person.update", "person", id, id,
                    json!({"roles": u.roles.as_ref().map(|_| &p.roles), "line_manager": u.line_manager,
                           "department": u.department, "location": u.location, "leaving_date": u.leaving_date})),
            ))
        })
        .await
    }

    /// Makes a person's email address by the pack's naming convention, resolving collisions,
    /// and records it as their `email` account with the explanation.
    pub async fn make_email(&self, actor: &Actor, id: i64) -> Result<MadeAddress> {
        let keepers = self.account_keepers();
        self.act(
            actor,
            "make email addresses",
            May::OperatorOr(&keepers),
            async |tx, _| {
                let person = active(tx.person(id).await?, "get an address")?;
                let (account, made) = self.new_address(tx, &person).await?;
                Ok(Done::new(made, account_entry(&account)))
            },
        )
        .await
    }

    async fn new_address(&self, tx: &mut Txn, p: &Person) -> Result<(Account, MadeAddress)> {
        let pack = self.pack();
        if pack.address_formats.is_empty() {
            return Err(Error::Refused(format!(
                "the pack `{}` has no [[accounts.address]] naming convention",
                pack.meta.id
            )));
        }
        let domain = pack.organisation.domains.first().ok_or_else(|| {
            Error::Refused(format!(
                "the pack `{}` names no [organisation] domains",
                pack.meta.id
            ))
        })?;
        let format = address::format_for(&pack.address_formats, &p.roles).ok_or_else(|| {
            Error::Refused(format!(
                "the pack has no address format for roles `{}` (and none for `staff`)",
                p.roles.join(",")
            ))
        })?;
        let people = tx.people().await?;
        let taken: Vec<(String, String)> = tx
            .accounts()
            .await?
            .into_iter()
            .filter(|a| a.system == "email")
            .map(|a| {
                let who = people
                    .iter()
                    .find(|p| p.id == a.person_id)
                    .map_or_else(|| format!("person {}", a.person_id), Person::label);
                (a.name, who)
            })
            .collect();
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
                .map(|(_, who)| who.clone())
        })?;
        let account = tx
            .insert_account(p.id, "email", &made.address, Some(&made.explanation))
            .await?;
        Ok((account, made))
    }

    /// Adds an account (`login`, `vpn`, ...) for a person who is still here.
    pub async fn add_account(
        &self,
        actor: &Actor,
        person_id: i64,
        system: &str,
        name: &str,
    ) -> Result<Account> {
        let keepers = self.account_keepers();
        self.act(
            actor,
            "add accounts",
            May::OperatorOr(&keepers),
            async |tx, _| {
                active(tx.person(person_id).await?, "get new accounts")?;
                let account = tx.insert_account(person_id, system, name, None).await?;
                Ok(Done::new(account.clone(), account_entry(&account)))
            },
        )
        .await
    }

    /// Disables one account.
    pub async fn disable_account(&self, actor: &Actor, id: i64) -> Result<Account> {
        let keepers = self.account_keepers();
        self.act(
            actor,
            "disable accounts",
            May::OperatorOr(&keepers),
            async |tx, _| {
                let before = tx.account(id).await?;
                if before.status != AccountStatus::Active {
                    return Err(Error::state(
                        format!("account {id} ({} {})", before.system, before.name),
                        before.status,
                        "disable it",
                    ));
                }
                let a = tx.disable_account(id).await?;
                Ok(Done::new(
                    a.clone(),
                    entry(
                        "account.disable",
                        "account",
                        id,
                        a.person_id,
                        json!({"system": a.system, "name": a.name}),
                    ),
                ))
            },
        )
        .await
    }

    /// Everyone, by id.
    pub async fn people(&self) -> Result<Vec<Person>> {
        Ok(self.store.people().await?)
    }

    /// One person and their accounts.
    pub async fn person(&self, id: i64) -> Result<(Person, Vec<Account>)> {
        self.read(async |tx| Ok((tx.person(id).await?, tx.accounts_of(id).await?)))
            .await
    }

    /// The person `query` names: an id, a full name (`Pat Jones`, any case) or an account
    /// name such as an email address. A name several people share is an error listing them.
    pub async fn find_person(&self, query: &str) -> Result<Person> {
        let q = query.trim();
        if let Ok(id) = q.parse::<i64>() {
            return Ok(self.store.person(id).await?);
        }
        self.read(async |tx| {
            let people = tx.people().await?;
            let accounts = tx.accounts().await?;
            let want = folded(q);
            let mut ids: Vec<i64> = people
                .iter()
                .filter(|p| folded(&p.full_name()) == want)
                .map(|p| p.id)
                .chain(
                    accounts
                        .iter()
                        .filter(|a| a.name.to_lowercase() == want)
                        .map(|a| a.person_id),
                )
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let found: Vec<&Person> = people.iter().filter(|p| ids.contains(&p.id)).collect();
            match found.as_slice() {
                [] => Err(Error::NoSuchPerson(q.to_string())),
                [one] => Ok((*one).clone()),
                many => Err(Error::Ambiguous {
                    query: q.to_string(),
                    count: many.len(),
                    candidates: many
                        .iter()
                        .map(|p| {
                            let mail: Vec<&str> = accounts
                                .iter()
                                .filter(|a| a.person_id == p.id && a.system == "email")
                                .map(|a| a.name.as_str())
                                .collect();
                            let detail = std::iter::once(p.full_name())
                                .chain(mail.iter().map(|m| m.to_string()))
                                .chain(p.department.clone())
                                .collect::<Vec<_>>()
                                .join(", ");
                            format!("person {} ({detail})", p.id)
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                }),
            }
        })
        .await
    }
}

/// `p` when still here; else refused: they cannot `what`.
pub(crate) fn active(p: Person, what: &str) -> Result<Person> {
    if p.status != PersonStatus::Active {
        return Err(Error::Refused(format!(
            "{} is {}: cannot {what}",
            p.label(),
            p.status
        )));
    }
    Ok(p)
}

fn account_entry(a: &Account) -> charter_store::AuditEntry {
    entry(
        "account.add",
        "account",
        a.id,
        a.person_id,
        json!({"system": a.system, "name": a.name, "note": a.note}),
    )
}
