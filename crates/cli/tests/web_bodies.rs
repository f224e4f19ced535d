//! What a web request carries beyond its URL, end to end: download sizes (`large_download`)
//! through Squid with ICAP RESPMOD and through Squid's `http_reply_access` with the helper,
//! and uploads (`sensitive_upload`) through Squid bumping TLS with ICAP REQMOD reading the
//! body, plus c-icap-client as a second real ICAP client. The Squid blocks are the ones in
//! docs/squid.md.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed setup step fails the test"
)]

mod web_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use web_support::icap::{Serve, c_icap_client};
use web_support::tls::*;
use web_support::*;

/// The test pack with a 1 MB download limit and no personal data into public AI.
fn pack() -> String {
    format!(
        r#"{PACK}
[[rule]]
id = "internet.large-downloads"
clause = "Internet use / Downloads"
quote = "Downloading large files is restricted."
on = "web"
checks = ["large_download"]
max_download_mb = 1
action = "block"
severity = "concern"

[[rule]]
id = "ai.no-confidential-uploads"
clause = "Use of Artificial Intelligence (AI)"
quote = "No confidential, customer or personal data into public AI tools."
on = "web"
categories = ["public_ai"]
checks = ["sensitive_upload"]
action = "block"
severity = "misconduct"

[web]
sensitive_terms = ["Project Falcon"]
"#
    )
}

const MB: usize = 1024 * 1024;

/// A local origin: `/cl/N` answers N bytes with `Content-Length`, `/chunked/N` N bytes
/// chunked (no length), anything else [`ORIGIN_BODY`]. It keeps the bodies it was sent.
struct SizedOrigin {
    port: u16,
    received: Arc<Mutex<Vec<String>>>,
}

impl SizedOrigin {
    fn start() -> SizedOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let keep = Arc::clone(&keep);
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let _ = serve_one(stream, &keep);
                });
            }
        });
        SizedOrigin { port, received }
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

fn serve_one(stream: std::net::TcpStream, keep: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split(' ').nth(1).unwrap_or("/").to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    if !body.is_empty() {
        keep.lock()
            .unwrap()
            .push(String::from_utf8_lossy(&body).into_owned());
    }
    let mut stream = stream;
    let size = |prefix: &str| {
        path.split_once(prefix)
            .and_then(|(_, n)| n.parse::<usize>().ok())
    };
    if let Some(n) = size("/cl/") {
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
        )?;
        let block = vec![b'x'; 64 * 1024];
        let mut left = n;
        while left > 0 {
            let take = left.min(block.len());
            stream.write_all(&block[..take])?;
            left -= take;
        }
    } else if let Some(n) = size("/chunked/") {
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )?;
        let block = vec![b'x'; 16 * 1024];
        let mut left = n;
        while left > 0 {
            let take = left.min(block.len());
            write!(stream, "{take:x}\r\n")?;
            stream.write_all(&block[..take])?;
            stream.write_all(b"\r\n")?;
            left -= take;
        }
        stream.write_all(b"0\r\n\r\n")?;
    } else {
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ORIGIN_BODY}",
            ORIGIN_BODY.len()
        )?;
    }
    stream.flush()
}

/// A download through the proxy: (curl's exit code, HTTP status, bytes received, the body
/// when it is short).
fn download(proxy: u16, url: &str) -> (i32, u16, usize, String) {
    let curl = require("curl", "curl");
    let out = Command::new(curl)
        .args(["-s", "--max-time", "30", "-o", "-", "-x"])
        .arg(format!("http://127.0.0.1:{proxy}"))
        .args(["-w", "\n%{http_code}"])
        .arg(url)
        .output()
        .unwrap();
    let text = out.stdout;
    let split = text.iter().rposition(|b| *b == b'\n').unwrap_or(0);
    let status = String::from_utf8_lossy(&text[split..])
        .trim()
        .parse()
        .unwrap_or(0);
    let body = &text[..split];
    let short = if body.len() < 64 * 1024 {
        String::from_utf8_lossy(body).into_owned()
    } else {
        String::new()
    };
    (out.status.code().unwrap_or(-1), status, body.len(), short)
}

