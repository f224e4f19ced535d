//! Training and measuring the site model: the hosts of a squidGuard/UT1 directory with their
//! categories, every tenth registrable domain held out, and one logistic regression per
//! category fitted by stochastic gradient descent, deterministically (a fixed shuffle), so
//! the same lists always give the same model and the same version.

use std::collections::BTreeMap;
use std::path::Path;

use charter_policy::{Category, CategorySet};

use super::{
    BITS, CATEGORIES, MAX_GRAM, MAX_PADDED, MIN_GRAM, SiteModel, fnv, for_each_bucket, sigmoid,
};
use crate::web::index::{IndexError, entry_host, list_category, split_entry};
use crate::web::site_of;

/// Categories with fewer training hosts than this are left out of the model: too few to
/// learn from, and a score from them would mislead.
pub const MIN_HOSTS: usize = 30;

/// Passes over the training hosts.
const EPOCHS: usize = 6;

/// The first pass's step; pass `e` takes `LEARNING_RATE / (1 + e)`.
const LEARNING_RATE: f32 = 0.5;

/// A host and the categories its lists give it (none: an example of no category).
pub type LabelledHost = (String, CategorySet);

/// The hosts of a set of lists and the categories each is listed under; hosts of lists with
/// no Charter category (UT1's `sports`, `liste_blanche`, ...) are kept with no category, as
/// examples of what a category is not.
#[derive(Debug, Clone, Default)]
pub struct TrainingSet {
    hosts: Vec<LabelledHost>,
    from: String,
}

impl TrainingSet {
    /// The domains of every list in a squidGuard/UT1 directory, mapped as
    /// `charter categories build` maps them (`extra` overrides or adds to UT1's map).
    pub fn from_squidguard_dir(
        dir: &Path,
        extra: &[(String, Category)],
    ) -> Result<TrainingSet, IndexError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IndexError::Io { path, source }
        };
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("domains").is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        if names.is_empty() {
            return Err(IndexError::NoLists(dir.to_path_buf()));
        }
        let mut hosts: BTreeMap<String, CategorySet> = BTreeMap::new();
        for name in names {
            let categories =
                list_category(&name, extra).map_or(CategorySet::EMPTY, CategorySet::of);
            let path = dir.join(&name).join("domains");
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            for line in String::from_utf8_lossy(&bytes).lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let Ok(host) = entry_host(split_entry(line).0) else {
                    continue;
                };
                if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
                    continue;
                }
                let entry = hosts.entry(host).or_default();
                *entry = entry.union(categories);
            }
        }
        Ok(TrainingSet {
            hosts: hosts.into_iter().collect(),
            from: dir.display().to_string(),
        })
    }

    /// A set from hosts and their categories (a host with none is a negative example).
    pub fn from_hosts(
        hosts: impl IntoIterator<Item = (String, CategorySet)>,
        from: &str,
    ) -> TrainingSet {
        let mut map: BTreeMap<String, CategorySet> = BTreeMap::new();
        for (host, categories) in hosts {
            let entry = map.entry(host).or_default();
            *entry = entry.union(categories);
        }
        TrainingSet {
            hosts: map.into_iter().collect(),
            from: from.to_string(),
        }
    }

    /// How many distinct hosts.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// Whether a host is in the held-out tenth: chosen by its registrable domain, so that
    /// `a.example.com` and `b.example.com` never sit on both sides.
    fn held_out(host: &str) -> bool {
        fnv(site_of(host).as_bytes()).is_multiple_of(10)
    }

    /// The nine tenths to train on and the tenth held out to measure.
    pub fn split(&self) -> (Vec<&LabelledHost>, Vec<&LabelledHost>) {
        self.hosts
            .iter()
            .partition(|(host, _)| !Self::held_out(host))
    }
}

/// A small deterministic generator for the shuffle (xorshift64*).
struct Shuffler(u64);

impl Shuffler {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Trains a model on `hosts` (the training side of [`TrainingSet::split`]), with a category
/// for each Charter category that at least [`MIN_HOSTS`] of them carry.
pub fn train(hosts: &[&LabelledHost], set: &TrainingSet) -> SiteModel {
    let categories: Vec<Category> = Category::ALL
        .iter()
        .copied()
        .filter(|c| {
            hosts
                .iter()
                .filter(|(_, labels)| labels.contains(*c))
                .count()
                >= MIN_HOSTS
        })
        .collect();
    let k = categories.len();
    let mut bias = vec![0f32; k];
    let mut weights = vec![0f32; k << BITS];
    let mut order: Vec<usize> = (0..hosts.len()).collect();
    let mut shuffler = Shuffler(0x9e37_79b9_7f4a_7c15);
    let mut buckets = [0usize; MAX_PADDED * (MAX_GRAM - MIN_GRAM + 1)];
    for epoch in 0..EPOCHS {
        shuffler.shuffle(&mut order);
        let rate = LEARNING_RATE / (1.0 + epoch as f32);
        for &i in &order {
            let (host, labels) = hosts[i];
            let mut n = 0;
            for_each_bucket(host, |b| {
                buckets[n] = b;
                n += 1;
            });
            let buckets = &buckets[..n];
            let scale = 1.0 / (n.max(1) as f32).sqrt();
            let mut z = [0f32; CATEGORIES];
            z[..k].copy_from_slice(&bias);
            for &b in buckets {
                for (z, w) in z.iter_mut().zip(&weights[b * k..b * k + k]) {
                    *z += w * scale;
                }
            }
            let mut step = [0f32; CATEGORIES];
            for (j, category) in categories.iter().enumerate() {
                let y = if labels.contains(*category) { 1.0 } else { 0.0 };
                step[j] = rate * (sigmoid(z[j]) - y);
                bias[j] -= step[j];
            }
            for &b in buckets {
                for (w, s) in weights[b * k..b * k + k].iter_mut().zip(&step) {
                    *w -= s * scale;
                }
            }
        }
    }
    SiteModel::quantised(categories, bias, &weights, set.from.clone())
}

/// How the model did on one category of the held-out hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryFigures {
    /// The category.
    pub category: Category,
    /// Held-out hosts listed under it.
    pub hosts: usize,
    /// Of those, how many the model put in it.
    pub found: usize,
    /// Held-out hosts the model put in it that are not listed under it.
    pub wrong: usize,
}

