//! docs/policy-coverage.md checked against the packs, so that it cannot drift from them.
//!
//! The document has one section per written policy (`## Title`, then `Packs: \`policies/..\``)
//! with a table of five columns: clause | statement | status | rules | proof, register or
//! reason. The checks: every pack has a section; every rule a row names exists in the
//! section's packs, and every rule of those packs is named somewhere; an ENFORCED row names
//! tests that exist and mention each rule the row cites, and no rule whose feed is not built;
//! a web `warn` or `hold` rule that a row calls ENFORCED also has a NOT YET row for the part
//! that needs the warning page or the approval; a REGISTER row names a `charter` command and a
//! NOT YET row a reason; the settings named are in the pack; the counts table matches the rows.
//! Whether each named `charter` command exists is checked where the binary is built:
//! crates/cli/tests/pack_statements.rs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use charter_policy::{Area, Category, Check, Direction, Pack, Rule, Verdict, load_file};

/// Activity checks that something decides today: each log event ingest reads is decided by
/// `App::decide_event` (crates/app/src/activity), and `charter check software` answers
/// `unauthorised_software` by hand. Personal-use accounting and the baselines add
/// `excessive_personal_use` and `unusual_activity` here when they are built.
const FED_ACTIVITY_CHECKS: &[Check] = &[
    Check::UnauthorisedSoftware,
    Check::AccessOutsideHours,
    Check::LoginWithoutMfa,
    Check::ConcurrentSessions,
    Check::UnauthorisedDevice,
    Check::WorkFilesOnLocalDrive,
    Check::UnacknowledgedPolicy,
    Check::UnknownNetwork,
];

/// Web and mail checks no gateway can answer today: none. (`unknown_user` is fed: the Squid
/// helper and ICAP report a request with no login and no device or lease mapping as an unknown
/// user; `large_download` is fed by ICAP RESPMOD and the helper's reply access,
/// `sensitive_upload` by ICAP REQMOD bodies.)
const UNFED_CHECKS: &[Check] = &[];

/// Categories the UT1 import leaves empty (DESIGN section 4: UT1 has no extremism list; a
/// site fills it from lists it loads). A rule that covers a statement only through these
/// decides nothing with the lists Charter imports.
const EMPTY_IN_UT1: &[Category] = &[Category::Extremism, Category::SelfHarm];

/// Web verdicts whose effect on the person (the warning page with Continue, the hold page and
/// its approval: DESIGN section 7) is proved on a test pack (`crates/cli/tests/web_pages.rs`)
/// but not yet for each pack's own rules. An ENFORCED row may cite such a rule for the
/// decision only if a NOT YET row names the rest.
const HALF_BUILT_WEB_VERDICTS: &[Verdict] = &[Verdict::Warn, Verdict::Hold];

/// What a test's body holds when it gives a pack that names no mail domains the
/// organisation's, as a site does: `Engine::with_domains` (what `serve` and `check mail
/// --config` build), charter.toml's `domains`, or an email account in the people register.
const SUPPLIES_DOMAINS: &[&str] = &["with_domains(", "domains = [", "email_account("];

/// The packs' folder and the document, from the workspace root.
const POLICIES: &str = "policies";
const DOCUMENT: &str = "docs/policy-coverage.md";

// ------------------------------------------------------------------ the document, parsed

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Enforced,
    Register,
    NotYet,
}

impl Status {
    const ALL: [Status; 3] = [Status::Enforced, Status::Register, Status::NotYet];

    fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == text)
    }

    fn name(self) -> &'static str {
        match self {
            Status::Enforced => "ENFORCED",
            Status::Register => "REGISTER",
            Status::NotYet => "NOT YET",
        }
    }
}

