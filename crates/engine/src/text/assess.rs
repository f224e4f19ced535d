//! The text checks and classifiers together on one text: the abuse word lists, the
//! abusive-language model, the safeguarding phrase lists and, when loaded, the sentence
//! embeddings. `charter check text`, the mail `abusive_language` check and the evaluation
//! (`tests/text_eval.rs`) all decide through here.

use charter_policy::PhraseList;

use super::classifier::{self, DEFAULT_THRESHOLD, MODEL, MODEL_NAME, MODEL_VERSION};
use super::embed::{self, Embeddings, Nearest};
use super::safeguarding::{Concern, search_concerns};
use super::{TextSignals, normalise_into, signals};

/// What a `search_term` rule whose `phrase_lists` are `lists` (empty: all) finds: the first
/// listed phrase on one of them, else the embeddings' nearest example when it is on one of
/// them and near enough. The message goes after "text " or "Google search ": `matching the
/// self_harm phrase list ("kill myself")`, or `near the self_harm examples: embeddings ...`
/// with the model's score.
pub fn safeguarding_match(
    concerns: &[Concern],
    nearest: Option<&Nearest>,
    threshold: f64,
    lists: &[PhraseList],
) -> Option<(String, Option<crate::ModelScore>)> {
    let wanted = |list: PhraseList| lists.is_empty() || lists.contains(&list);
    if let Some(c) = concerns.iter().find(|c| wanted(c.list)) {
        return Some((
            format!("matching the {} phrase list (\"{}\")", c.list, c.phrase),
            None,
        ));
    }
    let n = nearest?;
    let list = n.concern(threshold).filter(|l| wanted(*l))?;
    Some((
        format!("near the {list} examples: {}", n.explain(threshold)),
        Some(n.model_score()),
    ))
}

/// At most this many bytes of a text are normalised for the word lists.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// What the detectors found in one text.
#[derive(Debug, Clone)]
pub struct TextAssessment {
    /// The word lists' results.
    pub signals: TextSignals,
    /// The safeguarding phrases found.
    pub concerns: Vec<Concern>,
    /// The abusive-language model's score, 0 to 1; `None` when the threshold is 1 (off).
    pub model_score: Option<f64>,
    /// The score at or above which the model calls the text abusive.
    pub threshold: f64,
    /// The nearest example phrase by sentence embeddings, when a model is loaded
    /// ([`TextAssessment::with_embeddings`]).
    pub nearest: Option<Nearest>,
}

/// Runs every text detector over `text` (raw; normalised here). `threshold` is the rule's
/// `model_threshold`, `None` for the default.
pub fn assess(text: &str, threshold: Option<f64>) -> TextAssessment {
    assess_embedded(text, threshold, None)
}

/// [`assess`] with the sentence embeddings too, when a model is given.
pub fn assess_embedded(
    text: &str,
    threshold: Option<f64>,
    embeddings: Option<&Embeddings>,
) -> TextAssessment {
    let mut norm = String::new();
    normalise_into(&mut norm, text, MAX_TEXT_BYTES);
    assess_normalised(&norm, threshold).with_embeddings(embeddings, &norm)
}

/// [`assess`] on text already normalised by [`normalise_into`].
pub fn assess_normalised(norm: &str, threshold: Option<f64>) -> TextAssessment {
    assess_with_signals(signals(norm), norm, threshold)
}

/// [`assess_normalised`] where the word lists have already run over `norm` (the mail facts).
pub fn assess_with_signals(
    signals: TextSignals,
    norm: &str,
    threshold: Option<f64>,
) -> TextAssessment {
    let threshold = threshold.unwrap_or(DEFAULT_THRESHOLD);
    TextAssessment {
        signals,
        concerns: search_concerns(norm),
        // A threshold of 1 turns the model off: its mean of sigmoids stays below 1.
        model_score: (threshold < 1.0)
            .then(classifier::model)
            .flatten()
            .map(|m| m.score(norm)),
        threshold,
        nearest: None,
    }
}

impl TextAssessment {
    /// This assessment with the example nearest to `norm` (the text it assessed) by
    /// `embeddings`, when a model is loaded.
    pub fn with_embeddings(mut self, embeddings: Option<&Embeddings>, norm: &str) -> Self {
        self.nearest = embeddings.and_then(|e| e.nearest(norm));
        self
    }

    /// Whether the abuse word lists fired.
    pub fn abusive_by_list(&self) -> bool {
        self.signals.abusive_total() > 0
    }

