//! `charter demo --once`: a day of demo web and mail traffic decided by the engine under the
//! demo pack, and the monitoring records written to the store with their audit chain, as
//! an officer would see them.

use std::collections::BTreeMap;

use anyhow::Context as _;

use charter_engine::mail::{Envelope, MailInput};
use charter_engine::web::{Builtin, WebRequest};
use charter_engine::{Context, Decision, Engine};
use charter_policy::Verdict;
use charter_store::{Actor, NewRecord, Source, Store};

use crate::decision::parse_at;
use crate::exit::{CmdResult, Outcome};

use super::{DemoArgs, demo_pack};

/// A working day of web requests at the demo organisation.
const DEMO_WEB: &str = include_str!("../../../demo/web-requests.txt");
/// The same day's mail: name, sender's roles and the message.
const DEMO_MAIL: &[(&str, &str, &[u8])] = &[
    (
        "invoice with an executable",
        "staff",
        include_bytes!("../../../demo/mail/01-invoice-exe.eml"),
    ),
    (
        "bank details change",
        "staff",
        include_bytes!("../../../demo/mail/02-bank-details.eml"),
    ),
    (
        "staff list in To",
        "staff",
        include_bytes!("../../../demo/mail/03-staff-in-to.eml"),
    ),
    (
        "personal message",
        "staff",
        include_bytes!("../../../demo/mail/04-personal.eml"),
    ),
    (
        "learner data to a venue",
        "staff",
        include_bytes!("../../../demo/mail/05-learner-data.eml"),
    ),
    (
        "reply to an enquiry",
        "staff",
        include_bytes!("../../../demo/mail/06-clean.eml"),
    ),
];

/// One demo request, parsed from `demo/web-requests.txt`.
struct DemoRequest<'a> {
    local_time: &'a str,
    user: &'a str,
    roles: Vec<String>,
    url: &'a str,
}

fn demo_requests() -> anyhow::Result<Vec<DemoRequest<'static>>> {
    DEMO_WEB
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(n, line)| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [local_time, user, roles, url] = fields[..] else {
                anyhow::bail!("demo data line {}: expected time, user, roles, URL", n + 1);
            };
            Ok(DemoRequest {
                local_time,
                user,
                roles: roles.split(',').map(str::to_string).collect(),
                url,
            })
        })
        .collect()
}

/// Runs the day.
pub fn run(args: &DemoArgs) -> CmdResult {
    let pack = demo_pack()?;
    let engine = Engine::new(pack);
    let web = decide_web_day(&engine)?;
    let mail = decide_mail_day(&engine)?;
    let records: Vec<NewRecord> = web
        .iter()
        .map(|(r, d, at)| {
            NewRecord::from_decision(
                *at,
                Some(r.user.to_string()),
                Source::Web,
                r.url.to_string(),
                None,
                d,
            )
        })
        .chain(mail.iter().map(|m| {
            NewRecord::from_decision(
                m.at,
                m.user.clone(),
                Source::Mail,
                m.headers.clone(),
                None,
                &m.decision,
            )
        }))
        .collect();
    let stored = store_records(&args.store, &records)?;
    if args.json {
        for (request, decision, _) in &web {
            let line = serde_json::json!({
                "at": request.local_time, "user": request.user, "url": request.url, "decision": decision,
            });
            println!("{line}");
        }
        for m in &mail {
            let line =
                serde_json::json!({"mail": m.name, "headers": m.headers, "decision": m.decision});
            println!("{line}");
        }
        return Ok(Outcome::Success);
    }
    print_table(&engine, &web);
    print_mail(&mail);
    println!(
        "\nStored {} monitoring records in {} ({} in all); the audit chain ({} {}) is intact.",
        records.len(),
        args.store,
        stored.total,
        stored.audit_rows,
        if stored.audit_rows == 1 {
            "row"
        } else {
            "rows"
        }
    );
    Ok(Outcome::Success)
}

fn decide_web_day(
    engine: &Engine,
) -> anyhow::Result<Vec<(DemoRequest<'static>, Decision, jiff::Timestamp)>> {
    let source = Builtin::new();
    demo_requests()?
        .into_iter()
        .map(|request| {
            let at = parse_at(Some(request.local_time), engine.pack().windows.time_zone())?;
            let ctx = Context::new(Some(request.user.to_string()), request.roles.clone(), at);
            let decision = engine.decide_web(&ctx, &WebRequest::new(request.url), &source);
            Ok((request, decision, at))
        })
        .collect()
}

/// One demo message and what the engine made of it.
struct DecidedMail {
    name: &'static str,
    user: Option<String>,
    /// From, To and Subject: all a record keeps of a personal message.
    headers: String,
    at: jiff::Timestamp,
    decision: Decision,
}

