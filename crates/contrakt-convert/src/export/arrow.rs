//! One object → an Arrow IPC file holding its schema and no rows.
//!
//! The inverse of the Arrow mapping in `contrakt_formats::arrow`, so the file reads back as the
//! same types: Arrow has widths, units, zones, nesting and nullability, and nothing else;
//! descriptions ride in field metadata (`description`), the rest is a loss.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType as Arrow, Field as ArrowField, Fields, Schema as ArrowSchema, TimeUnit as ArrowUnit};

use contrakt_core::ir::{DataType, Field, Object, TimeUnit};

use super::{constraint_losses, lost, metadata_losses};
use crate::Error;

pub(super) fn export(o: &Object, warnings: &mut Vec<String>) -> Result<Vec<u8>, Error> {
    let schema = schema(o, warnings);
    let write = || -> Result<Vec<u8>, arrow_schema::ArrowError> {
        let mut w = arrow_ipc::writer::FileWriter::try_new(Vec::new(), &schema)?;
        w.finish()?;
        w.into_inner()
    };
    write().map_err(|e| Error::Object(format!("{}: cannot write the Arrow file: {e}", o.name)))
}

/// The object's Arrow schema (what the file holds).
pub(super) fn schema(o: &Object, warnings: &mut Vec<String>) -> ArrowSchema {
    let fields: Vec<ArrowField> =
        o.fields.iter().map(|f| field(f, &format!("{}.{}", o.name, f.name), warnings)).collect();
    let mut metadata = HashMap::new();
    if let Some(d) = &o.description {
        metadata.insert("description".to_string(), d.clone());
    }
    if !o.primary_key.is_empty() {
        warnings.push(format!("{}: Arrow cannot say the primary key; left out", o.name));
    }
    super::foreign_keys_lost(o, "Arrow", warnings);
    ArrowSchema::new_with_metadata(fields, metadata)
}

fn field(f: &Field, path: &str, warnings: &mut Vec<String>) -> ArrowField {
    let mut losses = metadata_losses(f, false);
    losses.extend(constraint_losses(f, false));
    if f.default.is_some() {
        losses.push("a default");
    }
    lost(warnings, path, &losses, "Arrow");
    let mut out = ArrowField::new(f.name.clone(), arrow_type(f, path, warnings), f.nullable);
    let mut metadata = HashMap::new();
    if let Some(d) = &f.description {
        metadata.insert("description".to_string(), d.clone());
    }
    if f.data_type == DataType::Uuid {
        // Arrow's canonical extension type; readers without it see fixed-size binary.
        metadata.insert("ARROW:extension:name".to_string(), "arrow.uuid".to_string());
    }
    if !metadata.is_empty() {
        out = out.with_metadata(metadata);
    }
    out
}

fn unit(u: Option<TimeUnit>) -> ArrowUnit {
    match u {
        Some(TimeUnit::Second) => ArrowUnit::Second,
        Some(TimeUnit::Millisecond) => ArrowUnit::Millisecond,
        Some(TimeUnit::Nanosecond) => ArrowUnit::Nanosecond,
        // An unsaid unit becomes microseconds, the common default of engines.
        Some(TimeUnit::Microsecond) | None => ArrowUnit::Microsecond,
    }
}

fn arrow_type(f: &Field, path: &str, warnings: &mut Vec<String>) -> Arrow {
    let t = &f.data_type;
    match t {
        DataType::Null => Arrow::Null,
        DataType::Boolean => Arrow::Boolean,
        DataType::Int { bits, signed } => match (bits, signed) {
            (Some(8), true) => Arrow::Int8,
            (Some(16), true) => Arrow::Int16,
            (Some(32), true) => Arrow::Int32,
            (Some(64), true) => Arrow::Int64,
            (Some(8), false) => Arrow::UInt8,
            (Some(16), false) => Arrow::UInt16,
            (Some(32), false) => Arrow::UInt32,
            (Some(64), false) => Arrow::UInt64,
            (None, _) => {
                note(warnings, path, "an integer of unsaid width is written as Int64".into());
                Arrow::Int64
            }
            (Some(_), _) => {
                note(warnings, path, format!("Arrow has no {t}; written as Decimal128(38, 0)"));
                Arrow::Decimal128(38, 0)
            }
        },
        DataType::Float { bits: Some(16) } => Arrow::Float16,
        DataType::Float { bits: Some(32) } => Arrow::Float32,
        DataType::Float { .. } => Arrow::Float64,
        DataType::Decimal { precision, scale } => {
            let p = precision.unwrap_or_else(|| {
                note(warnings, path, "Arrow decimals need a precision; written as Decimal128(38, 9)".into());
                38
            });
            let s = if precision.is_some() { scale.unwrap_or(0) } else { 9 };
            if p > 38 { Arrow::Decimal256(p.min(76), s) } else { Arrow::Decimal128(p.max(1), s) }
        }
        DataType::String | DataType::Enum { .. } => Arrow::Utf8,
        DataType::Binary => Arrow::Binary,
        DataType::FixedBinary { size } => Arrow::FixedSizeBinary(i32::try_from(*size).unwrap_or(i32::MAX)),
        DataType::Uuid => {
            note(
                warnings,
                path,
                "Arrow's uuid is an extension type; readers without it see FixedSizeBinary(16)".into(),
            );
            Arrow::FixedSizeBinary(16)
        }
        DataType::Date => Arrow::Date32,
        DataType::Time { unit: u } => match unit(*u) {
            ArrowUnit::Second => Arrow::Time32(ArrowUnit::Second),
            ArrowUnit::Millisecond => Arrow::Time32(ArrowUnit::Millisecond),
            other => Arrow::Time64(other),
        },
        DataType::Timestamp { unit: u, timezone } => {
            if timezone.is_none() {
                note(
                    warnings,
                    path,
                    "the contract does not say whether the timestamp has a time zone; written with UTC".into(),
                );
            }
            let tz = (*timezone != Some(false)).then(|| Arc::from("UTC"));
            Arrow::Timestamp(unit(*u), tz)
        }
        DataType::Duration => Arrow::Duration(ArrowUnit::Microsecond),
        DataType::Struct(children) => Arrow::Struct(Fields::from(
            children.iter().map(|c| field(c, &format!("{path}.{}", c.name), warnings)).collect::<Vec<_>>(),
        )),
        DataType::List(item) => {
            let mut item = field(item, &format!("{path}[]"), warnings);
            item = item.with_name("item");
            Arrow::List(Arc::new(item))
        }
        DataType::Map { key, value } => {
            let mut k = field(key, &format!("{path}{{}}"), warnings).with_name("key");
            if key.nullable {
                note(warnings, path, "Arrow map keys cannot be null".into());
                k = k.with_nullable(false);
            }
            let v = field(value, &format!("{path}{{}}"), warnings).with_name("value");
            let entries = ArrowField::new("entries", Arrow::Struct(Fields::from(vec![k, v])), false);
            Arrow::Map(Arc::new(entries), false)
        }
        DataType::Any | DataType::Union(_) | DataType::Unknown(_) => {
            note(warnings, path, format!("Arrow cannot say {t} here; written as Utf8 (JSON text)"));
            Arrow::Utf8
        }
    }
}

fn note(warnings: &mut Vec<String>, path: &str, what: String) {
    warnings.push(format!("{path}: {what}"));
}
