//! The Schema IR: one canonical model of a dataset's schema that every front end (ODCS, JSON
//! Schema, Avro, Protobuf, Arrow/Parquet, SQL DDL) lowers into. The breaking-change diff and
//! the checker read only this model.
//!
//! Arrow-like logical types with widths, nesting, nullability, keys, constraints, enums,
//! defaults and metadata, and a source span and JSON pointer for every node.

pub mod avro;
pub mod jsonschema;
mod lower;
mod physical;
pub mod proto;
mod types;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value as Json;

pub use lower::lower_contract;
pub use physical::parse_physical_type;
pub use types::{DataType, TimeUnit};

use crate::path::{FieldPath, Segment};
use crate::source::Span;

/// Where a schema came from; decides reader semantics in the diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordModel {
    /// ODCS tables, SQL, Arrow/Parquet: readers select columns by name; unknown columns are
    /// ignored, a missing column fails a reader that selects it.
    ByNameStrict,
    /// Avro: missing reader fields are filled from defaults.
    ByNameWithDefaults,
    /// Protobuf: fields matched by number; unknown fields skipped, missing ones get zero values.
    ByNumber,
    /// JSON Schema: open, closed or partially open content models.
    JsonContentModel,
}

/// A whole schema: the objects (tables, topics, messages) of one contract or producer schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schema {
    /// Display name of the source (a file name).
    pub source: String,
    pub record_model: RecordModel,
    /// What the source language can say; a diff across languages compares only what both can.
    #[serde(skip)]
    pub expresses: Expresses,
    /// Whether paths start with the object name (`orders.amount`: ODCS, SQL, Parquet) or at
    /// the top-level field (`amount`: JSON Schema, Avro, single-message formats).
    pub qualified_paths: bool,
    pub objects: Vec<Object>,
    /// The Protobuf files the schema was compiled from, every definition typed; empty for other
    /// formats. The diff compares them file by file as `buf breaking` does.
    #[serde(skip)]
    pub proto_files: Vec<proto::ProtoFile>,
    /// What only the source format can state, typed (see [`FormatFacts`]).
    #[serde(skip_serializing_if = "FormatFacts::is_none")]
    pub facts: FormatFacts,
}

/// Facts only one format states and its own compatibility rules decide on, kept typed next to
/// the format-neutral IR: one variant per format that needs more than the IR says. The diff
/// runs a format's own resolution when both sides carry the same variant, and the generic
/// structural walk otherwise (a contract compared with an `.avsc`).
///
/// To add a format, add a variant holding a core-owned type in `ir/<format>.rs`, set it in the
/// front end, and match on it in `diff::diff`; the other variants stay untouched.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "format", content = "schema", rename_all = "kebab-case")]
pub enum FormatFacts {
    #[default]
    None,
    /// Avro's schema tree (names, aliases, defaults, union branches as written).
    Avro(#[serde(serialize_with = "serialize_shared")] Arc<avro::AvroSchema>),
}

/// serde's `rc` feature is off in the workspace; a shared tree serialises as its contents.
fn serialize_shared<T: Serialize, S: serde::Serializer>(value: &Arc<T>, s: S) -> Result<S::Ok, S::Error> {
    value.as_ref().serialize(s)
}

impl FormatFacts {
    pub fn is_none(&self) -> bool {
        matches!(self, FormatFacts::None)
    }

    pub fn avro(&self) -> Option<&avro::AvroSchema> {
        match self {
            FormatFacts::Avro(s) => Some(s),
            FormatFacts::None => None,
        }
    }
}

/// What a schema language can express beyond types, names and nullability. A contract
/// compared with a DDL or an Avro schema must not report, say, a classification the other
/// language has no way to state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expresses {
    pub descriptions: bool,
    pub classification: bool,
    pub tags: bool,
    pub quality: bool,
    pub physical_names: bool,
    /// Primary keys and uniqueness.
    pub keys: bool,
    pub partitioning: bool,
    pub defaults: bool,
    /// min/max length and items, unique items.
    pub lengths: bool,
    /// minimum, maximum, multipleOf.
    pub value_bounds: bool,
    /// pattern and format.
    pub patterns: bool,
    /// Closed sets of allowed values on a field (not enum types, which every format has).
    pub enum_domains: bool,
}

impl Expresses {
    pub const ALL: Expresses = Expresses {
        descriptions: true,
        classification: true,
        tags: true,
        quality: true,
        physical_names: true,
        keys: true,
        partitioning: true,
        defaults: true,
        lengths: true,
        value_bounds: true,
        patterns: true,
        enum_domains: true,
    };
    pub const NONE: Expresses = Expresses {
        descriptions: false,
        classification: false,
        tags: false,
        quality: false,
        physical_names: false,
        keys: false,
        partitioning: false,
        defaults: false,
        lengths: false,
        value_bounds: false,
        patterns: false,
        enum_domains: false,
    };

