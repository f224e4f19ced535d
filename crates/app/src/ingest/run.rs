//! One run of ingest over files: read each from its kept position, parse, decide, and write
//! the records with the position after them in one transaction, a batch at a time. A line
//! that is not of the format is counted and reported with its file and number, never fatal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use charter_proto::logs::{EventKind, LogEvent};
use charter_store::{Actor, NewRecord};

use super::decide::Decider;
use super::file::{Line, LogFile, Resume};
use super::parse::{Format, LineParser};
use crate::monitor::Monitor;

/// Lines per batch: one transaction, one audit row, one position.
pub const BATCH: usize = 100_000;
/// How often progress is printed on long files.
const PROGRESS_EVERY: Duration = Duration::from_secs(3);
/// How long `--follow` waits at the end of every file before looking again.
const FOLLOW_WAIT: Duration = Duration::from_millis(200);
/// Unparseable lines reported one by one per file; the rest are counted.
const BAD_SHOWN: usize = 20;

/// What a batch's write gives back: the records written and the batch's vector, emptied.
type Written = (u64, Vec<NewRecord>);

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Keep reading as the files grow, across rotation, until `stop` is set.
    pub follow: bool,
    /// Write records and positions (false: parse and decide only, for measuring).
    pub store: bool,
    /// Print progress on stderr every few seconds.
    pub progress: bool,
    /// Set to stop following.
    pub stop: Arc<AtomicBool>,
    /// What raises alerts, accounts personal use and watches VPN sign-ins for records once
    /// they are written, as `serve`'s record writer does; `None` with `store` off.
    pub monitor: Option<Arc<crate::monitor::Monitor>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            follow: false,
            store: true,
            progress: true,
            stop: Arc::default(),
            monitor: None,
        }
    }
}

/// A line that was not of the format.
#[derive(Debug, Clone, Serialize)]
pub struct BadLine {
    /// Its number in the file.
    pub line: i64,
    /// Why.
    pub reason: String,
}

/// What one file gave.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// `fresh`, `resumed`, `rotated` or `truncated`.
    pub resumed: &'static str,
    /// Lines read in this run.
    pub lines: u64,
    /// Events found on them.
    pub events: u64,
    /// Records written.
    pub records: u64,
    /// Records whose verdict is not `allow`.
    pub flagged: u64,
    /// Lines not of the format.
    pub bad: u64,
    /// The first of them.
    pub bad_lines: Vec<BadLine>,
    /// Whether the file ends in a line without its newline, left for the next run.
    pub partial_last_line: bool,
}

/// Why ingest stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file cannot be opened or read.
    #[error("cannot read `{path}`: {cause}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// The store refused.
    #[error(transparent)]
    Store(#[from] charter_store::Error),
    /// The task writing a batch stopped.
    #[error("the task writing records stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Deciding an activity event failed (the store refused a read or a session).
    #[error(transparent)]
    Decide(#[from] crate::Error),
}

fn resume_word(r: Resume) -> &'static str {
    match r {
        Resume::Fresh => "fresh",
        Resume::Resumed => "resumed",
        Resume::Rotated => "rotated",
        Resume::Truncated => "truncated",
    }
}

/// Reads `paths` in `format`, deciding with `decider` and writing to `app`'s store.
pub async fn ingest_files(
    app: &crate::App,
    format: Format,
    paths: &[PathBuf],
    decider: &mut Decider<'_>,
    parser: &mut LineParser,
    options: &Options,
) -> Result<Vec<FileReport>, IngestError> {
    let actor = Actor::System(format!("ingest {}", format.as_str()));
    let mut open = Vec::new();
    for path in paths {
        let saved = if options.store {
            app.store()
                .ingest_position(&path.display().to_string())
                .await?
        } else {
            None
        };
        let (file, how) =
            LogFile::open(path, saved.as_ref()).map_err(|cause| IngestError::Read {
                path: path.clone(),
                cause,
            })?;
        if how == Resume::Rotated || how == Resume::Truncated {
            eprintln!(
                "charter ingest: file={} resumed={}: Not the file read before at this path; reading it from the start.",
                path.display(),
                resume_word(how)
            );
        }
        open.push((file, report(path, how)));
    }
    let mut run = Run {
        app,
        actor,
        decider,
        parser,
        options,
        started: Instant::now(),
        last_progress: Instant::now(),
        lines_total: 0,
    };
    loop {
        let mut any = false;
        for (file, report) in open.iter_mut() {
            any |= run.drain(file, report).await? > 0;
        }
        if !options.follow || options.stop.load(Ordering::Relaxed) {
            break;
        }
        if !any {
            for (file, report) in open.iter_mut() {
                if file.replaced().unwrap_or(false) {
                    // Whatever the old file got before it was replaced has been read above.
                    let pos = file.position().map_err(|cause| IngestError::Read {
                        path: file.path().to_path_buf(),
                        cause,
                    })?;
                    let path = file.path().to_path_buf();
                    let (next, how) =
                        LogFile::open(&path, Some(&pos)).map_err(|cause| IngestError::Read {
                            path: path.clone(),
                            cause,
                        })?;
                    eprintln!(
                        "charter ingest: file={} resumed={}: File rotated; following the new one.",
                        path.display(),
                        resume_word(how)
                    );
                    *file = next;
                    report.resumed = resume_word(how);
                }
            }
            tokio::time::sleep(FOLLOW_WAIT).await;
        }
    }
    Ok(open
        .into_iter()
        .map(|(mut file, mut report)| {
            report.partial_last_line = file.has_partial_line();
            let _ = file.position();
            report
        })
        .collect())
}

