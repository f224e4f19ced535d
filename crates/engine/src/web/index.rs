//! The category index: squidGuard/UT1 domain and URL lists compiled into two finite state
//! transducers (the `fst` crate) and written to one file.
//!
//! Why transducers and not a hash map: a hash map of 5 million domains costs several hundred
//! megabytes once keys are stored, while an FST shares prefixes *and* suffixes and keeps the
//! same data in a fraction of it (squidGuard's Berkeley DB stays near 25 MB for UT1). Domain
//! keys are stored byte-reversed (`moc.563teb`), so one walk over a reversed request host
//! visits every parent domain in turn: each label boundary where the walk stands on a final
//! state is a list entry that matches. The walk stops at the first byte no entry continues
//! with, which is why misses, the common case, cost a handful of steps.
//!
//! Each key's value is an index into a small palette of "which lists hold this entry", so a
//! domain listed under both `gambling` and `arjel`, or under `social_networks` and `chat`,
//! keeps every category and every source for `categories lookup`.
//!
//! URL lists (UT1 `urls` files, IWF and CTIRU lists) match per URL: the host exactly (a
//! leading `www.` is ignored on both sides) and the path as a prefix that ends at a `/`, `?`
//! or the end of the request path.
//!
//! `www.`: entries are kept as written. A request for `www.example.com` matches an entry
//! `example.com` as any subdomain does, and a request for `example.com` also matches an
//! entry `www.example.com` (the "www twin"), so no entry starting with `www.` is lost.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fst::raw::{Fst, Output};
use serde::{Deserialize, Serialize};

use charter_policy::{Category, CategorySet};

use super::target::{Target, normalise_host};
use super::{CategorySource, Classification, EntryKind, Match};

/// The first bytes of every index file.
pub const MAGIC: &[u8; 8] = b"CHRTIDX4";

/// UT1 list names and the Charter category each is imported as (DESIGN section 4).
pub const UT1_MAP: &[(&str, Category)] = &[
    ("adult", Category::Adult),
    ("mixed_adult", Category::Adult),
    ("lingerie", Category::Adult),
    ("gambling", Category::Gambling),
    ("arjel", Category::Gambling),
    ("drogue", Category::Drugs),
    ("agressif", Category::Hate),
    ("sect", Category::Cults),
    ("hacking", Category::CriminalSkills),
    ("dangerous_material", Category::CriminalSkills),
    ("ddos", Category::CriminalSkills),
    ("malware", Category::Malware),
    ("cryptojacking", Category::Malware),
    ("stalkerware", Category::Malware),
    ("phishing", Category::Phishing),
    ("warez", Category::Piracy),
    ("vpn", Category::Circumvention),
    ("redirector", Category::Circumvention),
    ("strict_redirector", Category::Circumvention),
    ("strong_redirector", Category::Circumvention),
    ("residential-proxies", Category::Circumvention),
    ("doh", Category::Circumvention),
    ("remote-control", Category::Circumvention),
    ("chat", Category::Chat),
    ("forums", Category::Forums),
    ("social_networks", Category::SocialMedia),
    ("audio-video", Category::Streaming),
    ("radio", Category::Streaming),
    ("webmail", Category::Webmail),
    ("ai", Category::PublicAi),
    ("shopping", Category::Shopping),
    ("games", Category::Games),
    ("dating", Category::Dating),
    ("filehosting", Category::FileSharing),
    ("download", Category::FileSharing),
    ("press", Category::News),
    ("jobsearch", Category::Jobsearch),
    ("bank", Category::Finance),
    ("financial", Category::Finance),
    ("bitcoin", Category::Finance),
    ("blog", Category::Blog),
];

/// The category a squidGuard/UT1 list is imported as: `extra`'s mapping (`--map`), else
/// [`UT1_MAP`]'s; `None` for a list neither names.
pub fn list_category(name: &str, extra: &[(String, Category)]) -> Option<Category> {
    extra
        .iter()
        .find(|(list, _)| *list == name)
        .map(|(_, c)| *c)
        .or_else(|| {
            UT1_MAP
                .iter()
                .find(|(list, _)| *list == name)
                .map(|(_, c)| *c)
        })
}

/// At most this many source lists in one index (the palette keys are 128-bit sets).
pub const MAX_SOURCES: usize = 128;

/// Why an index could not be built or opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum IndexError {
    /// A file or directory could not be read or written.
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file is not a Charter category index, or is damaged.
    BadIndex {
        /// The path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A directory without any list Charter imports.
    NoLists(PathBuf),
    /// More than [`MAX_SOURCES`] lists.
    TooManySources,
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexError::Io { path, source } => {
                write!(f, "cannot read `{}`: {source}", path.display())
            }
            IndexError::BadIndex { path, reason } => {
                write!(
                    f,
                    "`{}` is not a usable category index: {reason}",
                    path.display()
                )
            }
            IndexError::NoLists(path) => write!(
                f,
                "`{}` has no category lists in the squidGuard layout (CATEGORY/domains, CATEGORY/urls)",
                path.display()
            ),
            IndexError::TooManySources => write!(f, "more than {MAX_SOURCES} lists in one index"),
        }
    }
}

