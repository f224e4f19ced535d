//! A minimal ICAP client for the benchmark drivers: one REQMOD on a kept connection, as
//! Squid sends it, and the whole answer read back. Shared by `bench/soak` and
//! `bench/web/icapload` through `#[path]`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

/// Sends one REQMOD for `url` from `user` to `icap://{authority}{service}` and reads the
/// whole answer; returns the ICAP status.
pub fn reqmod(
    conn: &mut BufReader<TcpStream>,
    authority: &str,
    service: &str,
    url: &str,
    user: &str,
) -> std::io::Result<u16> {
    let host = url.split('/').nth(2).unwrap_or("example.org");
    let http = format!("GET {url} HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let req = format!(
        "REQMOD icap://{authority}{service} ICAP/1.0\r\nHost: {authority}\r\nAllow: 204\r\nX-Client-IP: 127.0.0.1\r\nX-Client-Username: {user}\r\nEncapsulated: req-hdr=0, null-body={}\r\n\r\n{http}",
        http.len()
    );
    conn.get_mut().write_all(req.as_bytes())?;
    read_icap_answer(conn)
}

/// Reads one ICAP answer, head and any chunked body; returns its status.
pub fn read_icap_answer(conn: &mut BufReader<TcpStream>) -> std::io::Result<u16> {
    let broken = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad ICAP answer");
    let mut status = 0;
    let mut has_body = false;
    let mut line = String::new();
    loop {
        line.clear();
        if conn.read_line(&mut line)? == 0 {
            return Err(broken());
        }
        if status == 0 {
            status = line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(broken)?;
        } else if line.to_ascii_lowercase().starts_with("encapsulated:") {
            has_body = line.contains("res-body=") || line.contains("req-body=");
        } else if line == "\r\n" {
            break;
        }
    }
    if has_body {
        // Encapsulated HTTP head, then a chunked body ending in a zero chunk.
        let mut last_zero = false;
        loop {
            line.clear();
            if conn.read_line(&mut line)? == 0 {
                return Err(broken());
            }
            if last_zero && line == "\r\n" {
                break;
            }
            last_zero = line.trim_end() == "0";
        }
    }
    Ok(status)
}
