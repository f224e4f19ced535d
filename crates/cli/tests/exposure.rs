//! Least exposure: commands that act on the store refuse files anyone on the machine could
//! change, naming the path and the fix; the PostgreSQL password appears in no log line and no
//! error.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod serve_support;

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use serve_support::*;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A site in a private directory: its own copy of the pack, a category index file, a store.
fn site(dir: &Path) -> std::path::PathBuf {
    let pack = dir.join("pack.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/iimts.toml"),
        &pack,
    )
    .unwrap();
    let cfg = config(dir, "sqlite://charter.db", Some(&pack));
    let out = charter(&cfg, &["people", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cfg
}

fn refused(cfg: &Path, args: &[&str], path: &Path) {
    let out = charter(cfg, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} ran with `{}` world-writable: {err}",
        path.display()
    );
    assert!(err.contains("world-writable"), "{err}");
    assert!(
        err.contains(&format!("`chmod o-w {}`", path.display())),
        "{err}"
    );
}

#[test]
fn serve_and_store_commands_refuse_a_world_writable_config_pack_or_store() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = site(dir.path());
    for file in ["charter.toml", "pack.toml", "charter.db"] {
        let path = dir.path().join(file);
        chmod(&path, 0o666);
        refused(&cfg, &["serve"], &path);
        refused(&cfg, &["people", "list"], &path);
        chmod(&path, 0o600);
    }
    assert!(charter(&cfg, &["people", "list"]).status.success());
}

#[test]
fn serve_refuses_a_world_writable_category_index_or_spool() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = site(dir.path());
    let index = dir.path().join("categories.idx");
    std::fs::write(&index, "").unwrap();
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("categories = \"categories.idx\"\n{text}")).unwrap();
    chmod(&index, 0o666);
    refused(&cfg, &["serve"], &index);
    std::fs::write(&cfg, text).unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    chmod(&spool, 0o777);
    refused(&cfg, &["serve"], &spool);
}

#[test]
fn a_world_writable_directory_without_the_sticky_bit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = site(dir.path());
    chmod(dir.path(), 0o777);
    refused(&cfg, &["people", "list"], dir.path());
    chmod(dir.path(), 0o1777);
    assert!(charter(&cfg, &["people", "list"]).status.success());
    chmod(dir.path(), 0o700);
}

#[test]
fn the_postgres_password_is_in_no_log_line_and_no_error() {
    // A server that takes connections and hangs up: the store is down.
    let down = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = down.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in down.incoming() {
            drop(client);
        }
    });
    let url = format!("postgres://charter:s3cret-pw@127.0.0.1:{port}/charter");
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &url, None);
    let serve = Serve::start(&cfg);
    assert!(serve.wait_for_log("Store unreachable", std::time::Duration::from_secs(10)));
    let (status, log) = serve.terminate();
    assert!(status.success(), "{log}");
    assert!(log.contains("charter:***@127.0.0.1"), "{log}");
    assert!(!log.contains("s3cret"), "{log}");
    let stats = String::from_utf8(charter(&cfg, &["records", "stats", "--json"]).stdout).unwrap();
    assert!(!stats.contains("s3cret"), "{stats}");
    let out = charter(&cfg, &["people", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("charter:***@127.0.0.1"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
}
