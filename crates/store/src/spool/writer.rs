//! Appending to the spool. One `write` system call per batch puts the records in the
//! operating system's hands, where a killed process cannot lose them; [`SpoolWriter::sync`]
//! (called about once a second) puts them on the disk, where a power cut cannot.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use super::codec::Spooled;
use super::segment::{self, FIRST, FRAME_HEAD, MAGIC, MAX_FRAME};
use super::{Position, SpoolError, io_at, private_file};

/// A new segment is started once the current one holds this many bytes.
const SEGMENT_BYTES: u64 = 64 << 20;

/// Appends records to the spool's newest segment.
#[derive(Debug)]
pub struct SpoolWriter {
    dir: PathBuf,
    segment: u64,
    file: File,
    len: u64,
    unsynced: bool,
    buf: Vec<u8>,
    segment_bytes: u64,
}

/// What one [`SpoolWriter::append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Appended {
    /// Records now in the spool.
    pub written: u64,
    /// Records left out because one alone would take more than a frame may (16 MiB).
    pub too_large: u64,
}

impl SpoolWriter {
    pub(super) fn create(dir: &Path, segment: u64) -> Result<SpoolWriter, SpoolError> {
        let file = new_segment(dir, segment)?;
        Ok(SpoolWriter {
            dir: dir.to_path_buf(),
            segment,
            file,
            len: FIRST,
            unsynced: false,
            buf: Vec::new(),
            segment_bytes: SEGMENT_BYTES,
        })
    }

    /// Where the next record will go: everything before it is written.
    pub fn end(&self) -> Position {
        Position {
            segment: self.segment,
            offset: self.len,
        }
    }

    /// Appends `records` (stored records, or decisions as gateways made them) in one write.
    /// On an error (a full disk) nothing of this call is left in the segment, so what follows
    /// is still read correctly.
    pub fn append<R: Spooled>(
        &mut self,
        records: impl IntoIterator<Item = R>,
    ) -> Result<Appended, SpoolError> {
        let mut done = Appended::default();
        self.buf.clear();
        for record in records {
            let start = self.buf.len();
            self.buf.extend_from_slice(&[0; FRAME_HEAD]);
            if record.encode(&mut self.buf, MAX_FRAME) {
                segment::seal(&mut self.buf[start..]);
                done.written += 1;
            } else {
                self.buf.truncate(start);
                done.too_large += 1;
            }
        }
        if self.buf.is_empty() {
            return Ok(done);
        }
        if self.len >= self.segment_bytes {
            self.roll()?;
        }
        let path = segment::path(&self.dir, self.segment);
        if let Err(e) = self.file.write_all_at(&self.buf, self.len) {
            // Cut off whatever part of the batch reached the file; if even that fails, the
            // next batch goes to a fresh segment and the reader skips the torn end.
            if self.file.set_len(self.len).is_err() {
                let _ = self.roll();
            }
            return Err(io_at(&path)(e));
        }
        self.len += self.buf.len() as u64;
        self.unsynced = true;
        Ok(done)
    }

    /// Puts everything appended so far on the disk.
    pub fn sync(&mut self) -> Result<(), SpoolError> {
        if self.unsynced {
            self.file
                .sync_data()
                .map_err(io_at(&segment::path(&self.dir, self.segment)))?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// Starts a new segment once the current one holds `bytes` (tests of rolling over).
    #[cfg(test)]
    pub(super) fn set_segment_bytes(&mut self, bytes: u64) {
        self.segment_bytes = bytes;
    }

    /// Closes the current segment (on disk) and starts the next.
    fn roll(&mut self) -> Result<(), SpoolError> {
        self.sync()?;
        self.file = new_segment(&self.dir, self.segment + 1)?;
        self.segment += 1;
        self.len = FIRST;
        Ok(())
    }
}

/// Creates segment `n` (mode 0600) with its magic, and makes its name durable.
fn new_segment(dir: &Path, n: u64) -> Result<File, SpoolError> {
    let path = segment::path(dir, n);
    let file = private_file(&path, OpenOptions::new().create_new(true).write(true))
        .map_err(io_at(&path))?;
    file.write_all_at(MAGIC, 0).map_err(io_at(&path))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at(dir))?;
    Ok(file)
}
