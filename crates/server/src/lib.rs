//! Charter's HTTP face: for now the pages people see when the web policy warns them or holds
//! a site for authorisation (DESIGN section 7), and the dashboard's sign-in and API
//! ([`dashboard`]) on the same listener. Thin over
//! `charter-app`: every change is an app workflow.
//!
//! `charter serve` runs it when charter.toml has `[server]` ([`run`] is its
//! [`charter_app::serve::PagesRunner`]).
#![deny(missing_docs)]

pub mod dashboard;
mod html;
mod pages;

pub use pages::{State, router, run};
