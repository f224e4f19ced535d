//! The DHCP leases parsers: any bytes must give leases and a skip count, never a panic, and
//! every lease read must carry a normalised MAC and host name.
#![no_main]

use charter_proto::leases::{hostname, normalise_mac, parse, parse_dnsmasq, parse_isc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for read in [parse(data), parse_isc(data), parse_dnsmasq(data)] {
        for lease in &read.leases {
            if let Some(mac) = &lease.mac {
                assert_eq!(normalise_mac(mac).as_deref(), Some(mac.as_str()));
            }
            if let Some(name) = &lease.hostname {
                assert_eq!(hostname(name).as_deref(), Some(name.as_str()));
            }
            let _ = lease.current_at(0);
        }
    }
});
