//! What a request body sent to a public AI tool, webmail or file sharing carries, for
//! `sensitive_upload`: personal data (the mail detectors), a confidentiality marking, or a
//! name or term the pack lists. The gateway decodes the body to text (form fields, JSON
//! strings, textual multipart parts) within its byte limit; this reads that text.

use charter_policy::CategorySet;
pub use charter_policy::UPLOAD_CATEGORIES;

use crate::text::{self, marking, pii};

/// Lines looked at for a confidentiality marking, as in a mail body.
const MARKING_LINES: usize = 400;

/// The text of one request body, as a gateway decoded it.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    /// The body's text: form values, JSON strings, textual parts, one per line.
    pub text: &'a str,
    /// The body's bytes the gateway read (and decoded into `text`).
    pub read_bytes: u64,
    /// The body's length in bytes, when known.
    pub body_bytes: Option<u64>,
    /// Whether the gateway stopped reading at its limit: the rest was not scanned.
    pub cut: bool,
    /// Parts that could not be read as text (binary files), not scanned.
    pub unread_parts: u32,
}

/// What one upload was found to carry: counts and kinds, never the data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadFacts {
    /// Personal data by kind.
    pub pii: pii::PiiCounts,
    /// Whether a line is a confidentiality marking.
    pub marked: bool,
    /// How many of the pack's sensitive terms occur (each counted once).
    pub terms: u32,
    /// What was left unscanned, in words ("only the first 4194304 bytes of 9000000 were
    /// scanned"), if anything.
    pub unscanned: Option<String>,
}

impl UploadFacts {
    /// Scans `upload` for personal data, markings and `terms` (lowercased, white space
    /// folded, as `[web] sensitive_terms` are loaded).
    pub fn scan(upload: &Upload<'_>, terms: &[String]) -> UploadFacts {
        let mut normalised = String::with_capacity(upload.text.len() + 1);
        text::normalise_into(&mut normalised, upload.text, usize::MAX);
        let bytes = normalised.as_bytes();
        let terms = terms
            .iter()
            .filter(|term| occurs_as_words(bytes, term.as_bytes()))
            .count();
        let mut unscanned = Vec::new();
        if upload.cut {
            unscanned.push(match upload.body_bytes {
                Some(total) => format!(
                    "only the first {} bytes of {total} were scanned",
                    upload.read_bytes
                ),
                None => format!("only the first {} bytes were scanned", upload.read_bytes),
            });
        }
        if upload.unread_parts > 0 {
            unscanned.push(format!(
                "{} part{} not text, not scanned",
                upload.unread_parts,
                if upload.unread_parts == 1 { "" } else { "s" }
            ));
        }
        UploadFacts {
            pii: pii::scan(&normalised),
            marked: marking::marked_line(upload.text, MARKING_LINES),
            terms: u32::try_from(terms).unwrap_or(u32::MAX),
            unscanned: (!unscanned.is_empty()).then(|| unscanned.join("; ")),
        }
    }

    /// Whether the upload carries anything `sensitive_upload` is about.
    pub fn any(&self) -> bool {
        self.pii.any() || self.marked || self.terms > 0
    }

    /// "carries 1 National Insurance number, a confidentiality marking (only the first ...)".
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.pii.any() {
            parts.push(self.pii.summary());
        }
        if self.marked {
            parts.push("a confidentiality marking".to_string());
        }
        if self.terms > 0 {
            parts.push(format!(
                "{} term{} the policy lists",
                self.terms,
                if self.terms == 1 { "" } else { "s" }
            ));
        }
        let mut out = format!("carries {}", parts.join(", "));
        if let Some(unscanned) = &self.unscanned {
            out.push_str(&format!(" ({unscanned})"));
        }
        out
    }
}

/// Whether the categories of a request make its body worth reading.
pub fn upload_category(categories: CategorySet) -> bool {
    UPLOAD_CATEGORIES.iter().any(|c| categories.contains(*c))
}

fn occurs_as_words(text: &[u8], term: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = text::find(&text[from..], term).map(|p| from + p) {
        if text::on_word_boundary(text, at, at + term.len()) {
            return true;
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_policy::Category;

    fn upload(text: &str) -> Upload<'_> {
        Upload {
            text,
            read_bytes: text.len() as u64,
            body_bytes: Some(text.len() as u64),
            cut: false,
            unread_parts: 0,
        }
    }

    #[test]
    fn personal_data_is_counted_never_quoted() {
        let facts = UploadFacts::scan(&upload("Summarise: Jo Bloggs, NI AB 12 34 56 C"), &[]);
        assert_eq!(facts.pii.nino, 1);
        assert!(facts.any());
        assert_eq!(facts.summary(), "carries 1 National Insurance number");
    }

    #[test]
    fn markings_and_terms() {
        let terms = vec!["project falcon".to_string(), "acme".to_string()];
        let facts = UploadFacts::scan(
            &upload("CONFIDENTIAL\nDraft notes on Project  Falcon for Acmeco"),
            &terms,
        );
        assert!(facts.marked);
        assert_eq!(facts.terms, 1, "acme is not a word of acmeco");
        assert_eq!(
            facts.summary(),
            "carries a confidentiality marking, 1 term the policy lists"
        );
    }

    #[test]
    fn a_clean_upload_carries_nothing() {
        let facts = UploadFacts::scan(
            &upload("Write a haiku about confidential computing"),
            &["falcon".into()],
        );
        assert!(!facts.any(), "{facts:?}");
    }

    #[test]
    fn what_was_not_scanned_is_said() {
        let facts = UploadFacts::scan(
            &Upload {
                text: "AB123456C",
                read_bytes: 4096,
                body_bytes: Some(9_000_000),
                cut: true,
                unread_parts: 2,
            },
            &[],
        );
        assert_eq!(
            facts.summary(),
            "carries 1 National Insurance number (only the first 4096 bytes of 9000000 were scanned; 2 parts not text, not scanned)"
        );
    }

    #[test]
    fn upload_categories() {
        let mut set = CategorySet::default();
        assert!(!upload_category(set));
        set.insert(Category::PublicAi);
        assert!(upload_category(set));
    }
}
