//! Web decisions: which categories and URL lists a request falls in, and what the pack's web
//! rules make of that at that time for that person.

mod address;
mod builtin;
pub mod index;
mod target;
mod upload;

pub use address::{NotWebAddress, parse_web_address};
pub use builtin::Builtin;
pub use index::{CategoryIndex, IndexBuilder, IndexError};
pub use target::{Target, TargetError, normalise_host};
pub use upload::{UPLOAD_CATEGORIES, Upload, UploadFacts, upload_category};

use charter_policy::{Area, CategorySet, Check, Rule};

use crate::{Context, Decision, Engine, Finding, Privacy};

/// What a category source knows about one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// The categories of the host.
    pub categories: CategorySet,
    /// The names of the URL lists that match the URL.
    pub url_lists: Vec<String>,
}

/// Something that classifies hosts and URLs: the built-in list, or an index built from
/// squidGuard/UT1 lists.
pub trait CategorySource {
    /// The categories and URL lists `target` falls in.
    fn classify(&self, target: &Target) -> Classification;

    /// Every list entry that matches `target` and which lists hold it, for
    /// `charter categories lookup`. Sources that cannot say return nothing.
    fn explain(&self, target: &Target) -> Vec<Match> {
        let _ = target;
        Vec::new()
    }

    /// A version that changes whenever the lists change (ICAP's `ISTag`).
    fn version(&self) -> String {
        "builtin".to_string()
    }
}

/// How a list entry matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A domain entry: the host is the entry or one of its subdomains.
    Domain,
    /// A domain entry `www.HOST` matched a request for `HOST`.
    WwwTwin,
    /// A URL entry: same host, path prefix.
    Url,
}

/// One list entry that matched a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// How it matched.
    pub kind: EntryKind,
    /// The entry, normalised (`bet365.com`, `example.org/casino/`).
    pub entry: String,
    /// The lists holding it (`gambling`, `arjel`).
    pub lists: Vec<String>,
    /// The categories they give.
    pub categories: CategorySet,
    /// The named URL lists among them.
    pub url_lists: Vec<String>,
}

/// Opens `--categories PATH`: an index file from `charter categories build`, or a
/// directory in the squidGuard/UT1 layout (compiled in memory, which takes a second or two
/// for UT1; build an index once for fast starts).
pub fn open_categories(
    path: &std::path::Path,
) -> Result<Box<dyn CategorySource + Send + Sync>, IndexError> {
    let index = if path.is_dir() {
        CategoryIndex::from_squidguard_dir(path)?
    } else {
        CategoryIndex::open(path)?
    };
    Ok(Box::new(index))
}

impl<T: CategorySource + ?Sized> CategorySource for Box<T> {
    fn classify(&self, target: &Target) -> Classification {
        (**self).classify(target)
    }
    fn explain(&self, target: &Target) -> Vec<Match> {
        (**self).explain(target)
    }
    fn version(&self) -> String {
        (**self).version()
    }
}

impl<T: CategorySource + ?Sized> CategorySource for std::sync::Arc<T> {
    fn classify(&self, target: &Target) -> Classification {
        (**self).classify(target)
    }
    fn explain(&self, target: &Target) -> Vec<Match> {
        (**self).explain(target)
    }
    fn version(&self) -> String {
        (**self).version()
    }
}

/// One web request as the gateway saw it.
#[derive(Debug, Clone)]
pub struct WebRequest<'a> {
    /// The URL, absolute (`http://host/path`), authority form (`host:443`) or a bare host.
    pub url: &'a str,
    /// The response size in bytes, when known (for `large_download`).
    pub size_bytes: Option<u64>,
    /// The text of the request's body, when a gateway read it (for `sensitive_upload`).
    pub upload: Option<Upload<'a>>,
}

impl<'a> WebRequest<'a> {
    /// A request for `url` of unknown size.
    pub fn new(url: &'a str) -> Self {
        WebRequest {
            url,
            size_bytes: None,
            upload: None,
        }
    }
}

impl Engine {
    /// Decides one web request. A URL that cannot be parsed matches no category and is
    /// decided on the remaining rules (such as `unknown_user`).
    pub fn decide_web(
        &self,
        ctx: &Context,
        request: &WebRequest<'_>,
        source: &dyn CategorySource,
    ) -> Decision {
        let target = Target::parse(request.url).ok();
        let classification = target
            .as_ref()
            .map(|t| source.classify(t))
            .unwrap_or_default();
        self.decide_classified_web(ctx, request, target.as_ref(), &classification)
    }

