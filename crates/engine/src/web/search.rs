//! Search queries in URLs: which search engine or video site a request is for, and what was
//! searched for, read from the page's query parameter (`q` for Google, Bing, DuckDuckGo and
//! Ecosia, `p` for Yahoo, `search_query` for YouTube) plus the search pages a pack adds.
//!
//! Hosts match on label boundaries (`www.bing.com` and `cn.bing.com` are Bing,
//! `notbing.com` is not); Google also under its country domains (`google.co.uk`,
//! `google.com.au`, `google.de`). Only the engines' search paths count, so Google's
//! `/url?q=https://...` redirect is not a search.

use charter_policy::SearchEngine;

use super::target::Target;
use charter_proto::percent::{Plus, percent_decode_lossy};

/// At most this many bytes of a query parameter are read.
pub const MAX_RAW_QUERY_BYTES: usize = 4096;
/// At most this many bytes of a decoded query are kept and checked.
pub const MAX_QUERY_BYTES: usize = 1024;

/// How a search page's host is recognised.
#[derive(Debug, Clone)]
enum Host {
    /// This domain or a subdomain of it.
    Domain(String),
    /// A `google` label followed by a country or generic ending (`google.com`,
    /// `google.co.uk`, `suggestqueries.google.com`).
    Google,
}

/// One search page: host, path prefixes (none: any path) and the query parameter.
#[derive(Debug, Clone)]
struct Page {
    name: String,
    host: Host,
    paths: Vec<String>,
    param: String,
}

/// A query found in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// The engine's name (`Google`, or the name a pack gave).
    pub engine: String,
    /// What was searched for, decoded (`+` as space), at most [`MAX_QUERY_BYTES`].
    pub query: String,
}

/// The search pages the engine reads queries from.
#[derive(Debug, Clone)]
pub struct SearchEngines {
    pages: Vec<Page>,
}

impl Default for SearchEngines {
    fn default() -> Self {
        SearchEngines::builtin()
    }
}

impl SearchEngines {
    /// Google, Bing, DuckDuckGo, Yahoo, Ecosia and YouTube.
    pub fn builtin() -> SearchEngines {
        let page = |name: &str, host: Host, paths: &[&str], param: &str| Page {
            name: name.to_string(),
            host,
            paths: paths.iter().map(|p| p.to_string()).collect(),
            param: param.to_string(),
        };
        let domain = |d: &str| Host::Domain(d.to_string());
        SearchEngines {
            pages: vec![
                page(
                    "Google",
                    Host::Google,
                    &["/search", "/complete/search"],
                    "q",
                ),
                page(
                    "Bing",
                    domain("bing.com"),
                    &[
                        "/search",
                        "/images/search",
                        "/videos/search",
                        "/news/search",
                    ],
                    "q",
                ),
                page("DuckDuckGo", domain("duckduckgo.com"), &[], "q"),
                page("Yahoo", domain("search.yahoo.com"), &["/search"], "p"),
                page(
                    "Ecosia",
                    domain("ecosia.org"),
                    &["/search", "/images", "/videos", "/news"],
                    "q",
                ),
                page(
                    "YouTube",
                    domain("youtube.com"),
                    &["/results"],
                    "search_query",
                ),
            ],
        }
    }

    /// The built-in engines and the pack's `[[web.search_engines]]`.
    pub fn with_pack(extra: &[SearchEngine]) -> SearchEngines {
        let mut engines = SearchEngines::builtin();
        engines.pages.extend(extra.iter().map(|e| Page {
            name: e.name.clone(),
            host: Host::Domain(e.host.clone()),
            paths: e.path.iter().cloned().collect(),
            param: e.param.clone(),
        }));
        engines
    }

    /// Whether a request to `target`'s host could be a search on a known engine (on some
    /// path).
    pub fn may_search(&self, target: &Target) -> bool {
        !target.is_ip_literal() && self.pages.iter().any(|p| p.host.matches(target.host()))
    }

    /// The query `target` carries, when it is a search on a known engine with a non-empty
    /// query.
    pub fn query(&self, target: &Target) -> Option<SearchQuery> {
        if target.is_ip_literal() {
            return None;
        }
        let host = target.host();
        let (path, query) = target.path().split_once('?')?;
        self.pages
            .iter()
            .filter(|p| p.host.matches(host) && p.on_path(path))
            .find_map(|p| {
                let value = param_value(query, &p.param)?;
                Some(SearchQuery {
                    engine: p.name.clone(),
                    query: value,
                })
            })
    }
}

impl Host {
    fn matches(&self, host: &str) -> bool {
        match self {
            Host::Domain(domain) => on_label_boundary(host, domain),
            Host::Google => is_google(host),
        }
    }
}

impl Page {
    fn on_path(&self, path: &str) -> bool {
        self.paths.is_empty()
            || self.paths.iter().any(|prefix| {
                path.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', ';']))
            })
    }
}

/// Whether `host` is `domain` or one of its subdomains.
fn on_label_boundary(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|head| head.is_empty() || head.ends_with('.'))
}

