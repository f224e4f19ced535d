//! Measures the text detectors on two hand-written evaluation sets (issue 14 item 4): precision,
//! recall and F1 per class for the word lists alone, the abusive-language model alone and the
//! combination that `abusive_language` uses.
//!
//! The model's threshold is tuned on the even-numbered sentences and measured on the
//! odd-numbered ones, which the tuning never saw. The issue-14 additions to the word lists
//! (`text/phrases.rs`) were drawn from the misses on the even-numbered half too, but by the
//! person who wrote the whole set, so the held-out figures are only as independent as that.
//!
//! Measured (Dec 2026): abusive F1 on the held-out half 0.803 for the combination against
//! 0.114 for the word lists alone (model alone 0.774); 0.957 on the tuning half and 0.885 on
//! the whole set. Issue 14 asks for 0.85: met on the tuning half and the whole set, NOT on
//! the held-out half, so the test holds the held-out figure at its measured floor.
//!
//! With `--features embeddings` the sentence embeddings (issue 14 item 3) join in: their two
//! similarity thresholds are tuned on the even-numbered half too, and the tables gain rows for
//! the embeddings alone and for everything together. Their example phrases
//! (`data/safeguarding_examples.tsv`) share no sentence with either set
//! (`no_example_phrase_is_a_sentence_of_the_set`).
//!
//! The second set (`data/text_eval_independent.tsv`, 330 sentences) was written by someone who
//! had seen neither the word lists, nor the example phrases, nor the first set, and nothing is
//! tuned on it. It is the honest measure, and a sobering one (Dec 2026, thresholds as tuned):
//! abusive F1 0.351 for lists and model, 0.593 with the embeddings; safeguarding 0.154 for the
//! phrase lists, 0.825 with the embeddings. Whoever writes the detectors' lists and examples
//! has, on the first set, seen the kind of sentence they will be measured on.
//!
//! Run with `cargo test -p charter-engine --test text_eval -- --nocapture` to see the tables
//! (add `--features embeddings` for the embeddings, installed by .ci/setup/embeddings.sh).

use std::sync::OnceLock;

use charter_engine::text::assess::{TextAssessment, assess_embedded};
use charter_engine::text::classifier::DEFAULT_THRESHOLD;
use charter_engine::text::embed::{Embeddings, examples};
use charter_engine::text::eval::{
    Class, Counts, Labelled, Scored, Thresholds, parse_eval_set, table, tune_embeddings_thresholds,
    tune_threshold,
};
use charter_engine::text::normalise_into;

#[cfg(feature = "embeddings")]
#[path = "support/embeddings.rs"]
mod embeddings;

const SET: &str = include_str!("data/text_eval.tsv");
/// The second set, written by someone who had seen neither the word lists, nor the example
/// phrases, nor the first set; nothing is tuned on it.
const INDEPENDENT: &str = include_str!("data/text_eval_independent.tsv");

#[cfg(feature = "embeddings")]
fn model() -> Option<Embeddings> {
    embeddings::installed_model()
}

#[cfg(not(feature = "embeddings"))]
fn model() -> Option<Embeddings> {
    None
}

/// The model, loaded once for both sets (it takes seconds).
fn loaded() -> Option<&'static Embeddings> {
    static MODEL: OnceLock<Option<Embeddings>> = OnceLock::new();
    MODEL.get_or_init(model).as_ref()
}

/// Every sentence of `set` scored, by the embeddings too when the feature is on and the model
/// installed.
fn score(set: &str) -> Vec<Scored> {
    let set: Vec<Labelled> = parse_eval_set(set).expect("the evaluation set parses");
    set.into_iter()
        .map(|l| {
            let a: TextAssessment = assess_embedded(&l.text, None, loaded());
            Scored::new(l.label, &a)
        })
        .collect()
}

/// The first set's sentences, scored once.
fn scored() -> &'static [Scored] {
    static SCORED: OnceLock<Vec<Scored>> = OnceLock::new();
    SCORED.get_or_init(|| score(SET))
}

/// The even-numbered sentences (tuning) and the odd-numbered ones (held out).
fn halves() -> (Vec<Scored>, Vec<Scored>) {
    let (tune, held): (Vec<_>, Vec<_>) = scored().iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let strip = |v: Vec<(usize, &Scored)>| v.into_iter().map(|(_, s)| s.clone()).collect();
    (strip(tune), strip(held))
}

/// No example phrase of the embeddings is a sentence of either set or close to one: fewer than
/// half of the words of any pair are shared (Jaccard index of the word sets under 0.5).
/// The first draft of the examples had stock phrases in common with the set ("how to tie a
/// noose"); they were rewritten before the figures in docs/classifiers.md were taken.
#[test]
fn no_example_phrase_is_a_sentence_of_the_set() {
    let words = |s: &str| {
        let mut norm = String::new();
        normalise_into(&mut norm, s, usize::MAX);
        norm.replace('\'', "")
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect::<std::collections::BTreeSet<String>>()
    };
    let set: Vec<(String, _)> = [SET, INDEPENDENT]
        .into_iter()
        .flat_map(|set| parse_eval_set(set).expect("parses"))
        .map(|l| {
            let w = words(&l.text);
            (l.text, w)
        })
        .collect();
    let mut closest = (0.0, "", "");
    for e in examples().expect("the examples parse") {
        let phrase = words(e.phrase);
        for (text, w) in &set {
            let shared = phrase.intersection(w).count() as f64;
            let jaccard = shared / phrase.union(w).count().max(1) as f64;
            if jaccard > closest.0 {
                closest = (jaccard, e.phrase, text.as_str());
            }
        }
    }
    eprintln!(
        "closest pair: `{}` and `{}`, Jaccard {:.2}",
        closest.1, closest.2, closest.0
    );
    assert!(
        closest.0 < 0.5,
        "example `{}` is too close to the sentence `{}`",
        closest.1,
        closest.2
    );
}

