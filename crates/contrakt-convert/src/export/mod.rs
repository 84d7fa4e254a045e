//! ODCS contract (as Schema IR) → another schema language.
//!
//! Each target writes what it can say exactly and lists the rest as warnings, so that
//! exporting, reading the output back through the front ends and diffing against the contract
//! shows nothing but those losses.

mod arrow;
mod avro;
mod jsonschema;
mod protobuf;
mod sql;

use std::fmt;

use contrakt_core::ir::{Object, Schema};

use crate::Error;

pub use sql::Dialect;

/// A language to export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// JSON Schema draft 2020-12, one schema per object.
    JsonSchema,
    /// An Avro record schema (`.avsc`), one per object.
    Avro,
    /// A proto3 file with one message per object.
    Protobuf,
    /// `CREATE TABLE` statements for every object.
    Sql(Dialect),
    /// An Arrow IPC file with the schema of one object and no rows (binary).
    Arrow,
}

impl Target {
    /// Reads `jsonschema`, `avro`, `protobuf`, `sql` (PostgreSQL) or `sql:postgres`,
    /// `sql:snowflake`, `sql:bigquery`, `sql:spark`.
    pub fn parse(s: &str) -> Option<Target> {
        let s = s.trim().to_ascii_lowercase();
        match s.split_once(':') {
            Some(("sql", d)) => Dialect::parse(d).map(Target::Sql),
            Some(_) => None,
            None => match s.as_str() {
                "jsonschema" | "json-schema" => Some(Target::JsonSchema),
                "avro" | "avsc" => Some(Target::Avro),
                "protobuf" | "proto" => Some(Target::Protobuf),
                "sql" => Some(Target::Sql(Dialect::Postgres)),
                "arrow" | "ipc" => Some(Target::Arrow),
                _ => None,
            },
        }
    }

    /// Single-schema languages export one object at a time.
    fn one_object(self) -> bool {
        matches!(self, Target::JsonSchema | Target::Avro | Target::Arrow)
    }

    /// Binary output (not for a terminal).
    pub fn is_binary(self) -> bool {
        self == Target::Arrow
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::JsonSchema => f.write_str("jsonschema"),
            Target::Avro => f.write_str("avro"),
            Target::Protobuf => f.write_str("protobuf"),
            Target::Sql(d) => write!(f, "sql:{}", d.name()),
            Target::Arrow => f.write_str("arrow"),
        }
    }
}

/// The exported file and what it could not say.
#[derive(Debug, Clone)]
pub struct Exported {
    /// UTF-8 text, except for [`Target::Arrow`].
    pub content: Vec<u8>,
    /// One line per loss, naming the path (`orders.order_id: primary key not expressible`).
    pub warnings: Vec<String>,
}

/// Exports the objects of a contract's schema (`object`: only that one; required for JSON
/// Schema and Avro when the contract has several). `package` names the Protobuf package.
pub fn export(schema: &Schema, target: Target, object: Option<&str>, package: &str) -> Result<Exported, Error> {
    let objects: Vec<&Object> =
        match object {
            Some(name) => vec![schema.object(name).ok_or_else(|| {
                Error::Object(format!("no schema object `{name}`; the contract has: {}", names(schema)))
            })?],
            None => schema.objects.iter().collect(),
        };
    if objects.is_empty() {
        return Err(Error::Object("the contract has no schema objects to export".into()));
    }
    if target.one_object() && objects.len() > 1 {
        return Err(Error::Object(format!(
            "{target} describes one object at a time; pick one with --object ({})",
            names(schema)
        )));
    }
    let mut warnings = Vec::new();
    if target != Target::JsonSchema {
        for o in &objects {
            for f in &o.fields {
                unsaid_widths(f, &format!("{}.{}", o.name, f.name), target, &mut warnings);
            }
        }
    }
    let content = match target {
        Target::JsonSchema => jsonschema::export(objects[0], &mut warnings).into_bytes(),
        Target::Avro => avro::export(objects[0], &mut warnings).into_bytes(),
        Target::Protobuf => protobuf::export(&objects, package, &mut warnings).into_bytes(),
        Target::Sql(dialect) => sql::export(&objects, dialect, &mut warnings).into_bytes(),
        Target::Arrow => arrow::export(objects[0], &mut warnings)?,
    };
    Ok(Exported { content, warnings })
}

impl Exported {
    /// The content as text (lossy for binary targets).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.content).into_owned()
    }
}

fn names(schema: &Schema) -> String {
    schema.objects.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// The warning for a field's facts a target has no place for.
fn lost(warnings: &mut Vec<String>, path: &str, what: &[&str], target: &str) {
    if !what.is_empty() {
        warnings.push(format!("{path}: {target} cannot say {}; left out", what.join(", ")));
    }
}

/// What a field says beyond its type that `target` does not keep: keys, uniqueness,
/// partitioning, classification, tags, quality rules.
fn metadata_losses(f: &contrakt_core::ir::Field, keys: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !keys && f.primary_key_position.is_some() {
        out.push("primary key");
    }
    if !keys && f.unique {
        out.push("unique");
    }
    if f.partition_position.is_some() {
        out.push("partitioning");
    }
    if f.classification.is_some() {
        out.push("classification");
    }
    if !f.quality.is_empty() {
        out.push("quality rules");
    }
    out
}

/// One warning per foreign key, on its column (single-column keys) or on the object.
fn foreign_keys_lost(o: &Object, target: &str, warnings: &mut Vec<String>) {
    for k in &o.foreign_keys {
        let at = match k.from.as_slice() {
            [one] => format!("{}.{one}", o.name),
            _ => o.name.clone(),
        };
        warnings.push(format!("{at}: {target} cannot say the foreign key to {}; left out", k.to.join(", ")));
    }
}

/// Value constraints a target's types cannot carry; `keeps_max_length`: the type says it
/// (`varchar(n)`).
fn constraint_losses(f: &contrakt_core::ir::Field, keeps_max_length: bool) -> Vec<&'static str> {
    let c = &f.constraints;
    [
        ("minLength", c.min_length.is_some()),
        ("maxLength", c.max_length.is_some() && !keeps_max_length),
        ("pattern", c.pattern.is_some()),
        ("format", c.format.is_some()),
        ("minimum", c.minimum.is_some()),
        ("maximum", c.maximum.is_some()),
        ("multipleOf", c.multiple_of.is_some()),
        ("item counts", c.min_items.is_some() || c.max_items.is_some()),
        ("uniqueItems", c.unique_items),
        ("the allowed values", c.enum_values.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect()
}

/// Every typed language needs a width the contract may leave unsaid (`integer`, `number`):
/// the export picks the widest, which reads back as a narrower type than "any width".
fn unsaid_widths(f: &contrakt_core::ir::Field, path: &str, target: Target, warnings: &mut Vec<String>) {
    use contrakt_core::ir::DataType;
    match &f.data_type {
        t @ (DataType::Int { bits: None, .. } | DataType::Float { bits: None }) => {
            warnings.push(format!("{path}: the contract does not say the width of this {t}; {target} gets the widest"));
        }
        DataType::Struct(children) => {
            for c in children {
                unsaid_widths(c, &format!("{path}.{}", c.name), target, warnings);
            }
        }
        DataType::List(item) => unsaid_widths(item, &format!("{path}[]"), target, warnings),
        DataType::Map { key, value } => {
            unsaid_widths(key, &format!("{path}{{}}"), target, warnings);
            unsaid_widths(value, &format!("{path}{{}}"), target, warnings);
        }
        _ => {}
    }
}
