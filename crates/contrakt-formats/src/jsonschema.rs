//! JSON Schema (drafts 4, 6, 7, 2019-09, 2020-12) → Schema IR.
//!
//! The document is read with serde_json (a second try drops trailing commas, which Java's
//! `org.json` and many hand-written schemas use; YAML is accepted too), then lowered:
//!
//! - the root schema becomes one [`Object`] named `$`. When the root describes objects its
//!   properties are the object's fields (paths start at the top-level property: `status`,
//!   `address.zip`); any other root (a string, an array, a `oneOf` of scalars) becomes a single
//!   required field named `$`;
//! - `type: object` (or `properties`, `additionalProperties`, … without a `type`) is a
//!   [`DataType::Struct`] of its properties, `required` sets [`Field::required`]; an object with
//!   only an `additionalProperties` schema is a [`DataType::Map`] (`{}` in paths);
//! - `type: array` is a [`DataType::List`] of `items` (`[]` in paths); tuple validation
//!   (`prefixItems`, `items: [..]`) keeps the positional schemas in its [`JsonSchemaFacts`];
//! - `integer` is an integer of unknown width, `number` a float of unknown width (so
//!   `integer → number` widens), `["string", "null"]` a nullable string, several types a
//!   [`DataType::Union`];
//! - `allOf` merges its subschemas into one (types intersect, constraints add up); `oneOf` and
//!   `anyOf` are unions (a `null` branch makes the field nullable, a single branch is that
//!   branch);
//! - `enum`/`const` are the field's allowed values, `minLength`, `maximum`, `exclusiveMinimum`
//!   (number or draft-4 boolean), `multipleOf`, `pattern`, `format`, `minItems`, `uniqueItems`, …
//!   its constraints; `default` and `description` are kept;
//! - local `$ref`s (`#`, `#/definitions/x`, `#/$defs/x`, anchors and embedded `$id`s) are
//!   expanded at every use; a reference back into a schema being expanded (a recursive schema) is
//!   `DataType::Unknown("ref:<pointer>")` with `metadata["recursive"] = "true"`. A reference to
//!   another document is an error naming it.
//!
//! The content model of each object, which decides JSON Schema compatibility (Confluent's
//! open / closed / partially open), and the other keywords the diff judges are typed in
//! [`JsonSchemaFacts`], on the field for nested objects and on the [`Object`] for the root. Pointers are JSON pointers into the document (`/properties/address/properties/zip`);
//! fields expanded from a `$ref` point at the definition.

use std::collections::BTreeMap;
use std::sync::Arc;

use contrakt_core::document::Document;
use contrakt_core::ir::jsonschema::{Content, Dependency, JsonSchemaFacts};
use contrakt_core::ir::{Bound, Constraints, DataType, Expresses, Field, Object, RecordModel, Schema, value_set};
use contrakt_core::{SourceFile, Span};
use serde_json::{Map, Value as Json};

use crate::Format;
use crate::error::{Error, Kind};
use crate::metadata as meta;
use crate::spans::{JsonSpans, escape};

/// Deepest nesting of subschemas (inline or through references) that is lowered.
const MAX_DEPTH: usize = 64;
/// Most fields a schema may expand to (references are expanded at every use).
const MAX_FIELDS: usize = 100_000;
/// The name of the root object, and of the single field of a root that is not an object.
pub const ROOT: &str = "$";

