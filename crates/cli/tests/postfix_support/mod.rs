//! A private Postfix from Debian on loopback for the end-to-end tests: its own config, queue
//! and maildir under a temp dir, every message delivered to one maildir (`mail/inbox`).
//! Missing programs fail the test with what to install; nothing is skipped.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]
#![allow(
    clippy::unwrap_used,
    reason = "test support: a failed setup step fails the test that called it"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::ports::{Bind, on_a_free_port};

/// A program from Debian, or a failure saying what to install.
pub fn require(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{name}` not found: install Debian's `{package}` (`bash .ci/setup/mail.sh` and the \
         packages in .ci/packages/mail.txt); these end-to-end tests need the real peer"
    );
}

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("charter-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const MASTER_CF: &str = "\
SMTP_LISTEN inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
";

/// A private Postfix instance: own config, queue and maildir under a temp dir, loopback only.
pub struct Postfix {
    pub dir: PathBuf,
    pub port: u16,
    postfix: PathBuf,
}

impl Postfix {
    /// Starts it with `extra` appended to main.cf (the settings a test is about).
    pub fn start(dir: &Path, extra: &str) -> Postfix {
        let postfix = require("postfix", "postfix");
        for sub in ["etc", "queue", "data", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // The virtual delivery agent writes as nobody; the data directory is Postfix's own.
        Command::new("chmod")
            .arg("777")
            .arg(dir.join("mail"))
            .status()
            .unwrap();
        Command::new("chown")
            .arg("postfix")
            .arg(dir.join("data"))
            .status()
            .unwrap();
        let d = dir.display();
        let main_cf = format!(
            "compatibility_level = 3.6\nqueue_directory = {d}/queue\ndata_directory = {d}/data\n\
             mail_owner = postfix\nsetgid_group = postdrop\nmyhostname = mx.acme.test\n\
             mydomain = acme.test\nmydestination =\ninet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\nmynetworks = 127.0.0.0/8\nmaillog_file_prefixes = {d}\n\
             maillog_file = {d}/maillog\nsmtp_dns_support_level = disabled\n\
             virtual_mailbox_domains = acme.test, client.test\nvirtual_mailbox_base = {d}/mail\n\
             virtual_mailbox_maps = static:inbox/\nvirtual_uid_maps = static:65534\n\
             virtual_gid_maps = static:65534\n\
             smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n\
             \n{extra}\n"
        );
        std::fs::write(dir.join("etc/main.cf"), main_cf).unwrap();
        on_a_free_port("postfix", |port| {
            std::fs::write(
                dir.join("etc/master.cf"),
                MASTER_CF.replace("SMTP_LISTEN", &format!("127.0.0.1:{port}")),
            )
            .unwrap();
            let pf = Postfix {
                dir: dir.to_path_buf(),
                port,
                postfix: postfix.clone(),
            };
            // `postfix start` returns once the master has bound its services, or failed to.
            let out = pf.ctl(&["start"]);
            if out.status.success() {
                return Bind::Listening(pf);
            }
            let said = format!(
                "{}{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                pf.log()
            );
            if said.contains("Address already in use") {
                return Bind::PortTaken;
            }
            panic!("postfix did not start: {said}");
        })
    }

    pub fn ctl(&self, args: &[&str]) -> Output {
        Command::new(&self.postfix)
            .arg("-c")
            .arg(self.dir.join("etc"))
            .args(args)
            .output()
            .unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("maillog")).unwrap_or_default()
    }

    /// Sends with swaks; returns its exit code and transcript.
    pub fn swaks(&self, args: &[&str]) -> (i32, String) {
        let swaks = require("swaks", "swaks");
        let out = Command::new(swaks)
            .args([
                "--server",
                &format!("127.0.0.1:{}", self.port),
                "--timeout",
                "60",
            ])
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }

    /// The delivered message whose Subject holds `token`, waiting for delivery.
    pub fn delivered(&self, token: &str) -> Vec<u8> {
        let new = self.dir.join("mail/inbox/new");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(entries) = std::fs::read_dir(&new) {
                for e in entries.flatten() {
                    let raw = std::fs::read(e.path()).unwrap();
                    let head_end = raw
                        .windows(2)
                        .position(|w| w == b"\n\n")
                        .unwrap_or(raw.len());
                    if String::from_utf8_lossy(&raw[..head_end]).contains(token) {
                        return raw;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "message `{token}` was not delivered; Postfix log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Queue ids in the hold queue.
    pub fn held(&self) -> Vec<String> {
        let out = Command::new(require("postqueue", "postfix"))
            .arg("-c")
            .arg(self.dir.join("etc"))
            .arg("-j")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["queue_name"] == "hold")
            .filter_map(|v| v["queue_id"].as_str().map(str::to_string))
            .collect()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = self.ctl(&["abort"]);
    }
}
