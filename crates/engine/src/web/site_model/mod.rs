//! Unlisted sites (issue 14 item 2): a host that no list knows is scored by a linear model
//! that `charter categories train` builds from the site's own category lists, so a new
//! gambling or adult domain is noticed before the lists know it.
//!
//! Features are the character 3-, 4- and 5-grams of the host (a leading `www.` dropped,
//! `^` and `$` marking its ends), hashed into 2^17 buckets; each category has its own
//! logistic regression over them (one against the rest, so a host may score high for two).
//! A bucket keeps the weights of every category side by side, one byte each (trained in
//! `f32`, then stored in units of one scale) in a row of 32, so scoring a host adds one
//! half cache line per n-gram in a few vector instructions, and the table (4 MB) stays in
//! the processor's cache. The model is data like the lists: it lives in a file the site
//! builds, and nothing is downloaded.
//!
//! The score is evidence for a person, never a list entry: only the `unclassified_site`
//! check reads it, on hosts in no list, and rules on list categories never see it.

pub mod train;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use charter_policy::{Category, CategorySet, Check, Rule};

pub use train::{CategoryFigures, Evaluation, TrainingSet, evaluate, train};

use super::{CategorySource, Classification, Match, Target};

/// The first bytes of every model file.
pub const MAGIC: &[u8; 8] = b"CHRTSIT1";

/// Model files larger than this are refused (issue 14: under 20 MB).
pub const MAX_MODEL_BYTES: u64 = 20_000_000;

/// Score at or above which `unclassified_site` matches when the rule sets no
/// `model_threshold`: chosen on the training nine tenths of UT1 for precision over recall,
/// because a finding about a site nobody listed should rarely be wrong (docs/classifiers.md).
pub const DEFAULT_THRESHOLD: f64 = 0.9;

/// Hash buckets: 2^17 rows of [`ROW`] bytes, 4 MB.
const BITS: u32 = 17;

/// Bytes in a bucket's row: one per category, the rest zero, a fixed width the compiler
/// turns into vector adds.
const ROW: usize = 32;

/// The shortest and longest n-grams.
const MIN_GRAM: usize = 3;
const MAX_GRAM: usize = 5;

/// Hosts are at most 253 bytes; with the two end marks this holds any of them.
const MAX_PADDED: usize = 256;

/// The most n-grams a host has: three at each position of the padded host.
const MAX_BUCKETS: usize = MAX_PADDED * (MAX_GRAM - MIN_GRAM + 1);

/// Rows whose bytes (at most 127 each way) are summed before a 16-bit lane could overflow.
const I16_ROWS: usize = 256;

/// How many categories there are (one score slot each).
const CATEGORIES: usize = Category::ALL.len();

const _: () = assert!(CATEGORIES <= ROW);

/// Why a model file could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum ModelError {
    /// The file could not be read or written.
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file is not a site model, or is damaged.
    BadModel {
        /// The path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Io { path, source } => {
                write!(f, "cannot read `{}`: {source}", path.display())
            }
            ModelError::BadModel { path, reason } => write!(
                f,
                "`{}` is not a usable site model (build one with `charter categories train`): {reason}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ModelError {}

/// The categories' scores for one unlisted host, in ten-thousandths so that a
/// [`Classification`] stays comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteGuess {
    scores: [u16; CATEGORIES],
    version: u64,
}

impl SiteGuess {
    /// The model's score for `category`, 0 to 1 (0 for a category the model does not know).
    pub fn score(&self, category: Category) -> f64 {
        f64::from(self.scores[category as usize]) / 10_000.0
    }

    /// The version of the model that scored (see [`SiteModel::version`]).
    pub fn version(&self) -> String {
        format!("{:012x}", self.version)
    }

