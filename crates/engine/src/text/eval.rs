//! Measuring the text detectors on a labelled set (`label<TAB>sentence` lines, `#` comments):
//! precision, recall and F1 per class for the word lists alone, the abusive-language model
//! alone, the sentence embeddings alone (when loaded) and their combination. Used by
//! `charter check text --eval` and `tests/text_eval.rs`.

use std::fmt::Write as _;

use super::assess::TextAssessment;
use super::embed::{self, Nearest};

/// A label of the evaluation set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Insults, harassment, threats, discriminatory remarks.
    Abusive,
    /// Self-harm, suicide, radicalisation, abuse disclosures.
    Safeguarding,
    /// Neither.
    Clean,
}

impl Class {
    /// Every class, in table order.
    pub const ALL: [Class; 3] = [Class::Abusive, Class::Safeguarding, Class::Clean];

    fn parse(s: &str) -> Option<Class> {
        match s {
            "abusive" => Some(Class::Abusive),
            "safeguarding" => Some(Class::Safeguarding),
            "clean" => Some(Class::Clean),
            _ => None,
        }
    }

    /// The label as written in the set.
    pub fn name(self) -> &'static str {
        match self {
            Class::Abusive => "abusive",
            Class::Safeguarding => "safeguarding",
            Class::Clean => "clean",
        }
    }

    /// Whether a detector that called a text `abusive` and `safeguarding` put it in this
    /// class (clean: neither).
    fn predicted(self, abusive: bool, safeguarding: bool) -> bool {
        match self {
            Class::Abusive => abusive,
            Class::Safeguarding => safeguarding,
            Class::Clean => !abusive && !safeguarding,
        }
    }
}

/// One labelled sentence.
#[derive(Debug, Clone)]
pub struct Labelled {
    /// Its label.
    pub label: Class,
    /// The sentence.
    pub text: String,
}

/// Parses `label<TAB>sentence` lines; `#` lines and blank lines are skipped. An unknown label
/// or a line without a tab is an error naming the line.
pub fn parse_eval_set(text: &str) -> Result<Vec<Labelled>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (label, sentence) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {}: expected label<TAB>sentence", i + 1))?;
        let label = Class::parse(label.trim()).ok_or_else(|| {
            format!(
                "line {}: unknown label `{label}` (abusive, safeguarding, clean)",
                i + 1
            )
        })?;
        out.push(Labelled {
            label,
            text: sentence.to_string(),
        });
    }
    Ok(out)
}

/// What the detectors said about one labelled sentence, enough to try any threshold.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Its label.
    pub label: Class,
    list_abuse: bool,
    safeguarding: bool,
    score: f64,
    nearest: Option<Nearest>,
}

/// The thresholds a prediction uses: the abusive-language model's and the embeddings'.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// The model's score threshold.
    pub model: f64,
    /// The embeddings' similarity threshold for safeguarding examples.
    pub embeddings: f64,
    /// The embeddings' similarity threshold for abusive examples.
    pub embeddings_abuse: f64,
}

impl Thresholds {
    /// The defaults: [`DEFAULT_THRESHOLD`](super::classifier::DEFAULT_THRESHOLD) and the
    /// embeddings' ([`embed::DEFAULT_THRESHOLD`], [`embed::ABUSE_THRESHOLD`]).
    pub const DEFAULT: Thresholds = Thresholds {
        model: super::classifier::DEFAULT_THRESHOLD,
        embeddings: embed::DEFAULT_THRESHOLD,
        embeddings_abuse: embed::ABUSE_THRESHOLD,
    };
}

impl Scored {
    /// Records an assessment of a sentence labelled `label`.
    pub fn new(label: Class, a: &TextAssessment) -> Scored {
        Scored {
            label,
            list_abuse: a.abusive_by_list(),
            safeguarding: !a.concerns.is_empty(),
            score: a.model_score.unwrap_or(0.0),
            nearest: a.nearest,
        }
    }

    /// Whether the embeddings were run on it.
    pub fn embedded(&self) -> bool {
        self.nearest.is_some()
    }

    fn embedded_concern(&self, threshold: f64) -> bool {
        self.nearest.is_some_and(|n| n.concern(threshold).is_some())
    }

    fn embedded_abuse(&self, threshold: f64) -> bool {
        self.nearest.is_some_and(|n| n.abusive(threshold))
    }

    /// The embeddings alone.
    pub fn by_embeddings(&self, class: Class, t: Thresholds) -> bool {
        class.predicted(
            self.embedded_abuse(t.embeddings_abuse),
            self.embedded_concern(t.embeddings),
        )
    }

    /// The word and phrase lists alone.
    pub fn by_lists(&self, class: Class) -> bool {
        class.predicted(self.list_abuse, self.safeguarding)
    }

    /// The model alone (it knows only abuse: everything under the threshold is clean).
    pub fn by_model(&self, class: Class, threshold: f64) -> bool {
        class.predicted(self.score >= threshold, false)
    }

    /// Lists and model together, as [`TextAssessment::abusive`] decides without embeddings.
    pub fn combined(&self, class: Class, threshold: f64) -> bool {
        let abusive = self.list_abuse || (!self.safeguarding && self.score >= threshold);
        class.predicted(abusive, self.safeguarding)
    }

