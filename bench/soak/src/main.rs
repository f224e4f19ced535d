//! Soak test for `charter serve` (issue 8): normal web (ICAP) and mail (milter) load mixed with
//! hostile inputs, a SIGTERM restart a third of the way in and a SIGKILL restart at two
//! thirds. Prints requests answered, p50/p99 latency, the server's peak memory, and the
//! decisions answered against the monitoring records stored. Driven by `bench/soak/run.sh`.
//!
//! usage: charter-soak CHARTER CONFIG STORE_DB HOSTILE_DIR SECS
//! The config must serve ICAP on 127.0.0.1:11344, the milter on 127.0.0.1:18891 and the
//! policy service on 127.0.0.1:10040 (run.sh writes it).

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[path = "../../support/icap_client.rs"]
mod icap_client;

const ICAP: &str = "127.0.0.1:11344";
const MILTER: &str = "127.0.0.1:18891";
const POLICY: &str = "127.0.0.1:10040";
const WEB_CLIENTS: usize = 4;
const MAIL_CLIENTS: usize = 2;

/// Everything the load threads count.
#[derive(Default)]
struct Stats {
    web_answered: AtomicU64,
    mail_answered: AtomicU64,
    /// Connections refused or cut, mostly while the server restarts.
    failures: AtomicU64,
    hostile_sent: AtomicU64,
    /// Hostile inputs that got a protocol answer or a closed connection in time.
    hostile_contained: AtomicU64,
    web_latency_us: Mutex<Vec<u64>>,
    mail_latency_us: Mutex<Vec<u64>>,
    stop: AtomicBool,
}

impl Stats {
    fn answered(&self) -> u64 {
        self.web_answered.load(Ordering::Relaxed) + self.mail_answered.load(Ordering::Relaxed)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: charter-soak CHARTER CONFIG STORE_DB HOSTILE_DIR SECS");
        std::process::exit(2);
    }
    let (charter, config, db, hostile) = (&args[1], &args[2], &args[3], &args[4]);
    let secs: u64 = args[5].parse().unwrap_or(600);
    let bombs = [
        std::fs::read(format!("{hostile}/bomb-small.eml")).unwrap_or_default(),
        std::fs::read(format!("{hostile}/bomb-large.eml")).unwrap_or_default(),
    ];

    let stats = Arc::new(Stats::default());
    let peak_rss_kb = Arc::new(AtomicU64::new(0));
    let mut server = Server::start(charter, config, Arc::clone(&peak_rss_kb));

    let mut workers = Vec::new();
    for i in 0..WEB_CLIENTS {
        let s = Arc::clone(&stats);
        workers.push(thread::spawn(move || web_client(i, &s)));
    }
    for i in 0..MAIL_CLIENTS {
        let s = Arc::clone(&stats);
        workers.push(thread::spawn(move || mail_client(i, &s)));
    }
    {
        let s = Arc::clone(&stats);
        workers.push(thread::spawn(move || hostile_client(&s, &bombs)));
    }

    let started = Instant::now();
    let total = Duration::from_secs(secs);
    // (when, answered so far), to say how many answers fell in the 100 ms before the SIGKILL.
    let mut recent: Vec<(Instant, u64)> = Vec::new();
    let mut termed = false;
    let mut killed = false;
    let mut at_risk = 0;
    while started.elapsed() < total {
        thread::sleep(Duration::from_millis(10));
        recent.push((Instant::now(), stats.answered()));
        recent.retain(|(t, _)| t.elapsed() < Duration::from_millis(500));
        if !termed && started.elapsed() >= total / 3 {
            termed = true;
            let drain = server.stop("TERM");
            println!("SIGTERM at {:.0} s: drained and exited in {drain:.2} s", started.elapsed().as_secs_f64());
            server = Server::start(charter, config, Arc::clone(&peak_rss_kb));
        }
        if !killed && started.elapsed() >= total * 2 / 3 {
            killed = true;
            let now = stats.answered();
            let before = recent
                .iter()
                .find(|(t, _)| t.elapsed() <= Duration::from_millis(100))
                .map_or(now, |(_, n)| *n);
            at_risk = now - before;
            server.stop("KILL");
            println!(
                "SIGKILL at {:.0} s: {at_risk} decisions answered in the 100 ms before it",
                started.elapsed().as_secs_f64()
            );
            server = Server::start(charter, config, Arc::clone(&peak_rss_kb));
        }
    }
    stats.stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    let drain = server.stop("TERM");
    let elapsed = started.elapsed().as_secs_f64();

