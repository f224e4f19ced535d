//! The sentence embeddings' cost (issue 14 item 3): the model's load time (reading the
//! weights and embedding the example phrases), sentences a second and milliseconds a sentence
//! on the evaluation set, the same for ~1 KB bodies, and the process's peak memory. One
//! thread unless RAYON_NUM_THREADS says otherwise (candle reads it); the model is found as
//! the tests find it (.ci/setup/embeddings.sh, or CHARTER_EMBEDDINGS).
//!
//! `RAYON_NUM_THREADS=1 cargo bench -p charter-engine --features embeddings --bench embeddings`
#![allow(clippy::unwrap_used, reason = "a benchmark; bad data ends it")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use charter_engine::text::embed::Embeddings;
use charter_engine::text::eval::parse_eval_set;

#[path = "../tests/support/embeddings.rs"]
mod embeddings;

#[path = "../../../bench/support/cpu_time.rs"]
mod cpu_time;
use cpu_time::cpu_seconds;

const SET: &str = include_str!("../tests/data/text_eval.tsv");

fn rate(name: &str, texts: &[String], model: &Embeddings) {
    let min = Duration::from_secs(10);
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed() < min {
        for t in texts {
            black_box(model.nearest(black_box(t)));
        }
        done += texts.len();
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let bytes: usize = texts.iter().map(String::len).sum::<usize>() / texts.len();
    print!(
        "{name}: {:.1}/s, {:.2} ms each (wall), mean {bytes} bytes",
        done as f64 / wall,
        1000.0 * wall / done as f64
    );
    match cpu {
        Some(c) if c > 0.0 => println!(", {:.1} per CPU-second", done as f64 / c),
        _ => println!(),
    }
}

/// Peak resident memory, from /proc (Linux).
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
}

fn main() {
    println!(
        "threads: {}",
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all cores".into())
    );
    let start = Instant::now();
    let Some(model) = embeddings::installed_model() else {
        return;
    };
    println!(
        "load (weights and {} examples): {:.2} s",
        charter_engine::text::embed::examples().unwrap().len(),
        start.elapsed().as_secs_f64()
    );
    let sentences: Vec<String> = parse_eval_set(SET)
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect();
    let bodies: Vec<String> = sentences.chunks(14).map(|c| c.join(" ")).collect();
    rate("embeddings, sentences", &sentences, &model);
    rate("embeddings, ~1 KB bodies", &bodies, &model);
    println!(
        "peak memory: {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
}
