//! Who may do what, and the one shape every change takes: check who is acting, check the
//! state, write, audit, commit ([`App::act`]). Each workflow action is this helper and a few
//! lines of its own.

use charter_store::{Actor, AuditEntry, Person, PersonStatus, Txn};

use crate::App;
use crate::error::{Error, Result};

/// Who may do an action.
#[derive(Debug, Clone, Copy)]
pub(crate) enum May<'a> {
    /// The operator at the console (a system actor: the CLI without `--by`), or a person
    /// holding one of these roles. For keeping registers, where someone must add the first
    /// person.
    OperatorOr(&'a [String]),
    /// A person holding one of these roles.
    Roles(&'a [String]),
    /// Any person in the register who is still here; the action checks more itself.
    AnyPerson,
    /// The operator or any person who is still here; the action checks more itself.
    Anyone,
}

/// The one acting, once authorised.
#[derive(Debug, Clone)]
pub(crate) struct Acting {
    /// Who, as the audit chain records them.
    pub actor: Actor,
    /// The person, when a person acts.
    pub person: Option<Person>,
}

impl Acting {
    /// The acting person; the operator is refused `action`.
    pub fn person(&self, action: &'static str) -> Result<&Person> {
        self.person.as_ref().ok_or_else(|| {
            Error::Refused(format!(
                "the operator may not {action}: a person does it (give --by)"
            ))
        })
    }

    /// The acting person's id, when a person acts.
    pub fn id(&self) -> Option<i64> {
        self.person.as_ref().map(|p| p.id)
    }

    /// Refuses unless the acting person holds one of `roles`.
    pub fn require(&self, roles: &[String], action: &'static str) -> Result<&Person> {
        match &self.person {
            Some(p) if p.has_any_role(roles) => Ok(p),
            Some(p) => Err(not_authorised(p.label(), action, roles)),
            None => Err(not_authorised(operator(&self.actor), action, roles)),
        }
    }
}

fn operator(actor: &Actor) -> String {
    format!("the operator ({actor}, no --by given)")
}

pub(crate) fn not_authorised(actor: String, action: &'static str, roles: &[String]) -> Error {
    Error::NotAuthorised {
        actor,
        action,
        roles: if roles.is_empty() {
            "none configured in the pack".to_string()
        } else {
            roles.join(", ")
        },
    }
}

/// Checks that `actor` may do `action`.
pub(crate) async fn authorise(
    tx: &mut Txn,
    actor: &Actor,
    action: &'static str,
    may: May<'_>,
) -> Result<Acting> {
    let Some(id) = actor.person() else {
        return match may {
            May::OperatorOr(_) | May::Anyone => Ok(Acting {
                actor: actor.clone(),
                person: None,
            }),
            May::Roles(roles) => Err(not_authorised(operator(actor), action, roles)),
            May::AnyPerson => Err(Error::Refused(format!(
                "the operator may not {action}: a person does it (give --by)"
            ))),
        };
    };
    let person = tx.person(id).await?;
    if person.status != PersonStatus::Active {
        return Err(Error::Refused(format!(
            "{} is {}: only people who are still here act",
            person.label(),
            person.status
        )));
    }
    if let May::OperatorOr(roles) | May::Roles(roles) = may
        && !person.has_any_role(roles)
    {
        return Err(not_authorised(person.label(), action, roles));
    }
    Ok(Acting {
        actor: actor.clone(),
        person: Some(person),
    })
}

/// What a change did: its result and the audit rows that record it.
#[derive(Debug)]
pub(crate) struct Done<T> {
    value: T,
    audit: Vec<AuditEntry>,
}

impl<T> Done<T> {
    /// `value`, recorded by `entry`.
    pub fn new(value: T, entry: AuditEntry) -> Done<T> {
        Done {
            value,
            audit: vec![entry],
        }
    }

    /// `value`, recorded by `entries` (a change with side effects records each).
    pub fn many(value: T, entries: Vec<AuditEntry>) -> Done<T> {
        Done {
            value,
            audit: entries,
        }
    }

    /// One more audit row.
    pub fn and(mut self, entry: AuditEntry) -> Done<T> {
        self.audit.push(entry);
        self
    }
}

/// An audit entry.
pub(crate) fn entry(
    action: &'static str,
    entity: &'static str,
    entity_id: impl Into<Option<i64>>,
    person_id: impl Into<Option<i64>>,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        action,
        entity,
        entity_id: entity_id.into(),
        person_id: person_id.into(),
        detail,
    }
}

impl App {
    /// The shape of every change: open a transaction, check that `actor` may do `action`,
    /// run `work` (which checks the state and writes), append its audit rows, commit. Any
    /// error rolls the whole change back, audit rows included.
    pub(crate) async fn act<T>(
        &self,
        actor: &Actor,
        action: &'static str,
        may: May<'_>,
        work: impl AsyncFnOnce(&mut Txn, &Acting) -> Result<Done<T>>,
    ) -> Result<T> {
        let mut tx = self.store.begin().await?;
        let acting = authorise(&mut tx, actor, action, may).await?;
        let done = work(&mut tx, &acting).await?;
        for e in done.audit {
            tx.audit(actor, e).await?;
        }
        tx.commit().await?;
        Ok(done.value)
    }

    /// Reads in one transaction, which writes nothing.
    pub(crate) async fn read<T>(&self, work: impl AsyncFnOnce(&mut Txn) -> Result<T>) -> Result<T> {
        let mut tx = self.store.begin_read().await?;
        let out = work(&mut tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Writes in one transaction, with no one's permission to check (the login's own state).
    pub(crate) async fn write<T>(
        &self,
        work: impl AsyncFnOnce(&mut Txn) -> Result<T>,
    ) -> Result<T> {
        let mut tx = self.store.begin().await?;
        let out = work(&mut tx).await?;
        tx.commit().await?;
        Ok(out)
    }
}
