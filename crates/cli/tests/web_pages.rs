//! Warn and hold as people see them (DESIGN section 7), end to end: real Squid 5 with basic
//! proxy authentication, `charter serve` running the pages on PostgreSQL, and curl as the
//! browser. Through the external_acl helper (the docs/squid.md `squid-pages` block) and
//! through ICAP: a warning's page, Continue, and the site opens; a hold's page, "Ask for
//! access", an approver approves at the console, and the site opens; nobody approves their
//! own request; a forged link is refused.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed setup step fails the test"
)]

mod serve_support;
mod web_support;

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serve_support::PgDb;
use web_support::*;

/// The harness pack plus a warn rule on shopping and a hold rule on games; `it` approves
/// access.
fn pack() -> String {
    let pack = PACK.replace(
        "[hours]",
        "roles = [\"staff\", \"it\", \"hr\", \"dpo\", \"compliance\"]\n\n[governance]\naccess_approvers = [\"it\"]\n\n[hours]",
    );
    format!(
        "{pack}
[[rule]]
id = \"internet.shopping-warning\"
clause = \"Internet use / Personal shopping\"
quote = \"Shopping sites are for work purchases; think before you buy.\"
on = \"web\"
categories = [\"shopping\"]
action = \"warn\"
severity = \"concern\"

[[rule]]
id = \"internet.games-held\"
clause = \"Internet use / Games\"
quote = \"Games sites only with a manager's approval.\"
on = \"web\"
categories = [\"games\"]
action = \"hold\"
severity = \"concern\"
"
    )
}

/// The pack, an index with the test's lists, and charter.toml on `db` with the pages on
/// `pages_port` (and ICAP on a port `serve` picks).
fn site(dir: &TempDir, db: &PgDb, pages_port: u16) -> PathBuf {
    let pack = dir.write("policy.toml", &pack());
    dir.write("lists/gambling/domains", "bet365.com\n");
    dir.write("lists/shopping/domains", "shop.test\n");
    dir.write("lists/games/domains", "games.test\n");
    let index = build_index(dir);
    let server = doc_block("charter-server-toml")
        .replace("0.0.0.0:8088", &format!("127.0.0.1:{pages_port}"))
        .replace(
            "http://charter.example.org:8088",
            &format!("http://127.0.0.1:{pages_port}"),
        );
    dir.write(
        "charter.toml",
        &format!(
            "policy = \"{}\"\ncategories = \"{}\"\n[store]\nurl = \"{}\"\n[icap]\nlisten = \"127.0.0.1:0\"\n{server}",
            pack.display(),
            index.display(),
            db.url
        ),
    )
}

/// `charter serve` running the pages (and ICAP), on the system clock, stopped on drop.
struct Serve {
    child: Child,
    pages: u16,
    icap: u16,
    cfg: PathBuf,
}

impl Serve {
    fn start(dir: &TempDir, db: &PgDb) -> Serve {
        let log_path = dir.path().join("serve.log");
        on_a_free_port("charter serve", |pages| {
            let cfg = site(dir, db, pages);
            let log = std::fs::File::create(&log_path).unwrap();
            let mut child = Command::new(CHARTER)
                .args(["serve", "--config"])
                .arg(&cfg)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            let ready = "Warn and hold pages started.";
            match await_listening(&mut child, &log_path, ready, "charter serve") {
                Bind::Listening(()) => {
                    let icap =
                        logged_address(&mut child, &log_path, "ICAP server started", "serve")
                            .port();
                    Bind::Listening(Serve {
                        child,
                        pages,
                        icap,
                        cfg,
                    })
                }
                Bind::PortTaken => Bind::PortTaken,
            }
        })
    }

    fn page_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.pages)
    }

    /// `charter ARGS --config charter.toml`.
    fn charter(&self, args: &[&str]) -> Output {
        Command::new(CHARTER)
            .args(args)
            .arg("--config")
            .arg(&self.cfg)
            .output()
            .unwrap()
    }

    /// Adds a person with `roles` and the proxy login `login`.
    fn person(&self, first: &str, roles: &str, login: &str) {
        let out = self.charter(&[
            "people", "add", "--first", first, "--last", "Test", "--roles", roles,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let name = format!("{first} Test");
        let out = self.charter(&[
            "accounts", "add", &name, "--system", "proxy", "--name", login,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The key file, readable by the group Squid runs its helpers in, as docs/squid.md says.
    fn share_key_with_squid(&self) {
        let key = self.cfg.parent().unwrap().join("page.key");
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "serve creates the key private");
        let chgrp = Command::new("chgrp")
            .arg("proxy")
            .arg(&key)
            .status()
            .unwrap();
        assert!(chgrp.success());
        set_mode(&key, 0o640);
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Basic proxy authentication that takes any password: the login is the user name.
const AUTH: &str = "auth_param basic program /usr/lib/squid/basic_fake_auth\n\
                    auth_param basic realm charter-test\n\
                    acl authed proxy_auth REQUIRED\n\
                    http_access deny !authed\n";

fn squid_with_helper(dir: &TempDir, serve: &Serve) -> Squid {
    let charter = charter_for_squid(dir);
    let block = doc_block("squid-pages")
        .replace("/usr/bin/charter", &charter.display().to_string())
        .replace(
            "/etc/charter/policy.toml",
            &dir.path().join("policy.toml").display().to_string(),
        )
        .replace(
            "/var/lib/charter/categories.idx",
            &dir.path().join("categories.idx").display().to_string(),
        )
        .replace(
            "/etc/charter/charter.toml",
            &serve.cfg.display().to_string(),
        )
        .replace("http://charter.example.org:8088", &serve.page_url())
        .replace(
            "/var/log/squid/access.log",
            &dir.path().join("logs/access.log").display().to_string(),
        );
    Squid::start(
        dir,
        &format!("{AUTH}{block}http_access allow localnet\nhttp_access deny all\n"),
    )
}

fn squid_with_icap(dir: &TempDir, serve: &Serve) -> Squid {
    let block =
        doc_block("squid-icap").replace("127.0.0.1:1344", &format!("127.0.0.1:{}", serve.icap));
    Squid::start(
        dir,
        &format!("{AUTH}{block}http_access allow localnet\nhttp_access deny all\n"),
    )
}

/// curl with `args`: (status, Location, body).
fn curl_raw(args: &[&str]) -> (u16, String, String) {
    let curl = require("curl", "curl");
    let out = Command::new(curl)
        .args([
            "-s",
            "--max-time",
            "20",
            "-o",
            "-",
            "-w",
            "\n%{http_code} %{redirect_url}",
        ])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, tail) = text.rsplit_once('\n').unwrap_or(("", "0 "));
    let (code, location) = tail.split_once(' ').unwrap_or((tail, ""));
    (
        code.trim().parse().unwrap_or(0),
        location.trim().to_string(),
        body.to_string(),
    )
}

/// `url` through the proxy on `port` as `user`.
fn through(squid: &Squid, user: &str, url: &str) -> (u16, String, String) {
    let proxy = format!("http://127.0.0.1:{}", squid.port);
    let login = format!("{user}:any");
    curl_raw(&["-x", &proxy, "--proxy-user", &login, url])
}

/// A hidden field's value in a page's form.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let from = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in:\n{page}"))
        + marker.len();
    let value = &page[from..from + page[from..].find('"').unwrap()];
    value
        .replace("&amp;", "&")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
}

/// Posts the page's form to `action` with `extra` fields: (status, Location, body).
fn post(base: &str, action: &str, page: &str, extra: &[(&str, &str)]) -> (u16, String, String) {
    let mut args = vec![
        "-X".to_string(),
        "POST".to_string(),
        "--data-urlencode".to_string(),
        format!("t={}", field(page, "t")),
        "--data-urlencode".to_string(),
        format!("url={}", field(page, "url")),
    ];
    for (k, v) in extra {
        args.push("--data-urlencode".into());
        args.push(format!("{k}={v}"));
    }
    args.push(format!("{base}{action}"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curl_raw(&args)
}

/// Fetches `url` through the proxy until it reaches the origin (passes are read every
/// second); fails with the last answer after 20 seconds.
fn until_through(squid: &Squid, user: &str, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, location, body) = through(squid, user, url);
        if status == 200 && body == ORIGIN_BODY {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} never went through for {user}: {status} {location}\n{body}\n{}",
            squid.cache_log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The page a refused request was sent to, fetched as a browser would.
fn follow_to_page(squid: &Squid, serve: &Serve, user: &str, url: &str) -> String {
    let (status, location, body) = through(squid, user, url);
    assert_eq!(status, 302, "{body}\n{}", squid.cache_log());
    assert!(
        location.starts_with(&format!("{}/page?t=", serve.page_url())),
        "{location}"
    );
    let (status, _, page) = curl_raw(&[&location]);
    assert_eq!(status, 200, "{page}");
    page
}

fn warn_then_continue(squid: &Squid, serve: &Serve, origin: &Origin, db: &PgDb) {
    let url = format!("http://www.shop.test:{}/basket", origin.port);
    let page = follow_to_page(squid, serve, "ann", &url);
    assert!(page.contains("internet.shopping-warning"), "{page}");
    assert!(page.contains("Internet use / Personal shopping"), "{page}");
    assert!(page.contains("think before you buy"), "{page}");
    assert!(page.contains(">Continue</button>"), "{page}");
    assert_eq!(field(&page, "url"), url, "the original address rides along");
    // Someone else is still warned: the pass is Ann's.
    let (status, _, _) = through(squid, "ben", &url);
    assert_eq!(status, 302);
    let (status, location, body) = post(&serve.page_url(), "/page/continue", &page, &[]);
    assert_eq!((status, location.as_str()), (303, url.as_str()), "{body}");
    until_through(squid, "ann", &url);
    // www.shop.test and shop.test are one site.
    until_through(squid, "ann", &format!("http://shop.test:{}/", origin.port));
    let (status, _, _) = through(squid, "ben", &url);
    assert_eq!(status, 302, "Ben has not continued");
    let listed = serve.charter(&["approvals", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("Ann Test continued past the warning on shop.test (rule internet.shopping-warning) approved"),
        "{listed}"
    );
    // Continuing is a monitoring record: the request decided again with the pass, as `log`.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !serve_support::verdicts(&db.url, &url).contains(&"log".to_string()) {
        assert!(Instant::now() < deadline, "no `log` record for {url}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The request id in the "Request sent" page.
fn request_id(page: &str) -> String {
    let from = page.find("(request ").unwrap_or_else(|| panic!("{page}")) + "(request ".len();
    page[from..from + page[from..].find(')').unwrap()].to_string()
}

fn hold_then_ask_and_approve(squid: &Squid, serve: &Serve, origin: &Origin) {
    let url = format!("http://games.test:{}/", origin.port);
    let page = follow_to_page(squid, serve, "ann", &url);
    assert!(page.contains("internet.games-held"), "{page}");
    assert!(page.contains(">Ask for access</button>"), "{page}");
    let (status, _, sent) = post(
        &serve.page_url(),
        "/page/ask",
        &page,
        &[("reason", "client demo")],
    );
    assert_eq!(status, 200, "{sent}");
    assert!(sent.contains("has gone to the approvers (it)"), "{sent}");
    let ann_request = request_id(&sent);
    // Still held until someone approves.
    assert_eq!(through(squid, "ann", &url).0, 302);
    // Ian, an approver, asks too; he may not approve his own request.
    let ian_page = follow_to_page(squid, serve, "ian", &url);
    let (_, _, ian_sent) = post(&serve.page_url(), "/page/ask", &ian_page, &[]);
    let ian_request = request_id(&ian_sent);
    let own = serve.charter(&["approvals", "approve", &ian_request, "--by", "Ian Test"]);
    assert!(!own.status.success());
    assert!(
        String::from_utf8_lossy(&own.stderr).contains("may not decide their own access request"),
        "{}",
        String::from_utf8_lossy(&own.stderr)
    );
    // Ann is no approver.
    let not_approver = serve.charter(&["approvals", "approve", &ann_request, "--by", "Ann Test"]);
    assert!(!not_approver.status.success());
    let approved = serve.charter(&["approvals", "approve", &ann_request, "--by", "Ian Test"]);
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    until_through(squid, "ann", &url);
    assert_eq!(
        through(squid, "ian", &url).0,
        302,
        "Ian's request is still waiting"
    );
}

fn forged_links_are_refused(serve: &Serve) {
    let base = serve.page_url();
    let (status, _, body) = curl_raw(&[&format!("{base}/page?t=616e6e.00&url=x")]);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("signature does not check"), "{body}");
    let (status, _, body) = curl_raw(&[
        "-X",
        "POST",
        "--data",
        "t=6e6f.ab&url=",
        &format!("{base}/page/continue"),
    ]);
    assert_eq!(status, 403, "{body}");
}

fn people(serve: &Serve) {
    serve.person("Ann", "staff", "ann");
    serve.person("Ben", "staff", "ben");
    serve.person("Ian", "it", "ian");
}

#[test]
fn warn_and_hold_pages_through_the_external_acl_helper() {
    let origin = Origin::start();
    let dir = TempDir::new("pages-helper");
    let db = PgDb::new("pages_helper");
    let serve = Serve::start(&dir, &db);
    people(&serve);
    serve.share_key_with_squid();
    let squid = squid_with_helper(&dir, &serve);
    // A block is still a block, with Squid's error page.
    let (status, _, body) = through(&squid, "ann", "http://www.bet365.com/");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("internet.prohibited-content"), "{body}");
    warn_then_continue(&squid, &serve, &origin, &db);
    hold_then_ask_and_approve(&squid, &serve, &origin);
    forged_links_are_refused(&serve);
}

#[test]
fn warn_and_hold_pages_through_icap() {
    let origin = Origin::start();
    let dir = TempDir::new("pages-icap");
    let db = PgDb::new("pages_icap");
    let serve = Serve::start(&dir, &db);
    people(&serve);
    let squid = squid_with_icap(&dir, &serve);
    warn_then_continue(&squid, &serve, &origin, &db);
    hold_then_ask_and_approve(&squid, &serve, &origin);
}

#[test]
fn approvals_help_has_an_example() {
    for sub in ["list", "approve", "refuse"] {
        let out = Command::new(CHARTER)
            .args(["approvals", sub, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains(&format!("charter approvals {sub}")), "{help}");
    }
}
