//! The DHCP leases parsers on arbitrary bytes: they never panic, and every lease they give
//! carries a normalised MAC address and host name.

#![allow(clippy::unwrap_used, reason = "property tests")]

use charter_proto::leases::{Leases, hostname, normalise_mac, parse, parse_dnsmasq, parse_isc};
use proptest::prelude::*;

/// Bytes made mostly of the two formats' own pieces, with arbitrary bytes mixed in.
fn lease_bytes() -> impl Strategy<Value = Vec<u8>> {
    const WORDS: &[&[u8]] = &[
        b"lease 10.0.0.5 {\n",
        b"lease fd00::5 {\n",
        b"  starts 1 2026/06/15 08:00:00;\n",
        b"  ends never;\n",
        b"  ends epoch 1781553600;\n",
        b"  binding state active;\n",
        b"  hardware ethernet 52:54:00:ab:cd:ef;\n",
        b"  client-hostname \"ann-laptop\";\n",
        b"}\n",
        b"1781553600 52:54:00:ab:cd:ef 10.0.0.5 ann-laptop *\n",
        b"0 ",
        b"duid 00:01\n",
        b" ",
        b"\n",
        b"#",
        b"/",
        b":",
    ];
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(WORDS).prop_map(<[u8]>::to_vec),
            1 => prop::collection::vec(any::<u8>(), 0..8),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

fn well_formed(read: &Leases) -> Result<(), TestCaseError> {
    for lease in &read.leases {
        if let Some(mac) = &lease.mac {
            prop_assert_eq!(normalise_mac(mac), Some(mac.clone()));
        }
        if let Some(name) = &lease.hostname {
            prop_assert_eq!(hostname(name), Some(name.clone()));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn leases_parsers_never_panic_and_normalise(data in lease_bytes()) {
        for read in [parse(&data), parse_isc(&data), parse_dnsmasq(&data)] {
            well_formed(&read)?;
            prop_assert!(!read.truncated);
        }
    }

    #[test]
    fn leases_parsers_take_any_bytes(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        for read in [parse(&data), parse_isc(&data), parse_dnsmasq(&data)] {
            well_formed(&read)?;
        }
    }
}
