//! One object → a JSON Schema draft 2020-12 document.
//!
//! Every property is `required` (an ODCS column is always present; nullability is a `null`
//! in its type), objects stay open as ODCS says nothing about extra properties, and types
//! JSON has no word for travel as strings with a `format` (`uuid`, `date`, `date-time`).

use serde_json::{Map, Value as Json, json};

use contrakt_core::ir::{Bound, DataType, Field, Object};

use super::{lost, metadata_losses};

pub(super) fn export(o: &Object, warnings: &mut Vec<String>) -> String {
    let mut root = Map::new();
    root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    root.insert("title".into(), json!(o.name));
    if let Some(d) = &o.description {
        root.insert("description".into(), json!(d));
    }
    root.insert("type".into(), json!("object"));
    let (properties, required) = properties(&o.fields, &o.name, warnings);
    root.insert("properties".into(), properties);
    root.insert("required".into(), required);
    if !o.foreign_keys.is_empty() {
        super::foreign_keys_lost(o, "JSON Schema", warnings);
    }
    serde_json::to_string_pretty(&Json::Object(root)).unwrap_or_default() + "\n"
}

fn properties(fields: &[Field], path: &str, warnings: &mut Vec<String>) -> (Json, Json) {
    let mut props = Map::new();
    for f in fields {
        props.insert(f.name.clone(), field(f, &format!("{path}.{}", f.name), warnings));
    }
    (Json::Object(props), json!(fields.iter().map(|f| &f.name).collect::<Vec<_>>()))
}

fn field(f: &Field, path: &str, warnings: &mut Vec<String>) -> Json {
    let mut m = value(&f.data_type, path, warnings);
    let c = &f.constraints;
    let mut losses = metadata_losses(f, false);
    let ty = m.get("type").and_then(Json::as_str).unwrap_or("");
    let (string, numeric, array) = (ty == "string", matches!(ty, "integer" | "number"), ty == "array");
    // (keyword, value, whether this type takes it, what to call it when it does not)
    let candidates: [(&str, Option<Json>, bool, &'static str); 7] = [
        ("minLength", c.min_length.map(Json::from), string, "minLength"),
        ("maxLength", c.max_length.map(Json::from), string, "maxLength"),
        ("pattern", c.pattern.clone().map(Json::from), string, "pattern"),
        ("multipleOf", c.multiple_of.map(Json::from), numeric, "multipleOf"),
        ("minItems", c.min_items.map(Json::from), array, "minItems"),
        ("maxItems", c.max_items.map(Json::from), array, "maxItems"),
        ("uniqueItems", c.unique_items.then_some(json!(true)), array, "uniqueItems"),
    ];
    for (key, value, fits, name) in candidates {
        match (value, fits) {
            (Some(v), true) => {
                m.insert(key.into(), v);
            }
            (Some(_), false) => losses.push(name),
            (None, _) => {}
        }
    }
    // A named format on a string (`email`); uuid, date and date-time are already the type's.
    if let Some(format) = c.format.as_ref().filter(|_| string && !m.contains_key("format")) {
        m.insert("format".into(), json!(format));
    }
    for (key, exclusive_key, bound) in
        [("minimum", "exclusiveMinimum", &c.minimum), ("maximum", "exclusiveMaximum", &c.maximum)]
    {
        if let Some(Bound { value, exclusive }) = bound {
            if numeric && value.is_number() {
                m.insert(if *exclusive { exclusive_key } else { key }.into(), value.clone());
            } else {
                losses.push(if key == "minimum" { "minimum" } else { "maximum" });
            }
        }
    }
    if let Some(values) = &c.enum_values {
        let mut values = values.clone();
        if f.nullable {
            values.push(Json::Null);
        }
        m.insert("enum".into(), Json::Array(values));
    }
    if f.nullable {
        // `type: [T, "null"]`; a typeless schema (any) already allows null.
        if let Some(t) = m.get("type").cloned() {
            m.insert("type".into(), json!([t, "null"]));
        }
    }
    if let Some(d) = &f.description {
        m.insert("description".into(), json!(d));
    }
    if let Some(d) = &f.default {
        m.insert("default".into(), d.clone());
    }
    lost(warnings, path, &losses, "JSON Schema");
    Json::Object(m)
}

/// The schema of a type, without nullability.
fn value(t: &DataType, path: &str, warnings: &mut Vec<String>) -> Map<String, Json> {
    let mut m = Map::new();
    let mut ty = |t: &str| {
        m.insert("type".into(), json!(t));
    };
    match t {
        DataType::Boolean => ty("boolean"),
        DataType::Int { bits, .. } => {
            ty("integer");
            if bits.is_some() {
                warnings.push(format!("{path}: JSON Schema integers have no width; {t} written as integer"));
            }
        }
        DataType::Float { .. } => ty("number"),
        DataType::Decimal { .. } => {
            ty("number");
            warnings.push(format!("{path}: JSON Schema has no decimal; {t} written as number"));
        }
        DataType::String | DataType::Enum { .. } => ty("string"),
        DataType::Uuid => {
            ty("string");
            m.insert("format".into(), json!("uuid"));
            temporal(warnings, path, t, "uuid");
        }
        DataType::Date => {
            ty("string");
            m.insert("format".into(), json!("date"));
            temporal(warnings, path, t, "date");
        }
        DataType::Time { .. } => {
            ty("string");
            m.insert("format".into(), json!("time"));
            temporal(warnings, path, t, "time");
        }
        DataType::Timestamp { .. } => {
            ty("string");
            m.insert("format".into(), json!("date-time"));
            temporal(warnings, path, t, "date-time");
        }
        DataType::Duration => {
            ty("string");
            m.insert("format".into(), json!("duration"));
            temporal(warnings, path, t, "duration");
        }
        DataType::Binary | DataType::FixedBinary { .. } => {
            ty("string");
            m.insert("contentEncoding".into(), json!("base64"));
            warnings.push(format!("{path}: JSON has no bytes; {t} written as a base64 string"));
        }
        DataType::Any => {}
        DataType::Null => ty("null"),
        DataType::Struct(fields) => {
            ty("object");
            let (properties, required) = properties(fields, path, warnings);
            m.insert("properties".into(), properties);
            m.insert("required".into(), required);
        }
        DataType::List(item) => {
            ty("array");
            m.insert("items".into(), field(item, &format!("{path}[]"), warnings));
        }
        DataType::Map { value, .. } => {
            ty("object");
            m.insert("additionalProperties".into(), field(value, &format!("{path}{{}}"), warnings));
        }
        DataType::Union(_) | DataType::Unknown(_) => {
            warnings.push(format!("{path}: {t} has no JSON Schema spelling; any value allowed"));
        }
    }
    m
}

/// JSON has no temporal or uuid types: a string whose `format` says which (any format the contract
/// gave, such as `yyyy-MM-dd`, is replaced by the JSON Schema one).
fn temporal(warnings: &mut Vec<String>, path: &str, t: &DataType, format: &str) {
    warnings.push(format!("{path}: JSON has no {t} type; written as a string with format {format}"));
}
