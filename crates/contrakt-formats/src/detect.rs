//! Which format a file is in: from its name first, then from its content.

use std::path::Path;

use contrakt_core::SourceFile;
use contrakt_core::document::{Document, Node, Value};
use serde_json::Value as Json;

use crate::Format;

/// The format of a schema file. The extension decides where it is unambiguous (`.avsc` Avro,
/// `.proto` Protobuf, `.sql`/`.ddl` SQL DDL, `.odcs.yaml`/`.odcs.yml`/`.odcs.json` ODCS); for
/// `.json`, `.yaml` and `.yml` the content decides (`kind: DataContract` → ODCS; `"type":
/// "record"`/`"enum"`/`"fixed"` or a list of records → Avro; `"$schema"`, a JSON Schema `type`,
/// `properties`, `$defs`, `$ref` or a combinator → JSON Schema); for any other name the
/// content alone.
pub fn detect(path: &Path, text: &str) -> Option<Format> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    if name.ends_with(".avsc") {
        return Some(Format::Avro);
    }
    if name.ends_with(".proto") {
        return Some(Format::Protobuf);
    }
    if name.ends_with(".sql") || name.ends_with(".ddl") {
        return Some(Format::SqlDdl);
    }
    if name.ends_with(".odcs.yaml") || name.ends_with(".odcs.yml") || name.ends_with(".odcs.json") {
        return Some(Format::Odcs);
    }
    if name.ends_with(".json") {
        return from_json(text).or_else(|| from_yaml(text));
    }
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        return from_yaml(text);
    }
    from_content(text)
}

fn from_content(text: &str) -> Option<Format> {
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Some(f) = from_json(text)
    {
        return Some(f);
    }
    if looks_like_proto(text) {
        return Some(Format::Protobuf);
    }
    if looks_like_sql(text) {
        return Some(Format::SqlDdl);
    }
    from_yaml(text)
}

fn from_json(text: &str) -> Option<Format> {
    let json: Json = serde_json::from_str(text).ok()?;
    match &json {
        Json::Object(obj) => {
            let ty = obj.get("type").and_then(Json::as_str);
            if obj.get("kind").and_then(Json::as_str) == Some("DataContract") {
                return Some(Format::Odcs);
            }
            if matches!(ty, Some("record" | "error" | "enum" | "fixed")) && obj.contains_key("name") {
                return Some(Format::Avro);
            }
            // Avro writes array items and map values as type names; JSON Schema never does.
            if (ty == Some("array") && obj.get("items").is_some_and(Json::is_string))
                || (ty == Some("map") && obj.contains_key("values"))
            {
                return Some(Format::Avro);
            }
            let json_schema_words = [
                "$schema",
                "properties",
                "$defs",
                "definitions",
                "$ref",
                "allOf",
                "anyOf",
                "oneOf",
                "additionalProperties",
                "patternProperties",
                "prefixItems",
            ];
            if ty == Some("object") || json_schema_words.iter().any(|k| obj.contains_key(*k)) {
                return Some(Format::JsonSchema);
            }
            // A JSON Schema type name alone (`{"type": "string", "maxLength": 3}`).
            let types = ["string", "integer", "number", "boolean", "array", "null"];
            if ty.is_some_and(|t| types.contains(&t)) || obj.get("type").is_some_and(Json::is_array) {
                return Some(Format::JsonSchema);
            }
            None
        }
        Json::Array(items) => {
            let avro_branch = |v: &Json| match v {
                Json::String(_) => true,
                Json::Object(o) => {
                    matches!(o.get("type").and_then(Json::as_str), Some("record" | "error" | "enum" | "fixed"))
                }
                _ => false,
            };
            (!items.is_empty() && items.iter().all(avro_branch) && items.iter().any(Json::is_object))
                .then_some(Format::Avro)
        }
        _ => None,
    }
}

fn from_yaml(text: &str) -> Option<Format> {
    let doc = Document::parse(SourceFile::new("<detect>", text)).ok()?;
    let root: &Node = &doc.root;
    if !matches!(root.value, Value::Map(_)) {
        return None;
    }
    if contrakt_core::odcs::looks_like_contract(root) {
        return Some(Format::Odcs);
    }
    if root.get("$schema").is_some()
        || root.get("type").and_then(Node::as_str) == Some("object")
        || root.get("properties").is_some()
    {
        return Some(Format::JsonSchema);
    }
    None
}

