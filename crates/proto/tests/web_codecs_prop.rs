//! The fuzz targets' properties (fuzz/fuzz_targets/{squid_line,icap_request}.rs), run as
//! property tests so CI checks them on every change.

#![allow(clippy::unwrap_used, reason = "property tests")]

use charter_proto::icap::{Parse, parse_request as parse_icap};
use charter_proto::squid::{Answer, LineSplitter, Mode, Reply, parse_request};
use proptest::prelude::*;

fn lines(chunks: &[&[u8]]) -> Vec<Result<Vec<u8>, charter_proto::squid::LineError>> {
    let mut s = LineSplitter::new(64);
    let mut out = Vec::new();
    for c in chunks {
        s.feed(c, |l| out.push(l.map(<[u8]>::to_vec)));
    }
    out
}

fn helper_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            Just(b'\n'),
            Just(b' '),
            Just(b'%'),
            Just(b'\r'),
            b'0'..=b'9',
            b'a'..=b'z',
            any::<u8>()
        ],
        0..400,
    )
}

proptest! {
    #[test]
    fn squid_lines_do_not_depend_on_how_input_is_split(data in helper_bytes(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(data.len() + 1);
        let whole = lines(&[&data]);
        prop_assert_eq!(&whole, &lines(&[&data[..cut], &data[cut..]]));
        for line in whole.iter().flatten() {
            for mode in [Mode::ExternalAcl, Mode::UrlRewrite] {
                if let Ok(req) = parse_request(line, mode) {
                    let mut out = Vec::new();
                    Reply { channel: req.channel, answer: Answer::Err, message: Some(&req.url), ..Reply::default() }.write(&mut out);
                    prop_assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
                }
            }
        }
    }

    #[test]
    fn icap_parse_never_panics_and_never_overreads(data in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(Parse::Complete(_, used)) = parse_icap(&data) {
            prop_assert!(used <= data.len());
        }
    }

    #[test]
    fn icap_requests_parse_from_every_prefix_consistently(
        host in "[a-z]{1,12}\\.(com|org)",
        path in "/[a-z0-9/]{0,20}",
        body in prop::collection::vec(any::<u8>(), 0..50),
        cut in any::<prop::sample::Index>(),
    ) {
        let http = format!("GET http://{host}{path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let mut raw = format!(
            "REQMOD icap://127.0.0.1:1344/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body={}\r\n\r\n{http}",
            http.len()
        ).into_bytes();
        if !body.is_empty() {
            raw.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
            raw.extend_from_slice(&body);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        let Ok(Parse::Complete(req, used)) = parse_icap(&raw) else { panic!("whole request") };
        prop_assert_eq!(used, raw.len());
        let expected_url = format!("http://{host}{path}");
        let url = req.http_url();
        prop_assert_eq!(url.as_deref(), Some(expected_url.as_str()));
        prop_assert_eq!(req.body.as_deref(), Some(&body[..]));
        let cut = cut.index(raw.len());
        prop_assert_eq!(parse_icap(&raw[..cut]), Ok(Parse::Incomplete));
    }
}
