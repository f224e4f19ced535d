//! Segment files and the frames in them. A segment is `NNNNNNNNNNNNNNNNNNNN.seg` (its number,
//! zero-padded so names sort): an 8-byte magic, then frames. A frame is the payload's length
//! and its CRC-32C, each a little-endian `u32`, then the payload. A frame cut short by a kill
//! or damaged on disk fails its length or checksum test and is never read as a record.

use std::io;
use std::path::{Path, PathBuf};

/// The first bytes of every segment (the trailing digit is the format version).
pub(crate) const MAGIC: &[u8; 8] = b"CHSPOOL1";
/// Where the first frame of a segment starts.
pub(crate) const FIRST: u64 = MAGIC.len() as u64;
/// Length and checksum.
pub(crate) const FRAME_HEAD: usize = 8;
/// The largest payload written or believed. Records are a few hundred bytes; the cap keeps a
/// damaged length from making the reader allocate gigabytes.
pub(crate) const MAX_FRAME: usize = 16 << 20;

/// Slice-by-16 tables: a record's checksum is computed on the answering thread of the Squid
/// helper, where the byte-at-a-time table cost as much as deciding the request.
static CRC: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);

/// The file name of segment `n`.
pub(crate) fn name(n: u64) -> String {
    format!("{n:020}.seg")
}

/// The path of segment `n` in `dir`.
pub(crate) fn path(dir: &Path, n: u64) -> PathBuf {
    dir.join(name(n))
}

/// The numbers of the segments in `dir`, lowest first.
pub(crate) fn list(dir: &Path) -> io::Result<Vec<u64>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".seg")) else {
            continue;
        };
        if stem.len() == 20
            && let Ok(n) = stem.parse::<u64>()
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Fills in the head of `frame`: [`FRAME_HEAD`] bytes reserved, then a payload of at most
/// [`MAX_FRAME`] bytes.
pub(crate) fn seal(frame: &mut [u8]) {
    let (head, payload) = frame.split_at_mut(FRAME_HEAD);
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    head[..4].copy_from_slice(&len.to_le_bytes());
    head[4..].copy_from_slice(&CRC.checksum(payload).to_le_bytes());
}

/// One frame holding `payload` (at most [`MAX_FRAME`] bytes).
#[cfg(test)]
pub(crate) fn framed(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0; FRAME_HEAD];
    frame.extend_from_slice(payload);
    seal(&mut frame);
    frame
}

/// What the bytes at the start of a buffer hold.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// A whole, intact frame: its payload, and the bytes it took with its head.
    Whole(&'a [u8], usize),
    /// The start of a frame whose rest is not in the buffer: this many bytes are needed.
    Partial(usize),
    /// Not a frame: a length past the cap, or a checksum that does not match.
    Damaged,
}

/// Reads the frame at the start of `buf`.
pub(crate) fn frame(buf: &[u8]) -> Frame<'_> {
    let Some(head) = buf.get(..FRAME_HEAD) else {
        return Frame::Partial(FRAME_HEAD);
    };
    let (len, crc) = head.split_at(4);
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let crc = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if len > MAX_FRAME {
        return Frame::Damaged;
    }
    let Some(payload) = buf.get(FRAME_HEAD..FRAME_HEAD + len) else {
        return Frame::Partial(FRAME_HEAD + len);
    };
    if CRC.checksum(payload) != crc {
        return Frame::Damaged;
    }
    Frame::Whole(payload, FRAME_HEAD + len)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back() {
        let buf = framed(b"hello");
        assert_eq!(frame(&buf), Frame::Whole(b"hello", 13));
    }

    #[test]
    fn a_cut_frame_asks_for_the_rest_at_every_cut() {
        let buf = framed(b"hello");
        for cut in 0..buf.len() {
            assert!(
                matches!(frame(&buf[..cut]), Frame::Partial(_)),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_flipped_payload_bit_is_damage() {
        let mut buf = framed(b"hello");
        buf[9] ^= 1;
        assert_eq!(frame(&buf), Frame::Damaged);
    }

    #[test]
    fn a_huge_length_is_damage_not_an_allocation() {
        let mut buf = u32::MAX.to_le_bytes().to_vec();
        buf.extend_from_slice(&[0; 4]);
        assert_eq!(frame(&buf), Frame::Damaged);
    }

    #[test]
    fn names_sort_by_number_and_parse_back() {
        let dir = tempfile::tempdir().unwrap();
        for n in [10, 9, 100] {
            std::fs::write(path(dir.path(), n), MAGIC).unwrap();
        }
        std::fs::write(dir.path().join("stats.json"), "{}").unwrap();
        assert_eq!(list(dir.path()).ok(), Some(vec![9, 10, 100]));
    }
}
