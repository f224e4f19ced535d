//! One module per top-level command.

pub mod check;
pub mod demo;
pub mod policy;
pub mod categories;
pub mod squid_helper;
pub mod mail;
pub mod serve;
