//! Monitoring records: `charter records list|import|purge|stats`. Reading one person's
//! records and purging them go through the app, which checks who may (the pack's compliance
//! and data protection roles) and logs it.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};

use charter_app::RecordView;
use charter_app::config::Config;
use charter_engine::Privacy;
use charter_store::spool::{Stats, Usage, count_from, read_stats, usage};
use charter_store::{NewRecord, Source};

use super::appctx::{self, AppArgs};
use crate::exit::{CmdResult, Outcome};

/// `charter records ...`
#[derive(Debug, Args)]
pub struct RecordsCmd {
    #[command(subcommand)]
    cmd: Records,
    #[command(flatten)]
    store: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Records {
    #[command(flatten)]
    Store(InStore),
    /// What `serve`'s spool has done: decisions received, spooled and dropped; records
    /// stored, cleaned and set aside; how much waits for the store. Reads the spool's files,
    /// not the store, so it answers while the store is down.
    #[command(
        after_help = r#"Who may: anyone who can read serve's spool directory (the store is not opened).

Example:
  charter records stats --config charter.toml --json"#
    )]
    Stats,
}

/// The subcommands that work on the store.
#[derive(Debug, Subcommand)]
enum InStore {
    /// Show one person's monitoring records (newest first), for a reason. The audit chain logs
    /// who read whose records and why, and the person gets a notice (`people notices`) unless
    /// the reason is a confidential investigation.
    #[command(
        after_help = r#"Who may: a person holding a compliance role ([governance] compliance_roles, default compliance), named by --by, with a --reason.

Example:
  charter records list --person "Pat Jones" --reason "suspected excessive personal use" --by "Cora Sec" --config charter.toml"#
    )]
    List {
        /// Whose records: their id, full name or account name (an email address, a login).
        #[arg(long, value_name = "PERSON")]
        person: String,
        /// Why they are read (required): kept in the audit row and, unless `--confidential`,
        /// told to the person.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// A confidential investigation: the person is not told.
        #[arg(long)]
        confidential: bool,
        /// From this time. A time without an offset is local time in the pack's
        /// zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Before this time. A time without an offset is local time in the pack's
        /// zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Only flagged records (log, warn, hold, block).
        #[arg(long)]
        flagged: bool,
    },
    /// Import records from a JSON-lines file, in batches; prints each committed batch.
    #[command(
        after_help = r#"Who may: anyone who can open the store; the audit chain records the operator, or the person named by --by, as the writer.

Example:
  charter records import records.jsonl --batch 5000 --config charter.toml"#
    )]
    Import {
        /// The file: one JSON record a line (`at`, `user`, `source`, `subject`, `verdict`, ...).
        file: PathBuf,
        /// Records committed in one transaction.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
    },
    /// Delete records older than the pack's retention period (or `--before`) and log it.
    #[command(
        after_help = r#"Who may: the operator (no --by), or a person holding a data protection role ([governance] data_protection_roles, default dpo).

Example:
  charter records purge --config charter.toml"#
    )]
    Purge {
        /// Delete records before this time instead of the pack's period. A time without an offset
        /// is local time in the pack's zone, e.g. 2026-06-15T10:00; one with an offset
        /// (2026-06-15T10:00:00+01:00) is exact.
        #[arg(long, value_name = "TIME")]
        before: Option<String>,
    },
}

/// One line of an import file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportLine {
    at: String,
    user: Option<String>,
    #[serde(default = "web")]
    source: String,
    subject: String,
    verdict: String,
    rule: Option<String>,
    check: Option<String>,
    severity: Option<String>,
    categories: Option<String>,
    #[serde(default)]
    headers_only: bool,
    detail: Option<String>,
}

fn web() -> String {
    "web".into()
}

fn source(s: &str) -> anyhow::Result<Source> {
    Ok(match s {
        "web" => Source::Web,
        "mail" => Source::Mail,
        "activity" => Source::Activity,
        other => anyhow::bail!("bad source `{other}`, expected web, mail or activity"),
    })
}