/// One statement (or part of one).
#[derive(Debug, Clone)]
struct Row {
    line: usize,
    status: Status,
    /// Rule ids named in the rules column.
    rules: Vec<String>,
    /// Pack settings named in the rules column (`[monitoring] retention_months`).
    settings: Vec<String>,
    /// The last column as written.
    evidence: String,
    /// Tests named in the last column: (file from the workspace root, function).
    tests: Vec<(String, String)>,
    /// `charter ...` commands named in the last column.
    commands: Vec<String>,
}

#[derive(Debug, Clone)]
struct Section {
    title: String,
    line: usize,
    /// The packs the statuses are for, by file name (`iimts.toml`).
    packs: Vec<String>,
    /// Packs with the same rules that decide nothing as they stand (`Same rules, unfilled:`,
    /// the template with its placeholders): their rules must be named too.
    unfilled: Vec<String>,
    rows: Vec<Row>,
}

#[derive(Debug, Clone, Default)]
struct Document {
    sections: Vec<Section>,
    /// The counts table: section title and (ENFORCED, REGISTER, NOT YET).
    counts: Vec<(usize, String, [usize; 3])>,
}

/// The text between backticks, in order.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn cells(line: &str) -> Vec<&str> {
    line.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

fn is_table_row(line: &str) -> bool {
    line.starts_with('|') && !line.starts_with("|---")
}

/// Parses the document; what cannot be read is an error naming its line.
fn parse(text: &str) -> (Document, Vec<String>) {
    let mut doc = Document::default();
    let mut errors = Vec::new();
    let mut in_counts = false;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        if let Some(title) = line.strip_prefix("## ") {
            in_counts = title == "Counts";
            if !in_counts {
                doc.sections.push(Section {
                    title: title.to_string(),
                    line: n,
                    packs: Vec::new(),
                    unfilled: Vec::new(),
                    rows: Vec::new(),
                });
            }
            continue;
        }
        if in_counts {
            if is_table_row(line) {
                parse_count(n, line, &mut doc, &mut errors);
            }
            continue;
        }
        let Some(section) = doc.sections.last_mut() else {
            continue;
        };
        if let Some(list) = line.strip_prefix("Packs: ") {
            section.packs = pack_names(list);
            continue;
        }
        if let Some(list) = line.strip_prefix("Same rules, unfilled: ") {
            section.unfilled = pack_names(list);
            continue;
        }
        if !is_table_row(line) || section.packs.is_empty() {
            continue;
        }
        let cells = cells(line);
        if cells.first() == Some(&"clause") {
            continue;
        }
        match parse_row(n, &cells) {
            Ok(row) => section.rows.push(row),
            Err(e) => errors.push(format!("{DOCUMENT}:{n}: {e}")),
        }
    }
    (doc, errors)
}

/// The pack file names in `\`policies/a.toml\`, \`policies/b.toml\``.
fn pack_names(list: &str) -> Vec<String> {
    backticked(list)
        .into_iter()
        .filter_map(|p| p.strip_prefix("policies/"))
        .map(str::to_string)
        .collect()
}

fn parse_count(n: usize, line: &str, doc: &mut Document, errors: &mut Vec<String>) {
    let cells = cells(line);
    if cells.first() == Some(&"pack") {
        return;
    }
    let numbers: Vec<Option<usize>> = cells.iter().skip(1).map(|c| c.parse().ok()).collect();
    match (cells.first(), numbers.as_slice()) {
        (Some(title), [Some(e), Some(r), Some(y)]) => {
            doc.counts.push((n, title.to_string(), [*e, *r, *y]));
        }
        _ => errors.push(format!(
            "{DOCUMENT}:{n}: a counts row is `| section title | ENFORCED | REGISTER | NOT YET |`"
        )),
    }
}

