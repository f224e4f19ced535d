//! Ingest: log files and syslog turned into monitoring records. A parser of
//! `charter_proto::logs` reads each line into a [`LogEvent`](charter_proto::logs::LogEvent);
//! [`Decider`] decides it (web requests as the gateways do, the rest through
//! [`App::decide_event`](crate::App::decide_event)) and makes its record; [`run`] writes the
//! records through the store's record path with the file's position in the same
//! transaction, so that a restart neither loses nor repeats a line.

mod config;
mod decide;
pub mod file;
mod parse;
pub mod run;

pub use config::{FileSource, IngestConfig, this_host};
pub use decide::{Decided, Decider, Facts, decide_activity, subject_of, system_name};
pub use parse::{Format, LineParser, ZoneClock};
pub use run::{BadLine, FileReport, IngestError, Options, ingest_files};