fn squid_with_icap_respmod(dir: &TempDir, icap_port: u16) -> Squid {
    let port = format!("127.0.0.1:{icap_port}");
    let body = format!(
        "{}{}http_access allow localnet\nhttp_access deny all\n",
        doc_block("squid-icap").replace("127.0.0.1:1344", &port),
        doc_block("squid-icap-respmod").replace("127.0.0.1:1344", &port),
    );
    Squid::start(dir, &body)
}

#[test]
fn icap_respmod_refuses_a_download_over_the_limit_by_its_length() {
    let origin = SizedOrigin::start();
    let dir = TempDir::new("respmod-length");
    let serve = Serve::start_with_pack(&dir, TEN_AM, &pack(), "");
    let squid = squid_with_icap_respmod(&dir, serve.port);
    let big = format!("http://allowed.test:{}/cl/{}", origin.port, 3 * MB);
    let (_, status, _, body) = download(squid.port, &big);
    assert_eq!(status, 403, "{body}\n{}", squid.cache_log());
    assert!(
        body.contains("<code>internet.large-downloads</code>"),
        "{body}"
    );
    assert!(
        body.contains("download of 3 MB from allowed.test is over the 1 MB limit"),
        "{body}"
    );
    let small = format!("http://allowed.test:{}/cl/{}", origin.port, MB / 2);
    let (code, status, bytes, _) = download(squid.port, &small);
    assert_eq!(
        (code, status, bytes),
        (0, 200, MB / 2),
        "{}",
        squid.cache_log()
    );
}

#[test]
fn icap_respmod_counts_a_download_without_a_length_and_cuts_it_off() {
    let origin = SizedOrigin::start();
    let dir = TempDir::new("respmod-chunked");
    let serve = Serve::start_with_pack(&dir, TEN_AM, &pack(), "");
    let squid = squid_with_icap_respmod(&dir, serve.port);
    let small = format!("http://allowed.test:{}/chunked/{}", origin.port, MB / 2);
    let (code, status, bytes, _) = download(squid.port, &small);
    assert_eq!(
        (code, status, bytes),
        (0, 200, MB / 2),
        "counted and passed back whole\n{}",
        serve.log()
    );
    let big = format!("http://allowed.test:{}/chunked/{}", origin.port, 3 * MB);
    let (code, _, bytes, _) = download(squid.port, &big);
    assert_ne!(code, 0, "curl must see a failed transfer");
    assert!(bytes < 3 * MB, "got {bytes} bytes of {}", 3 * MB);
    assert!(
        serve.log().contains("rule=internet.large-downloads bytes="),
        "{}",
        serve.log()
    );
}

#[test]
fn helper_reply_access_refuses_a_download_over_the_limit() {
    let origin = SizedOrigin::start();
    let dir = TempDir::new("reply-size");
    let (pack_path, index) = pack_and_index(&dir);
    dir.write("policy.toml", &pack());
    let acl = localise(
        &doc_block("squid-external-acl"),
        &dir,
        &pack_path,
        &index,
        TEN_AM,
    );
    let reply = localise(
        &doc_block("squid-reply-size"),
        &dir,
        &pack_path,
        &index,
        TEN_AM,
    );
    let squid = Squid::start(
        &dir,
        &format!("{acl}{reply}http_access allow localnet\nhttp_access deny all\n"),
    );
    let big = format!("http://allowed.test:{}/cl/{}", origin.port, 3 * MB);
    let (_, status, _, body) = download(squid.port, &big);
    assert_eq!(status, 403, "{body}\n{}", squid.cache_log());
    assert!(
        body.contains("This site is blocked"),
        "our error page: {body}"
    );
    assert!(body.contains("internet.large-downloads"), "{body}");
    assert!(body.contains("over the 1 MB limit"), "{body}");
    let small = format!("http://allowed.test:{}/cl/{}", origin.port, MB / 2);
    let (code, status, bytes, _) = download(squid.port, &small);
    assert_eq!(
        (code, status, bytes),
        (0, 200, MB / 2),
        "{}",
        squid.cache_log()
    );
    // The request lines are still judged on their URL.
    let (status, body) = curl(squid.port, "http://www.bet365.com/");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("internet.prohibited-content"), "{body}");
    // Without a length the helper cannot judge the size: allowed.
    let chunked = format!("http://allowed.test:{}/chunked/{}", origin.port, 2 * MB);
    let (code, status, bytes, _) = download(squid.port, &chunked);
    assert_eq!((code, status, bytes), (0, 200, 2 * MB));
}

