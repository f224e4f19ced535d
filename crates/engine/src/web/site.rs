//! The site a host belongs to, for passes: a warning continued past on `www.bet365.com`
//! holds on `bet365.com` and `m.bet365.com` too, but one on `alice.github.io` does not hold on
//! `bob.github.io`: the registrable domain by the Public Suffix List (the `psl` crate, which
//! compiles the list in; no file or network at run time).

/// The registrable part of a normalised `host` (see [`super::normalise_host`]); an IP
/// address, a single label or a host the list does not know is its own site.
pub fn site_of(host: &str) -> &str {
    let host = host.trim_end_matches('.');
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    psl::domain_str(host).unwrap_or(host)
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

    #[test]
    fn private_suffixes_keep_neighbours_apart() {
        assert_eq!(site_of("alice.github.io"), "alice.github.io");
        assert_ne!(site_of("alice.github.io"), site_of("bob.github.io"));
        // `*.sch.uk` is a suffix: each school registers under its local authority.
        assert_eq!(site_of("www.school.lancs.sch.uk"), "school.lancs.sch.uk");
    }
}