/// `syntax = "proto3";`, `package x;` or `message X {` at the start of a line.
fn looks_like_proto(text: &str) -> bool {
    text.lines().map(str::trim_start).any(|l| {
        l.starts_with("syntax = \"proto")
            || l.starts_with("syntax=\"proto")
            || l.starts_with("edition = \"")
            || (l.starts_with("message ") && l.trim_end().ends_with('{'))
    })
}

fn looks_like_sql(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    words
        .windows(2)
        .any(|w| w[0] == "create" && (w[1] == "table" || w[1] == "or" || w[1] == "external" || w[1] == "temporary"))
        && lower.contains("table")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(name: &str, text: &str) -> Option<Format> {
        detect(Path::new(name), text)
    }

    #[test]
    fn extension_decides_when_unambiguous() {
        assert_eq!(d("orders.avsc", ""), Some(Format::Avro));
        assert_eq!(d("dir/orders.PROTO", ""), Some(Format::Protobuf));
        assert_eq!(d("orders.sql", "{}"), Some(Format::SqlDdl));
        assert_eq!(d("orders.ddl", ""), Some(Format::SqlDdl));
        assert_eq!(d("orders.odcs.yaml", "not even yaml: ["), Some(Format::Odcs));
    }

    #[test]
    fn json_content_tells_avro_from_json_schema() {
        assert_eq!(d("s.json", r#"{"type": "record", "name": "A", "fields": []}"#), Some(Format::Avro));
        assert_eq!(d("s.json", r#"[{"type": "record", "name": "A", "fields": []}, "B"]"#), Some(Format::Avro));
        assert_eq!(d("s.json", r#"{"type": "array", "items": "string"}"#), Some(Format::Avro));
        assert_eq!(
            d("s.json", r#"{"$schema": "https://json-schema.org/draft/2020-12/schema"}"#),
            Some(Format::JsonSchema)
        );
        assert_eq!(d("s.json", r#"{"type": "object"}"#), Some(Format::JsonSchema));
        assert_eq!(d("s.json", r#"{"properties": {"a": {"type": "string"}}}"#), Some(Format::JsonSchema));
        assert_eq!(d("s.json", r#"{"type": "array", "items": {"type": "string"}}"#), Some(Format::JsonSchema));
        assert_eq!(d("s.json", r#"{"oneOf": [{"type": "string"}, {"type": "null"}]}"#), Some(Format::JsonSchema));
        assert_eq!(d("s.json", r##"{"$ref": "#/$defs/a", "$defs": {"a": true}}"##), Some(Format::JsonSchema));
        assert_eq!(d("s.json", r#"{"name": "x"}"#), None);
        // `"type": "record"` is not a JSON Schema type, so Avro wins even next to `$schema`.
        assert_eq!(d("s.json", r#"{"$schema": "x", "type": "record", "name": "A", "fields": []}"#), Some(Format::Avro));
        assert_eq!(d("s.json", r#"{"kind": "DataContract", "apiVersion": "v3.1.0"}"#), Some(Format::Odcs));
        assert_eq!(d("s.json", "not json"), None);
    }

    #[test]
    fn yaml_content_tells_odcs_from_json_schema() {
        assert_eq!(d("c.yaml", "apiVersion: v3.1.0\nkind: DataContract\nid: x\n"), Some(Format::Odcs));
        assert_eq!(d("s.yml", "type: object\nproperties:\n  a: {type: string}\n"), Some(Format::JsonSchema));
        assert_eq!(d("x.yaml", "a: 1\n"), None);
        assert_eq!(d("x.yaml", "- 1\n"), None);
    }

    #[test]
    fn content_alone_for_other_names() {
        assert_eq!(d("schema", "syntax = \"proto3\";\nmessage A {}\n"), Some(Format::Protobuf));
        assert_eq!(d("schema.txt", "create table t (a int);"), Some(Format::SqlDdl));
        assert_eq!(d("schema", "CREATE OR REPLACE TABLE t (a INT64)"), Some(Format::SqlDdl));
        assert_eq!(d("schema", r#"{"type":"record","name":"A","fields":[]}"#), Some(Format::Avro));
        assert_eq!(d("schema", "kind: DataContract\napiVersion: v3.1.0\n"), Some(Format::Odcs));
        assert_eq!(d("schema", "hello world"), None);
        assert_eq!(d("schema", ""), None);
    }
}