fn parse_row(line: usize, cells: &[&str]) -> Result<Row, String> {
    let [_clause, statement, status, rules, evidence] = cells else {
        return Err(format!("a row has 5 cells, this one {}", cells.len()));
    };
    if statement.len() < 3 || !statement.starts_with('"') || !statement.ends_with('"') {
        return Err("the statement is a quote of the written policy in double quotes".into());
    }
    let status = Status::parse(status)
        .ok_or_else(|| format!("status `{status}` is not ENFORCED, REGISTER or NOT YET"))?;
    let mut row = Row {
        line,
        status,
        rules: Vec::new(),
        settings: Vec::new(),
        evidence: evidence.to_string(),
        tests: Vec::new(),
        commands: Vec::new(),
    };
    if *rules != "—" {
        let named = backticked(rules);
        let rebuilt: Vec<String> = named.iter().map(|n| format!("`{n}`")).collect();
        if named.is_empty() || rebuilt.join(", ") != *rules {
            return Err(format!(
                "the rules column holds backticked rule ids or settings, comma-separated, or `—`: `{rules}`"
            ));
        }
        for name in named {
            if name.starts_with('[') {
                row.settings.push(name.to_string());
            } else {
                row.rules.push(name.to_string());
            }
        }
    }
    for span in backticked(evidence) {
        if let Some((file, test)) = span.split_once("::") {
            if file.starts_with("crates/") && file.ends_with(".rs") {
                row.tests.push((file.to_string(), test.to_string()));
            }
        } else if span.starts_with("charter ") {
            row.commands.push(span.to_string());
        }
    }
    Ok(row)
}

// ------------------------------------------------------------------ the checks

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn document() -> Document {
    let text = std::fs::read_to_string(root().join(DOCUMENT)).expect("the document is readable");
    let (doc, errors) = parse(&text);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    doc
}

/// Every pack under `policies/`, by file name.
fn packs() -> BTreeMap<String, Pack> {
    std::fs::read_dir(root().join(POLICIES))
        .expect("the policies folder")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p
                .file_name()
                .expect("a file")
                .to_string_lossy()
                .into_owned();
            let pack = load_file(&p).unwrap_or_else(|e| panic!("{name} does not load: {e}"));
            (name, pack)
        })
        .collect()
}

fn at(row: &Row) -> String {
    format!("{DOCUMENT}:{}", row.line)
}

/// Each pack is in exactly one section, and each section names packs that exist.
fn check_sections(doc: &Document, packs: &BTreeMap<String, Pack>) -> Vec<String> {
    let mut errors = Vec::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for section in &doc.sections {
        for name in section.packs.iter().chain(&section.unfilled) {
            *seen.entry(name).or_default() += 1;
            if !packs.contains_key(name) {
                errors.push(format!(
                    "{DOCUMENT}:{}: `policies/{name}` does not exist",
                    section.line
                ));
            }
        }
        if !section.packs.is_empty() && section.rows.is_empty() {
            errors.push(format!(
                "{DOCUMENT}:{}: section `{}` has no rows",
                section.line, section.title
            ));
        }
    }
    for name in packs.keys() {
        match seen.get(name.as_str()) {
            Some(1) => {}
            Some(n) => errors.push(format!("`policies/{name}` is in {n} sections")),
            None => errors.push(format!(
                "`policies/{name}` has no section in {DOCUMENT}: add one with a row per statement"
            )),
        }
    }
    errors
}

/// Every rule named exists in each of its section's packs; every rule of those packs is named.
fn check_rules(doc: &Document, packs: &BTreeMap<String, Pack>) -> Vec<String> {
    let mut errors = Vec::new();
    for section in &doc.sections {
        let cited: BTreeSet<&str> = section
            .rows
            .iter()
            .flat_map(|r| r.rules.iter().map(String::as_str))
            .collect();
        for name in section.packs.iter().chain(&section.unfilled) {
            let Some(pack) = packs.get(name) else {
                continue;
            };
            for row in &section.rows {
                for id in &row.rules {
                    if pack.rule(id).is_none() {
                        errors.push(format!("{}: `{name}` has no rule `{id}`", at(row)));
                    }
                }
            }
            for rule in &pack.rules {
                if !cited.contains(rule.id.as_str()) {
                    errors.push(format!(
                        "rule `{}` of `{name}` is not in section `{}` of {DOCUMENT}: add the \
                         statement it enforces, or name it in a NOT YET row",
                        rule.id, section.title
                    ));
                }
            }
        }
    }
    errors
}

