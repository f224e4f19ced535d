//! `charter demo`: Charter's main job on the embedded default — the demo pack and a day of
//! demo traffic decided by the engine, with the findings an officer would see.

use std::collections::BTreeMap;

use anyhow::Context as _;
use clap::Args;

use charter_engine::web::{Builtin, WebRequest};
use charter_engine::{Context, Decision, Engine};
use charter_policy::Verdict;

use crate::cmd::check::parse_at;
use crate::exit::{CmdResult, Outcome};

/// The demo pack, as shipped in `policies/demo.toml`.
const DEMO_PACK: &str = include_str!("../../../../policies/demo.toml");
/// A working day of web requests at the demo organisation.
const DEMO_WEB: &str = include_str!("../../demo/web-requests.txt");

/// `charter demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Print every decision as JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

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

/// Runs the demo.
pub fn run(args: &DemoArgs) -> CmdResult {
    let pack = charter_policy::parse(DEMO_PACK, "policies/demo.toml")
        .context("the embedded demo pack does not load")?;
    let engine = Engine::new(pack);
    let source = Builtin::new();
    let mut decided: Vec<(DemoRequest<'static>, Decision)> = Vec::new();
    for request in demo_requests()? {
        let at = parse_at(Some(request.local_time), engine.pack().windows.time_zone())?;
        let ctx = Context::new(Some(request.user.to_string()), request.roles.clone(), at);
        let decision = engine.decide_web(&ctx, &WebRequest::new(request.url), &source);
        decided.push((request, decision));
    }
    if args.json {
        for (request, decision) in &decided {
            let line = serde_json::json!({
                "at": request.local_time, "user": request.user, "url": request.url, "decision": decision,
            });
            println!("{line}");
        }
        return Ok(Outcome::Success);
    }
    print_table(&engine, &decided);
    Ok(Outcome::Success)
}

fn print_table(engine: &Engine, decided: &[(DemoRequest<'_>, Decision)]) {
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
    for (request, decision) in decided {
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
    if let Some((request, decision)) = decided.iter().find(|(_, d)| d.verdict == Verdict::Block) {
        if let Some(finding) = decision.deciding() {
            println!(
                "\nWhy {} was blocked: rule `{}` ({}), {}.\n  Clause: {}",
                request.url, finding.rule, finding.severity, finding.message, finding.clause
            );
            if let Some(quote) = pack.rule(&finding.rule).and_then(|r| r.quote.as_deref()) {
                println!("  The policy says: \"{quote}\"");
            }
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
        charter_policy::parse(DEMO_PACK, "policies/demo.toml").unwrap();
    }

    #[test]
    fn truncate_keeps_short_text() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
