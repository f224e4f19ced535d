//! ICAP REQMOD load: CONNECTIONS threads, each on one kept connection (as Squid keeps its
//! ICAP connections), sending the URLs and users of a query file in Squid's url_rewrite
//! format (`URL client/fqdn user method`) for SECS seconds. Prints requests per second,
//! latency percentiles and how many answers were 204 (allowed) or 200 (a block page).
//!
//! usage: charter-bench-icapload ADDR SERVICE QUERY_FILE CONNECTIONS SECS

use std::io::BufReader;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "../../../support/icap_client.rs"]
mod icap_client;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: charter-bench-icapload ADDR SERVICE QUERY_FILE CONNECTIONS SECS");
        std::process::exit(2);
    }
    let (addr, service) = (args[1].clone(), args[2].clone());
    let text = std::fs::read_to_string(&args[3]).expect("query file");
    let queries: Arc<Vec<(String, String)>> = Arc::new(
        text.lines()
            .filter_map(|l| {
                let mut f = l.split(' ');
                let url = f.next()?.to_string();
                let user = f.nth(1).unwrap_or("-").to_string();
                Some((url, user))
            })
            .collect(),
    );
    let connections: usize = args[4].parse().expect("connections");
    let secs: u64 = args[5].parse().expect("seconds");
    let stop = Arc::new(AtomicBool::new(false));
    let allowed = Arc::new(AtomicU64::new(0));
    let blocked = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let threads: Vec<_> = (0..connections)
        .map(|id| {
            let (addr, service, queries) = (addr.clone(), service.clone(), Arc::clone(&queries));
            let (stop, allowed, blocked, failed, latencies) = (
                Arc::clone(&stop),
                Arc::clone(&allowed),
                Arc::clone(&blocked),
                Arc::clone(&failed),
                Arc::clone(&latencies),
            );
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let mut n = id * 7919;
                'connect: while !stop.load(Ordering::Relaxed) {
                    let Ok(stream) = TcpStream::connect(&addr) else {
                        failed.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    };
                    let mut conn = BufReader::new(stream);
                    while !stop.load(Ordering::Relaxed) {
                        let (url, user) = &queries[n % queries.len()];
                        n += 1;
                        let t = Instant::now();
                        match icap_client::reqmod(&mut conn, &addr, &service, url, user) {
                            Ok(204) => allowed.fetch_add(1, Ordering::Relaxed),
                            Ok(_) => blocked.fetch_add(1, Ordering::Relaxed),
                            Err(_) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                                continue 'connect;
                            }
                        };
                        mine.push(t.elapsed().as_micros() as u64);
                    }
                }
                latencies.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut lat = std::mem::take(&mut *latencies.lock().unwrap_or_else(|e| e.into_inner()));
    lat.sort_unstable();
    let pct = |p: f64| lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(0);
    let (a, b) = (allowed.load(Ordering::Relaxed), blocked.load(Ordering::Relaxed));
    println!(
        "{:.0} req/s  p50 {} us  p99 {} us  allowed(204) {a}  blocked {b}  failed {}",
        (a + b) as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        failed.load(Ordering::Relaxed)
    );
}