/// The settings named are in the pack's text: `[section] key`, or `[[table]]`.
fn check_settings(doc: &Document) -> Vec<String> {
    let mut errors = Vec::new();
    for section in &doc.sections {
        for name in &section.packs {
            let Ok(text) = std::fs::read_to_string(root().join(POLICIES).join(name)) else {
                continue;
            };
            for row in &section.rows {
                for setting in &row.settings {
                    if !setting_present(&text, setting) {
                        errors.push(format!("{}: `{name}` has no `{setting}`", at(row)));
                    }
                }
            }
        }
    }
    errors
}

fn setting_present(text: &str, setting: &str) -> bool {
    if setting.starts_with("[[") {
        return text.lines().any(|l| l.trim() == setting);
    }
    let Some((table, key)) = setting.split_once("] ") else {
        return false;
    };
    let header = format!("{table}]");
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == header;
        } else if inside && line.split_once('=').is_some_and(|(k, _)| k.trim() == key) {
            return true;
        }
    }
    false
}

/// The body of test `name` in `text`: from its `fn` line to the closing brace at the start of
/// a line, when the function is a test.
fn test_body<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    let start = text.find(&format!("fn {name}("))?;
    let before = &text[..start];
    let attribute = before.lines().rev().take(4).any(|l| {
        let l = l.trim();
        l == "#[test]" || l.starts_with("#[tokio::test") || l.starts_with("#[sqlx::test")
    });
    if !attribute {
        return None;
    }
    let rest = &text[start..];
    let end = rest.find("\n}\n").map_or(rest.len(), |e| e + 2);
    Some(&rest[..end])
}

/// The test files rows name, each read once.
struct Tests<'r> {
    root: &'r Path,
    files: BTreeMap<String, Option<String>>,
}

