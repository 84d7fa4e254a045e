//! Avro schemas (`.avsc`) → Schema IR.
//!
//! The JSON is read with serde_json and checked the way the Avro Java parser checks it (names,
//! duplicate fields and types, union rules, defaults against their types), then lowered:
//!
//! - the top-level record becomes one [`Object`] named after its full name (a top-level union
//!   of records gives one object per record; enums and fixed types listed there are only
//!   definitions); its fields are the object's fields;
//! - `["null", T]` is a nullable `T`; other unions are [`DataType::Union`] (null removed, the
//!   field nullable);
//! - named types (record, enum, fixed) are expanded at every use. A reference to a type that
//!   encloses it (a recursive type) is not expanded: it becomes
//!   `DataType::Unknown("ref:<full name>")` with `metadata["recursive"] = "true"`;
//! - a field with a `default` has `default: Some(..)` and `required: false` (a reader fills it
//!   in when the writer lacks it); all other fields are `required: true`;
//! - the full name of a named type is in `metadata["avro.name"]`, its aliases in
//!   `metadata["avro.aliases"]`; enums are closed (`open: false`) with their `default` symbol.
//!
//! Next to the IR, [`Schema::facts`] holds Avro's own tree ([`FormatFacts::Avro`]): named types
//! defined once with their full names, aliases, fields' defaults and aliases, enum defaults and
//! fixed sizes, and union branches as written. The diff resolves two Avro schemas on that tree;
//! the IR (and the `avro.*` metadata) serves comparisons with other formats.
//!
//! Pointers are JSON pointers into the `.avsc` (`/fields/2/type/fields/0`); for fields of a
//! type used by reference they point at the type's definition.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use contrakt_core::ir::avro::{AvroField as TreeField, AvroNode, AvroSchema, AvroType, NamedKind, NamedType};
use contrakt_core::ir::{DataType, Expresses, Field, FormatFacts, Object, RecordModel, Schema, TimeUnit};
use contrakt_core::{SourceFile, Span};
use serde_json::{Map, Value as Json};

use crate::Format;
use crate::error::{Error, Kind};
use crate::metadata as meta;
use crate::spans::JsonSpans;

/// Deepest nesting of types (inline or through references) that is lowered.
const MAX_DEPTH: usize = 128;
/// Most fields a schema may expand to (named types are expanded at every use).
const MAX_FIELDS: usize = 100_000;

pub(crate) fn load(name: &str, text: &str) -> Result<Schema, Error> {
    let file = SourceFile::new(name, text);
    if text.trim().is_empty() {
        return Err(Error::at_line(Kind::Syntax, Format::Avro, name, None, None, "the file is empty"));
    }
    let json: Json = serde_json::from_str(text).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        Error::at_line(
            Kind::Syntax,
            Format::Avro,
            name,
            (line > 0).then_some(line),
            (line > 0).then_some(column.max(1)),
            format!("not valid JSON: {}", strip_position(&e.to_string())),
        )
    })?;
    let spans = JsonSpans::new(&file);
    let mut parser = Parser { file: &file, spans: &spans, defs: Vec::new(), names: HashMap::new() };
    let root = parser.parse(&json, String::new(), "", 0)?;
    parser.check_defaults()?;

    let records: Vec<usize> = match &root.ty {
        Ty::Named(idx) if matches!(parser.defs[*idx].kind, DefKind::Record(_)) => vec![*idx],
        Ty::Union(branches) => {
            let mut out = Vec::new();
            for b in branches {
                match &b.ty {
                    Ty::Named(idx) if matches!(parser.defs[*idx].kind, DefKind::Record(_)) => out.push(*idx),
                    // Enums and fixed types listed at the top are definitions for later branches.
                    Ty::Named(_) | Ty::Prim(Prim::Null, ..) => {}
                    _ => {
                        return Err(parser.error(
                            Kind::Unsupported,
                            &b.pointer,
                            format!(
                                "a top-level union lists `{}`; contrakt reads a record or a union of records",
                                parser.describe(b)
                            ),
                        ));
                    }
                }
            }
            out
        }
        _ => {
            return Err(parser.error(
                Kind::Unsupported,
                "",
                format!(
                    "the top-level schema is `{}`; contrakt reads a record (or a union of records) as the object",
                    parser.describe(&root)
                ),
            ));
        }
    };
    if records.is_empty() {
        return Err(parser.error(Kind::Unsupported, "", "the top-level union lists no record"));
    }

    let mut lower = Lower { parser: &parser, fields: 0, spans: HashMap::new() };
    let mut objects = Vec::new();
    for idx in records {
        let def = &parser.defs[idx];
        let DefKind::Record(fields) = &def.kind else { continue };
        let mut stack = vec![idx];
        let fields = fields.iter().map(|f| lower.field(f, &mut stack, 1)).collect::<Result<Vec<_>, _>>()?;
        objects.push(Object {
            name: def.fullname.clone(),
            physical_name: None,
            id: None,
            kind: Some("record".to_string()),
            fields,
            primary_key: Vec::new(),
            partitioning: Vec::new(),
            foreign_keys: Vec::new(),
            description: def.doc.clone(),
            span: spans.get(&def.pointer),
            pointer: def.pointer.clone(),
            tags: Vec::new(),
            custom_properties: Default::default(),
            quality: Vec::new(),
            json_schema: None,
        });
    }
    Ok(Schema {
        source: name.to_string(),
        record_model: RecordModel::ByNameWithDefaults,
        // Avro says docs and defaults; no keys, constraints, classification or quality.
        expresses: Expresses { descriptions: true, defaults: true, ..Expresses::NONE },
        qualified_paths: false,
        objects,
        proto_files: Vec::new(),
        facts: FormatFacts::Avro(Arc::new(parser.tree(&root))),
    })
}

