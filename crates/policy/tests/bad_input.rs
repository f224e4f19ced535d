//! Every kind of bad pack gives an error that names the file, line and column and says what
//! was expected.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on unexpected output"
)]

use charter_policy::{Diagnostic, LoadError, parse};

const GOOD: &str = r#"[policy]
id = "b"
title = "Bad input"
source = "test"
review_due = 2027-01-01

[organisation]
name = "B Ltd"

[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
breaks = [{ from = "12:30", to = "13:30" }]
personal_use = ["breaks", "outside_working"]

[[rule]]
id = "r"
clause = "1"
quote = "No gambling."
on = "web"
categories = ["gambling"]
outside = "personal_use"
action = "block"
severity = "misconduct"
"#;

/// The only error loading `GOOD` with `from` replaced by `to` gives, as `file:line:col: message`.
fn error(from: &str, to: &str) -> String {
    let text = GOOD.replacen(from, to, 1);
    assert_ne!(text, GOOD, "replacement `{from}` not found");
    error_in(&text, "bad.toml")
}

/// The only error loading `text` as `file` gives, as `file:line:col: message`.
fn error_in(text: &str, file: &str) -> String {
    match parse(text, file) {
        Ok(_) => panic!("`{file}` loaded"),
        Err(LoadError::Invalid(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            let Diagnostic {
                file,
                location,
                message,
                ..
            } = &errors[0];
            format!("{file}:{}:{}: {message}", location.line, location.column)
        }
        Err(other) => panic!("unexpected {other}"),
    }
}

#[test]
fn the_good_pack_loads() {
    assert!(parse(GOOD, "good.toml").is_ok());
}

#[test]
fn unknown_key() {
    let got = error(
        "severity = \"misconduct\"",
        "severity = \"misconduct\"\nseverty = \"x\"",
    );
    assert!(
        got.starts_with("bad.toml:24:1: unknown key `severty`, expected one of"),
        "{got}"
    );
}

#[test]
fn unknown_key_in_policy() {
    let got = error(
        "source = \"test\"",
        "source = \"test\"\nreview = 2026-01-01",
    );
    assert!(
        got.starts_with("bad.toml:5:1: unknown key `review`, expected one of `id`, `title`"),
        "{got}"
    );
}

#[test]
fn missing_key() {
    let got = error("name = \"B Ltd\"", "");
    assert!(got.contains("missing key `name`"), "{got}");
}

#[test]
fn unknown_category() {
    assert_eq!(
        error("[\"gambling\"]", "[\"gamblin\"]"),
        "bad.toml:20:15: unknown category `gamblin`, expected one of: adult, gambling, drugs, hate, \
         extremism, cults, criminal_skills, malware, phishing, piracy, circumvention, chat, forums, \
         social_media, streaming, webmail, public_ai, shopping, games, dating, file_sharing, news, \
         jobsearch, finance, blog, self_harm, other"
    );
}

#[test]
fn unknown_check() {
    let got = error(
        "categories = [\"gambling\"]",
        "checks = [\"exe_attachment\"]",
    );
    assert!(
        got.starts_with(
            "bad.toml:20:11: unknown check `exe_attachment`, expected one of: executable_attachment"
        ),
        "{got}"
    );
}

#[test]
fn check_from_another_area() {
    assert_eq!(
        error("categories = [\"gambling\"]", "checks = [\"mass_mail\"]"),
        "bad.toml:20:11: check `mass_mail` is a mail check but rule `r` is on web"
    );
}

#[test]
fn unknown_action() {
    assert_eq!(
        error("action = \"block\"", "action = \"deny\""),
        "bad.toml:22:10: unknown action `deny`, expected one of: allow, log, warn, hold, block"
    );
}

#[test]
fn unknown_severity() {
    assert_eq!(
        error("severity = \"misconduct\"", "severity = \"serious\""),
        "bad.toml:23:12: unknown severity `serious`, expected one of: info, concern, misconduct, gross_misconduct"
    );
}

#[test]
fn bad_time() {
    assert_eq!(
        error("to = \"17:30\"", "to = \"17:70\""),
        "bad.toml:11:52: bad time `17:70`, expected HH:MM between 00:00 and 24:00"
    );
}

#[test]
fn bad_time_format() {
    assert_eq!(
        error("from = \"12:30\"", "from = \"half twelve\""),
        "bad.toml:12:20: bad time `half twelve`, expected HH:MM between 00:00 and 24:00"
    );
}

#[test]
fn bad_days() {
    assert_eq!(
        error("\"Mon-Fri\"", "\"Mon-Fry\""),
        "bad.toml:11:20: bad days `Mon-Fry`, expected days such as `Mon-Fri`, `Mon,Wed,Fri`, `Sat-Sun` or `all`"
    );
}

#[test]
fn empty_window() {
    assert_eq!(
        error("to = \"13:30\"", "to = \"12:30\""),
        "bad.toml:12:20: empty window 12:30-12:30: `from` and `to` are the same"
    );
}

#[test]
fn date_with_a_time_is_not_a_date() {
    assert_eq!(
        error("2027-01-01", "2027-01-01T09:00:00"),
        "bad.toml:5:14: bad date for `review_due`: `2027-01-01T09:00:00`, expected a date such as 2026-04-01"
    );
}

#[test]
fn impossible_date() {
    let got = error("2027-01-01", "2027-02-30");
    assert_eq!(
        got,
        "bad.toml:5:14: invalid date, expected day between 01 and 28"
    );
}

#[test]
fn date_as_a_string() {
    let got = error("2027-01-01", "\"1 April 2026\"");
    assert!(
        got.starts_with("bad.toml:5:14: invalid type: string \"1 April 2026\", expected"),
        "{got}"
    );
}

#[test]
fn unknown_window() {
    assert_eq!(
        error("outside = \"personal_use\"", "outside = \"lunch\""),
        "bad.toml:21:11: unknown window `lunch`, expected one of: breaks, outside_working, personal_use, working"
    );
}

#[test]
fn unknown_window_in_personal_use() {
    assert_eq!(
        error(
            "[\"breaks\", \"outside_working\"]",
            "[\"breaks\", \"evenings\"]"
        ),
        "bad.toml:13:27: unknown window `evenings` in `personal_use`"
    );
}

#[test]
fn unknown_time_zone() {
    assert_eq!(
        error(
            "review_due = 2027-01-01",
            "review_due = 2027-01-01\ntimezone = \"Europe/Lundon\""
        ),
        "bad.toml:6:12: unknown time zone `Europe/Lundon`, expected an IANA name such as Europe/London"
    );
}

#[test]
fn during_and_outside_together() {
    assert_eq!(
        error(
            "outside = \"personal_use\"",
            "during = \"working\"\noutside = \"personal_use\""
        ),
        "bad.toml:22:11: rule `r` has both `during` and `outside`; give one"
    );
}

#[test]
fn web_only_key_on_a_mail_rule() {
    let got = error("on = \"web\"", "on = \"mail\"");
    assert_eq!(
        got,
        "bad.toml:15:1: `categories` applies only to web rules, and rule `r` is on mail"
    );
}

#[test]
fn negative_threshold() {
    assert_eq!(
        error(
            "action = \"block\"",
            "max_download_mb = -5\naction = \"block\""
        ),
        "bad.toml:22:19: bad `max_download_mb` -5: expected a positive whole number"
    );
}

#[test]
fn toml_syntax_error() {
    let got = error("id = \"r\"", "id = \"r");
    assert!(got.starts_with("bad.toml:16:"), "{got}");
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let text = GOOD
        .replace("[\"gambling\"]", "[\"gamblin\"]")
        .replace("\"Mon-Fri\"", "\"Mon-Fry\"");
    let Err(LoadError::Invalid(errors)) = parse(&text, "bad.toml") else {
        panic!("loaded")
    };
    let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, ["bad_days", "unknown_category"]);
}

#[test]
fn an_error_deep_in_a_large_pack_names_its_line_and_column() {
    let rule = GOOD.split_once("[[rule]]").unwrap().1;
    let mut text = GOOD.to_string();
    for i in 0..3000 {
        text.push_str("[[rule]]");
        text.push_str(&rule.replace("id = \"r\"", &format!("id = \"r{i}\"")));
    }
    // The mistake at the end of a line many chunks long.
    let good = "\"gambling\", ".repeat(400);
    let bad_line = format!("categories = [{good}\"gamblng\"]");
    text.push_str("[[rule]]\nid = \"last\"\nclause = \"1\"\nquote = \"q\"\non = \"web\"\n");
    text.push_str(&format!(
        "{bad_line}\naction = \"block\"\nseverity = \"concern\"\n"
    ));
    let line = text.lines().position(|l| l == bad_line).unwrap() + 1;
    let column = bad_line.find("\"gamblng").unwrap() + 1;
    let error = error_in(&text, "big.toml");
    let expected = format!("big.toml:{line}:{column}: unknown category `gamblng`, expected");
    assert!(error.starts_with(&expected), "{error}");
}

#[test]
fn unknown_phrase_list() {
    let got = error(
        "categories = [\"gambling\"]",
        "checks = [\"search_term\"]\nphrase_lists = [\"selfharm\"]",
    );
    assert_eq!(
        got,
        "bad.toml:21:17: unknown phrase list `selfharm`, expected one of: self_harm, \
         extremism, abuse, weapons, drugs"
    );
}

#[test]
fn phrase_lists_need_the_search_term_check() {
    let got = error(
        "categories = [\"gambling\"]",
        "categories = [\"gambling\"]\nphrase_lists = [\"drugs\"]",
    );
    assert!(
        got.ends_with(
            "`phrase_lists` applies only to rules with `checks = [\"search_term\"]`, and rule `r` has none"
        ),
        "{got}"
    );
}

#[test]
fn search_engine_needs_a_host_and_a_parameter() {
    let got = error(
        "[hours]",
        "[web]\nsearch_engines = [{ host = \"https://kiddle.co/\", param = \"q\" }]\n\n[hours]",
    );
    assert!(
        got.starts_with("bad.toml:11:19: bad [[web.search_engines]] entry: `host` is a host name"),
        "{got}"
    );
}

#[test]
fn pack_lists_are_keyed_by_category() {
    let got = error(
        "[hours]",
        "[web.lists]\nextremist = [\"bad.example\"]\n\n[hours]",
    );
    assert!(
        got.starts_with("bad.toml:11:13: [web.lists]: unknown category `extremist`"),
        "{got}"
    );
    let got = error(
        "[hours]",
        "[web.lists]\nextremism = [\"https://bad.example/\"]\n\n[hours]",
    );
    assert!(
        got.contains("bad [web.lists] extremism entry `https://bad.example/`"),
        "{got}"
    );
}

#[test]
fn model_threshold_needs_a_check_a_model_scores() {
    let e = error(
        "action = \"block\"",
        "model_threshold = 0.7\naction = \"block\"",
    );
    assert!(
        e.starts_with("bad.toml:22:19:")
            && e.contains(
                "`model_threshold` applies only to rules with the `abusive_language` or `unclassified_site` check"
            ),
        "{e}"
    );
}

#[test]
fn model_threshold_outside_zero_to_one() {
    let pack = GOOD.replacen(
        "on = \"web\"\ncategories = [\"gambling\"]\noutside = \"personal_use\"\n",
        "on = \"mail\"\nchecks = [\"abusive_language\"]\nmodel_threshold = 1.5\n",
        1,
    );
    let e = error_in(&pack, "bad.toml");
    assert!(
        e.contains("bad `model_threshold` 1.5: expected a score above 0 and at most 1"),
        "{e}"
    );
    let ok = pack.replace("model_threshold = 1.5", "model_threshold = 0.7");
    let rule = &parse(&ok, "ok.toml").unwrap().rules[0];
    assert_eq!(rule.model_threshold, Some(0.7));
}
