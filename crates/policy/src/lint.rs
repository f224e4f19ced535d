//! The linter: what makes a pack unfit to enforce, beyond what loading already refuses.
//!
//! Errors: everything the loader refuses (unknown keys, categories, checks, bad times and
//! dates), duplicate rule ids, rules without a clause, unfilled template placeholders and
//! contradictory rules. Warnings: an overdue or missing review date, rules without a quote,
//! mail rules that need the organisation's mail domains when neither the pack nor the site
//! names any. Advisories: clauses that current guidance advises against.

use std::collections::HashMap;

use jiff::ToSpan;
use jiff::civil::Date;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::{Diagnostic, Level, Lines, Location};
use crate::load::{LoadError, parse};
use crate::pack::{Pack, PasswordChange, Rule, WindowCondition};
use crate::vocab::{Area, Category, CategorySet, Check, Direction, UPLOAD_CATEGORIES, Verdict};

/// What linting one pack found.
#[derive(Debug)]
pub struct LintReport {
    /// The pack, when it loaded.
    pub pack: Option<Pack>,
    /// Everything found, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl LintReport {
    /// How many diagnostics of `level`.
    pub fn count(&self, level: Level) -> usize {
        self.diagnostics.iter().filter(|d| d.level == level).count()
    }

    /// Whether the pack is fit to enforce (no errors).
    pub fn passed(&self) -> bool {
        self.count(Level::Error) == 0
    }
}

/// What the site running a pack supplies beside it (charter.toml).
#[derive(Debug, Clone, Copy, Default)]
pub struct Site {
    /// Whether the site names the organisation's mail domains (charter.toml `domains`).
    pub mail_domains: bool,
    /// The categories the site's category index fills (at least one entry each), when an
    /// index is given: rules naming the others are warned about.
    pub filled_categories: Option<CategorySet>,
    /// The logs the site feeds Charter, when its charter.toml is given: activity rules none
    /// of them can fire are warned about as inert.
    pub feeds: Option<crate::feeds::Feeds>,
}

/// Lints pack `text` (named `file` in diagnostics) as of the local date `today`, as a pack
/// on its own: a site that supplies nothing beside it.
pub fn lint(text: &str, file: &str, today: Date) -> LintReport {
    lint_for_site(text, file, today, Site::default())
}

/// Lints pack `text` as [`lint`] does, for a site that supplies what `site` says.
pub fn lint_for_site(text: &str, file: &str, today: Date, site: Site) -> LintReport {
    let mut out = Lint {
        text,
        file,
        diagnostics: Vec::new(),
    };
    out.placeholders();
    let pack = match parse(text, file) {
        Ok(pack) => {
            out.pack(&pack, today);
            if !site.mail_domains && pack.mail.internal_domains.is_empty() {
                out.mail_domains(&pack.rules);
            }
            if let Some(filled) = site.filled_categories {
                out.empty_categories(&pack, filled);
            }
            out.inert_rules(&pack, site.feeds);
            Some(pack)
        }
        Err(LoadError::Invalid(errors)) => {
            out.diagnostics.extend(errors);
            None
        }
        Err(e @ LoadError::Read { .. }) => {
            out.push(
                Level::Error,
                "unreadable",
                Location::default(),
                e.to_string(),
            );
            None
        }
    };
    let mut diagnostics = out.diagnostics;
    diagnostics.sort_by_key(|d| d.location);
    LintReport { pack, diagnostics }
}

