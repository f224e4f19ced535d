//! Web decisions: which categories and URL lists a request falls in, and what the pack's web
//! rules make of that at that time for that person.

mod address;
mod builtin;
pub mod index;
mod lists;
pub mod search;
mod site;
pub mod site_model;
mod target;
mod upload;

pub use address::{NotWebAddress, parse_web_address};
pub use builtin::Builtin;
pub use charter_proto::percent::{Plus, percent_decode, percent_decode_lossy};
pub use index::{CategoryIndex, IndexBuilder, IndexError};
pub use lists::PackLists;
pub use search::{SearchEngines, SearchQuery};
pub use site::site_of;
pub use site_model::{SiteGuess, SiteModel, WithSiteModel};
pub use target::{Target, TargetError, normalise_host};
pub use upload::{UPLOAD_CATEGORIES, Upload, UploadFacts, upload_category};

use charter_policy::{Area, CategorySet, Check, Pack, Rule, Verdict};

use crate::text::assess::safeguarding_match;
use crate::text::embed::Nearest;
use crate::text::safeguarding::{Concern, search_concerns};
use crate::{Context, Decision, Engine, Finding, PassKind, Privacy};

/// What an engine compiles from its pack's `[web]` table: the search pages whose queries
/// `search_term` reads, and the pack's own category lists.
#[derive(Debug, Clone, Default)]
pub(crate) struct WebExtras {
    search: SearchEngines,
    lists: PackLists,
    reads_searches: bool,
}

impl WebExtras {
    pub(crate) fn new(pack: &Pack) -> WebExtras {
        WebExtras {
            search: SearchEngines::with_pack(&pack.web.search_engines),
            lists: PackLists::new(&pack.web.lists),
            reads_searches: pack
                .rules_on(Area::Web)
                .any(|r| r.checks.contains(&Check::SearchTerm)),
        }
    }
}

/// A search query in a request, the safeguarding phrases in it and the nearest example by
/// the embeddings, when a model is loaded.
#[derive(Debug)]
struct SearchHit {
    query: SearchQuery,
    concerns: Vec<Concern>,
    nearest: Option<Nearest>,
}

/// What a category source knows about one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// The categories of the host.
    pub categories: CategorySet,
    /// The names of the URL lists that match the URL.
    pub url_lists: Vec<String>,
    /// The site model's scores, for a host in no list when a model is loaded
    /// ([`WithSiteModel`]); only `unclassified_site` reads them.
    pub guess: Option<SiteGuess>,
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

    /// Whether the path of a request to `target`'s host can change its classification:
    /// `false` only when the source knows it holds no URL entry for the host.
    fn path_matters(&self, target: &Target) -> bool {
        let _ = target;
        true
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
    fn path_matters(&self, target: &Target) -> bool {
        (**self).path_matters(target)
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
    fn path_matters(&self, target: &Target) -> bool {
        (**self).path_matters(target)
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

    /// `classification` with the categories the pack's own lists give `target`.
    fn with_own_lists<'c>(
        &self,
        target: Option<&Target>,
        classification: &'c Classification,
    ) -> std::borrow::Cow<'c, Classification> {
        let own = target.map_or(CategorySet::EMPTY, |t| self.web.lists.classify(t));
        if own.is_empty() {
            return std::borrow::Cow::Borrowed(classification);
        }
        std::borrow::Cow::Owned(Classification {
            categories: classification.categories.union(own),
            url_lists: classification.url_lists.clone(),
            guess: classification.guess,
        })
    }

    /// Whether the path of a request to `target`'s host can change the decision: a URL entry
    /// for the host in `source` or the pack's lists, or a search engine's host when a rule
    /// reads searches. When it cannot, a request's decision holds for every path on the host
    /// (given the same person, time, passes and body), which callers may cache by host.
    pub fn path_matters(&self, target: &Target, source: &dyn CategorySource) -> bool {
        source.path_matters(target)
            || self.web.lists.has_urls_for(target)
            || (self.web.reads_searches && self.web.search.may_search(target))
    }

    /// Whether a request so classified is one whose body a gateway should read: it falls in
    /// an upload category ([`UPLOAD_CATEGORIES`]) and a web rule in force for `ctx` could
    /// find a `sensitive_upload` in it.
    pub fn wants_upload(
        &self,
        ctx: &Context,
        target: Option<&Target>,
        classification: &Classification,
    ) -> bool {
        let classification = &*self.with_own_lists(target, classification);
        upload_category(classification.categories)
            && self.rules_in_force(Area::Web, ctx).any(|rule| {
                rule.checks.contains(&Check::SensitiveUpload) && in_scope(rule, classification)
            })
    }

    /// The smallest `max_download_mb`, in bytes, of the `large_download` rules in force for
    /// `ctx` over a request so classified: a response larger than this gives a finding.
    /// `None` when no such rule applies, so a gateway need not count the response.
    pub fn download_limit(
        &self,
        ctx: &Context,
        target: Option<&Target>,
        classification: &Classification,
    ) -> Option<u64> {
        let classification = &*self.with_own_lists(target, classification);
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
        let classification = &*self.with_own_lists(target, classification);
        let search = target
            .filter(|_| self.web.reads_searches)
            .and_then(|t| self.web.search.query(t))
            .map(|query| SearchHit {
                concerns: search_concerns(&query.query),
                nearest: self.embeddings().and_then(|e| e.nearest(&query.query)),
                query,
            });
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
                let seen = Seen {
                    search: search.as_ref(),
                    upload: facts,
                };
                web_finding(rule, ctx, request, host, classification, seen)
            })
            .map(|finding| passed(finding, ctx, host))
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

