//! The Squid helper line codec: any bytes, split anywhere, must give lines or line errors
//! (never a panic), the same lines however the input is split, and a request parse that
//! either succeeds or names an error. Replies must stay one line.
#![no_main]

use charter_proto::squid::{Answer, LineSplitter, Mode, Reply, parse_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut).min(data.len());
    let collect = |chunks: &[&[u8]]| {
        let mut s = LineSplitter::new(64);
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, |l| out.push(l.map(<[u8]>::to_vec)));
        }
        out
    };
    let whole = collect(&[data]);
    let split = collect(&[&data[..cut], &data[cut..]]);
    assert_eq!(whole, split);
    for line in whole.iter().flatten() {
        for mode in [Mode::ExternalAcl, Mode::UrlRewrite] {
            if let Ok(req) = parse_request(line, mode) {
                let mut out = Vec::new();
                Reply {
                    channel: req.channel,
                    answer: Answer::Err,
                    message: Some(&req.url),
                    ..Reply::default()
                }
                .write(&mut out);
                assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
            }
        }
    }
});