/// Whether `host` is Google's: a `google` label followed by one ending label (`com`, `de`)
/// or by `co`/`com` and a country (`co.uk`, `com.au`).
fn is_google(host: &str) -> bool {
    let mut from = 0;
    while let Some(at) = host[from..].find("google.") {
        let start = from + at;
        let rest = &host[start + "google.".len()..];
        let label_start = start == 0 || host.as_bytes()[start - 1] == b'.';
        let alpha = |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_lowercase());
        let ending = match rest.split_once('.') {
            None => alpha(rest) && rest.len() <= 3,
            Some((second, country)) => {
                matches!(second, "co" | "com") && alpha(country) && country.len() == 2
            }
        };
        if label_start && ending {
            return true;
        }
        from = start + 1;
    }
    false
}

/// The first non-empty value of `param` in a query string, decoded, trimmed and cut to
/// [`MAX_QUERY_BYTES`].
fn param_value(query: &str, param: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| *key == param)
        .find_map(|(_, raw)| {
            let raw = &raw[..raw.floor_char_boundary(MAX_RAW_QUERY_BYTES)];
            let decoded = percent_decode_lossy(raw, Plus::Space);
            let text = decoded.trim();
            (!text.is_empty())
                .then(|| text[..text.floor_char_boundary(MAX_QUERY_BYTES)].to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(url: &str) -> Option<(String, String)> {
        let target = Target::parse(url).unwrap();
        SearchEngines::builtin()
            .query(&target)
            .map(|q| (q.engine, q.query))
    }

    fn found(engine: &str, text: &str) -> Option<(String, String)> {
        Some((engine.to_string(), text.to_string()))
    }

    #[test]
    fn each_engine_and_its_parameter() {
        assert_eq!(
            query("https://www.google.com/search?q=how+to+tie+a+tie&hl=en"),
            found("Google", "how to tie a tie")
        );
        assert_eq!(
            query("https://www.bing.com/search?form=QBLH&q=caf%C3%A9+near+me"),
            found("Bing", "caf\u{e9} near me")
        );
        assert_eq!(
            query("https://duckduckgo.com/?q=rust+book&ia=web"),
            found("DuckDuckGo", "rust book")
        );
        assert_eq!(
            query("https://html.duckduckgo.com/html/?q=rust"),
            found("DuckDuckGo", "rust")
        );
        assert_eq!(
            query("https://uk.search.yahoo.com/search;_ylt=abc?p=weather+leeds&fr=yfp"),
            found("Yahoo", "weather leeds")
        );
        assert_eq!(
            query("https://www.ecosia.org/search?method=index&q=trees"),
            found("Ecosia", "trees")
        );
        assert_eq!(
            query("https://m.youtube.com/results?search_query=lofi+beats"),
            found("YouTube", "lofi beats")
        );
    }

    #[test]
    fn google_country_domains_and_suggestions() {
        for host in [
            "www.google.co.uk",
            "google.de",
            "www.google.com.au",
            "suggestqueries.google.com",
        ] {
            let path = if host.starts_with("suggest") {
                "/complete/search"
            } else {
                "/search"
            };
            assert_eq!(
                query(&format!("https://{host}{path}?q=x")),
                found("Google", "x"),
                "{host}"
            );
        }
    }

    #[test]
    fn lookalike_hosts_and_other_paths_are_not_searches() {
        assert_eq!(query("https://notgoogle.com/search?q=x"), None);
        assert_eq!(query("https://google.com.evil.example/search?q=x"), None);
        assert_eq!(query("https://www.google.com.evil.io/search?q=x"), None);
        assert_eq!(query("https://mybing.com/search?q=x"), None);
        assert_eq!(
            query("https://www.google.com/url?q=https://example.org/"),
            None
        );
        assert_eq!(query("https://www.google.com/searchy?q=x"), None);
        assert_eq!(query("https://www.youtube.com/watch?v=abc&q=x"), None);
        assert_eq!(query("https://search.yahoo.com/search?q=x"), None);
        assert_eq!(query("https://www.google.com/search?q="), None);
        assert_eq!(query("https://www.google.com/search"), None);
        assert_eq!(query("http://142.250.1.1/search?q=x"), None);
    }

    #[test]
    fn queries_are_decoded_once_and_cut_to_the_limit() {
        assert_eq!(
            query("https://www.google.com/search?q=100%25+sure%2Bsafe"),
            found("Google", "100% sure+safe")
        );
        // %2525 is a literal `%25`: decoded once, not twice.
        assert_eq!(
            query("https://www.google.com/search?q=a%2525b"),
            found("Google", "a%25b")
        );
        let long = format!("https://www.google.com/search?q={}", "ab+".repeat(5000));
        let (_, text) = query(&long).unwrap();
        assert!(text.len() <= MAX_QUERY_BYTES, "{}", text.len());
        let wide = format!("https://www.google.com/search?q={}", "%C3%A9".repeat(1000));
        let (_, text) = query(&wide).unwrap();
        assert!(text.len() <= MAX_QUERY_BYTES && text.chars().all(|c| c == '\u{e9}'));
    }

    #[test]
    fn pack_engines_are_added() {
        let engines = SearchEngines::with_pack(&[SearchEngine {
            name: "Kiddle".to_string(),
            host: "kiddle.co".to_string(),
            path: Some("/s.php".to_string()),
            param: "q".to_string(),
        }]);
        let hit = |url: &str| engines.query(&Target::parse(url).unwrap());
        assert_eq!(
            hit("https://www.kiddle.co/s.php?q=volcano").map(|q| q.engine),
            Some("Kiddle".to_string())
        );
        assert_eq!(hit("https://www.kiddle.co/other?q=volcano"), None);
        assert!(hit("https://www.google.com/search?q=x").is_some());
    }
}
