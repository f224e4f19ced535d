//! The request_body fuzz target's properties (fuzz/fuzz_targets/request_body.rs), run as
//! property tests so CI checks them on every change.

use charter_proto::body::{BodyLimits, body_text};
use charter_proto::icap::{BodyStep, body_step};
use proptest::prelude::*;

const TYPES: [&str; 6] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "multipart/form-data; boundary=b",
    "multipart/form-data; boundary=\"--x\"",
    "text/plain",
    "application/octet-stream",
];

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            Just(b'\n'),
            Just(b'\r'),
            Just(b'-'),
            Just(b'"'),
            Just(b'\\'),
            Just(b'%'),
            Just(b'b'),
            b'0'..=b'9',
            any::<u8>()
        ],
        0..400,
    )
}

proptest! {
    #[test]
    fn body_text_stays_within_its_limit(data in body_bytes(), pick in 0..TYPES.len()) {
        let limits = BodyLimits { max_text: 64, max_parts: 4 };
        let text = body_text(Some(TYPES[pick]), &data, &limits);
        prop_assert!(text.text.len() <= limits.max_text);
    }

    #[test]
    fn body_steps_never_overread(data in body_bytes()) {
        match body_step(&data, 128) {
            Ok(BodyStep::Data(range, used)) => prop_assert!(range.end <= used && used <= data.len()),
            Ok(BodyStep::End(used)) => prop_assert!(used <= data.len()),
            Ok(BodyStep::Incomplete) | Err(_) => {}
        }
    }
}
