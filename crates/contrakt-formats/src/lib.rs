//! contrakt-formats: producer-schema front ends. Each reads one schema language (ODCS, JSON
//! Schema, Avro, Protobuf, SQL DDL, Parquet and Arrow IPC) into the canonical
//! [`contrakt_core::ir::Schema`], so the breaking-change diff compares any two of them.
//!
//! Every front end sets the schema's [`RecordModel`](contrakt_core::ir::RecordModel) and
//! `qualified_paths`, a `pointer` on every field (a JSON pointer into JSON inputs; a path such as
//! `/messages/Order/fields/2` or `/tables/orders/columns/3` otherwise) and a byte `span` into the
//! source text wherever the parser reports positions. Format-specific facts that change verdicts
//! and have no IR field yet ride in `Field.metadata`; the keys are listed in [`metadata`].
//!
//! Nothing here panics on bad input: every problem is an [`Error`] naming the file and, where
//! the parser knows it, the line and column.

pub mod arrow;
mod avro;
mod detect;
mod error;
mod jsonschema;
mod odcs;
mod protobuf;
mod spans;
mod sql;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use contrakt_core::ir::Schema;

pub use avro::Prim as AvroPrimitive;
pub use detect::detect;
pub use error::Error;
pub use sql::{DatabricksSql, load_sql, sql_dialect};

/// The metadata keys front ends write into `Field.metadata`.
pub mod metadata {
    /// SQL type as written (`varchar(16)`), as the ODCS lowering does for `physicalType`.
    pub const PHYSICAL_TYPE: &str = "physicalType";
    /// Protobuf: the `oneof` a field belongs to (synthetic `optional` oneofs excluded).
    pub const ONEOF: &str = "oneof";
    /// SQL: the `CHECK` expression(s) on a column, joined with ` AND `.
    pub const CHECK: &str = "check";
    /// SQL: `REFERENCES table(column)` of a single-column foreign key.
    pub const REFERENCES: &str = "references";
    /// SQL: the expression of a generated column.
    pub const GENERATED: &str = "generated";
    /// Avro: full name of the named type (record, enum, fixed) of this field.
    pub const AVRO_NAME: &str = "avro.name";
    /// Avro: aliases of that named type, comma-separated full names.
    pub const AVRO_ALIASES: &str = "avro.aliases";
    /// Avro: the `logicalType` attribute as written (also when Avro ignores it).
    pub const AVRO_LOGICAL_TYPE: &str = "avro.logicalType";
    /// `"true"` on a field whose type refers back to an enclosing type (Avro, Protobuf); its
    /// type is `DataType::Unknown("ref:<full name>")` instead of an infinite expansion.
    pub const RECURSIVE: &str = "recursive";
}

/// A producer-schema language contrakt reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Odcs,
    JsonSchema,
    Avro,
    Protobuf,
    SqlDdl,
    /// The schema in a Parquet file's footer.
    Parquet,
    /// The schema of an Arrow IPC file or stream.
    Arrow,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Odcs,
        Format::JsonSchema,
        Format::Avro,
        Format::Protobuf,
        Format::SqlDdl,
        Format::Parquet,
        Format::Arrow,
    ];

    /// The name used on the command line and in messages: `odcs`, `jsonschema`, `avro`,
    /// `protobuf`, `sql`.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Odcs => "odcs",
            Format::JsonSchema => "jsonschema",
            Format::Avro => "avro",
            Format::Protobuf => "protobuf",
            Format::SqlDdl => "sql",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
        }
    }

    /// Reads a format name, case-insensitively (`proto` and `json-schema` are accepted too).
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "odcs" => Some(Format::Odcs),
            "jsonschema" | "json-schema" => Some(Format::JsonSchema),
            "avro" | "avsc" => Some(Format::Avro),
            "protobuf" | "proto" => Some(Format::Protobuf),
            "sql" | "ddl" => Some(Format::SqlDdl),
            "parquet" | "pq" => Some(Format::Parquet),
            "arrow" | "ipc" | "feather" => Some(Format::Arrow),
            _ => None,
        }
    }

    /// The name people write in prose: `Avro`, `SQL DDL`, …
    pub fn label(&self) -> &'static str {
        match self {
            Format::Odcs => "ODCS",
            Format::JsonSchema => "JSON Schema",
            Format::Avro => "Avro",
            Format::Protobuf => "Protobuf",
            Format::SqlDdl => "SQL DDL",
            Format::Parquet => "Parquet",
            Format::Arrow => "Arrow IPC",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads a schema file and lowers it into the IR. With `format: None` the format comes from
/// [`detect`]. Protobuf imports resolve from the file's folder (and the well-known
/// `google/protobuf/*.proto` files, which are built in).
pub fn load(path: &Path, format: Option<Format>) -> Result<Schema, Error> {
    // Binary formats first: their files are not text.
    match format.or_else(|| if format.is_none() { arrow::sniff(path) } else { None }) {
        Some(Format::Parquet) => return arrow::load_parquet(path),
        Some(Format::Arrow) => return arrow::load_arrow(path),
        _ => {}
    }
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let format = match format {
        Some(f) => f,
        None => match detect(path, &text) {
            Some(f) => f,
            // Too deep to parse is not an unknown format: say where it is too deep.
            None => {
                return Err(nesting_error(&path.display().to_string(), &text)
                    .unwrap_or(Error::UnknownFormat { path: path.to_path_buf() }));
            }
        },
    };
    let name = path.display().to_string();
    match format {
        Format::Protobuf => {
            let folder = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            protobuf::load(&name, &text, Some(folder))
        }
        other => load_str(&name, &text, other),
    }
}

/// Lowers schema text (for tests and the Python binding). `name` is the display name used in
/// errors and as `Schema.source`. Protobuf text can import only the well-known
/// `google/protobuf/*.proto` files here; use [`load`] for imports from a folder.
pub fn load_str(name: &str, text: &str, format: Format) -> Result<Schema, Error> {
    if matches!(format, Format::JsonSchema | Format::Avro)
        && let Some(e) = nesting_error(name, text)
    {
        return Err(e);
    }
    match format {
        Format::Odcs => odcs::load(name, text),
        Format::JsonSchema => jsonschema::load(name, text),
        Format::Avro => avro::load(name, text),
        Format::Protobuf => protobuf::load(name, text, None),
        Format::SqlDdl => sql::load_sql(name, text, None),
        Format::Parquet | Format::Arrow => Err(Error::Unsupported {
            format,
            file: name.to_string(),
            line: None,
            column: None,
            message: "a binary file: read it with `load` from its path".into(),
        }),
    }
}

/// [`Error::TooDeep`] when `text` nests too deep to be read (JSON brackets past 127 levels, or
/// YAML past the document parser's bound), with the place; `None` otherwise. Callers that
/// detect the format themselves use it to tell "too deep" from "unknown format".
pub fn nesting_error(name: &str, text: &str) -> Option<Error> {
    let file = contrakt_core::SourceFile::new(name, text);
    if let Some(at) = spans::json_too_deep(text) {
        return Some(Error::too_deep(&file, at, spans::MAX_JSON_NESTING));
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return None;
    }
    match contrakt_core::document::Document::parse(Arc::clone(&file)) {
        Err(contrakt_core::Error::Input(e)) if e.kind == contrakt_core::InputErrorKind::TooDeep => {
            let limit = contrakt_core::document::Limits::default().max_depth;
            Some(Error::too_deep(&file, e.span.map_or(0, |s| s.start as usize), limit))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
