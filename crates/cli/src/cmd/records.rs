//! Monitoring records: `charter records list|import|purge|load-synthetic`.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Deserialize;

use charter_engine::Privacy;
use charter_store::{Actor, NewRecord, RecordFilter, Source, retention_cutoff};

use super::storectx::{self, StoreArgs};
use crate::exit::CmdResult;

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
    /// Show monitoring records (newest first). Every view is logged in the audit chain.
    List {
        /// Only this user (repeat for several).
        #[arg(long)]
        user: Vec<String>,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Only flagged records (log, warn, hold, block).
        #[arg(long)]
        flagged: bool,
    },
    /// Import records from a JSON-lines file, in batches; prints each committed batch.
    Import {
        file: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
    },
    /// Delete records older than the pack's retention period (or `--before`) and log it.
    Purge {
        /// Delete records before this instant instead of the pack's period.
        #[arg(long)]
        before: Option<String>,
    },
    /// Write N synthetic records in batches, printing `committed TOTAL` after each commit
    /// (for load and crash tests).
    #[command(hide = true)]
    LoadSynthetic {
        n: usize,
        #[arg(long, default_value_t = 1000)]
        batch: usize,
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

fn synthetic(i: usize) -> NewRecord {
    let hosts = [
        "www.bbc.co.uk",
        "www.bet365.com",
        "mail.google.com",
        "github.com",
    ];
    let k = i % hosts.len();
    let base: jiff::Timestamp =
        jiff::Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_secs(1_780_000_000);
    NewRecord {
        at: base + jiff::SignedDuration::from_millis(i as i64),
        user: Some(format!("user{}", i % 50).into()),
        source: Source::Web,
        subject: format!("https://{}/{i}", hosts[k]).into(),
        verdict: if k == 1 {
            "block".into()
        } else {
            "allow".into()
        },
        rule: (k == 1).then(|| "internet.prohibited-content".into()),
        check: (k == 1).then(|| "prohibited_category".into()),
        severity: (k == 1).then(|| "gross_misconduct".into()),
        categories: None,
        privacy: Privacy::Full,
        detail: None,
        findings: "[]".into(),
    }
}

impl RecordsCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            match cmd {
                Records::List {
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
                Records::Import { file, batch } => {
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
                Records::Purge { before } => {
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
                Records::LoadSynthetic { n, batch } => {
                    let mut out = std::io::stdout().lock();
                    let mut done = 0usize;
                    while done < n {
                        let end = (done + batch.max(1)).min(n);
                        let recs: Vec<NewRecord> = (done..end).map(synthetic).collect();
                        s.write_records(&actor, &recs).await?;
                        done = end;
                        // INVARIANT: printed only after the batch's commit has returned.
                        writeln!(out, "committed {done}")?;
                        out.flush()?;
                    }
                }
            }
            Ok(ctx)
        })
    }
}
