//! Shared helpers for the web end-to-end tests: temporary directories, free ports, a local
//! origin server, a real Squid, curl, and the configuration blocks from docs/squid.md.
//!
//! Peers that are missing make the test FAIL with the package to install; they are never
//! skipped (see .ci/packages/web.txt).
#![allow(dead_code, reason = "each test binary uses part of the helpers")]
#![allow(
    clippy::unwrap_used,
    reason = "test support: a failed setup step fails the test that called it"
)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "../ports/mod.rs"]
mod ports;
pub use ports::*;

pub mod icap;
pub mod tls;

pub const CHARTER: &str = env!("CARGO_BIN_EXE_charter");

/// Panics with an install hint when `program` is not on PATH.
pub fn require(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in
        std::env::split_paths(&path).chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
    {
        let candidate = dir.join(program);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "`{program}` is not installed, and this end-to-end test needs it: \
         apt-get install {package} (listed in .ci/packages/web.txt)"
    );
}

/// A directory removed on drop, readable by Squid's `proxy` user: it lies in the system's
/// temporary directory, not under the clone, which may sit in a private (0700) home.
pub struct TempDir(PathBuf);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("charter-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        set_mode(&path, 0o755);
        assert_others_can_enter(&path);
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
            set_mode(parent, 0o755);
        }
        std::fs::write(&path, text).unwrap();
        set_mode(&path, 0o644);
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// Fails the test, saying why, when a directory on the way to `path` is closed to other
/// users: Squid's helpers run as `proxy` and could not reach the files.
fn assert_others_can_enter(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for dir in path.ancestors() {
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        assert!(
            mode & 0o001 != 0,
            "`{}` (mode {:o}) is closed to other users, so Squid's `proxy` user cannot reach \
             `{}`: point TMPDIR at a directory everyone may enter",
            dir.display(),
            mode & 0o7777,
            path.display()
        );
    }
}

/// Charter's binary where Squid's `proxy` user can run it: a link to (or a copy of) the one
/// cargo built, in `dir`. The build may sit under a private home or a 0700 clone.
pub fn charter_for_squid(dir: &TempDir) -> PathBuf {
    let path = dir.path().join("charter");
    if !path.exists() && std::fs::hard_link(CHARTER, &path).is_err() {
        std::fs::copy(CHARTER, &path).unwrap();
    }
    set_mode(&path, 0o755);
    path
}

/// A tiny HTTP origin server on loopback that answers every request with `BODY`.
pub struct Origin {
    pub port: u16,
}

pub const ORIGIN_BODY: &str = "hello from the origin server";

impl Origin {
    pub fn start() -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut buf = [0u8; 4096];
                    let mut seen = Vec::new();
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ORIGIN_BODY}",
                        ORIGIN_BODY.len()
                    );
                    let _ = stream.write_all(reply.as_bytes());
                });
            }
        });
        Origin { port }
    }
}

