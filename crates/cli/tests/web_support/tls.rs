//! HTTPS through Squid's SSL bump, all on loopback: a certificate authority made in the test
//! with the `openssl` CLI, an HTTPS origin (socat terminating TLS in front of a plain HTTP
//! origin such as [`super::Origin`]), Squid bumping with the `squid-ssl-bump` block of
//! docs/squid.md and trusting the test CA towards the origin, and curl trusting it towards
//! Squid. After the bump Squid's helpers and ICAP see full `https://` URLs and bodies.
//!
//! ```ignore
//! let dir = TempDir::new("bump");
//! let ca = TestCa::new(&dir);
//! let origin = Origin::start();
//! let tls = TlsOrigin::start(&dir, &ca, &["www.google.com"], origin.port);
//! let squid = bumping_squid(&dir, &ca, &["www.google.com"], "http_access allow localnet\n");
//! let (status, body) = curl_https(squid.port, &ca, &tls.url("www.google.com", "/"), &[]);
//! ```

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::{
    Bind, Squid, TempDir, await_listening, curl_with, doc_block, on_a_free_port, require, set_mode,
};

/// A certificate authority made for one test: Squid signs the certificates it makes for
/// bumped sites with it, and it issues the origin's certificate.
pub struct TestCa {
    /// The CA certificate (PEM): curl's `--cacert`, Squid's `tls_outgoing_options cafile=`.
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    dir: PathBuf,
}

fn openssl(args: &[&str], what: &str) {
    let openssl = require("openssl", "openssl");
    let out = Command::new(openssl).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestCa {
    /// A fresh CA under `dir/tls`, valid for two days.
    pub fn new(dir: &TempDir) -> TestCa {
        let tls = dir.path().join("tls");
        std::fs::create_dir_all(&tls).unwrap();
        set_mode(&tls, 0o755);
        let cert = tls.join("ca.pem");
        let key = tls.join("ca.key");
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=Charter test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                key.to_str().unwrap(),
                "-out",
                cert.to_str().unwrap(),
            ],
            "req (test CA)",
        );
        // Squid reads both as its own user; a throwaway test key may be world-readable.
        set_mode(&cert, 0o644);
        set_mode(&key, 0o644);
        TestCa {
            cert,
            key,
            dir: tls,
        }
    }

    /// A server certificate and key for `hosts` (subjectAltName DNS names), signed by this CA:
    /// (certificate, key).
    pub fn issue(&self, name: &str, hosts: &[&str]) -> (PathBuf, PathBuf) {
        let cert = self.dir.join(format!("{name}.pem"));
        let key = self.dir.join(format!("{name}.key"));
        let csr = self.dir.join(format!("{name}.csr"));
        let ext = self.dir.join(format!("{name}.ext"));
        let sans = hosts
            .iter()
            .map(|h| format!("DNS:{h}"))
            .collect::<Vec<_>>()
            .join(",");
        std::fs::write(
            &ext,
            format!(
                "subjectAltName={sans}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            ),
        )
        .unwrap();
        openssl(
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-subj",
                &format!("/CN={}", hosts.first().copied().unwrap_or(name)),
                "-keyout",
                key.to_str().unwrap(),
                "-out",
                csr.to_str().unwrap(),
            ],
            "req (server key)",
        );
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                csr.to_str().unwrap(),
                "-CA",
                self.cert.to_str().unwrap(),
                "-CAkey",
                self.key.to_str().unwrap(),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                ext.to_str().unwrap(),
                "-out",
                cert.to_str().unwrap(),
            ],
            "x509 (sign server certificate)",
        );
        set_mode(&cert, 0o644);
        set_mode(&key, 0o644);
        (cert, key)
    }
}

/// An HTTPS origin on loopback: socat terminates TLS with a certificate for the given hosts
/// and forwards each connection to a plain HTTP origin. Stopped on drop.
pub struct TlsOrigin {
    child: Child,
    /// The HTTPS port.
    pub port: u16,
}

