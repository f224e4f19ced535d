//! Charter's decision engine: a pure function `Policy × Context × Event → Decision`.
//!
//! [`Engine`] holds a validated [`charter_policy::Pack`]. Each kind of event has one entry
//! point that takes everything it needs as arguments and returns a [`Decision`]: the engine
//! reads no clock, does no DNS and opens no database, so the same event always gets the same
//! answer, from the CLI, the Squid helper, ICAP or the milter.
//!
//! ```
//! use charter_engine::{Context, Engine, web::{Builtin, WebRequest}};
//! let pack = charter_policy::parse(r#"
//! [policy]
//! id = "x"
//! title = "x"
//! source = "x"
//! [organisation]
//! name = "X Ltd"
//! [[rule]]
//! id = "no-gambling"
//! clause = "5"
//! quote = "No gambling."
//! on = "web"
//! categories = ["gambling"]
//! action = "block"
//! severity = "gross_misconduct"
//! "#, "x.toml").unwrap();
//! let engine = Engine::new(pack);
//! let ctx = Context::new(None, vec![], "2026-06-15T09:00:00Z".parse().unwrap());
//! let decision = engine.decide_web(&ctx, &WebRequest::new("https://www.bet365.com/"), &Builtin::new());
//! assert_eq!(decision.verdict, charter_policy::Verdict::Block);
//! ```
#![deny(missing_docs)]

pub mod activity;
mod context;
mod decision;
mod engine;
pub mod mail;
pub mod text;
pub mod usage;
pub mod web;

pub use context::{Context, Pass, PassKind};
pub use decision::{Decision, Finding, ModelScore, Privacy};
pub use engine::Engine;
