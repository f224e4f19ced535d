//! Every input that once crashed the `icap_request` or `log_lines` fuzz targets, kept in
//! fuzz/regressions/TARGET, replayed on the stable toolchain with the target's checks. ICAP: the
//! codec answers "need more", an error, or a request that claims no more bytes than it was
//! given and parses the same from exactly those bytes. Log lines: the syslog TCP framer gives
//! the same messages however the stream is cut. Never a panic.

use std::path::Path;

use charter_proto::icap::{Parse, parse_request};
use charter_proto::logs::syslog::Framer;

/// What one input does to the codec: `Err` with why it fails the checks.
fn replay(data: &[u8]) -> Result<(), String> {
    match parse_request(data) {
        Ok(Parse::Complete(_, used)) if used > data.len() => {
            Err(format!("claims {used} bytes of {}", data.len()))
        }
        Ok(Parse::Complete(_, used)) => match parse_request(&data[..used]) {
            Ok(Parse::Complete(_, again)) if again == used => Ok(()),
            _ => Err(format!(
                "its own {used} bytes do not parse as the same request"
            )),
        },
        Ok(Parse::Incomplete) | Err(_) => Ok(()),
    }
}

#[test]
fn icap_inputs_that_once_crashed_the_fuzzer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/icap_request");
    let mut failures = Vec::new();
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions/icap_request") {
        let path = entry.expect("a directory entry").path();
        let data = std::fs::read(&path).expect("a regression input");
        let outcome = std::panic::catch_unwind(|| replay(&data))
            .unwrap_or_else(|_| Err("panicked".to_string()));
        if let Err(why) = outcome {
            failures.push(format!("{}: {why}", path.display()));
        }
        replayed += 1;
    }
    assert!(replayed >= 3, "only {replayed} inputs in {}", dir.display());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The syslog TCP framer's messages from `data` fed whole and cut at `cut`.
fn framed(data: &[u8], cut: usize) -> (Vec<FramedMessage>, Vec<FramedMessage>) {
    let frames = |chunks: &[&[u8]]| {
        let mut f = Framer::new(64);
        let mut out = Vec::new();
        for c in chunks {
            f.feed(c, |m| out.push(m.map(<[u8]>::to_vec)));
        }
        out
    };
    (frames(&[data]), frames(&[&data[..cut], &data[cut..]]))
}

type FramedMessage = Result<Vec<u8>, charter_proto::logs::LineError>;

#[test]
fn log_line_inputs_that_once_crashed_the_fuzzer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/log_lines");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions/log_lines") {
        let path = entry.expect("a directory entry").path();
        let data = std::fs::read(&path).expect("a regression input");
        // The target's cut (the first byte's value), and every other cut too.
        for cut in 0..=data.len() {
            let (whole, split) = framed(&data, cut);
            assert_eq!(whole, split, "{} cut at {cut}", path.display());
        }
        replayed += 1;
    }
    assert!(replayed >= 1, "no inputs in {}", dir.display());
}
