//! Search terms over HTTPS: real Squid 5 bumping TLS with the `squid-ssl-bump` block of
//! docs/squid.md, a CA made in the test, a local HTTPS origin standing in for the search
//! engines, and Charter's external_acl helper seeing the full decrypted URL.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed setup step fails the test"
)]

mod web_support;

use web_support::tls::*;
use web_support::*;

const ENGINES: &[&str] = &["www.google.com", "www.google.co.uk", "www.bing.com"];

#[test]
fn ssl_bump_carries_https_to_the_origin() {
    let dir = TempDir::new("bump-plain");
    let ca = TestCa::new(&dir);
    let origin = Origin::start();
    let tls = TlsOrigin::start(&dir, &ca, ENGINES, origin.port);
    let access_log = dir.path().join("logs/access.log");
    let squid = bumping_squid(
        &dir,
        &ca,
        ENGINES,
        &format!(
            "access_log {} squid\nhttp_access allow localnet\nhttp_access deny all\n",
            access_log.display()
        ),
    );
    let (status, body) = curl_https(
        squid.port,
        &ca,
        &tls.url("www.google.com", "/search?q=weather"),
        &[],
    );
    assert_eq!(status, 200, "{body}\n{}", squid.cache_log());
    assert_eq!(body, ORIGIN_BODY);
    drop(squid);
    // Squid saw the decrypted request, not only the CONNECT.
    let log = std::fs::read_to_string(&access_log).unwrap_or_default();
    // (Squid logs the query as `?`: strip_query_terms is on by default.)
    let url = format!("GET https://www.google.com:{}/search?", tls.port);
    assert!(log.contains(&url), "{url} not in access.log:\n{log}");
}