impl RecordsCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = match self.cmd {
            Records::Stats => return stats(&self.store),
            Records::Store(cmd) => cmd,
        };
        let config_path = self.store.config.clone();
        appctx::run(&self.store, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
            match cmd {
                InStore::List {
                    person,
                    reason,
                    confidential,
                    since,
                    until,
                    limit,
                    flagged,
                } => {
                    let id = ctx.person_id(&person).await?;
                    let view = RecordView {
                        reason: reason.unwrap_or_default(),
                        confidential,
                        since: since.map(|t| ctx.time(Some(&t))).transpose()?,
                        until: until.map(|t| ctx.time(Some(&t))).transpose()?,
                        limit: Some(limit),
                        flagged_only: flagged,
                    };
                    let recs = app.view_records(actor, id, view).await?;
                    ctx.emit(&recs, |rs| {
                        rs.iter()
                            .map(|r| {
                                format!(
                                    "{:>8} {} {:<12} {:<6} {} {}\n",
                                    r.id,
                                    r.at,
                                    r.user.as_deref().unwrap_or("-"),
                                    r.verdict,
                                    r.rule.as_deref().unwrap_or("-"),
                                    r.subject
                                )
                            })
                            .collect()
                    })?;
                }
                InStore::Import { file, batch } => {
                    let monitor = super::alerts::monitor(&config_path, app)?;
                    let f = std::fs::File::open(&file)
                        .with_context(|| format!("cannot read `{}`", file.display()))?;
                    let mut pending = Vec::with_capacity(batch.max(1));
                    let mut total = 0u64;
                    let mut out = std::io::stdout().lock();
                    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
                        let line =
                            line.with_context(|| format!("cannot read `{}`", file.display()))?;
                        if line.trim().is_empty() {
                            continue;
                        }
                        let l: ImportLine = serde_json::from_str(&line)
                            .with_context(|| format!("`{}` line {}", file.display(), n + 1))?;
                        pending.push(NewRecord {
                            at: ctx
                                .time(Some(&l.at))
                                .with_context(|| format!("`{}` line {}", file.display(), n + 1))?,
                            user: l.user.map(Into::into),
                            source: source(&l.source)?,
                            subject: l.subject.into(),
                            verdict: l.verdict.into(),
                            rule: l.rule.map(Into::into),
                            check: l.check.map(Into::into),
                            severity: l.severity.map(Into::into),
                            categories: l.categories.map(Into::into),
                            privacy: if l.headers_only {
                                Privacy::HeadersOnly
                            } else {
                                Privacy::Full
                            },
                            detail: l.detail.map(Into::into),
                            findings: "[]".into(),
                        });
                        if pending.len() >= batch.max(1) {
                            total += app.store().write_records(actor, &pending).await?;
                            monitor
                                .written_logged(app.store(), &pending, "charter")
                                .await;
                            pending.clear();
                            writeln!(out, "committed {total}")?;
                            out.flush()?;
                        }
                    }
                    if !pending.is_empty() {
                        total += app.store().write_records(actor, &pending).await?;
                        monitor
                            .written_logged(app.store(), &pending, "charter")
                            .await;
                        writeln!(out, "committed {total}")?;
                    }
                }
                InStore::Purge { before } => {
                    let report = match before {
                        Some(t) => app.purge_before(actor, ctx.time(Some(&t))?).await?,
                        None => app
                            .purge_expired(actor, jiff::Timestamp::now())
                            .await?
                            .ok_or_else(|| {
                                anyhow::anyhow!(
                                    "the pack `{}` sets no [monitoring] retention_months: give --before",
                                    app.pack().meta.id
                                )
                            })?,
                    };
                    ctx.emit(&report, |r| {
                        format!(
                            "purged {} records before {} (oldest {}, newest {}){}; audit row {}",
                            r.deleted,
                            r.cutoff,
                            r.oldest.as_deref().unwrap_or("-"),
                            r.newest.as_deref().unwrap_or("-"),
                            dropped(&r.partitions_dropped),
                            r.audit_seq
                        )
                    })?;
                }
            }
            Ok(ctx)
        })
    }
}

/// What `charter records stats` prints.
#[derive(Debug, Serialize)]
struct SpoolReport {
    /// The spool directory.
    spool: PathBuf,
    #[serde(flatten)]
    usage: Usage,
    /// Records in the spool the store has not committed.
    waiting: u64,
    #[serde(flatten)]
    stats: Stats,
}

/// `charter records stats`: the spool's counters, from its files alone.
fn stats(args: &AppArgs) -> CmdResult {
    let config = Config::load(&args.config)?;
    let dir = config.spool.dir;
    if !dir.is_dir() {
        anyhow::bail!(
            "no spool at `{}`: `charter serve` makes it when it first starts",
            dir.display()
        );
    }
    let stats = read_stats(&dir)
        .with_context(|| format!("cannot read `{}`", dir.join("stats.json").display()))?
        .unwrap_or_default();
    let report = SpoolReport {
        usage: usage(&dir)?,
        waiting: count_from(&dir, stats.acked)?,
        spool: dir,
        stats,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(Outcome::Success);
    }
    let s = &report.stats;
    let store = match (&s.store.up, &s.store.since, &s.store.error) {
        (_, None, _) => "not reached yet".to_string(),
        (true, Some(since), _) => format!("up since {since}"),
        (false, Some(since), error) => format!(
            "down since {since}: {}",
            error.as_deref().unwrap_or("unknown error")
        ),
    };
    // A `serve` killed with SIGKILL could not say it stopped: its process is gone.
    let alive = Path::new(&format!("/proc/{}", s.pid)).exists();
    let serve = if s.running && alive {
        format!("running (pid {}, counters of {})", s.pid, s.updated_at)
    } else if s.running {
        format!(
            "not running: pid {} ended without saying so (killed?); last counters {}",
            s.pid, s.updated_at
        )
    } else if s.updated_at.is_empty() {
        "never run".to_string()
    } else {
        format!("stopped (last counters {})", s.updated_at)
    };
    println!("spool      {}", report.spool.display());
    println!(
        "on disk    {} bytes in {} segments",
        report.usage.bytes, report.usage.segments
    );
    println!("waiting    {} records not yet in the store", report.waiting);
    println!("received   {} decisions from the gateways", s.received);
    println!("spooled    {}", s.spooled);
    println!("dropped    {}", s.dropped);
    println!("stored     {}", s.stored);
    println!(
        "cleaned    {} (stored with a field truncated or NUL replaced)",
        s.cleaned
    );
    println!(
        "set aside  {} (in {})",
        s.set_aside,
        report.spool.join("rejects.jsonl").display()
    );
    println!("damaged    {} bytes skipped", s.damaged_bytes);
    println!("store      {store}");
    println!("serve      {serve}");
    Ok(Outcome::Success)
}

/// The monthly partitions a purge dropped whole, for a line: `, dropping decisions_y2025m01
/// (1200 records)`; empty when none.
pub(crate) fn dropped(parts: &[charter_store::DroppedPartition]) -> String {
    if parts.is_empty() {
        return String::new();
    }
    let each: Vec<String> = parts
        .iter()
        .map(|p| format!("{} ({} records)", p.name, p.records))
        .collect();
    format!(", dropping {}", each.join(", "))
}
