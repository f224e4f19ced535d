//! `charter dsar export|erase`: subject access and erasure.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::storectx::{self, StoreArgs, today};
use crate::exit::CmdResult;

/// `charter dsar ...`
#[derive(Debug, Args)]
pub struct DsarCmd {
    #[command(subcommand)]
    cmd: Dsar,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Dsar {
    /// Write everything held about a person to DIR: `export.json` and a readable
    /// `summary.html`. Reading their monitoring records is logged in the audit chain.
    ///
    /// Example: charter dsar export --person 7 -o dsar-7 --config charter.toml
    Export {
        #[arg(long)]
        person: i64,
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
    },
    /// Erase what may be erased about a person who has left; say what is kept and why.
    Erase {
        #[arg(long)]
        person: i64,
    },
}

impl DsarCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            match cmd {
                Dsar::Export { person, out } => {
                    let org = ctx
                        .pack()
                        .map(|p| p.organisation.name)
                        .unwrap_or_else(|_| "the organisation".into());
                    let e = ctx.store.subject_export(&actor, person, today()).await?;
                    std::fs::create_dir_all(&out)
                        .with_context(|| format!("cannot create `{}`", out.display()))?;
                    let json = out.join("export.json");
                    std::fs::write(&json, serde_json::to_string_pretty(&e)?)
                        .with_context(|| format!("cannot write `{}`", json.display()))?;
                    let html = out.join("summary.html");
                    std::fs::write(&html, charter_store::render_html(&e, &org))
                        .with_context(|| format!("cannot write `{}`", html.display()))?;
                    let summary = serde_json::json!({
                        "person": person, "json": json, "html": html,
                        "counts": {"accounts": e.accounts.len(), "devices": e.devices.len(), "acknowledgements": e.acknowledgements.len(),
                                   "incidents": e.incidents.len(), "breaches": e.breaches.len(), "subject_requests": e.subject_requests.len(),
                                   "monitoring_records": e.monitoring_records.len(), "audit": e.audit.len()}
                    });
                    ctx.emit(&summary, |_| {
                        format!(
                            "wrote {} and {} ({} monitoring records, {} audit rows)",
                            json.display(),
                            html.display(),
                            e.monitoring_records.len(),
                            e.audit.len()
                        )
                    })?;
                }
                Dsar::Erase { person } => {
                    let r = ctx.store.erase_person(&actor, person).await?;
                    ctx.emit(&r, |r| {
                        let mut t = format!("person {}: erased\n", r.person_id);
                        for e in &r.erased {
                            t.push_str(&format!("  {} {}: {}\n", e.count, e.what, e.reason));
                        }
                        t.push_str("kept\n");
                        for k in &r.kept {
                            t.push_str(&format!("  {} {}: {}\n", k.count, k.what, k.reason));
                        }
                        t
                    })?;
                }
            }
            Ok(ctx)
        })
    }
}
