//! `charter serve` raises alerts from what its gateways decide, through the one hook on the
//! record path: a gambling request through ICAP becomes a record, then a safeguarding alert
//! mailed at once through a real Postfix on loopback, then (more of the same hour) nothing
//! more; and the requests are counted in the personal-use figures.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod ports;
mod postfix_support;
mod serve_support;

use std::path::Path;
use std::time::{Duration, Instant};

use postfix_support::{Postfix, TempDir};
use serve_support::*;

fn charter_ok(cfg: &Path, args: &[&str]) -> String {
    let out = charter(cfg, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn serve_mails_a_safeguarding_alert_at_once_and_once_an_hour() {
    let tmp = TempDir::new("serve-alerts");
    let pf = Postfix::start(&tmp.0.join("postfix"), "");
    let dir = tmp.0.join("site");
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/breaks.toml");
    let pack = std::fs::read_to_string(fixture).unwrap().replace(
        "roles = [\"staff\", \"social_media_manager\", \"hr\", \"dpo\", \"compliance\"]",
        "roles = [\"staff\", \"social_media_manager\", \"hr\", \"dpo\", \"compliance\", \"safeguarding_lead\"]",
    );
    let pack_path = dir.join("pack.toml");
    std::fs::write(&pack_path, pack).unwrap();
    let cfg = config(&dir, "sqlite://charter.db", Some(&pack_path));
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!(
        "[alerts]\nsmtp = \"127.0.0.1:{}\"\nfrom = \"charter@acme.test\"\n",
        pf.port
    ));
    std::fs::write(&cfg, text).unwrap();
    for args in [
        &[
            "people",
            "add",
            "--first",
            "Sam",
            "--last",
            "Safe",
            "--roles",
            "safeguarding_lead",
        ][..],
        &[
            "accounts",
            "add",
            "Sam Safe",
            "--system",
            "email",
            "--name",
            "sam@acme.test",
        ][..],
        &[
            "people", "add", "--first", "Ann", "--last", "Lee", "--roles", "staff",
        ][..],
        &[
            "accounts", "add", "Ann Lee", "--system", "login", "--name", "ann",
        ][..],
    ] {
        charter_ok(&cfg, args);
    }
    let serve = Serve::start(&cfg);
    let mut icap = Icap::connect(serve.port);
    let (_, page) = icap.reqmod(b"http://www.bet365.com/", "ann");
    assert!(page.contains("403 Forbidden"), "{page}");
    icap.reqmod(b"http://www.bet365.com/sports", "ann");

    let raw = pf.delivered("Charter safeguarding alert");
    let mail = String::from_utf8_lossy(&raw);
    assert!(mail.contains("sam@acme.test"), "{mail}");
    assert!(mail.contains("rule internet.prohibited-content"), "{mail}");
    assert!(
        mail.contains("Clause: Internet use / Content and use / Prohibited use"),
        "{mail}"
    );

    // Two requests in one hour: one alert.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = charter_ok(&cfg, &["alerts", "list", "--by", "Sam Safe", "--json"]);
        let list: serde_json::Value = serde_json::from_str(&out).unwrap();
        let n = list.as_array().unwrap().len();
        if n == 1 && list[0]["mailed_at"].is_string() {
            assert_eq!(list[0]["user"], "ann");
            assert_eq!(list[0]["rule"], "internet.prohibited-content");
            break;
        }
        assert!(Instant::now() < deadline, "alerts: {list}");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(serve);

    // The figures: both requests, under the person's login and the site's category.
    let db = dir.join("charter.db");
    let rows: Vec<(String, String, i64)> = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Connection as _;
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            sqlx::query_as("SELECT person, category, CAST(SUM(requests) AS BIGINT) FROM usage_daily GROUP BY person, category")
                .fetch_all(&mut c)
                .await
                .unwrap()
        });
    assert_eq!(rows, vec![("ann".to_string(), "gambling".to_string(), 2)]);
}
