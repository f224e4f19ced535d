//! `charter audit verify|list`: the audit chain.

use clap::{Args, Subcommand};

use super::storectx::{self, StoreArgs};
use crate::exit::{CmdResult, Outcome};

/// `charter audit ...`
#[derive(Debug, Args)]
pub struct AuditCmd {
    #[command(subcommand)]
    cmd: Audit,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Audit {
    /// Walk the chain and name every row that was edited, deleted or moved. Exits 1 when the
    /// chain is broken.
    Verify,
    /// Show audit rows in order.
    List {
        #[arg(long, default_value_t = 1)]
        from: i64,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

impl AuditCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        let mut broken = false;
        let outcome = storectx::run(&self.store, |ctx| {
            let broken = &mut broken;
            async move {
                match cmd {
                    Audit::Verify => {
                        let r = ctx.store.audit_verify().await?;
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
                        let rows = ctx.store.audit_rows(from, limit).await?;
                        ctx.emit(&rows, |rows| {
                            rows.iter()
                                .map(|r| {
                                    format!(
                                        "{:>6} {} {:<18} {:<20} {} {}\n",
                                        r.seq,
                                        r.at,
                                        r.actor,
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
