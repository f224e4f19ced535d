//! Charter's gateways: the loops around the wire formats in `charter-proto`. Each gateway
//! reads, feeds its codec, asks the engine and writes; none makes a policy decision itself.
#![deny(missing_docs)]

mod budget;
pub mod icap;
pub mod identity;
mod listen;
pub mod milter;
mod net;
pub mod pass;
pub mod policy_service;
pub mod pool;
pub mod record;
pub mod squid_helper;
pub mod syslog;
pub mod web;
mod web_content;