impl CategoryFigures {
    /// Of the hosts the model put in the category, the share listed under it.
    pub fn precision(&self) -> f64 {
        ratio(self.found, self.found + self.wrong)
    }

    /// Of the hosts listed under the category, the share the model put in it.
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.hosts)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// What [`evaluate`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The score at or above which a host was put in a category.
    pub threshold: f64,
    /// Held-out hosts measured.
    pub hosts: usize,
    /// One line per category of the model.
    pub categories: Vec<CategoryFigures>,
    /// Held-out hosts listed under no category of the model.
    pub uncategorised: usize,
    /// Of those, how many the model put in some category.
    pub uncategorised_flagged: usize,
}

/// Scores every held-out host: a host is put in each category it scores at least `threshold`
/// for, as the `unclassified_site` check does.
pub fn evaluate(model: &SiteModel, held_out: &[&LabelledHost], threshold: f64) -> Evaluation {
    let mut figures: Vec<CategoryFigures> = model
        .categories
        .iter()
        .map(|c| CategoryFigures {
            category: *c,
            hosts: 0,
            found: 0,
            wrong: 0,
        })
        .collect();
    let modelled: CategorySet = model.categories.iter().copied().collect();
    let (mut uncategorised, mut flagged) = (0, 0);
    for (host, labels) in held_out {
        let guess = model.guess(host);
        let mut any = false;
        for f in &mut figures {
            let listed = labels.contains(f.category);
            let put = guess.score(f.category) >= threshold;
            any |= put;
            f.hosts += usize::from(listed);
            f.found += usize::from(listed && put);
            f.wrong += usize::from(!listed && put);
        }
        if labels.intersection(modelled).is_empty() {
            uncategorised += 1;
            flagged += usize::from(any);
        }
    }
    Evaluation {
        threshold,
        hosts: held_out.len(),
        categories: figures,
        uncategorised,
        uncategorised_flagged: flagged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> TrainingSet {
        let mut hosts = Vec::new();
        for i in 0..300 {
            hosts.push((
                format!("casino{i}bet.com"),
                CategorySet::of(Category::Gambling),
            ));
            hosts.push((
                format!("poker{i}slots.net"),
                CategorySet::of(Category::Gambling),
            ));
            hosts.push((
                format!("jobs{i}careers.org"),
                CategorySet::of(Category::Jobsearch),
            ));
            hosts.push((format!("plumbing{i}supplies.co.uk"), CategorySet::EMPTY));
        }
        TrainingSet::from_hosts(hosts, "test")
    }

    #[test]
    fn learns_words_in_hosts() {
        let set = set();
        let (training, held_out) = set.split();
        assert!(!held_out.is_empty() && training.len() > held_out.len() * 5);
        let model = train(&training, &set);
        assert_eq!(
            model.categories(),
            [Category::Gambling, Category::Jobsearch]
        );
        let guess = model.guess("mega-casino-bet.xyz");
        assert!(guess.score(Category::Gambling) > 0.9, "{guess:?}");
        assert!(guess.score(Category::Jobsearch) < 0.1, "{guess:?}");
        let plain = model.guess("plumbing-supplies.co.uk");
        assert!(plain.score(Category::Gambling) < 0.1, "{plain:?}");
        let e = evaluate(&model, &held_out, 0.5);
        assert!(
            e.categories
                .iter()
                .all(|f| f.precision() > 0.9 && f.recall() > 0.9),
            "{e:?}"
        );
        assert_eq!(e.uncategorised_flagged, 0);
    }

    #[test]
    fn training_is_deterministic() {
        let set = set();
        let (training, _) = set.split();
        assert_eq!(
            train(&training, &set).version(),
            train(&training, &set).version()
        );
    }

    #[test]
    fn rare_categories_are_left_out() {
        let mut hosts: Vec<_> = (0..40)
            .map(|i| {
                (
                    format!("casino{i}.com"),
                    CategorySet::of(Category::Gambling),
                )
            })
            .collect();
        hosts.push(("onlyone.com".into(), CategorySet::of(Category::Cults)));
        let set = TrainingSet::from_hosts(hosts, "test");
        let all: Vec<_> = set.hosts.iter().collect();
        assert_eq!(train(&all, &set).categories(), [Category::Gambling]);
    }

    #[test]
    fn held_out_keeps_sites_together() {
        assert_eq!(
            TrainingSet::held_out("a.example.com"),
            TrainingSet::held_out("b.example.com")
        );
    }
}
