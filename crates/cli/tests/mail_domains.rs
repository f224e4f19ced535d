//! Packs that name no mail domains (IMPRESS here: seed 002 gives none) decide with the site's
//! (issue 9 item 6): charter.toml's `domains`, else the domains of the email accounts in the
//! people register. `check mail --config` and `serve` use them; `policy lint` warns about
//! the rules that need them while nobody names any. Through the binary, on SQLite.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod ports;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use ports::logged_address;

/// The organisation's domain in these tests.
const IMPRESS: &str = "impress.example";

fn pack() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies/impress.toml")
        .display()
        .to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A site on the IMPRESS pack, its store a SQLite file beside its charter.toml.
struct Site {
    dir: tempfile::TempDir,
    cfg: PathBuf,
}

impl Site {
    /// `top` is put at the top of charter.toml (`domains = [...]`), `tail` at its end
    /// (gateway sections).
    fn new(top: &str, tail: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("charter.toml");
        std::fs::write(
            &cfg,
            format!(
                "policy = {:?}\n{top}\n[store]\nurl = \"sqlite://charter.db\"\n{tail}",
                pack()
            ),
        )
        .unwrap();
        Site { dir, cfg }
    }

    fn cfg(&self) -> &str {
        self.cfg.to_str().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let mut all = args.to_vec();
        all.extend(["--config", self.cfg()]);
        let out = run(&all);
        assert!(out.status.success(), "{all:?}: {}", stderr(&out));
        stdout(&out)
    }

    /// Adds a person to the people register with an email account at `address`.
    fn email_account(&self, first: &str, last: &str, address: &str) {
        self.ok(&[
            "people",
            "add",
            "--first",
            first,
            "--last",
            last,
            "--roles",
            "company_secretary",
        ]);
        let name = format!("{first} {last}");
        self.ok(&[
            "accounts", "add", &name, "--system", "email", "--name", address,
        ]);
    }

    /// Writes `raw` to a file and runs `check mail` on it against the IMPRESS pack, with
    /// `--config` when `with_config`; returns the rules that fired and standard error.
    fn check_mail(&self, raw: &str, with_config: bool) -> (Vec<String>, String) {
        let file = self.dir.path().join("message.eml");
        std::fs::write(&file, raw).unwrap();
        let pack = pack();
        let mut args = vec![
            "check",
            "mail",
            file.to_str().unwrap(),
            "--policy",
            &pack,
            "--json",
        ];
        if with_config {
            args.extend(["--config", self.cfg()]);
        }
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let decision: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let rules = decision["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        (rules, stderr(&out))
    }
}

/// The company secretary replies to all: fifteen colleagues' addresses in To.
fn reply_to_all() -> String {
    let to: Vec<String> = (1..=15)
        .map(|i| format!("colleague{i}@{IMPRESS}"))
        .collect();
    format!(
        "From: Company Secretary <company.secretary@{IMPRESS}>\r\nTo: {}\r\n\
         Subject: Re: board minutes\r\n\r\nThanks, noted.\r\n",
        to.join(", ")
    )
}

#[test]
fn impress_ccing_fires_with_the_domains_in_charter_toml() {
    let site = Site::new(&format!("domains = [\"{IMPRESS}\"]"), "");
    let (fired, _) = site.check_mail(&reply_to_all(), true);
    assert!(fired.contains(&"email.ccing".to_string()), "{fired:?}");
    // The pack alone cannot tell colleagues' addresses, so nothing is counted.
    let (fired, _) = site.check_mail(&reply_to_all(), false);
    assert!(!fired.contains(&"email.ccing".to_string()), "{fired:?}");
    // Ten colleagues is within the rule's limit.
    let ten: Vec<String> = (1..=10).map(|i| format!("c{i}@{IMPRESS}")).collect();
    let few = format!(
        "From: company.secretary@{IMPRESS}\r\nTo: {}\r\nSubject: Re: x\r\n\r\nOk.\r\n",
        ten.join(", ")
    );
    let (fired, _) = site.check_mail(&few, true);
    assert!(!fired.contains(&"email.ccing".to_string()), "{fired:?}");
}

#[test]
fn impress_ccing_fires_with_the_domains_of_the_people_register() {
    let site = Site::new("", "");
    let (fired, warning) = site.check_mail(&reply_to_all(), true);
    assert!(!fired.contains(&"email.ccing".to_string()), "{fired:?}");
    assert!(
        warning.contains("charter check mail: domains=none"),
        "{warning}"
    );
    site.email_account("Pat", "Jones", &format!("pat.jones@{IMPRESS}"));
    // A private address on record does not make its webmail domain the organisation's.
    site.email_account("Kim", "Lee", "kim.lee76@gmail.com");
    let (fired, warning) = site.check_mail(&reply_to_all(), true);
    assert!(fired.contains(&"email.ccing".to_string()), "{fired:?}");
    assert!(warning.is_empty(), "{warning}");
    let to: Vec<String> = (1..=15).map(|i| format!("friend{i}@gmail.com")).collect();
    let webmail = format!(
        "From: company.secretary@{IMPRESS}\r\nTo: {}\r\nSubject: Party\r\n\r\nCome!\r\n",
        to.join(", ")
    );
    let (fired, _) = site.check_mail(&webmail, true);
    assert!(!fired.contains(&"email.ccing".to_string()), "{fired:?}");
}

#[test]
fn impress_defamatory_mail_between_colleagues_is_held_with_domains_in_charter_toml() {
    let site = Site::new(&format!("domains = [\"{IMPRESS}\"]"), "");
    let raw = format!(
        "From: company.secretary@{IMPRESS}\r\nTo: editor@{IMPRESS}\r\nSubject: Re: you\r\n\r\n\
         You are useless and you are an idiot. Piss off.\r\n"
    );
    let (fired, _) = site.check_mail(&raw, true);
    assert_eq!(fired, ["email.inappropriate-content-internal"]);
    // Without the domains it counts as outbound, and the outbound rule holds it instead.
    let (fired, _) = site.check_mail(&raw, false);
    assert_eq!(fired, ["email.inappropriate-content"]);
}

fn lint_warnings(args: &[&str]) -> (Option<i32>, Vec<String>) {
    let out = run(args);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = report["packs"][0]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == "mail_domains_unknown")
        .map(|w| {
            let message = w["message"].as_str().unwrap();
            message.split('`').nth(1).unwrap().to_string()
        })
        .collect();
    (out.status.code(), rules)
}

