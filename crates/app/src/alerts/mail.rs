//! Delivering alerts by mail through the site's SMTP relay (`[alerts]` in `charter.toml`):
//! safeguarding alerts at once, to everyone holding the safeguarding role; every other alert
//! in a daily digest to the people its routes reach. Addresses come from the people
//! register's email accounts.
//!
//! A mail names the rule, its clause and its quote of the written policy, and says what
//! happened in the alert's own words. It never carries a message body: records of mail marked
//! personal keep headers only, and their alerts say only which check fired.
//!
//! ```toml
//! [alerts]
//! smtp = "127.0.0.1:25"              # the relay: plain SMTP, no login (a local MTA)
//! from = "charter@example.org"
//! digest_at = "08:00"                # local time of the daily digest
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use serde_json::json;

use charter_store::{Actor, Alert, Txn};

use super::{SAFEGUARDING, recipients};
use crate::App;
use crate::act::entry;
use crate::clock::local_time;
use crate::error::Result;

/// `[alerts]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// The SMTP relay, `host:port`. Without it nothing is mailed (alerts wait in the store).
    pub smtp: Option<String>,
    /// The sender address.
    #[serde(default = "default_from")]
    pub from: String,
    /// When `serve` sends the daily digest, local time `HH:MM`.
    #[serde(default = "default_digest_at")]
    pub digest_at: String,
    /// How long one SMTP conversation may take.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_from() -> String {
    "charter@localhost".into()
}

fn default_digest_at() -> String {
    "08:00".into()
}

fn default_timeout() -> u64 {
    30
}

impl Default for AlertsConfig {
    fn default() -> AlertsConfig {
        AlertsConfig {
            smtp: None,
            from: default_from(),
            digest_at: default_digest_at(),
            timeout_seconds: default_timeout(),
        }
    }
}

impl AlertsConfig {
    /// Checks the settings `serve` needs before it starts: the digest time and the sender.
    pub fn check(&self) -> std::result::Result<(), String> {
        self.digest_minute()?;
        self.from
            .parse::<Mailbox>()
            .map_err(|e| format!("[alerts] from `{}`: {e}", self.from))?;
        Ok(())
    }

    /// The digest time as minutes after local midnight.
    pub fn digest_minute(&self) -> std::result::Result<u16, String> {
        charter_policy::window::ClockTime::parse(&self.digest_at)
            .map(|t| t.minutes())
            .map_err(|e| format!("[alerts] digest_at: {e}"))
    }
}

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `[alerts] smtp` is not set.
    #[error("no SMTP relay configured: set `smtp` in [alerts] of charter.toml")]
    NoRelay,
    /// The relay is not `host:port`.
    #[error("[alerts] smtp `{0}` is not host:port")]
    BadRelay(String),
    /// An address could not be used.
    #[error("address `{0}` cannot be used: {1}")]
    Address(String, String),
    /// The relay refused the mail or could not be reached.
    #[error("SMTP relay {relay}: {reason}")]
    Send {
        /// The relay.
        relay: String,
        /// Why.
        reason: String,
    },
}

/// One mail: to whom, what it says, and which alerts it carries.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// Recipients' addresses.
    pub to: Vec<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The alerts it carries.
    pub alerts: Vec<i64>,
}

/// A digest: one mail per recipient.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Digest {
    /// The mails.
    pub mails: Vec<Delivery>,
    /// Alerts whose routes reach nobody with an email address (they stay undelivered).
    pub unreachable: Vec<i64>,
}

