//! The application core from the command line, as people would use it (issue 9): authority
//! from the pack's [governance], clocks in the pack's time zone, one time parser, workflows
//! that hold up, names beside ids, and a subject access summary fit to send. Each test runs on
//! SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod serve_support;
use serve_support::PgDb;

/// Which store a site keeps its registers in.
enum Db {
    Sqlite,
    /// A fresh PostgreSQL database named after the test.
    Postgres(&'static str),
}

struct Site {
    dir: tempfile::TempDir,
    cfg: PathBuf,
    pg: Option<PgDb>,
}

/// One test on both stores: `both!(name, |s| { ... })` makes `name::sqlite` and
/// `name::postgres`, each with a fresh [`Site`] `s`.
macro_rules! both {
    ($name:ident, |$s:ident| $body:block) => {
        mod $name {
            use super::*;

            #[test]
            fn sqlite() {
                let $s = Site::new(Db::Sqlite);
                $body
            }

            #[test]
            fn postgres() {
                let tag = stringify!($name);
                let $s = Site::new(Db::Postgres(&tag[..tag.len().min(20)]));
                $body
            }
        }
    };
}

impl Site {
    /// A site on the IIMTS pack (Europe/London; IT approves devices and software; the
    /// default roles `hr`, `dpo` and `compliance` keep registers, data protection and
    /// records).
    fn new(db: Db) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/iimts.toml");
        let cfg = dir.path().join("charter.toml");
        let pg = match db {
            Db::Sqlite => None,
            Db::Postgres(tag) => Some(PgDb::new(tag)),
        };
        let url = pg
            .as_ref()
            .map_or_else(|| "sqlite://charter.db".to_string(), |pg| pg.url.clone());
        std::fs::write(
            &cfg,
            format!(
                "policy = {:?}\n[store]\nurl = {url:?}\n",
                pack.display().to_string()
            ),
        )
        .unwrap();
        Site { dir, cfg, pg }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_charter"))
            .args(args)
            .arg("--config")
            .arg(&self.cfg)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        serde_json::from_str(&self.ok(&a)).unwrap()
    }

    /// Fails with exit 2 and a one-line error containing `want`; returns stdout.
    fn refused(&self, args: &[&str], want: &str) -> String {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(want), "{args:?}: {err}");
        String::from_utf8(out.stdout).unwrap()
    }

    fn add(&self, first: &str, last: &str, roles: &str) {
        self.ok(&[
            "people",
            "add",
            "--first",
            first,
            "--last",
            last,
            "--roles",
            roles,
            "--location",
            "uk",
            "--email",
        ]);
    }

    /// The first column of every row `query` returns, from whichever store the site uses.
    fn sql(&self, query: &str) -> Vec<i64> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use sqlx::{Connection as _, Row as _};
            let sql = sqlx::AssertSqlSafe(query.to_string());
            match &self.pg {
                Some(pg) => {
                    let mut c = sqlx::PgConnection::connect(&pg.url).await.unwrap();
                    let q = sqlx::query::<sqlx::Postgres>(sql);
                    let rows = q.fetch_all(&mut c).await.unwrap();
                    rows.iter().map(|r| r.get::<i64, _>(0)).collect()
                }
                None => {
                    let db = self.dir.path().join("charter.db");
                    let url = format!("sqlite://{}", db.display());
                    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
                    let q = sqlx::query::<sqlx::Sqlite>(sql);
                    let rows = q.fetch_all(&mut c).await.unwrap();
                    rows.iter().map(|r| r.get::<i64, _>(0)).collect()
                }
            }
        })
    }
}

// ---- 2. authority ---------------------------------------------------------------------------

