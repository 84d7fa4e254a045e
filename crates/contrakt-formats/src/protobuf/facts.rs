//! Every definition of the compiled file as typed facts ([`ProtoFile`]): nested and unused
//! messages and enums, reserved ranges and names, json names, extensions, and for editions
//! files the features that change presence, encoding and enum openness.

use super::editions::Feature;
use contrakt_core::Span;
use contrakt_core::ir::proto::{
    ProtoCardinality, ProtoEnum, ProtoField, ProtoFile, ProtoKind, ProtoMessage, ProtoSyntax,
};
use protox::prost_reflect::prost_types::FieldDescriptorProto;
use protox::prost_reflect::prost_types::field_descriptor_proto::Type;
use protox::prost_reflect::{Cardinality, EnumDescriptor, FileDescriptor, Kind, MessageDescriptor, Syntax};

/// Source-info tags (`descriptor.proto` field numbers) that name parts of a field.
const FIELD_NAME: i32 = 1;
const FIELD_TYPE: i32 = 5;
const FIELD_TYPE_NAME: i32 = 6;
const FIELD_JSON_NAME: i32 = 10;
const FILE_PACKAGE: i32 = 2;

/// What the facts need from the lowering: spans by source path, and the edition's features.
pub(super) trait Locate {
    fn span(&self, path: &[i32]) -> Option<Span>;
}

/// Features written in an editions file.
pub(super) struct Features<'a> {
    pub(super) editions: bool,
    pub(super) written: &'a [Feature],
}

impl Features<'_> {
    /// The value of feature `name` written inside `span` (the innermost: last written wins).
    fn within(&self, span: Span, name: &str) -> Option<&str> {
        // Features are recorded in text order.
        let from = self.written.partition_point(|f| f.at < span.start as usize);
        self.written[from..]
            .iter()
            .take_while(|f| f.at < span.end as usize)
            .filter(|f| f.name == name)
            .map(|f| f.value.as_str())
            .last()
    }

    /// A file-wide default: an `option features.…` statement outside every message and enum.
    /// `containers`: the top-level definitions' spans, which do not overlap, sorted.
    fn file_default(&self, name: &str, containers: &[Span]) -> Option<&str> {
        let inside = |at: usize| {
            let i = containers.partition_point(|s| s.start as usize <= at);
            i > 0 && at < containers[i - 1].end as usize
        };
        self.written
            .iter()
            .filter(|f| f.statement && f.name == name && !inside(f.at))
            .map(|f| f.value.as_str())
            .next_back()
    }
}