/// `Display` already includes the I/O error, so there is no `source()`: a chain printer would
/// otherwise say it twice.
impl std::error::Error for IndexError {}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a source list means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Its entries are of this category.
    Category(Category),
    /// A named URL list (IWF, CTIRU, local) that rules name in `url_lists`.
    UrlList(String),
}

/// One list an index was built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Its name (the UT1 directory name, or the URL list's name).
    pub name: String,
    /// What it means.
    pub kind: SourceKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    version: String,
    built_from: String,
    domains: u64,
    urls: u64,
    sources: Vec<SourceInfo>,
    /// How many distinct entries (domains and URL prefixes) each source holds, by index.
    entries: Vec<u64>,
    /// Each palette entry: the indexes of the sources holding an entry.
    palette: Vec<Vec<u16>>,
}

/// What is known about one palette entry, precomputed for lookups.
#[derive(Debug, Clone)]
struct Combo {
    categories: CategorySet,
    url_lists: Vec<String>,
}

/// A line a build skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// `list/file:line`.
    pub origin: String,
    /// The line.
    pub line: String,
    /// Why.
    pub reason: String,
}

/// What a build did.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Domain lines read (before duplicates merged).
    pub domain_lines: usize,
    /// URL lines read.
    pub url_lines: usize,
    /// Distinct domain keys.
    pub domains: usize,
    /// Distinct URL keys.
    pub urls: usize,
    /// Lists read, by name.
    pub lists: Vec<String>,
    /// Lists present but not imported (no mapping).
    pub ignored_lists: Vec<String>,
    /// Lines that could not be used (the first 100).
    pub skipped: Vec<Skipped>,
    /// How many lines were skipped in all.
    pub skipped_count: usize,
}

/// Builds an index from lists.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    sources: Vec<SourceInfo>,
    domains: HashMap<Box<[u8]>, u128>,
    urls: HashMap<Box<[u8]>, u128>,
    report: BuildReport,
    built_from: String,
}

impl IndexBuilder {
    /// An empty builder.
    pub fn new() -> IndexBuilder {
        IndexBuilder::default()
    }

    /// Adds a source list and returns its number for [`IndexBuilder::add_domains`] and
    /// [`IndexBuilder::add_urls`]; a source with the same name and meaning is reused.
    pub fn add_source(&mut self, name: &str, kind: SourceKind) -> Result<usize, IndexError> {
        let info = SourceInfo {
            name: name.to_string(),
            kind,
        };
        if let Some(i) = self.sources.iter().position(|s| *s == info) {
            return Ok(i);
        }
        if self.sources.len() >= MAX_SOURCES {
            return Err(IndexError::TooManySources);
        }
        self.sources.push(info);
        self.report.lists.push(name.to_string());
        Ok(self.sources.len() - 1)
    }

    fn skip(&mut self, origin: &str, n: usize, line: &str, reason: String) {
        self.report.skipped_count += 1;
        if self.report.skipped.len() < 100 {
            self.report.skipped.push(Skipped {
                origin: format!("{origin}:{n}"),
                line: line.chars().take(200).collect(),
                reason,
            });
        }
    }

    /// Adds a `domains` file: one domain a line, matching itself and its subdomains.
    /// Blank lines and `#` comments are ignored.
    pub fn add_domains(&mut self, source: usize, text: &str, origin: &str) {
        let bit = 1u128 << source;
        for (n, line) in text.lines().enumerate() {
            let entry = line.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            self.report.domain_lines += 1;
            match domain_key(entry) {
                Ok(key) => *self.domains.entry(key).or_default() |= bit,
                Err(reason) => self.skip(origin, n + 1, line, reason),
            }
        }
    }

    /// Adds a `urls` file: one `host/path` prefix a line (a scheme is allowed).
    pub fn add_urls(&mut self, source: usize, text: &str, origin: &str) {
        let bit = 1u128 << source;
        for (n, line) in text.lines().enumerate() {
            let entry = line.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            self.report.url_lines += 1;
            match url_key(entry) {
                Ok(key) => *self.urls.entry(key).or_default() |= bit,
                Err(reason) => self.skip(origin, n + 1, line, reason),
            }
        }
    }

    /// Adds a list in the CTIRU/IWF shape: one host or URL a line, usually without a scheme
    /// (`example.org`, `example.org/forum/thread-1`); a line with a path is a URL entry,
    /// one without is a domain entry (the host and its subdomains). Blank lines and `#`
    /// comments are ignored.
    pub fn add_list(&mut self, source: usize, text: &str, origin: &str) {
        let (mut domains, mut urls) = (String::new(), String::new());
        for line in text.lines() {
            let (_, path) = split_entry(line.trim());
            let is_url = !path.is_empty() && path != "/";
            let out = if is_url { &mut urls } else { &mut domains };
            out.push_str(line);
            out.push('\n');
        }
        self.add_domains(source, &domains, origin);
        self.add_urls(source, &urls, origin);
    }