both!(
    erasure_needs_the_data_protection_role_shows_its_plan_and_a_confirmed_name,
    |s| {
        s.add("Dee", "Pro", "dpo"); // 1
        s.add("Ian", "Tech", "it"); // 2
        s.add("Pat", "Leaver", "staff,it"); // 3: also approves software
        s.add("Hana", "Res", "hr"); // 4
        // Pat asks for software twice (one refused, one approved) and approves Ian's request.
        s.ok(&[
            "software",
            "request",
            "--person",
            "Pat Leaver",
            "--name",
            "BitTorrent",
            "--reason",
            "films",
            "--by",
            "Pat Leaver",
        ]);
        s.ok(&[
            "software", "refuse", "1", "--reason", "piracy", "--by", "Ian Tech",
        ]);
        s.ok(&[
            "software",
            "request",
            "--person",
            "Pat Leaver",
            "--name",
            "Inkscape",
            "--reason",
            "diagrams",
            "--by",
            "Pat Leaver",
        ]);
        s.ok(&[
            "software", "approve", "2", "--reason", "free", "--by", "Ian Tech",
        ]);
        s.ok(&[
            "software",
            "request",
            "--person",
            "Ian Tech",
            "--name",
            "Wireshark",
            "--reason",
            "network",
            "--by",
            "Ian Tech",
        ]);
        s.ok(&[
            "software",
            "approve",
            "3",
            "--reason",
            "needed",
            "--by",
            "Pat Leaver",
        ]);
        // Someone still here cannot be erased, not even planned.
        s.refused(
            &["dsar", "erase", "--person", "3", "--by", "Dee Pro"],
            "person 3 (Pat Leaver) is active: erasure applies to people who have left",
        );
        // Pat leaves.
        s.ok(&[
            "leaver",
            "open",
            "Pat Leaver",
            "--leaving",
            "2026-06-30",
            "--by",
            "Hana Res",
        ]);
        for (item, who) in [
            ("equipment_returned", "Ian Tech"),
            ("credentials_handed_over", "Ian Tech"),
            ("accounts_disabled", "Ian Tech"),
            ("social_handed_over", "Hana Res"),
        ] {
            s.ok(&["leaver", "tick", "1", item, "--by", who]);
        }
        s.ok(&["leaver", "close", "1", "--by", "Ian Tech"]);

        s.refused(
            &["dsar", "erase", "--person", "3", "--by", "Ian Tech"],
            "person 2 (Ian Tech) may not erase people: it needs one of the roles dpo",
        );
        // Without --confirm: the plan on stdout, nothing erased, exit 2 saying how to confirm.
        let plan = s.refused(
            &[
                "dsar",
                "erase",
                "--person",
                "pat.uk@iimtsab.co.uk",
                "--by",
                "Dee Pro",
            ],
            "nothing erased: to erase, repeat with --confirm \"Pat Leaver\"",
        );
        assert!(
            plan.contains("person 3 (Pat Leaver): would erase"),
            "{plan}"
        );
        assert!(plan.contains("1 software requests not approved"), "{plan}");
        assert!(
            plan.contains("1 software approved at their request"),
            "{plan}"
        );
        assert!(
            plan.contains("approvals and decisions they made for the organisation"),
            "{plan}"
        );
        assert_eq!(s.sql("SELECT COUNT(*) FROM software_requests"), vec![3]);
        s.refused(
            &[
                "dsar",
                "erase",
                "--person",
                "3",
                "--confirm",
                "Pat",
                "--by",
                "Dee Pro",
            ],
            "nothing erased: the confirmation `Pat` is not the name of person 3 (Pat Leaver)",
        );
        let done = s.json(&[
            "dsar",
            "erase",
            "--person",
            "3",
            "--confirm",
            "Pat Leaver",
            "--by",
            "Dee Pro",
        ]);
        assert_eq!(done["person_name"], "Pat Leaver");
        // What belongs to the organisation stays: the approval Pat made and the approved list.
        assert_eq!(
            s.sql("SELECT decided_by FROM software_requests WHERE id = 3"),
            vec![3]
        );
        assert_eq!(
            s.ok(&["software", "approved"]).trim(),
            "Inkscape\nWireshark"
        );
        assert_eq!(
            s.sql("SELECT id FROM software_requests WHERE id = 1"),
            Vec::<i64>::new()
        );
        // Ids are never reused: the newest ids stay retired.
        s.ok(&[
            "software", "request", "--person", "Ian Tech", "--name", "GIMP", "--reason", "images",
            "--by", "Ian Tech",
        ]);
        assert_eq!(s.sql("SELECT MAX(id) FROM software_requests"), vec![4]);
        let people = s.json(&["people", "list"]);
        assert_eq!(people[2]["status"], "erased");
        assert_eq!(people[2]["first_name"], "erased");
        assert!(s.ok(&["audit", "verify"]).contains("intact"));
    }
);

