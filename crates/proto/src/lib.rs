//! Charter's wire formats without I/O: each codec is fed bytes and returns frames or errors,
//! so the async loops in `charter-gateways` only read, feed, write and enforce timeouts.
#![deny(missing_docs)]

pub mod body;
pub mod hex;
pub mod icap;
pub mod leases;
pub mod logs;
pub mod milter;
pub mod percent;
pub mod postfix_policy;
pub mod squid;
