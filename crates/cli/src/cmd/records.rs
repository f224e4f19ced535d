//! Monitoring records: `charter records list|import|purge|stats`.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};

use charter_engine::Privacy;
use charter_store::spool::{Stats, Usage, count_from, read_stats, usage};
use charter_store::{Actor, NewRecord, RecordFilter, Source, retention_cutoff};

use super::storectx::{self, StoreArgs};
use crate::config::Config;
use crate::exit::{CmdResult, Outcome};

/// `charter records ...`
#[derive(Debug, Args)]
pub struct RecordsCmd {
    #[command(subcommand)]
    cmd: Records,
    #[command(flatten)]
    store: StoreArgs,
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
    /// Show monitoring records (newest first). Every view is logged in the audit chain.
    #[command(
        after_help = r#"Who may: a person holding a compliance role ([governance] compliance_roles, default compliance); every view is recorded in the audit chain.

Example:
  charter records list --user pat --since 2026-06-01 --by 3 --config charter.toml"#
    )]
    List {
        /// Only this user (repeat for several).
        #[arg(long)]
        user: Vec<String>,
        /// Only records from this time on. A time without an offset is local time in the pack's
        /// zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
        #[arg(long)]
        since: Option<String>,
        /// Only records before this time: local time in the pack's zone without an offset, e.g.
        /// 2026-06-30T18:00.
        #[arg(long)]
        until: Option<String>,
        /// At most this many records.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Only flagged records (log, warn, hold, block).
        #[arg(long)]
        flagged: bool,
    },
    /// Import records from a JSON-lines file, in batches; prints each committed batch.
    #[command(
        after_help = r#"Who may: the operator (the records are written as made by the CLI, or by --by).

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
        #[arg(long)]
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
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            match cmd {
                InStore::List {
                    user,
                    since,
                    until,
                    limit,
                    flagged,
                } => {
                    let filter = RecordFilter {
                        users: user,
                        since: since.map(|t| ctx.instant(&t)).transpose()?,
                        until: until.map(|t| ctx.instant(&t)).transpose()?,
                        limit: Some(limit),
                        flagged_only: flagged,
                    };
                    let recs = s.view_records(&actor, &filter).await?;
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
                                .instant(&l.at)
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
                            total += s.write_records(&actor, &pending).await?;
                            pending.clear();
                            writeln!(out, "committed {total}")?;
                            out.flush()?;
                        }
                    }
                    if !pending.is_empty() {
                        total += s.write_records(&actor, &pending).await?;
                        writeln!(out, "committed {total}")?;
                    }
                }
                InStore::Purge { before } => {
                    let cutoff = match before {
                        Some(t) => ctx.instant(&t)?,
                        None => {
                            let pack = ctx.pack()?;
                            let months = pack.monitoring.retention_months.ok_or_else(|| anyhow::anyhow!(
                                "the pack `{}` sets no [monitoring] retention_months: give --before", pack.meta.id))?;
                            retention_cutoff(jiff::Timestamp::now(), months)
                        }
                    };
                    let system = if ctx.by.is_some() {
                        actor
                    } else {
                        Actor::System("retention".into())
                    };
                    let report = s.purge_records(&system, cutoff).await?;
                    ctx.emit(&report, |r| {
                        format!(
                            "purged {} records before {} (oldest {}, newest {}); audit row {}",
                            r.deleted,
                            r.cutoff,
                            r.oldest.as_deref().unwrap_or("-"),
                            r.newest.as_deref().unwrap_or("-"),
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
fn stats(args: &StoreArgs) -> CmdResult {
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