impl<'r> Tests<'r> {
    fn new(root: &'r Path) -> Tests<'r> {
        Tests {
            root,
            files: BTreeMap::new(),
        }
    }

    /// The bodies of the tests `row` names, one after the other, and an error for each test
    /// that does not exist.
    fn bodies(&mut self, row: &Row) -> (String, Vec<String>) {
        let mut bodies = String::new();
        let mut errors = Vec::new();
        for (file, name) in &row.tests {
            let root = self.root;
            let text = self
                .files
                .entry(file.clone())
                .or_insert_with(|| std::fs::read_to_string(root.join(file)).ok());
            let Some(text) = text else {
                errors.push(format!("{}: test file `{file}` does not exist", at(row)));
                continue;
            };
            match test_body(text, name) {
                Some(body) => bodies.push_str(body),
                None => errors.push(format!("{}: `{file}` has no test `{name}`", at(row))),
            }
        }
        (bodies, errors)
    }
}

/// An ENFORCED row names tests that exist, and together they mention each rule it cites.
fn check_tests(doc: &Document, root: &Path) -> Vec<String> {
    let mut errors = Vec::new();
    let mut tests = Tests::new(root);
    for row in doc.sections.iter().flat_map(|s| &s.rows) {
        if row.status != Status::Enforced {
            if !row.tests.is_empty() {
                errors.push(format!("{}: only ENFORCED rows name tests", at(row)));
            }
            continue;
        }
        if row.tests.is_empty() {
            errors.push(format!(
                "{}: an ENFORCED row names the test that proves it (`crates/../tests/file.rs::name`)",
                at(row)
            ));
        }
        if row.rules.is_empty() && row.settings.is_empty() {
            errors.push(format!(
                "{}: an ENFORCED row names the rules or settings that enforce it",
                at(row)
            ));
        }
        let (bodies, missing) = tests.bodies(row);
        errors.extend(missing);
        for id in &row.rules {
            if !bodies.contains(&format!("\"{id}\"")) {
                errors.push(format!(
                    "{}: no test named in the row mentions rule `{id}`",
                    at(row)
                ));
            }
        }
    }
    errors
}

/// Whether `rule` in `pack` waits for the organisation's mail domains. A pack that names none
/// cannot tell inside from outside by address, so `internal` mail never happens and a check
/// that compares addresses with the domains never fires, until the site supplies them
/// (charter.toml `domains`, or the email accounts in the people register): an ENFORCED row
/// may cite such a rule only when a test it names supplies them ([`SUPPLIES_DOMAINS`]).
fn waits_for_domains(pack: &Pack, rule: &Rule) -> bool {
    let mail = &pack.mail;
    let domain_bound = |check: &Check| match check {
        Check::SpoofedInternalSender => true,
        Check::GroupAddressVisible => mail.group_addresses.is_empty(),
        _ => false,
    };
    rule.on == Area::Mail
        && mail.internal_domains.is_empty()
        && (rule.direction == Some(Direction::Internal) || rule.checks.iter().all(domain_bound))
}

/// Why nothing can fire `rule` today, if so, where the tests cited for it supply the
/// organisation's mail domains or not (`domains_supplied`).
fn unfed(pack: &Pack, rule: &Rule, domains_supplied: bool) -> Option<String> {
    if rule.on == Area::Activity && !rule.checks.iter().all(|c| FED_ACTIVITY_CHECKS.contains(c)) {
        return Some(
            "is an activity rule whose check nothing feeds from the activity logs yet".into(),
        );
    }
    if let Some(check) = rule.checks.iter().find(|c| UNFED_CHECKS.contains(c)) {
        return Some(format!("uses `{check}`, which no gateway can answer yet"));
    }
    if rule.on == Area::Web
        && rule.url_lists.is_empty()
        && !rule.categories.is_empty()
        && rule.categories.iter().all(|c| EMPTY_IN_UT1.contains(&c))
    {
        return Some("names only categories the UT1 import leaves empty".into());
    }
    if !domains_supplied && waits_for_domains(pack, rule) {
        return Some(
            "needs the organisation's mail domains, which the pack does not name and no test \
             in the row supplies"
                .into(),
        );
    }
    None
}

/// No ENFORCED row cites a rule that nothing can fire today.
fn check_feeds(doc: &Document, packs: &BTreeMap<String, Pack>, root: &Path) -> Vec<String> {
    let mut errors = Vec::new();
    let mut tests = Tests::new(root);
    for section in &doc.sections {
        for row in section.rows.iter().filter(|r| r.status == Status::Enforced) {
            let (bodies, _) = tests.bodies(row);
            let domains_supplied = SUPPLIES_DOMAINS.iter().any(|m| bodies.contains(m));
            for id in &row.rules {
                for name in &section.packs {
                    let Some(rule) = packs.get(name).and_then(|p| p.rule(id).map(|r| (p, r)))
                    else {
                        continue;
                    };
                    if let Some(why) = unfed(rule.0, rule.1, domains_supplied) {
                        errors.push(format!(
                            "{}: ENFORCED cites `{id}` of `{name}`, which {why}: say NOT YET",
                            at(row)
                        ));
                    }
                }
            }
        }
    }
    errors
}

/// A web `warn` or `hold` rule cited as ENFORCED is also in a NOT YET row of its section.
fn check_half_built(doc: &Document, packs: &BTreeMap<String, Pack>) -> Vec<String> {
    let mut errors = Vec::new();
    for section in &doc.sections {
        let not_yet: BTreeSet<&str> = section
            .rows
            .iter()
            .filter(|r| r.status == Status::NotYet)
            .flat_map(|r| r.rules.iter().map(String::as_str))
            .collect();
        for row in section.rows.iter().filter(|r| r.status == Status::Enforced) {
            for id in &row.rules {
                let half_built = section.packs.iter().any(|name| {
                    packs.get(name).and_then(|p| p.rule(id)).is_some_and(|r| {
                        r.on == Area::Web && HALF_BUILT_WEB_VERDICTS.contains(&r.action)
                    })
                });
                if half_built && !not_yet.contains(id.as_str()) {
                    errors.push(format!(
                        "{}: `{id}` is a web warn or hold rule: add a NOT YET row for the part \
                         that needs the warning page or the approval",
                        at(row)
                    ));
                }
            }
        }
    }
    errors
}

/// A REGISTER row names its command; a NOT YET row gives a reason.
fn check_register_and_reasons(doc: &Document) -> Vec<String> {
    let mut errors = Vec::new();
    for row in doc.sections.iter().flat_map(|s| &s.rows) {
        match row.status {
            Status::Register if row.commands.is_empty() => errors.push(format!(
                "{}: a REGISTER row names the register or workflow command (`charter ...`)",
                at(row)
            )),
            Status::NotYet if row.evidence.trim().len() < 10 => {
                errors.push(format!("{}: a NOT YET row says why", at(row)))
            }
            _ => {}
        }
    }
    errors
}

/// The counts table has one row per section, with the numbers of its rows by status.
fn check_counts(doc: &Document) -> Vec<String> {
    let mut errors = Vec::new();
    for section in doc.sections.iter().filter(|s| !s.packs.is_empty()) {
        let actual = Status::ALL.map(|s| section.rows.iter().filter(|r| r.status == s).count());
        match doc
            .counts
            .iter()
            .find(|(_, title, _)| *title == section.title)
        {
            Some((line, _, written)) if *written != actual => errors.push(format!(
                "{DOCUMENT}:{line}: `{}` has {} ENFORCED, {} REGISTER and {} NOT YET rows",
                section.title, actual[0], actual[1], actual[2]
            )),
            Some(_) => {}
            None => errors.push(format!(
                "the counts table has no row `{}` ({} ENFORCED, {} REGISTER, {} NOT YET)",
                section.title, actual[0], actual[1], actual[2]
            )),
        }
    }
    for (line, title, _) in &doc.counts {
        if !doc.sections.iter().any(|s| s.title == *title) {
            errors.push(format!("{DOCUMENT}:{line}: no section `{title}`"));
        }
    }
    errors
}

#[track_caller]
fn assert_none(errors: Vec<String>) {
    assert!(errors.is_empty(), "\n{}", errors.join("\n"));
}

// ------------------------------------------------------------------ the document as it is

#[test]
fn every_pack_has_one_section() {
    assert_none(check_sections(&document(), &packs()));
}

#[test]
fn every_rule_named_exists_and_every_rule_is_named() {
    assert_none(check_rules(&document(), &packs()));
}

#[test]
fn every_setting_named_is_in_its_pack() {
    assert_none(check_settings(&document()));
}

#[test]
fn enforced_rows_name_tests_that_exist_and_mention_their_rules() {
    assert_none(check_tests(&document(), &root()));
}

#[test]
fn enforced_rows_cite_only_rules_a_feed_decides_today() {
    assert_none(check_feeds(&document(), &packs(), &root()));
}

#[test]
fn web_warn_and_hold_rules_name_their_missing_part() {
    assert_none(check_half_built(&document(), &packs()));
}

#[test]
fn register_rows_name_a_command_and_not_yet_rows_a_reason() {
    assert_none(check_register_and_reasons(&document()));
}

#[test]
fn the_counts_match_the_rows() {
    assert_none(check_counts(&document()));
}

// ------------------------------------------------------------------ the checks catch drift

fn doc_text() -> String {
    std::fs::read_to_string(root().join(DOCUMENT)).expect("the document is readable")
}

#[test]
fn a_rule_added_to_a_pack_without_a_row_is_caught() {
    let mut packs = packs();
    let pack = packs.get_mut("iimts.toml").expect("the IIMTS pack");
    let mut extra = pack.rules[0].clone();
    extra.id = "internet.new-rule".into();
    pack.rules.push(extra);
    let errors = check_rules(&document(), &packs);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`internet.new-rule` of `iimts.toml`")),
        "{errors:?}"
    );
}

