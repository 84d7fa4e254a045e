//! L001: validation against the official ODCS JSON Schema of the document's `apiVersion`,
//! with every error mapped back to the line and column of the offending node.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};

use super::Emitter;
use super::registry::SCHEMA_VIOLATION;
use crate::document::{Node, display_pointer};
use crate::odcs::OdcsVersion;
use crate::source::Span;

const V3_0: &str = include_str!("../../schemas/odcs/odcs-json-schema-v3.0.2.json");
const V3_1: &str = include_str!("../../schemas/odcs/odcs-json-schema-v3.1.0.json");
const V3_2: &str = include_str!("../../schemas/odcs/odcs-json-schema-v3.2.0.json");

fn validator(version: OdcsVersion) -> &'static Validator {
    static CELLS: [OnceLock<Validator>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (cell, text) = match version {
        OdcsVersion::V3_0 => (&CELLS[0], V3_0),
        OdcsVersion::V3_1 => (&CELLS[1], V3_1),
        OdcsVersion::V3_2Draft => (&CELLS[2], V3_2),
    };
    cell.get_or_init(|| {
        let schema: serde_json::Value = serde_json::from_str(text).expect("bundled ODCS schema is valid JSON");
        jsonschema::options().with_draft(Draft::Draft201909).build(&schema).expect("bundled ODCS schema compiles")
    })
}

/// Validates a contract document and reports each violation once.
///
/// A v3.0.x document is checked against the v3.0.2 schema; when that fails but the v3.1.0
/// schema (which ODCS made to accept v3.0.x documents too) passes, the document is valid:
/// ODCS's own v3.0-labelled examples use v3.1 spellings.
pub(super) fn check(root: &Node, version: OdcsVersion, out: &mut Emitter<'_>) {
    let instance = root.to_json();
    let errors: Vec<_> = validator(version).iter_errors(&instance).collect();
    if errors.is_empty() || (version == OdcsVersion::V3_0 && validator(OdcsVersion::V3_1).is_valid(&instance)) {
        return;
    }
    // A failing subschema leaves its keys "unevaluated", so `unevaluatedProperties: false`
    // then calls valid keys unknown. Where an object already has another error, drop unknown-key
    // reports for keys the standard declares somewhere: they are that cascade, not typos.
    let other_errors: Vec<String> = errors
        .iter()
        .filter(|e| !matches!(e.kind(), ValidationErrorKind::UnevaluatedProperties { .. }))
        .map(|e| e.instance_path().as_str().to_string())
        .collect();
    let cascades = |pointer: &str, key: &str| {
        declared_keys(version).contains(key)
            && other_errors.iter().any(|p| p == pointer || p.starts_with(&format!("{pointer}/")))
    };
    let mut seen = std::collections::HashSet::new();
    for error in errors {
        let pointer = error.instance_path().as_str().to_string();
        let (node, key_span) = root.pointer(&pointer);
        let mut reports: Vec<(Span, String, String)> = Vec::new();
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                let cascade = matches!(error.kind(), ValidationErrorKind::UnevaluatedProperties { .. });
                for key in unexpected.iter().filter(|k| !(cascade && cascades(&pointer, k))) {
                    let span = node.entry(key).map_or(node.span, |e| e.key_span);
                    let at = join(&pointer, key);
                    reports.push((span, at, format!("unknown key `{key}`{}", hint(&pointer, key))));
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or("?");
                let start = Span::new(node.span.start as usize, node.span.start as usize);
                reports.push((start, pointer.clone(), format!("missing required key `{name}`{}", where_(&pointer))));
            }
            ValidationErrorKind::Type { .. } => {
                let expected = error.to_string();
                let expected = expected.rsplit(" is not of type ").next().unwrap_or(&expected).to_string();
                reports.push((
                    node.span,
                    pointer.clone(),
                    format!("{} must be of type {expected}, found {}", subject(&pointer), node.kind_name()),
                ));
            }
            ValidationErrorKind::Enum { options } => {
                let options = options.as_array().map_or_else(
                    || options.to_string(),
                    |a| {
                        a.iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                );
                reports.push((node.span, pointer.clone(), format!("{} must be one of: {options}", subject(&pointer))));
            }
            _ => {
                // Messages start with the offending value, which may be a whole mapping: name
                // the node instead.
                let mut message = error.to_string();
                let instance = error.instance().to_string();
                if let Some(rest) = message.strip_prefix(&instance) {
                    message = format!("value{rest}");
                }
                if message.len() > 240 {
                    let cut = (0..=240).rev().find(|i| message.is_char_boundary(*i)).unwrap_or(0);
                    message.truncate(cut);
                    message.push('…');
                }
                let span = if node.span.is_none() { key_span.unwrap_or(root.span) } else { node.span };
                reports.push((span, pointer.clone(), format!("{}: {message}", subject(&pointer))));
            }
        }
        for (span, at, message) in reports {
            if seen.insert((at.clone(), message.clone())) {
                out.emit(&SCHEMA_VIOLATION, span, &at, message);
            }
        }
    }
}

/// Every key the schema declares under some `properties`.
fn declared_keys(version: OdcsVersion) -> &'static std::collections::HashSet<String> {
    static CELLS: [OnceLock<std::collections::HashSet<String>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (cell, text) = match version {
        OdcsVersion::V3_0 => (&CELLS[0], V3_0),
        OdcsVersion::V3_1 => (&CELLS[1], V3_1),
        OdcsVersion::V3_2Draft => (&CELLS[2], V3_2),
    };
    cell.get_or_init(|| {
        let schema: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let mut keys = std::collections::HashSet::new();
        let mut todo = vec![&schema];
        while let Some(v) = todo.pop() {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                        keys.extend(props.keys().cloned());
                    }
                    todo.extend(m.values());
                }
                serde_json::Value::Array(a) => todo.extend(a),
                _ => {}
            }
        }
        keys
    })
}

fn join(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn subject(pointer: &str) -> String {
    if pointer.is_empty() { "the document".into() } else { format!("`{}`", display_pointer(pointer)) }
}

fn where_(pointer: &str) -> String {
    if pointer.is_empty() { String::new() } else { format!(" in `{}`", display_pointer(pointer)) }
}

fn hint(pointer: &str, key: &str) -> String {
    let mut s = where_(pointer);
    if pointer.is_empty() || !key.starts_with(char::is_lowercase) {
        s.push_str("; ODCS allows no extra keys: put extensions under `customProperties`");
    }
    s
}
