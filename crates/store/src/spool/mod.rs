//! The spool: a disk buffer between the gateways and the store, shaped like Vector's disk
//! buffers. Decisions are appended to segment files (length-prefixed, checksummed frames,
//! `segment.rs`) as they are made; a reader takes them out in batches for the store, and its
//! position is acknowledged only by the store transaction that commits the batch
//! ([`crate::Store::write_spooled`] keeps it in `spool_marks`). So a slow or absent store
//! makes the spool grow rather than records drop, a killed process loses only what had not
//! reached the operating system, and a restart resumes exactly after the last committed
//! batch: nothing lost, nothing written twice.
//!
//! One directory per spool, created 0700, every file in it 0600:
//! `NNNNNNNNNNNNNNNNNNNN.seg` (segments), `id` (this spool's name in `spool_marks`), `lock`
//! (held by the one process using it), `stats.json` (counters another process can read) and
//! `rejects.jsonl` (records the store refused even after cleaning, kept for a person to look at).

mod codec;
mod commit;
mod reader;
mod segment;
mod stats;
mod writer;

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use codec::{Decided, Spooled};
pub use commit::Committed;
pub use reader::{Batch, SpoolReader};
pub use stats::{Counters, Stats, StoreState, read_stats, write_stats};
pub use writer::{Appended, SpoolWriter};

use crate::records::NewRecord;

/// A place in the spool: a segment and a byte offset in it. Positions order as the records do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Position {
    /// The segment's number.
    pub segment: u64,
    /// Bytes from the start of the segment file.
    pub offset: u64,
}

/// Why the spool cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A file or directory of the spool could not be read or written.
    #[error("spool `{path}`: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Another process holds the spool's lock.
    #[error("spool `{0}` is in use by another process (another `charter serve`?)")]
    InUse(PathBuf),
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens (creating when missing) a file of the spool, readable and writable by its owner only.
pub(crate) fn private_file(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    options.mode(0o600).open(path)
}

/// An open spool directory, locked for this process until dropped.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    id: String,
    _lock: File,
}

impl Spool {
    /// Opens the spool in `dir`, creating it (mode 0700) when missing, and takes its lock.
    pub fn open(dir: &Path) -> Result<Spool, SpoolError> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_at(dir))?;
        let lock_path = dir.join("lock");
        let lock = private_file(
            &lock_path,
            OpenOptions::new().create(true).truncate(false).write(true),
        )
        .map_err(io_at(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(SpoolError::InUse(dir.to_path_buf()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_at(&lock_path)(e)),
        }
        let id = spool_id(dir)?;
        Ok(Spool {
            dir: dir.to_path_buf(),
            id,
            _lock: lock,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// This spool's name in the store's `spool_marks`: random, made when the spool was.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A writer appending to a new segment after every existing one. Segments left by an
    /// earlier process are never appended to: one killed mid-write may end in a torn frame.
    pub fn writer(&self) -> Result<SpoolWriter, SpoolError> {
        let last = segment::list(&self.dir)
            .map_err(io_at(&self.dir))?
            .last()
            .copied()
            .unwrap_or(0);
        SpoolWriter::create(&self.dir, last + 1)
    }

    /// A reader starting at `from` (the store's mark), or at the oldest segment.
    pub fn reader(&self, from: Option<Position>) -> SpoolReader {
        SpoolReader::new(&self.dir, from.unwrap_or_default())
    }

    /// Deletes the segments wholly before `acked`, whose every record the store has committed.
    /// Returns how many were deleted.
    pub fn remove_before(&self, acked: Position) -> Result<usize, SpoolError> {
        let mut removed = 0;
        for n in segment::list(&self.dir).map_err(io_at(&self.dir))? {
            if n >= acked.segment {
                break;
            }
            let path = segment::path(&self.dir, n);
            std::fs::remove_file(&path).map_err(io_at(&path))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Keeps a record the store refused in `rejects.jsonl`, with the reason, for a person to
    /// look at; it is counted as set aside and never retried.
    pub fn set_aside(&self, record: &NewRecord, reason: &str) -> Result<(), SpoolError> {
        let path = self.dir.join("rejects.jsonl");
        let line = serde_json::json!({
            "set_aside_at": jiff::Timestamp::now().to_string(),
            "reason": reason,
            "at": record.at.to_string(),
            "user": record.user.as_deref(),
            "source": record.source.as_str(),
            "subject": &*record.subject,
            "verdict": &*record.verdict,
            "rule": record.rule.as_deref(),
            "check": record.check.as_deref(),
            "severity": record.severity.as_deref(),
            "categories": record.categories.as_deref(),
            "privacy": record.privacy,
            "detail": record.detail.as_deref(),
            "findings": &*record.findings,
        });
        let mut file = private_file(&path, OpenOptions::new().create(true).append(true))
            .map_err(io_at(&path))?;
        writeln!(file, "{line}").map_err(io_at(&path))
    }
}

/// How much disk the segments of the spool in `dir` take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Usage {
    /// Segment files.
    pub segments: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// The disk the spool in `dir` takes; reads the directory only, so any process may ask.
pub fn usage(dir: &Path) -> Result<Usage, SpoolError> {
    let mut usage = Usage::default();
    for n in segment::list(dir).map_err(io_at(dir))? {
        let path = segment::path(dir, n);
        match std::fs::metadata(&path) {
            Ok(meta) => {
                usage.segments += 1;
                usage.bytes += meta.len();
            }
            // Deleted by the writer since the listing: it no longer counts.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at(&path)(e)),
        }
    }
    Ok(usage)
}

/// Puts what has been appended to the newest segment of the spool in `dir` on the disk,
/// from a thread other than the writer's (which then never waits for the disk): a sync
/// through any handle on a file covers every write to it, and a segment the writer has
/// moved on from was synced when it did.
pub fn sync_newest(dir: &Path) -> Result<(), SpoolError> {
    let Some(n) = segment::list(dir).map_err(io_at(dir))?.last().copied() else {
        return Ok(());
    };
    let path = segment::path(dir, n);
    File::open(&path)
        .and_then(|f| f.sync_data())
        .map_err(io_at(&path))
}

/// How many whole records the spool in `dir` holds from `from` on (everything written,
/// committed to the store or not, when `from` is `None`).
pub fn count_from(dir: &Path, from: Option<Position>) -> Result<u64, SpoolError> {
    let mut reader = SpoolReader::new(dir, from.unwrap_or_default());
    reader.count_to_end().map_err(io_at(dir))
}

/// Reads the spool's id, or makes one: 16 random hex digits.
fn spool_id(dir: &Path) -> Result<String, SpoolError> {
    let path = dir.join("id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_at(&path)(e)),
    }
    let mut random = [0u8; 8];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .map_err(io_at(Path::new("/dev/urandom")))?;
    let id = charter_proto::hex::encode(&random);
    let mut file = private_file(
        &path,
        OpenOptions::new().create(true).truncate(true).write(true),
    )
    .map_err(io_at(&path))?;
    writeln!(file, "{id}")
        .and_then(|()| file.sync_all())
        .map_err(io_at(&path))?;
    Ok(id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests;
