//! A pack's own category lists (`[web.lists]`): hosts and `host/path` prefixes per
//! category, applied on top of the category index. They are small (a school's own
//! additions), so a hash map of hosts and a scan of URL prefixes do. Entries are read as
//! index entries are (scheme, userinfo, port and `*.` dropped; paths compared without case).

use std::collections::{BTreeMap, HashMap};

use charter_policy::{Category, CategorySet};

use super::index::{entry_host, split_entry};
use super::target::Target;

/// The pack's category entries, normalised like index entries.
#[derive(Debug, Clone, Default)]
pub struct PackLists {
    domains: HashMap<String, CategorySet>,
    urls: Vec<(String, String, CategorySet)>,
}

/// `www.` is dropped from entries and requests alike, as the index's www twin does.
fn without_www(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

impl PackLists {
    /// Compiles `[web.lists]`. Entries whose host does not normalise are left out (the
    /// loader already refused the malformed ones).
    pub fn new(lists: &BTreeMap<Category, Vec<String>>) -> PackLists {
        let mut out = PackLists::default();
        for (category, entries) in lists {
            for entry in entries {
                let (authority, path) = split_entry(entry.trim());
                let Ok(host) = entry_host(authority) else {
                    continue;
                };
                let host = without_www(&host).to_string();
                if path.is_empty() || path == "/" {
                    out.domains.entry(host).or_default().insert(*category);
                } else {
                    out.urls
                        .push((host, path.to_ascii_lowercase(), CategorySet::of(*category)));
                }
            }
        }
        out
    }

    /// Whether the pack lists anything.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty() && self.urls.is_empty()
    }

    /// The categories whose lists hold at least one entry.
    pub fn categories(&self) -> CategorySet {
        self.domains
            .values()
            .chain(self.urls.iter().map(|(_, _, set)| set))
            .fold(CategorySet::EMPTY, |all, set| all.union(*set))
    }

    /// Whether a URL entry names `target`'s host (so the path can change the categories).
    pub fn has_urls_for(&self, target: &Target) -> bool {
        let host = without_www(target.host());
        self.urls
            .iter()
            .any(|(entry_host, _, _)| entry_host == host)
    }

    /// The categories the pack's lists give `target`: domain entries match the host and its
    /// subdomains, URL entries the same host and a path prefix ending at `/`, `?` or the end.
    pub fn classify(&self, target: &Target) -> CategorySet {
        if self.is_empty() {
            return CategorySet::EMPTY;
        }
        let mut set = CategorySet::EMPTY;
        for suffix in target.host_suffixes() {
            if let Some(found) = self.domains.get(without_www(suffix)) {
                set = set.union(*found);
            }
        }
        let host = without_www(target.host());
        let path = target.path();
        for (entry_host, prefix, found) in &self.urls {
            let on_prefix = path.len() >= prefix.len()
                && path.is_char_boundary(prefix.len())
                && path[..prefix.len()].eq_ignore_ascii_case(prefix)
                && (path.len() == prefix.len()
                    || prefix.ends_with('/')
                    || path[prefix.len()..].starts_with(['/', '?']));
            if entry_host == host && on_prefix {
                set = set.union(*found);
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> PackLists {
        let mut map = BTreeMap::new();
        map.insert(
            Category::Extremism,
            vec![
                "extreme.example".to_string(),
                "www.forum.example/board/banned-group".to_string(),
            ],
        );
        map.insert(Category::SelfHarm, vec!["harm.example".to_string()]);
        PackLists::new(&map)
    }

    fn cats(url: &str) -> Vec<Category> {
        lists()
            .classify(&Target::parse(url).unwrap())
            .iter()
            .collect()
    }

    #[test]
    fn hosts_match_with_subdomains_on_label_boundaries() {
        assert_eq!(cats("https://extreme.example/"), [Category::Extremism]);
        assert_eq!(cats("https://www.extreme.example/x"), [Category::Extremism]);
        assert_eq!(cats("https://a.harm.example/"), [Category::SelfHarm]);
        assert!(cats("https://notextreme.example/").is_empty());
    }

    #[test]
    fn url_entries_match_their_path_only() {
        assert_eq!(
            cats("https://forum.example/board/banned-group?page=2"),
            [Category::Extremism]
        );
        assert_eq!(
            cats("https://www.forum.example/Board/Banned-Group/t/1"),
            [Category::Extremism]
        );
        assert!(cats("https://forum.example/board/banned-groupie").is_empty());
        assert!(cats("https://forum.example/board/").is_empty());
    }

    #[test]
    fn categories_lists_what_is_filled() {
        let set = lists().categories();
        assert!(set.contains(Category::Extremism) && set.contains(Category::SelfHarm));
        assert!(!set.contains(Category::Adult));
        assert!(PackLists::default().categories().is_empty());
    }
}