/// What the engine read in a request beyond its URL's classification, for the checks that
/// ask: a search query, an upload's text.
#[derive(Debug, Clone, Copy)]
struct Seen<'a> {
    search: Option<&'a SearchHit>,
    upload: Option<&'a UploadFacts>,
}

/// A `warn` the person continued past, or a `hold` (or `warn`) an approver let them through,
/// on this site and until the pass ends: the finding stays, as `log`, saying so.
fn passed(mut finding: Finding, ctx: &Context, host: &str) -> Finding {
    if !matches!(finding.action, Verdict::Warn | Verdict::Hold) || ctx.passes.is_empty() {
        return finding;
    }
    let Some(pass) = ctx.pass_for(site_of(host), &finding.rule) else {
        return finding;
    };
    let why = match (pass.kind, finding.action) {
        (PassKind::Continued, Verdict::Warn) => "continued after the warning".to_string(),
        (PassKind::Approved(id), _) => format!("access approved (request {id})"),
        _ => return finding,
    };
    finding.action = Verdict::Log;
    finding.message = format!("{}: {why}", finding.message);
    finding
}

/// The finding `rule` makes about a request, if it matches.
fn web_finding(
    rule: &Rule,
    ctx: &Context,
    request: &WebRequest<'_>,
    host: &str,
    classification: &Classification,
    seen: Seen<'_>,
) -> Option<Finding> {
    if rule.checks.contains(&Check::UnclassifiedSite) {
        return site_model::finding(rule, host, classification);
    }
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
                let facts = seen.upload.filter(|f| f.any())?;
                special = Some(Finding::of(
                    rule,
                    *check,
                    format!("upload to {host} {}", facts.summary()),
                ));
            }
            Check::SearchTerm => {
                let hit = seen.search?;
                let (message, model) = safeguarding_match(
                    &hit.concerns,
                    hit.nearest.as_ref(),
                    crate::text::embed::DEFAULT_THRESHOLD,
                    &rule.phrase_lists,
                )?;
                special = Some(
                    Finding::of(
                        rule,
                        *check,
                        format!("{} search {message}", hit.query.engine),
                    )
                    .with_model(model),
                );
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

#[cfg(test)]
mod tests;