struct Lint<'a> {
    text: &'a str,
    file: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl Lint<'_> {
    fn push(&mut self, level: Level, code: &'static str, location: Location, message: String) {
        self.diagnostics.push(Diagnostic {
            level,
            code,
            message,
            file: self.file.to_string(),
            location,
        });
    }

    fn pack(&mut self, pack: &Pack, today: Date) {
        self.rules(&pack.rules);
        self.roles_declared(pack);
        self.contradictions(&pack.rules);
        self.review(pack, today);
        if let Some(passwords) = &pack.passwords
            && passwords.change == PasswordChange::Periodic
        {
            self.push(
                Level::Advisory,
                "periodic_password_change",
                passwords.location,
                format!(
                    "clause `{}` forces periodic password changes; NCSC, Cyber Essentials and \
                     NIST SP 800-63B advise changing a password only when it may be compromised",
                    passwords.clause
                ),
            );
        }
    }

    /// Warns about each mail rule that needs the organisation's mail domains when neither the
    /// pack nor the site names any.
    fn mail_domains(&mut self, rules: &[Rule]) {
        for rule in rules {
            if let Some(part) = rule.needs_mail_domains() {
                self.push(
                    Level::Warning,
                    "mail_domains_unknown",
                    rule.location,
                    format!(
                        "rule `{}` {part}, which needs the organisation's mail domains, and \
                         neither the pack nor charter.toml names them: add `domains = \
                         [\"example.org\"]` to [organisation] or to charter.toml (lint with \
                         `--config charter.toml`); without them `serve` and `check mail \
                         --config` take the domains of the email accounts in the people register",
                        rule.id
                    ),
                );
            }
        }
    }

    fn rules(&mut self, rules: &[Rule]) {
        let mut seen: HashMap<&str, &Rule> = HashMap::new();
        for rule in rules {
            if let Some(first) = seen.insert(&rule.id, rule) {
                self.push(
                    Level::Error,
                    "duplicate_id",
                    rule.location,
                    format!(
                        "duplicate rule id `{}`, first used on line {}",
                        rule.id, first.location.line
                    ),
                );
            }
            if rule.clause.as_deref().is_none_or(|c| c.trim().is_empty()) {
                self.push(
                    Level::Error,
                    "missing_clause",
                    rule.location,
                    format!(
                        "rule `{}` has no `clause`: every rule must cite the clause of the written policy it enforces",
                        rule.id
                    ),
                );
            }
            if rule.quote.as_deref().is_none_or(|q| q.trim().is_empty()) {
                self.push(
                    Level::Warning,
                    "missing_quote",
                    rule.location,
                    format!("rule `{}` has no `quote` of the policy text", rule.id),
                );
            }
            self.upload_scope(rule);
        }
    }

    /// The gateways read request bodies only on [`UPLOAD_CATEGORIES`] sites: a
    /// `sensitive_upload` rule that names none of them never fires.
    fn upload_scope(&mut self, rule: &Rule) {
        let reads_bodies = rule.categories.is_empty()
            || UPLOAD_CATEGORIES
                .iter()
                .any(|c| rule.categories.contains(*c));
        if rule.checks.contains(&Check::SensitiveUpload) && !reads_bodies {
            let names = UPLOAD_CATEGORIES.map(|c| c.as_str()).join(", ");
            self.push(
                Level::Warning,
                "upload_scope",
                rule.location,
                format!(
                    "rule `{}` checks `sensitive_upload`, but request bodies are read only on {names} sites, and it names none of them: it cannot fire",
                    rule.id
                ),
            );
        }
    }

    /// Warns, for each web rule, about each category it names that neither the site's index
    /// nor the pack's `[web.lists]` fills: the rule cannot fire on it.
    fn empty_categories(&mut self, pack: &Pack, index: CategorySet) {
        let own: CategorySet = pack
            .web
            .lists
            .iter()
            .filter(|(_, entries)| !entries.is_empty())
            .map(|(c, _)| *c)
            .collect();
        let filled = index.union(own);
        for rule in pack.rules_on(Area::Web) {
            let empty: Vec<Category> = rule
                .categories
                .iter()
                .filter(|c| !filled.contains(*c))
                .collect();
            let inert = empty.len() == rule.categories.iter().count()
                && rule.url_lists.is_empty()
                && rule.checks.is_empty();
            for category in empty {
                let what = if inert {
                    "this rule cannot fire".to_string()
                } else {
                    format!("this rule cannot fire on {category}")
                };
                self.push(
                    Level::Warning,
                    "empty_category",
                    rule.location,
                    format!(
                        "rule `{}`: {category}: 0 entries: {what} until a list is loaded \
                         (`charter categories build --category-list {category}=FILE`, or the \
                         pack's [web.lists])",
                        rule.id
                    ),
                );
            }
        }
    }

    /// Warns about each activity rule that cannot fire: never (see
    /// [`crate::feeds::never_fed`]), or with the site's `feeds` when they are known.
    fn inert_rules(&mut self, pack: &Pack, feeds: Option<crate::feeds::Feeds>) {
        for rule in pack.rules_on(Area::Activity) {
            if let Some(why) = crate::feeds::never_fed(pack, rule) {
                self.push(
                    Level::Warning,
                    "inert_rule",
                    rule.location,
                    format!("rule `{}` {why}", rule.id),
                );
            }
        }
        let Some(feeds) = feeds else { return };
        for (rule, missing) in feeds.inert(pack) {
            if crate::feeds::never_fed(pack, rule).is_some() {
                continue;
            }
            self.push(
                Level::Warning,
                "inert_rule",
                rule.location,
                format!(
                    "rule `{}` is inert: no source in charter.toml [ingest] feeds it; it needs {}",
                    rule.id,
                    missing.join("; or ")
                ),
            );
        }
    }

    /// A pack whose rules name roles should declare them: the loader then refuses a misspelt
    /// role, which would otherwise make a rule that silently never applies (or always does).
    fn roles_declared(&mut self, pack: &Pack) {
        if !pack.organisation.roles.is_empty() {
            return;
        }
        if let Some(rule) = pack
            .rules
            .iter()
            .find(|r| !r.roles.is_empty() || !r.except_roles.is_empty())
        {
            self.push(
                Level::Warning,
                "roles_not_declared",
                rule.location,
                format!(
                    "rule `{}` names roles but the pack declares none: list them in [organisation] roles so that a misspelt role is an error",
                    rule.id
                ),
            );
        }
    }

    /// Two rules contradict when they cover the same events for the same people at the same
    /// times and one allows what the other blocks or holds: the strongest action always wins,
    /// so the `allow` can never take effect and the pack does not mean what it says.
    ///
    /// Each rule is reported once, against the first rule before it that it contradicts.
    /// Rules are grouped by scope and by each category, check and URL list they match, and
    /// each group remembers its first `allow` and its first `block` or `hold`, so the work
    /// grows with the number of rules, not with the number of pairs.
    fn contradictions(&mut self, rules: &[Rule]) {
        let mut first: HashMap<Scope<'_>, HashMap<Matched<'_>, [Option<usize>; 2]>> =
            HashMap::new();
        for (i, b) in rules.iter().enumerate() {
            let side = match b.action {
                Verdict::Allow => 0,
                Verdict::Block | Verdict::Hold => 1,
                Verdict::Log | Verdict::Warn => continue,
            };
            let groups = first.entry(Scope::of(b)).or_default();
            let mut earliest: Option<usize> = None;
            for matched in Matched::all(b) {
                let firsts = groups.entry(matched).or_default();
                if let Some(j) = firsts[1 - side] {
                    earliest = Some(earliest.map_or(j, |e| e.min(j)));
                }
                firsts[side].get_or_insert(i);
            }
            if let Some(a) = earliest.map(|j| &rules[j]) {
                self.push(
                    Level::Error,
                    "contradiction",
                    b.location,
                    format!(
                        "rule `{}` ({}) contradicts rule `{}` ({}, line {}): same scope, opposite actions",
                        b.id, b.action, a.id, a.action, a.location.line
                    ),
                );
            }
        }
    }

    fn review(&mut self, pack: &Pack, today: Date) {
        let meta = &pack.meta;
        let (due, how) = match (meta.review_due, meta.last_reviewed) {
            (Some(due), _) => (due, String::new()),
            (None, Some(last)) => match last.checked_add(12.months()) {
                Ok(due) => (due, format!(" (last reviewed {last}, reviewed yearly)")),
                Err(_) => return,
            },
            (None, None) => {
                self.push(
                    Level::Warning,
                    "no_review_date",
                    meta.review_location,
                    "no `review_due` or `last_reviewed` date: the policy's review cannot be tracked".into(),
                );
                return;
            }
        };
        if due < today {
            let days = (today - due).get_days();
            self.push(
                Level::Warning,
                "review_overdue",
                meta.review_location,
                format!("policy review overdue: due {due}{how}, {days} days ago"),
            );
        }
    }

    /// Unfilled template placeholders: square-bracketed text inside any string value, such
    /// as `[INSERT ROLE OR POSITION]`. One error per outermost bracket pair.
    fn placeholders(&mut self) {
        let Ok(doc) = DeTable::parse(self.text) else {
            return; // the loader reports the syntax error
        };
        let mut found = Vec::new();
        walk_strings(
            doc.get_ref(),
            "",
            &mut |key, value: &Spanned<DeValue<'_>>| {
                if let DeValue::String(s) = value.get_ref() {
                    for placeholder in bracketed(s) {
                        found.push((key.to_string(), value.span(), placeholder.to_string()));
                    }
                }
            },
        );
        let lines = Lines::new(self.text);
        for (key, span, placeholder) in found {
            let raw = self.text.get(span.clone()).unwrap_or_default();
            let offset = raw
                .find(&placeholder)
                .map_or(span.start, |i| span.start + i);
            let location = lines.locate(offset);
            self.push(
                Level::Error,
                "placeholder",
                location,
                format!("unfilled template placeholder `{placeholder}` in `{key}`"),
            );
        }
    }
}