    /// Lists, model and embeddings together, as [`TextAssessment::abusive`] and
    /// [`TextAssessment::safeguarding`] decide.
    pub fn combined_with(&self, class: Class, t: Thresholds) -> bool {
        let safeguarding = self.safeguarding || self.embedded_concern(t.embeddings);
        let abusive =
            self.combined(Class::Abusive, t.model) || self.embedded_abuse(t.embeddings_abuse);
        class.predicted(abusive, safeguarding)
    }
}

/// True and false positives and false negatives for one class.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    pub fn_: usize,
}

impl Counts {
    /// Counts `predict` against the labels for `class`.
    pub fn of(set: &[Scored], class: Class, predict: impl Fn(&Scored) -> bool) -> Counts {
        let mut c = Counts::default();
        for s in set {
            match (predict(s), s.label == class) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                (false, false) => {}
            }
        }
        c
    }

    fn ratio(a: usize, b: usize) -> f64 {
        if b == 0 { 0.0 } else { a as f64 / b as f64 }
    }

    /// Precision.
    pub fn precision(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fp)
    }

    /// Recall.
    pub fn recall(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fn_)
    }

    /// F1.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// The threshold, from 0.05 to 0.95 in steps of 0.05, that gives the combination its best
/// abusive F1 on `set` (the lowest of equal ones).
pub fn tune_threshold(set: &[Scored]) -> f64 {
    let mut best = (f64::MIN, 0.5);
    for step in 1..20 {
        let t = f64::from(step) * 0.05;
        let f1 = Counts::of(set, Class::Abusive, |s| s.combined(Class::Abusive, t)).f1();
        if f1 > best.0 + 1e-12 {
            best = (f1, t);
        }
    }
    // Round away the binary noise of the steps (0.15000000000000002).
    (best.1 * 100.0).round() / 100.0
}

/// The embeddings' thresholds, each from 0.30 to 0.90 in steps of 0.01, that give the
/// combination its best F1 on `set` (the lowest of equal ones), the model at `model`: first
/// the safeguarding threshold for safeguarding F1, then the abuse threshold for abusive F1.
pub fn tune_embeddings_thresholds(set: &[Scored], model: f64) -> Thresholds {
    let best = |class: Class, with: &dyn Fn(f64) -> Thresholds| {
        let mut best = (f64::MIN, 0.3);
        for step in 30..=90 {
            let t = f64::from(step) / 100.0;
            let f1 = Counts::of(set, class, |s| s.combined_with(class, with(t))).f1();
            if f1 > best.0 + 1e-12 {
                best = (f1, t);
            }
        }
        best.1
    };
    let off = Thresholds {
        model,
        embeddings: 1.1,
        embeddings_abuse: 1.1,
    };
    let embeddings = best(Class::Safeguarding, &|t| Thresholds {
        embeddings: t,
        ..off
    });
    let embeddings_abuse = best(Class::Abusive, &|t| Thresholds {
        embeddings,
        embeddings_abuse: t,
        ..off
    });
    Thresholds {
        model,
        embeddings,
        embeddings_abuse,
    }
}

/// The table of precision, recall and F1 per class and detector; with embeddings rows for
/// them alone and for everything together when `set` was embedded.
pub fn table(set: &[Scored], t: Thresholds) -> String {
    let embedded = set.iter().any(Scored::embedded);
    let mut out =
        String::from("class         detector      precision  recall    F1   (tp/fp/fn)\n");
    for class in Class::ALL {
        let mut rows: Vec<(&str, Option<Counts>)> = vec![
            (
                "word lists",
                Some(Counts::of(set, class, |s| s.by_lists(class))),
            ),
            (
                "model",
                (class != Class::Safeguarding)
                    .then(|| Counts::of(set, class, |s| s.by_model(class, t.model))),
            ),
            (
                "combination",
                Some(Counts::of(set, class, |s| s.combined(class, t.model))),
            ),
        ];
        if embedded {
            rows.push((
                "embeddings",
                Some(Counts::of(set, class, |s| s.by_embeddings(class, t))),
            ));
            rows.push((
                "all + embed.",
                Some(Counts::of(set, class, |s| s.combined_with(class, t))),
            ));
        }
        for (name, counts) in rows {
            match counts {
                Some(c) => {
                    let _ = writeln!(
                        out,
                        "{:<13} {name:<13} {:>8.3}  {:>6.3} {:>6.3}  ({}/{}/{})",
                        class.name(),
                        c.precision(),
                        c.recall(),
                        c.f1(),
                        c.tp,
                        c.fp,
                        c.fn_
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{:<13} {name:<13}   (no model for this class)",
                        class.name()
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_errors_naming_the_line() {
        assert!(parse_eval_set("# c\nabusive\tyou idiot\n").is_ok());
        let e = parse_eval_set("# c\nangry\tyou idiot\n").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        assert!(parse_eval_set("no tab here\n").is_err());
    }

    #[test]
    fn counts_give_precision_recall_and_f1() {
        let c = Counts {
            tp: 8,
            fp: 2,
            fn_: 8,
        };
        assert!((c.precision() - 0.8).abs() < 1e-9);
        assert!((c.recall() - 0.5).abs() < 1e-9);
        assert!((c.f1() - 8.0 / 13.0).abs() < 1e-9);
        assert_eq!(Counts::default().f1(), 0.0);
    }
}
