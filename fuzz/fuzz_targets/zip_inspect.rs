//! The zip inspector on arbitrary bytes, with the limits the engine uses: never a panic,
//! whatever the central directory, local headers, sizes, offsets or nesting claim.
#![no_main]

use charter_engine::mail::ZipLimits;
use charter_engine::mail::attach::inspect_zip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = inspect_zip(data, &ZipLimits::default());
});
