//! `charter check text`: the text checks and classifiers alone on one text (DESIGN §6). The
//! pack's rules in force with a text check decide: `abusive_language`, `chain_letter` and
//! `payment_details_change` from mail rules (whatever their direction), `search_term` from
//! web rules, as if the text were a search query.

use charter_policy::{Area, Check};

use super::assess::{MAX_TEXT_BYTES, TextAssessment, assess_normalised, safeguarding_match};
use super::normalise_into;
use crate::{Context, Decision, Engine, Finding, Privacy};

const TEXT_CHECKS: [(Area, Check); 4] = [
    (Area::Mail, Check::AbusiveLanguage),
    (Area::Mail, Check::ChainLetter),
    (Area::Mail, Check::PaymentDetailsChange),
    (Area::Web, Check::SearchTerm),
];

impl Engine {
    /// What the pack's text checks decide about `text`.
    pub fn decide_text(&self, ctx: &Context, text: &str) -> Decision {
        let mut norm = String::new();
        normalise_into(&mut norm, text, MAX_TEXT_BYTES);
        let base = assess_normalised(&norm, None).with_embeddings(self.embeddings(), &norm);
        let mut findings = Vec::new();
        for (area, check) in TEXT_CHECKS {
            for rule in self
                .rules_in_force(area, ctx)
                .filter(|r| r.checks.contains(&check))
            {
                let mut model = None;
                let message = match check {
                    Check::AbusiveLanguage => {
                        let a = TextAssessment {
                            threshold: rule
                                .model_threshold
                                .unwrap_or(super::classifier::DEFAULT_THRESHOLD),
                            ..base.clone()
                        };
                        model = a.model_note();
                        a.abuse_message()
                    }
                    Check::ChainLetter => base
                        .signals
                        .is_chain_letter()
                        .then(|| "the text is a chain letter".to_string()),
                    Check::PaymentDetailsChange => base
                        .signals
                        .is_payment_change()
                        .then(|| "the text asks to change bank or payment details".to_string()),
                    _ => safeguarding_match(
                        &base.concerns,
                        base.nearest.as_ref(),
                        crate::text::embed::DEFAULT_THRESHOLD,
                        &rule.phrase_lists,
                    )
                    .map(|(message, score)| {
                        model = score;
                        format!("text {message}")
                    }),
                };
                if let Some(message) = message {
                    findings.push(Finding::of(rule, check, message).with_model(model));
                }
            }
        }
        Decision::from_findings(findings, Privacy::Full, None)
    }
}

#[cfg(test)]
mod tests {
    use charter_policy::Verdict;

    use super::*;

    const PACK: &str = r#"
[policy]
id = "t"
title = "t"
source = "t"
[organisation]
name = "Acme Ltd"
domains = ["acme.co.uk"]
[[rule]]
id = "abuse"
clause = "1"
on = "mail"
checks = ["abusive_language"]
action = "block"
severity = "gross_misconduct"
[[rule]]
id = "selfharm"
clause = "2"
on = "web"
checks = ["search_term"]
phrase_lists = ["self_harm"]
action = "log"
severity = "concern"
alert = ["safeguarding"]
"#;

    fn decide(text: &str) -> Decision {
        let engine = Engine::new(charter_policy::parse(PACK, "t.toml").expect("pack"));
        let ctx = Context::new(
            Some("ann".into()),
            Vec::new(),
            "2026-06-15T10:00:00Z".parse().expect("time"),
        );
        engine.decide_text(&ctx, text)
    }

    #[test]
    fn an_insult_is_blocked_as_abusive_language() {
        let d = decide("Your reports are crap and you are a lazy shithead.");
        assert_eq!(d.verdict, Verdict::Block);
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].check, Check::AbusiveLanguage);
        assert!(
            d.findings[0]
                .message
                .contains("model alt-profanity-check 1.9.1 score")
        );
    }

    #[test]
    fn a_self_harm_paraphrase_matches_the_phrase_list_not_abuse() {
        let d = decide("I want to kill myself.");
        let checks: Vec<Check> = d.findings.iter().map(|f| f.check).collect();
        assert_eq!(checks, [Check::SearchTerm], "{d:?}");
        assert_eq!(d.verdict, Verdict::Log);
    }

    #[test]
    fn business_text_with_trap_words_is_allowed() {
        let d = decide("Please kill the process on the build server before the deploy.");
        assert_eq!(d.verdict, Verdict::Allow);
        assert!(d.findings.is_empty());
    }
}