#[test]
fn a_missing_test_or_rule_is_caught() {
    let text = doc_text().replacen(
        "pack_statements.rs::iimts_mass_mail_needs_authorisation",
        "pack_statements.rs::iimts_no_such_test",
        1,
    );
    let (doc, parse_errors) = parse(&text);
    assert_none(parse_errors);
    let errors = check_tests(&doc, &root());
    assert!(
        errors
            .iter()
            .any(|e| e.contains("has no test `iimts_no_such_test`")),
        "{errors:?}"
    );

    let text = doc_text().replacen("`email.mass-mail`", "`email.mass-mailing`", 1);
    let errors = check_rules(&parse(&text).0, &packs());
    assert!(
        errors
            .iter()
            .any(|e| e.contains("has no rule `email.mass-mailing`")),
        "{errors:?}"
    );
}

#[test]
fn an_enforced_row_for_a_rule_without_a_feed_is_caught() {
    let row = "| x | \"reasonable level\" | ENFORCED | `activity.excessive-personal-use` \
               | `crates/cli/tests/pack_statements.rs::iimts_mass_mail_needs_authorisation` |";
    let text = format!("## IIMTS\n\nPacks: `policies/iimts.toml`\n\n{row}\n");
    let (doc, parse_errors) = parse(&text);
    assert_none(parse_errors);
    let errors = check_feeds(&doc, &packs(), &root());
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`activity.excessive-personal-use`") && e.contains("activity logs")),
        "{errors:?}"
    );
    // Nor for a web warning without its NOT YET part, nor a wrong count.
    let warn = row.replace(
        "`activity.excessive-personal-use`",
        "`internet.personal-use-in-breaks`",
    );
    let text = format!("## IIMTS\n\nPacks: `policies/iimts.toml`\n\n{warn}\n");
    let errors = check_half_built(&parse(&text).0, &packs());
    assert_eq!(errors.len(), 1, "{errors:?}");
    let text = format!(
        "## Counts\n\n| IIMTS | 2 | 0 | 0 |\n\n## IIMTS\n\nPacks: `policies/iimts.toml`\n\n{warn}\n"
    );
    let errors = check_counts(&parse(&text).0);
    assert!(
        errors.iter().any(|e| e.contains("1 ENFORCED")),
        "{errors:?}"
    );
}

#[test]
fn an_enforced_row_for_a_domain_bound_rule_needs_a_test_that_supplies_domains() {
    let row = |test: &str| {
        format!(
            "## IMPRESS\n\nPacks: `policies/impress.toml`\n\n| CCing | \"copy emails\" | \
             ENFORCED | `email.ccing` | `crates/cli/tests/{test}` |\n"
        )
    };
    // A test that gives the pack no domains proves nothing about the count.
    let (doc, parse_errors) = parse(&row("pack_statements.rs::impress_viruses_are_kept_out"));
    assert_none(parse_errors);
    let errors = check_feeds(&doc, &packs(), &root());
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`email.ccing`") && e.contains("mail domains")),
        "{errors:?}"
    );
    let text = row("mail_domains.rs::impress_ccing_fires_with_the_domains_in_charter_toml");
    assert_none(check_feeds(&parse(&text).0, &packs(), &root()));
}

#[test]
fn a_malformed_row_is_an_error_with_its_line() {
    let text = "## IIMTS\n\nPacks: `policies/iimts.toml`\n\n| a | \"b\" | DONE | — | x |\n";
    let (_, errors) = parse(text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!("{DOCUMENT}:5: status `DONE`")),
        "{errors:?}"
    );
}