fn report(path: &Path, how: Resume) -> FileReport {
    FileReport {
        path: path.to_path_buf(),
        resumed: resume_word(how),
        lines: 0,
        events: 0,
        records: 0,
        flagged: 0,
        bad: 0,
        bad_lines: Vec::new(),
        partial_last_line: false,
    }
}

struct Run<'a, 'b> {
    app: &'a crate::App,
    actor: Actor,
    decider: &'a mut Decider<'b>,
    parser: &'a mut LineParser,
    options: &'a Options,
    started: Instant,
    last_progress: Instant,
    lines_total: u64,
}

impl Run<'_, '_> {
    /// Reads `file` to its current end, a batch at a time; returns the lines read.
    async fn drain(
        &mut self,
        file: &mut LogFile,
        report: &mut FileReport,
    ) -> Result<u64, IngestError> {
        let mut total = 0;
        // The batch being written while the next is read and decided: the store works on
        // its own (SQLite's worker thread, PostgreSQL's server) and at most one write is in
        // flight, so batches and their positions commit in order.
        let mut writing: Option<tokio::task::JoinHandle<charter_store::Result<Written>>> = None;
        // The last written batch's vector, emptied, for the next: a fresh one per batch
        // measured several percent of parse-and-decide in the kernel's zeroing of new pages.
        let mut spare: Vec<NewRecord> = Vec::new();
        // One event whose strings each line reuses.
        let mut scratch = LogEvent {
            at_us: 0,
            user: None,
            reporter: String::new(),
            kind: EventKind::Web {
                client: String::new(),
                url: String::new(),
                method: String::new(),
                status: 0,
                bytes: 0,
                elapsed_ms: 0,
            },
        };
        loop {
            let mut batch = std::mem::take(&mut spare);
            batch.reserve(BATCH);
            let mut sign_ins: Vec<LogEvent> = Vec::new();
            let watching = self.options.store && self.options.monitor.is_some();
            let (decider, parser) = (&mut *self.decider, &mut *self.parser);
            let path = file.path().to_path_buf();
            let read = file
                .read(BATCH, |line| {
                    report.lines += 1;
                    let parsed = match line {
                        Line::Text(n, text) => parser.parse_into(text, &mut scratch).map_err(|e| (n, e.to_string())),
                        Line::TooLong(n) => Err((n, charter_proto::logs::LineError::TooLong.to_string())),
                    };
                    match parsed {
                        Ok(true) => {
                            report.events += 1;
                            if watching && Monitor::watches(&scratch) {
                                sign_ins.push(scratch.clone());
                            }
                            if let Some(r) = decider.record(&scratch) {
                                if &*r.verdict != "allow" {
                                    report.flagged += 1;
                                }
                                batch.push(r);
                            }
                        }
                        Ok(false) => {}
                        Err((n, reason)) => {
                            report.bad += 1;
                            if report.bad_lines.len() < BAD_SHOWN {
                                eprintln!("charter ingest: file={} line={n} error={reason}: Line set aside.", path.display());
                                report.bad_lines.push(BadLine { line: n, reason });
                            }
                        }
                    }
                })
                .map_err(|cause| IngestError::Read { path: path.clone(), cause })?;
            // The last batch is committed before the events that wait for the store (sessions)
            // are decided against it.
            if let Some(done) = writing.take() {
                let (written, emptied) = done.await??;
                report.records += written;
                spare = emptied;
            }
            for r in self.decider.decide_pending().await? {
                if &*r.verdict != "allow" {
                    report.flagged += 1;
                }
                batch.push(r);
            }
            if read == 0 {
                return Ok(total);
            }
            total += read as u64;
            self.lines_total += read as u64;
            if self.options.store {
                let at = file.position().map_err(|cause| IngestError::Read {
                    path: path.clone(),
                    cause,
                })?;
                let (store, actor) = (self.app.store().clone(), self.actor.clone());
                let monitor = self.options.monitor.clone();
                writing = Some(tokio::spawn(async move {
                    let written = store.write_ingested(&actor, &batch, &at).await?;
                    if let Some(monitor) = monitor {
                        batch.retain(Monitor::wants);
                        monitor
                            .written_logged(&store, &batch, "charter ingest")
                            .await;
                        for event in &sign_ins {
                            if let Err(e) = monitor.log_event(&store, event).await {
                                eprintln!("charter ingest: error={e}: VPN sign-in not watched.");
                            }
                        }
                    }
                    batch.clear();
                    charter_store::Result::Ok((written, batch))
                }));
            } else {
                report.records += batch.len() as u64;
                batch.clear();
                spare = batch;
            }
            self.progress(file);
        }
    }

    fn progress(&mut self, file: &LogFile) {
        if !self.options.progress || self.last_progress.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last_progress = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        eprintln!(
            "charter ingest: file={} line={} lines_per_second={:.0}: Reading.",
            file.path().display(),
            file.lines(),
            self.lines_total as f64 / secs
        );
    }
}
