//! Search terms over HTTPS: real Squid 5 bumping TLS with the `squid-ssl-bump` block of
//! docs/squid.md, a CA made in the test, a local HTTPS origin standing in for the search
//! engines, and Charter's external_acl helper (the documented block) seeing the full
//! decrypted URL.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed setup step fails the test"
)]

mod web_support;

use web_support::tls::*;
use web_support::*;

const ENGINES: &[&str] = &["www.google.com", "www.google.co.uk", "www.youtube.com"];

/// The harness pack with two search rules: every safeguarding phrase logged for the
/// safeguarding lead, weapons searches refused.
fn search_pack() -> String {
    format!(
        r#"{PACK}
[[rule]]
id = "safeguarding.searches"
clause = "Monitoring / Searches"
quote = "Internet usage, including searches made, is monitored."
on = "web"
checks = ["search_term"]
action = "log"
severity = "concern"
alert = ["safeguarding"]

[[rule]]
id = "safeguarding.weapons-searches"
clause = "Prohibited use / Weapons"
quote = "Do not look for weapons or explosives."
on = "web"
checks = ["search_term"]
phrase_lists = ["weapons"]
action = "block"
severity = "misconduct"
alert = ["safeguarding"]
"#
    )
}

/// Squid bumping TLS, with the documented external_acl block deciding by the search pack at
/// ten on a Monday, in front of an HTTPS origin for the search engines.
struct Setup {
    dir: TempDir,
    ca: TestCa,
    tls: TlsOrigin,
    squid: Squid,
    _origin: Origin,
}

impl Setup {
    fn start(tag: &str) -> Setup {
        let dir = TempDir::new(tag);
        let ca = TestCa::new(&dir);
        let origin = Origin::start();
        let tls = TlsOrigin::start(&dir, &ca, ENGINES, origin.port);
        let (_, index) = pack_and_index(&dir);
        let pack = dir.write("search-policy.toml", &search_pack());
        let body = localise(
            &doc_block("squid-external-acl"),
            &dir,
            &pack,
            &index,
            TEN_AM,
        );
        let squid = bumping_squid(
            &dir,
            &ca,
            ENGINES,
            &format!("{body}http_access allow localnet\nhttp_access deny all\n"),
        );
        Setup {
            dir,
            ca,
            tls,
            squid,
            _origin: origin,
        }
    }

    fn get(&self, host: &str, path: &str) -> (u16, String) {
        curl_https(self.squid.port, &self.ca, &self.tls.url(host, path), &[])
    }

    /// access.log, once Squid has stopped and flushed it.
    fn access_log(self) -> String {
        let Setup { dir, squid, .. } = self;
        drop(squid);
        std::fs::read_to_string(dir.path().join("logs/access.log")).unwrap_or_default()
    }
}

#[test]
fn ssl_bump_carries_https_to_the_origin() {
    let dir = TempDir::new("bump-plain");
    let ca = TestCa::new(&dir);
    let origin = Origin::start();
    let tls = TlsOrigin::start(&dir, &ca, ENGINES, origin.port);
    let log = dir.path().join("logs/access.log");
    let squid = bumping_squid(
        &dir,
        &ca,
        ENGINES,
        &format!(
            "access_log {} squid\nhttp_access allow localnet\nhttp_access deny all\n",
            log.display()
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
    // Squid saw the decrypted request, not only the CONNECT (it logs the query as `?`:
    // strip_query_terms is on by default).
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let url = format!("GET https://www.google.com:{}/search?", tls.port);
    assert!(text.contains(&url), "{url} not in access.log:\n{text}");
}

#[test]
fn a_self_harm_search_over_https_is_logged_for_the_safeguarding_lead() {
    let setup = Setup::start("search-selfharm");
    let (status, body) = setup.get("www.google.co.uk", "/search?q=how+to+k1ll+myself&hl=en");
    assert_eq!(status, 200, "{body}\n{}", setup.squid.cache_log());
    assert_eq!(body, ORIGIN_BODY, "a `log` rule lets the search through");
    let (status, _) = setup.get("www.google.com", "/search?q=how+to+shoot+a+photo");
    assert_eq!(status, 200);
    let port = setup.tls.port;
    let log = setup.access_log();
    let line = |host: &str| {
        log.lines()
            .find(|l| l.contains(&format!("GET https://{host}:{port}/search?")))
            .unwrap_or_else(|| panic!("no search on {host} in access.log:\n{log}"))
            .to_string()
    };
    // The helper's `log=` (the rule id, %ea) is on the bumped request's line.
    assert!(
        line("www.google.co.uk").contains("safeguarding.searches"),
        "{log}"
    );
    assert!(!line("www.google.com").contains("safeguarding"), "{log}");
}

#[test]
fn a_weapons_search_over_https_is_refused_with_our_page() {
    let setup = Setup::start("search-weapons");
    let (status, body) = setup.get(
        "www.youtube.com",
        "/results?search_query=how+to+make+a+pipe+bomb",
    );
    assert_eq!(status, 403, "{body}\n{}", setup.squid.cache_log());
    assert!(body.contains("safeguarding.weapons-searches"), "{body}");
    assert!(
        body.contains("YouTube search matching the weapons phrase list"),
        "{body}"
    );
    assert!(!body.contains(ORIGIN_BODY));
    // A harmless search on the same site passes.
    let (status, body) = setup.get("www.youtube.com", "/results?search_query=cat+videos");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, ORIGIN_BODY);
}

#[test]
fn check_url_gives_the_search_term_finding() {
    let dir = TempDir::new("search-check-url");
    let pack = dir.write("search-policy.toml", &search_pack());
    let check = |url: &str| -> serde_json::Value {
        let out = std::process::Command::new(CHARTER)
            .args(["check", "url", url, "--policy"])
            .arg(&pack)
            .args(["--at", TEN_AM, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let doc = check("https://www.bing.com/search?q=how+to+make+a+pipe+bomb&form=QBLH");
    assert_eq!(doc["verdict"], "block", "{doc}");
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{doc}");
    assert!(
        findings.iter().all(|f| f["check"] == "search_term"),
        "{doc}"
    );
    assert_eq!(
        findings[0]["message"],
        "Bing search matching the weapons phrase list (\"make a pipe bomb\")"
    );
    let doc = check("https://www.bing.com/search?q=pipe+organ+music");
    assert_eq!(doc["verdict"], "allow", "{doc}");
    assert_eq!(doc["findings"], serde_json::json!([]), "{doc}");
}