pub(crate) fn load(name: &str, text: &str) -> Result<Schema, Error> {
    let file = SourceFile::new(name, text);
    if text.trim().is_empty() {
        return Err(Error::at_line(Kind::Syntax, Format::JsonSchema, name, None, None, "the file is empty"));
    }
    let json = parse(&file)?;
    let spans = JsonSpans::new(&file);
    let mut lower = Lower { file: &file, spans: &spans, root: &json, stack: vec![String::new()], fields: 0 };
    let node = lower.schema(&json, "", 0)?;
    let pointer = String::new();
    let object = match node.data_type {
        DataType::Struct(fields) => Object {
            name: ROOT.to_string(),
            physical_name: None,
            id: None,
            kind: Some("object".to_string()),
            fields,
            primary_key: Vec::new(),
            partitioning: Vec::new(),
            foreign_keys: Vec::new(),
            description: node.description,
            span: spans.get(""),
            pointer,
            tags: Vec::new(),
            custom_properties: Default::default(),
            quality: Vec::new(),
            json_schema: facts(node.facts),
        },
        // The empty schema: any document, so an open object with no declared properties.
        // Only an `additionalProperties` schema: an object of undeclared properties.
        DataType::Map { value, .. } => {
            let mut root = node.facts;
            root.content = Some(Content::Partial);
            root.additional = Some(field_values(&value));
            Object {
                name: ROOT.to_string(),
                physical_name: None,
                id: None,
                kind: Some("object".to_string()),
                fields: Vec::new(),
                primary_key: Vec::new(),
                partitioning: Vec::new(),
                foreign_keys: Vec::new(),
                description: node.description,
                span: spans.get(""),
                pointer,
                tags: Vec::new(),
                custom_properties: Default::default(),
                quality: Vec::new(),
                json_schema: facts(root),
            }
        }
        DataType::Any if !node.facts.never => {
            let mut root = node.facts;
            root.content = root.content.or(Some(Content::Open));
            Object {
                name: ROOT.to_string(),
                physical_name: None,
                id: None,
                kind: Some("object".to_string()),
                fields: Vec::new(),
                primary_key: Vec::new(),
                partitioning: Vec::new(),
                foreign_keys: Vec::new(),
                description: node.description,
                span: spans.get(""),
                pointer,
                tags: Vec::new(),
                custom_properties: Default::default(),
                quality: Vec::new(),
                json_schema: facts(root),
            }
        }
        data_type => {
            let node = Node { data_type, ..node };
            let description = node.description.clone();
            let mut field = node.into_field(ROOT, spans.get(""));
            field.required = true;
            Object {
                name: ROOT.to_string(),
                physical_name: None,
                id: None,
                kind: Some("value".to_string()),
                fields: vec![field],
                primary_key: Vec::new(),
                partitioning: Vec::new(),
                foreign_keys: Vec::new(),
                description,
                span: spans.get(""),
                pointer,
                tags: Vec::new(),
                custom_properties: Default::default(),
                quality: Vec::new(),
                json_schema: None,
            }
        }
    };
    Ok(Schema {
        source: name.to_string(),
        record_model: RecordModel::JsonContentModel,
        // JSON Schema says docs, defaults, lengths, bounds, patterns and allowed values; no keys,
        // classification, tags, quality rules, physical names or partitioning.
        expresses: Expresses {
            descriptions: true,
            defaults: true,
            lengths: true,
            value_bounds: true,
            patterns: true,
            enum_domains: true,
            ..Expresses::NONE
        },
        qualified_paths: false,
        objects: vec![object],
        proto_files: Vec::new(),
        facts: Default::default(),
    })
}

