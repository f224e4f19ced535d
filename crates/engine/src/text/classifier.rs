//! The abusive-language model: a linear classifier over TF-IDF word features, beside the word
//! lists (issue 14 item 1).
//!
//! The weights are `alt-profanity-check` 1.9.1 (MIT; `crates/engine/data/abuse_model/`),
//! exported once by `tools/export-profanity-model.py` and compiled in: nothing is downloaded
//! at run time. Scoring repeats scikit-learn's pipeline: the text lowercased, tokens are runs
//! of two or more word characters (`(?u)\b\w\w+\b`), raw counts times idf, l2-normalised over
//! the known words; each of the five calibrated LinearSVC folds gives
//! `1 / (1 + exp(a * (w.x + b) + c))` and the score is their mean, as `predict_proba` does.
//! Word characters are Rust's alphanumerics and `_`, which differ from Python's only on a
//! few combining marks outside this English vocabulary.

use std::collections::HashMap;
use std::sync::OnceLock;

use foldhash::fast::FixedState;

/// The model's name and version, named in findings.
pub const MODEL_NAME: &str = "alt-profanity-check 1.9.1";

/// The model alone, as alerts keep it ([`crate::ModelScore::name`]).
pub const MODEL: &str = "alt-profanity-check";

/// Its version ([`crate::ModelScore::version`]).
pub const MODEL_VERSION: &str = "1.9.1";

/// Score at or above which the model calls a text abusive when the pack sets no threshold.
/// Tuned on the even lines of `tests/data/text_eval.tsv`, measured on the odd ones.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// At most this many bytes of a text are scored; the rest is ignored. What a sender writes
/// comes first in a message, quoted replies and long HTML after it; 16 KB keeps the model's
/// cost on large mail bounded (see bench/mail/README.md).
pub const MAX_SCORED_BYTES: usize = 16 * 1024;

/// The most folds a model file may have.
const MAX_FOLDS: usize = 8;

const MODEL_TSV: &str = include_str!("../../data/abuse_model/model.tsv");

/// One calibrated fold: intercept `b`, sigmoid `a` and `c`.
#[derive(Debug, Clone, Copy)]
struct Fold {
    intercept: f64,
    a: f64,
    c: f64,
}

/// The parsed model.
#[derive(Debug)]
pub struct AbuseModel {
    terms: HashMap<Box<str>, u32, FixedState>,
    /// Per term, `stride` numbers: its idf, then its weight in each fold.
    rows: Vec<f32>,
    stride: usize,
    folds: Vec<Fold>,
}

/// The compiled-in model, parsed on first use; `None` only if the data file is broken, which
/// the tests below rule out for every build that passes them.
pub fn model() -> Option<&'static AbuseModel> {
    static MODEL: OnceLock<Option<AbuseModel>> = OnceLock::new();
    MODEL
        .get_or_init(|| AbuseModel::parse(MODEL_TSV).ok())
        .as_ref()
}

fn parse_f64(field: Option<&str>, line: usize) -> Result<f64, String> {
    field
        .and_then(|f| f.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("line {line}: expected a number"))
}

