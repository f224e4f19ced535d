//! The site model (issue 14 item 2) on the UT1 snapshot: trained on nine tenths of the
//! registrable domains, precision and recall per category on the tenth held out, and
//! classification speed on one core (target: at least 500,000 hosts a second) beside the
//! category index's lookup of the same hosts, the step it follows on a miss.
//!
//! `cargo bench -p charter-engine --bench site_model` (UT1 from ../shared/categories/ut1, or
//! the directory in CHARTER_UT1).
#![allow(clippy::unwrap_used, reason = "a benchmark; bad data ends it")]

#[path = "../support/cpu_time.rs"]
mod cpu_time;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use charter_engine::web::site_model::{self, TrainingSet};
use charter_engine::web::{CategoryIndex, CategorySource, Target};
use cpu_time::cpu_seconds;

fn ut1() -> PathBuf {
    std::env::var_os("CHARTER_UT1").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/categories/ut1"),
        PathBuf::from,
    )
}

/// Runs `work` over `hosts` for at least three seconds; prints hosts per second by wall
/// clock and per CPU-second.
fn rate<T>(name: &str, hosts: &[T], work: impl Fn(&T) -> u64) {
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let (mut done, mut sum) = (0usize, 0u64);
    while start.elapsed() < Duration::from_secs(3) {
        for h in hosts {
            sum = sum.wrapping_add(work(black_box(h)));
        }
        done += hosts.len();
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    black_box(sum);
    print!(
        "{name}: {:.0} hosts/s (wall, one thread)",
        done as f64 / wall
    );
    match cpu {
        Some(c) if c > 0.0 => println!(", {:.0} hosts per CPU-second", done as f64 / c),
        _ => println!(),
    }
}

fn main() {
    let dir = ut1();
    let started = Instant::now();
    let set = TrainingSet::from_squidguard_dir(&dir, &[]).unwrap();
    let (training, held_out) = set.split();
    let model = site_model::train(&training, &set);
    let bytes = model.to_bytes();
    println!(
        "trained on {} hosts of {} ({} held out) in {:.1} s: {} categories, {:.1} MB, version {}",
        training.len(),
        dir.display(),
        held_out.len(),
        started.elapsed().as_secs_f64(),
        model.categories().len(),
        bytes.len() as f64 / 1e6,
        model.version()
    );
    for threshold in [0.5, site_model::DEFAULT_THRESHOLD] {
        let e = site_model::evaluate(&model, &held_out, threshold);
        println!("\nheld-out tenth, threshold {threshold:.2}:");
        println!("| category | held-out hosts | precision | recall |");
        println!("|---|---:|---:|---:|");
        for f in &e.categories {
            println!(
                "| {} | {} | {:.3} | {:.3} |",
                f.category,
                f.hosts,
                f.precision(),
                f.recall()
            );
        }
        println!(
            "hosts in no modelled category: {}, put in one: {} ({:.1}%)",
            e.uncategorised,
            e.uncategorised_flagged,
            100.0 * e.uncategorised_flagged as f64 / e.uncategorised.max(1) as f64
        );
    }
    let hosts: Vec<String> = held_out.iter().map(|(h, _)| h.clone()).collect();
    let index = CategoryIndex::from_squidguard_dir(&dir).unwrap();
    let targets: Vec<Target> = hosts.iter().map(|h| Target::parse(h).unwrap()).collect();
    println!();
    rate("site model, held-out hosts", &hosts, |h| {
        u64::from(model.guess(h).best(Default::default()).is_some())
    });
    rate(
        "category index lookup, same hosts (parsed)",
        &targets,
        |t| index.classify(t).categories.iter().count() as u64,
    );
}
