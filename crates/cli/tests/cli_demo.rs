//! `charter demo`, the README's first command, end to end in a fresh directory.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on unexpected output"
)]

use std::process::Command;

#[test]
fn demo_decides_the_day_and_keeps_records_in_sqlite() {
    let dir = std::env::temp_dir().join(format!("charter-demo-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_charter"))
            .arg("demo")
            .current_dir(&dir)
            .output()
            .expect("charter demo runs")
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with `{needle}` in:\n{text}"))
            .to_string()
    };
    assert!(line("https://www.bet365.com/").contains("block   https://www.bet365.com/"));
    assert!(
        line("12:45  ann.smith").contains("allow"),
        "facebook in the lunch break"
    );
    assert!(
        line("14:20  dev.patel").contains("warn"),
        "instagram at 14:20"
    );
    assert!(line("invoice with an executable").contains("executable_attachment"));
    assert!(line("personal message").contains("[personal: headers only]"));
    assert!(line("Stored 24 monitoring records").contains("(24 in all)"));
    assert!(dir.join("charter-demo.db").exists());

    // A second run adds to the same store and the chain still verifies.
    let again = run();
    assert_eq!(again.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("(48 in all); the audit chain (2 rows) is intact")
    );
    std::fs::remove_dir_all(&dir).ok();
}
