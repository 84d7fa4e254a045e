//! Errors that stop a run (or one object of it). Failed checks are results, not errors.

use contrakt_core::redact;
use datafusion::error::DataFusionError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nowhere to read an object's data from.
    #[error("no data for object `{object}`: {hint}")]
    NoData { object: String, hint: String },
    /// `--data NAME=…` or `--object NAME` names no object of the contract.
    #[error("the contract has no schema object `{object}` (it has: {known})")]
    UnknownObject { object: String, known: String },
    /// The data exists in name only: unreadable files, an unreachable store, no files at all.
    /// Shown masked whatever the constructor did ([`contrakt_core::redact`]).
    #[error(
        "cannot read the data of `{object}` at {}: {}",
        redact::redact_location(.location),
        redact::redact_text(.message, &[])
    )]
    Source { object: String, location: String, message: String },
    /// The contract's server names an S3 `endpointUrl` the operator has not allowed: requests to
    /// it would carry this job's AWS credentials. `allow` is what to add to the allow-list.
    #[error(
        "cannot read the data of `{object}`: the contract's server names endpointUrl {endpoint}, and contrakt does not send this job's AWS credentials to an endpoint chosen by a contract. Set AWS_ENDPOINT_URL, or allow it with {}={allow} (a comma-separated list of endpoint URLs or hosts, or *)",
        crate::ALLOW_ENDPOINTS_ENV
    )]
    EndpointNotAllowed { object: String, endpoint: String, allow: String },
    /// The contract's server names an http(s) URL on a host the operator has not allowed: a
    /// contract could otherwise make this job fetch an internal address (a cloud metadata
    /// service's credentials) and print the response in failing-row samples.
    #[error(
        "cannot read the data of `{object}`: the contract's server names {url}, and contrakt fetches an http(s) URL chosen by a contract only from a host the operator allows (it could otherwise reach internal or cloud-metadata addresses). Give the URL with --data, or allow it with {}={allow} (a comma-separated list of URLs or hosts, or *)",
        crate::ALLOW_ENDPOINTS_ENV
    )]
    UrlNotAllowed { object: String, url: String, allow: String },
    /// The contract's server names a local path outside the folders a contract may read: a
    /// contract could otherwise name any file the job can read (`~/.aws/credentials` as CSV)
    /// and have its lines printed as failing-row samples.
    #[error(
        "cannot read the data of `{}`: the contract's server names {}, which is outside the repository and the working folder ({}); contrakt reads no file a contract names elsewhere, since its failing-row samples would print it. Give the data with --data, or allow the folder with {}={} (a comma-separated list of folders, or *)",
        .0.object, .0.path, .0.roots, crate::ALLOW_PATHS_ENV, .0.allow
    )]
    PathNotAllowed(Box<PathRefusal>),
    /// A bad option value (`--now`, `--where`, `--partition`).
    #[error("{0}")]
    Usage(String),
    /// The warehouse of `--server` cannot be reached or refuses a statement.
    #[error("warehouse `{server}`: {message}")]
    Warehouse { server: String, message: String },
    /// The Ballista cluster of `--engine` cannot be reached or cannot run the checks.
    #[error("Ballista cluster {engine}: {message}")]
    Cluster { engine: String, message: String },
    /// A commit to a table was not made: it changed since it was read (`conflict`: another
    /// writer committed first), or its metadata could not be written. Nothing was committed.
    #[error("table {table}: {message}")]
    TableCommit { table: String, message: String, conflict: bool },
    /// A failure inside the query engine that is not the user's data or rules.
    #[error("query engine error: {0}")]
    Engine(Box<DataFusionError>),
    #[error("internal error: {0} (please report this at https://github.com/contrakt/contrakt/issues)")]
    Internal(String),
}

impl Error {
    pub fn source_error(object: &str, location: &str, e: &DataFusionError) -> Error {
        let secrets = redact::url_secrets(location);
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        Error::Source {
            object: object.to_string(),
            location: redact::redact_location(location),
            message: redact::redact_text(&explain(e), &secrets),
        }
    }
}

impl From<DataFusionError> for Error {
    fn from(e: DataFusionError) -> Self {
        Error::Engine(Box::new(e))
    }
}

/// A DataFusion error as one line for people: the root cause without the layers of context
/// DataFusion wraps around it, and without backtraces.
pub fn explain(e: &DataFusionError) -> String {
    let root = e.find_root();
    let text = match root {
        DataFusionError::ArrowError(inner, _) => inner.to_string(),
        DataFusionError::ParquetError(inner) => format!("Parquet: {inner}"),
        DataFusionError::ObjectStore(inner) => format!("object store: {inner}"),
        DataFusionError::IoError(inner) => inner.to_string(),
        DataFusionError::SQL(inner, _) => format!("SQL: {inner}"),
        DataFusionError::Plan(m) => m.clone(),
        DataFusionError::SchemaError(inner, _) => inner.to_string(),
        DataFusionError::Execution(m) => m.clone(),
        DataFusionError::ResourcesExhausted(m) => format!("out of resources: {m}"),
        DataFusionError::NotImplemented(m) => format!("not supported: {m}"),
        other => other.to_string(),
    };
    // DataFusion appends backtraces and hints on new lines; keep the first paragraph.
    text.split("\n\n").next().unwrap_or(&text).replace('\n', " ").trim().to_string()
}

/// What [`Error::PathNotAllowed`] says: the object, the path as the contract wrote it, the
/// folders a contract may read, and the folder to allow.
#[derive(Debug)]
pub struct PathRefusal {
    pub object: String,
    pub path: String,
    pub roots: String,
    pub allow: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_stay_small() {
        assert!(std::mem::size_of::<Error>() <= 80, "{}", std::mem::size_of::<Error>());
    }

    #[test]
    fn explain_unwraps_context() {
        let e = DataFusionError::Context("reading".into(), Box::new(DataFusionError::Plan("no such column".into())));
        assert_eq!(explain(&e), "no such column");
    }
}