#[test]
fn impress_lint_warns_without_domains_and_is_quiet_with_charter_toml() {
    let pack = pack();
    let lint = ["policy", "lint", &pack, "--today", "2026-11-24", "--json"];
    let (code, rules) = lint_warnings(&lint);
    assert_eq!(code, Some(0), "a warning keeps exit 0");
    assert_eq!(
        rules,
        [
            "email.inappropriate-content-internal",
            "email.ccing",
            "server.impersonation"
        ]
    );
    let site = Site::new(&format!("domains = [\"{IMPRESS}\"]"), "");
    let mut with_config = lint.to_vec();
    with_config.extend(["--config", site.cfg()]);
    let (code, rules) = lint_warnings(&with_config);
    assert_eq!(code, Some(0));
    assert!(rules.is_empty(), "{rules:?}");
    // A charter.toml without `domains` supplies none.
    let bare = Site::new("", "");
    let mut with_bare = lint.to_vec();
    with_bare.extend(["--config", bare.cfg()]);
    assert_eq!(lint_warnings(&with_bare).1.len(), 3);
}

#[test]
fn a_bad_domain_in_charter_toml_is_refused_naming_it() {
    let site = Site::new("domains = [\"pat@impress.example\"]", "");
    let file = site.dir.path().join("m.eml");
    std::fs::write(&file, reply_to_all()).unwrap();
    let pack = pack();
    let out = run(&[
        "check",
        "mail",
        file.to_str().unwrap(),
        "--policy",
        &pack,
        "--config",
        site.cfg(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`pat@impress.example` in `domains` is not a mail domain"),
        "{}",
        stderr(&out)
    );
}

/// A running `charter serve`, killed when the test ends.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `charter serve` for `site` (with a `[policy_service]` on port 0); returns it, the
/// policy service's address and the log file.
fn serve(site: &Site) -> (Serve, SocketAddr, PathBuf) {
    let log = site.dir.path().join("serve.log");
    let child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["serve", "--config", site.cfg()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut serve = Serve(child);
    let addr = logged_address(
        &mut serve.0,
        &log,
        "Postfix policy service started.",
        "the policy service",
    );
    (serve, addr, log)
}

/// Asks the policy service about a message from `sender` at a client outside the trusted
/// networks that did not sign in; returns its action.
fn from_outside(addr: SocketAddr, sender: &str) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut ask = |state: &str| {
        write!(
            conn,
            "request=smtpd_access_policy\nprotocol_state={state}\ninstance=m1\n\
             client_address=203.0.113.9\nsender={sender}\nrecipient=pat.jones@{IMPRESS}\n\
             sasl_username=\n\n"
        )
        .unwrap();
        let mut action = String::new();
        reader.read_line(&mut action).unwrap();
        let mut blank = String::new();
        reader.read_line(&mut blank).unwrap();
        action.trim().to_string()
    };
    assert_eq!(ask("RCPT"), "action=DUNNO");
    ask("DATA")
}

const POLICY_SERVICE: &str =
    "[policy_service]\nlisten = \"127.0.0.1:0\"\ntrusted_networks = [\"127.0.0.0/8\"]\n";

#[test]
fn serve_blocks_mail_posing_as_impress_with_the_register_s_domains() {
    let site = Site::new("", POLICY_SERVICE);
    // Nobody names the domains: the pack cannot tell an IMPRESS sender from any other.
    {
        let (_serve, addr, log) = serve(&site);
        assert_eq!(
            from_outside(addr, &format!("ceo@{IMPRESS}")),
            "action=DUNNO"
        );
        let log = std::fs::read_to_string(log).unwrap();
        assert!(log.contains("charter serve: domains=none"), "{log}");
    }
    site.email_account("Pat", "Jones", &format!("pat.jones@{IMPRESS}"));
    let (_serve, addr, log) = serve(&site);
    let action = from_outside(addr, &format!("ceo@{IMPRESS}"));
    assert!(
        action.starts_with("action=REJECT") && action.contains("server.impersonation"),
        "{action}"
    );
    assert_eq!(
        from_outside(addr, "someone@example.org"),
        "action=DUNNO",
        "a genuine outside sender passes"
    );
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.contains(&format!("charter serve: domains={IMPRESS} from=register: ")),
        "{log}"
    );
}

#[test]
fn serve_takes_the_domains_in_charter_toml_first() {
    let site = Site::new(&format!("domains = [\"{IMPRESS}\"]"), POLICY_SERVICE);
    site.email_account("Pat", "Jones", "pat.jones@elsewhere.example");
    let (_serve, addr, log) = serve(&site);
    let action = from_outside(addr, &format!("ceo@{IMPRESS}"));
    assert!(action.contains("server.impersonation"), "{action}");
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.contains(&format!("domains={IMPRESS} from=charter.toml")),
        "{log}"
    );
}
