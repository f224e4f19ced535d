//! What the engine answers: a [`Decision`] made of [`Finding`]s.

use serde::Serialize;

use charter_policy::{Category, Check, Rule, Severity, Verdict};

/// How much of the event a monitoring record may keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Privacy {
    /// Everything may be kept.
    #[default]
    Full,
    /// The message is marked personal: keep headers only, never the body.
    HeadersOnly,
}

/// The model behind a classifier finding and its score: such a finding is evidence for a
/// person to weigh, never a decision by itself (issue 14 item 5).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelScore {
    /// The model (`alt-profanity-check`, `site-classifier`).
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its score, 0 to 1.
    pub score: f64,
}

// INVARIANT: scores are finite (models refuse weights that are not numbers), so equality is
// total.
impl Eq for ModelScore {}

/// One rule that matched, and why. Every finding names its rule and clause so that it can be
/// traced to the written policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// What was found.
    pub check: Check,
    /// The clause of the written policy the rule enforces.
    pub clause: String,
    /// How serious it is.
    pub severity: Severity,
    /// The rule's action.
    pub action: Verdict,
    /// One line for people: what was found, where.
    pub message: String,
    /// The model that made the finding, when a classifier did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelScore>,
}

impl Finding {
    /// A finding of `rule` for `check`; the rule's own message wins over `message`.
    pub fn of(rule: &Rule, check: Check, message: String) -> Finding {
        Finding {
            rule: rule.id.clone(),
            check,
            clause: rule.clause.clone().unwrap_or_default(),
            severity: rule.severity,
            action: rule.action,
            message: rule.message.clone().unwrap_or(message),
            model: None,
        }
    }

    /// This finding, made by `model` when it is one.
    pub fn with_model(self, model: Option<ModelScore>) -> Finding {
        Finding { model, ..self }
    }
}

/// The engine's answer about one event.
///
/// `verdict` is the strongest action among the findings and `allow` when there are none.
/// When the engine cannot judge part of an event safely (a mail part it cannot scan), it says
/// so with an `unscannable` finding rather than allowing silently: a pack decides how strict
/// to be with that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// What the gateway should do.
    pub verdict: Verdict,
    /// The web categories of the request (web decisions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<Category>>,
    /// What records may keep.
    pub privacy: Privacy,
    /// The rules that matched, in pack order.
    pub findings: Vec<Finding>,
}

impl Decision {
    /// A decision from its findings: the verdict is the strongest action among them.
    pub fn from_findings(
        findings: Vec<Finding>,
        privacy: Privacy,
        categories: Option<Vec<Category>>,
    ) -> Decision {
        let verdict = findings
            .iter()
            .map(|f| f.action)
            .max()
            .unwrap_or(Verdict::Allow);
        Decision {
            verdict,
            categories,
            privacy,
            findings,
        }
    }

    /// The finding that set the verdict: the first with the strongest action.
    pub fn deciding(&self) -> Option<&Finding> {
        self.findings.iter().find(|f| f.action == self.verdict)
    }
}
