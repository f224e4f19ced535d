//! A site serving the dashboard for the CLI's end-to-end tests: a temporary directory with a
//! pack, a charter.toml over a fresh SQLite store, and `charter serve` listening on a loopback
//! port with that port as its public address; people and logins are made with the `charter`
//! binary as an administrator would.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::ports::{Bind, await_listening, on_a_free_port};

/// The password every login gets.
pub const PASSWORD: &str = "correct horse battery";

const CHARTER: &str = env!("CARGO_BIN_EXE_charter");

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct DashboardSite {
    pub dir: tempfile::TempDir,
    pub cfg: PathBuf,
    pub port: u16,
    _serve: Serve,
}

impl DashboardSite {
    /// `charter serve` over `pack`, its dashboard at [`DashboardSite::url`].
    pub fn start(pack: &str) -> DashboardSite {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), pack).unwrap();
        let log_path = dir.path().join("serve.log");
        let cfg = dir.path().join("charter.toml");
        let (serve, port) = on_a_free_port("charter serve", |port| {
            std::fs::write(
                &cfg,
                format!(
                    "policy = \"pack.toml\"\n[store]\nurl = \"sqlite://charter.db\"\n[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n"
                ),
            )
            .unwrap();
            let mut child = Command::new(CHARTER)
                .args(["serve", "--config"])
                .arg(&cfg)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log_path).unwrap())
                .spawn()
                .unwrap();
            match await_listening(
                &mut child,
                &log_path,
                "Warn and hold pages started.",
                "serve",
            ) {
                Bind::Listening(()) => Bind::Listening((Serve(child), port)),
                Bind::PortTaken => Bind::PortTaken,
            }
        });
        DashboardSite {
            dir,
            cfg,
            port,
            _serve: serve,
        }
    }

    /// The dashboard's address.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `charter ARGS --config CFG` with `stdin`; its standard output, after checking it
    /// succeeded.
    pub fn charter(&self, args: &[&str], stdin: &str) -> String {
        let mut child = Command::new(CHARTER)
            .args(args)
            .arg("--config")
            .arg(&self.cfg)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A person in the people register.
    pub fn person(&self, first: &str, last: &str, roles: &str) {
        self.charter(
            &[
                "people", "add", "--first", first, "--last", last, "--roles", roles,
            ],
            "",
        );
    }

    /// A login with [`PASSWORD`] for the person `name`; its TOTP secret.
    pub fn user(&self, name: &str, login: &str) -> String {
        let made: serde_json::Value = serde_json::from_str(&self.charter(
            &[
                "users",
                "add",
                name,
                "--login",
                login,
                "--password-stdin",
                "--json",
            ],
            &format!("{PASSWORD}\n"),
        ))
        .unwrap();
        made["totp_secret"].as_str().unwrap().to_string()
    }
}
