//! The one error of the `casetrail` command line: what went wrong, by kind,
//! with the message the operator reads. `cli::exit` turns it into the
//! process's exit status and the `casetrail: ...` line, in one place.
//!
//! Messages hold identifiers, flags and reasons only, never personal data
//! (the commands never read any in clear).

use std::fmt::Display;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// A setting (flag, environment variable or `--config` line) that cannot
    /// be used: malformed, or a development secret in production.
    #[error("{0}")]
    Settings(String),
    /// Flags that do not make a command: a missing choice, a value out of range.
    #[error("{0}")]
    Usage(String),
    /// The database could not be created, migrated, reached or read.
    #[error("{0}")]
    Database(String),
    /// A file could not be read or written.
    #[error("{0}")]
    File(String),
    /// The command ran and found what it reports as a failure (a broken
    /// chain, refused rows, keys left to rotate); its report is printed.
    #[error("{0}")]
    Failed(String),
    /// The server could not start, or stopped on an error.
    #[error("{0}")]
    Server(String),
}

impl OperatorError {
    pub fn database(error: impl Display) -> Self {
        Self::Database(error.to_string())
    }

    /// The process's exit status. DESIGN.md's contract has one failure
    /// status (`verify`: 1 with a report), so every kind exits 1; a
    /// distinct status for a kind would be added here and nowhere else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Settings(_)
            | Self::Usage(_)
            | Self::Database(_)
            | Self::File(_)
            | Self::Failed(_)
            | Self::Server(_) => 1,
        }
    }
}

impl From<store::db::SetupError> for OperatorError {
    fn from(error: store::db::SetupError) -> Self {
        Self::database(error)
    }
}

impl From<store::StoreError> for OperatorError {
    fn from(error: store::StoreError) -> Self {
        Self::database(error)
    }
}

/// The audit commands (`cli/audit`, `cli/export_events`) report their
/// verdicts as text; an operator error among them is reported the same way.
impl From<OperatorError> for String {
    fn from(e: OperatorError) -> String {
        e.to_string()
    }
}