fn decide_mail_day(engine: &Engine) -> anyhow::Result<Vec<DecidedMail>> {
    DEMO_MAIL
        .iter()
        .map(|(name, roles, raw)| {
            let parsed = mail_parser::MessageParser::default()
                .parse_headers(*raw)
                .with_context(|| format!("demo message `{name}` does not parse"))?;
            let header = |h: Option<&mail_parser::Address<'_>>| {
                h.and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_string()
            };
            let from = header(parsed.from());
            let headers = format!(
                "From: {from}; To: {}; Subject: {}",
                header(parsed.to()),
                parsed.subject().unwrap_or_default()
            );
            let at = parsed
                .date()
                .and_then(|d| jiff::Timestamp::from_second(d.to_timestamp()).ok())
                .context("demo message without a date")?;
            let internal = engine
                .pack()
                .mail
                .internal_domains
                .iter()
                .any(|d| from.ends_with(&format!("@{d}")));
            let user = internal.then(|| from.clone());
            let ctx = Context::new(user.clone(), vec![roles.to_string()], at);
            let envelope = Envelope::default();
            let decision = engine.decide_mail(&ctx, &MailInput::new(raw, &envelope));
            Ok(DecidedMail {
                name,
                user,
                headers,
                at,
                decision,
            })
        })
        .collect()
}

/// What the store holds after the demo wrote to it.
struct Stored {
    total: i64,
    audit_rows: i64,
}

fn store_records(url: &str, records: &[NewRecord]) -> anyhow::Result<Stored> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(url)
            .await
            .with_context(|| format!("cannot open the store `{url}`"))?;
        store
            .write_records(&Actor::System("demo".into()), records)
            .await
            .context("cannot write the demo records")?;
        let total = store.count_records().await?;
        let report = store.audit_verify().await?;
        store.close().await;
        anyhow::ensure!(
            report.ok(),
            "the audit chain of `{url}` is broken: {:?}",
            report.problems
        );
        Ok(Stored {
            total,
            audit_rows: report.rows,
        })
    })
}

fn print_mail(mail: &[DecidedMail]) {
    println!("\nThe same day's mail, decided by the milter's engine:\n");
    println!("{:<28} {:<7} finding", "message", "verdict");
    for m in mail {
        let finding = m
            .decision
            .deciding()
            .map_or(String::new(), |f| format!("{} ({})", f.rule, f.check));
        let privacy = if m.decision.privacy == charter_engine::Privacy::HeadersOnly {
            "  [personal: headers only]"
        } else {
            ""
        };
        println!(
            "{:<28} {:<7} {finding}{privacy}",
            m.name,
            m.decision.verdict.as_str()
        );
    }
}

fn print_table(engine: &Engine, decided: &[(DemoRequest<'_>, Decision, jiff::Timestamp)]) {
    let pack = engine.pack();
    println!(
        "Charter demo: {} under \"{}\"",
        pack.organisation.name, pack.meta.title
    );
    println!("A working day of web requests, decided by the policy pack (policies/demo.toml).\n");
    println!(
        "{:<6} {:<12} {:<6} {:<44} rule",
        "time", "user", "verdict", "url"
    );
    let mut by_verdict: BTreeMap<Verdict, usize> = BTreeMap::new();
    let mut alerts: BTreeMap<String, usize> = BTreeMap::new();
    for (request, decision, _) in decided {
        *by_verdict.entry(decision.verdict).or_default() += 1;
        let rule = decision.deciding().map_or("", |f| f.rule.as_str());
        let time = request.local_time.get(11..16).unwrap_or(request.local_time);
        println!(
            "{time:<6} {:<12} {:<7} {:<44} {rule}",
            request.user,
            decision.verdict.as_str(),
            truncate(request.url, 44)
        );
        for finding in &decision.findings {
            for role in pack
                .rule(&finding.rule)
                .map(|r| r.alert.as_slice())
                .unwrap_or_default()
            {
                *alerts.entry(role.clone()).or_default() += 1;
            }
        }
    }
    let verdicts: Vec<String> = Verdict::ALL
        .iter()
        .map(|v| format!("{} {v}", by_verdict.get(v).copied().unwrap_or(0)))
        .collect();
    println!("\n{} requests: {}", decided.len(), verdicts.join(", "));
    if !alerts.is_empty() {
        let alerts: Vec<String> = alerts
            .iter()
            .map(|(role, n)| format!("{n} to {role}"))
            .collect();
        println!("Alerts raised: {}", alerts.join(", "));
    }
    let first_block = decided
        .iter()
        .find(|(_, d, _)| d.verdict == Verdict::Block)
        .and_then(|(request, decision, _)| Some((request, decision.deciding()?)));
    if let Some((request, finding)) = first_block {
        println!(
            "\nWhy {} was blocked: rule `{}` ({}), {}.\n  Clause: {}",
            request.url, finding.rule, finding.severity, finding.message, finding.clause
        );
        if let Some(quote) = pack.rule(&finding.rule).and_then(|r| r.quote.as_deref()) {
            println!("  The policy says: \"{quote}\"");
        }
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let cut: String = text.chars().take(width - 1).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_parses() {
        let requests = demo_requests().unwrap();
        assert!(requests.len() >= 15);
        assert!(
            requests
                .iter()
                .any(|r| r.roles.contains(&"social_media_manager".to_string()))
        );
    }

    #[test]
    fn demo_pack_loads() {
        demo_pack().unwrap();
    }

    #[test]
    fn truncate_keeps_short_text() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
