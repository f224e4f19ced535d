//! Reading the spool in order, in batches. Segments before the writer's are read to their
//! end; the writer's own up to where it has written. A frame that fails its checks (a torn
//! write at the end of a segment left by a killed process, or damage) ends that segment:
//! its bytes are counted as damaged and reading goes on with the next segment.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use super::Position;
use super::codec;
use super::segment::{self, FIRST, Frame, MAGIC};
use crate::records::NewRecord;

/// Bytes read from a segment at a time.
const CHUNK: usize = 1 << 20;

/// Reads the spool from a position on.
#[derive(Debug)]
pub struct SpoolReader {
    dir: PathBuf,
    pos: Position,
    file: Option<File>,
}

/// What one [`SpoolReader::read`] took out.
#[derive(Debug, Default)]
pub struct Batch {
    /// The records, each with the position just after it (what acknowledging it means).
    pub records: Vec<(NewRecord, Position)>,
    /// Bytes skipped as damaged or torn.
    pub damaged: u64,
}

impl SpoolReader {
    pub(super) fn new(dir: &Path, from: Position) -> SpoolReader {
        SpoolReader {
            dir: dir.to_path_buf(),
            pos: from,
            file: None,
        }
    }

    /// Where the next read starts.
    pub fn position(&self) -> Position {
        self.pos
    }

    /// Reads up to `max` records written before `end` (the writer's [`super::SpoolWriter::end`]).
    pub fn read(&mut self, end: Position, max: usize) -> io::Result<Batch> {
        let mut batch = Batch::default();
        batch.damaged = self.scan(end, max, |record, at| {
            if let Some(record) = codec::decode(record) {
                batch.records.push((record, at));
                true
            } else {
                false
            }
        })?;
        Ok(batch)
    }

    /// Counts the whole records from here to the end of the last segment.
    pub(super) fn count_to_end(&mut self) -> io::Result<u64> {
        let mut n = 0;
        let end = Position {
            segment: u64::MAX,
            offset: u64::MAX,
        };
        self.scan(end, usize::MAX, |_, _| {
            n += 1;
            true
        })?;
        Ok(n)
    }

    /// Walks the frames before `end`, handing each payload and the position after it to
    /// `take` (which says whether it was a record) until `max` were; returns damaged bytes.
    fn scan(
        &mut self,
        end: Position,
        max: usize,
        mut take: impl FnMut(&[u8], Position) -> bool,
    ) -> io::Result<u64> {
        let mut taken = 0;
        let mut damaged = 0;
        let mut need = 0;
        let mut buf = Vec::new();
        while taken < max && self.pos < end {
            let Some(len) = self.open(end, &mut damaged)? else {
                break;
            };
            let sealed = self.pos.segment < end.segment;
            let limit = if sealed { len } else { end.offset.min(len) };
            if self.pos.offset >= limit {
                if sealed && self.next_segment(end)? {
                    continue;
                }
                break;
            }
            let room = usize::try_from(limit - self.pos.offset).unwrap_or(usize::MAX);
            buf.resize(room.min(CHUNK.max(need)), 0);
            if let Some(file) = &self.file {
                file.read_exact_at(&mut buf, self.pos.offset)?;
            }
            need = 0;
            let mut at = 0;
            while taken < max {
                match segment::frame(&buf[at..]) {
                    Frame::Whole(payload, used) => {
                        at += used;
                        let after = Position {
                            segment: self.pos.segment,
                            offset: self.pos.offset + at as u64,
                        };
                        if take(payload, after) {
                            taken += 1;
                        } else {
                            damaged += used as u64;
                        }
                    }
                    // More of this frame lies past the chunk: read again from its start.
                    Frame::Partial(more) if at + more <= room => {
                        need = more;
                        break;
                    }
                    // It runs past where the segment (or the writer) ends, or is not a
                    // frame at all: nothing after it in this segment can be trusted.
                    Frame::Partial(_) | Frame::Damaged => {
                        damaged += (room - at) as u64;
                        at = room;
                        break;
                    }
                }
                if at == buf.len() {
                    break;
                }
            }
            self.pos.offset += at as u64;
        }
        Ok(damaged)
    }

    /// Makes sure the segment at the position is open, moving on past missing or foreign
    /// ones; returns its length, or `None` when no segment is left before `end`.
    fn open(&mut self, end: Position, damaged: &mut u64) -> io::Result<Option<u64>> {
        loop {
            if let Some(file) = &self.file {
                return Ok(Some(file.metadata()?.len()));
            }
            let path = segment::path(&self.dir, self.pos.segment);
            let file = match File::open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if !self.next_segment(end)? {
                        return Ok(None);
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut magic = [0u8; MAGIC.len()];
            if file.read_exact_at(&mut magic, 0).is_err() || &magic != MAGIC {
                *damaged += file.metadata()?.len();
                if !self.next_segment(end)? {
                    return Ok(None);
                }
                continue;
            }
            self.pos.offset = self.pos.offset.max(FIRST);
            self.file = Some(file);
        }
    }

    /// Moves to the first segment after the current one, if there is one before `end`.
    fn next_segment(&mut self, end: Position) -> io::Result<bool> {
        self.file = None;
        let next = segment::list(&self.dir)?
            .into_iter()
            .find(|&n| n > self.pos.segment && n <= end.segment);
        match next {
            Some(n) => {
                self.pos = Position {
                    segment: n,
                    offset: FIRST,
                };
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
