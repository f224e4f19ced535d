//! Lockstep latency through a Squid helper, the way Squid uses one without concurrency:
//! write one request line, wait for its reply line, repeat. Prints percentiles.
//!
//! usage: lockstep QUERIES N -- HELPER [ARGS...]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sep = args
        .iter()
        .position(|a| a == "--")
        .expect("usage: lockstep QUERIES N -- HELPER [ARGS...]");
    let queries = std::fs::read_to_string(&args[1]).expect("cannot read queries");
    let n: usize = args[2].parse().expect("N");
    let mut child = Command::new(&args[sep + 1])
        .args(&args[sep + 2..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start the helper");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut reply = String::new();
    let lines: Vec<&str> = queries.lines().take(n).collect();
    // Warm up: the first answers include loading the index.
    for line in lines.iter().take(1000) {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        reply.clear();
        stdout.read_line(&mut reply).unwrap();
    }
    let mut times = Vec::with_capacity(lines.len());
    let mut buf = Vec::with_capacity(256);
    let started = Instant::now();
    for line in &lines {
        buf.clear();
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        let t = Instant::now();
        stdin.write_all(&buf).unwrap();
        stdin.flush().unwrap();
        reply.clear();
        stdout.read_line(&mut reply).unwrap();
        times.push(t.elapsed().as_nanos() as u64);
    }
    let total = started.elapsed();
    drop(stdin);
    let _ = child.wait();
    times.sort_unstable();
    let pct =
        |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)] as f64 / 1000.0;
    println!(
        "lockstep: {} requests, {:.0}/s, p50 {:.1} us, p90 {:.1} us, p99 {:.1} us, p99.9 {:.1} us",
        times.len(),
        times.len() as f64 / total.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(0.999)
    );
}