both!(
    only_the_data_protection_role_keeps_the_breach_log_and_requests,
    |s| {
        s.add("Dee", "Pro", "dpo");
        s.add("Sid", "Staff", "staff");
        let open = |by: &str| -> Output {
            s.run(&[
                "breach",
                "open",
                "--description",
                "mail to the wrong list",
                "--categories",
                "names",
                "--consequences",
                "embarrassment",
                "--measures",
                "recall",
                "--contact",
                "DPO",
                "--by",
                by,
            ])
        };
        let out = open("Sid Staff");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("may not log data breaches"));
        assert!(open("Dee Pro").status.success());
        s.refused(
            &[
                "request",
                "receive",
                "--kind",
                "access",
                "--requester",
                "Sid Staff",
            ],
            "the operator",
        );
    }
);

// ---- 3. clocks and the one time parser ------------------------------------------------------

both!(
    breach_deadlines_read_in_local_time_with_remaining_and_overdue,
    |s| {
        s.add("Dee", "Pro", "dpo");
        s.add("Vic", "Tim", "staff");
        // 09:00 on a June morning in London is 08:00 UTC: the deadline is 08:00 UTC, not 09:00.
        let b = s.json(&[
            "breach",
            "open",
            "--description",
            "laptop left on a train",
            "--categories",
            "learner records",
            "--consequences",
            "identity fraud",
            "--measures",
            "remote wipe",
            "--contact",
            "DPO",
            "--aware-at",
            "2026-06-12 09:00",
            "--person",
            "Vic Tim",
            "--by",
            "Dee Pro",
        ]);
        assert_eq!(b["aware_at"], "2026-06-12T08:00:00Z");
        assert_eq!(b["notify_by"], "2026-06-15T08:00:00Z");
        assert_eq!(b["deadline_local"], "2026-06-15 09:00 BST");
        let now = jiff::Timestamp::now();
        let overdue = now > "2026-06-15T08:00:00Z".parse().unwrap();
        assert_eq!(b["overdue"], overdue);
        assert_eq!(b["people_names"][0], "Vic Tim");
        let remaining = b["remaining"].as_str().unwrap();
        assert_eq!(remaining.starts_with("OVERDUE by "), overdue, "{remaining}");
        // A breach whose 72 hours have passed is OVERDUE in the list and in show.
        s.ok(&[
            "breach",
            "open",
            "--description",
            "old",
            "--categories",
            "names",
            "--consequences",
            "x",
            "--measures",
            "y",
            "--contact",
            "DPO",
            "--aware-at",
            "2026-01-09T16:00:00Z",
            "--by",
            "1",
        ]);
        let list = s.ok(&["breach", "list"]);
        assert!(
            list.lines().any(|l| l.starts_with(
                "breach 2 [open] old; notify ICO due 2026-01-12 16:00 GMT (OVERDUE by "
            )),
            "{list}"
        );
        // `breach show` prints text; JSON only with --json.
        let show = s.ok(&["breach", "show", "2"]);
        assert!(serde_json::from_str::<Value>(&show).is_err(), "{show}");
        assert!(
            show.contains("notify ICO     due 2026-01-12 16:00 GMT (OVERDUE by "),
            "{show}"
        );
        assert!(show.contains("logged by      person 1 (Dee Pro)"), "{show}");
        let json = s.json(&["breach", "show", "2"]);
        assert_eq!(
            (json["id"].as_i64(), json["overdue"].as_bool()),
            (Some(2), Some(true))
        );
    }
);

