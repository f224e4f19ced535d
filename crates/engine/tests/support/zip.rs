//! Zip archives for the engine's tests and the zip-bomb benchmark, written byte by byte so
//! that they can lie: plain archives, and CPU bombs whose entries overlap (after David
//! Fifield's non-recursive zip bombs, <https://www.bamsoftware.com/hacks/zipbomb/>).
//!
//! Included by path from `src/mail/mod.rs` (unit tests) and `bench/mail/zip_bomb.rs`.
#![allow(dead_code, reason = "each includer uses a different part")]

/// What each innermost entry of [`nested_bomb`] inflates to: the default `max_nested_bytes`,
/// starting like a zip so that a reader opens it as a nested archive.
const LEAF_BYTES: usize = 8 << 20;

/// One local file record: its header fields and data.
struct Local<'a> {
    name: &'a [u8],
    flags: u16,
    method: u16,
    data: Vec<u8>,
    uncompressed: u32,
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn local_header(out: &mut Vec<u8>, l: &Local<'_>, compressed: u32) {
    out.extend_from_slice(b"PK\x03\x04");
    out.extend_from_slice(&20u16.to_le_bytes());
    out.extend_from_slice(&l.flags.to_le_bytes());
    out.extend_from_slice(&l.method.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&compressed.to_le_bytes());
    out.extend_from_slice(&l.uncompressed.to_le_bytes());
    out.extend_from_slice(&(l.name.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(l.name);
}

fn central_record(out: &mut Vec<u8>, l: &Local<'_>, compressed: u32, offset: u32) {
    out.extend_from_slice(b"PK\x01\x02");
    out.extend_from_slice(&[20, 0, 20, 0]);
    out.extend_from_slice(&l.flags.to_le_bytes());
    out.extend_from_slice(&l.method.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&compressed.to_le_bytes());
    out.extend_from_slice(&l.uncompressed.to_le_bytes());
    out.extend_from_slice(&(l.name.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(l.name);
}

fn end_of_central_directory(out: &mut Vec<u8>, entries: usize, cd_offset: usize) {
    let count = u16::try_from(entries).unwrap_or(u16::MAX);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&len32(out.len() - cd_offset).to_le_bytes());
    out.extend_from_slice(&len32(cd_offset).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
}

/// An archive of `locals`, with a central record for each index in `central`; an index that
/// repeats makes entries that share their data.
fn write(locals: &[Local<'_>], central: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::with_capacity(locals.len());
    for l in locals {
        offsets.push(len32(out.len()));
        local_header(&mut out, l, len32(l.data.len()));
        out.extend_from_slice(&l.data);
    }
    let cd_offset = out.len();
    for &i in central {
        central_record(
            &mut out,
            &locals[i],
            len32(locals[i].data.len()),
            offsets[i],
        );
    }
    end_of_central_directory(&mut out, central.len(), cd_offset);
    out
}

/// Raw deflate, as a zip entry stores it.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(data, 9)
}

/// A zip holding `files`, stored or deflated, every entry with the given general-purpose
/// `flags` (1: encrypted).
pub fn zip_with(files: &[(&str, &[u8])], flags: u16, deflated: bool) -> Vec<u8> {
    let locals: Vec<Local<'_>> = files
        .iter()
        .map(|(name, data)| Local {
            name: name.as_bytes(),
            flags,
            method: if deflated { 8 } else { 0 },
            data: if deflated {
                deflate(data)
            } else {
                data.to_vec()
            },
            uncompressed: len32(data.len()),
        })
        .collect();
    let central: Vec<usize> = (0..locals.len()).collect();
    write(&locals, &central)
}

/// A stored (uncompressed) zip holding `files`.
pub fn zip_stored(files: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(files, 0, false)
}

/// A zip of `entries` central records that all point at one local record holding
/// `deflated`, each declaring 1,000 uncompressed bytes whatever `deflated` inflates to.
pub fn overlapping_zip(deflated: &[u8], entries: usize) -> Vec<u8> {
    let local = Local {
        name: b"x",
        flags: 0,
        method: 8,
        data: deflated.to_vec(),
        uncompressed: 1000,
    };
    write(&[local], &vec![0; entries])
}

/// 8 MiB that start like a zip, deflated.
fn leaf() -> Vec<u8> {
    let mut leaf = b"PK\x03\x04".to_vec();
    leaf.resize(LEAF_BYTES, 0);
    deflate(&leaf)
}

/// The CPU bomb: `outer` overlapping entries, each inflating to an archive of `inner`
/// overlapping entries, each inflating to 8 MiB that start like a zip. Every size declared is
/// small, so a reader that trusts them inflates `outer × inner × 8 MiB`.
pub fn nested_bomb(outer: usize, inner: usize) -> Vec<u8> {
    let inner_zip = overlapping_zip(&leaf(), inner);
    overlapping_zip(&deflate(&inner_zip), outer)
}

/// A zip of `entries` entries that do not overlap, each its own copy of `deflated`, each
/// declaring 1,000 uncompressed bytes.
pub fn copies_zip(deflated: &[u8], entries: usize) -> Vec<u8> {
    let locals: Vec<Local<'_>> = (0..entries)
        .map(|_| Local {
            name: b"x",
            flags: 0,
            method: 8,
            data: deflated.to_vec(),
            uncompressed: 1000,
        })
        .collect();
    let central: Vec<usize> = (0..entries).collect();
    write(&locals, &central)
}

/// [`nested_bomb`] without the overlap, which only a budget of bytes stops: `outer` entries,
/// each its own copy of an archive of `inner` entries, each its own copy of 8 MiB that start
/// like a zip. Deflate squeezes the repeated copies, so the archive stays small.
pub fn copies_bomb(outer: usize, inner: usize) -> Vec<u8> {
    let inner_zip = copies_zip(&leaf(), inner);
    copies_zip(&deflate(&inner_zip), outer)
}

/// A deflate stream of `blocks` empty stored blocks and an empty final one: read in full, it
/// inflates to nothing.
pub fn empty_blocks(blocks: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(blocks * 5 + 5);
    for _ in 0..blocks {
        out.extend_from_slice(&[0, 0, 0, 0xff, 0xff]);
    }
    out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    out
}

/// Fifield's construction with honest sizes: each local header is quoted in a stored deflate
/// block of the entry before it, so every entry's data runs on through all later headers
/// into one shared deflated `kernel`. Only the overlap gives it away.
pub fn fifield_zip(kernel: &[u8], entries: usize) -> Vec<u8> {
    const QUOTE: usize = 5;
    let names: Vec<String> = (0..entries).map(|i| format!("{i:04}")).collect();
    let kernel_deflated = deflate(kernel);
    let header_len = 30 + names.first().map_or(0, String::len);
    let mut out = Vec::new();
    let mut offsets = Vec::with_capacity(entries);
    let mut locals = Vec::with_capacity(entries);
    for (i, name) in names.iter().enumerate() {
        let later = entries - 1 - i;
        let local = Local {
            name: name.as_bytes(),
            flags: 0,
            method: 8,
            data: Vec::new(),
            uncompressed: len32(later * header_len + kernel.len()),
        };
        let compressed = len32(later * (QUOTE + header_len) + kernel_deflated.len());
        offsets.push((len32(out.len()), compressed));
        local_header(&mut out, &local, compressed);
        if later > 0 {
            // A stored block that is not the last: BFINAL 0, BTYPE 00, LEN, NLEN.
            let len = header_len as u16;
            out.push(0);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
        }
        locals.push(local);
    }
    out.extend_from_slice(&kernel_deflated);
    let cd_offset = out.len();
    for (l, (offset, compressed)) in locals.iter().zip(offsets) {
        central_record(&mut out, l, compressed, offset);
    }
    end_of_central_directory(&mut out, entries, cd_offset);
    out
}
