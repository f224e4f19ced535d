//! Running real `charter serve` processes in tests: start one on a port it picks itself (read
//! from its log, so no other process can take the port in between), talk ICAP to it, stop it
//! with SIGTERM or SIGKILL, and look at what reached the store.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `charter serve`, killed if the test ends without stopping it.
pub struct Serve {
    child: Option<Child>,
    /// Its ICAP port.
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    /// Starts `charter serve --config cfg` (whose `[icap] listen` should be port 0) and waits
    /// until its ICAP server listens.
    pub fn start(cfg: &Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
            .args(["serve", "--at", "2026-06-15T10:00:00+01:00", "--config"])
            .arg(cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let keep = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("ICAP server started")
                    && let Some(port) = line
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("listen=127.0.0.1:"))
                        .and_then(|p| p.parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                }
                keep.lock().unwrap().push(line);
            }
        });
        let mut serve = Serve {
            child: Some(child),
            port: 0,
            log,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(port) => serve.port = port,
            Err(_) => panic!("charter serve did not start:\n{}", serve.log()),
        }
        serve
    }

    /// Everything it has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits up to `within` for a log line holding `needle`.
    pub fn wait_for_log(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.log.lock().unwrap().iter().any(|l| l.contains(needle)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Sends SIGTERM and waits for the process to end; returns how it ended and its log.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                // Let the log reader reach the end of the pipe.
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.log());
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL: no handler, no flush, no destructor runs. Returns the
    /// instant just before the signal.
    pub fn kill(mut self) -> Instant {
        let mut child = self.child.take().unwrap();
        let at = Instant::now();
        child.kill().unwrap();
        child.wait().unwrap();
        at
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One ICAP connection kept open for many requests.
pub struct Icap {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Icap {
    pub fn connect(port: u16) -> Icap {
        Icap::try_connect(port).unwrap()
    }

    fn try_connect(port: u16) -> std::io::Result<Icap> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Icap { stream, reader })
    }

    /// Sends a REQMOD for `GET url` by `user` and reads the whole answer; returns the ICAP
    /// status and, for a page, the encapsulated HTTP status line.
    pub fn reqmod(&mut self, url: &[u8], user: &str) -> (u16, String) {
        self.try_reqmod(url, user).unwrap()
    }

    /// [`Icap::reqmod`], with a broken connection (the server killed) as an error.
    pub fn try_reqmod(&mut self, url: &[u8], user: &str) -> std::io::Result<(u16, String)> {
        self.try_reqmod_with(url, &format!("X-Client-Username: {user}\r\n"))
    }

    /// [`Icap::reqmod`] with these identity `headers` (each ending `\r\n`) instead of a user.
    pub fn reqmod_with(&mut self, url: &[u8], headers: &str) -> (u16, String) {
        self.try_reqmod_with(url, headers).unwrap()
    }

    fn try_reqmod_with(&mut self, url: &[u8], headers: &str) -> std::io::Result<(u16, String)> {
        let mut http = b"GET ".to_vec();
        http.extend_from_slice(url);
        http.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut request = format!(
            "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n{headers}Allow: 204\r\nEncapsulated: req-hdr=0, null-body={}\r\n\r\n",
            http.len()
        )
        .into_bytes();
        request.extend_from_slice(&http);
        self.stream.write_all(&request)?;
        let head = self.head()?;
        let status: u16 = head[0]
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad ICAP answer {head:?}"));
        let encapsulated = head
            .iter()
            .find_map(|h| h.strip_prefix("Encapsulated: "))
            .unwrap_or("null-body=0")
            .to_string();
        // A page: an HTTP head (up to the body's offset), then a chunked body.
        let mut http_status = String::new();
        if let Some(body_at) = encapsulated
            .split(", ")
            .find_map(|p| p.strip_prefix("res-body="))
            .and_then(|n| n.parse::<usize>().ok())
        {
            let mut http_head = vec![0; body_at];
            self.reader.read_exact(&mut http_head)?;
            http_status = String::from_utf8_lossy(&http_head)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            loop {
                let mut size = String::new();
                self.reader.read_line(&mut size)?;
                let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                    .unwrap_or_else(|_| panic!("bad chunk size {size:?}"));
                let mut chunk = vec![0; n + 2];
                self.reader.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
            }
        }
        Ok((status, http_status))
    }

    fn head(&mut self) -> std::io::Result<Vec<String>> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let line = line.trim_end().to_string();
            if line.is_empty() {
                return Ok(lines);
            }
            lines.push(line);
        }
    }
}

