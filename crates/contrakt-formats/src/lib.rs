//! contrakt-formats: producer-schema front ends. Each reads one schema language (ODCS, Avro,
//! Protobuf, SQL DDL; JSON Schema, Parquet and Arrow later) into the canonical
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

mod avro;
mod detect;
mod error;
mod odcs;
mod protobuf;
mod spans;
mod sql;

use std::fmt;
use std::path::Path;

use contrakt_core::ir::Schema;

pub use detect::detect;
pub use error::Error;
pub use sql::load_sql;

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
    /// Protobuf: the declared type (`sint32`, `fixed64`, `pkg.Message`, `pkg.Enum`): the IR
    /// type loses the wire encoding, which decides Protobuf compatibility.
    pub const PROTO_TYPE: &str = "proto.type";
    /// Protobuf: a message or enum type's name relative to its package (`Order.Line`). Confluent
    /// compares message types by this name, so a package rename alone does not change them.
    pub const PROTO_LOCAL_TYPE: &str = "proto.local_type";
    /// Protobuf: `optional`, `required` or `repeated` when written.
    pub const PROTO_LABEL: &str = "proto.label";
    /// Protobuf: enum values with their numbers, `NAME=0,OTHER=1`.
    pub const PROTO_ENUM_VALUES: &str = "proto.enum_values";
}

/// A producer-schema language contrakt reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Odcs,
    JsonSchema,
    Avro,
    Protobuf,
    SqlDdl,
}

impl Format {
    pub const ALL: [Format; 5] = [Format::Odcs, Format::JsonSchema, Format::Avro, Format::Protobuf, Format::SqlDdl];

    /// The name used on the command line and in messages: `odcs`, `jsonschema`, `avro`,
    /// `protobuf`, `sql`.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Odcs => "odcs",
            Format::JsonSchema => "jsonschema",
            Format::Avro => "avro",
            Format::Protobuf => "protobuf",
            Format::SqlDdl => "sql",
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
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let format = match format {
        Some(f) => f,
        None => detect(path, &text).ok_or_else(|| Error::UnknownFormat { path: path.to_path_buf() })?,
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
    match format {
        Format::Odcs => odcs::load(name, text),
        Format::JsonSchema => Err(Error::NotImplemented { format, file: name.to_string() }),
        Format::Avro => avro::load(name, text),
        Format::Protobuf => protobuf::load(name, text, None),
        Format::SqlDdl => sql::load_sql(name, text, None),
    }
}

#[cfg(test)]
mod tests;