    /// The highest-scoring category among `among` (every category when empty) and its score.
    pub fn best(&self, among: CategorySet) -> Option<(Category, f64)> {
        Category::ALL
            .iter()
            .filter(|c| among.is_empty() || among.contains(**c))
            .map(|c| (*c, self.score(*c)))
            .filter(|(_, s)| *s > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// A trained model.
#[derive(Clone)]
pub struct SiteModel {
    categories: Vec<Category>,
    bias: Vec<f32>,
    /// What one unit of a stored weight is worth.
    scale: f32,
    /// `2^BITS` rows, each `categories.len()` weights in units of `scale`, then zeros.
    weights: Vec<[i8; ROW]>,
    version: u64,
    trained_from: String,
}

impl fmt::Debug for SiteModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SiteModel")
            .field("categories", &self.categories)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    bits: u32,
    scale: f32,
    categories: Vec<Category>,
    trained_from: String,
}

/// Calls `f` with the bucket of every n-gram of `host`, and returns how many there were.
fn for_each_bucket(host: &str, mut f: impl FnMut(usize)) -> usize {
    let host = host.strip_prefix("www.").unwrap_or(host).as_bytes();
    let mut padded = [0u8; MAX_PADDED];
    let len = host.len().min(MAX_PADDED - 2);
    padded[0] = b'^';
    padded[1..=len].copy_from_slice(&host[..len]);
    padded[len + 1] = b'$';
    let padded = &padded[..len + 2];
    let mut count = 0;
    for start in 0..padded.len() {
        // FNV-1a over the n-gram, extended a byte at a time: the 3-gram's hash is the
        // 4-gram's prefix state.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for (n, b) in padded[start..].iter().take(MAX_GRAM).enumerate() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
            if n + 1 >= MIN_GRAM {
                let mixed = (h ^ (h >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                f((mixed >> (64 - BITS)) as usize);
                count += 1;
            }
        }
    }
    count
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl SiteModel {
    /// A model from trained `f32` weights (`2^BITS` rows of one per category), each stored
    /// as a byte in units of the largest weight's 127th.
    fn quantised(
        categories: Vec<Category>,
        bias: Vec<f32>,
        weights: &[f32],
        trained_from: String,
    ) -> SiteModel {
        let largest = weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        let k = categories.len().max(1);
        let mut rows = vec![[0i8; ROW]; 1 << BITS];
        for (row, trained) in rows.iter_mut().zip(weights.chunks_exact(k)) {
            for (q, w) in row.iter_mut().zip(trained) {
                *q = (w / scale).round().clamp(-127.0, 127.0) as i8;
            }
        }
        let mut model = SiteModel {
            categories,
            bias,
            scale,
            weights: rows,
            version: 0,
            trained_from,
        };
        model.version = version_of(scale, &model.weight_bytes());
        model
    }

    /// The categories it scores.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// A short hash of the weights, named in findings so a reviewer knows which model spoke.
    pub fn version(&self) -> String {
        format!("{:012x}", self.version)
    }

    /// The directory or index it was trained from.
    pub fn trained_from(&self) -> &str {
        &self.trained_from
    }

    /// Adds each category's raw score (before the sigmoid) for `host` into `z`. Rows are
    /// summed in 16-bit lanes, twice as many to a vector add as 32-bit ones, for at most
    /// [`I16_ROWS`] rows at a time.
    fn logits(&self, host: &str, z: &mut [f32; CATEGORIES]) {
        let mut buckets = [0u32; MAX_BUCKETS];
        let mut n = 0;
        for_each_bucket(host, |bucket| {
            buckets[n] = bucket as u32;
            n += 1;
        });
        let mut sums = [0i32; ROW];
        for chunk in buckets[..n].chunks(I16_ROWS) {
            let mut part = [0i16; ROW];
            for &bucket in chunk {
                for (s, w) in part.iter_mut().zip(&self.weights[bucket as usize]) {
                    *s += i16::from(*w);
                }
            }
            for (s, p) in sums.iter_mut().zip(part) {
                *s += i32::from(p);
            }
        }
        let unit = self.scale / (n.max(1) as f32).sqrt();
        for ((z, s), b) in z.iter_mut().zip(&sums).zip(&self.bias) {
            *z = b + *s as f32 * unit;
        }
    }

    /// Every category's score for a normalised `host`.
    pub fn guess(&self, host: &str) -> SiteGuess {
        let mut z = [0f32; CATEGORIES];
        self.logits(host, &mut z);
        let mut scores = [0u16; CATEGORIES];
        for (category, z) in self.categories.iter().zip(z) {
            scores[*category as usize] = (sigmoid(z) * 10_000.0).round() as u16;
        }
        SiteGuess {
            scores,
            version: self.version,
        }
    }

    /// The biases as little-endian `f32`, then the weights a byte each.
    fn weight_bytes(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.bias.iter().flat_map(|b| b.to_le_bytes()).collect();
        out.extend(self.weights.iter().flatten().map(|w| w.to_le_bytes()[0]));
        out
    }

    /// The file bytes: magic, header length and JSON header (with the scale), then
    /// [`Self::weight_bytes`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&Header {
            bits: BITS,
            scale: self.scale,
            categories: self.categories.clone(),
            trained_from: self.trained_from.clone(),
        })
        .unwrap_or_default();
        let mut out = Vec::with_capacity(12 + header.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.weight_bytes());
        out
    }

    /// Parses [`SiteModel::to_bytes`]'s layout.
    pub fn from_bytes(bytes: &[u8]) -> Result<SiteModel, String> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or("it does not start with the site model mark")?;
        let (len, rest) = rest.split_at_checked(4).ok_or("it is cut short")?;
        let len = u32::from_le_bytes(len.try_into().map_err(|_| "it is cut short")?) as usize;
        let (header, rest) = rest.split_at_checked(len).ok_or("it is cut short")?;
        let header: Header =
            serde_json::from_slice(header).map_err(|e| format!("bad header: {e}"))?;
        if header.bits != BITS {
            return Err(format!(
                "it has 2^{} buckets and this Charter reads 2^{BITS}; train it again",
                header.bits
            ));
        }
        let k = header.categories.len();
        if k == 0 || k > CATEGORIES {
            return Err(format!("it has {k} categories"));
        }
        if !(header.scale.is_finite() && header.scale > 0.0) {
            return Err("its scale is not a positive number".into());
        }
        let (bias, weights) = rest
            .split_at_checked(4 * k)
            .filter(|(_, w)| w.len() == ROW << BITS)
            .ok_or("its weights are cut short or too long")?;
        let bias: Vec<f32> = bias
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if bias.iter().any(|b| !b.is_finite()) {
            return Err("a weight is not a number".into());
        }
        Ok(SiteModel {
            categories: header.categories,
            bias,
            scale: header.scale,
            weights: weights
                .chunks_exact(ROW)
                .map(|row| std::array::from_fn(|i| i8::from_le_bytes([row[i]])))
                .collect(),
            version: version_of(header.scale, rest),
            trained_from: header.trained_from,
        })
    }

