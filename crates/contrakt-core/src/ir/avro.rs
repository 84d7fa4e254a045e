//! Avro's own schema tree, typed, as [`FormatFacts::Avro`](super::FormatFacts) carries it.
//!
//! The IR flattens Avro (named types expanded at every use, `["null", T]` read as a nullable
//! `T`), which is right for comparing with other formats but loses what Avro's schema resolution
//! decides on: full names, namespaces, reader aliases, defaults, enum defaults, fixed sizes,
//! union branches as written and the identity of a named type used twice. This tree keeps them,
//! so `diff::avro` runs the specification's resolution on Avro's real structure.
//!
//! Named types are defined once, in [`AvroSchema::named`], and referred to by index, so a
//! recursive type is a cycle of indexes rather than an infinite tree.

use serde::Serialize;
use serde_json::Value as Json;

use crate::source::Span;

/// A whole `.avsc`: its top-level type and every named type it defines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvroSchema {
    pub root: AvroNode,
    /// Every record, enum and fixed, in definition order; [`AvroType::Named`] indexes here.
    pub named: Vec<NamedType>,
}

/// A type as written, with where it is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvroNode {
    pub ty: AvroType,
    /// JSON pointer into the `.avsc` (`/fields/2/type`).
    pub pointer: String,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "of", rename_all = "lowercase")]
pub enum AvroType {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(Box<AvroNode>),
    Map(Box<AvroNode>),
    Union(Vec<AvroNode>),
    /// A record, enum or fixed: an index into [`AvroSchema::named`].
    Named(usize),
}

/// A record, enum or fixed type definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedType {
    /// `com.example.Order`; the namespace is everything before the last dot.
    pub full_name: String,
    /// Full names (aliases written unqualified are qualified with the type's namespace, as Avro
    /// Java does).
    pub aliases: Vec<String>,
    pub kind: NamedKind,
    pub pointer: String,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum NamedKind {
    Record { fields: Vec<AvroField> },
    Enum { symbols: Vec<String>, default: Option<String> },
    Fixed { size: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvroField {
    pub name: String,
    pub aliases: Vec<String>,
    /// The `default` as written; `None` when the field has none (not the same as `null`).
    pub default: Option<Json>,
    pub node: AvroNode,
    pub pointer: String,
    #[serde(skip)]
    pub span: Span,
}

impl NamedType {
    /// The name without its namespace: what Avro's resolution matches names on.
    pub fn name(&self) -> &str {
        self.full_name.rsplit_once('.').map_or(self.full_name.as_str(), |(_, n)| n)
    }

    pub fn namespace(&self) -> &str {
        self.full_name.rsplit_once('.').map_or("", |(ns, _)| ns)
    }

    /// `record`, `enum` or `fixed`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NamedKind::Record { .. } => "record",
            NamedKind::Enum { .. } => "enum",
            NamedKind::Fixed { .. } => "fixed",
        }
    }
}

impl AvroSchema {
    /// The type as Avro writes it, shortened for messages.
    pub fn describe(&self, node: &AvroNode) -> String {
        self.describe_at(&node.ty, 0)
    }

    fn describe_at(&self, ty: &AvroType, depth: usize) -> String {
        if depth > 6 {
            return "…".to_string();
        }
        match ty {
            AvroType::Array(item) => format!("array<{}>", self.describe_at(&item.ty, depth + 1)),
            AvroType::Map(value) => format!("map<{}>", self.describe_at(&value.ty, depth + 1)),
            AvroType::Union(branches) => format!(
                "[{}]",
                branches.iter().map(|b| self.describe_at(&b.ty, depth + 1)).collect::<Vec<_>>().join(", ")
            ),
            AvroType::Named(i) => self.named.get(*i).map_or_else(|| "?".to_string(), |n| n.full_name.clone()),
            other => other.tag().to_string(),
        }
    }
}

impl AvroType {
    /// Avro's type name (`int`, `record`, `union`, …); named types say which kind through the
    /// schema, so they read `named` here.
    pub fn tag(&self) -> &'static str {
        match self {
            AvroType::Null => "null",
            AvroType::Boolean => "boolean",
            AvroType::Int => "int",
            AvroType::Long => "long",
            AvroType::Float => "float",
            AvroType::Double => "double",
            AvroType::Bytes => "bytes",
            AvroType::String => "string",
            AvroType::Array(_) => "array",
            AvroType::Map(_) => "map",
            AvroType::Union(_) => "union",
            AvroType::Named(_) => "named",
        }
    }
}