both!(requests_leavers_acks_and_the_review_give_deadlines, |s| {
    s.add("Dee", "Pro", "dpo");
    s.add("Ian", "Tech", "it");
    s.add("Pat", "Staff", "staff");
    let r = s.json(&[
        "request",
        "receive",
        "--kind",
        "access",
        "--requester",
        "Pat Staff",
        "--person",
        "pat.uk@iimtsab.co.uk",
        "--received",
        "2026-01-31",
        "--by",
        "Dee Pro",
    ]);
    assert_eq!(r["due_on"], "2026-02-28");
    assert_eq!(r["deadline_local"], "2026-02-28");
    assert_eq!(r["person_name"], "Pat Staff");
    assert_eq!(r["overdue"], true);
    assert!(r["remaining"].as_str().unwrap().starts_with("OVERDUE by "));
    let text = s.ok(&["request", "list"]);
    assert!(
        text.contains("request 1 access from Pat Staff (person 3, Pat Staff) received 2026-01-31 [open] due 2026-02-28 (OVERDUE by "),
        "{text}"
    );
    // A date-only --received is the local day even at a UTC midnight boundary.
    let r = s.json(&[
        "request",
        "receive",
        "--kind",
        "access",
        "--requester",
        "X",
        "--received",
        "2026-06-30T23:30:00Z",
        "--by",
        "Dee Pro",
    ]);
    assert_eq!(r["received_on"], "2026-07-01");

    s.ok(&[
        "leaver",
        "open",
        "Pat Staff",
        "--leaving",
        "2026-01-30",
        "--by",
        "Ian Tech",
    ]);
    let leavers = s.json(&["leaver", "list"]);
    assert_eq!(leavers[0]["deadline_local"], "2026-01-30");
    assert_eq!(leavers[0]["overdue"], true);
    let text = s.ok(&["leaver", "list"]);
    assert!(
        text.starts_with(
            "leaver 1 person 3 (Pat Staff) leaving 2026-01-30: due 2026-01-30 (OVERDUE by "
        ),
        "{text}"
    );

    let policy = s.dir.path().join("policy.txt");
    std::fs::write(&policy, "the written policy").unwrap();
    s.ok(&[
        "acks",
        "publish",
        "--version",
        "3",
        "--text",
        policy.to_str().unwrap(),
    ]);
    let due = s.json(&["acks", "due"]);
    let pat = due
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["person_id"] == 3)
        .unwrap();
    assert_eq!(pat["kind"], "agreement");
    assert_eq!(pat["person_name"], "Pat Staff");
    assert!(pat["deadline_local"].is_string() && pat["remaining"].is_string());
    assert_eq!(pat["overdue"], false, "IIMTS gives a month to sign: {pat}");
    let text = s.ok(&["acks", "due"]);
    // The IIMTS pack's review was due on 1 April 2026.
    let overdue_review = jiff::Timestamp::now() > "2026-04-02T00:00:00Z".parse().unwrap();
    assert_eq!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("policy review due 2026-04-01 (OVERDUE by "),
        overdue_review,
        "{text}"
    );
    assert!(
        text.contains("person 3 (Pat Staff): agreement due "),
        "{text}"
    );
    let review = s.json(&["acks", "review"]);
    assert_eq!(
        (review["due"].as_str(), review["overdue"].as_bool()),
        (Some("2026-04-01"), Some(overdue_review))
    );
});

both!(
    every_command_reads_a_time_without_offset_in_the_packs_zone,
    |s| {
        s.add("Dee", "Pro", "dpo");
        s.add("Pat", "Staff", "staff");
        // Records imported with local times and the same records read back by subject access.
        let file = s.dir.path().join("records.jsonl");
        std::fs::write(
        &file,
        "{\"at\": \"2026-06-15T10:00\", \"user\": \"pat.uk@iimtsab.co.uk\", \"subject\": \"https://a.example/\", \"verdict\": \"log\"}\n",
    )
    .unwrap();
        s.ok(&["records", "import", file.to_str().unwrap()]);
        let out = s.dir.path().join("dsar");
        s.ok(&[
            "dsar",
            "export",
            "--person",
            "Pat Staff",
            "-o",
            out.to_str().unwrap(),
            "--by",
            "Dee Pro",
        ]);
        let export: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("export.json")).unwrap())
                .unwrap();
        assert_eq!(
            export["monitoring_records"][0]["at"],
            "2026-06-15T09:00:00Z"
        );
        // `check url --at` agrees: 12:45 local on a Monday is the IIMTS lunch break, when
        // social media is allowed; 12:45 UTC (13:45 local) is not.
        let check = |at: &str| -> Value {
            let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/iimts.toml");
            let out = Command::new(env!("CARGO_BIN_EXE_charter"))
                .args([
                    "check",
                    "url",
                    "https://www.facebook.com/",
                    "--json",
                    "--at",
                    at,
                    "--policy",
                ])
                .arg(pack)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        };
        assert_eq!(check("2026-06-15T12:45")["verdict"], "allow");
        assert_ne!(check("2026-06-15T12:45:00Z")["verdict"], "allow");
        s.refused(
            &[
                "breach",
                "open",
                "--description",
                "x",
                "--categories",
                "x",
                "--consequences",
                "x",
                "--measures",
                "x",
                "--contact",
                "x",
                "--aware-at",
                "yesterday",
                "--by",
                "1",
            ],
            "bad time `yesterday`",
        );
    }
);

