//! The Postfix policy request reader on arbitrary bytes, read one request after another as the
//! policy service does: never a panic, never more bytes claimed than given, always progress;
//! a complete request reads the same from exactly its own bytes, and a reply that quotes any
//! attribute stays one `action=` line and the blank line.
#![no_main]

use charter_proto::postfix_policy::{PolicyAction, read_request};
use libfuzzer_sys::fuzz_target;

/// Small, so that inputs the fuzzer can reach cross it.
const MAX: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let mut at = 0;
    while at < data.len() {
        let Ok(Some((req, used))) = read_request(&data[at..], MAX) else {
            break;
        };
        assert!(used >= 2 && at + used <= data.len());
        let own = &data[at..at + used];
        assert!(own.ends_with(b"\n\n"));
        match read_request(own, MAX) {
            Ok(Some((again, n))) => assert!(n == used && again == req),
            other => panic!("a request's own bytes read as {other:?}"),
        }
        for (name, value) in &req.attributes {
            let reply = PolicyAction::Reject(format!("{name} {value}")).encode();
            assert!(reply.starts_with("action=REJECT ") && reply.ends_with("\n\n"));
            assert_eq!(reply.matches('\n').count(), 2);
        }
        at += used;
    }
});