#[test]
fn c_icap_client_respmod_options_and_sizes() {
    let dir = TempDir::new("respmod-client");
    // Room for c-icap-client's whole body when it sends no preview.
    let serve = Serve::start_with_pack(&dir, TEN_AM, &pack(), "max_request_bytes = 4194304\n");
    let text = c_icap_client(serve.port, "respmod", &[]);
    for h in ["Methods: RESPMOD", "Preview: 0", "Allow: 204", "ISTag: \"C"] {
        assert!(text.contains(h), "{text}");
    }
    let big = dir.write("big.bin", &"x".repeat(2 * MB));
    let big = big.to_str().unwrap();
    let small = dir.write("small.bin", "just a few bytes");
    let small = small.to_str().unwrap();
    // With the preview Charter advertises, the client sends the heads (its response head
    // says `Content-Length: 2097152`) and gets a final answer at once. c-icap-client shows
    // only the status of an answer to a preview (with -d).
    let text = c_icap_client(
        serve.port,
        "respmod",
        &[
            "-resp",
            "http://allowed.test/big.bin",
            "-f",
            big,
            "-d",
            "10",
        ],
    );
    assert!(
        text.contains("Preview response was with status: 200"),
        "{text}"
    );
    let text = c_icap_client(
        serve.port,
        "respmod",
        &["-resp", "http://allowed.test/small.bin", "-f", small],
    );
    assert!(text.contains("ICAP/1.0 204 No Content"), "{text}");
    // Without a preview the whole response comes; the page replaces it.
    let text = c_icap_client(
        serve.port,
        "respmod",
        &[
            "-resp",
            "http://allowed.test/big.bin",
            "-f",
            big,
            "-nopreview",
            "-no204",
        ],
    );
    assert!(text.contains("HTTP/1.1 403 Forbidden"), "{text}");
    assert!(
        text.contains("<code>internet.large-downloads</code>"),
        "{text}"
    );
    let text = c_icap_client(
        serve.port,
        "respmod",
        &[
            "-resp",
            "http://allowed.test/small.bin",
            "-f",
            small,
            "-nopreview",
            "-no204",
        ],
    );
    assert!(text.contains("ICAP/1.0 200 OK"), "{text}");
    assert!(
        text.contains("just a few bytes"),
        "echoed unchanged: {text}"
    );
}

