//! The milter packet parser on arbitrary bytes: reading frames one after another never panics,
//! never reads past what it was given, and always makes progress or stops.
#![no_main]

use charter_proto::milter::{Frame, read_frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut at = 0;
    while at < data.len() {
        match read_frame(&data[at..], 1 << 16) {
            Ok(Frame::Command(_, used)) => {
                assert!(used >= 5 && at + used <= data.len());
                at += used;
            }
            Ok(Frame::Incomplete) | Err(_) => break,
        }
    }
});
