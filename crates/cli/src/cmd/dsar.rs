//! `charter dsar export|erase`: subject access and erasure, for the pack's data protection
//! roles. Erasure shows what it will remove and what it keeps, and acts only with
//! `--confirm` repeating the person's full name.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};

use charter_app::ErasurePlan;

use super::appctx::{self, AppArgs};
use crate::exit::CmdResult;

/// `charter dsar ...`
#[derive(Debug, Args)]
pub struct DsarCmd {
    #[command(subcommand)]
    cmd: Dsar,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Dsar {
    /// Write everything held about a person to DIR: `export.json` and `summary.html`, a
    /// document that can be sent to them. Reading their monitoring records is logged in the
    /// audit chain.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter dsar export --person "Pat Jones" -o dsar-pat --by "Cora Sec" --config charter.toml"#
    )]
    Export {
        /// Whose: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        person: String,
        /// The directory to write (created, readable by its owner only).
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
    },
    /// Erase what may be erased about a person who has left. Without `--confirm` it only
    /// shows what it would erase and what it keeps; with `--confirm "<their full name>"` it
    /// erases.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter dsar erase --person 7 --confirm "Pat Jones" --by "Cora Sec" --config charter.toml"#
    )]
    Erase {
        /// Whom: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        person: String,
        /// The person's full name, to confirm.
        #[arg(long, value_name = "NAME")]
        confirm: Option<String>,
    },
}

/// Writes `text` to `path`, readable by its owner only: it is personal data.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("cannot write `{}`", path.display()))
}

fn show_plan(p: &ErasurePlan, done: bool) -> String {
    let mut t = format!(
        "person {} ({}): {}\n",
        p.person_id,
        p.person_name,
        if done { "erased" } else { "would erase" }
    );
    for e in &p.erase {
        t.push_str(&format!("  {} {}: {}\n", e.count, e.what, e.reason));
    }
    t.push_str(if done { "kept\n" } else { "would keep\n" });
    for k in &p.keep {
        t.push_str(&format!("  {} {}: {}\n", k.count, k.what, k.reason));
    }
    t
}

impl DsarCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            match cmd {
                Dsar::Export { person, out } => {
                    let person = ctx.person_id(&person).await?;
                    let e = app.subject_export(&ctx.actor, person).await?;
                    let html_text = app.subject_summary_html(&e).await?;
                    {
                        use std::os::unix::fs::DirBuilderExt as _;
                        std::fs::DirBuilder::new()
                            .recursive(true)
                            .mode(0o700)
                            .create(&out)
                            .with_context(|| format!("cannot create `{}`", out.display()))?;
                    }
                    let json = out.join("export.json");
                    write_private(&json, &serde_json::to_string_pretty(&e)?)?;
                    let html = out.join("summary.html");
                    write_private(&html, &html_text)?;
                    let summary = serde_json::json!({
                        "person": person, "json": json, "html": html,
                        "counts": {"accounts": e.accounts.len(), "devices": e.devices.len(), "acknowledgements": e.acknowledgements.len(),
                                   "incidents": e.incidents.len(), "breaches": e.breaches.len(), "subject_requests": e.subject_requests.len(),
                                   "monitoring_records": e.monitoring_records.len(), "audit": e.audit.len()}
                    });
                    ctx.emit(&summary, |_| {
                        format!(
                            "wrote {} and {} for {} ({} monitoring records, {} audit rows)",
                            json.display(),
                            html.display(),
                            e.person.label(),
                            e.monitoring_records.len(),
                            e.audit.len()
                        )
                    })?;
                }
                Dsar::Erase { person, confirm } => {
                    let person = ctx.person_id(&person).await?;
                    match confirm {
                        None => {
                            let plan = app.erasure_plan(&ctx.actor, person).await?;
                            ctx.emit(&plan, |p| show_plan(p, false))?;
                            anyhow::bail!(
                                "nothing erased: to erase, repeat with --confirm \"{}\"",
                                plan.person_name
                            );
                        }
                        Some(name) => {
                            let done = app.erase_person(&ctx.actor, person, &name).await?;
                            ctx.emit(&done, |p| show_plan(p, true))?;
                        }
                    }
                }
            }
            Ok(ctx)
        })
    }
}
