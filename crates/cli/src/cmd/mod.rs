//! One module per top-level command.

pub mod activity;
pub mod alerts;
pub mod appctx;
pub mod approvals;
pub mod audit;
pub mod cases;
pub mod categories;
pub mod check;
pub mod demo;
pub mod dsar;
pub mod ingest;
pub mod mail;
pub mod policy;
pub mod records;
pub mod register;
pub mod report;
pub mod serve;
pub mod squid_helper;
pub mod squid_pages;
pub mod text;
pub mod users;