    /// What both can say.
    pub fn and(self, o: Expresses) -> Expresses {
        Expresses {
            descriptions: self.descriptions && o.descriptions,
            classification: self.classification && o.classification,
            tags: self.tags && o.tags,
            quality: self.quality && o.quality,
            physical_names: self.physical_names && o.physical_names,
            keys: self.keys && o.keys,
            partitioning: self.partitioning && o.partitioning,
            defaults: self.defaults && o.defaults,
            lengths: self.lengths && o.lengths,
            value_bounds: self.value_bounds && o.value_bounds,
            patterns: self.patterns && o.patterns,
            enum_domains: self.enum_domains && o.enum_domains,
        }
    }
}

impl Default for Expresses {
    fn default() -> Self {
        Expresses::ALL
    }
}

/// A table, view, topic or message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Object {
    pub name: String,
    pub physical_name: Option<String>,
    /// Stable identity across versions (ODCS `id`).
    pub id: Option<String>,
    /// `table`, `view`, `topic`, … as declared.
    pub kind: Option<String>,
    pub fields: Vec<Field>,
    /// Primary-key field names in key order.
    pub primary_key: Vec<String>,
    /// Partition field names in partition order.
    pub partitioning: Vec<String>,
    /// Foreign keys from this object's fields to other objects (ODCS `relationships`, SQL
    /// `REFERENCES`), in declaration order.
    pub foreign_keys: Vec<ForeignKey>,
    pub description: Option<String>,
    #[serde(skip)]
    pub span: Span,
    /// JSON pointer of the node in its source document.
    pub pointer: String,
    /// Contract metadata (ODCS `tags`), sorted.
    pub tags: Vec<String>,
    /// Contract metadata (ODCS `customProperties`, except those lowered elsewhere such as
    /// `default`): property → value as compact JSON.
    pub custom_properties: BTreeMap<String, String>,
    /// Data-quality checks declared on the object (ODCS `quality[]`).
    pub quality: Vec<QualityCheck>,
    /// What the JSON Schema front end read about the root schema (its content model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<Box<jsonschema::JsonSchemaFacts>>,
}

/// A field (column), possibly nested.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    pub name: String,
    pub physical_name: Option<String>,
    /// Identity that survives renames: an ODCS `id`, Avro alias, Protobuf number, Iceberg id.
    pub id: Option<FieldId>,
    pub data_type: DataType,
    /// May the value be null?
    pub nullable: bool,
    /// Must the field be present (JSON Schema `required`; columns always are)?
    pub required: bool,
    pub default: Option<Json>,
    pub constraints: Constraints,
    pub unique: bool,
    /// 1-based position in the primary key.
    pub primary_key_position: Option<u32>,
    /// 1-based position in the partitioning.
    pub partition_position: Option<u32>,
    pub classification: Option<String>,
    pub description: Option<String>,
    /// Other names this field was known by (Avro aliases).
    pub aliases: Vec<String>,
    /// Format-specific attributes that change verdicts (e.g. `physicalType`).
    pub metadata: BTreeMap<String, String>,
    /// The Protobuf declaration of a field from the Protobuf front end (list items, map keys
    /// and values included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto: Option<Box<proto::ProtoFieldFacts>>,
    /// What the JSON Schema front end read about this field's schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<Box<jsonschema::JsonSchemaFacts>>,
    #[serde(skip)]
    pub span: Span,
    pub pointer: String,
    /// Contract metadata (ODCS `tags`), sorted.
    pub tags: Vec<String>,
    /// Contract metadata (ODCS `customProperties`, except those lowered elsewhere such as
    /// `default`): property → value as compact JSON.
    pub custom_properties: BTreeMap<String, String>,
    /// Data-quality checks declared on the field (ODCS `quality[]`).
    pub quality: Vec<QualityCheck>,
}

/// A foreign key: `from` columns of this object reference `to` (`customers.customer_id`), one
/// entry per column of a composite key. Identity is the pair of lists, compared as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    pub from: Vec<String>,
    pub to: Vec<String>,
    #[serde(skip)]
    pub span: Span,
}

/// A data-quality check (ODCS `quality[]`), reduced to what the diff compares: its identity,
/// what it measures, and the thresholds the measurement must meet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityCheck {
    /// Identity across versions: `id`, else `name`, else the metric, else `quality[i]`.
    pub key: String,
    /// Everything but the thresholds and documentation (type, metric, arguments, query, unit…),
    /// as compact JSON: a different definition is a different check.
    pub definition: String,
    /// Threshold operator (ODCS key, `mustBeGreaterThan`) → value.
    pub thresholds: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum FieldId {
    Name(String),
    Number(i64),
}

