//! Warn and hold as people see them, at the gateways: without a pass, the Squid helper
//! answers ERR with the signed token for the page and ICAP redirects there; with a pass in
//! force, both let the request through; without the pages nothing changes.

#![allow(clippy::unwrap_used, reason = "test")]

mod support;

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use charter_engine::web::Builtin;
use charter_engine::{Engine, Pass, PassKind};
use charter_gateways::icap::IcapConfig;
use charter_gateways::pass::{PageKey, PageKind, PageToken, Pages, Passes};
use charter_gateways::squid_helper::{HelperConfig, SquidHelper};
use charter_gateways::web::{Clock, Roles, WebDecider};
use jiff::Timestamp;

use support::{read_icap_head, reqmod, serve_runtime};

const PACK: &str = r#"
[policy]
id = "pages"
title = "Pages"
source = "test"
[organisation]
name = "Acme Ltd"
[[rule]]
id = "shopping.warn"
clause = "6.1"
quote = "Shopping only with care."
on = "web"
categories = ["shopping"]
action = "warn"
severity = "concern"
[[rule]]
id = "games.hold"
clause = "6.2"
quote = "Games need a manager's say-so."
on = "web"
categories = ["games"]
action = "hold"
severity = "concern"
"#;

fn at() -> Timestamp {
    "2026-06-15T09:00:00Z".parse().unwrap()
}

fn engine() -> Engine {
    Engine::new(charter_policy::parse(PACK, "pages.toml").unwrap())
}

fn pages() -> Pages {
    Pages::new(
        PageKey::from_bytes(&[7u8; 32]).unwrap(),
        "http://pages.test:8088/",
    )
}

fn pass(site: &str, rule: &str, kind: PassKind) -> Pass {
    Pass {
        site: site.into(),
        rule: rule.into(),
        kind,
        until: at()
            .checked_add(jiff::SignedDuration::from_hours(1))
            .unwrap(),
    }
}