/// Python's `\w`, near enough: see the module notes.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl AbuseModel {
    /// Parses the layout `tools/export-profanity-model.py` writes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut folds = Vec::new();
        let mut terms = HashMap::with_hasher(FixedState::default());
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            match fields.next() {
                Some("@folds") | None => {}
                Some("@fold") if folds.len() == MAX_FOLDS => {
                    return Err(format!("line {n}: more than {MAX_FOLDS} folds"));
                }
                Some("@fold") => folds.push(Fold {
                    intercept: parse_f64(fields.next(), n)?,
                    a: parse_f64(fields.next(), n)?,
                    c: parse_f64(fields.next(), n)?,
                }),
                Some(term) => {
                    let before = rows.len();
                    for f in std::iter::once(fields.next()).chain(fields.map(Some)) {
                        rows.push(parse_f64(f, n)? as f32);
                    }
                    let weights = rows.len() - before - 1;
                    if weights != folds.len() || folds.is_empty() {
                        return Err(format!(
                            "line {n}: {weights} weights for {} folds",
                            folds.len()
                        ));
                    }
                    let id = u32::try_from(terms.len()).map_err(|_| "too many terms")?;
                    if terms.insert(Box::from(term), id).is_some() {
                        return Err(format!("line {n}: `{term}` again"));
                    }
                }
            }
        }
        Ok(Self {
            terms,
            rows,
            stride: folds.len() + 1,
            folds,
        })
    }

    /// How many words the model knows.
    pub fn vocabulary_len(&self) -> usize {
        self.terms.len()
    }

    /// The known words of `text` (lowercased, `(?u)\b\w\w+\b`) as term ids, into `hits`.
    /// ASCII words are looked up in place; a word with capitals or other scripts is
    /// lowercased first and split again, as Python lowercases before it tokenises.
    fn tokens(&self, text: &str, hits: &mut Vec<u32>) {
        let bytes = text.as_bytes();
        let mut lower = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            let mut plain = true;
            while i < bytes.len() {
                let b = bytes[i];
                if b < 0x80 {
                    if !(b.is_ascii_alphanumeric() || b == b'_') {
                        break;
                    }
                    plain &= !b.is_ascii_uppercase();
                    i += 1;
                } else {
                    let Some(c) = text[i..].chars().next() else {
                        break;
                    };
                    if !is_word_char(c) {
                        break;
                    }
                    plain = false;
                    i += c.len_utf8();
                }
            }
            if i == start {
                // Not a word character: step over it.
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            let word = &text[start..i];
            if plain {
                self.push_term(word, hits);
            } else {
                lower.clear();
                lower.push_str(&word.to_lowercase());
                for piece in lower.split(|c: char| !is_word_char(c)) {
                    self.push_term(piece, hits);
                }
            }
        }
    }

    fn push_term(&self, word: &str, hits: &mut Vec<u32>) {
        if word.chars().nth(1).is_some()
            && let Some(&id) = self.terms.get(word)
        {
            hits.push(id);
        }
    }

    /// The probability, 0 to 1, that `text` is abusive or offensive.
    pub fn score(&self, text: &str) -> f64 {
        let mut hits: Vec<u32> = Vec::new();
        self.tokens(
            &text[..text.floor_char_boundary(MAX_SCORED_BYTES)],
            &mut hits,
        );
        hits.sort_unstable();
        let nf = self.folds.len();
        let mut dots = [0.0f64; MAX_FOLDS];
        let dots = &mut dots[..nf];
        let mut norm = 0.0f64;
        for run in hits.chunk_by(|a, b| a == b) {
            let row = &self.rows[run[0] as usize * self.stride..][..self.stride];
            let x = run.len() as f64 * f64::from(row[0]);
            norm += x * x;
            for (d, w) in dots.iter_mut().zip(&row[1..]) {
                *d += x * f64::from(*w);
            }
        }
        let norm = if norm > 0.0 { norm.sqrt() } else { 1.0 };
        let sum: f64 = self
            .folds
            .iter()
            .zip(dots.iter())
            .map(|(f, d)| 1.0 / (1.0 + (f.a * (d / norm + f.intercept) + f.c).exp()))
            .sum();
        sum / dots.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded() -> &'static AbuseModel {
        model().expect("the compiled-in model parses")
    }

    fn reference() -> Vec<(f64, &'static str)> {
        include_str!("../../tests/data/abuse_model_reference.tsv")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (score, text) = l.split_once('\t')?;
                Some((score.parse().ok()?, text))
            })
            .collect()
    }

    #[test]
    fn rust_scores_equal_the_python_package_scores() {
        let cases = reference();
        assert!(cases.len() > 400, "{} reference scores", cases.len());
        let mut worst = 0.0f64;
        for (want, text) in &cases {
            let got = loaded().score(text);
            worst = worst.max((got - want).abs());
            assert!(
                (got - want).abs() < 1e-5,
                "{text:?}: rust {got}, python {want}"
            );
        }
        eprintln!("largest difference from Python: {worst:e}");
    }

    #[test]
    fn the_whole_vocabulary_is_loaded() {
        assert_eq!(loaded().vocabulary_len(), 15442);
    }

    #[test]
    fn an_insult_scores_high_and_business_text_low() {
        assert!(loaded().score("You are a useless fucking idiot") > 0.9);
        assert!(loaded().score("Can you shoot me an email with the figures by Friday?") < 0.1);
    }

    #[test]
    fn malformed_model_files_are_errors() {
        assert!(AbuseModel::parse("@fold\t1\t2\nterm\t1.0\tx\n").is_err());
        assert!(AbuseModel::parse("term\t1.0\t0.5\n").is_err());
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let text = "é".repeat(MAX_SCORED_BYTES);
        assert!(loaded().score(&text) < 1.0);
    }
}