    /// Reads a directory in the squidGuard/UT1 layout (`CATEGORY/domains`,
    /// `CATEGORY/urls`), importing each list named in [`UT1_MAP`] or in `extra`
    /// (`(list, category)` pairs that override or add to it).
    pub fn add_squidguard_dir(
        &mut self,
        dir: &Path,
        extra: &[(String, Category)],
    ) -> Result<(), IndexError> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(io_error(dir))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        let before = self.report.lists.len();
        for name in names {
            let Some(category) = list_category(&name, extra) else {
                self.report.ignored_lists.push(name);
                continue;
            };
            let source = self.add_source(&name, SourceKind::Category(category))?;
            for (file, is_urls) in [("domains", false), ("urls", true)] {
                let path = dir.join(&name).join(file);
                if !path.exists() {
                    continue;
                }
                let bytes = std::fs::read(&path).map_err(io_error(&path))?;
                // Lists are mostly ASCII; a stray Latin-1 byte must not lose the whole file.
                let text = String::from_utf8_lossy(&bytes);
                let origin = format!("{name}/{file}");
                if is_urls {
                    self.add_urls(source, &text, &origin);
                } else {
                    self.add_domains(source, &text, &origin);
                }
            }
        }
        if self.report.lists.len() == before {
            return Err(IndexError::NoLists(dir.to_path_buf()));
        }
        if self.built_from.is_empty() {
            self.built_from = dir.display().to_string();
        }
        Ok(())
    }

    /// Compiles the lists into index file bytes and says what was done.
    pub fn build(mut self) -> Result<(Vec<u8>, BuildReport), IndexError> {
        let mut palette_ids: HashMap<u128, u64> = HashMap::new();
        let mut palette: Vec<Vec<u16>> = Vec::new();
        let mut compile = |map: HashMap<Box<[u8]>, u128>| -> Result<Vec<u8>, IndexError> {
            let mut entries: Vec<(Box<[u8]>, u128)> = map.into_iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let mut builder = fst::MapBuilder::memory();
            for (key, bits) in entries {
                let id = *palette_ids.entry(bits).or_insert_with(|| {
                    palette.push((0..128u16).filter(|i| bits & (1u128 << i) != 0).collect());
                    palette.len() as u64 - 1
                });
                builder
                    .insert(&key, id)
                    .map_err(|e| bad_build(e.to_string()))?;
            }
            builder.into_inner().map_err(|e| bad_build(e.to_string()))
        };
        self.report.domains = self.domains.len();
        self.report.urls = self.urls.len();
        let mut entries = vec![0u64; self.sources.len()];
        for bits in self.domains.values().chain(self.urls.values()) {
            for (i, count) in entries.iter_mut().enumerate() {
                *count += u64::from(bits & (1u128 << i) != 0);
            }
        }
        // The filter holds every label boundary of every reversed domain key (so a lookup
        // can stop at the first boundary no key passes through), marks the full keys, and
        // marks the hosts of URL entries, all hashed in reversed byte order: the order a
        // lookup walks a reversed host in.
        let mut marks: HashMap<u64, u8> = HashMap::new();
        for key in self.domains.keys() {
            let mut h = FNV_SEED;
            for b in key.iter() {
                if *b == b'.' {
                    marks.entry(h).or_default();
                }
                h = fnv_byte(h, *b);
            }
            *marks.entry(h).or_default() |= MARK_DOMAIN;
        }
        for key in self.urls.keys() {
            let host_end = key
                .iter()
                .position(|b| *b == b'/' || *b == b'?')
                .unwrap_or(key.len());
            let mut h = FNV_SEED;
            for b in key[..host_end].iter().rev() {
                if *b == b'.' {
                    marks.entry(h).or_default();
                }
                h = fnv_byte(h, *b);
            }
            *marks.entry(h).or_default() |= MARK_URL_HOST;
        }
        let filter = Filter::build(marks);
        let domains = compile(std::mem::take(&mut self.domains))?;
        let urls = compile(std::mem::take(&mut self.urls))?;
        let mut hash = Fnv::new();
        hash.write(&domains);
        hash.write(&urls);
        for (i, p) in palette.iter().enumerate() {
            hash.write(&(i as u64).to_le_bytes());
            for s in p {
                hash.write(&s.to_le_bytes());
            }
        }
        for s in &self.sources {
            hash.write(s.name.as_bytes());
        }
        let meta = Meta {
            version: format!("{:016x}", hash.0),
            built_from: self.built_from.clone(),
            domains: self.report.domains as u64,
            urls: self.report.urls as u64,
            sources: self.sources,
            entries,
            palette,
        };
        let meta = serde_json::to_vec(&meta).map_err(|e| bad_build(e.to_string()))?;
        let mut out = Vec::with_capacity(8 + 4 + meta.len() + 16 + domains.len() + urls.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        out.extend_from_slice(&meta);
        out.extend_from_slice(&(domains.len() as u64).to_le_bytes());
        out.extend_from_slice(&domains);
        out.extend_from_slice(&(urls.len() as u64).to_le_bytes());
        out.extend_from_slice(&urls);
        out.extend_from_slice(&(filter.len() as u64).to_le_bytes());
        out.extend_from_slice(&filter);
        Ok((out, self.report))
    }
}

fn bad_build(reason: String) -> IndexError {
    IndexError::BadIndex {
        path: PathBuf::from("(building)"),
        reason,
    }
}

const FNV_SEED: u64 = 0xcbf2_9ce4_8422_2325;

#[inline]
fn fnv_byte(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h = fnv_byte(h, *b);
    }
    h
}

