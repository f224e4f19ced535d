//! One log file read line by line from where the last run stopped. The position kept in the
//! store names the file by its identity (device and inode) and the hash of its first bytes,
//! so that a file replaced by rotation (renamed away, a new one created) or emptied in place
//! (`copytruncate`) is read from its start rather than from an offset that means nothing in
//! it, and a file that only grew is read from where it stopped.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use charter_proto::logs::MAX_LINE;
use charter_store::{IngestPosition, bytes_hash};

/// Bytes of a file's start whose hash tells it from another file at the same path.
pub const HEAD: usize = 1024;
/// Bytes read at a time.
const CHUNK: usize = 1 << 20;

/// How a file was taken up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Never read before: from the start.
    Fresh,
    /// The same file, grown: from where the last run stopped.
    Resumed,
    /// Another file at the path (rotated): from the start.
    Rotated,
    /// The same file, emptied and written again: from the start.
    Truncated,
}

/// A log file being read.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    source: String,
    file: File,
    device: i64,
    inode: i64,
    /// Bytes consumed: the start of the next line.
    offset: u64,
    head_len: i64,
    head_hash: String,
    /// Lines consumed.
    lines: i64,
    /// Read but not yet consumed (an incomplete last line).
    pending: Vec<u8>,
    /// Inside a line longer than [`MAX_LINE`], skipping to its end.
    skipping: bool,
    /// Where reads land, kept between reads.
    chunk: Vec<u8>,
}

/// One line handed out by [`LogFile::read`].
#[derive(Debug)]
pub enum Line<'a> {
    /// A line (without its newline) and its number in the file.
    Text(i64, &'a [u8]),
    /// A line longer than [`MAX_LINE`], skipped; its number.
    TooLong(i64),
}