pub(super) fn collect(path: &str, file: &FileDescriptor, at: &dyn Locate, features: &Features) -> ProtoFile {
    let syntax = if features.editions {
        ProtoSyntax::Editions
    } else if file.syntax() == Syntax::Proto3 {
        ProtoSyntax::Proto3
    } else {
        ProtoSyntax::Proto2
    };
    let mut out = ProtoFile {
        path: path.to_string(),
        package: file.package_name().to_string(),
        package_span: at.span(&[FILE_PACKAGE]).unwrap_or(Span::NONE),
        syntax,
        ..ProtoFile::default()
    };
    let mut messages = Vec::new();
    let mut todo: Vec<MessageDescriptor> = file.messages().collect();
    todo.reverse();
    while let Some(m) = todo.pop() {
        todo.extend(m.child_messages().collect::<Vec<_>>().into_iter().rev());
        messages.push(m);
    }
    let mut enums: Vec<EnumDescriptor> = file.enums().collect();
    for m in &messages {
        enums.extend(m.child_enums());
    }
    let mut containers: Vec<Span> = file
        .messages()
        .filter_map(|m| at.span(m.path()))
        .chain(file.enums().filter_map(|e| at.span(e.path())))
        .collect();
    containers.sort_unstable();
    let presence_default = features.file_default("field_presence", &containers).map(str::to_string);
    let enum_default = features.file_default("enum_type", &containers).map(str::to_string);
    let encoding_default = features.file_default("message_encoding", &containers).map(str::to_string);
    let defaults = Defaults { presence: presence_default.as_deref(), encoding: encoding_default.as_deref() };
    let package = file.package_name();
    for m in &messages {
        // A map entry has no text of its own: its key and value are where the map field is.
        let map_field = m.is_map_entry().then(|| {
            m.parent_message()
                .and_then(|p| p.fields().find(|f| f.is_map() && matches!(f.kind(), Kind::Message(e) if e == *m)))
                .and_then(|f| at.span(f.path()))
                .unwrap_or(Span::NONE)
        });
        let entry_at = MapEntryAt(map_field.unwrap_or(Span::NONE));
        let at: &dyn Locate = if map_field.is_some() { &entry_at } else { at };
        let proto = m.descriptor_proto();
        let fields = m
            .fields()
            .map(|fd| {
                let oneof = fd.containing_oneof().filter(|o| !o.is_synthetic()).map(|o| o.name().to_string());
                let shape = Shape {
                    list: fd.is_list(),
                    map: fd.is_map(),
                    required: fd.cardinality() == Cardinality::Required,
                    presence: fd.supports_presence(),
                };
                field(
                    fd.name(),
                    fd.full_name(),
                    fd.json_name(),
                    fd.field_descriptor_proto(),
                    fd.kind(),
                    shape,
                    oneof,
                    None,
                    fd.path(),
                    at,
                    features,
                    &defaults,
                )
            })
            .collect();
        out.messages.push(ProtoMessage {
            full_name: m.full_name().to_string(),
            nested_name: nested(m.full_name(), package),
            span: at.span(m.path()).unwrap_or(Span::NONE),
            fields,
            oneofs: m.oneofs().filter(|o| !o.is_synthetic()).map(|o| o.name().to_string()).collect(),
            reserved_ranges: proto.reserved_range.iter().map(|r| (r.start(), r.end() - 1)).collect(),
            reserved_names: proto.reserved_name.clone(),
            extension_ranges: proto.extension_range.iter().map(|r| (r.start(), r.end() - 1)).collect(),
            map_entry: map_field.is_some(),
        });
    }
    for e in &enums {
        let span = at.span(e.path()).unwrap_or(Span::NONE);
        let closed = match features.within(span, "enum_type").or(enum_default.as_deref()) {
            Some(v) => v == "CLOSED",
            None => !features.editions && file.syntax() == Syntax::Proto2,
        };
        let proto = e.enum_descriptor_proto();
        out.enums.push(ProtoEnum {
            full_name: e.full_name().to_string(),
            nested_name: nested(e.full_name(), package),
            span,
            values: e.values().map(|v| (v.name().to_string(), v.number())).collect(),
            // Enum reserved ranges are inclusive already.
            reserved_ranges: proto.reserved_range.iter().map(|r| (r.start(), r.end())).collect(),
            reserved_names: proto.reserved_name.clone(),
            closed,
        });
    }
    let mut extensions: Vec<_> = file.extensions().collect();
    for m in &messages {
        extensions.extend(m.child_extensions());
    }
    for x in extensions {
        let shape = Shape {
            list: x.is_list(),
            map: x.is_map(),
            required: x.cardinality() == Cardinality::Required,
            presence: x.supports_presence(),
        };
        let extendee = x.containing_message().full_name().to_string();
        out.extensions.push(field(
            x.name(),
            x.full_name(),
            x.json_name(),
            x.field_descriptor_proto(),
            x.kind(),
            shape,
            None,
            Some(extendee),
            x.path(),
            at,
            features,
            &defaults,
        ));
    }
    out
}

/// Locates everything of a map entry at its map field.
struct MapEntryAt(Span);

impl Locate for MapEntryAt {
    fn span(&self, _path: &[i32]) -> Option<Span> {
        (!self.0.is_none()).then_some(self.0)
    }
}

