//! One object → an Avro record schema (`.avsc`).
//!
//! Nullable fields are `["null", T]` unions with no default: an ODCS column is always
//! written, so a reader must not silently fill it. Temporal types use Avro's logical types;
//! decimals are `bytes` with precision and scale. A string's closed domain stays a string
//! (an Avro enum is a different wire type), so the domain is a loss.

use serde_json::{Map, Value as Json, json};

use contrakt_core::ir::{DataType, Field, Object, TimeUnit};

use super::{lost, metadata_losses};

pub(super) fn export(o: &Object, warnings: &mut Vec<String>) -> String {
    let mut names = Vec::new();
    let record = record(&o.name, o.description.as_deref(), &o.fields, &o.name, &mut names, warnings);
    if !o.foreign_keys.is_empty() {
        super::foreign_keys_lost(o, "Avro", warnings);
    }
    serde_json::to_string_pretty(&record).unwrap_or_default() + "\n"
}

/// An Avro name: letters, digits and `_`, not starting with a digit; unique in the file.
fn avro_name(base: &str, names: &mut Vec<String>) -> String {
    let mut name: String = base.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    let mut unique = name.clone();
    let mut i = 2;
    while names.contains(&unique) {
        unique = format!("{name}_{i}");
        i += 1;
    }
    names.push(unique.clone());
    unique
}

fn record(
    name: &str,
    doc: Option<&str>,
    fields: &[Field],
    path: &str,
    names: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Json {
    let mut m = Map::new();
    m.insert("type".into(), json!("record"));
    m.insert("name".into(), json!(avro_name(name, names)));
    if let Some(d) = doc {
        m.insert("doc".into(), json!(d));
    }
    let fields: Vec<Json> = fields.iter().map(|f| field(f, &format!("{path}.{}", f.name), names, warnings)).collect();
    m.insert("fields".into(), Json::Array(fields));
    Json::Object(m)
}

fn field(f: &Field, path: &str, names: &mut Vec<String>, warnings: &mut Vec<String>) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(f.name));
    if let Some(d) = &f.description {
        m.insert("doc".into(), json!(d));
    }
    let t = schema_of(f, path, names, warnings);
    let default = f.default.as_ref().filter(|d| {
        let fits = default_fits(&t, d);
        if !fits {
            warnings.push(format!("{path}: the default {d} is not an Avro value of this type; left out"));
        }
        fits
    });
    match (default, f.nullable) {
        // A default must match the union's first branch.
        (Some(d), true) => {
            m.insert("type".into(), json!([t, "null"]));
            m.insert("default".into(), d.clone());
        }
        (Some(d), false) => {
            m.insert("type".into(), t);
            m.insert("default".into(), d.clone());
        }
        (None, true) => {
            m.insert("type".into(), json!(["null", t]));
        }
        (None, false) => {
            m.insert("type".into(), t);
        }
    }
    let c = &f.constraints;
    let mut losses = metadata_losses(f, false);
    for (name, present) in [
        ("minLength", c.min_length.is_some()),
        ("maxLength", c.max_length.is_some()),
        ("pattern", c.pattern.is_some()),
        ("format", c.format.is_some()),
        ("minimum", c.minimum.is_some()),
        ("maximum", c.maximum.is_some()),
        ("multipleOf", c.multiple_of.is_some()),
        ("minItems", c.min_items.is_some()),
        ("maxItems", c.max_items.is_some()),
        ("uniqueItems", c.unique_items),
        ("the allowed values", c.enum_values.is_some()),
    ] {
        if present {
            losses.push(name);
        }
    }
    lost(warnings, path, &losses, "Avro");
    Json::Object(m)
}

/// Avro checks defaults against the type: only plain JSON values of primitive types are kept.
fn default_fits(t: &Json, d: &Json) -> bool {
    match t.as_str() {
        Some("boolean") => d.is_boolean(),
        Some("int" | "long") => d.is_i64(),
        Some("float" | "double") => d.is_number(),
        Some("string") => d.is_string(),
        _ => false,
    }
}

/// The Avro type of a field's values, without nullability.
fn schema_of(f: &Field, path: &str, names: &mut Vec<String>, warnings: &mut Vec<String>) -> Json {
    let t = &f.data_type;
    let logical = |base: &str, logical: &str| json!({"type": base, "logicalType": logical});
    match t {
        DataType::Boolean => json!("boolean"),
        DataType::Int { bits: Some(8 | 16 | 32), signed: true }
        | DataType::Int { bits: Some(8 | 16), signed: false } => {
            json!("int")
        }
        DataType::Int { bits: Some(64) | None, signed: true } | DataType::Int { bits: Some(32), signed: false } => {
            json!("long")
        }
        DataType::Int { .. } => {
            warnings.push(format!("{path}: Avro has no {t}; written as a decimal(38,0)"));
            json!({"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 0})
        }
        DataType::Float { bits: Some(32) } => json!("float"),
        DataType::Float { .. } => json!("double"),
        DataType::Decimal { precision, scale } => {
            let p = precision.unwrap_or_else(|| {
                warnings.push(format!("{path}: Avro decimals need a precision; written with 38"));
                38
            });
            json!({"type": "bytes", "logicalType": "decimal", "precision": p, "scale": scale.unwrap_or(0)})
        }
        DataType::String | DataType::Enum { .. } => json!("string"),
        DataType::Uuid => logical("string", "uuid"),
        DataType::Binary => json!("bytes"),
        DataType::FixedBinary { size } => {
            json!({"type": "fixed", "name": avro_name(&format!("{}_fixed", f.name), names), "size": size})
        }
        DataType::Date => logical("int", "date"),
        DataType::Time { unit } => match unit {
            Some(TimeUnit::Second | TimeUnit::Millisecond) => logical("int", "time-millis"),
            Some(TimeUnit::Nanosecond) => {
                warnings.push(format!("{path}: Avro times hold at most microseconds; {t} written with them"));
                logical("long", "time-micros")
            }
            _ => logical("long", "time-micros"),
        },
        DataType::Timestamp { unit, timezone } => {
            let precision = match unit {
                Some(TimeUnit::Second | TimeUnit::Millisecond) => "millis",
                Some(TimeUnit::Nanosecond) => "nanos",
                _ => "micros",
            };
            if timezone.is_none() {
                warnings.push(format!(
                    "{path}: the contract does not say whether the timestamp has a time zone; written as UTC instants"
                ));
            }
            let local = if *timezone == Some(false) { "local-" } else { "" };
            logical("long", &format!("{local}timestamp-{precision}"))
        }
        DataType::Duration => {
            json!({"type": "fixed", "name": avro_name(&format!("{}_duration", f.name), names), "size": 12, "logicalType": "duration"})
        }
        DataType::Struct(fields) => record(&f.name, None, fields, path, names, warnings),
        DataType::List(item) => {
            let items = schema_of(item, &format!("{path}[]"), names, warnings);
            json!({"type": "array", "items": if item.nullable { json!(["null", items]) } else { items }})
        }
        DataType::Map { key, value } => {
            if !matches!(key.data_type, DataType::String) {
                warnings.push(format!("{path}: Avro map keys are strings; {} keys written as strings", key.data_type));
            }
            let values = schema_of(value, &format!("{path}{{}}"), names, warnings);
            json!({"type": "map", "values": if value.nullable { json!(["null", values]) } else { values }})
        }
        DataType::Any | DataType::Null | DataType::Union(_) | DataType::Unknown(_) => {
            warnings.push(format!("{path}: Avro has no {t}; written as a string (JSON text)"));
            json!("string")
        }
    }
}
