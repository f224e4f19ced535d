//! What the gateway socket tests share: a pack for web and mail, a zip CPU bomb, milter and
//! ICAP clients over plain blocking sockets (so the clients never share the gateways'
//! runtime threads), and a runtime shaped like `charter serve`'s.

#![allow(dead_code, reason = "each test binary uses part of the support module")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use charter_engine::Engine;

/// Web: gambling blocked, except for the finance role. Mail: executables blocked,
/// unscannable attachments held.
pub const PACK: &str = r#"
[policy]
id = "limits"
title = "Limits"
source = "test"
[organisation]
name = "Acme Ltd"
domains = ["acme.co.uk"]
[[rule]]
id = "no-gambling"
clause = "4.2"
quote = "No gambling."
on = "web"
categories = ["gambling"]
except_roles = ["finance"]
action = "block"
severity = "gross_misconduct"
[[rule]]
id = "mail.executables"
clause = "Email security (b)"
on = "mail"
checks = ["executable_attachment"]
action = "block"
severity = "misconduct"
[[rule]]
id = "mail.unscannable"
clause = "Email security (c)"
on = "mail"
checks = ["unscannable"]
action = "hold"
severity = "concern"
"#;

pub fn engine() -> Arc<Engine> {
    Arc::new(Engine::new(
        charter_policy::parse(PACK, "limits.toml").unwrap(),
    ))
}

/// The runtime `charter serve` uses: two worker threads.
pub fn serve_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn local_header(name: &[u8], compressed: usize, declared: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&[20, 0, 0, 0, 8, 0]); // version, flags, deflate
    out.extend_from_slice(&[0; 8]); // time, date, crc
    out.extend_from_slice(&u32::try_from(compressed).unwrap().to_le_bytes());
    out.extend_from_slice(&declared.to_le_bytes());
    out.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name);
    out
}

