//! Issue 8: one crafted email stopped web filtering and mail for the whole site, because the
//! milter decided mail on the async runtime that also answers ICAP and the policy service.
//! Here several zip CPU bombs (nested archives with no overlapping entries, each about 4 GiB
//! of inflation with the engine's work budget lifted) keep the milter's decision pool busy,
//! in a runtime shaped like `charter serve`'s (two worker threads), while ICAP and the
//! policy service are probed: they must keep answering at once, and each bomb must still get
//! an answer from the milter (a tempfail at the decision deadline, or a verdict).

#![allow(clippy::unwrap_used, reason = "test")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use charter_engine::web::Builtin;
use charter_gateways::icap::IcapConfig;
use charter_gateways::milter::MilterConfig;
use charter_gateways::policy_service::PolicyServiceConfig;
use charter_gateways::web::{Clock, Roles};

use support::*;

const BOMBERS: usize = 4;
const PROBES: usize = 40;

#[test]
fn icap_and_the_policy_service_answer_at_once_while_zip_bombs_occupy_the_milter() {
    let zip = zip_bomb(40, 100);
    let (headers, body) = mail_with_zip(&zip);
    assert!(
        body.len() < 1 << 20,
        "the bomb is an ordinary-sized message: {} bytes",
        body.len()
    );

    let runtime = serve_runtime();
    let engine = engine();
    let clock = Clock::Fixed("2026-06-15T10:00:00Z".parse().unwrap());
    let (icap_addr, milter_addr, policy_addr) = runtime.block_on(async {
        let icap: IcapConfig = toml::from_str("listen = \"127.0.0.1:0\"").unwrap();
        let icap = Arc::new(
            icap.build(
                Arc::clone(&engine),
                Arc::new(Builtin::new()),
                clock,
                Roles::default(),
            )
            .unwrap(),
        );
        let icap_listener = icap.bind().await.unwrap();
        let milter: MilterConfig =
            // The engine's own work budget would stop these bombs in milliseconds; it is
            // lifted here so that the pool, not the budget, is what keeps ICAP answering.
            toml::from_str(
                "listen = \"127.0.0.1:0\"\ndecision_timeout_secs = 3\n\
                 scan_work_mib = 1000000\nscan_time_ms = 600000",
            )
            .unwrap();
        let milter = Arc::new(milter.build(Arc::clone(&engine), clock).unwrap());
        let milter_listener = milter.bind().await.unwrap();
        let policy: PolicyServiceConfig = toml::from_str("listen = \"127.0.0.1:0\"").unwrap();
        let policy = Arc::new(policy.build(Arc::clone(&engine), clock).unwrap());
        let policy_listener = policy.bind().await.unwrap();
        let addrs = (
            icap_listener.local_addr().unwrap(),
            milter_listener.local_addr().unwrap(),
            policy_listener.local_addr().unwrap(),
        );
        tokio::spawn(icap.serve(icap_listener));
        tokio::spawn(milter.serve(milter_listener));
        tokio::spawn(policy.serve(policy_listener));
        addrs
    });

    // The bombers: plain threads, as Postfix would be, each sending bomb after bomb.
    let in_flight = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let bombers: Vec<_> = (0..BOMBERS)
        .map(|_| {
            let (headers, body) = (headers.clone(), body.clone());
            let (in_flight, stop) = (Arc::clone(&in_flight), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut client = MilterClient::connect(milter_addr);
                let mut answers = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    client.send_all_but_end(&headers, &body);
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let sent = Instant::now();
                    let answer = client.ask(b'E', b"");
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    answers.push((sent.elapsed(), answer));
                }
                answers
            })
        })
        .collect();

    // Wait until every bomber has a bomb with the milter.
    let waited = Instant::now();
    while in_flight.load(Ordering::SeqCst) < BOMBERS {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "the milter stopped taking commands before every bomb was sent"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    let mut latencies = Vec::new();
    for i in 0..PROBES {
        let busy_before = in_flight.load(Ordering::SeqCst);
        let asked = Instant::now();
        match i % 3 {
            0 => {
                let answer = icap_exchange(icap_addr, OPTIONS);
                assert!(answer.starts_with("ICAP/1.0 200 OK\r\n"), "{answer:?}");
            }
            1 => {
                let answer = icap_exchange(icap_addr, &reqmod("http://www.bet365.com/", None));
                assert!(answer.starts_with("ICAP/1.0 200 OK\r\n"), "{answer:?}");
            }
            _ => {
                let answer = policy_exchange(
                    policy_addr,
                    "request=smtpd_access_policy\nprotocol_state=DATA\ninstance=p1\nsender=ann@acme.co.uk\nrecipient=bob@acme.co.uk\nclient_address=127.0.0.1\n\n",
                );
                assert_eq!(answer, "action=DUNNO\n\n");
            }
        }
        let took = asked.elapsed();
        let busy_after = in_flight.load(Ordering::SeqCst);
        // INVARIANT: the probe overlapped undecided bombs, so what it measures is ICAP
        // while the milter's engine work is under way.
        assert!(
            busy_before > 0 && busy_after > 0,
            "probe {i} did not overlap the bombs"
        );
        latencies.push(took);
        std::thread::sleep(Duration::from_millis(25));
    }
    stop.store(true, Ordering::SeqCst);
    latencies.sort();
    let median = latencies[PROBES / 2];
    let max = latencies[PROBES - 1];
    eprintln!(
        "ICAP and policy service while {BOMBERS} zip bombs were with the milter: median {:.2} ms, max {:.2} ms over {PROBES} probes",
        median.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    // Before the fix each probe waited for a bomb: many seconds. 50 ms is the bar.
    assert!(median < Duration::from_millis(50), "median {median:?}");
    assert!(max < Duration::from_secs(1), "max {max:?}");

    // Every bomb got an answer: tempfailed at the deadline, or a verdict if the engine
    // finished it in time; never the connection dropped.
    for bomber in bombers {
        let answers = bomber.join().unwrap();
        assert!(!answers.is_empty());
        for (took, frames) in answers {
            let reply = reply_text(&frames);
            let decided = frames.last().is_some_and(|(c, _)| *c == b'c');
            assert!(
                decided
                    || reply
                        .as_deref()
                        .is_some_and(|r| r.starts_with("451 4.3.0") || r.starts_with("550 5.7.1")),
                "{frames:?}"
            );
            eprintln!(
                "bomb answered after {:.1} s: {}",
                took.as_secs_f64(),
                reply.unwrap_or("accepted".into())
            );
        }
    }
    // The bombs still running on the pool are abandoned with the process.
    runtime.shutdown_background();
}