    /// Reads a model file, refusing one over [`MAX_MODEL_BYTES`].
    pub fn open(path: &Path) -> Result<SiteModel, ModelError> {
        let io = |source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_MODEL_BYTES {
            return Err(ModelError::BadModel {
                path: path.to_path_buf(),
                reason: format!("it is {size} bytes, over the {MAX_MODEL_BYTES} limit"),
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        SiteModel::from_bytes(&bytes).map_err(|reason| ModelError::BadModel {
            path: path.to_path_buf(),
            reason,
        })
    }
}

/// FNV-1a, for versions and the held-out split; not for security.
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The first 48 bits of the hash of the scale and the weights.
fn version_of(scale: f32, weights: &[u8]) -> u64 {
    let mut bytes = scale.to_le_bytes().to_vec();
    bytes.extend_from_slice(weights);
    fnv(&bytes) >> 16
}

/// A category source with the site model behind it: hosts the lists know are classified by
/// the lists alone; a host in no list (and no URL list) also gets the model's guess.
pub struct WithSiteModel<S> {
    lists: S,
    model: Arc<SiteModel>,
}

impl<S> fmt::Debug for WithSiteModel<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithSiteModel")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl<S> WithSiteModel<S> {
    /// `lists`, with `model` for the hosts they do not know.
    pub fn new(lists: S, model: Arc<SiteModel>) -> Self {
        WithSiteModel { lists, model }
    }
}

impl<S: CategorySource> CategorySource for WithSiteModel<S> {
    fn classify(&self, target: &Target) -> Classification {
        let mut c = self.lists.classify(target);
        if c.categories.is_empty() && c.url_lists.is_empty() && !target.is_ip_literal() {
            c.guess = Some(self.model.guess(target.host()));
        }
        c
    }

    fn explain(&self, target: &Target) -> Vec<Match> {
        self.lists.explain(target)
    }

    fn path_matters(&self, target: &Target) -> bool {
        self.lists.path_matters(target)
    }

    fn version(&self) -> String {
        format!("{}+site-{}", self.lists.version(), self.model.version())
    }
}

/// `source`, with the model at `model` behind it when one is given (`--site-model`,
/// charter.toml's `site_model`).
pub fn behind(
    source: Box<dyn CategorySource + Send + Sync>,
    model: Option<&Path>,
) -> Result<Box<dyn CategorySource + Send + Sync>, ModelError> {
    match model {
        None => Ok(source),
        Some(path) => Ok(Box::new(WithSiteModel::new(
            source,
            Arc::new(SiteModel::open(path)?),
        ))),
    }
}

/// The name findings give the model.
pub const MODEL_NAME: &str = "site-classifier";

/// The `unclassified_site` finding `rule` makes about `host`: the host is in no list (the
/// pack's own included) and the model scores one of the rule's categories (any, when it names
/// none) at or above its threshold.
pub(super) fn finding(
    rule: &Rule,
    host: &str,
    classification: &Classification,
) -> Option<crate::Finding> {
    if !classification.categories.is_empty() || !classification.url_lists.is_empty() {
        return None;
    }
    let guess = classification.guess.as_ref()?;
    let threshold = rule.model_threshold.unwrap_or(DEFAULT_THRESHOLD);
    let (category, score) = guess
        .best(rule.categories)
        .filter(|(_, score)| *score >= threshold)?;
    let version = guess.version();
    let message = format!(
        "unlisted site {host}: model {MODEL_NAME} {version} says {category}, score {score:.2} (threshold {threshold:.2})"
    );
    Some(
        crate::Finding::of(rule, Check::UnclassifiedSite, message).with_model(Some(
            crate::ModelScore {
                name: MODEL_NAME.to_string(),
                version,
                score,
            },
        )),
    )
}
