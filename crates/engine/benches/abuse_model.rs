//! The abusive-language model's speed on one core (issue 14 item 6: at least 50,000 messages a
//! second): the evaluation set's sentences, then the same sentences joined into mail-sized
//! bodies of about 1 KB. Prints messages per second by wall clock and per CPU-second, since the
//! machine is shared.
//!
//! `cargo bench -p charter-engine --bench abuse_model`
#![allow(clippy::unwrap_used, reason = "a benchmark; bad data ends it")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use charter_engine::text::assess::assess;
use charter_engine::text::classifier::model;
use charter_engine::text::eval::parse_eval_set;

const SET: &str = include_str!("../tests/data/text_eval.tsv");

#[path = "../../../bench/support/cpu_time.rs"]
mod cpu_time;
use cpu_time::cpu_seconds;

fn rate(name: &str, texts: &[String], work: impl Fn(&str) -> f64) {
    let min = Duration::from_secs(3);
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let mut done = 0usize;
    let mut sum = 0.0;
    while start.elapsed() < min {
        for t in texts {
            sum += work(black_box(t));
        }
        done += texts.len();
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    black_box(sum);
    let bytes: usize = texts.iter().map(String::len).sum::<usize>() / texts.len();
    print!(
        "{name}: {:.0} msg/s (wall, one thread), mean {bytes} bytes",
        done as f64 / wall
    );
    match cpu {
        Some(c) if c > 0.0 => println!(", {:.0} msg per CPU-second", done as f64 / c),
        _ => println!(),
    }
}

fn main() {
    let m = model().unwrap();
    let sentences: Vec<String> = parse_eval_set(SET)
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect();
    let bodies: Vec<String> = sentences.chunks(14).map(|c| c.join(" ")).collect();
    rate("model, sentences", &sentences, |t| m.score(t));
    rate("model, ~1 KB bodies", &bodies, |t| m.score(t));
    rate(
        "word lists + model + safeguarding, sentences",
        &sentences,
        |t| assess(t, None).model_score.unwrap_or(0.0),
    );
}
