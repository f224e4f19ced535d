//! Renders Charter's monthly compliance report ([`charter_app::report::MonthlyReport`]) as
//! HTML and as PDF, with bar charts as hand-written SVG. Kept out of `charter-app` so that
//! Typst is compiled once and the app's edit-test loop never rebuilds it.
//!
//! ```no_run
//! # fn demo(report: &charter_app::report::MonthlyReport) -> Result<(), charter_report::PdfError> {
//! let page = charter_report::html(report);
//! let pdf = charter_report::pdf(report)?;
//! assert!(page.starts_with("<!DOCTYPE html>") && pdf.starts_with(b"%PDF"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod html;
mod pdf;
mod svg;

pub use html::html;
pub use pdf::{PdfError, pdf};
pub use svg::bar_chart;
