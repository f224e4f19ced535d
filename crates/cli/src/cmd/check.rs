//! `charter check url|mail`.

use clap::Subcommand;

use crate::exit::CmdResult;

/// `charter check ...`
#[derive(Debug, Subcommand)]
pub enum CheckCommand {}

impl CheckCommand {
    pub fn run(self) -> CmdResult {
        match self {}
    }
}
