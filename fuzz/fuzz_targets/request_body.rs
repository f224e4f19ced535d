//! The request-body decoders (`sensitive_upload`): any bytes under any content type give
//! text within the limit, never a panic; and the ICAP body stepper never claims more bytes
//! than it was given.
#![no_main]

use charter_proto::body::{BodyLimits, body_text};
use charter_proto::icap::{BodyStep, body_step};
use libfuzzer_sys::fuzz_target;

const TYPES: [&str; 6] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "multipart/form-data; boundary=b",
    "multipart/form-data; boundary=\"--x\"",
    "text/plain",
    "application/octet-stream",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let limits = BodyLimits {
        max_text: 256,
        max_parts: 4,
    };
    let text = body_text(Some(TYPES[usize::from(pick) % TYPES.len()]), body, &limits);
    assert!(text.text.len() <= limits.max_text);
    match body_step(body, 128) {
        Ok(BodyStep::Data(range, used)) => assert!(range.end <= used && used <= body.len()),
        Ok(BodyStep::End(used)) => assert!(used <= body.len()),
        Ok(BodyStep::Incomplete) | Err(_) => {}
    }
});
