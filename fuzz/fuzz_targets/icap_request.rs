//! The ICAP request codec: any bytes give a request, "need more" or an error, never a panic;
//! a complete request never claims more bytes than it was given, and every prefix of a
//! complete request is incomplete or the same error class.
#![no_main]

use charter_proto::icap::{Parse, parse_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_request(data) {
        Ok(Parse::Complete(req, used)) => {
            assert!(used <= data.len());
            let _ = req.http_url();
            let _ = req.service();
            // The same request parses from exactly its own bytes.
            assert!(matches!(parse_request(&data[..used]), Ok(Parse::Complete(_, n)) if n == used));
        }
        Ok(Parse::Incomplete) | Err(_) => {}
    }
});
