//! A message as the milter hands it to the engine, on arbitrary bytes: every mail check and
//! the disclaimer footer run without a panic, within the engine's limits.
#![no_main]

use std::sync::OnceLock;

use charter_engine::mail::{Envelope, MailInput, MailLimits, footer};
use charter_engine::{Context, Engine};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let checks = charter_policy::Check::ALL
            .iter()
            .filter(|c| c.area() == charter_policy::Area::Mail)
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let pack = format!(
            "[policy]\nid = \"f\"\ntitle = \"f\"\nsource = \"f\"\n[organisation]\nname = \"F\"\n\
             domains = [\"example.com\"]\n[mail]\ndisclaimer = \"F Ltd = 100%\"\nadd_disclaimer = true\n\
             [[rule]]\nid = \"all\"\nclause = \"all\"\non = \"mail\"\nchecks = [{checks}]\n\
             action = \"hold\"\nseverity = \"concern\"\n"
        );
        match charter_policy::parse(&pack, "f.toml") {
            Ok(pack) => Engine::new(pack),
            Err(_) => std::process::abort(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let env = Envelope::default();
    let ctx = Context::new(None, vec![], jiff::Timestamp::UNIX_EPOCH);
    let limits = MailLimits {
        max_message_bytes: 1 << 20,
        ..MailLimits::default()
    };
    let _ = engine().decide_mail_with(&ctx, &MailInput::new(data, &env), &limits);
    let _ = footer::add_footer(data, "F Ltd = 100%");
});