    /// Whether the model's score reaches the threshold. A text a safeguarding list explains
    /// ("I want to kill myself") is left to the safeguarding checks: the person writing it
    /// needs help, not an abuse finding, and the model scores such texts high.
    pub fn abusive_by_model(&self) -> bool {
        self.concerns.is_empty() && self.model_score.is_some_and(|s| s >= self.threshold)
    }

    /// Whether the nearest example by the embeddings is an abusive one, near enough.
    /// (A safeguarding concern does not silence this or the model: the embeddings'
    /// categories overlap, and "immigrants are invaders" is both.)
    pub fn abusive_by_embeddings(&self) -> bool {
        self.nearest
            .is_some_and(|n| n.abusive(embed::ABUSE_THRESHOLD))
    }

    /// Whether the text is abusive by any detector.
    pub fn abusive(&self) -> bool {
        self.abusive_by_list() || self.abusive_by_model() || self.abusive_by_embeddings()
    }

    /// The safeguarding list whose example the embeddings found near enough, if any.
    pub fn embedded_concern(&self) -> Option<PhraseList> {
        self.nearest
            .and_then(|n| n.concern(embed::DEFAULT_THRESHOLD))
    }

    /// Whether a safeguarding phrase list or the embeddings fired.
    pub fn safeguarding(&self) -> bool {
        !self.concerns.is_empty() || self.embedded_concern().is_some()
    }

    /// The model and its score when a model called the text abusive, for the finding: the
    /// abusive-language model's, else the embeddings'.
    pub fn model_note(&self) -> Option<crate::ModelScore> {
        match self.model_score.filter(|_| self.abusive_by_model()) {
            Some(score) => Some(crate::ModelScore {
                name: MODEL.to_string(),
                version: MODEL_VERSION.to_string(),
                score,
            }),
            None => self
                .nearest
                .filter(|_| self.abusive_by_embeddings())
                .map(|n| n.model_score()),
        }
    }

    /// The `abusive_language` message, naming which detector fired and the model's score, or
    /// `None` when the text is not abusive. Never quotes the text.
    pub fn abuse_message(&self) -> Option<String> {
        if !self.abusive() {
            return None;
        }
        let mut why = Vec::new();
        if self.abusive_by_list() {
            why.push(format!("word list ({})", self.signals.abusive_summary()));
        }
        if let Some(score) = self.model_score.filter(|_| self.abusive_by_model()) {
            why.push(format!(
                "model {MODEL_NAME} score {score:.2} (threshold {:.2})",
                self.threshold
            ));
        }
        if let Some(n) = self.nearest.filter(|_| self.abusive_by_embeddings()) {
            why.push(n.explain(embed::ABUSE_THRESHOLD));
        }
        Some(format!(
            "abusive or discriminatory language: {}",
            why.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_word_list_and_the_model() {
        let a = assess("You are a complete idiot, fuck off.", None);
        let msg = a.abuse_message().unwrap_or_default();
        assert!(
            msg.contains("word list (") && msg.contains("model alt-profanity-check 1.9.1 score"),
            "{msg}"
        );
    }

    #[test]
    fn the_model_alone_catches_an_insult_in_no_list() {
        let a = assess("Your reports are crap and you are a lazy shithead.", None);
        assert!(!a.abusive_by_list() && a.abusive_by_model(), "{a:?}");
        assert!(
            a.abuse_message()
                .is_some_and(|m| m.contains("model ") && !m.contains("word list"))
        );
    }

    #[test]
    fn trap_words_in_business_text_are_not_abusive() {
        for text in [
            "Please kill the process on the build server.",
            "The Scunthorpe office closes early.",
            "This deal is a steal at that price.",
        ] {
            let a = assess(text, None);
            assert!(!a.abusive(), "{text}: {a:?}");
            assert_eq!(a.abuse_message(), None);
        }
    }

    #[test]
    fn a_safeguarding_text_is_not_called_abuse_by_the_model() {
        let a = assess("I want to kill myself.", None);
        assert!(a.safeguarding());
        assert!(a.model_score.is_some_and(|s| s >= DEFAULT_THRESHOLD));
        assert!(!a.abusive_by_model());
    }

    #[test]
    fn a_higher_threshold_silences_the_model() {
        let text = "Your reports are crap and you are a lazy shithead.";
        assert!(assess(text, None).abusive());
        let off = assess(text, Some(1.0));
        assert!(!off.abusive_by_model() && off.model_score.is_none());
    }
}
