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

use std::sync::OnceLock;

use fst::Map;

/// The model's version, named in findings.
pub const MODEL_NAME: &str = "alt-profanity-check 1.9.1";

/// Score at or above which the model calls a text abusive when the pack sets no threshold.
/// Tuned on the even lines of `tests/data/text_eval.tsv`, measured on the odd ones.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// At most this many bytes of a text are scored; the rest is ignored.
pub const MAX_SCORED_BYTES: usize = 64 * 1024;

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
    terms: Map<Vec<u8>>,
    idf: Vec<f64>,
    /// `weights[term * folds + fold]`.
    weights: Vec<f64>,
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

impl AbuseModel {
    /// Parses the layout `tools/export-profanity-model.py` writes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut folds = Vec::new();
        let mut rows: Vec<(&str, f64, Vec<f64>)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            match fields.next() {
                Some("@folds") => {}
                Some("@fold") => folds.push(Fold {
                    intercept: parse_f64(fields.next(), n)?,
                    a: parse_f64(fields.next(), n)?,
                    c: parse_f64(fields.next(), n)?,
                }),
                Some(term) => {
                    let idf = parse_f64(fields.next(), n)?;
                    let w = fields
                        .map(|f| parse_f64(Some(f), n))
                        .collect::<Result<Vec<_>, _>>()?;
                    if w.len() != folds.len() || folds.is_empty() {
                        return Err(format!(
                            "line {n}: {} weights for {} folds",
                            w.len(),
                            folds.len()
                        ));
                    }
                    rows.push((term, idf, w));
                }
                None => {}
            }
        }
        rows.sort_by(|a, b| a.0.cmp(b.0));
        let terms = Map::from_iter(rows.iter().enumerate().map(|(i, r)| (r.0, i as u64)))
            .map_err(|e| format!("vocabulary: {e}"))?;
        let idf = rows.iter().map(|r| r.1).collect();
        let weights = rows.iter().flat_map(|r| r.2.iter().copied()).collect();
        Ok(Self {
            terms,
            idf,
            weights,
            folds,
        })
    }

    /// How many words the model knows.
    pub fn vocabulary_len(&self) -> usize {
        self.idf.len()
    }

    /// The probability, 0 to 1, that `text` is abusive or offensive.
    pub fn score(&self, text: &str) -> f64 {
        let mut cut = text.len().min(MAX_SCORED_BYTES);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let lower = text[..cut].to_lowercase();
        let mut hits: Vec<u32> = Vec::new();
        let mut start = None;
        let mut chars = 0usize;
        for (i, ch) in lower
            .char_indices()
            .chain(std::iter::once((lower.len(), ' ')))
        {
            if ch.is_alphanumeric() || ch == '_' {
                start.get_or_insert(i);
                chars += 1;
                continue;
            }
            if let Some(s) = start.take() {
                if chars >= 2 {
                    if let Some(id) = self.terms.get(&lower[s..i]) {
                        hits.push(id as u32);
                    }
                }
            }
            chars = 0;
        }
        hits.sort_unstable();
        let nf = self.folds.len();
        let mut dots = vec![0.0f64; nf];
        let mut norm = 0.0f64;
        for run in hits.chunk_by(|a, b| a == b) {
            let t = run[0] as usize;
            let x = run.len() as f64 * self.idf[t];
            norm += x * x;
            for (d, w) in dots.iter_mut().zip(&self.weights[t * nf..(t + 1) * nf]) {
                *d += x * w;
            }
        }
        let norm = if norm > 0.0 { norm.sqrt() } else { 1.0 };
        let sum: f64 = self
            .folds
            .iter()
            .zip(&dots)
            .map(|(f, d)| 1.0 / (1.0 + (f.a * (d / norm + f.intercept) + f.c).exp()))
            .sum();
        sum / nf as f64
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
