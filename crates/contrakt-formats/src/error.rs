//! The one error type of `contrakt-formats`.

use std::path::PathBuf;
use std::sync::Arc;

use contrakt_core::{SourceFile, Span};

use crate::Format;

/// Why a schema could not be read. Every variant names the file; syntax and schema errors carry
/// the 1-based line and column where the parser reports one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Neither the file name nor the content tells which format this is.
    #[error(
        "{}: cannot tell the schema format: expected .avsc (Avro), .proto (Protobuf), .sql/.ddl (SQL DDL), \
         an ODCS contract (kind: DataContract) or a JSON Schema (\"$schema\", \"properties\"); pass the format explicitly",
        path.display()
    )]
    UnknownFormat { path: PathBuf },
    /// The text does not parse in the format (bad JSON, a Protobuf or SQL syntax error).
    #[error("{}: {} syntax error: {message}", at(file, *line, *column), format.label())]
    Syntax { format: Format, file: String, line: Option<usize>, column: Option<usize>, message: String },
    /// The text parses but is not a valid schema (unknown type name, duplicate field, …).
    #[error("{}: invalid {} schema: {message}", at(file, *line, *column), format.label())]
    Invalid { format: Format, file: String, line: Option<usize>, column: Option<usize>, message: String },
    /// A valid schema that contrakt cannot represent (yet).
    #[error("{}: unsupported {} schema: {message}", at(file, *line, *column), format.label())]
    Unsupported { format: Format, file: String, line: Option<usize>, column: Option<usize>, message: String },
    /// Brackets nest deeper than contrakt reads: refused before any recursive parser runs.
    #[error("{}: nesting is deeper than {limit} levels; contrakt refuses schemas this deep", at(file, Some(*line), Some(*column)))]
    TooDeep { file: String, line: usize, column: usize, limit: usize },
    /// The front end for this format is not written yet.
    #[error(
        "{file}: reading {} schemas is not implemented yet (it is planned as a separate piece of work); \
         convert the schema to ODCS, Avro, Protobuf or SQL DDL for now",
        format.label()
    )]
    NotImplemented { format: Format, file: String },
}

fn at(file: &str, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    }
}

/// Which kind of located error to build.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Syntax,
    Invalid,
    Unsupported,
}

impl Error {
    /// An error at a span of a source file (`None` or [`Span::NONE`]: the whole file).
    pub(crate) fn at_span(
        kind: Kind,
        format: Format,
        file: &Arc<SourceFile>,
        span: Option<Span>,
        message: impl Into<String>,
    ) -> Error {
        let loc = span.filter(|s| !s.is_none()).map(|s| file.location(s.start as usize));
        Error::at_line(kind, format, file.name(), loc.map(|l| l.line), loc.map(|l| l.column), message)
    }

    /// Nesting past `limit` at byte `offset` of `file`.
    pub(crate) fn too_deep(file: &SourceFile, offset: usize, limit: usize) -> Error {
        let loc = file.location(offset);
        Error::TooDeep { file: file.name().to_string(), line: loc.line, column: loc.column, limit }
    }

    pub(crate) fn at_line(
        kind: Kind,
        format: Format,
        file: &str,
        line: Option<usize>,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Error {
        let (file, message) = (file.to_string(), message.into());
        match kind {
            Kind::Syntax => Error::Syntax { format, file, line, column, message },
            Kind::Invalid => Error::Invalid { format, file, line, column, message },
            Kind::Unsupported => Error::Unsupported { format, file, line, column, message },
        }
    }

    /// The file the error is about (a path as given, or the name handed to `load_str`).
    pub fn file(&self) -> String {
        match self {
            Error::Io { path, .. } | Error::UnknownFormat { path } => path.display().to_string(),
            Error::Syntax { file, .. }
            | Error::Invalid { file, .. }
            | Error::Unsupported { file, .. }
            | Error::TooDeep { file, .. }
            | Error::NotImplemented { file, .. } => file.clone(),
        }
    }

    /// 1-based line and column, when known.
    pub fn location(&self) -> Option<(usize, Option<usize>)> {
        match self {
            Error::Syntax { line: Some(l), column, .. }
            | Error::Invalid { line: Some(l), column, .. }
            | Error::Unsupported { line: Some(l), column, .. } => Some((*l, *column)),
            Error::TooDeep { line, column, .. } => Some((*line, Some(*column))),
            _ => None,
        }
    }

    /// The message without the file and location prefix.
    pub fn message(&self) -> String {
        match self {
            Error::Syntax { message, .. } | Error::Invalid { message, .. } | Error::Unsupported { message, .. } => {
                message.clone()
            }
            Error::TooDeep { limit, .. } => {
                format!("nesting is deeper than {limit} levels; contrakt refuses schemas this deep")
            }
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_stay_small_and_messages_carry_the_place() {
        assert!(std::mem::size_of::<Error>() <= 128, "{}", std::mem::size_of::<Error>());
        let e = Error::at_line(Kind::Invalid, Format::Avro, "a.avsc", Some(3), Some(7), "unknown type `Foo`");
        assert_eq!(e.to_string(), "a.avsc:3:7: invalid Avro schema: unknown type `Foo`");
        assert_eq!(e.location(), Some((3, Some(7))));
        let e = Error::NotImplemented { format: Format::JsonSchema, file: "s.json".into() };
        assert!(e.to_string().starts_with("s.json: reading JSON Schema schemas is not implemented yet"));
    }
}
