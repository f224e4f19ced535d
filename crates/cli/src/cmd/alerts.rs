//! `charter alerts list|show|confirm|dismiss|refer|digest|agreement`: alerts raised by rules
//! that name `alert = [...]` routes. The people the routes reach (by the pack's [governance]
//! roles, or as the person's line manager) see and triage them; every look is audited. A
//! classifier's alert names its model, version and score, is referred only once a person has
//! confirmed it, and `agreement` says how often people agreed with each model.

use clap::{Args, Subcommand};

use charter_app::alerts::AlertFilter;
use charter_app::config::Config;
use charter_store::{Alert, AlertStatus};

use super::appctx::{self, AppArgs};
use crate::exit::CmdResult;

/// `charter alerts ...`
#[derive(Debug, Args)]
pub struct AlertsCmd {
    #[command(subcommand)]
    cmd: Alerts,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Alerts {
    /// The alerts routed to you, newest first.
    #[command(
        after_help = r#"Who may: any person (--by); each sees the alerts routed to them. The list is audited.

Example:
  charter alerts list --status open --by "Sam Safe" --config charter.toml"#
    )]
    List {
        /// Only alerts in this state: open, confirmed, dismissed or referred.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 200)]
        limit: i64,
    },
    /// One alert with its rule, clause and monitoring record (the look is audited).
    #[command(after_help = r#"Who may: see `charter alerts confirm --help`.

Example:
  charter alerts show 12 --by "Sam Safe" --config charter.toml"#)]
    Show {
        /// The alert's id.
        id: i64,
    },
    /// Confirm an open alert: it is what it says.
    #[command(
        after_help = r#"Who may: a person (--by) holding a role one of the alert's routes goes to; never about themselves.

Example:
  charter alerts confirm 12 --note "spoke to the learner" --by "Sam Safe" --config charter.toml"#
    )]
    Confirm {
        /// The alert's id.
        id: i64,
        /// What was found.
        #[arg(long)]
        note: Option<String>,
    },
    /// Dismiss an open alert, saying why.
    #[command(after_help = r#"Who may: as for confirm.

Example:
  charter alerts dismiss 12 --note "news article, not a threat" --by "Sam Safe" --config charter.toml"#)]
    Dismiss {
        /// The alert's id.
        id: i64,
        /// Why it is nothing (required).
        #[arg(long)]
        note: String,
    },
    /// Refer an alert: opens a disciplinary incident with the rule's severity. A classifier's
    /// alert (one that names a model) must be confirmed by a person first.
    #[command(after_help = r#"Who may: as for confirm.

Example:
  charter alerts refer 12 --note "third time this month" --by "Hana HR" --config charter.toml"#)]
    Refer {
        /// The alert's id.
        id: i64,
        /// Why it is referred.
        #[arg(long)]
        note: Option<String>,
    },
    /// How often the people triaging each model's alerts agreed with it (confirmed: agreed;
    /// dismissed: did not).
    #[command(
        after_help = r#"Who may: any person (--by); counts only. The look is audited.

Example:
  charter alerts agreement --by "Sam Safe" --config charter.toml"#
    )]
    Agreement,
    /// The daily digest of alerts not yet delivered; `--send` mails it now through
    /// [alerts] smtp (serve sends it daily at [alerts] digest_at).
    #[command(
        after_help = r#"Who may: the operator at the console (the mails go to the people the routes reach).

Example:
  charter alerts digest --config charter.toml
  charter alerts digest --send --config charter.toml"#
    )]
    Digest {
        /// Send it now (without: print what would be sent).
        #[arg(long)]
        send: bool,
    },
}

fn line(a: &Alert) -> String {
    let mut out = format!(
        "alert {} {} {} rule {} ({}) routes {} user {} at {}: {}",
        a.id,
        a.status,
        a.severity,
        a.rule,
        a.clause.as_deref().unwrap_or("-"),
        a.routes.join(","),
        a.user,
        a.at,
        a.message
    );
    if let Some(m) = &a.model {
        out.push_str(&format!(
            " [model {} {} score {:.2}{}]",
            m.name,
            m.version,
            m.score,
            match a.reviewer_agreed {
                Some(true) => ", reviewer agreed",
                Some(false) => ", reviewer disagreed",
                None => "",
            }
        ));
    }
    out
}