/// serde_json first; then without trailing commas (Java's `org.json` accepts them); then YAML,
/// which JSON Schemas are also written in. The error is serde_json's, with its line and column.
fn parse(file: &Arc<SourceFile>) -> Result<Json, Error> {
    let text = file.text();
    let first = match serde_json::from_str::<Json>(text) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    if let Ok(v) = serde_json::from_str::<Json>(&without_trailing_commas(text)) {
        return Ok(v);
    }
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{')
        && !trimmed.starts_with('[')
        && let Ok(doc) = Document::parse(Arc::clone(file))
    {
        return Ok(doc.root.to_json());
    }
    let (line, column) = (first.line(), first.column());
    let message = first.to_string();
    let message = message.rfind(" at line ").map_or(message.clone(), |i| message[..i].to_string());
    Err(Error::at_line(
        Kind::Syntax,
        Format::JsonSchema,
        file.name(),
        (line > 0).then_some(line),
        (line > 0).then_some(column.max(1)),
        format!("not valid JSON: {message}"),
    ))
}

/// Drops commas that directly precede `}` or `]` (outside strings), keeping every other byte,
/// so line numbers stay the same.
fn without_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = bytes[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
            if matches!(next, Some(b'}' | b']')) {
                out.push(' ');
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// What a lowered field accepts, as [`Node::values`] writes it.
fn field_values(f: &Field) -> String {
    if f.json_schema.as_ref().is_some_and(|j| j.never) {
        return "never".to_string();
    }
    value_set(&f.data_type, f.nullable)
}

/// Facts worth keeping: none is `None`, so other formats' fields and plain JSON fields compare equal.
fn facts(f: JsonSchemaFacts) -> Option<Box<JsonSchemaFacts>> {
    (!f.is_empty()).then(|| Box::new(f))
}

/// A JSON value as a name: a string as itself, anything else as JSON.
fn show(v: &Json) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// One lowered subschema, before it becomes a field.
#[derive(Debug, Clone)]
struct Node {
    data_type: DataType,
    nullable: bool,
    constraints: Constraints,
    default: Option<Json>,
    description: Option<String>,
    /// Format-neutral metadata (`recursive`).
    metadata: BTreeMap<String, String>,
    facts: JsonSchemaFacts,
    pointer: String,
}

impl Node {
    fn any(pointer: &str) -> Node {
        Node {
            data_type: DataType::Any,
            nullable: true,
            constraints: Constraints::default(),
            default: None,
            description: None,
            metadata: BTreeMap::new(),
            facts: JsonSchemaFacts::default(),
            pointer: pointer.to_string(),
        }
    }

    /// The `false` schema: no value is valid.
    fn never(pointer: &str) -> Node {
        let mut n = Node::any(pointer);
        n.data_type = DataType::Unknown("never".to_string());
        n.nullable = false;
        n.facts.never = true;
        n
    }

    /// What the schema accepts, as [`value_set`] writes it (`never` for `false`).
    fn values(&self) -> String {
        if self.facts.never {
            return "never".to_string();
        }
        value_set(&self.data_type, self.nullable)
    }

    fn into_field(self, name: &str, span: Span) -> Field {
        let mut f = Field::new(name, self.data_type);
        f.nullable = self.nullable;
        f.required = false;
        f.default = self.default;
        f.constraints = self.constraints;
        f.description = self.description;
        f.metadata = self.metadata;
        f.json_schema = facts(self.facts);
        f.span = span;
        f.pointer = self.pointer;
        f
    }

    /// `allOf`: a value must satisfy both. Types intersect (an unconstrained side takes the
    /// other's; `integer` and `number` give `integer`); incompatible types leave no valid value
    /// (the `false` schema); constraints and properties add up.
    fn merge(mut self, other: Node) -> Node {
        self.data_type = match (std::mem::replace(&mut self.data_type, DataType::Any), other.data_type) {
            (DataType::Any, t) | (t, DataType::Any) => t,
            (DataType::Struct(mut a), DataType::Struct(b)) => {
                for f in b {
                    match a.iter_mut().find(|x| x.name == f.name) {
                        Some(x) => x.required |= f.required,
                        None => a.push(f),
                    }
                }
                DataType::Struct(a)
            }
            (i @ DataType::Int { .. }, DataType::Float { .. }) | (DataType::Float { .. }, i @ DataType::Int { .. }) => {
                i
            }
            (a, b) if same_shape(&a, &b) => a,
            // No value has two different types: nothing is valid, as with `false`.
            (_, _) => {
                self.facts.never = true;
                DataType::Unknown("never".to_string())
            }
        };
        self.nullable &= other.nullable;
        let (c, o) = (&mut self.constraints, other.constraints);
        c.min_length = c.min_length.or(o.min_length);
        c.max_length = c.max_length.or(o.max_length);
        c.pattern = c.pattern.take().or(o.pattern);
        c.format = c.format.take().or(o.format);
        c.minimum = c.minimum.take().or(o.minimum);
        c.maximum = c.maximum.take().or(o.maximum);
        c.multiple_of = c.multiple_of.or(o.multiple_of);
        c.min_items = c.min_items.or(o.min_items);
        c.max_items = c.max_items.or(o.max_items);
        c.unique_items |= o.unique_items;
        c.enum_values = match (c.enum_values.take(), o.enum_values) {
            (Some(a), Some(b)) => Some(a.into_iter().filter(|v| b.contains(v)).collect()),
            (a, b) => a.or(b),
        };
        self.default = self.default.or(other.default);
        self.description = self.description.or(other.description);
        for (k, v) in other.metadata {
            self.metadata.entry(k).or_insert(v);
        }
        self.facts.merge(other.facts);
        self
    }
}

/// Equal types, ignoring where they were written (spans and pointers of nested fields).
fn same_shape(a: &DataType, b: &DataType) -> bool {
    value_set(a, false) == value_set(b, false)
}

struct Lower<'a> {
    file: &'a Arc<SourceFile>,
    spans: &'a JsonSpans,
    root: &'a Json,
    /// Pointers of the `$ref` targets being expanded: a reference to one of them is recursive.
    stack: Vec<String>,
    fields: usize,
}

/// Keywords that say the schema is about objects.
const OBJECT_WORDS: &[&str] = &[
    "properties",
    "additionalProperties",
    "patternProperties",
    "unevaluatedProperties",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "propertyNames",
];
/// Keywords that say the schema is about arrays.
const ARRAY_WORDS: &[&str] =
    &["items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains", "unevaluatedItems"];

impl<'a> Lower<'a> {
    fn error(&self, kind: Kind, pointer: &str, message: impl Into<String>) -> Error {
        Error::at_span(kind, Format::JsonSchema, self.file, self.spans.nearest(pointer), message)
    }

    fn invalid(&self, pointer: &str, message: impl Into<String>) -> Error {
        self.error(Kind::Invalid, pointer, message)
    }

    fn count(&mut self, pointer: &str) -> Result<(), Error> {
        self.fields += 1;
        if self.fields > MAX_FIELDS {
            return Err(self.error(
                Kind::Unsupported,
                pointer,
                format!("the schema expands to more than {MAX_FIELDS} fields (`$ref`s are expanded at every use)"),
            ));
        }
        Ok(())
    }

    /// Lowers the subschema `v` written at `pointer`.
    fn schema(&mut self, v: &Json, pointer: &str, depth: usize) -> Result<Node, Error> {
        if depth > MAX_DEPTH {
            return Err(self.error(
                Kind::Unsupported,
                pointer,
                format!("subschemas nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        let obj = match v {
            Json::Bool(true) => return Ok(Node::any(pointer)),
            Json::Bool(false) => return Ok(Node::never(pointer)),
            Json::Object(obj) => obj,
            other => {
                return Err(
                    self.invalid(pointer, format!("a schema must be an object or a boolean, found {}", kind_of(other)))
                );
            }
        };
        let mut node = self.own(obj, pointer, depth)?;
        if let Some(r) = obj.get("$ref") {
            let Json::String(r) = r else {
                return Err(self.invalid(&format!("{pointer}/$ref"), "`$ref` must be a string"));
            };
            let referenced = self.reference(r, &format!("{pointer}/$ref"), depth)?;
            node = referenced.merge(node);
        }
        if let Some(all) = obj.get("allOf") {
            for (i, s) in self.list(all, &format!("{pointer}/allOf"))?.iter().enumerate() {
                let branch = self.schema(s, &format!("{pointer}/allOf/{i}"), depth + 1)?;
                node = node.merge(branch);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(list) = obj.get(key) {
                let p = format!("{pointer}/{key}");
                let mut branches = Vec::new();
                for (i, s) in self.list(list, &p)?.iter().enumerate() {
                    branches.push(self.schema(s, &format!("{p}/{i}"), depth + 1)?);
                }
                node = node.merge(union(branches, pointer));
            }
        }
        if let Some(not) = obj.get("not") {
            let n = self.schema(not, &format!("{pointer}/not"), depth + 1)?;
            node.facts.not = Some(n.values());
        }
        Ok(node)
    }

    fn list<'v>(&self, v: &'v Json, pointer: &str) -> Result<&'v Vec<Json>, Error> {
        match v {
            Json::Array(a) => Ok(a),
            other => Err(self.invalid(pointer, format!("expected a list of schemas, found {}", kind_of(other)))),
        }
    }

    /// Expands a `$ref`. A reference into a schema that is being expanded is recursive: it stays
    /// a named reference.
    fn reference(&mut self, r: &str, at: &str, depth: usize) -> Result<Node, Error> {
        let Some((target, value)) = self.resolve(r) else {
            return Err(if r.starts_with('#') {
                self.invalid(at, format!("the `$ref` `{r}` points at nothing in this document"))
            } else {
                self.error(
                    Kind::Unsupported,
                    at,
                    format!(
                        "the `$ref` `{r}` points outside this document; contrakt resolves only local references \
                         (`#/$defs/…`, `#/definitions/…`, anchors and embedded `$id`s): bundle the referenced schema into this file"
                    ),
                )
            });
        };
        if self.stack.contains(&target) {
            let mut node = Node::any(&target);
            node.data_type = DataType::Unknown(format!("ref:#{target}"));
            node.nullable = false;
            node.metadata.insert(meta::RECURSIVE.to_string(), "true".to_string());
            return Ok(node);
        }
        self.stack.push(target.clone());
        let node = self.schema(value, &target, depth + 1);
        self.stack.pop();
        node
    }

    /// The pointer and schema a `$ref` names, if it is in this document.
    fn resolve(&self, r: &str) -> Option<(String, &'a Json)> {
        let root: &'a Json = self.root;
        if let Some(fragment) = r.strip_prefix('#') {
            let fragment = fragment.replace("%25", "%").replace("%22", "\"").replace("%20", " ");
            if fragment.is_empty() {
                return Some((String::new(), root));
            }
            if fragment.starts_with('/') {
                return root.pointer(&fragment).map(|v| (fragment.clone(), v));
            }
            return find(root, "", &|o| {
                o.get("$anchor").and_then(Json::as_str) == Some(fragment.as_str())
                    || id_of(o).is_some_and(|id| id == format!("#{fragment}"))
            });
        }
        // An embedded `$id` (or the root's own), possibly with a fragment after it.
        let (base, fragment) = r.split_once('#').unwrap_or((r, ""));
        let (pointer, value) = find(root, "", &|o| {
            id_of(o)
                .is_some_and(|id| id == base || id.ends_with(&format!("/{base}")) || base.ends_with(&format!("/{id}")))
        })?;
        if fragment.is_empty() {
            return Some((pointer, value));
        }
        let inner = value.pointer(fragment)?;
        Some((format!("{pointer}{fragment}"), inner))
    }

    /// The keywords of the schema object itself (not its `$ref` or combinators).
    fn own(&mut self, obj: &Map<String, Json>, pointer: &str, depth: usize) -> Result<Node, Error> {
        let mut node = Node::any(pointer);
        let mut types: Vec<String> = match obj.get("type") {
            None => Vec::new(),
            Some(Json::String(t)) => vec![t.clone()],
            Some(Json::Array(ts)) => {
                let mut out = Vec::new();
                for (i, t) in ts.iter().enumerate() {
                    match t {
                        Json::String(t) => out.push(t.clone()),
                        // Draft 3 allowed schemas here; treat them as any value.
                        _ => {
                            return Err(self.error(
                                Kind::Unsupported,
                                &format!("{pointer}/type/{i}"),
                                "a schema inside `type` (draft 3) is not supported; use `anyOf`",
                            ));
                        }
                    }
                }
                out
            }
            Some(other) => {
                return Err(self.invalid(
                    &format!("{pointer}/type"),
                    format!("`type` must be a string or a list of strings, found {}", kind_of(other)),
                ));
            }
        };
        for t in &types {
            if !matches!(t.as_str(), "string" | "integer" | "number" | "boolean" | "object" | "array" | "null") {
                return Err(self.invalid(
                    &format!("{pointer}/type"),
                    format!("unknown type `{t}`: expected string, integer, number, boolean, object, array or null"),
                ));
            }
        }
        let values =
            obj.get("enum").and_then(Json::as_array).cloned().or_else(|| obj.get("const").map(|c| vec![c.clone()]));
        if types.is_empty() {
            if OBJECT_WORDS.iter().any(|k| obj.contains_key(*k)) {
                types.push("object".to_string());
            } else if ARRAY_WORDS.iter().any(|k| obj.contains_key(*k)) {
                types.push("array".to_string());
            } else if let Some(vs) = values.as_ref().filter(|v| !v.is_empty()) {
                // `enum: [a, b]` alone: the type of its values, when they agree.
                let kind = |v: &Json| match v {
                    Json::String(_) => Some("string"),
                    Json::Bool(_) => Some("boolean"),
                    Json::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
                    Json::Number(_) => Some("number"),
                    _ => None,
                };
                let first = kind(&vs[0]);
                if first.is_some() && vs.iter().all(|v| kind(v) == first) {
                    types.extend(first.map(str::to_string));
                }
            }
        }
        if !types.is_empty() {
            node.nullable = types.iter().any(|t| t == "null");
            let mut data_types = Vec::new();
            for t in types.iter().filter(|t| *t != "null") {
                let dt = self.typed(t, obj, pointer, depth, &mut node.facts)?;
                if !data_types.contains(&dt) {
                    data_types.push(dt);
                }
            }
            node.data_type = match data_types.len() {
                0 => DataType::Null,
                1 => data_types.pop().unwrap_or(DataType::Any),
                _ => DataType::Union(data_types),
            };
        }
        let c = &mut node.constraints;
        let count = |k: &str| obj.get(k).and_then(Json::as_u64);
        c.min_length = count("minLength");
        c.max_length = count("maxLength");
        c.min_items = count("minItems");
        c.max_items = count("maxItems");
        c.pattern = obj.get("pattern").and_then(Json::as_str).map(str::to_string);
        c.format = obj.get("format").and_then(Json::as_str).map(str::to_string);
        c.unique_items = obj.get("uniqueItems").and_then(Json::as_bool).unwrap_or(false);
        c.multiple_of = obj.get("multipleOf").and_then(Json::as_f64);
        c.minimum = bound(obj, "minimum", "exclusiveMinimum");
        c.maximum = bound(obj, "maximum", "exclusiveMaximum");
        c.enum_values = values;
        node.default = obj.get("default").cloned();
        node.description = obj.get("description").and_then(Json::as_str).map(str::to_string);
        let f = &mut node.facts;
        f.title = obj.get("title").and_then(Json::as_str).map(str::to_string);
        f.id = id_of(obj).map(str::to_string);
        f.min_properties = count("minProperties");
        f.max_properties = count("maxProperties");
        f.min_contains = count("minContains");
        f.max_contains = count("maxContains");
        f.dependencies = self.dependencies(obj, pointer, depth)?;
        Ok(node)
    }

    /// `dependencies` (draft 4–7), `dependentRequired` and `dependentSchemas` (2019-09+):
    /// property → the names it requires, or the value set of the schema it brings.
    fn dependencies(
        &mut self,
        obj: &Map<String, Json>,
        pointer: &str,
        depth: usize,
    ) -> Result<BTreeMap<String, Dependency>, Error> {
        let mut out = BTreeMap::new();
        for key in ["dependencies", "dependentRequired", "dependentSchemas"] {
            let Some(Json::Object(deps)) = obj.get(key) else { continue };
            for (name, dep) in deps {
                let value = match dep {
                    Json::Array(names) => Dependency::Names(names.iter().map(show).collect()),
                    schema => {
                        let p = format!("{pointer}/{key}/{}", escape(name));
                        Dependency::Schema(self.schema(schema, &p, depth + 1)?.values())
                    }
                };
                out.insert(name.clone(), value);
            }
        }
        Ok(out)
    }

    /// The IR type of one `type` name, with the object's or array's details.
    fn typed(
        &mut self,
        t: &str,
        obj: &Map<String, Json>,
        pointer: &str,
        depth: usize,
        facts: &mut JsonSchemaFacts,
    ) -> Result<DataType, Error> {
        Ok(match t {
            "string" => DataType::String,
            "integer" => DataType::Int { bits: None, signed: true },
            "number" => DataType::Float { bits: None },
            "boolean" => DataType::Boolean,
            "object" => self.object(obj, pointer, depth, facts)?,
            "array" => self.array(obj, pointer, depth, facts)?,
            _ => DataType::Null,
        })
    }

    fn object(
        &mut self,
        obj: &Map<String, Json>,
        pointer: &str,
        depth: usize,
        facts: &mut JsonSchemaFacts,
    ) -> Result<DataType, Error> {
        let required: Vec<&str> = match obj.get("required") {
            Some(Json::Array(names)) => names.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        let mut fields = Vec::new();
        let properties = match obj.get("properties") {
            None => None,
            Some(Json::Object(p)) => Some(p),
            Some(other) => {
                return Err(self.invalid(
                    &format!("{pointer}/properties"),
                    format!("`properties` must be an object, found {}", kind_of(other)),
                ));
            }
        };
        for (name, schema) in properties.into_iter().flatten() {
            let p = format!("{pointer}/properties/{}", escape(name));
            self.count(&p)?;
            let node = self.schema(schema, &p, depth + 1)?;
            let span = self.spans.get(&p);
            let mut field = node.into_field(name, span);
            field.pointer = p;
            field.required = required.contains(&name.as_str());
            fields.push(field);
        }
        // Draft 2019-09+: `unevaluatedProperties` closes or opens the same way when
        // `additionalProperties` is not written.
        let (additional_key, additional) = match obj.get("additionalProperties") {
            Some(a) => ("additionalProperties", Some(a)),
            None => ("unevaluatedProperties", obj.get("unevaluatedProperties")),
        };
        let additional = match additional {
            None => None,
            Some(a) => Some(self.schema(a, &format!("{pointer}/{additional_key}"), depth + 1)?),
        };
        let mut patterns = Vec::new();
        if let Some(Json::Object(pp)) = obj.get("patternProperties") {
            for (re, schema) in pp {
                let node = self.schema(schema, &format!("{pointer}/patternProperties/{}", escape(re)), depth + 1)?;
                patterns.push((re.clone(), node.values()));
            }
        }
        let additional_set = additional.as_ref().map_or("any".to_string(), Node::values);
        // Only an `additionalProperties` schema: a map from names to values of that schema.
        if fields.is_empty() && patterns.is_empty() && additional_set != "any" && additional_set != "never" {
            let additional = additional.unwrap_or_else(|| Node::any(pointer));
            let value_pointer = additional.pointer.clone();
            let mut key = Field::new("key", DataType::String);
            key.nullable = false;
            key.pointer = pointer.to_string();
            let value = additional.into_field("value", self.spans.get(&value_pointer));
            return Ok(DataType::Map { key: Box::new(key), value: Box::new(value) });
        }
        let content = match additional_set.as_str() {
            _ if !patterns.is_empty() => Content::Partial,
            "any" => Content::Open,
            "never" => Content::Closed,
            _ => Content::Partial,
        };
        facts.content = Some(content);
        if content == Content::Partial {
            facts.additional = Some(additional_set);
        }
        facts.patterns = patterns;
        Ok(DataType::Struct(fields))
    }

    fn array(
        &mut self,
        obj: &Map<String, Json>,
        pointer: &str,
        depth: usize,
        facts: &mut JsonSchemaFacts,
    ) -> Result<DataType, Error> {
        // Tuples: `prefixItems` (2020-12, with `items` for the rest) or `items: [..]` (earlier
        // drafts, with `additionalItems` for the rest).
        let (tuple_key, rest_key) = if obj.contains_key("prefixItems") {
            ("prefixItems", "items")
        } else if obj.get("items").is_some_and(Json::is_array) {
            ("items", "additionalItems")
        } else {
            ("", "additionalItems")
        };
        let mut item = Node::any(&format!("{pointer}/items"));
        if !tuple_key.is_empty() {
            let p = format!("{pointer}/{tuple_key}");
            let mut sets = Vec::new();
            for (i, s) in self.list(&obj[tuple_key], &p)?.iter().enumerate() {
                sets.push(self.schema(s, &format!("{p}/{i}"), depth + 1)?.values());
            }
            facts.tuple = Some(sets);
        } else if let Some(items) = obj.get("items") {
            self.count(pointer)?;
            item = self.schema(items, &format!("{pointer}/items"), depth + 1)?;
        }
        // 2019-09+: `unevaluatedItems` bounds the rest the same way when nothing else does.
        let rest_key = if obj.contains_key(rest_key) { rest_key } else { "unevaluatedItems" };
        if let Some(rest) = obj.get(rest_key) {
            let n = self.schema(rest, &format!("{pointer}/{rest_key}"), depth + 1)?;
            facts.additional_items = Some(n.values());
        } else if !tuple_key.is_empty() {
            facts.additional_items = Some("any".to_string());
        }
        if let Some(contains) = obj.get("contains") {
            let n = self.schema(contains, &format!("{pointer}/contains"), depth + 1)?;
            facts.contains = Some(n.values());
        }
        let span = self.spans.get(&item.pointer);
        Ok(DataType::List(Box::new(item.into_field("item", span))))
    }
}

/// `oneOf`/`anyOf`: null branches make the value nullable; one other branch is that branch; an
/// unconstrained branch accepts anything; several are a union of their types.
fn union(branches: Vec<Node>, pointer: &str) -> Node {
    let nullable = branches.iter().any(|b| b.nullable || matches!(b.data_type, DataType::Null));
    let mut rest: Vec<Node> = branches.into_iter().filter(|b| !matches!(b.data_type, DataType::Null)).collect();
    if rest.iter().any(|b| matches!(b.data_type, DataType::Any)) {
        return Node::any(pointer);
    }
    let mut node = match rest.len() {
        0 => {
            let mut n = Node::any(pointer);
            n.data_type = DataType::Null;
            n
        }
        1 => rest.pop().unwrap_or_else(|| Node::any(pointer)),
        _ => {
            let mut types: Vec<DataType> = Vec::new();
            for b in rest {
                if !types.iter().any(|t| same_shape(t, &b.data_type)) {
                    types.push(b.data_type);
                }
            }
            let mut n = Node::any(pointer);
            n.data_type = if types.len() == 1 { types.pop().unwrap_or(DataType::Any) } else { DataType::Union(types) };
            n
        }
    };
    node.nullable = nullable;
    node.pointer = pointer.to_string();
    node
}

/// `minimum` with `exclusiveMinimum` (a number since draft 6, a flag on `minimum` in draft 4).
fn bound(obj: &Map<String, Json>, key: &str, exclusive_key: &str) -> Option<Bound> {
    match obj.get(exclusive_key) {
        Some(v @ Json::Number(_)) => return Some(Bound { value: v.clone(), exclusive: true }),
        Some(Json::Bool(true)) => {
            return obj.get(key).filter(|v| v.is_number()).map(|v| Bound { value: v.clone(), exclusive: true });
        }
        _ => {}
    }
    obj.get(key).filter(|v| v.is_number()).map(|v| Bound { value: v.clone(), exclusive: false })
}

/// `$id` (draft 6+) or `id` (draft 4) when it is a string.
fn id_of(obj: &Map<String, Json>) -> Option<&str> {
    obj.get("$id").or_else(|| obj.get("id")).and_then(Json::as_str)
}

/// The first schema object (depth first) that satisfies `pred`, with its pointer.
fn find<'a>(v: &'a Json, pointer: &str, pred: &dyn Fn(&Map<String, Json>) -> bool) -> Option<(String, &'a Json)> {
    let mut todo = vec![(pointer.to_string(), v)];
    let mut seen = 0usize;
    while let Some((p, v)) = todo.pop() {
        seen += 1;
        if seen > 1_000_000 {
            return None;
        }
        match v {
            Json::Object(o) => {
                if pred(o) {
                    return Some((p, v));
                }
                for (k, c) in o.iter().rev() {
                    // `enum`, `const`, `default` and `examples` hold data, not schemas.
                    if !matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                        todo.push((format!("{p}/{}", escape(k)), c));
                    }
                }
            }
            Json::Array(a) => {
                for (i, c) in a.iter().enumerate().rev() {
                    todo.push((format!("{p}/{i}"), c));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests;
