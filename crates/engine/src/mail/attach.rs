//! What an attachment is: executables by content (PE, ELF, Mach-O, scripts), dangerous and
//! double extensions, and what is inside zip archives, all within fixed limits and a
//! [`Budget`] of bytes inflated and time.

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_HAS_MORE_INPUT, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{DecompressorOxide, decompress};

use super::budget::{Budget, Exhausted};

/// Extensions that run code when opened on Windows or macOS (lowercase, without the dot).
pub const DANGEROUS_EXTENSIONS: &[&str] = &[
    "exe",
    "dll",
    "scr",
    "pif",
    "com",
    "cpl",
    "msi",
    "msp",
    "mst",
    "bat",
    "cmd",
    "js",
    "jse",
    "vbs",
    "vbe",
    "vb",
    "wsf",
    "wsh",
    "wsc",
    "ps1",
    "psm1",
    "psd1",
    "hta",
    "jar",
    "lnk",
    "reg",
    "sct",
    "inf",
    "sh",
    "app",
    "gadget",
    "application",
    "appref-ms",
    "xll",
];

/// Extensions a sender uses as a decoy in front of a dangerous one (`invoice.pdf.exe`).
const DECOY_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf", "odt", "jpg", "jpeg", "png",
    "gif", "bmp", "tif", "tiff", "zip", "htm", "html", "mp3", "mp4", "wav", "avi", "csv", "eml",
];

/// The extension after the last dot, lowercased.
pub fn extension(name: &str) -> Option<String> {
    let name = name.trim_end_matches(['.', ' ']);
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 12).then(|| ext.to_ascii_lowercase())
}

/// The dangerous extension of `name`, if it has one.
pub fn dangerous_extension(name: &str) -> Option<String> {
    extension(name).filter(|e| DANGEROUS_EXTENSIONS.contains(&e.as_str()))
}

/// Whether `name` hides a dangerous extension behind a decoy (`invoice.pdf.exe`,
/// `photo.jpg        .scr`) or reverses its text with U+202E.
pub fn double_extension(name: &str) -> bool {
    if name.contains('\u{202e}') {
        return true;
    }
    let Some(last) = dangerous_extension(name) else {
        return false;
    };
    let trimmed = name.trim_end_matches(['.', ' ']);
    let stem = &trimmed[..trimmed.len() - last.len() - 1];
    if stem.ends_with("   ") || stem.ends_with("\t") {
        return true;
    }
    let stem = stem.trim_end();
    extension(stem).is_some_and(|e| DECOY_EXTENSIONS.contains(&e.as_str()))
}

/// Whether `bytes` start a real PE image: `MZ`, then at `e_lfanew` (offset 0x3C) the `PE\0\0`
/// signature. `MZ` alone, as at the start of a word in a text, is not enough.
pub fn is_pe(bytes: &[u8]) -> bool {
    if bytes.len() < 0x40 || &bytes[..2] != b"MZ" {
        return false;
    }
    let lfanew = u32::from_le_bytes([bytes[0x3c], bytes[0x3d], bytes[0x3e], bytes[0x3f]]) as usize;
    lfanew >= 0x40
        && lfanew <= bytes.len().saturating_sub(4)
        && &bytes[lfanew..lfanew + 4] == b"PE\0\0"
}