    /// Whether a request so classified is one whose body a gateway should read: it falls in
    /// an upload category ([`UPLOAD_CATEGORIES`]) and a web rule in force for `ctx` could
    /// find a `sensitive_upload` in it.
    pub fn wants_upload(&self, ctx: &Context, classification: &Classification) -> bool {
        upload_category(classification.categories)
            && self.rules_in_force(Area::Web, ctx).any(|rule| {
                rule.checks.contains(&Check::SensitiveUpload) && in_scope(rule, classification)
            })
    }

    /// The smallest `max_download_mb`, in bytes, of the `large_download` rules in force for
    /// `ctx` over a request so classified: a response larger than this gives a finding.
    /// `None` when no such rule applies, so a gateway need not count the response.
    pub fn download_limit(&self, ctx: &Context, classification: &Classification) -> Option<u64> {
        self.rules_in_force(Area::Web, ctx)
            .filter(|rule| {
                rule.checks.contains(&Check::LargeDownload) && in_scope(rule, classification)
            })
            .map(|rule| rule.max_download_mb.unwrap_or(0).saturating_mul(MIB))
            .min()
    }

    /// Decides a request that is already classified (gateways that cache classifications).
    pub fn decide_classified_web(
        &self,
        ctx: &Context,
        request: &WebRequest<'_>,
        target: Option<&Target>,
        classification: &Classification,
    ) -> Decision {
        let host = target.map_or(request.url, |t| t.host());
        // Scanned once for every rule that asks, and only if one does.
        let mut upload = None;
        let findings = self
            .rules_in_force(Area::Web, ctx)
            .filter_map(|rule| {
                let facts = if rule.checks.contains(&Check::SensitiveUpload) {
                    request.upload.as_ref().map(|u| {
                        &*upload.get_or_insert_with(|| {
                            UploadFacts::scan(u, &self.pack().web.sensitive_terms)
                        })
                    })
                } else {
                    None
                };
                web_finding(rule, ctx, request, host, classification, facts)
            })
            .collect();
        Decision::from_findings(
            findings,
            Privacy::Full,
            Some(classification.categories.iter().collect()),
        )
    }
}

const MIB: u64 = 1024 * 1024;

/// Whether a request so classified is one `rule` speaks of: the rule names none of its
/// categories and URL lists (it speaks of every request), or one of them matches.
fn in_scope(rule: &Rule, classification: &Classification) -> bool {
    let unscoped = rule.categories.is_empty() && rule.url_lists.is_empty();
    unscoped
        || !rule
            .categories
            .intersection(classification.categories)
            .is_empty()
        || rule
            .url_lists
            .iter()
            .any(|name| classification.url_lists.contains(name))
}

/// The finding `rule` makes about a request, if it matches.
fn web_finding(
    rule: &Rule,
    ctx: &Context,
    request: &WebRequest<'_>,
    host: &str,
    classification: &Classification,
    upload: Option<&UploadFacts>,
) -> Option<Finding> {
    if !in_scope(rule, classification) {
        return None;
    }
    let categories = rule.categories.intersection(classification.categories);
    let list = rule
        .url_lists
        .iter()
        .find(|name| classification.url_lists.contains(name));
    let mut special = None;
    for check in &rule.checks {
        match check {
            Check::LargeDownload => {
                let limit = rule.max_download_mb.unwrap_or(0) * MIB;
                let size = request.size_bytes.filter(|size| *size > limit)?;
                special = Some(Finding::of(
                    rule,
                    *check,
                    format!(
                        "download of {} MB from {host} is over the {} MB limit",
                        size.div_ceil(MIB),
                        rule.max_download_mb.unwrap_or(0)
                    ),
                ));
            }
            Check::SensitiveUpload => {
                let facts = upload.filter(|f| f.any())?;
                special = Some(Finding::of(
                    rule,
                    *check,
                    format!("upload to {host} {}", facts.summary()),
                ));
            }
            Check::UnknownUser => {
                if !ctx.is_unidentified() {
                    return None;
                }
                special = Some(Finding::of(
                    rule,
                    *check,
                    format!("request to {host} from an unidentified user"),
                ));
            }
            _ => {}
        }
    }
    if let Some(finding) = special {
        return Some(finding);
    }
    let names = |set: CategorySet| {
        set.iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(match (list, rule.window.is_some()) {
        (Some(list), _) => Finding::of(
            rule,
            Check::UrlListMatch,
            format!("{} is on the {list} URL list", request.url),
        ),
        (None, true) => Finding::of(
            rule,
            Check::RestrictedOutsideWindow,
            format!(
                "{} site {host} at a time the policy does not allow",
                names(categories)
            ),
        ),
        (None, false) => Finding::of(
            rule,
            Check::ProhibitedCategory,
            format!("{} site {host}", names(categories)),
        ),
    })
}
