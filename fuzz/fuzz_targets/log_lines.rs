//! The log line parsers (Squid access.log, syslog framing and the sign-in lines inside it,
//! usbguard's audit file, JSON event lines): any bytes give an event, nothing or an error,
//! never a panic; a line over the limit is always refused.
#![no_main]

use charter_proto::logs::login::Logins;
use charter_proto::logs::syslog::{self, FixedOffset, Framer};
use charter_proto::logs::{LineError, MAX_LINE, access_log, json, usbguard};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let squid = access_log::parse(data);
    let usb = usbguard::parse(data, "host", 0);
    let js = json::parse(data);
    if data.len() > MAX_LINE {
        assert_eq!(squid, Err(LineError::TooLong));
        assert_eq!(usb, Err(LineError::TooLong));
        assert_eq!(js, Err(LineError::TooLong));
    }
    // The TCP framer gives the same messages however the stream is split.
    let frames = |chunks: &[&[u8]]| {
        let mut f = Framer::new(64);
        let mut out = Vec::new();
        for c in chunks {
            f.feed(c, |m| out.push(m.map(<[u8]>::to_vec)));
        }
        out
    };
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    assert_eq!(frames(&[data]), frames(&[&data[..cut], &data[cut..]]));
    if let Ok(text) = std::str::from_utf8(data) {
        let clock = FixedOffset {
            year: 2026,
            offset_secs: 3600,
        };
        let mut logins = Logins::new();
        // Each line of the input, so that state carried between lines (sshd's partial
        // sign-ins, OpenVPN's peers) is exercised too.
        for line in text.split('\n') {
            if let Ok(l) = syslog::parse(line, &clock) {
                let _ = logins.parse(&l);
            }
        }
    }
});