/// Who and when a rule covers: two rules in the same scope that match one thing alike
/// cover the same events.
#[derive(PartialEq, Eq, Hash)]
struct Scope<'r> {
    on: Area,
    window: &'r Option<WindowCondition>,
    direction: Option<Direction>,
    roles: Vec<&'r str>,
    except_roles: Vec<&'r str>,
}

impl<'r> Scope<'r> {
    fn of(rule: &'r Rule) -> Scope<'r> {
        let sorted = |v: &'r [String]| {
            let mut v: Vec<&str> = v.iter().map(String::as_str).collect();
            v.sort_unstable();
            v
        };
        Scope {
            on: rule.on,
            window: &rule.window,
            direction: rule.direction,
            roles: sorted(&rule.roles),
            except_roles: sorted(&rule.except_roles),
        }
    }
}

/// One thing a rule matches.
#[derive(PartialEq, Eq, Hash)]
enum Matched<'r> {
    Category(Category),
    Check(Check),
    UrlList(&'r str),
}

impl<'r> Matched<'r> {
    fn all(rule: &'r Rule) -> impl Iterator<Item = Matched<'r>> {
        rule.categories
            .iter()
            .map(Matched::Category)
            .chain(rule.checks.iter().copied().map(Matched::Check))
            .chain(rule.url_lists.iter().map(|l| Matched::UrlList(l)))
    }
}

fn walk_strings<'i>(
    table: &DeTable<'i>,
    prefix: &str,
    visit: &mut dyn FnMut(&str, &Spanned<DeValue<'i>>),
) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        walk_value(value, &path, visit);
    }
}

