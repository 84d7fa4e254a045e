//! Typed Protobuf facts: every definition of a `.proto` file as the compiler resolved it, so
//! the diff can compare whole files the way `buf breaking` does (packages, nested and unused
//! messages and enums, reserved numbers and names, json names, extensions, edition features),
//! not only the fields that top-level messages reach.
//!
//! Spans are byte offsets into the file named by [`ProtoFile::path`].

use serde::Serialize;

use crate::source::Span;

/// What a field of the Schema IR keeps of its Protobuf declaration, which its IR type does not
/// say (the IR's `int32` is `int32`, `sint32` or `sfixed32` on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ProtoFieldFacts {
    /// The declared type: `sint32`, `fixed64`, or a message or enum full name (`acme.v1.Order`).
    pub type_name: String,
    /// For message and enum types, the name relative to the package (`Order.Line`): the name
    /// Confluent compares.
    pub local_type: Option<String>,
    /// The label as declared; proto3 singular fields have none.
    pub label: Option<ProtoLabel>,
    /// For an enum type, its values (name, number) in declaration order; aliases share a number.
    pub enum_values: Vec<(String, i32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProtoLabel {
    Optional,
    Required,
    Repeated,
}

/// One `.proto` file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProtoFile {
    /// The path the file is known by (relative to its import root: `a/b/c.proto`).
    pub path: String,
    /// `acme.orders.v1`; empty when the file has no `package` statement.
    pub package: String,
    /// The `package` statement; none when there is none.
    pub package_span: Span,
    pub syntax: ProtoSyntax,
    /// Every message, nested ones included (after their parent), and the map entries.
    pub messages: Vec<ProtoMessage>,
    /// Every enum, nested ones included.
    pub enums: Vec<ProtoEnum>,
    /// Every `extend` field of the file, at any nesting.
    pub extensions: Vec<ProtoField>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtoSyntax {
    #[default]
    Proto2,
    Proto3,
    /// `edition = "2023"`: presence, enum openness and encodings come from features.
    Editions,
}

/// A message (or group) definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtoMessage {
    /// `acme.v1.Order.Line`.
    pub full_name: String,
    /// The name relative to the package: `Order.Line`.
    pub nested_name: String,
    pub span: Span,
    pub fields: Vec<ProtoField>,
    /// Real oneofs (not the synthetic ones of proto3 `optional`).
    pub oneofs: Vec<String>,
    /// Reserved field numbers, inclusive ranges.
    pub reserved_ranges: Vec<(i32, i32)>,
    pub reserved_names: Vec<String>,
    /// `extensions 100 to 199;`, inclusive ranges.
    pub extension_ranges: Vec<(i32, i32)>,
    /// The `<Name>Entry` message a `map<K, V>` field stands for: its `key` and `value` fields
    /// are located at the map field.
    pub map_entry: bool,
}

/// A field of a message, or an extension.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtoField {
    pub name: String,
    /// `acme.v1.Order.total`; for an extension the extension's own full name.
    pub full_name: String,
    pub number: i32,
    /// The JSON name the compiler derives (`lowerCamel`) or `json_name` sets.
    pub json_name: String,
    /// Whether `json_name` was written.
    pub json_name_declared: bool,
    pub cardinality: ProtoCardinality,
    pub kind: ProtoKind,
    /// Full name of the message or enum type, for those kinds.
    pub type_name: Option<String>,
    pub oneof: Option<String>,
    /// The extended message, for extensions.
    pub extendee: Option<String>,
    /// The whole field statement.
    pub span: Span,
    pub name_span: Span,
    /// The scalar type keyword or the type name as written.
    pub type_span: Span,
    pub json_name_span: Span,
}

/// How many values a field holds and whether an unset one is told from a zero one, as buf
/// distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtoCardinality {
    /// proto2 `optional`, proto3 `optional`, message fields, oneof members, editions' default.
    OptionalExplicit,
    /// proto3 singular scalars, editions `field_presence = IMPLICIT`.
    OptionalImplicit,
    /// proto2 `required`, editions `field_presence = LEGACY_REQUIRED`.
    Required,
    Repeated,
    Map,
}

