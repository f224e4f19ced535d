//! placeholder
pub mod milter;
pub mod postfix_policy;
pub mod squid;
pub mod icap;