#[test]
fn c_icap_client_uploads_to_public_ai() {
    let dir = TempDir::new("upload-client");
    let serve = Serve::start_with_pack(&dir, TEN_AM, &pack(), "");
    let post = |body: &str, extra: &[&str]| {
        let file = dir.write("upload.json", body);
        let mut args = vec![
            "-req",
            "https://chat.openai.com/backend-api/conversation",
            "-method",
            "POST",
            "-hx",
            "Content-Type: application/json",
            "-f",
            file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        c_icap_client(serve.port, "reqmod", &args)
    };
    for extra in [&[][..], &["-nopreview"][..]] {
        let text = post(
            r#"{"messages":[{"content":"Draft a letter to Jo Bloggs, NI number AB 12 34 56 C"}]}"#,
            extra,
        );
        assert!(text.contains("HTTP/1.1 403 Forbidden"), "{extra:?}: {text}");
        assert!(text.contains("ai.no-confidential-uploads"), "{text}");
        assert!(
            text.contains("carries 1 National Insurance number"),
            "{text}"
        );
        assert!(!text.contains("AB 12 34 56 C</"), "never the data: {text}");
        let text = post(
            r#"{"messages":[{"content":"Write a poem about spring"}]}"#,
            extra,
        );
        assert!(!text.contains("403 Forbidden"), "{extra:?}: {text}");
    }
}

const AI_HOSTS: &[&str] = &["chat.openai.com"];

/// Squid bumping TLS with ICAP REQMOD, an HTTPS origin named chat.openai.com, and curl.
struct Bumped {
    _dir: TempDir,
    ca: TestCa,
    origin: SizedOrigin,
    _tls: TlsOrigin,
    serve: Serve,
    squid: Squid,
    url: String,
}

impl Bumped {
    fn start(tag: &str) -> Bumped {
        let dir = TempDir::new(tag);
        let ca = TestCa::new(&dir);
        let origin = SizedOrigin::start();
        let tls = TlsOrigin::start(&dir, &ca, AI_HOSTS, origin.port);
        let serve = Serve::start_with_pack(&dir, TEN_AM, &pack(), "");
        let icap =
            doc_block("squid-icap").replace("127.0.0.1:1344", &format!("127.0.0.1:{}", serve.port));
        let squid = bumping_squid(
            &dir,
            &ca,
            AI_HOSTS,
            &format!("{icap}http_access allow localnet\nhttp_access deny all\n"),
        );
        let url = tls.url("chat.openai.com", "/backend-api/conversation");
        Bumped {
            _dir: dir,
            ca,
            origin,
            _tls: tls,
            serve,
            squid,
            url,
        }
    }

    fn post(&self, content_type: &str, body: &str) -> (u16, String) {
        let header = format!("Content-Type: {content_type}");
        curl_https(
            self.squid.port,
            &self.ca,
            &self.url,
            &["-H", &header, "--data-binary", body],
        )
    }
}

#[test]
fn ssl_bump_upload_with_personal_data_to_public_ai_is_refused() {
    let b = Bumped::start("bump-upload-pii");
    let (status, page) = b.post(
        "application/json",
        r#"{"messages":[{"role":"user","content":"Summarise: Jo Bloggs, NI AB123456C, born 02/03/1980"}]}"#,
    );
    assert_eq!(
        status,
        403,
        "{page}\n{}\n{}",
        b.squid.cache_log(),
        b.serve.log()
    );
    assert!(
        page.contains("<code>ai.no-confidential-uploads</code>"),
        "{page}"
    );
    assert!(page.contains("upload to chat.openai.com carries"), "{page}");
    assert!(page.contains("National Insurance number"), "{page}");
    assert!(!page.contains("AB123456C"), "never the data itself: {page}");
    let (status, page) = b.post(
        "application/x-www-form-urlencoded",
        "prompt=PRIVATE+AND+CONFIDENTIAL%0AQ3+board+minutes",
    );
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("a confidentiality marking"), "{page}");
    let (status, page) = b.post(
        "application/json",
        r#"{"prompt":"notes on project falcon"}"#,
    );
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("1 term the policy lists"), "{page}");
    assert!(
        b.origin.received().is_empty(),
        "no refused upload reached the origin: {:?}",
        b.origin.received()
    );
}

#[test]
fn ssl_bump_clean_upload_to_public_ai_reaches_the_origin() {
    let b = Bumped::start("bump-upload-clean");
    let json = r#"{"messages":[{"role":"user","content":"Write a haiku about spring"}]}"#;
    let (status, body) = b.post("application/json", json);
    assert_eq!(
        status,
        200,
        "{body}\n{}\n{}",
        b.squid.cache_log(),
        b.serve.log()
    );
    assert_eq!(body, ORIGIN_BODY);
    let (status, _) = b.post("application/x-www-form-urlencoded", "q=weather+in+leeds");
    assert_eq!(status, 200);
    assert_eq!(
        b.origin.received(),
        [json.to_string(), "q=weather+in+leeds".to_string()],
        "the bodies arrive unchanged"
    );
}
