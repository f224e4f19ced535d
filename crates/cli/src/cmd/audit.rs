//! `charter audit verify|list`: the audit chain.

use clap::{Args, Subcommand};

use super::appctx::{self, AppArgs};
use crate::exit::{CmdResult, Outcome};

/// `charter audit ...`
#[derive(Debug, Args)]
pub struct AuditCmd {
    #[command(subcommand)]
    cmd: Audit,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Audit {
    /// Walk the chain and name every row that was edited, deleted or moved. Exits 1 when the
    /// chain is broken.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter audit verify --config charter.toml"#
    )]
    Verify,
    /// Show audit rows in order, with who acted by name and times in the pack's zone.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter audit list --from 1 --limit 50 --config charter.toml"#
    )]
    List {
        /// The first row's number.
        #[arg(long, default_value_t = 1)]
        from: i64,
        /// At most this many rows.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

impl AuditCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        let mut broken = false;
        let outcome = appctx::run(&self.app, |ctx| {
            let broken = &mut broken;
            async move {
                match cmd {
                    Audit::Verify => {
                        let r = ctx.app.audit_verify().await?;
                        *broken = !r.ok();
                        ctx.emit(&r, |r| {
                            if r.ok() {
                                format!("audit chain intact: {} rows", r.rows)
                            } else {
                                let mut t = format!("audit chain BROKEN ({} rows read):\n", r.rows);
                                for p in &r.problems {
                                    t.push_str(&format!("  row {}: {}\n", p.seq, p.problem));
                                }
                                t
                            }
                        })?;
                    }
                    Audit::List { from, limit } => {
                        let rows = ctx.app.audit_rows(from, limit).await?;
                        let names = ctx.app.names().await?;
                        let tz = ctx.app.time_zone().clone();
                        ctx.emit(&rows, |rows| {
                            rows.iter()
                                .map(|r| {
                                    let who = r
                                        .actor
                                        .strip_prefix("person:")
                                        .and_then(|id| id.parse().ok())
                                        .map_or_else(|| r.actor.clone(), |id| names.label(id));
                                    format!(
                                        "{:>6} {} {:<24} {:<20} {} {}\n",
                                        r.seq,
                                        charter_app::clock::local_text(&r.at, &tz),
                                        who,
                                        r.action,
                                        r.entity_id
                                            .map(|i| format!("{} {i}", r.entity))
                                            .unwrap_or_else(|| r.entity.clone()),
                                        r.detail
                                    )
                                })
                                .collect()
                        })?;
                    }
                }
                Ok(ctx)
            }
        })?;
        Ok(if broken { Outcome::LintErrors } else { outcome })
    }
}
