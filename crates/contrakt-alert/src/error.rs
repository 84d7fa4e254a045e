//! The one error type of `contrakt-alert`. Delivery failures are not errors: they are recorded
//! on the delivery and retried. `Err` means alerts could not be planned or the state not kept.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `alerts:` section or another registry file is unusable (located, rendered by the CLI).
    #[error(transparent)]
    Input(#[from] contrakt_core::Error),
    /// The check report could not be read as `contrakt check --format json` output.
    #[error("{path}: not a contrakt check report: {message}")]
    Report { path: String, message: String },
    /// The report names a contract the registry does not hold.
    #[error("the report is about contract `{0}`, which is not among the contracts given")]
    UnknownContract(String),
    /// The incident and outbox database.
    #[error("alert state {}: {source}", path.display())]
    State {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