impl ProtoCardinality {
    pub fn as_str(self) -> &'static str {
        match self {
            ProtoCardinality::OptionalExplicit => "optional with explicit presence",
            ProtoCardinality::OptionalImplicit => "optional with implicit presence",
            ProtoCardinality::Required => "required",
            ProtoCardinality::Repeated => "repeated",
            ProtoCardinality::Map => "map",
        }
    }

    /// Cardinalities whose encodings read each other (optional ones share one).
    pub fn wire_group(self) -> u8 {
        match self {
            ProtoCardinality::OptionalExplicit | ProtoCardinality::OptionalImplicit => 1,
            ProtoCardinality::Required => 2,
            ProtoCardinality::Repeated | ProtoCardinality::Map => 3,
        }
    }
}

/// The field's kind as the wire sees it: an editions message field with
/// `message_encoding = DELIMITED` is a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtoKind {
    Double,
    Float,
    Int64,
    Uint64,
    Int32,
    Fixed64,
    Fixed32,
    Bool,
    String,
    Group,
    Message,
    Bytes,
    Uint32,
    Enum,
    Sfixed32,
    Sfixed64,
    Sint32,
    Sint64,
}

impl ProtoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProtoKind::Double => "double",
            ProtoKind::Float => "float",
            ProtoKind::Int64 => "int64",
            ProtoKind::Uint64 => "uint64",
            ProtoKind::Int32 => "int32",
            ProtoKind::Fixed64 => "fixed64",
            ProtoKind::Fixed32 => "fixed32",
            ProtoKind::Bool => "bool",
            ProtoKind::String => "string",
            ProtoKind::Group => "group",
            ProtoKind::Message => "message",
            ProtoKind::Bytes => "bytes",
            ProtoKind::Uint32 => "uint32",
            ProtoKind::Enum => "enum",
            ProtoKind::Sfixed32 => "sfixed32",
            ProtoKind::Sfixed64 => "sfixed64",
            ProtoKind::Sint32 => "sint32",
            ProtoKind::Sint64 => "sint64",
        }
    }

    /// Kinds whose values read each other on the wire (the language guide's "Updating a
    /// message type"). string and bytes are apart: bytes need not be UTF-8.
    pub fn wire_group(self) -> u8 {
        use ProtoKind::*;
        match self {
            Int32 | Int64 | Uint32 | Uint64 | Bool => 1,
            Sint32 | Sint64 => 2,
            String => 3,
            Bytes => 4,
            Fixed32 | Sfixed32 => 5,
            Fixed64 | Sfixed64 => 6,
            Double => 7,
            Float => 8,
            Group => 9,
            Message => 10,
            Enum => 11,
        }
    }

    /// Kinds that read each other on the wire and print the same in JSON.
    pub fn wire_json_group(self) -> u8 {
        use ProtoKind::*;
        match self {
            Int32 | Uint32 => 1,
            Int64 | Uint64 => 2,
            Fixed32 | Sfixed32 => 3,
            Fixed64 | Sfixed64 => 4,
            Bool => 5,
            Sint32 => 6,
            Sint64 => 7,
            String => 8,
            Bytes => 9,
            Double => 10,
            Float => 11,
            Group => 12,
            Message => 13,
            Enum => 14,
        }
    }

    /// Kinds that name a type (`type_name`).
    pub fn is_named(self) -> bool {
        matches!(self, ProtoKind::Message | ProtoKind::Group | ProtoKind::Enum)
    }
}

/// An enum definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtoEnum {
    pub full_name: String,
    pub nested_name: String,
    pub span: Span,
    /// (name, number) in declaration order; aliases share a number.
    pub values: Vec<(String, i32)>,
    pub reserved_ranges: Vec<(i32, i32)>,
    pub reserved_names: Vec<String>,
    /// proto2 enums and editions `enum_type = CLOSED`: unknown numbers are not kept as the enum.
    pub closed: bool,
}

/// Whether `n` lies in one of the inclusive ranges.
pub fn in_ranges(n: i32, ranges: &[(i32, i32)]) -> bool {
    ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&n))
}
