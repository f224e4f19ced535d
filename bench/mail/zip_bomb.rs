//! Engine time for zip CPU bombs (entries that overlap and lie about their sizes, nested
//! twice; see `nested_bomb` in `crates/engine/tests/support/zip.rs`) and for a plain zip
//! with an executable beside them.
//!
//! `cargo bench -p charter-engine --bench zip_bomb` runs bombs in messages of about 2.5 KB,
//! 5.5 KB and 640 KB, and one without overlapping entries (`copies_bomb`) that only the work
//! budget stops; `-- OUTER INNER` runs one overlapping bomb of that shape.
#![allow(clippy::unwrap_used, reason = "a benchmark; a bad argument ends it")]

use std::time::Instant;

use charter_engine::mail::{Envelope, MailInput, MailLimits, footer};
use charter_engine::{Context, Engine};

#[path = "../../crates/engine/tests/support/mod.rs"]
mod support;
#[path = "../../crates/engine/tests/support/zip.rs"]
mod zip;

/// A message from outside with `zip` attached as `files.zip`.
fn message_with_zip(zip: &[u8]) -> Vec<u8> {
    let mut raw = b"From: Mallory <mallory@example.net>\r\nTo: ann@example.com\r\nSubject: Invoice\r\n\
        Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n\
        Invoice attached.\r\n--XX\r\nContent-Type: application/zip; name=\"files.zip\"\r\n\
        Content-Disposition: attachment; filename=\"files.zip\"\r\n\
        Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    raw.extend_from_slice(&footer::base64_encode_lines(zip, b"\r\n"));
    raw.extend_from_slice(b"\r\n--XX--\r\n");
    raw
}

/// Builds a bomb of `outer` entries each holding `inner` entries.
type Bomb = fn(usize, usize) -> Vec<u8>;

fn run(engine: &Engine, label: &str, raw: &[u8]) {
    let env = Envelope::default();
    let input = MailInput::new(raw, &env);
    let started = Instant::now();
    let ctx = Context::new(None, Vec::new(), jiff::Timestamp::UNIX_EPOCH);
    let decided = engine.decide_mail_with(&ctx, &input, &MailLimits::default());
    let took = started.elapsed();
    let findings: Vec<String> = decided
        .decision
        .findings
        .iter()
        .map(|f| format!("{}: {:.160}", f.check, f.message))
        .collect();
    println!(
        "{label}: message {} bytes, engine {:.1} ms, work {} bytes, verdict {:?}, findings {findings:?}",
        raw.len(),
        took.as_secs_f64() * 1000.0,
        decided.work_bytes,
        decided.decision.verdict,
    );
}

fn main() {
    let engine =
        Engine::new(charter_policy::parse(&support::every_check_pack(), "bench.toml").unwrap());
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.parse().unwrap())
        .collect();
    let bombs = match args.as_slice() {
        [outer, inner] => vec![("bomb", *outer, *inner, zip::nested_bomb as Bomb)],
        _ => vec![
            ("tiny bomb", 1, 10_000, zip::nested_bomb as Bomb),
            ("small bomb", 48, 10_000, zip::nested_bomb),
            ("large bomb", 10_000, 10_000, zip::nested_bomb),
            ("bomb without overlap", 40, 1_000, zip::copies_bomb),
        ],
    };
    for (label, outer, inner, bomb) in bombs {
        let raw = message_with_zip(&bomb(outer, inner));
        run(
            &engine,
            &format!("{label} ({outer} x {inner} entries)"),
            &raw,
        );
    }
    let mut pe = vec![0u8; 0x100];
    pe[..2].copy_from_slice(b"MZ");
    pe[0x3c] = 0x80;
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    let plain = zip::zip_with(&[("readme.txt", b"hello"), ("update.dat", &pe)], 0, true);
    run(
        &engine,
        "plain zip with an executable",
        &message_with_zip(&plain),
    );
}