/// Text from a record, safe in a mail: control characters become spaces.
fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl App {
    /// The paragraph that describes one alert in a mail.
    fn describe(&self, a: &Alert) -> String {
        let at = local_time(charter_store::time::from_us(a.at_us), self.time_zone());
        let quote = self.pack().rule(&a.rule).and_then(|r| r.quote.clone());
        let mut out = format!(
            "Alert {id}: rule {rule}\nClause: {clause}\n",
            id = a.id,
            rule = a.rule,
            clause = a.clause.as_deref().unwrap_or("(the rule names none)"),
        );
        if let Some(q) = quote {
            out.push_str(&format!("Policy: \"{}\"\n", plain(&q)));
        }
        out.push_str(&format!(
            "Severity: {}\nRoutes: {}\nWho: {}\nWhen: {at}\nWhat: {}\n",
            a.severity,
            a.routes.join(", "),
            plain(&a.user),
            plain(&a.message),
        ));
        if a.source == "web" {
            out.push_str(&format!("Address: {}\n", plain(&a.subject)));
        } else if a.privacy == "headers_only" {
            out.push_str("The message was marked personal: only its headers are kept, and none of it is in this mail.\n");
        }
        out.push_str(&format!(
            "Triage: charter alerts show {} --by YOU --config charter.toml\n",
            a.id
        ));
        out
    }

    async fn addresses(&self, tx: &mut Txn, a: &Alert, routes: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for p in recipients(tx, self.governance(), a, routes).await? {
            for acc in tx.accounts_of(p.id).await? {
                if acc.system == "email" && acc.status == charter_store::AccountStatus::Active {
                    out.push(acc.name);
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Mails each safeguarding alert among `alerts` at once to the people holding the
    /// safeguarding role, and notes it mailed; the others wait for the digest. Returns how
    /// many were mailed, and the failures (an alert not mailed goes into the digest).
    pub async fn mail_at_once(
        &self,
        config: &AlertsConfig,
        actor: &Actor,
        alerts: &[Alert],
    ) -> (usize, Vec<(i64, MailError)>) {
        let mut mailed = 0;
        let mut failed = Vec::new();
        for a in alerts
            .iter()
            .filter(|a| a.routes.iter().any(|r| r == SAFEGUARDING))
        {
            let to = match self
                .read(async |tx| self.addresses(tx, a, &[SAFEGUARDING.to_string()]).await)
                .await
            {
                Ok(to) if !to.is_empty() => to,
                Ok(_) => {
                    failed.push((
                        a.id,
                        MailError::Address(
                            "(none)".into(),
                            "nobody holding the safeguarding role has an email address".into(),
                        ),
                    ));
                    continue;
                }
                Err(e) => {
                    failed.push((
                        a.id,
                        MailError::Send {
                            relay: "store".into(),
                            reason: e.to_string(),
                        },
                    ));
                    continue;
                }
            };
            let mail = Delivery {
                subject: format!("Charter safeguarding alert: {} ({})", a.rule, a.severity),
                body: format!(
                    "A safeguarding alert was raised. It is sent at once to the safeguarding lead.\n\n{}",
                    self.describe(a)
                ),
                to,
                alerts: vec![a.id],
            };
            match send(config, &mail).await {
                Ok(()) => {
                    let marked = self.mark_delivered(actor, &mail, "alert.mail", true).await;
                    if let Err(e) = marked {
                        failed.push((
                            a.id,
                            MailError::Send {
                                relay: "store".into(),
                                reason: e.to_string(),
                            },
                        ));
                    } else {
                        mailed += 1;
                    }
                }
                Err(e) => failed.push((a.id, e)),
            }
        }
        (mailed, failed)
    }

    async fn mark_delivered(
        &self,
        actor: &Actor,
        mail: &Delivery,
        action: &'static str,
        at_once: bool,
    ) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.store().begin().await?;
        for id in &mail.alerts {
            if at_once {
                tx.mark_alert_mailed(*id, now).await?;
            } else {
                tx.mark_alert_digested(*id, now).await?;
            }
        }
        tx.audit(
            actor,
            entry(
                action,
                "alert",
                None,
                None,
                json!({"alerts": mail.alerts, "to": mail.to}),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The digest of every alert not yet delivered: one mail per recipient, listing the
    /// alerts their roles (or their staff, for `line_manager`) are routed.
    pub async fn digest(&self) -> Result<Digest> {
        self.read(async |tx| {
            let mut by_address: BTreeMap<String, Vec<Alert>> = BTreeMap::new();
            let mut unreachable = Vec::new();
            for a in tx.alerts_undelivered().await? {
                let to = self.addresses(tx, &a, &a.routes).await?;
                if to.is_empty() {
                    unreachable.push(a.id);
                }
                for addr in to {
                    by_address.entry(addr).or_default().push(a.clone());
                }
            }
            let mails = by_address
                .into_iter()
                .map(|(to, alerts)| {
                    let mut body = format!(
                        "Charter: {} alert(s) for you since the last digest.\n",
                        alerts.len()
                    );
                    for a in &alerts {
                        body.push('\n');
                        body.push_str(&self.describe(a));
                    }
                    Delivery {
                        to: vec![to],
                        subject: format!("Charter daily digest: {} alert(s)", alerts.len()),
                        body,
                        alerts: alerts.iter().map(|a| a.id).collect(),
                    }
                })
                .collect();
            Ok(Digest { mails, unreachable })
        })
        .await
    }

    /// Sends the digest and notes its alerts delivered (`alert.digest` in the audit chain).
    /// A mail that fails leaves its alerts for the next digest.
    pub async fn send_digest(
        &self,
        config: &AlertsConfig,
        actor: &Actor,
    ) -> Result<(Digest, Vec<MailError>)> {
        let digest = self.digest().await?;
        let mut failed = Vec::new();
        for mail in &digest.mails {
            match send(config, mail).await {
                Ok(()) => {
                    self.mark_delivered(actor, mail, "alert.digest", false)
                        .await?
                }
                Err(e) => failed.push(e),
            }
        }
        Ok((digest, failed))
    }
}

/// Sends one mail through the relay.
pub(crate) async fn send(
    config: &AlertsConfig,
    mail: &Delivery,
) -> std::result::Result<(), MailError> {
    let relay = config.smtp.as_deref().ok_or(MailError::NoRelay)?;
    let (host, port) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
        .ok_or_else(|| MailError::BadRelay(relay.to_string()))?;
    let mailbox = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|e| MailError::Address(a.to_string(), e.to_string()))
    };
    let mut builder = Message::builder()
        .from(mailbox(&config.from)?)
        .subject(plain(&mail.subject))
        .header(ContentType::TEXT_PLAIN);
    for to in &mail.to {
        builder = builder.to(mailbox(to)?);
    }
    let message = builder
        .body(mail.body.clone())
        .map_err(|e| MailError::Address(mail.to.join(", "), e.to_string()))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(config.timeout_seconds.max(1))))
        .build();
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| MailError::Send {
            relay: relay.to_string(),
            reason: e.to_string(),
        })
}
