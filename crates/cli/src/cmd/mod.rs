//! One module per top-level command.

pub mod check;
pub mod demo;
pub mod policy;
pub mod categories;
pub mod squid_helper;
pub mod mail;
pub mod serve;
pub mod audit;
pub mod cases;
pub mod dsar;
pub mod records;
pub mod register;
pub mod storectx;
