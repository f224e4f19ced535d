//! `charter serve` with an `[icap]` section, for the ICAP end-to-end tests.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::{
    Bind, CHARTER, PACK, TempDir, await_listening, on_a_free_port, pack_and_index, require,
};

/// `charter serve` with an `[icap]` section, stopped on drop.
pub struct Serve {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Serve {
    /// Serves the test [`PACK`] at `now` (`--at`), with `extra` lines in `[icap]`.
    pub fn start(dir: &TempDir, now: &str, extra: &str) -> Serve {
        Serve::start_with_pack(dir, now, PACK, extra)
    }

    /// [`Serve::start`] with the pack `pack` (TOML text).
    pub fn start_with_pack(dir: &TempDir, now: &str, pack: &str, extra: &str) -> Serve {
        let (pack_path, index) = pack_and_index(dir);
        dir.write("policy.toml", pack);
        let pack = pack_path;
        let log_path = dir.path().join("serve.log");
        on_a_free_port("charter serve", |port| {
            let config = dir.write(
                "charter.toml",
                &format!(
                    "policy = \"{}\"\ncategories = \"{}\"\n\n[icap]\nlisten = \"127.0.0.1:{port}\"\n{extra}",
                    pack.display(),
                    index.display()
                ),
            );
            let log = std::fs::File::create(&log_path).unwrap();
            let mut child = Command::new(CHARTER)
                .arg("serve")
                .arg("--config")
                .arg(&config)
                .args(["--at", now])
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            match await_listening(
                &mut child,
                &log_path,
                "ICAP server started.",
                "charter serve",
            ) {
                Bind::Listening(()) => Bind::Listening(Serve {
                    child,
                    port,
                    log: log_path.clone(),
                }),
                Bind::PortTaken => Bind::PortTaken,
            }
        })
    }
}

impl Serve {
    /// What `charter serve` has written to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs c-icap-client with `-v` against `service` on `port`: its stdout (the body) and
/// stderr (the headers) together.
pub fn c_icap_client(port: u16, service: &str, args: &[&str]) -> String {
    let client = require("c-icap-client", "c-icap");
    let out = Command::new(client)
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-s",
            service,
            "-v",
        ])
        .args(args)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