/// Filter mark: a domain entry ends here.
const MARK_DOMAIN: u8 = 1;
/// Filter mark: the host of a URL entry.
const MARK_URL_HOST: u8 = 2;

/// A filter in front of the transducers: for every hash it holds, 14 bits of fingerprint
/// and two marks, in an open-addressed table (linear probing, at most 2/3 full). Absent is
/// certain; present is wrong about once in ten thousand probes and then costs only the
/// transducer walk it would have cost anyway. It answers the common case, a host on no
/// list, in a cache line or two instead of a walk through the transducer.
struct Filter;

impl Filter {
    /// The table bytes: `u8` log2 of the slot count, then the slots as little-endian `u16`
    /// (`fingerprint << 2 | marks`, 0 for empty).
    fn build(entries: HashMap<u64, u8>) -> Vec<u8> {
        let mut bits = 4u32;
        while (1usize << bits) * 2 < entries.len() * 3 {
            bits += 1;
        }
        let mut slots = vec![0u16; 1 << bits];
        let mask = slots.len() - 1;
        for (h, marks) in entries {
            let (mut i, fp) = Filter::place(h, bits);
            while slots[i] != 0 && slots[i] >> 2 != fp {
                i = (i + 1) & mask;
            }
            slots[i] |= fp << 2 | u16::from(marks);
        }
        let mut out = Vec::with_capacity(1 + slots.len() * 2);
        out.push(bits as u8);
        for s in slots {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    #[inline]
    fn place(h: u64, bits: u32) -> (usize, u16) {
        let mixed = h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let slot = (mixed >> (64 - bits)) as usize;
        let fp = ((mixed as u16) & 0x3fff).max(1);
        (slot, fp)
    }
}

/// A [`Filter`] read in place from the index file.
struct FilterView {
    part: Part,
    bits: u32,
}

impl FilterView {
    fn new(part: Part) -> Result<FilterView, String> {
        let bytes = part.as_ref();
        let bits = u32::from(*bytes.first().ok_or("empty filter")?);
        if !(4..=40).contains(&bits) || bytes.len() != 1 + (2usize << bits) {
            return Err("damaged filter".into());
        }
        Ok(FilterView { part, bits })
    }

    /// The marks of `h`, if present.
    #[inline]
    fn get(&self, h: u64) -> Option<u8> {
        let slots = &self.part.as_ref()[1..];
        let mask = (1usize << self.bits) - 1;
        let (mut i, fp) = Filter::place(h, self.bits);
        // A built table always has empty slots; the bound keeps a damaged one from
        // looping forever (and answers "maybe everything", which is always safe).
        for _ in 0..=mask {
            let s = u16::from_le_bytes([slots[2 * i], slots[2 * i + 1]]);
            if s == 0 {
                return None;
            }
            if s >> 2 == fp {
                return Some((s & 3) as u8);
            }
            i = (i + 1) & mask;
        }
        Some(MARK_DOMAIN | MARK_URL_HOST)
    }
}

/// FNV-1a, for the index version (ISTag); not for security.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Strips a scheme and returns `(authority, path)`.
pub(super) fn split_entry(entry: &str) -> (&str, &str) {
    let entry = match entry.find("://") {
        Some(i) => &entry[i + 3..],
        None => entry,
    };
    let end = entry.find(['/', '?']).unwrap_or(entry.len());
    entry.split_at(end)
}

/// The normalised host of a list entry's authority (userinfo, port and `*.` dropped).
pub(super) fn entry_host(authority: &str) -> Result<String, String> {
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let authority = authority.trim_start_matches("*.").trim_start_matches('.');
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    normalise_host(host).map_err(|e| e.to_string())
}

fn domain_key(entry: &str) -> Result<Box<[u8]>, String> {
    let (authority, _) = split_entry(entry);
    let host = entry_host(authority)?;
    Ok(host.bytes().rev().collect())
}

fn url_key(entry: &str) -> Result<Box<[u8]>, String> {
    let (authority, path) = split_entry(entry);
    let host = entry_host(authority)?;
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let path = path.split('#').next().unwrap_or_default();
    let mut key = Vec::with_capacity(host.len() + path.len());
    key.extend_from_slice(host.as_bytes());
    key.extend(path.bytes().map(|b| b.to_ascii_lowercase()));
    Ok(key.into_boxed_slice())
}

/// A byte range of the shared file buffer, so both transducers borrow one allocation.
#[derive(Clone)]
struct Part {
    buf: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for Part {
    fn as_ref(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }
}

/// A compiled category index, loaded in memory. Lookups take no locks and allocate nothing
/// on a miss, so one index serves every thread.
pub struct CategoryIndex {
    domains: Fst<Part>,
    urls: Fst<Part>,
    filter: FilterView,
    meta: Meta,
    combos: Vec<Combo>,
    size: usize,
}

impl fmt::Debug for CategoryIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CategoryIndex")
            .field("version", &self.meta.version)
            .field("domains", &self.meta.domains)
            .field("urls", &self.meta.urls)
            .field("bytes", &self.size)
            .finish()
    }
}

/// A hit found by a walk: where in the host (or `usize::MAX` for the www twin) and which
/// palette entry.
const WWW_TWIN: usize = usize::MAX;

impl CategoryIndex {
    /// Reads an index file written by [`IndexBuilder::build`].
    pub fn open(path: &Path) -> Result<CategoryIndex, IndexError> {
        let bytes = std::fs::read(path).map_err(io_error(path))?;
        CategoryIndex::from_bytes(bytes).map_err(|reason| IndexError::BadIndex {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Builds an index in memory from a squidGuard/UT1 directory.
    pub fn from_squidguard_dir(dir: &Path) -> Result<CategoryIndex, IndexError> {
        let mut builder = IndexBuilder::new();
        builder.add_squidguard_dir(dir, &[])?;
        let (bytes, _) = builder.build()?;
        CategoryIndex::from_bytes(bytes).map_err(|reason| IndexError::BadIndex {
            path: dir.to_path_buf(),
            reason,
        })
    }

    /// Loads index bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<CategoryIndex, String> {
        let size = bytes.len();
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err("it does not start with the index header (build one with `charter categories build`)".into());
        }
        let buf = Arc::new(bytes);
        let mut at = 8;
        let read_len = |at: &mut usize, width: usize| -> Result<usize, String> {
            let raw = buf.get(*at..*at + width).ok_or("the file is truncated")?;
            *at += width;
            let mut le = [0u8; 8];
            le[..width].copy_from_slice(raw);
            usize::try_from(u64::from_le_bytes(le))
                .map_err(|_| "a length is out of range".to_string())
        };
        let meta_len = read_len(&mut at, 4)?;
        let meta_bytes = buf.get(at..at + meta_len).ok_or("the file is truncated")?;
        let meta: Meta =
            serde_json::from_slice(meta_bytes).map_err(|e| format!("bad header: {e}"))?;
        at += meta_len;
        let part = |at: &mut usize| -> Result<Fst<Part>, String> {
            let len = read_len(at, 8)?;
            let end = at
                .checked_add(len)
                .filter(|e| *e <= buf.len())
                .ok_or("the file is truncated")?;
            let part = Part {
                buf: Arc::clone(&buf),
                start: *at,
                end,
            };
            *at = end;
            Fst::new(part).map_err(|e| format!("damaged list: {e}"))
        };
        let domains = part(&mut at)?;
        let urls = part(&mut at)?;
        let filter_len = read_len(&mut at, 8)?;
        let filter_end = at
            .checked_add(filter_len)
            .filter(|e| *e <= buf.len())
            .ok_or("the file is truncated")?;
        let filter = FilterView::new(Part {
            buf: Arc::clone(&buf),
            start: at,
            end: filter_end,
        })?;
        let combos = meta
            .palette
            .iter()
            .map(|sources| {
                let mut combo = Combo {
                    categories: CategorySet::EMPTY,
                    url_lists: Vec::new(),
                };
                for s in sources {
                    match meta.sources.get(usize::from(*s)).map(|s| &s.kind) {
                        Some(SourceKind::Category(c)) => combo.categories.insert(*c),
                        Some(SourceKind::UrlList(name)) => combo.url_lists.push(name.clone()),
                        None => return Err("a palette entry names a missing list".to_string()),
                    }
                }
                Ok(combo)
            })
            .collect::<Result<Vec<_>, String>>()?;
        // INVARIANT: values are only used through `combos.get`, so a damaged value can
        // cost a category but never a panic; checking all of them here would cost a full
        // pass over millions of keys at every start.
        Ok(CategoryIndex {
            domains,
            urls,
            filter,
            meta,
            combos,
            size,
        })
    }

    /// The version (a hash of the contents), for ICAP's `ISTag`.
    pub fn version(&self) -> &str {
        &self.meta.version
    }

    /// How many distinct domains and URL prefixes it holds.
    pub fn len(&self) -> (u64, u64) {
        (self.meta.domains, self.meta.urls)
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.meta.domains == 0 && self.meta.urls == 0
    }

    /// The size of the loaded file in bytes.
    pub fn size_bytes(&self) -> usize {
        self.size
    }

    /// The lists it was built from.
    pub fn sources(&self) -> &[SourceInfo] {
        &self.meta.sources
    }

    /// How many entries give each category, for every category (zero where no list fills
    /// it): what `charter policy lint --categories` warns about.
    pub fn category_entries(&self) -> Vec<(Category, u64)> {
        Category::ALL
            .iter()
            .map(|c| {
                let n = self
                    .meta
                    .sources
                    .iter()
                    .zip(&self.meta.entries)
                    .filter(|(s, _)| s.kind == SourceKind::Category(*c))
                    .map(|(_, n)| *n)
                    .sum();
                (*c, n)
            })
            .collect()
    }

    /// Whether `host` may match a domain entry (itself, a parent, or its www twin) and
    /// whether its host may have URL entries: one pass over the reversed host, probing the
    /// filter at each label boundary and stopping at the first boundary that no entry
    /// passes through. Most requests are for hosts on no list and stop here, after one or
    /// two probes.
    fn prefilter(&self, host: &[u8], ip: bool) -> (bool, bool) {
        let url_start = if host.starts_with(b"www.") { 4 } else { 0 };
        let (mut domain, mut url) = (false, false);
        let mut h = FNV_SEED;
        for start in (0..host.len()).rev() {
            h = fnv_byte(h, host[start]);
            if !(start == 0 || (!ip && host[start - 1] == b'.')) {
                continue;
            }
            let Some(marks) = self.filter.get(h) else {
                return (domain, url);
            };
            domain |= marks & MARK_DOMAIN != 0;
            url |= start == url_start && marks & MARK_URL_HOST != 0;
        }
        if !ip && url_start == 0 {
            domain |= self
                .filter
                .get(fnv(h, b".www"))
                .is_some_and(|m| m & MARK_DOMAIN != 0);
        }
        (domain, url)
    }

    /// Walks the reversed host; calls `hit(start, palette)` for every entry that matches:
    /// `host[start..]` is the entry, or `start == WWW_TWIN` for `www.` + host.
    fn walk_domains(&self, host: &[u8], ip: bool, mut hit: impl FnMut(usize, usize)) {
        let fst = &self.domains;
        let mut node = fst.root();
        let mut out = Output::zero();
        let n = host.len();
        for start in (0..n).rev() {
            let Some(i) = node.find_input(host[start]) else {
                return;
            };
            let t = node.transition(i);
            out = out.cat(t.out);
            node = fst.node(t.addr);
            let boundary = start == 0 || (!ip && host[start - 1] == b'.');
            if boundary && node.is_final() {
                hit(start, out.cat(node.final_output()).value() as usize);
            }
        }
        if ip || host.starts_with(b"www.") {
            return;
        }
        for b in b".www" {
            let Some(i) = node.find_input(*b) else {
                return;
            };
            let t = node.transition(i);
            out = out.cat(t.out);
            node = fst.node(t.addr);
        }
        if node.is_final() {
            hit(WWW_TWIN, out.cat(node.final_output()).value() as usize);
        }
    }

    /// Walks `host + path` (host without a leading `www.`, path lowercased) and calls
    /// `hit(path_len, palette)` for each URL entry that is a prefix ending at a boundary.
    fn walk_urls(&self, host: &[u8], path: &[u8], mut hit: impl FnMut(usize, usize)) {
        if self.urls.is_empty() {
            return;
        }
        let fst = &self.urls;
        let host = host.strip_prefix(b"www.").unwrap_or(host);
        let mut node = fst.root();
        let mut out = Output::zero();
        for b in host {
            let Some(i) = node.find_input(*b) else {
                return;
            };
            let t = node.transition(i);
            out = out.cat(t.out);
            node = fst.node(t.addr);
        }
        if node.is_final() {
            hit(0, out.cat(node.final_output()).value() as usize);
        }
        for (p, b) in path.iter().enumerate() {
            let Some(i) = node.find_input(b.to_ascii_lowercase()) else {
                return;
            };
            let t = node.transition(i);
            out = out.cat(t.out);
            node = fst.node(t.addr);
            let next = path.get(p + 1);
            let boundary = matches!(next, None | Some(b'/' | b'?')) || *b == b'/';
            if boundary && node.is_final() {
                hit(p + 1, out.cat(node.final_output()).value() as usize);
            }
        }
    }

    fn source_names(&self, palette: usize) -> Vec<String> {
        self.meta
            .palette
            .get(palette)
            .map(|ids| {
                ids.iter()
                    .filter_map(|i| self.meta.sources.get(usize::from(*i)))
                    .map(|s| s.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl CategorySource for CategoryIndex {
    fn classify(&self, target: &Target) -> Classification {
        let mut c = Classification::default();
        let mut add = |palette: usize| {
            if let Some(combo) = self.combos.get(palette) {
                c.categories = c.categories.union(combo.categories);
                for list in &combo.url_lists {
                    if !c.url_lists.contains(list) {
                        c.url_lists.push(list.clone());
                    }
                }
            }
        };
        let host = target.host().as_bytes();
        let ip = target.is_ip_literal();
        let (domain, url) = self.prefilter(host, ip);
        if domain {
            self.walk_domains(host, ip, |_, p| add(p));
        }
        if url {
            self.walk_urls(host, target.path().as_bytes(), |_, p| add(p));
        }
        c
    }

    fn explain(&self, target: &Target) -> Vec<Match> {
        let mut matches = Vec::new();
        let host = target.host();
        let mut push = |kind: EntryKind, entry: String, palette: usize| {
            let Some(combo) = self.combos.get(palette) else {
                return;
            };
            matches.push(Match {
                kind,
                entry,
                lists: self.source_names(palette),
                categories: combo.categories,
                url_lists: combo.url_lists.clone(),
            });
        };
        self.walk_domains(host.as_bytes(), target.is_ip_literal(), |start, p| {
            if start == WWW_TWIN {
                push(EntryKind::WwwTwin, format!("www.{host}"), p);
            } else {
                push(EntryKind::Domain, host[start..].to_string(), p);
            }
        });
        let url_host = host.strip_prefix("www.").unwrap_or(host);
        let path = target.path();
        self.walk_urls(host.as_bytes(), path.as_bytes(), |len, p| {
            push(
                EntryKind::Url,
                format!("{url_host}{}", path[..len].to_ascii_lowercase()),
                p,
            );
        });
        matches
    }

    fn version(&self) -> String {
        self.meta.version.clone()
    }

    fn path_matters(&self, target: &Target) -> bool {
        self.prefilter(target.host().as_bytes(), target.is_ip_literal())
            .1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> CategoryIndex {
        let mut b = IndexBuilder::new();
        let gambling = b
            .add_source("gambling", SourceKind::Category(Category::Gambling))
            .unwrap();
        let arjel = b
            .add_source("arjel", SourceKind::Category(Category::Gambling))
            .unwrap();
        let social = b
            .add_source(
                "social_networks",
                SourceKind::Category(Category::SocialMedia),
            )
            .unwrap();
        let chat = b
            .add_source("chat", SourceKind::Category(Category::Chat))
            .unwrap();
        let iwf = b
            .add_source("iwf", SourceKind::UrlList("iwf".into()))
            .unwrap();
        b.add_domains(
            gambling,
            "# comment\nbet365.com\nBETFAIR.COM.\nwww.only-www.net\n10.1.2.3\n",
            "gambling/domains",
        );
        b.add_domains(arjel, "bet365.com\n", "arjel/domains");
        b.add_domains(
            social,
            "facebook.com\nbücher.example\nbad host\n",
            "social_networks/domains",
        );
        b.add_domains(chat, "messenger.facebook.com\n", "chat/domains");
        b.add_urls(
            gambling,
            "www.example.org/casino/\nexample.net/Poker\n",
            "gambling/urls",
        );
        b.add_urls(iwf, "http://images.example.com/a/b.jpg\n", "iwf");
        let (bytes, report) = b.build().unwrap();
        assert_eq!(report.skipped_count, 1);
        CategoryIndex::from_bytes(bytes).unwrap()
    }

    fn cats(index: &CategoryIndex, url: &str) -> Vec<Category> {
        index
            .classify(&Target::parse(url).unwrap())
            .categories
            .iter()
            .collect()
    }

    #[test]
    fn exact_and_subdomain_match() {
        let i = index();
        assert_eq!(cats(&i, "http://bet365.com/"), [Category::Gambling]);
        assert_eq!(
            cats(&i, "http://sports.www.BET365.com:8080/x"),
            [Category::Gambling]
        );
    }

    #[test]
    fn lookalike_does_not_match() {
        let i = index();
        assert!(cats(&i, "http://notbet365.com/").is_empty());
        assert!(cats(&i, "http://bet365.com.evil.org/").is_empty());
    }

    #[test]
    fn normalised_entry_matches() {
        assert_eq!(cats(&index(), "https://betfair.com/"), [Category::Gambling]);
    }

    #[test]
    fn several_categories_for_one_host() {
        assert_eq!(
            cats(&index(), "https://messenger.facebook.com/"),
            [Category::Chat, Category::SocialMedia]
        );
    }

    #[test]
    fn www_entries_are_not_lost() {
        let i = index();
        assert_eq!(cats(&i, "http://www.only-www.net/"), [Category::Gambling]);
        assert_eq!(cats(&i, "http://only-www.net/"), [Category::Gambling]);
        assert_eq!(cats(&i, "http://a.www.only-www.net/"), [Category::Gambling]);
        assert!(cats(&i, "http://other.only-www.net/").is_empty());
    }

    #[test]
    fn idna_entry_matches_punycode_and_unicode() {
        let i = index();
        assert_eq!(
            cats(&i, "http://xn--bcher-kva.example/"),
            [Category::SocialMedia]
        );
        assert_eq!(
            cats(&i, "http://www.BÜCHER.example/"),
            [Category::SocialMedia]
        );
    }

    #[test]
    fn ip_literal_matches_exactly() {
        let i = index();
        assert_eq!(cats(&i, "http://10.1.2.3/"), [Category::Gambling]);
        assert_eq!(cats(&i, "http://0x0a.1.2.3/"), [Category::Gambling]);
        assert!(cats(&i, "http://10.1.2.4/").is_empty());
    }

    #[test]
    fn url_list_matches_per_url() {
        let i = index();
        assert_eq!(
            cats(&i, "http://example.org/casino/slots"),
            [Category::Gambling]
        );
        assert_eq!(
            cats(&i, "http://www.example.org/casino/"),
            [Category::Gambling]
        );
        assert!(cats(&i, "http://example.org/news").is_empty());
        assert_eq!(
            cats(&i, "http://example.net/poker?x=1"),
            [Category::Gambling]
        );
        assert!(cats(&i, "http://example.net/pokerface").is_empty());
    }

    #[test]
    fn named_url_list() {
        let i = index();
        let c = i.classify(&Target::parse("http://images.example.com/a/b.jpg").unwrap());
        assert_eq!(c.url_lists, ["iwf"]);
        let c = i.classify(&Target::parse("http://images.example.com/a/c.jpg").unwrap());
        assert!(c.url_lists.is_empty());
    }

    #[test]
    fn explain_names_entries_and_lists() {
        let i = index();
        let m = i.explain(&Target::parse("http://www.bet365.com/").unwrap());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].entry, "bet365.com");
        assert_eq!(m[0].lists, ["gambling", "arjel"]);
        let m = i.explain(&Target::parse("http://only-www.net/").unwrap());
        assert_eq!(m[0].kind, EntryKind::WwwTwin);
        assert_eq!(m[0].entry, "www.only-www.net");
        let m = i.explain(&Target::parse("http://www.example.org/Casino/x").unwrap());
        assert_eq!(m[0].entry, "example.org/casino/");
    }

    #[test]
    fn only_a_host_with_url_entries_has_paths_that_matter() {
        let index = index();
        let matters = |url: &str| index.path_matters(&Target::parse(url).unwrap());
        for url in [
            "http://www.example.org/casino/x",
            "http://example.org/",
            "http://example.net/anything",
            "images.example.com:443",
        ] {
            assert!(matters(url), "{url}");
        }
        for url in [
            "http://bet365.com/poker",
            "facebook.com:443",
            "http://news.example/",
        ] {
            assert!(!matters(url), "{url}");
        }
    }

    #[test]
    fn prefilter_never_loses_a_match() {
        // The filter may say "maybe" wrongly but never "no" wrongly: classify (filtered)
        // must agree with explain (unfiltered walks) on hosts that are entries, their
        // subdomains, their www twins and near misses.
        let mut b = IndexBuilder::new();
        let g = b
            .add_source("gambling", SourceKind::Category(Category::Gambling))
            .unwrap();
        let s = b
            .add_source("social", SourceKind::Category(Category::SocialMedia))
            .unwrap();
        let mut domains = String::new();
        let mut urls = String::new();
        for i in 0..3000u32 {
            let label = format!("{:x}{}", i.wrapping_mul(2_654_435_761), i % 7);
            let tld = ["com", "co.uk", "net", "org"][i as usize % 4];
            if i % 5 == 0 {
                domains.push_str(&format!("www.{label}.{tld}\n"));
            } else {
                domains.push_str(&format!("{label}.{tld}\n"));
            }
            if i % 3 == 0 {
                urls.push_str(&format!("{label}.example/p{i}/\n"));
            }
        }
        b.add_domains(g, &domains, "g");
        b.add_urls(s, &urls, "s");
        let index = CategoryIndex::from_bytes(b.build().unwrap().0).unwrap();
        let mut checked = 0;
        for i in 0..3500u32 {
            let label = format!("{:x}{}", i.wrapping_mul(2_654_435_761), i % 7);
            let tld = ["com", "co.uk", "net", "org"][i as usize % 4];
            for url in [
                format!("http://{label}.{tld}/"),
                format!("http://www.{label}.{tld}/x"),
                format!("http://a.b.{label}.{tld}/"),
                format!("http://x{label}.{tld}/"),
                format!("http://{label}.example/p{i}/q"),
                format!("http://www.{label}.example/p{i}/"),
            ] {
                let t = Target::parse(&url).unwrap();
                let filtered = index.classify(&t).categories;
                let walked = index
                    .explain(&t)
                    .iter()
                    .fold(CategorySet::EMPTY, |acc, m| acc.union(m.categories));
                assert_eq!(filtered, walked, "{url}");
                // A host with a URL entry always says its path matters.
                if index.explain(&t).iter().any(|m| m.kind == EntryKind::Url) {
                    assert!(index.path_matters(&t), "{url}");
                }
                checked += usize::from(!walked.is_empty());
            }
        }
        assert!(checked > 3000, "{checked}");
    }

    #[test]
    fn ctiru_shaped_list_fills_a_category_with_hosts_and_urls() {
        let mut b = IndexBuilder::new();
        let s = b
            .add_source("ctiru", SourceKind::Category(Category::Extremism))
            .unwrap();
        b.add_list(
            s,
            "# CTIRU list\nextreme.example\nforum.example/board/banned-group\n\nhttp://old.example/\n",
            "ctiru",
        );
        let g = b
            .add_source("gambling", SourceKind::Category(Category::Gambling))
            .unwrap();
        b.add_domains(g, "bet365.com\n", "gambling/domains");
        let (bytes, report) = b.build().unwrap();
        assert_eq!((report.domains, report.urls), (3, 1));
        let index = CategoryIndex::from_bytes(bytes).unwrap();
        assert_eq!(
            cats(&index, "https://a.extreme.example/"),
            [Category::Extremism]
        );
        assert_eq!(cats(&index, "http://old.example/x"), [Category::Extremism]);
        assert_eq!(
            cats(&index, "https://forum.example/board/banned-group?p=2"),
            [Category::Extremism]
        );
        assert!(cats(&index, "https://forum.example/board/other").is_empty());
        let counts: HashMap<Category, u64> = index.category_entries().into_iter().collect();
        assert_eq!(counts[&Category::Extremism], 3);
        assert_eq!(counts[&Category::Gambling], 1);
        assert_eq!(counts[&Category::SelfHarm], 0);
        assert_eq!(counts.len(), Category::ALL.len());
    }

    #[test]
    fn an_index_of_the_previous_format_is_refused() {
        let mut old = b"CHRTIDX3".to_vec();
        old.extend_from_slice(&[0; 16]);
        assert!(CategoryIndex::from_bytes(old).is_err());
    }

    #[test]
    fn garbage_is_not_an_index() {
        assert!(CategoryIndex::from_bytes(b"hello".to_vec()).is_err());
        let mut bytes = IndexBuilder::new().build().unwrap().0;
        bytes.truncate(bytes.len() - 3);
        assert!(CategoryIndex::from_bytes(bytes).is_err());
    }
}
