//! Objects → one proto3 file, a message per object.
//!
//! Fields are numbered in declaration order; nullable scalars are proto3 `optional` (so an
//! unset value is not a zero), timestamps and durations the well-known types, nested objects
//! nested messages. Protobuf has no decimal, date, uuid or constraint: those are strings or
//! losses, listed as warnings.

use contrakt_core::ir::{DataType, Field, Object};

use super::{lost, metadata_losses};

pub(super) fn export(objects: &[&Object], package: &str, warnings: &mut Vec<String>) -> String {
    let mut body = String::new();
    let mut imports = std::collections::BTreeSet::new();
    for o in objects {
        message(&mut body, &o.name, o.description.as_deref(), &o.fields, &o.name, 0, &mut imports, warnings);
        if !o.foreign_keys.is_empty() {
            super::foreign_keys_lost(o, "Protobuf", warnings);
        }
    }
    let mut out = String::from("syntax = \"proto3\";\n\n");
    out.push_str(&format!("package {};\n\n", identifier(package, false)));
    for i in &imports {
        out.push_str(&format!("import \"{i}\";\n"));
    }
    if !imports.is_empty() {
        out.push('\n');
    }
    out.push_str(&body);
    out
}

#[allow(clippy::too_many_arguments)]
fn message(
    out: &mut String,
    name: &str,
    doc: Option<&str>,
    fields: &[Field],
    path: &str,
    depth: usize,
    imports: &mut std::collections::BTreeSet<&'static str>,
    warnings: &mut Vec<String>,
) {
    let pad = "  ".repeat(depth);
    if let Some(d) = doc {
        comment(out, &pad, d);
    }
    out.push_str(&format!("{pad}message {} {{\n", identifier(name, true)));
    let mut nested = String::new();
    for (i, f) in fields.iter().enumerate() {
        let path = format!("{path}.{}", f.name);
        let (label, ty) = field_type(f, &path, depth + 1, &mut nested, imports, warnings);
        if let Some(d) = &f.description {
            comment(out, &format!("{pad}  "), d);
        }
        out.push_str(&format!("{pad}  {label}{ty} {} = {};\n", identifier(&f.name, false), i + 1));
        let c = &f.constraints;
        let mut losses = metadata_losses(f, false);
        for (what, present) in [
            ("lengths", c.min_length.is_some() || c.max_length.is_some()),
            ("pattern", c.pattern.is_some()),
            ("format", c.format.is_some()),
            ("bounds", c.minimum.is_some() || c.maximum.is_some() || c.multiple_of.is_some()),
            ("item counts", c.min_items.is_some() || c.max_items.is_some() || c.unique_items),
            ("the allowed values", c.enum_values.is_some()),
            ("a default", f.default.is_some()),
        ] {
            if present {
                losses.push(what);
            }
        }
        lost(warnings, &path, &losses, "Protobuf");
    }
    out.push_str(&nested);
    out.push_str(&format!("{pad}}}\n"));
    if depth == 0 {
        out.push('\n');
    }
}

/// The label (`optional `, `repeated `, or none) and the type of a field, writing nested
/// messages into `nested`.
fn field_type(
    f: &Field,
    path: &str,
    depth: usize,
    nested: &mut String,
    imports: &mut std::collections::BTreeSet<&'static str>,
    warnings: &mut Vec<String>,
) -> (&'static str, String) {
    match &f.data_type {
        DataType::List(item) => {
            if matches!(item.data_type, DataType::List(_) | DataType::Map { .. }) {
                warnings.push(format!("{path}: Protobuf cannot repeat a list or a map; written as repeated string"));
                return ("repeated ", "string".into());
            }
            if item.nullable {
                warnings.push(format!("{path}[]: Protobuf list items cannot be null"));
            }
            // Always: an empty repeated field is not on the wire, so it reads as absent.
            warnings.push(format!("{path}: Protobuf cannot tell an empty list from an absent or null one"));
            let (_, t) =
                scalar(item, &format!("{}_item", f.name), &format!("{path}[]"), depth, nested, imports, warnings);
            ("repeated ", t)
        }
        DataType::Map { key, value } => {
            let k = match key.data_type {
                DataType::String => "string".to_string(),
                DataType::Int { bits: Some(64), signed: true } => "int64".into(),
                DataType::Int { .. } => "int32".into(),
                DataType::Boolean => "bool".into(),
                _ => {
                    warnings.push(format!(
                        "{path}: Protobuf map keys are scalars; {} keys written as strings",
                        key.data_type
                    ));
                    "string".into()
                }
            };
            if matches!(value.data_type, DataType::List(_) | DataType::Map { .. }) {
                warnings.push(format!("{path}: Protobuf map values cannot be lists or maps; written as strings"));
                return ("", format!("map<{k}, string>"));
            }
            warnings.push(format!("{path}: Protobuf cannot tell an empty map from an absent or null one"));
            let (_, v) =
                scalar(value, &format!("{}_value", f.name), &format!("{path}{{}}"), depth, nested, imports, warnings);
            ("", format!("map<{k}, {v}>"))
        }
        _ => scalar(f, &f.name, path, depth, nested, imports, warnings),
    }
}