/// serde_json appends " at line L column C"; the error carries those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Avro's primitive types, by the names schemas give them (also what contrakt-check's reader of
/// Iceberg manifests decodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prim {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl Prim {
    /// `"long"` → `Long`; `None` for a name that is not a primitive type.
    pub fn parse(s: &str) -> Option<Prim> {
        Some(match s {
            "null" => Prim::Null,
            "boolean" => Prim::Boolean,
            "int" => Prim::Int,
            "long" => Prim::Long,
            "float" => Prim::Float,
            "double" => Prim::Double,
            "bytes" => Prim::Bytes,
            "string" => Prim::String,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Prim::Null => "null",
            Prim::Boolean => "boolean",
            Prim::Int => "int",
            Prim::Long => "long",
            Prim::Float => "float",
            Prim::Double => "double",
            Prim::Bytes => "bytes",
            Prim::String => "string",
        }
    }

    fn data_type(self) -> DataType {
        match self {
            Prim::Null => DataType::Null,
            Prim::Boolean => DataType::Boolean,
            Prim::Int => DataType::int(32),
            Prim::Long => DataType::int(64),
            Prim::Float => DataType::float(32),
            Prim::Double => DataType::float(64),
            Prim::Bytes => DataType::Binary,
            Prim::String => DataType::String,
        }
    }
}

/// A `logicalType` attribute: its name and, when it applies to the base type, its IR type.
#[derive(Debug, Clone)]
struct Logical {
    name: String,
    data_type: Option<DataType>,
}

#[derive(Debug)]
enum Ty {
    Prim(Prim, Option<Logical>),
    Named(usize),
    Array(Box<Node>),
    Map(Box<Node>),
    Union(Vec<Node>),
}

/// A type as written, with the JSON pointer of where it is written.
#[derive(Debug)]
struct Node {
    ty: Ty,
    pointer: String,
}

#[derive(Debug)]
struct AvroField {
    name: String,
    doc: Option<String>,
    aliases: Vec<String>,
    default: Option<Json>,
    ty: Node,
    pointer: String,
}

#[derive(Debug)]
enum DefKind {
    /// Being parsed: a reference to it from inside is a recursive reference.
    Pending,
    Record(Vec<AvroField>),
    Enum {
        symbols: Vec<String>,
        default: Option<String>,
    },
    Fixed {
        size: u64,
        logical: Option<Logical>,
    },
}

/// A named type definition.
#[derive(Debug)]
struct Def {
    fullname: String,
    aliases: Vec<String>,
    doc: Option<String>,
    pointer: String,
    kind: DefKind,
}

struct Parser<'a> {
    file: &'a Arc<SourceFile>,
    spans: &'a JsonSpans,
    defs: Vec<Def>,
    names: HashMap<String, usize>,
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