/// Sends `per_thread` allowed requests on each of `threads` connections, each for a URL of
/// its own (`http://example.org/TAG/THREAD/N`); returns every URL with the instant its answer
/// came. A connection that breaks (the server killed) ends that thread's list there.
pub fn load(port: u16, threads: usize, per_thread: usize, tag: &str) -> Vec<(String, Instant)> {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let tag = tag.to_string();
            std::thread::spawn(move || {
                let mut answered = Vec::with_capacity(per_thread.min(100_000));
                let Ok(mut icap) = Icap::try_connect(port) else {
                    return answered;
                };
                for i in 0..per_thread {
                    let url = format!("http://example.org/{tag}/{t}/{i}");
                    match icap.try_reqmod(url.as_bytes(), &format!("user{t}")) {
                        Ok((status, _)) => {
                            assert_eq!(status, 204, "{url}");
                            answered.push((url, Instant::now()));
                        }
                        Err(_) => break,
                    }
                }
                answered
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

/// Runs `charter ARGS --config cfg`.
pub fn charter(cfg: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .arg("--config")
        .arg(cfg)
        .output()
        .unwrap()
}

/// Runs `charter ARGS --config cfg`, failing the test unless it succeeds; its stdout.
pub fn charter_ok(cfg: &Path, args: &[&str]) -> String {
    let out = charter(cfg, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `charter records stats --json`.
pub fn stats(cfg: &Path) -> serde_json::Value {
    let out = charter(cfg, &["records", "stats", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits (up to ten seconds) until `records stats` shows `key` at `value`; returns the stats.
pub fn wait_for_stat(cfg: &Path, key: &str, value: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = stats(cfg);
        if s[key] == value || Instant::now() > deadline {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits (up to two minutes) until `records stats` says nothing waits for the store.
pub fn wait_until_drained(cfg: &Path) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = stats(cfg);
        if s["waiting"] == 0 && s["store"]["up"] == true {
            return s;
        }
        assert!(Instant::now() < deadline, "the spool did not drain: {s}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A config for `charter serve` in `dir`: the IIMTS pack (or `pack`), the store at `url`,
/// ICAP on a port of its own choosing.
pub fn config(dir: &Path, url: &str, pack: Option<&Path>) -> PathBuf {
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/iimts.toml");
    let pack = pack.unwrap_or(&default);
    let cfg = dir.join("charter.toml");
    std::fs::write(
        &cfg,
        format!(
            "policy = {:?}\n[store]\nurl = {url:?}\n[spool]\ndrain_seconds = 60\n[icap]\nlisten = \"127.0.0.1:0\"\n",
            pack.display().to_string()
        ),
    )
    .unwrap();
    cfg
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// How many times each subject is in the store at `url`.
pub fn subjects(url: &str) -> HashMap<String, i64> {
    use sqlx::Connection as _;
    let sql = "SELECT subject, COUNT(*) FROM decisions GROUP BY subject";
    runtime().block_on(async {
        let rows: Vec<(String, i64)> = if let Some(path) = url.strip_prefix("sqlite://") {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
                .await
                .unwrap();
            sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
        } else {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
        };
        rows.into_iter().collect()
    })
}

/// `(user, verdict, rule)` of each record of `subject` in the store at `url`, oldest first.
pub fn records_of(url: &str, subject: &str) -> Vec<(Option<String>, String, Option<String>)> {
    use sqlx::Connection as _;
    let sql = "SELECT user_name, verdict, rule FROM decisions WHERE subject = $1 ORDER BY id";
    runtime().block_on(async {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
                .await
                .unwrap();
            sqlx::query_as(sql)
                .bind(subject)
                .fetch_all(&mut c)
                .await
                .unwrap()
        } else {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(sql)
                .bind(subject)
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
    })
}

/// The verdicts stored for `subject` in the store at `url`.
pub fn verdicts(url: &str, subject: &str) -> Vec<String> {
    records_of(url, subject)
        .into_iter()
        .map(|(_, verdict, _)| verdict)
        .collect()
}

/// Checks that every URL in `sent` is in the store at `url` exactly once.
pub fn assert_stored_once(url: &str, sent: &[String]) {
    let stored = subjects(url);
    let missing: Vec<&String> = sent.iter().filter(|u| !stored.contains_key(*u)).collect();
    let twice: Vec<(&String, &i64)> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        missing.is_empty(),
        "{} of {} records missing, such as {:?}",
        missing.len(),
        sent.len(),
        missing.first()
    );
    assert!(twice.is_empty(), "records stored twice: {twice:?}");
}

/// A PostgreSQL database of its own for one test, dropped at the end. PostgreSQL is reached
/// at `CHARTER_TEST_PG`; an unreachable server fails the test, it never skips.
pub struct PgDb {
    admin: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

impl PgDb {
    pub fn new(tag: &str) -> PgDb {
        use sqlx::Connection as _;
        let admin = std::env::var("CHARTER_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("charter_{tag}_{}", std::process::id());
        runtime().block_on(async {
            let mut c = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL is unreachable at {admin}: {e}"));
            for sql in [
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                format!("CREATE DATABASE {name}"),
            ] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        });
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        PgDb { admin, name, url }
    }

    /// Runs `sql` on the test database.
    pub fn exec(&self, sql: &str) {
        use sqlx::Connection as _;
        runtime().block_on(async {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut c)
                .await
                .unwrap();
        });
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        use sqlx::Connection as _;
        let (admin, name) = (self.admin.clone(), self.name.clone());
        runtime().block_on(async move {
            if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
            }
        });
    }
}

/// Holds the store's write lock on a thread of its own until told to let go: the store takes
/// nothing meanwhile, as if it were saturated.
pub fn hold_write_lock(url: &str) -> std::sync::mpsc::Sender<()> {
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let url = url.to_string();
    std::thread::spawn(move || {
        use sqlx::Connection as _;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            if let Some(path) = url.strip_prefix("sqlite://") {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
                    .await
                    .unwrap();
                sqlx::raw_sql("BEGIN IMMEDIATE")
                    .execute(&mut c)
                    .await
                    .unwrap();
                locked_tx.send(()).unwrap();
                let _ = release_rx.recv();
                sqlx::raw_sql("ROLLBACK").execute(&mut c).await.unwrap();
            } else {
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                sqlx::raw_sql("BEGIN; LOCK TABLE decisions IN EXCLUSIVE MODE")
                    .execute(&mut c)
                    .await
                    .unwrap();
                locked_tx.send(()).unwrap();
                let _ = release_rx.recv();
                sqlx::raw_sql("ROLLBACK").execute(&mut c).await.unwrap();
            }
        });
    });
    locked_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    release_tx
}
