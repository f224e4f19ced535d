//! A small built-in category list of well-known domains, so that `check url` and the demo
//! work before a full list is imported with `charter categories build`.

use std::collections::HashMap;

use charter_policy::{Category, CategorySet};

use super::{CategorySource, Classification, Target};

/// Well-known domains by category. Matching is by label-boundary suffix, so `facebook.com`
/// also covers `www.facebook.com` and `m.facebook.com`.
const DOMAINS: &[(Category, &[&str])] = &[
    (
        Category::Adult,
        &[
            "pornhub.com",
            "xvideos.com",
            "xhamster.com",
            "onlyfans.com",
            "youporn.com",
        ],
    ),
    (
        Category::Gambling,
        &[
            "bet365.com",
            "williamhill.com",
            "paddypower.com",
            "pokerstars.com",
            "betfair.com",
            "skybet.com",
            "888casino.com",
            "ladbrokes.com",
        ],
    ),
    (Category::Drugs, &["drugs-forum.com", "erowid.org"]),
    (Category::Hate, &["stormfront.org"]),
    (Category::CriminalSkills, &["hackforums.net"]),
    (
        Category::Piracy,
        &["thepiratebay.org", "1337x.to", "rarbg.to"],
    ),
    (
        Category::Circumvention,
        &[
            "nordvpn.com",
            "expressvpn.com",
            "hidemyass.com",
            "torproject.org",
            "proxysite.com",
        ],
    ),
    (
        Category::Chat,
        &[
            "discord.com",
            "omegle.com",
            "chatib.us",
            "web.whatsapp.com",
            "telegram.org",
            "messenger.com",
            "chatroulette.com",
        ],
    ),
    (
        Category::Forums,
        &["reddit.com", "4chan.org", "mumsnet.com"],
    ),
    (
        Category::SocialMedia,
        &[
            "facebook.com",
            "instagram.com",
            "twitter.com",
            "x.com",
            "linkedin.com",
            "tiktok.com",
            "snapchat.com",
            "pinterest.com",
            "tumblr.com",
            "myspace.com",
            "quora.com",
            "flickr.com",
            "threads.net",
            "secondlife.com",
        ],
    ),
    (
        Category::Streaming,
        &[
            "youtube.com",
            "netflix.com",
            "twitch.tv",
            "spotify.com",
            "vimeo.com",
            "disneyplus.com",
            "primevideo.com",
            "iplayer.bbc.co.uk",
            "soundcloud.com",
        ],
    ),
    (
        Category::Webmail,
        &[
            "mail.google.com",
            "gmail.com",
            "outlook.live.com",
            "mail.yahoo.com",
            "mail.aol.com",
            "proton.me",
        ],
    ),
    (
        Category::PublicAi,
        &[
            "chatgpt.com",
            "chat.openai.com",
            "gemini.google.com",
            "claude.ai",
            "copilot.microsoft.com",
            "perplexity.ai",
            "poe.com",
        ],
    ),
    (
        Category::Shopping,
        &[
            "amazon.co.uk",
            "amazon.com",
            "ebay.co.uk",
            "ebay.com",
            "etsy.com",
            "argos.co.uk",
        ],
    ),
    (
        Category::Games,
        &[
            "steampowered.com",
            "roblox.com",
            "miniclip.com",
            "epicgames.com",
        ],
    ),
    (
        Category::Dating,
        &["tinder.com", "match.com", "bumble.com", "hinge.co"],
    ),
    (
        Category::FileSharing,
        &["wetransfer.com", "mega.nz", "mediafire.com", "4shared.com"],
    ),
    (
        Category::News,
        &["bbc.co.uk", "theguardian.com", "news.sky.com"],
    ),
    (
        Category::Jobsearch,
        &[
            "indeed.co.uk",
            "reed.co.uk",
            "totaljobs.com",
            "monster.co.uk",
        ],
    ),
    (
        Category::Finance,
        &["coinbase.com", "binance.com", "barclays.co.uk", "hl.co.uk"],
    ),
];

/// The built-in list as a [`CategorySource`].
#[derive(Debug, Clone)]
pub struct Builtin {
    domains: HashMap<&'static str, CategorySet>,
}

impl Builtin {
    /// The list, indexed.
    pub fn new() -> Builtin {
        let mut domains: HashMap<&'static str, CategorySet> = HashMap::new();
        for (category, names) in DOMAINS {
            for name in *names {
                domains.entry(name).or_default().insert(*category);
            }
        }
        Builtin { domains }
    }
}

impl Default for Builtin {
    fn default() -> Self {
        Builtin::new()
    }
}

impl CategorySource for Builtin {
    fn classify(&self, target: &Target) -> Classification {
        let categories = target
            .host_suffixes()
            .filter_map(|suffix| self.domains.get(suffix))
            .fold(CategorySet::EMPTY, |acc, set| acc.union(*set));
        Classification {
            categories,
            url_lists: Vec::new(),
            guess: None,
        }
    }

    /// Domains only: no path changes a classification.
    fn path_matters(&self, _target: &Target) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories(url: &str) -> Vec<Category> {
        Builtin::new()
            .classify(&Target::parse(url).unwrap())
            .categories
            .iter()
            .collect()
    }

    #[test]
    fn subdomain_matches_its_parent() {
        assert_eq!(categories("https://www.bet365.com/"), [Category::Gambling]);
    }

    #[test]
    fn lookalike_does_not_match() {
        assert!(categories("https://notbet365.com/").is_empty());
    }

    #[test]
    fn a_host_collects_every_matching_suffix() {
        // iplayer.bbc.co.uk is streaming; bbc.co.uk is news.
        assert_eq!(
            categories("https://iplayer.bbc.co.uk/"),
            [Category::Streaming, Category::News]
        );
    }
}