/// Value constraints that narrow a type without changing it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Constraints {
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
    /// A named format: `email`, `uuid`, `uri`, a date format, …
    pub format: Option<String>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub multiple_of: Option<f64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    /// The allowed values, when the domain is closed.
    pub enum_values: Option<Vec<Json>>,
}

/// A numeric (or ISO date/time string) bound.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bound {
    pub value: Json,
    pub exclusive: bool,
}

impl Schema {
    pub fn object(&self, name: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.name == name)
    }

    /// The field at a path (`orders.items[].sku`), if any. Wildcards do not resolve.
    pub fn field(&self, path: &FieldPath) -> Option<&Field> {
        let (first, rest) = path.segments.split_first()?;
        let Segment::Name(object) = first else { return None };
        let object = self.object(object)?;
        let mut fields: &[Field] = &object.fields;
        let mut current: Option<&Field> = None;
        for seg in rest {
            match seg {
                Segment::Name(n) => {
                    let f = fields.iter().find(|f| &f.name == n)?;
                    fields = f.data_type.children();
                    current = Some(f);
                }
                Segment::MapValues => match &current?.data_type {
                    DataType::Map { value, .. } => {
                        fields = value.data_type.children();
                        current = Some(value);
                    }
                    _ => return None,
                },
                Segment::Items => match &current?.data_type {
                    DataType::List(item) => {
                        fields = item.data_type.children();
                        current = Some(item);
                    }
                    _ => return None,
                },
                Segment::Wildcard => return None,
            }
        }
        current
    }

    /// Every field with its path, depth first in declaration order.
    pub fn walk(&self) -> Vec<(FieldPath, &Field)> {
        let mut out = Vec::new();
        for o in &self.objects {
            let base = FieldPath { segments: vec![Segment::Name(o.name.clone())] };
            let mut todo: Vec<(FieldPath, &Field)> = o.fields.iter().rev().map(|f| (base.child(&f.name), f)).collect();
            while let Some((path, f)) = todo.pop() {
                let children: Vec<(FieldPath, &Field)> = match &f.data_type {
                    DataType::Struct(fields) => fields.iter().map(|c| (path.child(&c.name), c)).collect(),
                    DataType::List(item) => {
                        let p = path.items();
                        match &item.data_type {
                            DataType::Struct(fields) => fields.iter().map(|c| (p.child(&c.name), c)).collect(),
                            _ => Vec::new(),
                        }
                    }
                    DataType::Map { value, .. } => {
                        let p = path.map_values();
                        match &value.data_type {
                            DataType::Struct(fields) => fields.iter().map(|c| (p.child(&c.name), c)).collect(),
                            _ => Vec::new(),
                        }
                    }
                    _ => Vec::new(),
                };
                out.push((path, f));
                todo.extend(children.into_iter().rev());
            }
        }
        out
    }
}

impl FieldPath {
    pub fn child(&self, name: &str) -> FieldPath {
        let mut segments = self.segments.clone();
        segments.push(Segment::Name(name.to_string()));
        FieldPath { segments }
    }

    pub fn items(&self) -> FieldPath {
        let mut segments = self.segments.clone();
        segments.push(Segment::Items);
        FieldPath { segments }
    }

    pub fn map_values(&self) -> FieldPath {
        let mut segments = self.segments.clone();
        segments.push(Segment::MapValues);
        FieldPath { segments }
    }

    /// The path without its first segment (the object name), for formats whose paths start
    /// at the top-level field.
    pub fn unqualified(&self) -> String {
        FieldPath { segments: self.segments.iter().skip(1).cloned().collect() }.to_string()
    }
}

impl Field {
    /// A field with a type and defaults for everything else; front ends fill in the rest.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Field {
            name: name.into(),
            physical_name: None,
            id: None,
            data_type,
            nullable: true,
            required: true,
            default: None,
            constraints: Constraints::default(),
            unique: false,
            primary_key_position: None,
            partition_position: None,
            classification: None,
            description: None,
            aliases: Vec::new(),
            metadata: BTreeMap::new(),
            proto: None,
            json_schema: None,
            span: Span::NONE,
            pointer: String::new(),
            tags: Vec::new(),
            custom_properties: BTreeMap::new(),
            quality: Vec::new(),
        }
    }
}

/// The values a schema accepts, compactly, as the JSON Schema front end records them for content
/// models (`additionalProperties`, `patternProperties`, `not`, tuple items): the type, with
/// ` | null` when null is allowed (`integer | null`); `any` for the empty schema (`true`, `{}`).
/// The front end writes `never` for the `false` schema.
pub fn value_set(data_type: &DataType, nullable: bool) -> String {
    let mut parts: Vec<String> = match data_type {
        DataType::Any => return "any".to_string(),
        DataType::Null => return "null".to_string(),
        DataType::Union(types) => types.iter().map(DataType::to_string).collect(),
        t => vec![t.to_string()],
    };
    if nullable {
        parts.push("null".to_string());
    }
    parts.join(" | ")
}