#[test]
fn the_set_is_large_enough_and_balanced() {
    let set = parse_eval_set(SET).expect("parses");
    assert!(set.len() >= 300, "{} sentences", set.len());
    for class in Class::ALL {
        let n = set.iter().filter(|l| l.label == class).count();
        assert!(n >= 50, "{n} {class:?} sentences");
    }
}

#[test]
fn combination_beats_the_word_lists_on_held_out_sentences() {
    let all = scored();
    let (tune, held) = halves();

    let tuned = tune_threshold(&tune);
    eprintln!(
        "threshold tuned on {} even-numbered sentences: {tuned:.2}",
        tune.len()
    );
    assert!(
        (tuned - DEFAULT_THRESHOLD).abs() < 1e-9,
        "the default threshold {DEFAULT_THRESHOLD} is not the tuned one {tuned}"
    );

    let thresholds = Thresholds {
        model: tuned,
        ..Thresholds::DEFAULT
    };
    for (name, part) in [
        ("held out (odd-numbered)", &held[..]),
        ("tuning half", &tune[..]),
        ("whole set", all),
    ] {
        eprintln!(
            "\n{name}: {} sentences, thresholds {thresholds:?}\n{}",
            part.len(),
            table(part, thresholds)
        );
    }

    let f1 = |set: &[Scored], combined: bool| {
        Counts::of(set, Class::Abusive, |s| {
            if combined {
                s.combined(Class::Abusive, tuned)
            } else {
                s.by_lists(Class::Abusive)
            }
        })
        .f1()
    };
    for (name, part) in [("held out", &held[..]), ("whole set", all)] {
        assert!(
            f1(part, true) > f1(part, false),
            "{name}: combination F1 {:.3} does not beat the word lists {:.3}",
            f1(part, true),
            f1(part, false)
        );
    }
    assert!(
        f1(&tune, true) >= 0.85,
        "tuning half: abusive F1 {:.3}",
        f1(&tune, true)
    );
    assert!(
        f1(all, true) >= 0.85,
        "whole set: abusive F1 {:.3}",
        f1(all, true)
    );
    // Below the 0.85 (see the notes at the top): held at the measured floor.
    assert!(
        f1(&held, true) >= 0.80,
        "held out: abusive F1 {:.3}",
        f1(&held, true)
    );
}

/// The embeddings (issue 14 item 3): thresholds tuned on the even-numbered half are the
/// defaults, and on the held-out half and the whole set the combination with them beats the
/// combination without them, for safeguarding and for abuse.
#[test]
fn embeddings_lift_the_combination_on_held_out_sentences() {
    let all = scored();
    if !all.iter().any(Scored::embedded) {
        eprintln!("NOTE: no embeddings in this build (--features embeddings): nothing to measure");
        return;
    }
    let (tune, held) = halves();
    let tuned = tune_embeddings_thresholds(&tune, DEFAULT_THRESHOLD);
    eprintln!("embedding thresholds tuned on the even-numbered half: {tuned:?}");
    assert_eq!(
        tuned,
        Thresholds::DEFAULT,
        "the defaults are not the tuned thresholds"
    );
    for (name, part) in [("held out", &held[..]), ("whole set", all)] {
        assert_embeddings_lift(name, part, tuned);
    }
}

/// On `set`, for safeguarding and for abuse, the combination with the embeddings at
/// `thresholds` beats the combination without them.
fn assert_embeddings_lift(name: &str, set: &[Scored], thresholds: Thresholds) {
    for class in [Class::Safeguarding, Class::Abusive] {
        let with = Counts::of(set, class, |s| s.combined_with(class, thresholds)).f1();
        let without = Counts::of(set, class, |s| s.combined(class, thresholds.model)).f1();
        eprintln!("{name}, {class:?}: F1 {without:.3} without embeddings, {with:.3} with");
        assert!(
            with > without,
            "{name}, {class:?}: F1 {with:.3} with embeddings, {without:.3} without"
        );
    }
}

/// The independent set, measured with the thresholds tuned on the first set's even half: the
/// figures nothing was fitted to. The combination beats the word lists on it, and the
/// embeddings, where loaded, lift the combination.
#[test]
fn independent_set_measures_the_tuned_detectors() {
    let set = score(INDEPENDENT);
    eprintln!(
        "independent set: {} sentences, thresholds {:?}\n{}",
        set.len(),
        Thresholds::DEFAULT,
        table(&set, Thresholds::DEFAULT)
    );
    let f1 = |predict: &dyn Fn(&Scored) -> bool| Counts::of(&set, Class::Abusive, predict).f1();
    let lists = f1(&|s| s.by_lists(Class::Abusive));
    let combined = f1(&|s| s.combined(Class::Abusive, DEFAULT_THRESHOLD));
    assert!(
        combined > lists,
        "abusive F1 {combined:.3} for the combination, {lists:.3} for the word lists"
    );
    if set.iter().any(Scored::embedded) {
        assert_embeddings_lift("independent", &set, Thresholds::DEFAULT);
    }
}