/// What kind of executable `bytes` are, judged by content alone.
pub fn executable_kind(bytes: &[u8]) -> Option<&'static str> {
    if is_pe(bytes) {
        return Some("Windows executable");
    }
    if bytes.len() >= 16 && &bytes[..4] == b"\x7fELF" && matches!(bytes[4], 1 | 2) {
        return Some("ELF executable");
    }
    if bytes.len() >= 8 {
        let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
        if matches!(
            magic,
            [0xfe, 0xed, 0xfa, 0xce]
                | [0xfe, 0xed, 0xfa, 0xcf]
                | [0xce, 0xfa, 0xed, 0xfe]
                | [0xcf, 0xfa, 0xed, 0xfe]
        ) {
            return Some("Mach-O executable");
        }
        // Universal binaries share CAFEBABE with Java classes; a small architecture count tells
        // them apart (a class file has its version there, 45 or more).
        if magic == [0xca, 0xfe, 0xba, 0xbe] {
            let arches = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            if (1..20).contains(&arches) {
                return Some("Mach-O executable");
            }
        }
    }
    if bytes.starts_with(b"#!/") || bytes.starts_with(b"#! /") {
        return Some("script");
    }
    let head = &bytes[..bytes.len().min(4096)];
    if contains_ci(head, b"<hta:application") {
        return Some("HTML application");
    }
    None
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Archive formats Charter cannot look inside; an attachment in one is `unscannable`.
pub fn opaque_archive(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    match kind.extension() {
        "rar" => Some("RAR archive"),
        "7z" => Some("7-Zip archive"),
        "cab" => Some("cabinet archive"),
        _ => None,
    }
}

/// Whether `bytes` look like a zip archive.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Limits on reading archives.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    /// Most entries read from one archive.
    pub max_entries: usize,
    /// Most declared uncompressed bytes in one archive before it counts as a bomb.
    pub max_total_uncompressed: u64,
    /// Highest compression ratio tolerated for an entry over 1 MiB.
    pub max_ratio: u64,
    /// Bytes of each entry decompressed to judge its content.
    pub head_bytes: usize,
    /// Most bytes a nested archive is inflated to, to look inside it.
    pub max_nested_bytes: usize,
    /// How deep archives inside archives are opened.
    pub max_depth: usize,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 10_000,
            max_total_uncompressed: 1 << 30,
            max_ratio: 1000,
            head_bytes: 4096,
            max_nested_bytes: 8 << 20,
            max_depth: 3,
        }
    }
}

/// How many of each kind of finding a [`ZipReport`] keeps: the checks need the first, and an
/// archive of thousands of entries (or nested archives of them) must not make thousands of
/// strings.
pub const MAX_LISTED: usize = 32;

/// What was found inside an archive: the first [`MAX_LISTED`] of each kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ZipReport {
    /// `(entry name, what it is)` for executables inside.
    pub executables: Vec<(String, String)>,
    /// Entry names with double extensions.
    pub double_extensions: Vec<String>,
    /// Why part of the archive could not be checked.
    pub unscannable: Vec<String>,
    /// How many more reasons for `unscannable` there were.
    pub unlisted: usize,
}

impl ZipReport {
    fn executable(&mut self, name: &str, kind: String) {
        if self.executables.len() < MAX_LISTED {
            self.executables.push((name.to_string(), kind));
        }
    }

    fn double_extension(&mut self, name: &str) {
        if self.double_extensions.len() < MAX_LISTED {
            self.double_extensions.push(name.to_string());
        }
    }

    fn unscannable(&mut self, why: String) {
        if self.unscannable.len() < MAX_LISTED {
            self.unscannable.push(why);
        } else {
            self.unlisted += 1;
        }
    }
}

struct Entry<'a> {
    name: String,
    encrypted: bool,
    method: u16,
    compressed: u64,
    uncompressed: u64,
    data: Option<&'a [u8]>,
    /// Where the entry lies in the archive, local header to end of data, when it can be read.
    span: Option<(usize, usize)>,
}

/// The central directory: the entries, and how many bytes were read to find them.
struct Directory<'a> {
    entries: Vec<Entry<'a>>,
    read: usize,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(i)?,
        *b.get(i + 1)?,
        *b.get(i + 2)?,
        *b.get(i + 3)?,
    ]))
}

