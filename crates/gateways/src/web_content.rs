//! Decisions about what a web request carries beyond its URL: the response's size
//! (`large_download`, from ICAP RESPMOD or Squid's reply access) and the text of its body
//! (`sensitive_upload`, from ICAP REQMOD). Such a decision adds to the one already made on the
//! URL, so it keeps only the findings of its own check: a site's category is not judged, or
//! recorded, twice.

use charter_engine::web::{Classification, Target, WebRequest};
use charter_engine::{Context, Decision};
use charter_policy::Check;
use jiff::Timestamp;

use crate::web::{WebDecider, WebOutcome};

impl WebDecider<'_> {
    fn content_context(&self, user: Option<&str>, at: Timestamp) -> Context {
        self.context(user, at).0
    }

    fn classify(&self, url: &str) -> (Option<Target>, Classification) {
        let target = Target::parse(url).ok();
        let classification = target
            .as_ref()
            .map(|t| self.source.classify(t))
            .unwrap_or_default();
        (target, classification)
    }

    /// Whether a request for `url` by `user` is one whose body is worth reading: a public AI
    /// tool, webmail or file sharing site where a `sensitive_upload` rule is in force.
    pub fn wants_upload(&self, url: &str, user: Option<&str>) -> bool {
        let (target, classification) = self.classify(url);
        let ctx = self.content_context(user, self.clock.now());
        self.engine
            .wants_upload(&ctx, target.as_ref(), &classification)
    }

    /// The size in bytes over which a response to `url` for `user` gives a
    /// `large_download` finding; `None` when no rule would, so it need not be counted.
    pub fn download_limit(&self, url: &str, user: Option<&str>) -> Option<u64> {
        let (target, classification) = self.classify(url);
        let ctx = self.content_context(user, self.clock.now());
        self.engine
            .download_limit(&ctx, target.as_ref(), &classification)
    }

    /// Decides `request` (its size or its upload) for `user`, keeping only the findings of
    /// `check`.
    pub fn decide_content(
        &self,
        request: &WebRequest<'_>,
        user: Option<&str>,
        check: Check,
    ) -> WebOutcome {
        let at = self.clock.now();
        let ctx = self.content_context(user, at);
        let (target, classification) = self.classify(request.url);
        let decision =
            self.engine
                .decide_classified_web(&ctx, request, target.as_ref(), &classification);
        // A size or an upload is judged where no page can be shown (a response already
        // coming, a body already sent): a `warn` lets it through, a `hold` refuses.
        WebOutcome {
            decision: only(decision, check),
            at,
            valid_for_secs: None,
            page: None,
        }
    }
}

/// `decision` with only the findings of `check`, and the verdict they give.
fn only(decision: Decision, check: Check) -> Decision {
    let findings = decision
        .findings
        .into_iter()
        .filter(|f| f.check == check)
        .collect();
    Decision::from_findings(findings, decision.privacy, decision.categories)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::{Clock, Roles};
    use charter_engine::Engine;
    use charter_engine::web::{Builtin, Upload};
    use charter_policy::Verdict;

    const PACK: &str = r#"
[policy]
id = "t"
title = "T"
source = "T"
[organisation]
name = "T Ltd"
[[rule]]
id = "ai"
clause = "1"
on = "web"
categories = ["public_ai"]
action = "log"
severity = "info"
[[rule]]
id = "ai-uploads"
clause = "2"
on = "web"
categories = ["public_ai"]
checks = ["sensitive_upload"]
action = "block"
severity = "misconduct"
[[rule]]
id = "big"
clause = "3"
on = "web"
checks = ["large_download"]
max_download_mb = 1
action = "warn"
severity = "concern"
"#;

    #[test]
    fn content_decisions_keep_only_their_check() {
        let engine = Engine::new(charter_policy::parse(PACK, "t.toml").unwrap());
        let source = Builtin::new();
        let roles = Roles::default();
        let decider = WebDecider::new(
            &engine,
            &source,
            Clock::Fixed("2026-06-15T09:00:00Z".parse().unwrap()),
            &roles,
        );
        let url = "https://chat.openai.com/c";
        assert!(decider.wants_upload(url, Some("ann")));
        assert!(!decider.wants_upload("https://example.org/", Some("ann")));
        assert_eq!(decider.download_limit(url, None), Some(1024 * 1024));
        let upload = WebRequest {
            upload: Some(Upload {
                text: "NI AB123456C",
                read_bytes: 12,
                body_bytes: Some(12),
                cut: false,
                unread_parts: 0,
            }),
            size_bytes: Some(5 * 1024 * 1024),
            ..WebRequest::new(url)
        };
        let d = decider
            .decide_content(&upload, Some("ann"), Check::SensitiveUpload)
            .decision;
        assert_eq!(d.verdict, Verdict::Block);
        assert_eq!(d.findings.len(), 1, "not the category's log, nor the size");
        let d = decider
            .decide_content(&upload, Some("ann"), Check::LargeDownload)
            .decision;
        assert_eq!(
            (d.verdict, d.findings[0].rule.as_str()),
            (Verdict::Warn, "big")
        );
        let clean = decider
            .decide_content(&WebRequest::new(url), None, Check::LargeDownload)
            .decision;
        assert_eq!((clean.verdict, clean.findings.len()), (Verdict::Allow, 0));
    }
}