impl TlsOrigin {
    /// Serves `hosts` over HTTPS on a free loopback port, in front of the plain HTTP origin
    /// on `plain_port`.
    pub fn start(dir: &TempDir, ca: &TestCa, hosts: &[&str], plain_port: u16) -> TlsOrigin {
        let socat = require("socat", "socat");
        let (cert, key) = ca.issue("origin", hosts);
        on_a_free_port("socat (TLS origin)", |port| {
            let log = dir.path().join(format!("socat-{port}.log"));
            let stderr = std::fs::File::create(&log).unwrap();
            let mut child = Command::new(&socat)
                .args(["-d", "-d"])
                .arg(format!(
                    "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,verify=0,cert={},key={}",
                    cert.display(),
                    key.display()
                ))
                .arg(format!("TCP:127.0.0.1:{plain_port}"))
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap();
            match await_listening(&mut child, &log, "listening on", "socat") {
                Bind::Listening(()) => Bind::Listening(TlsOrigin { child, port }),
                Bind::PortTaken => Bind::PortTaken,
            }
        })
    }

    /// `https://HOST:PORT/PATH` on this origin (`path` starts with `/`).
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port)
    }
}

impl Drop for TlsOrigin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `/etc/hosts` lines sending `hosts` to 127.0.0.1, for Squid's `hosts_file`.
pub fn loopback_hosts(hosts: &[&str]) -> String {
    if hosts.is_empty() {
        String::new()
    } else {
        format!("127.0.0.1 {}\n", hosts.join(" "))
    }
}

/// Starts Squid with the `squid-ssl-bump` block of docs/squid.md (its `http_port 3128` line
/// on a free loopback port, the test CA as the signing CA, a fresh certificate database),
/// trusting `ca` towards origins, with `hosts` resolved to loopback, and `body` (the policy
/// block under test and the `http_access` lines) after it.
pub fn bumping_squid(dir: &TempDir, ca: &TestCa, hosts: &[&str], body: &str) -> Squid {
    let certgen = PathBuf::from("/usr/lib/squid/security_file_certgen");
    assert!(
        certgen.is_file(),
        "{} is missing: SSL bump needs Squid built with OpenSSL: apt-get install squid-openssl \
         (listed in .ci/packages/web.txt)",
        certgen.display()
    );
    let db = dir.path().join("ssl_db");
    let _ = std::fs::remove_dir_all(&db);
    let out = Command::new(&certgen)
        .arg("-c")
        .arg("-s")
        .arg(&db)
        .args(["-M", "4MB"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "security_file_certgen -c failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = Command::new("chown")
        .arg("-R")
        .arg("proxy:proxy")
        .arg(&db)
        .status();
    let block = doc_block("squid-ssl-bump")
        .replace("/etc/squid/charter-ca.pem", ca.cert.to_str().unwrap())
        .replace("/etc/squid/charter-ca.key", ca.key.to_str().unwrap())
        .replace("/var/lib/squid/ssl_db", db.to_str().unwrap());
    let (port_line, rest): (Vec<&str>, Vec<&str>) =
        block.lines().partition(|l| l.starts_with("http_port "));
    assert_eq!(
        port_line.len(),
        1,
        "the squid-ssl-bump block should have one http_port line:\n{block}"
    );
    let port_line = port_line[0].to_string();
    assert!(port_line.starts_with("http_port 3128 "), "{port_line}");
    let bump = format!(
        "{}\n# Test only: the local origin's certificate comes from the test CA.\n\
         tls_outgoing_options cafile={}\n{body}",
        rest.join("\n"),
        ca.cert.display()
    );
    Squid::start_with(
        dir,
        &|port| port_line.replacen("http_port 3128", &format!("http_port 127.0.0.1:{port}"), 1),
        &loopback_hosts(hosts),
        &bump,
    )
}

/// Fetches `url` (https) through the bumping proxy on `port` with curl trusting `ca`, with
/// `extra` curl arguments (`-d`, `-H`, ...): (HTTP status, body).
pub fn curl_https(port: u16, ca: &TestCa, url: &str, extra: &[&str]) -> (u16, String) {
    let mut args: Vec<&OsStr> = vec![OsStr::new("--cacert"), ca.cert.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    curl_with(port, url, &args)
}