/// Reads the central directory; `Err` says why the archive cannot be read.
fn directory<'a>(b: &'a [u8], limits: &ZipLimits) -> Result<Directory<'a>, String> {
    const EOCD: u32 = 0x0605_4b50;
    let search_from = b.len().saturating_sub(65_557);
    let eocd = (search_from..b.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(b, i) == Some(EOCD))
        .ok_or_else(|| "zip archive without a central directory".to_string())?;
    let total = u16_at(b, eocd + 10).unwrap_or(0) as usize;
    let cd_offset = u32_at(b, eocd + 16).unwrap_or(u32::MAX);
    if cd_offset == u32::MAX || total == 0xffff {
        return Err("zip64 archive not inspected".to_string());
    }
    if total > limits.max_entries {
        return Err(format!(
            "zip archive with {total} entries, over the limit of {}",
            limits.max_entries
        ));
    }
    let mut out = Vec::with_capacity(total.min(1024));
    let mut at = cd_offset as usize;
    for _ in 0..total {
        if u32_at(b, at) != Some(0x0201_4b50) {
            return Err("damaged zip central directory".to_string());
        }
        let flags = u16_at(b, at + 8).unwrap_or(0);
        let method = u16_at(b, at + 10).unwrap_or(0);
        let compressed = u64::from(u32_at(b, at + 20).unwrap_or(0));
        let uncompressed = u64::from(u32_at(b, at + 24).unwrap_or(0));
        let name_len = u16_at(b, at + 28).unwrap_or(0) as usize;
        let extra_len = u16_at(b, at + 30).unwrap_or(0) as usize;
        let comment_len = u16_at(b, at + 32).unwrap_or(0) as usize;
        let local = u32_at(b, at + 42).unwrap_or(u32::MAX) as usize;
        let name_bytes = b
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| "damaged zip central directory".to_string())?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        let located = local_data(b, local, compressed);
        out.push(Entry {
            name,
            encrypted: flags & 1 == 1,
            method,
            compressed,
            uncompressed,
            data: located.map(|(_, data)| data),
            span: located.map(|(end, _)| (local, end)),
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(Directory {
        entries: out,
        read: (b.len() - search_from) + at.saturating_sub(cd_offset as usize),
    })
}

/// An entry's data and where it ends, from its local header at `local`.
fn local_data(b: &[u8], local: usize, compressed: u64) -> Option<(usize, &[u8])> {
    if u32_at(b, local)? != 0x0403_4b50 {
        return None;
    }
    let name_len = u16_at(b, local + 26)? as usize;
    let extra_len = u16_at(b, local + 28)? as usize;
    let start = local + 30 + name_len + extra_len;
    let end = start.checked_add(usize::try_from(compressed).ok()?)?;
    Some((end, b.get(start..end)?))
}

/// Whether two entries share bytes. No archiver writes that; it is how a small zip makes a
/// reader inflate the same data over and over.
fn overlapping(entries: &[Entry<'_>]) -> bool {
    let mut spans: Vec<(usize, usize)> = entries.iter().filter_map(|e| e.span).collect();
    spans.sort_unstable();
    // Sorted by start, any overlap shows between neighbours.
    spans.windows(2).any(|w| w[1].0 < w[0].1)
}

/// Up to `limit` bytes of an entry's content, charged to `budget`; `Ok(None)` when its method
/// is not stored or deflate.
fn inflate(
    entry: &Entry<'_>,
    limit: usize,
    budget: &mut Budget,
) -> Result<Option<Vec<u8>>, Exhausted> {
    let Some(data) = entry.data else {
        return Ok(None);
    };
    match entry.method {
        0 => {
            let head = &data[..data.len().min(limit)];
            budget.charge(head.len())?;
            Ok(Some(head.to_vec()))
        }
        8 => inflate_raw(data, limit, budget).map(Some),
        _ => Ok(None),
    }
}

/// Inflates raw deflate `data` to at most `limit` bytes, a slice at a time, charging `budget`
/// for every byte read and every byte written: a long output and a long input that yields
/// little (empty stored blocks) both count. Damaged data gives what inflated before the damage.
fn inflate_raw(data: &[u8], limit: usize, budget: &mut Budget) -> Result<Vec<u8>, Exhausted> {
    const STEP: usize = 64 << 10;
    let mut state = Box::<DecompressorOxide>::default();
    let mut out = vec![0; limit.min(STEP)];
    let mut written = 0;
    let mut input = data;
    loop {
        let slice = &input[..input.len().min(STEP)];
        let more = slice.len() < input.len();
        let flags = TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
            | if more { TINFL_FLAG_HAS_MORE_INPUT } else { 0 };
        let (status, read, wrote) = decompress(&mut state, slice, &mut out, written, flags);
        written += wrote;
        input = input.get(read..).unwrap_or_default();
        budget.charge(read + wrote)?;
        match status {
            TINFLStatus::NeedsMoreInput if more && read > 0 => {}
            TINFLStatus::HasMoreOutput if out.len() < limit => {
                let grown = out.len().saturating_mul(2).min(limit);
                out.resize(grown, 0);
            }
            // Done, the limit reached, or damaged or truncated data.
            _ => break,
        }
    }
    out.truncate(written);
    Ok(out)
}

/// Looks inside a zip archive with a budget of its own, the defaults for one message (see
/// [`inspect_zip_within`]).
pub fn inspect_zip(bytes: &[u8], limits: &ZipLimits) -> ZipReport {
    inspect_zip_within(bytes, limits, &mut Budget::default())
}

/// Looks inside a zip archive: names, the head of each entry, archives inside it, charging
/// every byte inflated to `budget`. Once the budget is spent the report says so in
/// `unscannable` and the rest of the archive is left.
pub fn inspect_zip_within(bytes: &[u8], limits: &ZipLimits, budget: &mut Budget) -> ZipReport {
    let mut report = ZipReport::default();
    if let Err(why) = inspect_zip_into(bytes, limits, 1, budget, &mut report) {
        report.unscannable(why.to_string());
    }
    report
}

fn inspect_zip_into(
    bytes: &[u8],
    limits: &ZipLimits,
    depth: usize,
    budget: &mut Budget,
    report: &mut ZipReport,
) -> Result<(), Exhausted> {
    let dir = match directory(bytes, limits) {
        Ok(dir) => dir,
        Err(why) => {
            report.unscannable(why);
            return Ok(());
        }
    };
    budget.charge(dir.read)?;
    let list = dir.entries;
    let total: u64 = list.iter().map(|e| e.uncompressed).sum();
    let bomb = list.iter().any(|e| {
        e.uncompressed > (1 << 20) && e.uncompressed / e.compressed.max(1) > limits.max_ratio
    });
    if total > limits.max_total_uncompressed || bomb {
        report.unscannable(format!(
            "zip bomb: {} MiB declared uncompressed",
            total >> 20
        ));
        return Ok(());
    }
    if overlapping(&list) {
        report.unscannable("zip bomb: entries overlap".to_string());
        return Ok(());
    }
    for entry in &list {
        if entry.name.ends_with('/') {
            continue;
        }
        let base = entry.name.rsplit('/').next().unwrap_or(&entry.name);
        if double_extension(base) {
            report.double_extension(&entry.name);
        }
        if let Some(ext) = dangerous_extension(base) {
            report.executable(&entry.name, format!(".{ext} file"));
            continue;
        }
        if entry.encrypted {
            report.unscannable(format!("encrypted archive entry `{}`", entry.name));
            continue;
        }
        let Some(head) = inflate(entry, limits.head_bytes, budget)? else {
            report.unscannable(format!("archive entry `{}` could not be read", entry.name));
            continue;
        };
        if let Some(kind) = executable_kind(&head) {
            report.executable(&entry.name, kind.to_string());
        } else if is_zip(&head) {
            if depth >= limits.max_depth {
                report.unscannable(format!("archive nested deeper than {}", limits.max_depth));
            } else if entry.uncompressed > limits.max_nested_bytes as u64 {
                report.unscannable(format!("nested archive `{}` too large to open", entry.name));
            } else if let Some(inner) = inflate(entry, limits.max_nested_bytes, budget)? {
                inspect_zip_into(&inner, limits, depth + 1, budget, report)?;
            }
        } else if let Some(kind) = opaque_archive(&head) {
            report.unscannable(format!("{kind} `{}` cannot be inspected", entry.name));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal PE image: DOS header pointing at a PE signature.
    pub fn tiny_pe() -> Vec<u8> {
        let mut pe = vec![0u8; 0x100];
        pe[0] = b'M';
        pe[1] = b'Z';
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        pe
    }

    use std::time::Duration;

    use crate::mail::test_zips::{copies_bomb, copies_zip, deflate, empty_blocks, fifield_zip};
    use crate::mail::test_zips::{nested_bomb, overlapping_zip};
    pub use crate::mail::test_zips::{zip_stored, zip_with};

    /// A budget of `max_bytes` and all the time a test needs.
    fn bytes_only(max_bytes: u64) -> Budget {
        Budget::new(max_bytes, Duration::from_secs(600))
    }

    #[test]
    fn mz_in_text_is_not_an_executable() {
        assert_eq!(
            executable_kind(b"MZ is the start of this sentence, nothing more."),
            None
        );
        let mut fake = b"MZ".to_vec();
        fake.resize(200, b'a');
        assert!(!is_pe(&fake));
    }

    #[test]
    fn pe_header_is_an_executable() {
        assert_eq!(executable_kind(&tiny_pe()), Some("Windows executable"));
    }

    #[test]
    fn elf_and_macho() {
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(64, 0);
        assert_eq!(executable_kind(&elf), Some("ELF executable"));
        assert_eq!(
            executable_kind(&[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]),
            Some("Mach-O executable")
        );
    }

    #[test]
    fn java_class_is_not_macho() {
        assert_eq!(
            executable_kind(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]),
            None
        );
    }

    #[test]
    fn script_extensions_are_dangerous() {
        for name in ["a.js", "b.VBS", "c.bat", "d.ps1", "e.hta", "f.exe"] {
            assert!(dangerous_extension(name).is_some(), "{name}");
        }
        assert!(dangerous_extension("report.pdf").is_none());
        assert!(dangerous_extension("noext").is_none());
    }

    #[test]
    fn double_extensions() {
        assert!(double_extension("invoice.pdf.exe"));
        assert!(double_extension("photo.jpg          .scr"));
        assert!(double_extension("INVOICE.DOCX.JS"));
        assert!(!double_extension("archive.tar.gz"));
        assert!(!double_extension("my.report.pdf"));
        assert!(!double_extension("setup.exe"));
    }

    #[test]
    fn exe_inside_zip_by_content() {
        let pe = tiny_pe();
        let zip = zip_with(&[("readme.txt", b"hello"), ("update.dat", &pe)], 0, true);
        let r = inspect_zip(&zip, &ZipLimits::default());
        assert_eq!(
            r.executables,
            vec![("update.dat".to_string(), "Windows executable".to_string())]
        );
        assert!(r.unscannable.is_empty());
    }

    #[test]
    fn script_inside_zip_by_name() {
        let zip = zip_stored(&[("invoice.pdf.js", b"WScript.Shell")]);
        let r = inspect_zip(&zip, &ZipLimits::default());
        assert_eq!(r.executables.len(), 1);
        assert_eq!(r.double_extensions, vec!["invoice.pdf.js".to_string()]);
    }

    #[test]
    fn zip_inside_zip() {
        let inner = zip_stored(&[("run.exe", b"x")]);
        let outer = zip_with(&[("inner.zip", &inner)], 0, true);
        let r = inspect_zip(&outer, &ZipLimits::default());
        assert_eq!(r.executables.len(), 1);
    }

    #[test]
    fn encrypted_entry_is_unscannable() {
        let zip = zip_with(&[("secret.doc", b"xxxx")], 1, false);
        let r = inspect_zip(&zip, &ZipLimits::default());
        assert_eq!(
            r.unscannable,
            vec!["encrypted archive entry `secret.doc`".to_string()]
        );
    }

    #[test]
    fn zip_bomb_is_unscannable_without_inflating() {
        let zeros = vec![0u8; 32 << 20];
        let zip = zip_with(&[("zeros.bin", &zeros)], 0, true);
        let mut budget = bytes_only(u64::MAX);
        let r = inspect_zip_within(&zip, &ZipLimits::default(), &mut budget);
        assert!(
            r.unscannable[0].starts_with("zip bomb"),
            "{:?}",
            r.unscannable
        );
        assert!(budget.spent() < 1 << 16, "{}", budget.spent());
    }

    #[test]
    fn fifield_overlapping_entries_are_a_bomb() {
        let zip = fifield_zip(&[b'a'; 1000], 20);
        let dir = directory(&zip, &ZipLimits::default()).unwrap();
        // Honest sizes: the first entry's data really runs through all later headers into the
        // kernel, so only the overlap gives the bomb away.
        let first = inflate_raw(
            dir.entries[0].data.unwrap(),
            1 << 20,
            &mut Budget::default(),
        );
        assert_eq!(first.unwrap().len() as u64, dir.entries[0].uncompressed);
        let r = inspect_zip(&zip, &ZipLimits::default());
        assert_eq!(r.unscannable, vec!["zip bomb: entries overlap".to_string()]);
    }

    #[test]
    fn entries_sharing_one_local_record_are_a_bomb() {
        let zip = overlapping_zip(&deflate(b"hello"), 2);
        let r = inspect_zip(&zip, &ZipLimits::default());
        assert_eq!(r.unscannable, vec!["zip bomb: entries overlap".to_string()]);
    }

    #[test]
    fn nested_overlap_is_found_without_inflating_much() {
        let zip = nested_bomb(1, 10_000);
        let mut budget = bytes_only(u64::MAX);
        let r = inspect_zip_within(&zip, &ZipLimits::default(), &mut budget);
        assert_eq!(r.unscannable, vec!["zip bomb: entries overlap".to_string()]);
        assert!(budget.spent() < 2 << 20, "{}", budget.spent());
    }

    #[test]
    fn nested_copies_stop_at_the_byte_budget() {
        let zip = copies_bomb(4, 50);
        let mut budget = bytes_only(16 << 20);
        let r = inspect_zip_within(&zip, &ZipLimits::default(), &mut budget);
        assert_eq!(budget.exhausted(), Some(Exhausted::Bytes(16 << 20)));
        assert_eq!(
            r.unscannable.last().map(String::as_str),
            Some("work limit of 16 MiB reached; the rest was not checked")
        );
        // One inflation step past the limit at most: half the 8 MiB an entry may inflate to.
        assert!(
            budget.spent() < (16 << 20) + (5 << 20),
            "{}",
            budget.spent()
        );
    }

    #[test]
    fn input_that_inflates_to_nothing_is_still_work() {
        let zip = copies_zip(&empty_blocks(200_000), 1);
        let mut budget = bytes_only(100_000);
        let r = inspect_zip_within(&zip, &ZipLimits::default(), &mut budget);
        assert_eq!(budget.exhausted(), Some(Exhausted::Bytes(100_000)));
        assert_eq!(r.unscannable.len(), 1, "{:?}", r.unscannable);
    }

    #[test]
    fn reasons_past_the_cap_are_counted_not_kept() {
        let names: Vec<String> = (0..100).map(|i| format!("{i}.doc")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
        let r = inspect_zip(&zip_with(&files, 1, false), &ZipLimits::default());
        assert_eq!(r.unscannable.len(), MAX_LISTED);
        assert_eq!(r.unlisted, 100 - MAX_LISTED);
    }

    #[test]
    fn garbage_is_not_a_panic() {
        let r = inspect_zip(b"PK\x03\x04garbage", &ZipLimits::default());
        assert_eq!(r.unscannable.len(), 1);
    }
}
