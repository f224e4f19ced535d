//! A body read after `100 Continue`, one chunk at a time, so that a server can relay or
//! count a body of any size while holding one chunk. The caller keeps what it read in a
//! buffer, asks [`body_step`] what is at its front, and removes the bytes the step used.

use super::{Chunk, IcapError, chunk};

/// What is at the front of a body buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStep {
    /// A chunk whose data is `buf[range]`; the step used the first `usize` bytes.
    Data(std::ops::Range<usize>, usize),
    /// The last chunk; the step used the first `usize` bytes.
    End(usize),
    /// More bytes are needed.
    Incomplete,
}

/// Reads one chunk from the front of `buf`. A chunk larger than `max_chunk` bytes is
/// [`IcapError::TooLarge`] (the buffer would otherwise have to hold it whole); Squid sends
/// chunks of at most 64 KB.
pub fn body_step(buf: &[u8], max_chunk: usize) -> Result<BodyStep, IcapError> {
    let view = &buf[..buf.len().min(max_chunk)];
    match chunk(view, 0)? {
        Chunk::Data(range, next) => Ok(BodyStep::Data(range, next)),
        Chunk::Last(end, _) => Ok(BodyStep::End(end)),
        Chunk::Incomplete if buf.len() > max_chunk => Err(IcapError::TooLarge),
        Chunk::Incomplete => Ok(BodyStep::Incomplete),
    }
}

/// Appends `data` as one chunk (nothing for no data: an empty chunk would end the body).
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the last chunk.
pub fn write_last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_through_a_body_split_anywhere() {
        let raw = b"5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n";
        for split in 0..raw.len() {
            let mut buf = raw[..split].to_vec();
            let mut rest = &raw[split..];
            let mut data = Vec::new();
            loop {
                match body_step(&buf, 64).unwrap() {
                    BodyStep::Data(range, used) => {
                        data.extend_from_slice(&buf[range]);
                        buf.drain(..used);
                    }
                    BodyStep::End(used) => {
                        buf.drain(..used);
                        break;
                    }
                    BodyStep::Incomplete => {
                        let (first, tail) = rest.split_first().expect("ended early");
                        buf.push(*first);
                        rest = tail;
                    }
                }
            }
            assert_eq!(
                (data.as_slice(), buf.len()),
                (&b"helloabc"[..], 0),
                "{split}"
            );
        }
    }

    #[test]
    fn a_chunk_over_the_limit_is_too_large() {
        let mut raw = b"100\r\n".to_vec();
        raw.extend(vec![b'x'; 0x100]);
        raw.extend_from_slice(b"\r\n");
        assert_eq!(body_step(&raw[..40], 64), Ok(BodyStep::Incomplete));
        assert_eq!(body_step(&raw, 64), Err(IcapError::TooLarge));
        assert!(matches!(body_step(&raw, 1024), Ok(BodyStep::Data(..))));
        assert_eq!(body_step(b"zz\r\n", 64), Err(IcapError::BadChunk));
    }

    #[test]
    fn written_chunks_read_back() {
        let mut out = Vec::new();
        write_chunk(&mut out, b"");
        write_chunk(&mut out, b"hello");
        write_last_chunk(&mut out);
        assert_eq!(out, b"5\r\nhello\r\n0\r\n\r\n");
    }
}
