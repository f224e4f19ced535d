//! The organisation's mail domains, for packs that name none (ITEC, IMPRESS, Allsorts): the
//! pack's own when it has them, else charter.toml's `domains`, else the domains of the email
//! accounts in the people register. The mail checks tell colleagues from outsiders by them:
//! the direction (`internal` rules), the count of colleagues' addresses in To and Cc, and
//! mail from outside posing as a colleague.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;

use charter_engine::Engine;
use charter_engine::mail::in_domains;
use charter_policy::Pack;
use charter_store::{AccountStatus, PersonStatus, Store};

use crate::{App, Result};

/// The account system whose names are mail addresses.
const EMAIL: &str = "email";

/// Mail domains a site names (charter.toml `domains`), each checked to be a domain, kept
/// lowercase without a trailing dot, sorted, without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Domains(Vec<String>);

/// An entry of `domains` that is not a domain.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` in `domains` is not a mail domain such as `example.org`")]
pub struct NotADomain(String);

impl TryFrom<Vec<String>> for Domains {
    type Error = NotADomain;

    fn try_from(list: Vec<String>) -> Result<Domains, NotADomain> {
        let mut out = Vec::with_capacity(list.len());
        for entry in list {
            match domain(&entry) {
                Some(d) => out.push(d),
                None => return Err(NotADomain(entry)),
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(Domains(out))
    }
}

impl Domains {
    /// The domains.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `text` as a domain, lowercase without a trailing dot, when it is one: dot-separated labels
/// of letters, digits and inner hyphens, each at most 63 bytes, 253 bytes in all.
fn domain(text: &str) -> Option<String> {
    let d = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    (!d.is_empty() && d.len() <= 253 && d.split('.').all(label_ok)).then_some(d)
}

/// Where the organisation's mail domains came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The pack names them (`[organisation] domains`, `[mail] internal_domains`).
    Pack,
    /// charter.toml's `domains`.
    Config,
    /// The email accounts of active people in the people register.
    Register,
    /// Nowhere: mail from inside counts as outbound, and the rules that need the domains do
    /// not fire.
    Nowhere,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Pack => "pack",
            Source::Config => "charter.toml",
            Source::Register => "register",
            Source::Nowhere => "none",
        }
    }
}

/// The organisation's mail domains and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDomains {
    /// The domains, lowercase; empty for [`Source::Nowhere`].
    pub domains: Vec<String>,
    /// Where they came from.
    pub source: Source,
    /// Why the people register could not be read, when it was asked and failed.
    pub unread: Option<String>,
}

impl MailDomains {
    /// The domains `engine`'s pack names, or else charter.toml's, when either names any.
    pub fn named(engine: &Engine, configured: &Domains) -> Option<MailDomains> {
        let found = |domains: &[String], source| MailDomains {
            domains: domains.to_vec(),
            source,
            unread: None,
        };
        if !engine.mail_domains().is_empty() {
            Some(found(engine.mail_domains(), Source::Pack))
        } else if !configured.is_empty() {
            Some(found(configured.as_slice(), Source::Config))
        } else {
            None
        }
    }

    /// The domains `engine`'s pack names, else charter.toml's, else those of the email
    /// accounts in the people register of `store` (when there is one to ask).
    pub async fn find(engine: &Engine, configured: &Domains, store: Option<&Store>) -> MailDomains {
        if let Some(named) = MailDomains::named(engine, configured) {
            return named;
        }
        let (domains, unread) = match store {
            Some(store) => match in_register(store, engine.pack()).await {
                Ok(domains) => (domains, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            },
            None => (Vec::new(), None),
        };
        let source = if domains.is_empty() {
            Source::Nowhere
        } else {
            Source::Register
        };
        MailDomains {
            domains,
            source,
            unread,
        }
    }

    /// `engine` deciding with these domains (a copy: `engine` itself is unchanged).
    pub fn engine(&self, engine: &Engine) -> Engine {
        engine.clone().with_domains(&self.domains)
    }
}

/// A log line's fields and sentence: `domains=a.org,b.org from=register: ...`.
impl fmt::Display for MailDomains {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source != Source::Nowhere {
            return write!(
                f,
                "domains={} from={}: The organisation's mail domains are in force.",
                self.domains.join(","),
                self.source.as_str()
            );
        }
        f.write_str("domains=none")?;
        if let Some(e) = &self.unread {
            write!(f, " error={e}")?;
        }
        f.write_str(
            ": No mail domains: mail from inside counts as outbound, and rules for mail \
             between colleagues, the count of colleagues in To/Cc and the spoofed-sender check \
             do not fire; set `domains` in charter.toml.",
        )
    }
}

/// The domains of the active email accounts of active people, less personal webmail domains
/// (a private address on record is not the organisation's), sorted, without repeats.
async fn in_register(store: &Store, pack: &Pack) -> Result<Vec<String>> {
    let mut tx = store.begin().await?;
    let people = tx.people().await?;
    let accounts = tx.accounts().await?;
    tx.commit().await?;
    let active: HashSet<i64> = people
        .iter()
        .filter(|p| p.status == PersonStatus::Active)
        .map(|p| p.id)
        .collect();
    let webmail = &pack.mail.personal_webmail_domains;
    let mut out: Vec<String> = accounts
        .iter()
        .filter(|a| {
            a.system == EMAIL && a.status == AccountStatus::Active && active.contains(&a.person_id)
        })
        .filter_map(|a| a.name.rsplit_once('@').and_then(|(_, d)| domain(d)))
        .filter(|d| !in_domains(d, webmail))
        .collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

impl App {
    /// The organisation's mail domains as the people register shows them: the domains of
    /// active people's email accounts, less personal webmail domains.
    pub async fn organisation_domains(&self) -> Result<Vec<String>> {
        in_register(self.store(), self.pack()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(list: &[&str]) -> Result<Domains, NotADomain> {
        Domains::try_from(list.iter().map(|d| d.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn configured_domains_are_checked_and_tidied() {
        let ok = domains(&["Allsorts.org.uk.", " impress.press ", "allsorts.org.uk"]).unwrap();
        assert_eq!(ok.as_slice(), ["allsorts.org.uk", "impress.press"]);
        for bad in [
            "",
            "pat@allsorts.org.uk",
            "allsorts org",
            "-x.org",
            "a..org",
            "x_y.org",
        ] {
            let err = domains(&["ok.org", bad]).unwrap_err().to_string();
            assert_eq!(
                err,
                format!("`{bad}` in `domains` is not a mail domain such as `example.org`")
            );
        }
    }

    #[test]
    fn a_log_line_says_where_the_domains_came_from() {
        let found = MailDomains {
            domains: vec!["a.org".into(), "b.org".into()],
            source: Source::Register,
            unread: None,
        };
        assert!(
            found
                .to_string()
                .starts_with("domains=a.org,b.org from=register: "),
            "{found}"
        );
        let none = MailDomains {
            domains: Vec::new(),
            source: Source::Nowhere,
            unread: Some("database is locked".into()),
        };
        assert!(
            none.to_string()
                .starts_with("domains=none error=database is locked: No mail domains"),
            "{none}"
        );
    }
}
