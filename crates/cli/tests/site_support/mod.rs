//! A site for the CLI tests: a temporary directory with a charter.toml naming one of the
//! repository's packs and a SQLite store, and the `charter` binary run against it.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Site {
    pub dir: tempfile::TempDir,
    pub cfg: PathBuf,
}

impl Site {
    pub fn with_pack(name: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let pack =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../policies/{name}.toml"));
        let cfg = dir.path().join("charter.toml");
        std::fs::write(
            &cfg,
            format!(
                "policy = {:?}\n[store]\nurl = \"sqlite://charter.db\"\n",
                pack.display().to_string()
            ),
        )
        .unwrap();
        Site { dir, cfg }
    }

    /// `charter ARGS --config CFG`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_charter"))
            .args(args)
            .arg("--config")
            .arg(&self.cfg)
            .output()
            .unwrap()
    }

    /// Its standard output, after checking it succeeded.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}
