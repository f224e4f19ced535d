//! The site a host belongs to, for passes: a warning continued past on `www.bet365.com`
//! holds on `bet365.com` and `m.bet365.com` too.
//!
//! Without the Public Suffix List: the last two labels, or three where the second-level
//! label is one that registries under a two-letter country code hand out (`co.uk`,
//! `org.uk`, `com.au`, `ac.jp`). Good enough for keying a pass; a host under a private
//! suffix (`github.io`) shares its pass with its neighbours.

/// Second-level labels under which country registries register names.
const SECOND_LEVEL: &[&str] = &[
    "ac", "co", "com", "edu", "gov", "govt", "ltd", "me", "net", "nhs", "nic", "or", "org", "plc",
    "police", "sch", "ne", "go",
];

/// The registrable part of a normalised `host` (see [`super::normalise_host`]); an IP
/// address or a single label is its own site.
pub fn site_of(host: &str) -> &str {
    let host = host.trim_end_matches('.');
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    let labels: Vec<&str> = host.rsplitn(4, '.').collect();
    let keep = match labels.as_slice() {
        [tld, second, _, ..] if tld.len() == 2 && SECOND_LEVEL.contains(second) => 3,
        _ => 2,
    };
    if labels.len() <= keep {
        return host;
    }
    let cut: usize = labels[..keep].iter().map(|l| l.len() + 1).sum();
    &host[host.len() + 1 - cut..]
}

#[cfg(test)]
mod tests {
    use super::site_of;

    #[test]
    fn sites_are_registrable_hosts() {
        assert_eq!(site_of("www.bet365.com"), "bet365.com");
        assert_eq!(site_of("m.www.bet365.com"), "bet365.com");
        assert_eq!(site_of("bet365.com"), "bet365.com");
        assert_eq!(site_of("www.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(site_of("news.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(site_of("bbc.co.uk"), "bbc.co.uk");
        assert_eq!(site_of("www.example.de"), "example.de");
        assert_eq!(site_of("localhost"), "localhost");
        assert_eq!(site_of("127.0.0.1"), "127.0.0.1");
        assert_eq!(site_of("[::1]"), "[::1]");
    }
}