impl LogFile {
    /// Opens `path`, resuming from `saved` when it names this same file.
    pub fn open(path: &Path, saved: Option<&IngestPosition>) -> io::Result<(LogFile, Resume)> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        let (device, inode) = (meta.dev() as i64, meta.ino() as i64);
        let source = source_of(path);
        let mut log = LogFile {
            path: path.to_path_buf(),
            source,
            file,
            device,
            inode,
            offset: 0,
            head_len: 0,
            head_hash: String::new(),
            lines: 0,
            pending: Vec::new(),
            skipping: false,
            chunk: Vec::new(),
        };
        let resume = match saved {
            None => Resume::Fresh,
            Some(s) if (s.device, s.inode) != (device, inode) => Resume::Rotated,
            Some(s) => {
                let head = log.head(usize::try_from(s.head_len).unwrap_or(0))?;
                if (meta.len() as i64) < s.offset || bytes_hash(&head) != s.head_hash {
                    Resume::Truncated
                } else {
                    log.offset = u64::try_from(s.offset).unwrap_or(0);
                    log.lines = s.lines;
                    log.head_len = s.head_len;
                    log.head_hash = s.head_hash.clone();
                    Resume::Resumed
                }
            }
        };
        log.file.seek(SeekFrom::Start(log.offset))?;
        Ok((log, resume))
    }

    /// The first `len` bytes (fewer if the file is shorter).
    fn head(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let mut head = Vec::with_capacity(len);
        self.file.seek(SeekFrom::Start(0))?;
        (&mut self.file).take(len as u64).read_to_end(&mut head)?;
        Ok(head)
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines consumed so far.
    pub fn lines(&self) -> i64 {
        self.lines
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether an incomplete last line is waiting for its newline.
    pub fn has_partial_line(&self) -> bool {
        !self.pending.is_empty() || self.skipping
    }

    /// The position after the lines consumed, for the store.
    pub fn position(&mut self) -> io::Result<IngestPosition> {
        if (self.head_len as usize) < HEAD && self.offset > self.head_len as u64 {
            // The head grows with the file until it covers HEAD bytes; it only ever covers
            // consumed bytes, which never change in the same file.
            let here = self.file.stream_position()?;
            let len = (self.offset as usize).min(HEAD);
            let head = self.head(len)?;
            self.file.seek(SeekFrom::Start(here))?;
            self.head_len = head.len() as i64;
            self.head_hash = bytes_hash(&head);
        }
        Ok(IngestPosition {
            source: self.source.clone(),
            device: self.device,
            inode: self.inode,
            offset: self.offset as i64,
            head_len: self.head_len,
            head_hash: self.head_hash.clone(),
            lines: self.lines,
        })
    }

    /// Reads on and hands `each` complete lines, at most `max` of them; returns how many it
    /// handed out (0 at the end of what has been written so far).
    pub fn read(&mut self, max: usize, mut each: impl FnMut(Line<'_>)) -> io::Result<usize> {
        let mut given = 0;
        let mut chunk = std::mem::take(&mut self.chunk);
        chunk.resize(CHUNK, 0);
        let result = self.read_with(max, &mut chunk, &mut each, &mut given);
        self.chunk = chunk;
        result.map(|()| given)
    }

    fn read_with(
        &mut self,
        max: usize,
        chunk: &mut [u8],
        each: &mut impl FnMut(Line<'_>),
        given: &mut usize,
    ) -> io::Result<()> {
        let mut start = 0;
        loop {
            // Lines already in `pending`.
            while *given < max {
                let Some(nl) = memchr::memchr(b'\n', &self.pending[start..]) else {
                    break;
                };
                let end = start + nl;
                self.lines += 1;
                self.offset += (nl + 1) as u64;
                if self.skipping {
                    self.skipping = false;
                    each(Line::TooLong(self.lines));
                } else if nl > MAX_LINE {
                    each(Line::TooLong(self.lines));
                } else {
                    each(Line::Text(self.lines, &self.pending[start..end]));
                }
                *given += 1;
                start = end + 1;
            }
            self.pending.drain(..start);
            start = 0;
            if *given >= max {
                return Ok(());
            }
            if self.pending.len() > MAX_LINE {
                // Too long to keep: drop it and skip to its newline. The bytes dropped are
                // counted as consumed once that newline is found.
                self.offset += self.pending.len() as u64;
                self.pending.clear();
                self.skipping = true;
            }
            let n = self.file.read(chunk)?;
            if n == 0 {
                return Ok(());
            }
            if self.skipping {
                match memchr::memchr(b'\n', &chunk[..n]) {
                    Some(nl) => {
                        self.offset += nl as u64;
                        self.pending.extend_from_slice(&chunk[nl..n]);
                    }
                    None => self.offset += n as u64,
                }
            } else {
                self.pending.extend_from_slice(&chunk[..n]);
            }
        }
    }

    /// Whether the path now names another file than the one open (rotated away), or this
    /// file is shorter than what was read (truncated in place).
    pub fn replaced(&self) -> io::Result<bool> {
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            // Renamed away and the new file not created yet: not replaced until it is.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        Ok(
            (meta.dev() as i64, meta.ino() as i64) != (self.device, self.inode)
                || meta.len() < self.offset,
        )
    }
}

/// The name a file's position is kept under: its absolute path, so that runs from different
/// directories share it.
pub fn source_of(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn texts(log: &mut LogFile) -> Vec<String> {
        let mut out = Vec::new();
        log.read(usize::MAX, |l| match l {
            Line::Text(n, t) => out.push(format!("{n}:{}", String::from_utf8_lossy(t))),
            Line::TooLong(n) => out.push(format!("{n}:too long")),
        })
        .unwrap_or_default();
        out
    }

    #[test]
    fn a_partial_last_line_waits_and_a_resumed_file_goes_on() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.log");
        let mut f = File::create(&path).unwrap_or_else(|e| panic!("{e}"));
        f.write_all(b"one\ntwo\nthr").unwrap_or_default();
        let (mut log, how) = LogFile::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(how, Resume::Fresh);
        assert_eq!(texts(&mut log), ["1:one", "2:two"]);
        assert!(log.has_partial_line());
        let pos = log.position().unwrap_or_default();
        assert_eq!((pos.offset, pos.lines), (8, 2));
        f.write_all(b"ee\nfour\n").unwrap_or_default();
        let (mut log, how) = LogFile::open(&path, Some(&pos)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(how, Resume::Resumed);
        assert_eq!(texts(&mut log), ["3:three", "4:four"]);
    }

    #[test]
    fn a_truncated_or_rotated_file_is_read_from_its_start() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"one\ntwo\n").unwrap_or_default();
        let (mut log, _) = LogFile::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
        texts(&mut log);
        let pos = log.position().unwrap_or_default();
        // copytruncate, then a longer line written: same inode, different head.
        std::fs::write(&path, b"ONE ONE ONE\n").unwrap_or_default();
        let (mut log, how) = LogFile::open(&path, Some(&pos)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(how, Resume::Truncated);
        assert_eq!(texts(&mut log), ["1:ONE ONE ONE"]);
        std::fs::rename(&path, dir.path().join("a.log.1")).unwrap_or_default();
        std::fs::write(&path, b"new\n").unwrap_or_default();
        assert!(log.replaced().unwrap_or(false));
        let (_, how) = LogFile::open(&path, Some(&pos)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(how, Resume::Rotated);
    }

    #[test]
    fn an_over_long_line_is_skipped_whole_and_counted() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.log");
        let mut text = b"a\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3 * CHUNK));
        text.extend_from_slice(b"\nb\n");
        std::fs::write(&path, &text).unwrap_or_default();
        let (mut log, _) = LogFile::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts(&mut log), ["1:a", "2:too long", "3:b"]);
        assert_eq!(log.offset(), text.len() as u64);
    }
}