/// A block of docs/squid.md between `<!-- charter:NAME -->` and `<!-- /charter:NAME -->`,
/// without its code fence.
pub fn doc_block(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/squid.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = format!("<!-- charter:{name} -->");
    let end = format!("<!-- /charter:{name} -->");
    let from = doc
        .find(&start)
        .unwrap_or_else(|| panic!("docs/squid.md has no {start}"))
        + start.len();
    let to = doc[from..].find(&end).unwrap() + from;
    doc[from..to]
        .lines()
        .filter(|l| !l.starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
        + "\n"
}

/// The test pack: gambling always blocked, social media only in the breaks.
pub const PACK: &str = r#"
[policy]
id = "web-e2e"
title = "Test Ltd IT Policy"
source = "TEST-IT-1"
timezone = "Europe/London"

[organisation]
name = "Test Ltd"
contact = "the IT Department"

[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
breaks = [{ from = "12:30", to = "13:30" }]
personal_use = ["breaks", "outside_working"]

[[rule]]
id = "internet.prohibited-content"
clause = "Internet use / Prohibited use"
quote = "Gambling, pornography, terrorism and other inappropriate content."
on = "web"
categories = ["gambling", "adult"]
action = "block"
severity = "gross_misconduct"

[[rule]]
id = "social.personal-use-in-breaks"
clause = "Social media / Use (b)"
quote = "Any use for non-work purposes is allowed only during break times."
on = "web"
categories = ["social_media"]
outside = "personal_use"
action = "block"
severity = "concern"
"#;

/// Monday 15 June 2026, local time in the pack's zone (Europe/London, BST).
pub const TEN_AM: &str = "2026-06-15T10:00";
pub const LUNCH: &str = "2026-06-15T12:45";

/// Writes the pack and a small squidGuard-layout list and builds an index with the CLI.
pub fn pack_and_index(dir: &TempDir) -> (PathBuf, PathBuf) {
    let pack = dir.write("policy.toml", PACK);
    dir.write("lists/gambling/domains", "bet365.com\nwilliamhill.com\n");
    dir.write(
        "lists/social_networks/domains",
        "facebook.com\ninstagram.com\n",
    );
    dir.write("lists/press/domains", "bbc.co.uk\n");
    dir.write("lists/ai/domains", "openai.com\nchatgpt.com\n");
    (pack, build_index(dir))
}

/// Builds `categories.idx` in `dir` from the lists under `dir/lists` with the CLI.
pub fn build_index(dir: &TempDir) -> PathBuf {
    let index = dir.path().join("categories.idx");
    let out = Command::new(CHARTER)
        .args(["categories", "build", "--from"])
        .arg(dir.path().join("lists"))
        .arg("-o")
        .arg(&index)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "categories build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    set_mode(&index, 0o644);
    index
}

/// A real Squid on loopback, stopped on drop.
pub struct Squid {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

/// The hosts the tests use, all resolved to loopback through Squid's `hosts_file`, so
/// nothing leaves the machine.
pub const HOSTS: &str = "127.0.0.1 localhost www.bet365.com bet365.com facebook.com www.facebook.com allowed.test www.bbc.co.uk www.shop.test shop.test games.test\n";

impl Squid {
    /// Starts Squid with a harness configuration (port, files, loopback DNS) around
    /// `body`, which is the block under test followed by the usual allow/deny lines.
    pub fn start(dir: &TempDir, body: &str) -> Squid {
        Squid::start_with(dir, &|port| format!("http_port 127.0.0.1:{port}"), "", body)
    }

    /// [`Squid::start`] with the `http_port` line made by `port_line` for the chosen port
    /// (such as an `ssl-bump` port, see [`tls`]) and `extra_hosts` (`/etc/hosts` lines)
    /// resolved through Squid's `hosts_file` besides [`HOSTS`].
    pub fn start_with(
        dir: &TempDir,
        port_line: &dyn Fn(u16) -> String,
        extra_hosts: &str,
        body: &str,
    ) -> Squid {
        let squid = require("squid", "squid-openssl");
        let d = dir.path();
        let errors = d.join("errors");
        std::fs::create_dir_all(&errors).unwrap();
        set_mode(&errors, 0o755);
        for entry in std::fs::read_dir("/usr/share/squid/errors/templates").unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), errors.join(entry.file_name())).unwrap();
        }
        dir.write("errors/ERR_CHARTER_BLOCKED", &doc_block("err-page"));
        dir.write("hosts", &format!("{HOSTS}{extra_hosts}"));
        let logs = d.join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let _ = Command::new("chown").arg("proxy:proxy").arg(&logs).status();
        let cache_log = logs.join("cache.log");
        on_a_free_port("squid", |port| {
            let conf = format!(
                "{port_line}\n\
                 pid_filename {logs}/squid.pid\n\
                 cache_log {cache_log}\n\
                 cache deny all\n\
                 shutdown_lifetime 0 seconds\n\
                 dns_nameservers 127.0.0.1\n\
                 hosts_file {d}/hosts\n\
                 error_directory {d}/errors\n\
                 netdb_filename none\n\
                 acl localnet src 127.0.0.1/32\n\
                 {body}",
                logs = logs.display(),
                cache_log = cache_log.display(),
                d = d.display(),
                port_line = port_line(port),
            );
            let conf_path = dir.write("squid.conf", &conf);
            let _ = std::fs::remove_file(&cache_log);
            let mut child = Command::new(&squid)
                .arg("-N")
                .arg("-n")
                .arg(format!("charter{port}"))
                .arg("-f")
                .arg(&conf_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // Squid 5 logs "Accepting HTTP Socket connections at conn3 local=..." once
            // http_port listens ("Accepting SSL bumped HTTP Socket ..." for an ssl-bump port).
            let ready = "HTTP Socket connections at";
            match await_listening(&mut child, &cache_log, ready, "squid") {
                Bind::Listening(()) => Bind::Listening(Squid {
                    child,
                    port,
                    dir: d.to_path_buf(),
                }),
                Bind::PortTaken => Bind::PortTaken,
            }
        })
    }

    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("logs/access.log")).unwrap_or_default()
    }

    pub fn cache_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("logs/cache.log")).unwrap_or_default()
    }

    /// Whether `cache.log` comes to hold `text` within a few seconds: Squid and its helpers
    /// write it on their own schedules, so a line may land a moment after the answer it
    /// goes with.
    pub fn cache_log_shows(&self, text: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if self.cache_log().contains(text) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fetches `url` through the proxy on `port` with curl: (HTTP status, body).
pub fn curl(port: u16, url: &str) -> (u16, String) {
    curl_with(port, url, &[])
}

/// [`curl`] with `extra` curl arguments before the URL (`--cacert`, `-d`, `-H`, ...).
pub fn curl_with(port: u16, url: &str, extra: &[&std::ffi::OsStr]) -> (u16, String) {
    let curl = require("curl", "curl");
    let out = Command::new(curl)
        .args([
            "-s",
            "--max-time",
            "20",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            "-x",
        ])
        .arg(format!("http://127.0.0.1:{port}"))
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// The documented block with the test's paths (Charter's binary as [`charter_for_squid`]
/// places it, the pack, the index, the access log in `dir`), and the helper's clock fixed at
/// `at` with `--at`.
pub fn localise(block: &str, dir: &TempDir, pack: &Path, index: &Path, at: &str) -> String {
    let charter = charter_for_squid(dir);
    block
        .replace(
            "/usr/bin/charter squid-helper",
            &format!("{} squid-helper --at {at}", charter.display()),
        )
        .replace("/etc/charter/policy.toml", &pack.display().to_string())
        .replace(
            "/var/lib/charter/categories.idx",
            &index.display().to_string(),
        )
        .replace(
            "/var/log/squid/access.log",
            &dir.path().join("logs/access.log").display().to_string(),
        )
}