/// Avro names: `[A-Za-z_][A-Za-z0-9_]*`.
fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Parser<'_> {
    fn error(&self, kind: Kind, pointer: &str, message: impl Into<String>) -> Error {
        Error::at_span(kind, Format::Avro, self.file, self.spans.nearest(pointer), message)
    }

    fn invalid(&self, pointer: &str, message: impl Into<String>) -> Error {
        self.error(Kind::Invalid, pointer, message)
    }

    fn parse(&mut self, v: &Json, pointer: String, ns: &str, depth: usize) -> Result<Node, Error> {
        if depth > MAX_DEPTH {
            return Err(self.error(Kind::Unsupported, &pointer, format!("types nest deeper than {MAX_DEPTH} levels")));
        }
        match v {
            Json::String(s) => {
                let ty = self.by_name(s, &pointer, ns)?;
                Ok(Node { ty, pointer })
            }
            Json::Array(items) => {
                let mut branches = Vec::with_capacity(items.len());
                let mut seen: HashMap<String, usize> = HashMap::new();
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{pointer}/{i}");
                    if item.is_array() {
                        return Err(self.invalid(&p, "a union cannot directly contain another union"));
                    }
                    let node = self.parse(item, p.clone(), ns, depth + 1)?;
                    let key = match &node.ty {
                        Ty::Prim(prim, _) => prim.name().to_string(),
                        Ty::Named(idx) => self.defs[*idx].fullname.clone(),
                        Ty::Array(_) => "array".to_string(),
                        Ty::Map(_) => "map".to_string(),
                        Ty::Union(_) => "union".to_string(),
                    };
                    if let Some(first) = seen.insert(key.clone(), i) {
                        return Err(self.invalid(
                            &p,
                            format!("the union lists `{key}` twice (branches {first} and {i}); a union may hold each type once"),
                        ));
                    }
                    branches.push(node);
                }
                Ok(Node { ty: Ty::Union(branches), pointer })
            }
            Json::Object(obj) => self.complex(obj, pointer, ns, depth),
            other => Err(self.invalid(
                &pointer,
                format!("expected a type name, a schema object or a union list, found {}", kind_of(other)),
            )),
        }
    }

    /// A type written by name: a primitive or a named type defined earlier.
    fn by_name(&self, s: &str, pointer: &str, ns: &str) -> Result<Ty, Error> {
        if let Some(p) = Prim::parse(s) {
            return Ok(Ty::Prim(p, None));
        }
        if let Some(idx) = self.resolve(s, ns) {
            return Ok(Ty::Named(idx));
        }
        let tried = if s.contains('.') || ns.is_empty() {
            String::new()
        } else {
            format!(" (looked up as `{ns}.{s}` and `{s}`)")
        };
        Err(self.invalid(
            pointer,
            format!("unknown type `{s}`{tried}: not a primitive type and not a record, enum or fixed defined before this point"),
        ))
    }

    fn resolve(&self, s: &str, ns: &str) -> Option<usize> {
        if s.contains('.') || ns.is_empty() {
            return self.names.get(s).copied();
        }
        self.names.get(&format!("{ns}.{s}")).or_else(|| self.names.get(s)).copied()
    }

    fn complex(&mut self, obj: &Map<String, Json>, pointer: String, ns: &str, depth: usize) -> Result<Node, Error> {
        let ty = match obj.get("type") {
            None => return Err(self.invalid(&pointer, "the schema object has no `type`")),
            Some(Json::String(t)) => t.as_str(),
            Some(other) => {
                return Err(self.invalid(
                    &format!("{pointer}/type"),
                    format!("`type` of a schema object must be a string, found {}", kind_of(other)),
                ));
            }
        };
        let node = |ty| Node { ty, pointer: pointer.clone() };
        if let Some(prim) = Prim::parse(ty) {
            return Ok(node(Ty::Prim(prim, logical(prim, obj))));
        }
        match ty {
            "record" | "error" => self.record(obj, pointer, ns, depth),
            "enum" => self.enumeration(obj, pointer, ns),
            "fixed" => self.fixed(obj, pointer, ns),
            "array" => {
                let Some(items) = obj.get("items") else {
                    return Err(self.invalid(&pointer, "the array schema has no `items`"));
                };
                let item = self.parse(items, format!("{pointer}/items"), ns, depth + 1)?;
                Ok(node(Ty::Array(Box::new(item))))
            }
            "map" => {
                let Some(values) = obj.get("values") else {
                    return Err(self.invalid(&pointer, "the map schema has no `values`"));
                };
                let value = self.parse(values, format!("{pointer}/values"), ns, depth + 1)?;
                Ok(node(Ty::Map(Box::new(value))))
            }
            // `{"type": "com.example.Address"}`: a reference written as an object.
            other => {
                let ty = self.by_name(other, &format!("{pointer}/type"), ns)?;
                Ok(node(ty))
            }
        }
    }

    /// Full name and namespace of a named type definition.
    fn full_name(
        &self,
        obj: &Map<String, Json>,
        pointer: &str,
        ns: &str,
        what: &str,
    ) -> Result<(String, String), Error> {
        let name = match obj.get("name") {
            None => return Err(self.invalid(pointer, format!("the {what} schema has no `name`"))),
            Some(Json::String(n)) => n.as_str(),
            Some(other) => {
                return Err(self.invalid(
                    &format!("{pointer}/name"),
                    format!("`name` of the {what} must be a string, found {}", kind_of(other)),
                ));
            }
        };
        let (namespace, short) = match name.rsplit_once('.') {
            Some((space, short)) => (space.to_string(), short),
            None => match obj.get("namespace") {
                Some(Json::String(s)) => (s.clone(), name),
                Some(Json::Null) => (String::new(), name),
                Some(other) => {
                    return Err(self.invalid(
                        &format!("{pointer}/namespace"),
                        format!("`namespace` must be a string, found {}", kind_of(other)),
                    ));
                }
                None => (ns.to_string(), name),
            },
        };
        let name_pointer = format!("{pointer}/name");
        if !valid_name(short) {
            return Err(
                self.invalid(&name_pointer, format!("`{short}` is not a valid Avro name ([A-Za-z_][A-Za-z0-9_]*)"))
            );
        }
        if !namespace.is_empty() && !namespace.split('.').all(valid_name) {
            return Err(self.invalid(&name_pointer, format!("`{namespace}` is not a valid Avro namespace")));
        }
        if Prim::parse(short).is_some() && namespace.is_empty() {
            return Err(self.invalid(&name_pointer, format!("`{short}` is a primitive type and cannot name a {what}")));
        }
        let full = if namespace.is_empty() { short.to_string() } else { format!("{namespace}.{short}") };
        Ok((full, namespace))
    }

    fn strings(&self, obj: &Map<String, Json>, key: &str, pointer: &str) -> Result<Vec<String>, Error> {
        match obj.get(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Json::String(s) => Ok(s.clone()),
                    other => Err(self.invalid(
                        &format!("{pointer}/{key}/{i}"),
                        format!("`{key}` must list strings, found {}", kind_of(other)),
                    )),
                })
                .collect(),
            Some(other) => Err(self.invalid(
                &format!("{pointer}/{key}"),
                format!("`{key}` must be a list of strings, found {}", kind_of(other)),
            )),
        }
    }

    fn doc(obj: &Map<String, Json>) -> Option<String> {
        obj.get("doc").and_then(Json::as_str).map(str::to_string)
    }

    /// Registers a named type before its body is parsed, so the body may refer to it.
    fn define(
        &mut self,
        fullname: String,
        aliases: Vec<String>,
        doc: Option<String>,
        pointer: &str,
    ) -> Result<usize, Error> {
        if let Some(&first) = self.names.get(&fullname) {
            let at = self.spans.nearest(&self.defs[first].pointer).map(|s| self.file.location(s.start as usize));
            let at = at.map(|l| format!(" (first defined at line {})", l.line)).unwrap_or_default();
            return Err(self.invalid(&format!("{pointer}/name"), format!("the type `{fullname}` is defined twice{at}")));
        }
        let idx = self.defs.len();
        self.defs.push(Def {
            fullname: fullname.clone(),
            aliases,
            doc,
            pointer: pointer.to_string(),
            kind: DefKind::Pending,
        });
        self.names.insert(fullname, idx);
        Ok(idx)
    }

    fn aliases(&self, obj: &Map<String, Json>, pointer: &str, namespace: &str) -> Result<Vec<String>, Error> {
        Ok(self
            .strings(obj, "aliases", pointer)?
            .into_iter()
            .map(|a| if a.contains('.') || namespace.is_empty() { a } else { format!("{namespace}.{a}") })
            .collect())
    }

    fn record(&mut self, obj: &Map<String, Json>, pointer: String, ns: &str, depth: usize) -> Result<Node, Error> {
        let (fullname, namespace) = self.full_name(obj, &pointer, ns, "record")?;
        let aliases = self.aliases(obj, &pointer, &namespace)?;
        let idx = self.define(fullname.clone(), aliases, Self::doc(obj), &pointer)?;
        let list = match obj.get("fields") {
            None => return Err(self.invalid(&pointer, format!("the record `{fullname}` has no `fields`"))),
            Some(Json::Array(list)) => list,
            Some(other) => {
                return Err(self.invalid(
                    &format!("{pointer}/fields"),
                    format!("`fields` of the record `{fullname}` must be a list, found {}", kind_of(other)),
                ));
            }
        };
        let mut fields = Vec::with_capacity(list.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, f) in list.iter().enumerate() {
            let fp = format!("{pointer}/fields/{i}");
            let Json::Object(f) = f else {
                return Err(self.invalid(
                    &fp,
                    format!("field {i} of the record `{fullname}` must be an object, found {}", kind_of(f)),
                ));
            };
            let name = match f.get("name") {
                Some(Json::String(n)) => n.clone(),
                None => return Err(self.invalid(&fp, format!("field {i} of the record `{fullname}` has no `name`"))),
                Some(other) => {
                    return Err(self.invalid(
                        &format!("{fp}/name"),
                        format!(
                            "`name` of field {i} of the record `{fullname}` must be a string, found {}",
                            kind_of(other)
                        ),
                    ));
                }
            };
            if !valid_name(&name) {
                return Err(self.invalid(
                    &format!("{fp}/name"),
                    format!("`{name}` is not a valid Avro field name ([A-Za-z_][A-Za-z0-9_]*)"),
                ));
            }
            if let Some(first) = seen.insert(name.clone(), i) {
                return Err(self.invalid(
                    &format!("{fp}/name"),
                    format!("the record `{fullname}` has two fields named `{name}` (fields {first} and {i})"),
                ));
            }
            let Some(ftype) = f.get("type") else {
                return Err(self.invalid(&fp, format!("the field `{name}` of the record `{fullname}` has no `type`")));
            };
            let ty = self.parse(ftype, format!("{fp}/type"), &namespace, depth + 1)?;
            let aliases = self.strings(f, "aliases", &fp)?;
            fields.push(AvroField {
                name,
                doc: Self::doc(f),
                aliases,
                default: f.get("default").cloned(),
                ty,
                pointer: fp,
            });
        }
        self.defs[idx].kind = DefKind::Record(fields);
        Ok(Node { ty: Ty::Named(idx), pointer })
    }

    fn enumeration(&mut self, obj: &Map<String, Json>, pointer: String, ns: &str) -> Result<Node, Error> {
        let (fullname, namespace) = self.full_name(obj, &pointer, ns, "enum")?;
        let aliases = self.aliases(obj, &pointer, &namespace)?;
        if !obj.contains_key("symbols") {
            return Err(self.invalid(&pointer, format!("the enum `{fullname}` has no `symbols`")));
        }
        let symbols = self.strings(obj, "symbols", &pointer)?;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, s) in symbols.iter().enumerate() {
            let sp = format!("{pointer}/symbols/{i}");
            if !valid_name(s) {
                return Err(self.invalid(&sp, format!("`{s}` is not a valid enum symbol ([A-Za-z_][A-Za-z0-9_]*)")));
            }
            if let Some(first) = seen.insert(s, i) {
                return Err(self.invalid(
                    &sp,
                    format!("the enum `{fullname}` lists the symbol `{s}` twice (symbols {first} and {i})"),
                ));
            }
        }
        let default = match obj.get("default") {
            None => None,
            Some(Json::String(d)) if symbols.contains(d) => Some(d.clone()),
            Some(other) => {
                return Err(self.invalid(
                    &format!("{pointer}/default"),
                    format!("the default {other} of the enum `{fullname}` is not one of its symbols"),
                ));
            }
        };
        let idx = self.define(fullname, aliases, Self::doc(obj), &pointer)?;
        self.defs[idx].kind = DefKind::Enum { symbols, default };
        Ok(Node { ty: Ty::Named(idx), pointer })
    }

    fn fixed(&mut self, obj: &Map<String, Json>, pointer: String, ns: &str) -> Result<Node, Error> {
        let (fullname, namespace) = self.full_name(obj, &pointer, ns, "fixed")?;
        let aliases = self.aliases(obj, &pointer, &namespace)?;
        let size = match obj.get("size") {
            Some(Json::Number(n)) if n.as_u64().is_some() => n.as_u64().unwrap_or_default(),
            None => return Err(self.invalid(&pointer, format!("the fixed `{fullname}` has no `size`"))),
            Some(other) => {
                return Err(self.invalid(
                    &format!("{pointer}/size"),
                    format!("`size` of the fixed `{fullname}` must be a non-negative integer, found {other}"),
                ));
            }
        };
        let logical = fixed_logical(size, obj);
        let idx = self.define(fullname, aliases, Self::doc(obj), &pointer)?;
        self.defs[idx].kind = DefKind::Fixed { size, logical };
        Ok(Node { ty: Ty::Named(idx), pointer })
    }

    /// The typed tree the diff resolves on (`contrakt_core::ir::avro`). Logical types are left
    /// out: Avro's resolution reads the underlying type only.
    fn tree(&self, root: &Node) -> AvroSchema {
        let named = self
            .defs
            .iter()
            .map(|d| NamedType {
                full_name: d.fullname.clone(),
                aliases: d.aliases.clone(),
                kind: match &d.kind {
                    // A definition still pending after parsing cannot happen (a parse error
                    // returns first); an empty record is the harmless reading.
                    DefKind::Pending => NamedKind::Record { fields: Vec::new() },
                    DefKind::Record(fields) => NamedKind::Record {
                        fields: fields
                            .iter()
                            .map(|f| TreeField {
                                name: f.name.clone(),
                                aliases: f.aliases.clone(),
                                default: f.default.clone(),
                                node: self.tree_node(&f.ty),
                                pointer: f.pointer.clone(),
                                span: self.spans.get(&f.pointer),
                            })
                            .collect(),
                    },
                    DefKind::Enum { symbols, default } => {
                        NamedKind::Enum { symbols: symbols.clone(), default: default.clone() }
                    }
                    DefKind::Fixed { size, .. } => NamedKind::Fixed { size: *size },
                },
                pointer: d.pointer.clone(),
                span: self.spans.get(&d.pointer),
            })
            .collect();
        AvroSchema { root: self.tree_node(root), named }
    }

    fn tree_node(&self, node: &Node) -> AvroNode {
        let ty = match &node.ty {
            Ty::Prim(p, _) => match p {
                Prim::Null => AvroType::Null,
                Prim::Boolean => AvroType::Boolean,
                Prim::Int => AvroType::Int,
                Prim::Long => AvroType::Long,
                Prim::Float => AvroType::Float,
                Prim::Double => AvroType::Double,
                Prim::Bytes => AvroType::Bytes,
                Prim::String => AvroType::String,
            },
            Ty::Named(idx) => AvroType::Named(*idx),
            Ty::Array(item) => AvroType::Array(Box::new(self.tree_node(item))),
            Ty::Map(value) => AvroType::Map(Box::new(self.tree_node(value))),
            Ty::Union(branches) => AvroType::Union(branches.iter().map(|b| self.tree_node(b)).collect()),
        };
        AvroNode { ty, pointer: node.pointer.clone(), span: self.spans.get(&node.pointer) }
    }

    /// Avro Java rejects defaults that do not match the field's type; so does contrakt.
    fn check_defaults(&self) -> Result<(), Error> {
        for def in &self.defs {
            let DefKind::Record(fields) = &def.kind else { continue };
            for f in fields {
                if let Some(d) = &f.default
                    && !self.default_ok(&f.ty, d, 0)
                {
                    let shown = d.to_string();
                    let shown = if shown.len() > 60 {
                        format!("{}…", &shown[..shown.floor_char_boundary(60)])
                    } else {
                        shown
                    };
                    return Err(self.invalid(
                        &format!("{}/default", f.pointer),
                        format!(
                            "the default {shown} of the field `{}` in `{}` does not match its type `{}`",
                            f.name,
                            def.fullname,
                            self.describe(&f.ty)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn default_ok(&self, node: &Node, v: &Json, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return true;
        }
        match &node.ty {
            Ty::Prim(p, _) => match p {
                Prim::Null => v.is_null(),
                Prim::Boolean => v.is_boolean(),
                Prim::Int => v.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
                Prim::Long => v.as_i64().is_some(),
                Prim::Float | Prim::Double => {
                    v.is_number() || matches!(v.as_str(), Some("NaN" | "Infinity" | "-Infinity"))
                }
                Prim::Bytes | Prim::String => v.is_string(),
            },
            Ty::Array(item) => v.as_array().is_some_and(|a| a.iter().all(|x| self.default_ok(item, x, depth + 1))),
            Ty::Map(value) => v.as_object().is_some_and(|m| m.values().all(|x| self.default_ok(value, x, depth + 1))),
            Ty::Union(branches) => branches.iter().any(|b| self.default_ok(b, v, depth + 1)),
            Ty::Named(idx) => match &self.defs[*idx].kind {
                DefKind::Pending => true,
                DefKind::Record(fields) => v.as_object().is_some_and(|m| {
                    fields.iter().all(|f| match m.get(&f.name) {
                        Some(x) => self.default_ok(&f.ty, x, depth + 1),
                        None => f.default.is_some(),
                    })
                }),
                DefKind::Enum { symbols, .. } => v.as_str().is_some_and(|s| symbols.iter().any(|x| x == s)),
                DefKind::Fixed { .. } => v.is_string(),
            },
        }
    }

    /// The type as Avro writes it, for messages.
    fn describe(&self, node: &Node) -> String {
        self.describe_at(node, 0)
    }

    fn describe_at(&self, node: &Node, depth: usize) -> String {
        if depth > 8 {
            return "…".to_string();
        }
        match &node.ty {
            Ty::Prim(p, Some(l)) => format!("{}/{}", p.name(), l.name),
            Ty::Prim(p, None) => p.name().to_string(),
            Ty::Named(idx) => self.defs[*idx].fullname.clone(),
            Ty::Array(item) => format!("array<{}>", self.describe_at(item, depth + 1)),
            Ty::Map(value) => format!("map<{}>", self.describe_at(value, depth + 1)),
            Ty::Union(bs) => {
                format!("[{}]", bs.iter().map(|b| self.describe_at(b, depth + 1)).collect::<Vec<_>>().join(", "))
            }
        }
    }
}

fn int_attr(obj: &Map<String, Json>, key: &str) -> Option<Option<i64>> {
    match obj.get(key) {
        None => Some(None),
        Some(v) => v.as_i64().map(Some),
    }
}

/// A `decimal` logical type, or `None` when its attributes are invalid (Avro then ignores it).
fn decimal(obj: &Map<String, Json>, fixed_size: Option<u64>) -> Option<DataType> {
    let precision = int_attr(obj, "precision")??;
    let scale = int_attr(obj, "scale")?.unwrap_or(0);
    if precision < 1 || scale < 0 || scale > precision {
        return None;
    }
    if let Some(n) = fixed_size {
        // Largest precision a signed two's-complement number of n bytes holds.
        let max = if n == 0 { 0.0 } else { ((8 * n - 1) as f64 * std::f64::consts::LOG10_2).floor() };
        if precision as f64 > max {
            return None;
        }
    }
    Some(DataType::Decimal { precision: u8::try_from(precision).ok(), scale: i8::try_from(scale).ok() })
}

fn logical(prim: Prim, obj: &Map<String, Json>) -> Option<Logical> {
    let name = obj.get("logicalType")?.as_str()?.to_string();
    let ts = |unit, tz| Some(DataType::Timestamp { unit: Some(unit), timezone: Some(tz) });
    let data_type = match (name.as_str(), prim) {
        ("decimal", Prim::Bytes) => decimal(obj, None),
        ("big-decimal", Prim::Bytes) => Some(DataType::Decimal { precision: None, scale: None }),
        ("uuid", Prim::String) => Some(DataType::Uuid),
        ("date", Prim::Int) => Some(DataType::Date),
        ("time-millis", Prim::Int) => Some(DataType::Time { unit: Some(TimeUnit::Millisecond) }),
        ("time-micros", Prim::Long) => Some(DataType::Time { unit: Some(TimeUnit::Microsecond) }),
        ("timestamp-millis", Prim::Long) => ts(TimeUnit::Millisecond, true),
        ("timestamp-micros", Prim::Long) => ts(TimeUnit::Microsecond, true),
        ("timestamp-nanos", Prim::Long) => ts(TimeUnit::Nanosecond, true),
        ("local-timestamp-millis", Prim::Long) => ts(TimeUnit::Millisecond, false),
        ("local-timestamp-micros", Prim::Long) => ts(TimeUnit::Microsecond, false),
        ("local-timestamp-nanos", Prim::Long) => ts(TimeUnit::Nanosecond, false),
        _ => None,
    };
    Some(Logical { name, data_type })
}

fn fixed_logical(size: u64, obj: &Map<String, Json>) -> Option<Logical> {
    let name = obj.get("logicalType")?.as_str()?.to_string();
    let data_type = match name.as_str() {
        "decimal" => decimal(obj, Some(size)),
        "duration" if size == 12 => Some(DataType::Duration),
        "uuid" if size == 16 => Some(DataType::Uuid),
        _ => None,
    };
    Some(Logical { name, data_type })
}

struct Lower<'a> {
    parser: &'a Parser<'a>,
    fields: usize,
    /// Named types expand at every use, so the same pointers come up again and again.
    spans: HashMap<String, Span>,
}

type Lowered = (DataType, bool, BTreeMap<String, String>);

impl Lower<'_> {
    fn count(&mut self, pointer: &str) -> Result<(), Error> {
        self.fields += 1;
        if self.fields > MAX_FIELDS {
            return Err(self.parser.error(
                Kind::Unsupported,
                pointer,
                format!("the schema expands to more than {MAX_FIELDS} fields (named types are expanded at every use)"),
            ));
        }
        Ok(())
    }

    fn span(&mut self, pointer: &str) -> Span {
        if let Some(span) = self.spans.get(pointer) {
            return *span;
        }
        let span = self.parser.spans.get(pointer);
        self.spans.insert(pointer.to_string(), span);
        span
    }

    fn field(&mut self, f: &AvroField, stack: &mut Vec<usize>, depth: usize) -> Result<Field, Error> {
        self.count(&f.pointer)?;
        let (data_type, nullable, metadata) = self.ty(&f.ty, stack, depth)?;
        let mut field = Field::new(f.name.clone(), data_type);
        field.nullable = nullable;
        field.required = f.default.is_none();
        field.default = f.default.clone();
        field.description = f.doc.clone();
        field.aliases = f.aliases.clone();
        field.metadata = metadata;
        field.span = self.span(&f.pointer);
        field.pointer = f.pointer.clone();
        Ok(field)
    }

    /// An array item or map value.
    fn element(&mut self, name: &str, node: &Node, stack: &mut Vec<usize>, depth: usize) -> Result<Field, Error> {
        self.count(&node.pointer)?;
        let (data_type, nullable, metadata) = self.ty(node, stack, depth)?;
        let mut field = Field::new(name, data_type);
        field.nullable = nullable;
        field.metadata = metadata;
        field.span = self.span(&node.pointer);
        field.pointer = node.pointer.clone();
        Ok(field)
    }

    fn ty(&mut self, node: &Node, stack: &mut Vec<usize>, depth: usize) -> Result<Lowered, Error> {
        if depth > MAX_DEPTH {
            return Err(self.parser.error(
                Kind::Unsupported,
                &node.pointer,
                format!("types nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        let mut metadata = BTreeMap::new();
        let data_type = match &node.ty {
            Ty::Prim(Prim::Null, _) => return Ok((DataType::Null, true, metadata)),
            Ty::Prim(p, logical) => {
                if let Some(l) = logical {
                    metadata.insert(meta::AVRO_LOGICAL_TYPE.to_string(), l.name.clone());
                }
                logical.as_ref().and_then(|l| l.data_type.clone()).unwrap_or_else(|| p.data_type())
            }
            Ty::Array(item) => DataType::List(Box::new(self.element("item", item, stack, depth + 1)?)),
            Ty::Map(value) => {
                let mut key = Field::new("key", DataType::String);
                key.nullable = false;
                key.span = self.span(&node.pointer);
                key.pointer = node.pointer.clone();
                let value = self.element("value", value, stack, depth + 1)?;
                DataType::Map { key: Box::new(key), value: Box::new(value) }
            }
            Ty::Union(branches) => {
                let non_null: Vec<&Node> =
                    branches.iter().filter(|b| !matches!(b.ty, Ty::Prim(Prim::Null, _))).collect();
                let has_null = non_null.len() < branches.len();
                return match non_null.as_slice() {
                    [] => Ok((DataType::Null, true, metadata)),
                    [one] => {
                        let (t, nullable, m) = self.ty(one, stack, depth + 1)?;
                        Ok((t, nullable || has_null, m))
                    }
                    many => {
                        let mut types = Vec::with_capacity(many.len());
                        for b in many {
                            types.push(self.ty(b, stack, depth + 1)?.0);
                        }
                        Ok((DataType::Union(types), has_null, metadata))
                    }
                };
            }
            Ty::Named(idx) => {
                let def = &self.parser.defs[*idx];
                metadata.insert(meta::AVRO_NAME.to_string(), def.fullname.clone());
                if !def.aliases.is_empty() {
                    metadata.insert(meta::AVRO_ALIASES.to_string(), def.aliases.join(","));
                }
                if stack.contains(idx) {
                    metadata.insert(meta::RECURSIVE.to_string(), "true".to_string());
                    return Ok((DataType::Unknown(format!("ref:{}", def.fullname)), false, metadata));
                }
                match &def.kind {
                    DefKind::Pending => DataType::Unknown(format!("ref:{}", def.fullname)),
                    DefKind::Record(fields) => {
                        stack.push(*idx);
                        let lowered =
                            fields.iter().map(|f| self.field(f, stack, depth + 1)).collect::<Result<Vec<_>, _>>();
                        stack.pop();
                        DataType::Struct(lowered?)
                    }
                    DefKind::Enum { symbols, default } => {
                        DataType::Enum { symbols: symbols.clone(), default: default.clone(), open: false }
                    }
                    DefKind::Fixed { size, logical } => {
                        if let Some(l) = logical {
                            metadata.insert(meta::AVRO_LOGICAL_TYPE.to_string(), l.name.clone());
                        }
                        logical
                            .as_ref()
                            .and_then(|l| l.data_type.clone())
                            .unwrap_or(DataType::FixedBinary { size: u32::try_from(*size).unwrap_or(u32::MAX) })
                    }
                }
            }
        };
        Ok((data_type, false, metadata))
    }
}

#[cfg(test)]
mod tests;
