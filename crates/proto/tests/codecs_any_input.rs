//! Every codec in `charter-proto` on arbitrary bytes, fed whole or cut into arbitrary reads:
//! it never panics, never claims bytes it was not given, and gives the same answers however
//! the bytes were split (issue 8: the ICAP codec panicked on offsets past its buffer).

#![allow(clippy::unwrap_used, reason = "property tests")]

use charter_proto::icap::{self, IcapLimits, Parse};
use charter_proto::milter::{self, Frame};
use charter_proto::postfix_policy::{self, DEFAULT_MAX_REQUEST};
use charter_proto::squid::{LineSplitter, Mode};
use proptest::prelude::*;

/// Bytes that are mostly the protocols' own punctuation, so the parsers get past their
/// first checks, with arbitrary bytes mixed in.
fn wire_bytes(words: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(words).prop_map(<[u8]>::to_vec),
            1 => prop::collection::vec(any::<u8>(), 0..8),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

/// ICAP requests: mostly a good request line, then anything made of ICAP's pieces.
fn icap_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            4 => Just(&b"REQMOD icap://h/reqmod ICAP/1.0\r\n"[..]),
            1 => Just(&b"OPTIONS icap://h/reqmod ICAP/1.0\r\n"[..]),
            1 => Just(&b""[..]),
        ],
        wire_bytes(ICAP_WORDS),
    )
        .prop_map(|(line, rest)| [line, &rest].concat())
}

const ICAP_WORDS: &[&[u8]] = &[
    b"REQMOD icap://h/reqmod ICAP/1.0\r\n",
    b"X-Client-Username: ann\r\n",
    b"Encapsulated: req-hdr=0, req-body=",
    b"Encapsulated: req-hdr=0, req-body=20\r\n\r\n",
    b"Encapsulated: req-hdr=0, null-body=18\r\n\r\n",
    b"Encapsulated: req-hdr=50, req-body=10\r\n\r\n",
    b"Encapsulated: req-hdr=0, null-body=",
    b"Encapsulated: req-body=1000000",
    b"Preview: 0\r\n",
    b"GET http://x/ HTTP/1.1\r\n",
    b"\r\n",
    b"0\r\n\r\n",
    b"5\r\nhello\r\n",
    b"ffffffffffffffffffff\r\n",
    b"10",
    b"50",
    b", ",
];

const POLICY_WORDS: &[&[u8]] = &[
    b"request=smtpd_access_policy\n",
    b"protocol_state=RCPT\n",
    b"recipient=a@x.org\n",
    b"instance=1\n",
    b"\n",
    b"\r\n",
    b"=",
    b"nonsense",
];

/// Cuts `data` at the given fractions into reads.
fn reads<'a>(data: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
    points.push(0);
    points.push(data.len());
    points.sort_unstable();
    points.windows(2).map(|w| &data[w[0]..w[1]]).collect()
}

/// What an ICAP connection sees: each request, or the error that ends the connection.
fn icap_connection(
    reads: &[&[u8]],
    limits: IcapLimits,
) -> Vec<Result<(icap::Request, usize), icap::IcapError>> {
    let mut reader = icap::RequestReader::new(limits);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    for read in reads {
        buf.extend_from_slice(read);
        loop {
            match reader.read(&buf) {
                Ok(Parse::Complete(request, used)) => {
                    assert!(used > 0 && used <= buf.len());
                    buf.drain(..used);
                    out.push(Ok((request, used)));
                }
                Ok(Parse::Incomplete) => break,
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }
    out
}

fn milter_connection(reads: &[&[u8]]) -> Vec<String> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    for read in reads {
        buf.extend_from_slice(read);
        loop {
            match milter::read_frame(&buf, 512) {
                Ok(Frame::Command(command, used)) => {
                    assert!(used >= 5 && used <= buf.len());
                    out.push(format!("{command:?}"));
                    buf.drain(..used);
                }
                Ok(Frame::Incomplete) => break,
                Err(e) => {
                    out.push(format!("error: {e}"));
                    return out;
                }
            }
        }
    }
    out
}

fn policy_connection(reads: &[&[u8]], max: usize) -> Vec<String> {
    let mut reader = postfix_policy::RequestReader::new(max);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    for read in reads {
        buf.extend_from_slice(read);
        loop {
            match reader.read(&buf) {
                Ok(Some((request, used))) => {
                    assert!(used >= 2 && used <= buf.len());
                    out.push(format!("{request:?}"));
                    buf.drain(..used);
                }
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("error: {e}"));
                    return out;
                }
            }
        }
    }
    out
}

fn squid_lines(reads: &[&[u8]]) -> Vec<String> {
    let mut splitter = LineSplitter::new(64);
    let mut out = Vec::new();
    for read in reads {
        splitter.feed(read, |line| {
            out.push(match line {
                Ok(line) => format!(
                    "{:?} {:?}",
                    charter_proto::squid::parse_request(line, Mode::ExternalAcl),
                    charter_proto::squid::parse_request(line, Mode::UrlRewrite)
                ),
                Err(e) => format!("error: {e:?}"),
            });
        });
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn icap_answers_do_not_depend_on_how_bytes_arrive(
        data in icap_bytes(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        small in any::<bool>(),
    ) {
        let limits = IcapLimits { max_request: if small { 200 } else { icap::DEFAULT_MAX_REQUEST } };
        let whole = icap_connection(&[&data], limits);
        prop_assert_eq!(&whole, &icap_connection(&reads(&data, &cuts), limits));
        let one_by_one: Vec<&[u8]> = data.chunks(1).collect();
        prop_assert_eq!(&whole, &icap_connection(&one_by_one, limits));
    }

    #[test]
    fn icap_never_panics_on_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        if let Ok(Parse::Complete(_, used)) = icap::parse_request(&data) {
            prop_assert!(used <= data.len());
        }
    }

    #[test]
    fn milter_frames_do_not_depend_on_how_bytes_arrive(
        data in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let whole = milter_connection(&[&data]);
        prop_assert_eq!(whole, milter_connection(&reads(&data, &cuts)));
    }

    #[test]
    fn milter_well_framed_packets_never_panic(
        packets in prop::collection::vec(
            (prop::sample::select(&b"ODCHMRTLNBEAQKUZ"[..]), prop::collection::vec(any::<u8>(), 0..40)),
            0..20,
        ),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut data = Vec::new();
        for (command, body) in &packets {
            data.extend_from_slice(&u32::try_from(body.len() + 1).unwrap().to_be_bytes());
            data.push(*command);
            data.extend_from_slice(body);
        }
        let whole = milter_connection(&[&data]);
        prop_assert_eq!(whole, milter_connection(&reads(&data, &cuts)));
    }

    #[test]
    fn policy_requests_do_not_depend_on_how_bytes_arrive(
        data in wire_bytes(POLICY_WORDS),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        small in any::<bool>(),
    ) {
        let max = if small { 40 } else { DEFAULT_MAX_REQUEST };
        let whole = policy_connection(&[&data], max);
        prop_assert_eq!(&whole, &policy_connection(&reads(&data, &cuts), max));
        let one_by_one: Vec<&[u8]> = data.chunks(1).collect();
        prop_assert_eq!(&whole, &policy_connection(&one_by_one, max));
    }

    #[test]
    fn squid_lines_do_not_depend_on_how_bytes_arrive(
        data in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let whole = squid_lines(&[&data]);
        prop_assert_eq!(whole, squid_lines(&reads(&data, &cuts)));
    }
}