struct Shape {
    list: bool,
    map: bool,
    required: bool,
    presence: bool,
}

struct Defaults<'a> {
    presence: Option<&'a str>,
    encoding: Option<&'a str>,
}

#[allow(clippy::too_many_arguments)]
fn field(
    name: &str,
    full_name: &str,
    json_name: &str,
    proto: &FieldDescriptorProto,
    kind: Kind,
    shape: Shape,
    oneof: Option<String>,
    extendee: Option<String>,
    path: &[i32],
    at: &dyn Locate,
    features: &Features,
    defaults: &Defaults,
) -> ProtoField {
    let sub = |tag: i32| {
        let mut p = path.to_vec();
        p.push(tag);
        at.span(&p).unwrap_or(Span::NONE)
    };
    let span = at.span(path).unwrap_or(Span::NONE);
    let presence = if features.editions { features.within(span, "field_presence").or(defaults.presence) } else { None };
    let cardinality = if shape.list {
        ProtoCardinality::Repeated
    } else if shape.map {
        ProtoCardinality::Map
    } else if shape.required || presence == Some("LEGACY_REQUIRED") {
        ProtoCardinality::Required
    } else if presence == Some("IMPLICIT") && oneof.is_none() && !matches!(kind, Kind::Message(_)) {
        ProtoCardinality::OptionalImplicit
    } else if shape.presence {
        ProtoCardinality::OptionalExplicit
    } else {
        ProtoCardinality::OptionalImplicit
    };
    let delimited = features.editions
        && features.within(span, "message_encoding").or(defaults.encoding) == Some("DELIMITED")
        && !shape.map;
    let (kind, type_name) = match kind {
        Kind::Message(m) if proto.r#type() == Type::Group || delimited => {
            (ProtoKind::Group, Some(m.full_name().to_string()))
        }
        Kind::Message(m) => (ProtoKind::Message, Some(m.full_name().to_string())),
        Kind::Enum(e) => (ProtoKind::Enum, Some(e.full_name().to_string())),
        Kind::Double => (ProtoKind::Double, None),
        Kind::Float => (ProtoKind::Float, None),
        Kind::Int32 => (ProtoKind::Int32, None),
        Kind::Int64 => (ProtoKind::Int64, None),
        Kind::Uint32 => (ProtoKind::Uint32, None),
        Kind::Uint64 => (ProtoKind::Uint64, None),
        Kind::Sint32 => (ProtoKind::Sint32, None),
        Kind::Sint64 => (ProtoKind::Sint64, None),
        Kind::Fixed32 => (ProtoKind::Fixed32, None),
        Kind::Fixed64 => (ProtoKind::Fixed64, None),
        Kind::Sfixed32 => (ProtoKind::Sfixed32, None),
        Kind::Sfixed64 => (ProtoKind::Sfixed64, None),
        Kind::Bool => (ProtoKind::Bool, None),
        Kind::String => (ProtoKind::String, None),
        Kind::Bytes => (ProtoKind::Bytes, None),
    };
    let json_name_span = sub(FIELD_JSON_NAME);
    let type_span = if kind.is_named() { sub(FIELD_TYPE_NAME) } else { sub(FIELD_TYPE) };
    ProtoField {
        name: name.to_string(),
        full_name: full_name.to_string(),
        number: proto.number(),
        json_name: json_name.to_string(),
        json_name_declared: !json_name_span.is_none(),
        cardinality,
        kind,
        type_name,
        oneof,
        extendee,
        span,
        name_span: sub(FIELD_NAME),
        type_span: if type_span.is_none() { span } else { type_span },
        json_name_span,
    }
}

/// `Order.Line` for `acme.v1.Order.Line` in package `acme.v1`.
fn nested(full: &str, package: &str) -> String {
    if package.is_empty() {
        return full.to_string();
    }
    full.strip_prefix(package).and_then(|s| s.strip_prefix('.')).unwrap_or(full).to_string()
}
