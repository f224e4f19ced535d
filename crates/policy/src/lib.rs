//! Charter policy packs: the TOML model of an organisation's written IT policy.
//!
//! A pack goes through three steps, like ripgrep's arguments: the TOML as written
//! ([`raw`], serde structs that refuse unknown keys), the validated [`Pack`] (every word
//! known, every time parsed, every window resolved in the pack's time zone), and then the
//! engine's compiled form. Problems found on the way are [`Diagnostic`]s that name the file,
//! line and column. [`lint`] adds the checks a loader cannot make alone: unfilled template
//! placeholders, contradictions, overdue reviews and advice from current guidance.
//!
//! ```
//! let text = r#"
//! [policy]
//! id = "demo"
//! title = "Demo"
//! source = "demo"
//! [organisation]
//! name = "Demo Ltd"
//! [hours]
//! working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
//! breaks = [{ from = "12:30", to = "13:30" }]
//! personal_use = ["breaks", "outside_working"]
//! [[rule]]
//! id = "gambling"
//! clause = "1.1"
//! quote = "No gambling."
//! on = "web"
//! categories = ["gambling"]
//! action = "block"
//! severity = "gross_misconduct"
//! "#;
//! let pack = charter_policy::parse(text, "demo.toml").unwrap();
//! assert_eq!(pack.rules[0].id, "gambling");
//! let monday_ten = "2026-06-15T09:00:00Z".parse().unwrap();
//! assert_eq!(pack.windows.contains("personal_use", monday_ten), Some(false));
//! ```
#![deny(missing_docs)]

mod diag;
pub mod feeds;
pub mod lint;
mod load;
mod pack;
#[doc(hidden)]
pub mod raw;
pub mod vocab;
pub mod window;

pub use diag::{Diagnostic, Level, Location};
pub use load::{LoadError, MAX_PACK_BYTES, load_file, parse, read_pack_text};
pub use pack::*;
pub use vocab::{
    Area, Category, CategorySet, Check, Direction, PhraseList, Severity, UPLOAD_CATEGORIES, Verdict,
};