/// A singular field's type; nullable scalars are `optional` (messages always have presence).
#[allow(clippy::too_many_arguments)]
fn scalar(
    f: &Field,
    name: &str,
    path: &str,
    depth: usize,
    nested: &mut String,
    imports: &mut std::collections::BTreeSet<&'static str>,
    warnings: &mut Vec<String>,
) -> (&'static str, String) {
    let t = &f.data_type;
    let mut message_type = |import: &'static str, name: &str| {
        imports.insert(import);
        name.to_string()
    };
    let (is_message, ty) = match t {
        DataType::Boolean => (false, "bool".to_string()),
        DataType::Int { bits: Some(8 | 16 | 32), signed: true } => (false, "int32".into()),
        DataType::Int { bits: Some(8 | 16 | 32), signed: false } => (false, "uint32".into()),
        DataType::Int { bits: Some(64) | None, signed: true } => (false, "int64".into()),
        DataType::Int { bits: Some(64) | None, signed: false } => (false, "uint64".into()),
        DataType::Float { bits: Some(32) } => (false, "float".into()),
        DataType::Float { .. } => (false, "double".into()),
        DataType::String | DataType::Enum { .. } => (false, "string".into()),
        DataType::Binary => (false, "bytes".into()),
        DataType::FixedBinary { .. } => {
            warnings.push(format!("{path}: Protobuf bytes have no fixed size; {t} written as bytes"));
            (false, "bytes".into())
        }
        DataType::Timestamp { timezone, .. } => {
            if *timezone != Some(true) {
                warnings.push(format!("{path}: google.protobuf.Timestamp is a UTC instant; {t} written as one"));
            }
            (true, message_type("google/protobuf/timestamp.proto", "google.protobuf.Timestamp"))
        }
        DataType::Duration => (true, message_type("google/protobuf/duration.proto", "google.protobuf.Duration")),
        DataType::Any => (true, message_type("google/protobuf/struct.proto", "google.protobuf.Value")),
        DataType::Struct(fields) => {
            // Named after the field (`items` → `ItemsItem` for list items), unique among the
            // enclosing message's nested messages.
            let pad = "  ".repeat(depth);
            let base = identifier(name, true);
            let mut unique = base.clone();
            let mut i = 2;
            while nested.lines().any(|l| l == format!("{pad}message {unique} {{")) {
                unique = format!("{base}{i}");
                i += 1;
            }
            message(nested, &unique, None, fields, path, depth, imports, warnings);
            (true, unique)
        }
        DataType::Int { .. } | DataType::Decimal { .. } | DataType::Uuid | DataType::Date | DataType::Time { .. } => {
            warnings.push(format!("{path}: Protobuf has no {t}; written as a string"));
            (false, "string".into())
        }
        DataType::List(_) | DataType::Map { .. } | DataType::Null | DataType::Union(_) | DataType::Unknown(_) => {
            warnings.push(format!("{path}: Protobuf cannot say {t} here; written as a string"));
            (false, "string".into())
        }
    };
    if is_message {
        // Unset is absent, whatever the contract says about presence and nulls.
        warnings.push(format!("{path}: a Protobuf message field may always be unset (absent)"));
    } else if !f.nullable {
        warnings.push(format!("{path}: proto3 cannot require a field; an unset value reads as the zero value"));
    } else {
        warnings.push(format!("{path}: a proto3 optional field may be absent as well as unset"));
    }
    let label = if f.nullable && !is_message { "optional " } else { "" };
    (label, ty)
}

fn comment(out: &mut String, pad: &str, text: &str) {
    for line in text.lines() {
        out.push_str(&format!("{pad}// {}\n", line.trim_end()));
    }
}

/// A Protobuf identifier; `pascal` for message names (`order_items` → `OrderItems`).
fn identifier(name: &str, pascal: bool) -> String {
    let mut out = String::new();
    let mut upper = pascal;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else if pascal {
            upper = true;
        } else if c == '.' && !pascal {
            out.push('.');
        } else {
            out.push('_');
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}