    let web = stats.web_answered.load(Ordering::Relaxed);
    let mail = stats.mail_answered.load(Ordering::Relaxed);
    println!("== soak: {elapsed:.0} s, {WEB_CLIENTS} web and {MAIL_CLIENTS} mail clients, one hostile client");
    println!("web requests answered:   {web} ({:.0}/s)", web as f64 / elapsed);
    print_latency("web latency", &stats.web_latency_us);
    println!("mail messages answered:  {mail} ({:.1}/s)", mail as f64 / elapsed);
    print_latency("mail latency", &stats.mail_latency_us);
    println!(
        "hostile inputs sent:     {} ({} answered or closed by the server in time)",
        stats.hostile_sent.load(Ordering::Relaxed),
        stats.hostile_contained.load(Ordering::Relaxed)
    );
    println!("failed connections:      {} (mostly during the two restarts)", stats.failures.load(Ordering::Relaxed));
    println!("peak server memory:      {:.1} MB (VmHWM, largest of the three processes)", peak_rss_kb.load(Ordering::Relaxed) as f64 / 1024.0);
    println!("final SIGTERM drain:     {drain:.2} s");
    let stored = stored_records(db);
    let sent = web + mail;
    println!("records sent:            {sent} (decisions answered)");
    match stored {
        Some(n) => println!(
            "records stored:          {n} (missing {}; {at_risk} were answered within 100 ms before the SIGKILL)",
            sent as i64 - n as i64
        ),
        None => println!("records stored:          unknown (could not read `{db}`)"),
    }
}