// ---- 4. workflows that hold up -----------------------------------------------------------------

both!(
    a_stolen_laptop_is_not_returned_equipment_and_closing_ends_access,
    |s| {
        s.add("Ian", "Tech", "it");
        s.add("Hana", "Res", "hr");
        s.add("Pat", "Leaver", "staff");
        s.ok(&[
            "accounts",
            "add",
            "Pat Leaver",
            "--system",
            "vpn",
            "--name",
            "pat-vpn",
        ]);
        s.ok(&[
            "devices",
            "add",
            "--serial",
            "LT-9",
            "--kind",
            "laptop",
            "--assignee",
            "Pat Leaver",
        ]);
        s.ok(&[
            "devices",
            "authorise-media",
            "--person",
            "Pat Leaver",
            "--description",
            "USB stick",
            "--reason",
            "site visits",
            "--by",
            "Ian Tech",
        ]);
        let lost = s.json(&[
            "devices",
            "lost",
            "1",
            "--stolen",
            "--description",
            "taken from a car",
            "--by",
            "Pat Leaver",
        ]);
        assert_eq!(lost["incident"]["id"], 1);
        s.ok(&[
            "leaver",
            "open",
            "3",
            "--leaving",
            "2026-06-30",
            "--by",
            "Hana Res",
        ]);
        s.refused(
            &[
                "leaver",
                "tick",
                "1",
                "equipment_returned",
                "--by",
                "Ian Tech",
            ],
            "device 1 (laptop LT-9) was reported stolen (incident 1 (open)), which is not a return",
        );
        s.ok(&[
            "incident",
            "close",
            "1",
            "--outcome",
            "reported to the police",
            "--by",
            "Ian Tech",
        ]);
        s.ok(&[
            "devices",
            "retire",
            "1",
            "--reason",
            "not recovered",
            "--by",
            "Ian Tech",
        ]);
        for (item, who) in [
            ("equipment_returned", "Ian Tech"),
            ("credentials_handed_over", "Ian Tech"),
            ("social_handed_over", "Hana Res"),
        ] {
            s.ok(&["leaver", "tick", "1", item, "--by", who]);
        }
        s.ok(&[
            "leaver",
            "tick",
            "1",
            "accounts_disabled",
            "--by",
            "Ian Tech",
        ]);
        // An account added after the tick is ended by the close, and so is the USB authorisation.
        s.ok(&[
            "accounts",
            "add",
            "Pat Leaver",
            "--system",
            "login",
            "--name",
            "pat",
        ]);
        let closed = s.ok(&["leaver", "close", "1", "--by", "Ian Tech"]);
        assert!(
            closed.contains("[x] equipment_returned by person 1 (Ian Tech)"),
            "{closed}"
        );
        let shown = s.json(&["people", "show", "Pat Leaver"]);
        assert_eq!(shown["person"]["status"], "left");
        assert!(
            shown["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["status"] == "disabled"),
            "{shown}"
        );
        let media = s.json(&["devices", "media"]);
        assert!(media[0]["revoked_at"].is_string(), "{media}");
    }
);

both!(adding_a_person_with_an_email_is_all_or_nothing, |s| {
    // IIMTS staff addresses are {first}.{location}: without a location none can be made,
    // and the person is not added either.
    s.refused(
        &[
            "people", "add", "--first", "Nola", "--last", "Cation", "--roles", "staff", "--email",
        ],
        "needs `location`",
    );
    assert_eq!(s.json(&["people", "list"]), serde_json::json!([]));
    assert!(s.ok(&["audit", "verify"]).contains("intact: 0 rows"));
});

both!(
    names_stand_beside_ids_and_people_are_found_by_name_or_email,
    |s| {
        s.add("Ian", "Tech", "it");
        s.add("Pat", "Jones", "staff");
        s.ok(&[
            "people",
            "add",
            "--first",
            "Pat",
            "--last",
            "Jones",
            "--roles",
            "staff",
            "--department",
            "finance",
        ]);
        s.ok(&["devices", "add", "--serial", "SN-1", "--kind", "laptop"]);
        s.ok(&[
            "devices",
            "assign",
            "1",
            "--to",
            "pat.uk@iimtsab.co.uk",
            "--by",
            "ian.uk@iimtsab.co.uk",
        ]);
        assert_eq!(
            s.ok(&["devices", "list"]).trim(),
            "device 1 (laptop SN-1) assigned, person 2 (Pat Jones)"
        );
        s.refused(
        &["devices", "assign", "1", "--to", "Pat Jones", "--by", "Ian Tech"],
        "`Pat Jones` names 2 people: person 2 (Pat Jones, pat.uk@iimtsab.co.uk); person 3 (Pat Jones, finance); give the id instead",
    );
        s.refused(&["people", "show", "Nobody"], "no person matches `Nobody`");
        s.refused(&["people", "show", "99"], "no person with id 99");
        s.refused(
            &["devices", "list", "--by", "Someone Else"],
            "--by Someone Else: no person matches",
        );
        let audit = s.ok(&["audit", "list"]);
        assert!(
            audit
                .lines()
                .any(|l| l.contains("person 1 (Ian Tech)") && l.contains("device.assign")),
            "{audit}"
        );
        let shown = s.ok(&["people", "show", "pat.uk@iimtsab.co.uk"]);
        assert!(
            shown.starts_with("person 2 (Pat Jones) (active)"),
            "{shown}"
        );
    }
);

both!(
    the_subject_access_summary_is_a_document_for_the_person,
    |s| {
        s.add("Dee", "Pro", "dpo");
        s.ok(&[
            "people",
            "add",
            "--first",
            "Pat",
            "--last",
            "O'Brien <Jr>",
            "--roles",
            "staff",
            "--location",
            "uk",
            "--email",
        ]);
        let file = s.dir.path().join("records.jsonl");
        std::fs::write(
        &file,
        "{\"at\": \"2026-06-15T08:30:00Z\", \"user\": \"pat.uk\", \"subject\": \"https://www.bet365.com/\", \"verdict\": \"block\"}\n",
    )
    .unwrap();
        s.ok(&["records", "import", file.to_str().unwrap()]);
        s.refused(
            &[
                "dsar",
                "export",
                "--person",
                "2",
                "-o",
                s.dir.path().join("x").to_str().unwrap(),
            ],
            "may not export what is held about a person",
        );
        let out = s.dir.path().join("dsar");
        s.ok(&[
            "dsar",
            "export",
            "--person",
            "2",
            "-o",
            out.to_str().unwrap(),
            "--by",
            "Dee Pro",
        ]);
        let html = std::fs::read_to_string(out.join("summary.html")).unwrap();
        for heading in [
            "<h2>About you</h2>",
            "<h2>Accounts</h2>",
            "<h2>Monitoring records</h2>",
            "<h2>What was done with your data</h2>",
        ] {
            assert!(html.contains(heading), "{heading}");
        }
        assert!(html.contains("What IIMT Studies Ltd holds about Pat O&#39;Brien &lt;Jr&gt;"));
        assert!(html.contains("2026-06-15 09:30 BST"), "local times");
        assert!(html.contains("https://www.bet365.com/"));
        assert!(!html.contains("{\"") && !html.contains("\":"), "no JSON");
        let export: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("export.json")).unwrap())
                .unwrap();
        for row in export["audit"].as_array().unwrap() {
            assert!(!html.contains(row["hash"].as_str().unwrap()), "no hashes");
        }
        use std::os::unix::fs::PermissionsExt as _;
        for f in ["summary.html", "export.json"] {
            let mode = std::fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f} holds personal data");
        }
    }
);