impl AlertsCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        let config_path = self.app.config.clone();
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            match cmd {
                Alerts::List { status, limit } => {
                    let status = status
                        .map(|s| s.parse::<AlertStatus>())
                        .transpose()
                        .map_err(|e| anyhow::anyhow!("--status: {e}"))?;
                    let alerts = app
                        .list_alerts(
                            &ctx.actor,
                            AlertFilter {
                                status,
                                limit: Some(limit),
                            },
                        )
                        .await?;
                    ctx.emit(&alerts, |v| v.iter().map(|a| line(a) + "\n").collect())?;
                }
                Alerts::Show { id } => {
                    let d = app.show_alert(&ctx.actor, id).await?;
                    ctx.emit(&d, |d| {
                        let mut out = line(&d.alert) + "\n";
                        if let Some(q) = &d.quote {
                            out.push_str(&format!("policy: \"{q}\"\n"));
                        }
                        if let Some(n) = &d.alert.note {
                            out.push_str(&format!("note: {n}\n"));
                        }
                        if let Some(i) = d.alert.incident_id {
                            out.push_str(&format!("incident: {i}\n"));
                        }
                        if d.records.is_empty() {
                            out.push_str("record: no longer held (past retention)\n");
                        }
                        for r in &d.records {
                            out.push_str(&format!(
                                "record {} {} {} {} {}\n",
                                r.id, r.at, r.source, r.verdict, r.subject
                            ));
                        }
                        out
                    })?;
                }
                Alerts::Confirm { id, note } => {
                    let a = app.confirm_alert(&ctx.actor, id, note.as_deref()).await?;
                    ctx.emit(&a, |a| format!("alert {} confirmed", a.id))?;
                }
                Alerts::Dismiss { id, note } => {
                    let a = app.dismiss_alert(&ctx.actor, id, &note).await?;
                    ctx.emit(&a, |a| format!("alert {} dismissed", a.id))?;
                }
                Alerts::Refer { id, note } => {
                    let (a, i) = app.refer_alert(&ctx.actor, id, note.as_deref()).await?;
                    ctx.emit(&(a, i), |(a, i)| {
                        format!(
                            "alert {} referred: disciplinary incident {} ({}) routed to {}",
                            a.id, i.id, a.severity, i.routed_to
                        )
                    })?;
                }
                Alerts::Agreement => {
                    let rows = app.model_agreement(&ctx.actor).await?;
                    ctx.emit(&rows, |rows| {
                        if rows.is_empty() {
                            return "no alert has been raised by a model\n".to_string();
                        }
                        rows.iter()
                            .map(|r| {
                                let rate = r.rate.map_or_else(
                                    || "-".to_string(),
                                    |x| format!("{:.0}%", x * 100.0),
                                );
                                format!(
                                    "model {} {}: {} reviewed, {} agreed ({rate}), {} open\n",
                                    r.counts.model,
                                    r.counts.version,
                                    r.counts.reviewed,
                                    r.counts.agreed,
                                    r.counts.open
                                )
                            })
                            .collect()
                    })?;
                }
                Alerts::Digest { send } => {
                    if send {
                        let config = Config::load(&config_path)?;
                        let alerts = config.alerts.unwrap_or_default();
                        if alerts.smtp.is_none() {
                            anyhow::bail!(
                                "no SMTP relay configured: set `smtp` in [alerts] of {}",
                                config_path.display()
                            );
                        }
                        let (digest, failed) = app.send_digest(&alerts, &ctx.actor).await?;
                        for e in &failed {
                            eprintln!("charter alerts digest: {e}");
                        }
                        ctx.emit(&digest, |d| {
                            format!(
                                "digest sent: {} mail(s), {} failed, {} alert(s) reach nobody with an address",
                                d.mails.len() - failed.len(),
                                failed.len(),
                                d.unreachable.len()
                            )
                        })?;
                        if !failed.is_empty() {
                            anyhow::bail!("{} digest mail(s) not sent", failed.len());
                        }
                    } else {
                        let digest = app.digest().await?;
                        ctx.emit(&digest, |d| {
                            let mut out = String::new();
                            for m in &d.mails {
                                out.push_str(&format!(
                                    "To: {}\nSubject: {}\n\n{}\n",
                                    m.to.join(", "),
                                    m.subject,
                                    m.body
                                ));
                            }
                            if d.mails.is_empty() {
                                out.push_str("nothing to send\n");
                            }
                            out
                        })?;
                    }
                }
            }
            Ok(ctx)
        })
    }
}

/// The monitor of `charter.toml` at `config`, for commands that write records.
pub fn monitor(
    config: &std::path::Path,
    app: &charter_app::App,
) -> anyhow::Result<charter_app::monitor::Monitor> {
    let config = Config::load(config)?;
    let (monitor, warnings) =
        charter_app::monitor::Monitor::from_config(std::sync::Arc::clone(app.engine()), &config)?;
    for w in warnings {
        eprintln!("charter: {w}");
    }
    Ok(monitor)
}