fn print_latency(what: &str, samples: &Mutex<Vec<u64>>) {
    let mut v = samples.lock().map(|g| g.clone()).unwrap_or_default();
    if v.is_empty() {
        println!("{what}: no samples");
        return;
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    println!("{what}:{:>width$}p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", "", at(0.5), at(0.99), at(1.0), width = 25 - what.len());
}

/// The records table, counted with Python's sqlite3 (the store is SQLite in the soak).
fn stored_records(db: &str) -> Option<u64> {
    let out = Command::new("python3")
        .args(["-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from decisions').fetchone()[0])", db])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// One `charter serve` process, with a thread sampling its peak memory.
struct Server {
    child: Child,
}

impl Server {
    fn start(charter: &str, config: &str, peak: Arc<AtomicU64>) -> Server {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(format!("{config}.serve.log"))
            .expect("serve log");
        let child = Command::new(charter)
            .args(["serve", "--config", config])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start charter serve");
        let pid = child.id();
        thread::spawn(move || {
            while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                if let Some(kb) = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                thread::sleep(Duration::from_millis(100));
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(ICAP).is_err() || TcpStream::connect(MILTER).is_err() {
            assert!(Instant::now() < deadline, "charter serve did not start listening");
            thread::sleep(Duration::from_millis(20));
        }
        Server { child }
    }

    /// Sends `signal` and waits for the process; returns the seconds it took to exit.
    fn stop(&mut self, signal: &str) -> f64 {
        let t = Instant::now();
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        t.elapsed().as_secs_f64()
    }
}

const SITES: &[&str] = &[
    "http://www.bbc.co.uk/news",
    "https://www.gov.uk/guidance",
    "http://www.bet365.com/",
    "http://www.facebook.com/",
    "http://intranet.demo-training.co.uk/rota",
    "http://docs.rs/tokio",
    "http://www.youtube.com/watch?v=1",
    "http://example.org/",
];
const USERS: &[&str] = &["alice", "bob", "carol", "-"];

fn web_client(id: usize, stats: &Stats) {
    let mut n = id;
    while !stats.stop.load(Ordering::Relaxed) {
        let Ok(stream) = TcpStream::connect(ICAP) else {
            stats.failures.fetch_add(1, Ordering::Relaxed);
            thread::sleep(Duration::from_millis(50));
            continue;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let mut reader = BufReader::new(stream);
        // Keep the connection for a while, as Squid does.
        for _ in 0..200 {
            if stats.stop.load(Ordering::Relaxed) {
                return;
            }
            n += 1;
            let url = SITES[n % SITES.len()];
            let user = USERS[n % USERS.len()];
            let t = Instant::now();
            if icap_client::reqmod(&mut reader, ICAP, "/reqmod", url, user).is_err() {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                break;
            }
            stats.web_answered.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut v) = stats.web_latency_us.lock() {
                v.push(t.elapsed().as_micros() as u64);
            }
        }
    }
}

fn mail_client(id: usize, stats: &Stats) {
    let mut n = id;
    while !stats.stop.load(Ordering::Relaxed) {
        n += 1;
        let message = normal_message(n);
        let t = Instant::now();
        match milter_message(&message, Duration::from_secs(30)) {
            Ok(_) => {
                stats.mail_answered.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut v) = stats.mail_latency_us.lock() {
                    v.push(t.elapsed().as_micros() as u64);
                }
            }
            Err(_) => {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn normal_message(n: usize) -> Vec<u8> {
    let body = match n % 3 {
        0 => "Hi team,\r\n\r\nThe rota for next week is attached to the intranet page.\r\n\r\nThanks\r\n".to_string(),
        1 => "Dear learner,\r\n\r\nYour assessment is booked for Tuesday at 10:00.\r\n\r\nRegards\r\n".repeat(20),
        _ => "Please update our bank details: new sort code 12-34-56, account 12345678.\r\n".to_string(),
    };
    format!(
        "From: Alice Smith <alice@demo-training.co.uk>\r\nTo: Bob <bob@partner.example>\r\nSubject: Message {n}\r\nMessage-ID: <soak-{n}@demo-training.co.uk>\r\n\r\n{body}"
    )
    .into_bytes()
}

fn packet(out: &mut Vec<u8>, cmd: u8, data: &[u8]) {
    out.extend_from_slice(&((data.len() + 1) as u32).to_be_bytes());
    out.push(cmd);
    out.extend_from_slice(data);
}

/// Reads one milter reply packet: (command, data).
fn read_packet(s: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 || len > 1 << 20 {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "bad milter packet"));
    }
    let mut data = vec![0u8; len];
    s.read_exact(&mut data)?;
    Ok((data[0], data[1..].to_vec()))
}

/// Reads replies until one that ends the step (continue, accept, reject, tempfail, ...).
fn read_final(s: &mut TcpStream) -> std::io::Result<u8> {
    loop {
        let (code, _) = read_packet(s)?;
        if matches!(code, b'c' | b'a' | b'r' | b't' | b'd' | b'y' | b'O') {
            return Ok(code);
        }
    }
}

/// One whole message through the milter, as Postfix sends it; returns the final reply code.
fn milter_message(message: &[u8], timeout: Duration) -> std::io::Result<u8> {
    let mut s = TcpStream::connect(MILTER)?;
    s.set_read_timeout(Some(timeout))?;
    let mut out = Vec::new();
    packet(&mut out, b'O', &[0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0, 0, 0]);
    s.write_all(&out)?;
    read_final(&mut s)?;
    let split = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.len());
    let (head, body) = (&message[..split], message.get(split + 4..).unwrap_or_default());
    let mut steps: Vec<(u8, Vec<u8>)> = vec![
        (b'C', b"client.example\x004\x10\x00127.0.0.1\0".to_vec()),
        (b'H', b"client.example\0".to_vec()),
        (b'M', b"<alice@demo-training.co.uk>\0".to_vec()),
        (b'R', b"<bob@partner.example>\0".to_vec()),
    ];
    for line in String::from_utf8_lossy(head).split("\r\n") {
        if let Some((name, value)) = line.split_once(':') {
            steps.push((b'L', format!("{name}\0{}\0", value.trim_start()).into_bytes()));
        }
    }
    steps.push((b'N', Vec::new()));
    for chunk in body.chunks(65_535) {
        steps.push((b'B', chunk.to_vec()));
    }
    steps.push((b'E', Vec::new()));
    for (cmd, data) in steps {
        out.clear();
        packet(&mut out, cmd, &data);
        s.write_all(&out)?;
        let code = read_final(&mut s)?;
        if cmd == b'E' || code != b'c' {
            out.clear();
            packet(&mut out, b'Q', &[]);
            let _ = s.write_all(&out);
            return Ok(code);
        }
    }
    Ok(b'c')
}

/// Rotates through the hostile inputs of issue 8, one at a time.
fn hostile_client(stats: &Stats, bombs: &[Vec<u8>]) {
    let mut round = 0usize;
    while !stats.stop.load(Ordering::Relaxed) {
        round += 1;
        stats.hostile_sent.fetch_add(1, Ordering::Relaxed);
        let contained = match round % 5 {
            // A zip CPU bomb: the milter must answer (hold/reject/tempfail) within its deadline.
            0 | 1 => {
                let bomb = &bombs[round % bombs.len()];
                !bomb.is_empty() && milter_message(bomb, Duration::from_secs(60)).is_ok()
            }
            // ICAP requests that once panicked the codec: a 400 and a closed connection.
            2 => icap_garbage(),
            // A slow client sending a byte a second: the server must close it.
            3 => slow_icap_client(Duration::from_secs(40)),
            // An endless Postfix policy request line: refused, not buffered for ever.
            _ => endless_policy_request(),
        };
        if contained {
            stats.hostile_contained.fetch_add(1, Ordering::Relaxed);
        }
        thread::sleep(Duration::from_millis(200));
    }
}

fn icap_garbage() -> bool {
    let inputs: [&[u8]; 2] = [
        b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body=1000000\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=50, req-body=10\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    ];
    inputs.iter().all(|input| {
        let Ok(mut s) = TcpStream::connect(ICAP) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = s.write_all(input);
        let _ = s.shutdown(Shutdown::Write);
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        reply.starts_with(b"ICAP/1.0 4")
    })
}

/// True when the server closed the connection before `limit`.
fn slow_icap_client(limit: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect(ICAP) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_millis(1000)));
    let start = Instant::now();
    let request = b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\n";
    for b in request.iter().cycle() {
        if start.elapsed() > limit {
            return false;
        }
        if s.write_all(std::slice::from_ref(b)).is_err() {
            return true;
        }
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return true,
        }
    }
    false
}

/// Sends 64 MiB of one attribute line; true when the server cut it off first.
fn endless_policy_request() -> bool {
    let Ok(mut s) = TcpStream::connect(POLICY) else { return false };
    let _ = s.set_write_timeout(Some(Duration::from_secs(10)));
    let chunk = vec![b'a'; 64 << 10];
    let _ = s.write_all(b"request=smtpd_access_policy\nsender=");
    for _ in 0..1024 {
        if s.write_all(&chunk).is_err() {
            return true;
        }
    }
    false
}