/// A zip of `entries` entries holding `stream`, each declaring `declared` bytes uncompressed
/// whatever the stream really holds. Each entry has its own local header and copy of the
/// stream, so no two entries' data overlap (a reader that spots overlapping entries, as
/// Charter's does, learns nothing from the layout).
fn zip_of_copies(stream: &[u8], entries: usize, declared: u32) -> Vec<u8> {
    let name = b"a";
    let mut out = Vec::new();
    let mut central = Vec::new();
    for _ in 0..entries {
        let offset = u32::try_from(out.len()).unwrap();
        out.extend_from_slice(&local_header(name, stream.len(), declared));
        out.extend_from_slice(stream);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 8, 0]); // versions, flags, deflate
        central.extend_from_slice(&[0; 8]); // time, date, crc
        central.extend_from_slice(&u32::try_from(stream.len()).unwrap().to_le_bytes());
        central.extend_from_slice(&declared.to_le_bytes());
        central.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let cd_offset = out.len();
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let count = u16::try_from(entries).unwrap().to_le_bytes();
    out.extend_from_slice(&count);
    out.extend_from_slice(&count);
    out.extend_from_slice(&u32::try_from(central.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&u32::try_from(cd_offset).unwrap().to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A zip CPU bomb with no overlapping entries: an outer zip of `outer` entries, each a
/// deflated inner zip of `inner` entries, each a deflate stream of a zip signature and 1 MiB
/// of zeros. Every entry declares 100 bytes, so no size or ratio check fires, and an
/// inspector that opens nested archives inflates `outer × inner` MiB unless a work budget
/// stops it.
pub fn zip_bomb(outer: usize, inner: usize) -> Vec<u8> {
    let mut zeros = b"PK\x03\x04".to_vec();
    zeros.resize(1 << 20, 0);
    let innermost = miniz_oxide::deflate::compress_to_vec(&zeros, 10);
    let inner_zip = zip_of_copies(&innermost, inner, 100);
    let middle = miniz_oxide::deflate::compress_to_vec(&inner_zip, 10);
    zip_of_copies(&middle, outer, 100)
}

/// A message from outside carrying `zip` as an attachment, base64 in 76-column lines.
pub fn mail_with_zip(zip: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
    let headers = vec![
        ("From".to_string(), " mallory@example.net".to_string()),
        ("To".to_string(), " ann@acme.co.uk".to_string()),
        ("Subject".to_string(), " invoice".to_string()),
        (
            "Content-Type".to_string(),
            " multipart/mixed; boundary=\"b\"".to_string(),
        ),
    ];
    let mut body = b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\n\
Content-Type: application/zip; name=\"invoice.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    let encoded = base64(zip);
    for line in encoded.as_bytes().chunks(76) {
        body.extend_from_slice(line);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--b--\r\n");
    (headers, body)
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One milter packet.
pub fn packet(command: u8, data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len() + 1)
        .unwrap()
        .to_be_bytes()
        .to_vec();
    out.push(command);
    out.extend_from_slice(data);
    out
}

/// A milter client speaking as Postfix does, one command and its answer at a time.
pub struct MilterClient {
    pub stream: TcpStream,
}

impl MilterClient {
    /// Connects and negotiates (protocol 6, every action offered).
    pub fn connect(addr: SocketAddr) -> MilterClient {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut client = MilterClient { stream };
        client.expect(
            b'O',
            &[0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0x1f, 0xff, 0xff],
            b'O',
        );
        client.expect(b'C', b"mail.example.net\x004\x00\x19203.0.113.9\x00", b'c');
        client
    }

    /// Sends one command and checks its answer is the frame `answer`.
    pub fn expect(&mut self, command: u8, data: &[u8], answer: u8) {
        let frames = self.ask(command, data);
        assert_eq!(
            frames.first().map(|(c, _)| *c),
            Some(answer),
            "answer to `{}`: {frames:?}",
            char::from(command)
        );
    }

    /// Sends one command and reads its answer: every frame up to the final one (`c`, `y`,
    /// `a`, `r`, `t`, `d` or option negotiation).
    pub fn ask(&mut self, command: u8, data: &[u8]) -> Vec<(u8, Vec<u8>)> {
        self.stream.write_all(&packet(command, data)).unwrap();
        self.answer()
    }

    /// Reads frames until a final one; an empty list when the milter closed.
    pub fn answer(&mut self) -> Vec<(u8, Vec<u8>)> {
        let mut frames = Vec::new();
        loop {
            let mut len = [0u8; 4];
            if self.stream.read_exact(&mut len).is_err() {
                return frames;
            }
            let mut frame = vec![0u8; u32::from_be_bytes(len) as usize];
            self.stream.read_exact(&mut frame).unwrap();
            let command = frame[0];
            frames.push((command, frame[1..].to_vec()));
            if b"cyartdO".contains(&command) {
                return frames;
            }
        }
    }

    /// Sends a whole message and returns the end-of-message answer.
    pub fn send(&mut self, headers: &[(String, String)], body: &[u8]) -> Vec<(u8, Vec<u8>)> {
        self.send_all_but_end(headers, body);
        self.ask(b'E', b"")
    }

    /// Sends a message up to, not including, its end.
    pub fn send_all_but_end(&mut self, headers: &[(String, String)], body: &[u8]) {
        self.expect(b'M', b"<mallory@example.net>\0", b'c');
        self.expect(b'R', b"<ann@acme.co.uk>\0", b'c');
        for (name, value) in headers {
            let data = [name.as_bytes(), b"\0", value.as_bytes(), b"\0"].concat();
            self.expect(b'L', &data, b'c');
        }
        self.expect(b'N', b"", b'c');
        for chunk in body.chunks(65_535) {
            self.expect(b'B', chunk, b'c');
        }
    }
}

/// The SMTP reply in a milter `y` frame, without its NUL.
pub fn reply_text(frames: &[(u8, Vec<u8>)]) -> Option<String> {
    frames.iter().find(|(c, _)| *c == b'y').map(|(_, data)| {
        String::from_utf8_lossy(data)
            .trim_end_matches('\0')
            .to_string()
    })
}

/// Sends `request` to the ICAP server at `addr` on a new connection and reads the answer
/// head (and, for a 200 with a body, enough of it to see the HTTP status).
pub fn icap_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    read_icap_head(&mut stream)
}

/// Reads from `stream` until a blank line ends an ICAP head.
pub fn read_icap_head(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&got).to_string()
}

pub const OPTIONS: &[u8] = b"OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\n\r\n";

/// A REQMOD for `url`, naming `user` in `X-Client-Username` when given.
pub fn reqmod(url: &str, user: Option<&str>) -> Vec<u8> {
    let http = format!("GET {url} HTTP/1.1\r\nHost: x\r\n\r\n");
    let user = user.map_or(String::new(), |u| format!("X-Client-Username: {u}\r\n"));
    format!(
        "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nAllow: 204\r\n{user}Encapsulated: req-hdr=0, null-body={}\r\n\r\n{http}",
        http.len()
    )
    .into_bytes()
}

/// Sends one policy request on a new connection and reads the answer to its blank line.
pub fn policy_exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\n\n") {
        match stream.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&got).to_string()
}

/// A blocking connection to `addr` from the local address `from` (any of 127.0.0.0/8 works
/// on Linux), to stand for a second client.
pub fn connect_from(from: &str, addr: SocketAddr) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
        socket.connect(addr).await.unwrap()
    });
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// Reads until the peer closes (or 30 s pass); what came, and how long it took.
pub fn read_to_close(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = std::time::Instant::now();
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return (got, started.elapsed()),
            Ok(n) => got.extend_from_slice(&chunk[..n]),
        }
    }
}
