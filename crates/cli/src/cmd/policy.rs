//! `charter policy lint|show`.

use clap::Subcommand;

use crate::exit::CmdResult;

/// `charter policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {}

impl PolicyCommand {
    pub fn run(self) -> CmdResult {
        match self {}
    }
}