fn walk_value<'i>(
    value: &Spanned<DeValue<'i>>,
    path: &str,
    visit: &mut dyn FnMut(&str, &Spanned<DeValue<'i>>),
) {
    match value.get_ref() {
        DeValue::Table(table) => walk_strings(table, path, visit),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_value(item, &format!("{path}[{i}]"), visit);
            }
        }
        _ => visit(path, value),
    }
}

/// The outermost `[...]` spans of `s` that hold at least one letter, skipping Markdown links
/// (`[text](url)`).
fn bracketed(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => {
                if depth == 0 {
                    start = i;
                }
                depth += 1;
            }
            ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let span = &s[start..=i];
                    let is_link = s[i + 1..].starts_with('(');
                    if !is_link && span.chars().any(char::is_alphabetic) {
                        out.push(span);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[policy]
id = "t"
title = "T"
source = "T policy"
review_due = 2027-01-01

[organisation]
name = "T Ltd"

[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
breaks = [{ from = "12:30", to = "13:30" }]
personal_use = ["breaks", "outside_working"]
"#;

    fn today() -> Date {
        Date::new(2026, 11, 24).unwrap()
    }

    #[test]
    fn an_upload_rule_outside_the_upload_categories_warns() {
        let rule = |categories: &str| {
            format!(
                "[[rule]]\nid = \"u\"\nclause = \"1\"\nquote = \"q\"\non = \"web\"\ncategories = {categories}\nchecks = [\"sensitive_upload\"]\naction = \"block\"\nseverity = \"concern\"\n"
            )
        };
        assert_eq!(codes(&run(&rule("[\"gambling\"]"))), ["upload_scope"]);
        assert!(codes(&run(&rule("[\"public_ai\", \"gambling\"]"))).is_empty());
        assert!(codes(&run(&rule("[\"webmail\"]"))).is_empty());
    }

    fn run(extra: &str) -> LintReport {
        lint(&format!("{BASE}{extra}"), "t.toml", today())
    }

    fn codes(report: &LintReport) -> Vec<&'static str> {
        report.diagnostics.iter().map(|d| d.code).collect()
    }

    const GAMBLING_BLOCK: &str = r#"
[[rule]]
id = "a"
clause = "1"
quote = "No gambling."
on = "web"
categories = ["gambling"]
action = "block"
severity = "gross_misconduct"
"#;

    const DOMAIN_BOUND: &str = r#"
[[rule]]
id = "mail.internal"
clause = "1"
quote = "q"
on = "mail"
direction = "internal"
checks = ["abusive_language"]
action = "hold"
severity = "concern"

[[rule]]
id = "mail.spoof"
clause = "2"
quote = "q"
on = "mail"
checks = ["executable_attachment", "spoofed_internal_sender"]
action = "block"
severity = "concern"

[[rule]]
id = "mail.cc"
clause = "3"
quote = "q"
on = "mail"
checks = ["group_address_visible"]
max_recipients = 10
action = "warn"
severity = "concern"

[[rule]]
id = "mail.outbound"
clause = "4"
quote = "q"
on = "mail"
direction = "outbound"
checks = ["abusive_language"]
action = "hold"
severity = "concern"
"#;

    fn domain_warnings(report: &LintReport) -> Vec<&str> {
        report
            .diagnostics
            .iter()
            .filter(|d| d.code == "mail_domains_unknown")
            .inspect(|d| assert_eq!(d.level, Level::Warning))
            .map(|d| d.message.as_str())
            .collect()
    }

    #[test]
    fn rules_that_need_mail_domains_warn_when_nobody_names_them() {
        let report = run(DOMAIN_BOUND);
        assert!(report.passed(), "a warning is not an error");
        let warnings = domain_warnings(&report);
        assert_eq!(warnings.len(), 3, "{warnings:#?}");
        for (warning, id) in warnings
            .iter()
            .zip(["mail.internal", "mail.spoof", "mail.cc"])
        {
            assert!(warning.starts_with(&format!("rule `{id}` ")), "{warning}");
            assert!(warning.contains("charter.toml"), "{warning}");
        }
    }

    #[test]
    fn mail_domains_from_the_pack_or_the_site_quiet_the_warning() {
        let site = Site {
            mail_domains: true,
            ..Site::default()
        };
        let report = lint_for_site(&format!("{BASE}{DOMAIN_BOUND}"), "t.toml", today(), site);
        assert!(domain_warnings(&report).is_empty());
        let named = format!("{BASE}{DOMAIN_BOUND}").replace(
            "name = \"T Ltd\"",
            "name = \"T Ltd\"\ndomains = [\"t.example\"]",
        );
        assert!(domain_warnings(&lint(&named, "t.toml", today())).is_empty());
    }

    fn empty_category_warnings(extra: &str, filled: &[Category]) -> Vec<String> {
        let text = format!("{BASE}{extra}");
        let site = Site {
            filled_categories: Some(filled.iter().copied().collect()),
            ..Site::default()
        };
        let report = lint_for_site(&text, "p.toml", today(), site);
        report
            .diagnostics
            .iter()
            .filter(|d| d.code == "empty_category")
            .inspect(|d| assert_eq!(d.level, Level::Warning))
            .map(|d| d.message.clone())
            .collect()
    }

    const EXTREMISM_RULE: &str = r#"
[[rule]]
id = "x.extremism"
clause = "9"
quote = "No terrorism."
on = "web"
categories = ["extremism"]
action = "block"
severity = "gross_misconduct"
"#;

    #[test]
    fn a_rule_on_an_empty_category_is_warned_about() {
        assert_eq!(
            empty_category_warnings(EXTREMISM_RULE, &[Category::Gambling]),
            [
                "rule `x.extremism`: extremism: 0 entries: this rule cannot fire until a list is \
              loaded (`charter categories build --category-list extremism=FILE`, or the pack's \
              [web.lists])"
            ]
        );
        let mixed = EXTREMISM_RULE.replace(r#"["extremism"]"#, r#"["extremism", "gambling"]"#);
        let got = empty_category_warnings(&mixed, &[Category::Gambling]);
        assert_eq!(got.len(), 1);
        assert!(
            got[0].contains("this rule cannot fire on extremism until"),
            "{got:?}"
        );
    }

    #[test]
    fn a_filled_category_or_no_index_is_not_warned_about() {
        assert!(empty_category_warnings(EXTREMISM_RULE, &[Category::Extremism]).is_empty());
        let own = format!("[web.lists]\nextremism = [\"bad.example\"]\n{EXTREMISM_RULE}");
        assert!(parse(&format!("{BASE}{own}"), "p.toml").is_ok());
        assert!(empty_category_warnings(&own, &[]).is_empty());
        let report = lint(&format!("{BASE}{EXTREMISM_RULE}"), "p.toml", today());
        assert!(
            report
                .diagnostics
                .iter()
                .all(|d| d.code != "empty_category")
        );
    }

    #[test]
    fn clean_pack_passes() {
        let report = run(GAMBLING_BLOCK);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        assert!(report.passed());
    }

    #[test]
    fn bracketed_finds_outermost_only() {
        assert_eq!(
            bracketed("to [the Head of HR OR [POSITION]] and [x](http://y) [1]"),
            ["[the Head of HR OR [POSITION]]"]
        );
    }

    #[test]
    fn each_placeholder_is_one_error_with_its_place() {
        let report = run(
            "[governance]\nreport_to = \"[your line manager OR the HR Department]\"\nbreach_contact = \"[INSERT ROLE OR POSITION] or [POSITION]\"\n",
        );
        let placeholders: Vec<&Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == "placeholder")
            .collect();
        assert_eq!(placeholders.len(), 3);
        assert_eq!(
            placeholders[0].message,
            "unfilled template placeholder `[your line manager OR the HR Department]` in `governance.report_to`"
        );
        assert_eq!(placeholders[0].location.column, 14);
        assert!(!report.passed());
    }

    #[test]
    fn duplicate_ids_are_errors() {
        let report = run(&format!("{GAMBLING_BLOCK}{GAMBLING_BLOCK}"));
        assert_eq!(codes(&report), ["duplicate_id"]);
        assert!(
            report.diagnostics[0]
                .message
                .starts_with("duplicate rule id `a`, first used on line")
        );
    }

    #[test]
    fn rule_without_clause_is_an_error() {
        let report = run(&GAMBLING_BLOCK.replace("clause = \"1\"\n", ""));
        assert_eq!(codes(&report), ["missing_clause"]);
    }

    #[test]
    fn allow_against_block_in_same_scope_is_a_contradiction() {
        let allow = GAMBLING_BLOCK
            .replace("id = \"a\"", "id = \"b\"")
            .replace("\"block\"", "\"allow\"");
        let report = run(&format!("{GAMBLING_BLOCK}{allow}"));
        assert_eq!(codes(&report), ["contradiction"]);
        assert!(
            report.diagnostics[0]
                .message
                .starts_with("rule `b` (allow) contradicts rule `a` (block")
        );
    }

    #[test]
    fn allow_for_another_role_is_not_a_contradiction() {
        let allow = GAMBLING_BLOCK
            .replace("id = \"a\"", "id = \"b\"")
            .replace("\"block\"", "\"allow\"")
            .replace(
                "on = \"web\"",
                "on = \"web\"\nroles = [\"compliance_officer\"]",
            );
        assert!(run(&format!("{GAMBLING_BLOCK}{allow}")).passed());
    }

    fn with_id(rule: &str, id: &str) -> String {
        rule.replace("id = \"a\"", &format!("id = \"{id}\""))
    }

    #[test]
    fn a_rule_is_reported_once_against_the_first_it_contradicts() {
        let hold = with_id(GAMBLING_BLOCK, "b").replace("\"block\"", "\"hold\"");
        let allow = with_id(GAMBLING_BLOCK, "c").replace("\"block\"", "\"allow\"");
        let report = run(&format!("{GAMBLING_BLOCK}{hold}{allow}"));
        assert_eq!(codes(&report), ["contradiction"]);
        assert!(
            report.diagnostics[0]
                .message
                .starts_with("rule `c` (allow) contradicts rule `a` (block, line "),
            "{}",
            report.diagnostics[0].message
        );
    }

    #[test]
    fn every_rule_against_an_earlier_allow_is_reported() {
        let allow = with_id(GAMBLING_BLOCK, "first").replace("\"block\"", "\"allow\"");
        let blocks: String = (0..3)
            .map(|i| with_id(GAMBLING_BLOCK, &format!("b{i}")))
            .collect();
        let report = run(&format!("{allow}{blocks}"));
        let messages: Vec<&str> = report
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        for (i, m) in messages.iter().enumerate() {
            assert!(m.starts_with(&format!(
                "rule `b{i}` (block) contradicts rule `first` (allow"
            )));
        }
    }

    #[test]
    fn one_shared_category_is_enough_to_contradict() {
        let allow = with_id(GAMBLING_BLOCK, "b")
            .replace("\"block\"", "\"allow\"")
            .replace("[\"gambling\"]", "[\"games\", \"gambling\"]");
        assert_eq!(
            codes(&run(&format!("{GAMBLING_BLOCK}{allow}"))),
            ["contradiction"]
        );
    }

    #[test]
    fn allow_in_another_window_or_for_other_things_is_not_a_contradiction() {
        let other_window = with_id(GAMBLING_BLOCK, "b")
            .replace("\"block\"", "\"allow\"")
            .replace("on = \"web\"", "on = \"web\"\nduring = \"breaks\"");
        let other_category = with_id(GAMBLING_BLOCK, "c")
            .replace("\"block\"", "\"allow\"")
            .replace("[\"gambling\"]", "[\"games\"]");
        assert!(run(&format!("{GAMBLING_BLOCK}{other_window}{other_category}")).passed());
    }

    #[test]
    fn roles_in_another_order_are_the_same_scope() {
        let block = GAMBLING_BLOCK.replace("on = \"web\"", "on = \"web\"\nroles = [\"x\", \"y\"]");
        let allow = with_id(&block, "b")
            .replace("\"block\"", "\"allow\"")
            .replace("[\"x\", \"y\"]", "[\"y\", \"x\"]");
        let report = with_roles(
            "[\"x\", \"y\", \"hr\", \"dpo\", \"compliance\"]",
            &format!("{block}{allow}"),
        );
        assert_eq!(codes(&report), ["contradiction"]);
    }

    /// A pack declaring `roles` (a TOML array) with `extra` after the base.
    fn with_roles(roles: &str, extra: &str) -> LintReport {
        let base = BASE.replace(
            "name = \"T Ltd\"",
            &format!("name = \"T Ltd\"\nroles = {roles}"),
        );
        lint(&format!("{base}{extra}"), "t.toml", today())
    }

    fn one_message(report: &LintReport) -> &str {
        assert_eq!(report.diagnostics.len(), 1, "{:#?}", report.diagnostics);
        &report.diagnostics[0].message
    }

    const ALL_GOVERNANCE_ROLES: &str = "[\"staff\", \"hr\", \"dpo\", \"compliance\"]";

    #[test]
    fn declared_roles_pass() {
        let rule = GAMBLING_BLOCK.replace("on = \"web\"", "on = \"web\"\nexcept_roles = [\"hr\"]");
        let report = with_roles(ALL_GOVERNANCE_ROLES, &rule);
        assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    }

    #[test]
    fn an_undeclared_role_in_a_rule_is_an_error_at_its_place() {
        let rule = GAMBLING_BLOCK.replace(
            "on = \"web\"",
            "on = \"web\"\nexcept_roles = [\"marketting\"]",
        );
        let report = with_roles(ALL_GOVERNANCE_ROLES, &rule);
        assert_eq!(codes(&report), ["unknown_role"]);
        assert_eq!(
            one_message(&report),
            "unknown role `marketting` in `except_roles`, expected one of the declared roles: staff, hr, dpo, compliance"
        );
        // The line holds the misspelt name (lines count from 1; the base gains the `roles`
        // line).
        let line = report.diagnostics[0].location.line;
        let text = format!("{BASE}\n{rule}");
        assert!(
            text.lines()
                .nth(line - 1)
                .is_some_and(|l| l.contains("marketting")),
            "line {line}"
        );
        assert!(report.pack.is_none());
    }

    #[test]
    fn an_undeclared_governance_role_is_an_error() {
        let report = with_roles(
            ALL_GOVERNANCE_ROLES,
            &format!("[governance]\nsoftware_approvers = [\"it\"]\n{GAMBLING_BLOCK}"),
        );
        assert_eq!(codes(&report), ["unknown_role"]);
        assert!(one_message(&report).starts_with("unknown role `it` in `software_approvers`"));
    }

    #[test]
    fn access_approvers_are_declared_roles_and_default_to_the_software_approvers() {
        let report = with_roles(
            ALL_GOVERNANCE_ROLES,
            &format!("[governance]\naccess_approvers = [\"it\"]\n{GAMBLING_BLOCK}"),
        );
        assert_eq!(codes(&report), ["unknown_role"]);
        assert!(one_message(&report).starts_with("unknown role `it` in `access_approvers`"));
        let defaulted = with_roles(
            "[\"staff\", \"hr\", \"dpo\", \"compliance\", \"it\"]",
            &format!("[governance]\nsoftware_approvers = [\"it\"]\n{GAMBLING_BLOCK}"),
        );
        assert!(defaulted.passed(), "{:#?}", defaulted.diagnostics);
        let pack = defaulted.pack.unwrap();
        assert_eq!(pack.governance.access_approvers, ["it"]);
    }

    #[test]
    fn a_default_governance_role_must_be_declared() {
        let report = with_roles("[\"staff\", \"hr\", \"dpo\"]", GAMBLING_BLOCK);
        assert_eq!(codes(&report), ["unknown_role"]);
        assert_eq!(
            one_message(&report),
            "[governance] `compliance_roles` is not given, so it is `compliance`, which is not a declared role: declare `compliance` in [organisation] roles or set `compliance_roles`"
        );
        let given = with_roles(
            "[\"staff\", \"hr\", \"dpo\", \"auditor\"]",
            &format!("[governance]\ncompliance_roles = [\"auditor\"]\n{GAMBLING_BLOCK}"),
        );
        assert!(given.passed(), "{:#?}", given.diagnostics);
    }

    #[test]
    fn roles_named_but_not_declared_is_a_warning() {
        let rule = GAMBLING_BLOCK.replace("on = \"web\"", "on = \"web\"\nroles = [\"staff\"]");
        let report = run(&rule);
        assert_eq!(codes(&report), ["roles_not_declared"]);
        assert_eq!(report.diagnostics[0].level, Level::Warning);
        assert!(report.passed());
    }

    #[test]
    fn check_roles_names_the_declared_roles() {
        let pack = with_roles(ALL_GOVERNANCE_ROLES, GAMBLING_BLOCK)
            .pack
            .unwrap();
        assert_eq!(pack.check_roles(&["staff", "hr"]), Ok(()));
        let err = pack.check_roles(&["staff", "hr_manager"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "role `hr_manager` is not declared by the pack: its [organisation] roles are staff, hr, dpo, compliance"
        );
        let undeclared = run(GAMBLING_BLOCK).pack.unwrap();
        assert_eq!(undeclared.check_roles(&["anything"]), Ok(()));
    }

    #[test]
    fn overdue_review_is_a_warning() {
        let text = BASE.replace("2027-01-01", "2026-04-01");
        let report = lint(&format!("{text}{GAMBLING_BLOCK}"), "t.toml", today());
        assert_eq!(codes(&report), ["review_overdue"]);
        assert_eq!(
            report.diagnostics[0].message,
            "policy review overdue: due 2026-04-01, 237 days ago"
        );
        assert!(report.passed());
    }

    #[test]
    fn last_reviewed_implies_a_yearly_review() {
        let text = BASE.replace("review_due = 2027-01-01", "last_reviewed = 2021-02-23");
        let report = lint(&format!("{text}{GAMBLING_BLOCK}"), "t.toml", today());
        assert_eq!(codes(&report), ["review_overdue"]);
        assert!(
            report.diagnostics[0]
                .message
                .contains("due 2022-02-23 (last reviewed 2021-02-23, reviewed yearly)")
        );
    }

    #[test]
    fn periodic_password_change_gets_the_advisory() {
        let report = run(
            "[passwords]\nchange = \"periodic\"\nclause = \"Computer Security\"\nquote = \"changed at regular intervals\"\n",
        );
        assert_eq!(codes(&report), ["periodic_password_change"]);
        assert_eq!(report.diagnostics[0].level, Level::Advisory);
        assert!(
            report.diagnostics[0]
                .message
                .contains("NCSC, Cyber Essentials and NIST SP 800-63B")
        );
    }

    #[test]
    fn load_errors_are_lint_errors() {
        let report = run(&GAMBLING_BLOCK.replace("gambling\"]", "gamblng\"]"));
        assert_eq!(codes(&report), ["unknown_category"]);
        assert!(report.pack.is_none());
    }
}