/// The helper's replies to `input`, with `passes`, and with the pages when `with_pages`.
fn helper(input: &str, passes: &Passes, with_pages: bool) -> String {
    let engine = engine();
    let source = Builtin::new();
    let roles = Roles::default();
    let pages = pages();
    let mut decider =
        WebDecider::new(&engine, &source, Clock::Fixed(at()), &roles).with_passes(passes);
    if with_pages {
        decider = decider.with_pages(&pages);
    }
    let mut helper = SquidHelper::new(decider, HelperConfig::default());
    let mut out = Vec::new();
    helper.run(input.as_bytes(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The token in a reply's `message="..."`.
fn token_of(reply: &str) -> PageToken {
    let message = reply.split("message=\"").nth(1).unwrap();
    let token = &message[..message.find('"').unwrap()];
    PageToken::verify(token, pages().key(), at()).unwrap()
}

#[test]
fn a_warning_without_a_pass_is_err_with_a_token_for_the_warn_page() {
    let reply = helper(
        "1 http://www.amazon.co.uk/basket ann 10.0.0.1\n",
        &Passes::default(),
        true,
    );
    assert!(reply.starts_with("1 ERR "), "{reply}");
    assert!(reply.contains(" charter_page=\"warn\""), "{reply}");
    let token = token_of(&reply);
    assert_eq!(
        (
            token.kind,
            token.user.as_str(),
            token.site.as_str(),
            token.rule.as_str()
        ),
        (PageKind::Warn, "ann", "amazon.co.uk", "shopping.warn")
    );
}

#[test]
fn a_hold_without_an_approval_is_err_with_a_token_for_the_hold_page() {
    let reply = helper(
        "2 http://roblox.com/ ann 10.0.0.1\n",
        &Passes::default(),
        true,
    );
    assert!(reply.starts_with("2 ERR "), "{reply}");
    assert!(reply.contains(" charter_page=\"hold\""), "{reply}");
    assert_eq!(token_of(&reply).kind, PageKind::Hold);
}

#[test]
fn with_a_pass_in_force_the_helper_answers_ok() {
    let passes = Passes::default();
    passes.add(
        "ann",
        pass("amazon.co.uk", "shopping.warn", PassKind::Continued),
    );
    passes.add(
        "ann",
        pass("roblox.com", "games.hold", PassKind::Approved(3)),
    );
    let reply = helper(
        "1 http://www.amazon.co.uk/ ann 10.0.0.1\n2 http://roblox.com/ ann 10.0.0.1\n3 http://roblox.com/ ben 10.0.0.2\n",
        &passes,
        true,
    );
    let lines: Vec<&str> = reply.lines().collect();
    assert!(lines[0].starts_with("1 OK"), "{reply}");
    assert!(lines[1].starts_with("2 OK"), "{reply}");
    // Ann's approval is hers: Ben is still held.
    assert!(
        lines[2].starts_with("3 ERR") && lines[2].contains("charter_page=\"hold\""),
        "{reply}"
    );
}

#[test]
fn without_the_pages_or_a_known_person_nothing_changes() {
    let passes = Passes::default();
    let off = helper(
        "1 http://amazon.co.uk/ ann 10.0.0.1\n2 http://roblox.com/ ann 10.0.0.1\n",
        &passes,
        false,
    );
    assert!(off.lines().next().unwrap().starts_with("1 OK"), "{off}");
    assert!(off.lines().nth(1).unwrap().starts_with("2 ERR"), "{off}");
    assert!(!off.contains("charter_page"), "{off}");
    let nobody = helper("1 http://amazon.co.uk/ - 10.0.0.1\n", &passes, true);
    assert!(
        nobody.starts_with("1 OK") && !nobody.contains("charter_page"),
        "{nobody}"
    );
}

/// An ICAP server with the pages and `passes`.
fn icap(passes: Passes) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = serve_runtime();
    let addr = runtime.block_on(async {
        let config: IcapConfig = toml::from_str("listen = \"127.0.0.1:0\"").unwrap();
        let server = Arc::new(
            config
                .build(
                    Arc::new(engine()),
                    Arc::new(Builtin::new()),
                    Clock::Fixed(at()),
                    Roles::default(),
                )
                .unwrap()
                .with_pages(passes, Some(pages())),
        );
        let listener = server.bind().await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server.serve(listener));
        addr
    });
    (runtime, addr)
}

/// The ICAP head and the encapsulated HTTP head, if any.
fn icap_answer(addr: SocketAddr, request: &[u8]) -> (String, String) {
    use std::io::Write as _;
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let head = read_icap_head(&mut stream);
    let http = if head.contains("res-hdr=0") {
        read_icap_head(&mut stream)
    } else {
        String::new()
    };
    (head, http)
}

#[test]
fn icap_redirects_a_warning_to_the_page_and_lets_a_pass_through() {
    let passes = Passes::default();
    let (_runtime, addr) = icap(passes.clone());
    let (head, http) = icap_answer(addr, &reqmod("http://www.amazon.co.uk/basket", Some("ann")));
    assert!(head.starts_with("ICAP/1.0 200"), "{head}");
    assert!(http.starts_with("HTTP/1.1 302 Found"), "{http}");
    let location = http
        .lines()
        .find_map(|l| l.strip_prefix("Location: "))
        .unwrap();
    assert!(
        location.starts_with("http://pages.test:8088/page?t=")
            && location.ends_with("&url=http%3A%2F%2Fwww.amazon.co.uk%2Fbasket"),
        "{location}"
    );
    passes.add(
        "ann",
        pass("amazon.co.uk", "shopping.warn", PassKind::Continued),
    );
    let (head, _) = icap_answer(addr, &reqmod("http://www.amazon.co.uk/basket", Some("ann")));
    assert!(head.starts_with("ICAP/1.0 204"), "{head}");
}
