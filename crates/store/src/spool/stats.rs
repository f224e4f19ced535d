//! The spool's counters: kept in memory by the process using the spool and written to
//! `stats.json` about once a second (and when it stops), so that `charter records stats`,
//! another process, can show them. They add up over the spool's life, across restarts.

use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::{Position, private_file};

/// Counters shared by the threads that feed and drain the spool.
#[derive(Debug, Default)]
pub struct Counters {
    /// Decisions the spool writer was handed.
    pub received: AtomicU64,
    /// Of them, written to the spool.
    pub spooled: AtomicU64,
    /// Decisions lost before reaching the spool (queue full, disk full, too large).
    pub dropped: AtomicU64,
    /// Records committed to the store.
    pub stored: AtomicU64,
    /// Records stored with a field truncated or cleaned (NUL characters).
    pub cleaned: AtomicU64,
    /// Records the store refused even cleaned, kept in `rejects.jsonl`.
    pub set_aside: AtomicU64,
    /// Spool bytes skipped as damaged or torn.
    pub damaged_bytes: AtomicU64,
    state: Mutex<(StoreState, Option<Position>)>,
}

/// Whether the store was taking records, as last seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreState {
    /// Whether the last write (or connection attempt) succeeded.
    pub up: bool,
    /// Since when it has been so, RFC 3339.
    pub since: Option<String>,
    /// The last error while it is down.
    pub error: Option<String>,
}

/// A snapshot of [`Counters`], as `stats.json` holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// See [`Counters::received`].
    pub received: u64,
    /// See [`Counters::spooled`].
    pub spooled: u64,
    /// See [`Counters::dropped`].
    pub dropped: u64,
    /// See [`Counters::stored`].
    pub stored: u64,
    /// See [`Counters::cleaned`].
    pub cleaned: u64,
    /// See [`Counters::set_aside`].
    pub set_aside: u64,
    /// See [`Counters::damaged_bytes`].
    pub damaged_bytes: u64,
    /// The store.
    pub store: StoreState,
    /// How far the store has committed.
    pub acked: Option<Position>,
    /// Whether the process was running when it wrote this.
    pub running: bool,
    /// Its process id.
    pub pid: u32,
    /// When, RFC 3339.
    pub updated_at: String,
}

impl Counters {
    /// Counters carrying on from an earlier process's.
    pub fn resume(from: &Stats) -> Counters {
        Counters {
            received: from.received.into(),
            spooled: from.spooled.into(),
            dropped: from.dropped.into(),
            stored: from.stored.into(),
            cleaned: from.cleaned.into(),
            set_aside: from.set_aside.into(),
            damaged_bytes: from.damaged_bytes.into(),
            state: Mutex::new((from.store.clone(), from.acked)),
        }
    }

    /// Records that the store is up or down; returns whether that changed. `since` moves only
    /// on a change, so it says how long the store has been down.
    pub fn set_store(&self, up: bool, error: Option<String>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let changed = state.0.up != up || state.0.since.is_none();
        if changed {
            state.0.since = Some(jiff::Timestamp::now().to_string());
        }
        state.0.up = up;
        state.0.error = error;
        changed
    }

    /// Records how far the store has committed.
    pub fn set_acked(&self, acked: Position) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = Some(acked);
    }

    /// The counters now.
    pub fn snapshot(&self, running: bool) -> Stats {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            received: get(&self.received),
            spooled: get(&self.spooled),
            dropped: get(&self.dropped),
            stored: get(&self.stored),
            cleaned: get(&self.cleaned),
            set_aside: get(&self.set_aside),
            damaged_bytes: get(&self.damaged_bytes),
            store: state.0,
            acked: state.1,
            running,
            pid: std::process::id(),
            updated_at: jiff::Timestamp::now().to_string(),
        }
    }
}

/// Writes `stats` to `dir/stats.json`, replacing the old file whole (a reader never sees half).
pub fn write_stats(dir: &Path, stats: &Stats) -> io::Result<()> {
    let tmp = dir.join("stats.json.tmp");
    let mut file = private_file(
        &tmp,
        OpenOptions::new().create(true).truncate(true).write(true),
    )?;
    let text = serde_json::to_string_pretty(stats).map_err(io::Error::other)?;
    file.write_all(text.as_bytes())?;
    drop(file);
    std::fs::rename(&tmp, dir.join("stats.json"))
}

/// Reads `dir/stats.json`; `None` when no process has written one yet.
pub fn read_stats(dir: &Path) -> io::Result<Option<Stats>> {
    match std::fs::read_to_string(dir.join("stats.json")) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
