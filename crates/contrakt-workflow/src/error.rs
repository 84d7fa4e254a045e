//! The one error type of `contrakt-workflow`. Failed checks are not errors: they are results
//! ([`crate::Checked`]). `Err` means a workflow could not do its job.

use std::path::PathBuf;

use contrakt_core::Finding;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Registry files that cannot be read (contracts, consumers, `contrakt.yaml`), every one
    /// located in its file.
    #[error("{}", summary(.0))]
    Registry(Vec<Finding>),
    /// A file or folder named cannot be read (or does not exist).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The paths named hold no contract.
    #[error("no contracts found in {}", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NoContracts(Vec<PathBuf>),
    /// Options that do not fit together or cannot be read.
    #[error("{0}")]
    Usage(String),
    /// The checker could not run (no data, an unreachable engine, an unreadable file).
    #[error(transparent)]
    Check(Box<contrakt_check::Error>),
    /// Alerts could not be planned or their state not kept.
    #[error(transparent)]
    Alert(Box<contrakt_alert::Error>),
    /// A published folder or prefix cannot be read or written (a corrupt pointer, a staged
    /// folder holding links, a failed rollback).
    #[error(transparent)]
    Publish(Box<contrakt_publish::Error>),
    /// The history store cannot be opened, read or written.
    #[error(transparent)]
    History(Box<contrakt_history::Error>),
    /// A schema that cannot be imported, or a contract that cannot be exported (unreadable, or
    /// holding what the format cannot say): why.
    #[error("{0}")]
    Convert(String),
    /// The query runtime could not start.
    #[error("cannot start the query runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

impl Error {
    /// The error as findings to render like lint's, for the problems with input: located in
    /// their file where they have one. `Vec::new()` for the others.
    pub fn findings(&self) -> Vec<Finding> {
        match self {
            Error::Registry(findings) => findings.clone(),
            Error::Io { .. } => vec![Finding::fatal("E100", "io-error", self.to_string())],
            _ => Vec::new(),
        }
    }
}

impl From<contrakt_core::Error> for Error {
    fn from(e: contrakt_core::Error) -> Self {
        match e {
            contrakt_core::Error::Io { path, source } => Error::Io { path, source },
            other => Error::Registry(Finding::from_error(&other, None)),
        }
    }
}

impl From<contrakt_alert::Error> for Error {
    /// A registry file the alerts read is unusable: located like any other registry problem.
    fn from(e: contrakt_alert::Error) -> Self {
        match e {
            contrakt_alert::Error::Input(inner) => inner.into(),
            other => Error::Alert(Box::new(other)),
        }
    }
}

impl From<contrakt_check::Error> for Error {
    fn from(e: contrakt_check::Error) -> Self {
        Error::Check(Box::new(e))
    }
}

impl From<contrakt_history::Error> for Error {
    fn from(e: contrakt_history::Error) -> Self {
        Error::History(Box::new(e))
    }
}

impl From<contrakt_publish::Error> for Error {
    fn from(e: contrakt_publish::Error) -> Self {
        Error::Publish(Box::new(e))
    }
}

/// `file:line:column: message` per problem, one a line.
fn summary(findings: &[Finding]) -> String {
    let located = |f: &Finding| match (f.file_name(), f.location()) {
        (Some(file), Some(loc)) => format!("{file}:{}:{}: {}", loc.line, loc.column, f.message),
        (Some(file), None) => format!("{file}: {}", f.message),
        _ => f.message.clone(),
    };
    findings.iter().map(located).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn stays_small() {
        assert!(size_of::<super::Error>() <= 64, "{}", size_of::<super::Error>());
    }
}
