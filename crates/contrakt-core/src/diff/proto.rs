//! Protobuf definitions compared the way `buf breaking` compares them: whole files, every
//! message, enum and extension (nested and unused ones too), matched by full name across the
//! files of each side; fields by number; files by path for file-level rules.
//!
//! These rules judge what the wire and generated code can no longer do, independent of a
//! compatibility mode (buf has none): their changes break no direction of the mode-based gate
//! and carry their own level.
//!
//! The second half judges, per reader direction, the fields that top-level messages reach, as
//! Confluent Schema Registry's Protobuf diff does: the structural walk (`detect.rs`) hands
//! Protobuf fields here for their types, labels and enum values.

use std::collections::{BTreeMap, BTreeSet};

use super::Change;
use super::Directions;
use super::detect::{Differ, dirs};
use super::rules::*;
use crate::ir::proto::{
    ProtoCardinality, ProtoEnum, ProtoField, ProtoFile, ProtoKind, ProtoLabel, ProtoMessage, in_ranges,
};
use crate::ir::{DataType, Field};
use crate::path::{FieldPath, Segment};
use crate::source::Span;

/// The buf-level changes between two sets of files; nothing when either side has none.
pub(super) fn diff_files(old: &[ProtoFile], new: &[ProtoFile], out: &mut Vec<Change>) {
    if old.is_empty() || new.is_empty() {
        return;
    }
    let side_old = Side::new(old);
    let side_new = Side::new(new);
    let mut d = ProtoDiffer { out: Vec::new() };
    // File pairs, by path; two single files (`contrakt diff old.proto new.proto`) are a pair
    // whatever their names.
    let single = old.len() == 1 && new.len() == 1 && old[0].path != new[0].path;
    for a in old {
        if let Some(b) = new.iter().find(|b| b.path == a.path || single) {
            d.file(a, b);
        }
    }
    for (name, a) in &side_old.messages {
        if let Some(b) = side_new.messages.get(name) {
            d.message(a, b);
        }
    }
    for (name, a) in &side_old.enums {
        if let Some(b) = side_new.enums.get(name) {
            d.enumeration(a, b);
        }
    }
    // Extensions: by extended message and number.
    for (key, a) in &side_old.extensions {
        if let Some(b) = side_new.extensions.get(key) {
            d.field(a, b, &side_old, &side_new, false);
        }
    }
    for a in side_old.messages.values() {
        if let Some(b) = side_new.messages.get(a.full_name.as_str()) {
            let by_number: BTreeMap<i32, &ProtoField> = b.fields.iter().map(|f| (f.number, f)).collect();
            for fa in &a.fields {
                if let Some(fb) = by_number.get(&fa.number) {
                    d.field(fa, fb, &side_old, &side_new, a.map_entry && b.map_entry);
                }
            }
        }
    }
    out.extend(d.out);
}

/// One side's definitions by full name.
struct Side<'a> {
    messages: BTreeMap<&'a str, &'a ProtoMessage>,
    enums: BTreeMap<&'a str, &'a ProtoEnum>,
    extensions: BTreeMap<(&'a str, i32), &'a ProtoField>,
}

impl<'a> Side<'a> {
    fn new(files: &'a [ProtoFile]) -> Self {
        let mut s = Side { messages: BTreeMap::new(), enums: BTreeMap::new(), extensions: BTreeMap::new() };
        for f in files {
            for m in &f.messages {
                s.messages.entry(m.full_name.as_str()).or_insert(m);
            }
            for e in &f.enums {
                s.enums.entry(e.full_name.as_str()).or_insert(e);
            }
            for x in &f.extensions {
                s.extensions.entry((x.extendee.as_deref().unwrap_or_default(), x.number)).or_insert(x);
            }
        }
        s
    }
}

struct ProtoDiffer {
    out: Vec<Change>,
}

/// `acme.v1.Order.total` as a path.
fn path_of(full_name: &str) -> FieldPath {
    FieldPath { segments: full_name.split('.').map(|s| Segment::Name(s.to_string())).collect() }
}

fn located(span: Span) -> Option<Span> {
    (!span.is_none()).then_some(span)
}

impl ProtoDiffer {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rule: &'static BreakingRule,
        path: FieldPath,
        old: Option<String>,
        new: Option<String>,
        message: String,
        old_span: Span,
        new_span: Span,
        hint: Option<&str>,
    ) {
        self.out.push(Change {
            rule,
            display_path: path.to_string(),
            path,
            old,
            new,
            // Judged for the definitions, not per reader direction: see the module docs.
            breaks: Directions::NONE,
            message,
            old_span: located(old_span),
            new_span: located(new_span),
            level: Some(rule.level),
            hint: hint.map(str::to_string),
        });
    }

    fn file(&mut self, a: &ProtoFile, b: &ProtoFile) {
        if a.package != b.package {
            let show = |p: &str| if p.is_empty() { "(none)".to_string() } else { p.to_string() };
            self.push(
                &PROTO_PACKAGE_CHANGED,
                FieldPath { segments: vec![Segment::Name(b.path.clone())] },
                Some(show(&a.package)),
                Some(show(&b.package)),
                format!("file `{}` changed package from `{}` to `{}`", b.path, show(&a.package), show(&b.package)),
                a.package_span,
                if b.package_span.is_none() { Span::NONE } else { b.package_span },
                None,
            );
        }
        // Messages deleted from the file: located at the nearest enclosing message that is left.
        let names: BTreeSet<&str> = b.messages.iter().map(|m| m.nested_name.as_str()).collect();
        for m in a.messages.iter().filter(|m| !m.map_entry) {
            if names.contains(m.nested_name.as_str()) {
                continue;
            }
            let parts: Vec<&str> = m.nested_name.split('.').collect();
            let enclosing =
                (1..parts.len()).rev().find_map(|i| b.messages.iter().find(|x| x.nested_name == parts[..i].join(".")));
            self.push(
                &PROTO_MESSAGE_DELETED,
                path_of(&m.full_name),
                Some(m.full_name.clone()),
                None,
                format!("message `{}` was deleted from `{}`", m.nested_name, b.path),
                m.span,
                enclosing.map_or(Span::NONE, |e| e.span),
                None,
            );
        }
    }

    fn message(&mut self, a: &ProtoMessage, b: &ProtoMessage) {
        // A map entry's fields change only with the map field's types, compared field by field.
        if a.map_entry || b.map_entry {
            return;
        }
        let old_numbers: BTreeMap<i32, &ProtoField> = a.fields.iter().map(|f| (f.number, f)).collect();
        let new_numbers: BTreeSet<i32> = b.fields.iter().map(|f| f.number).collect();
        for f in &a.fields {
            if new_numbers.contains(&f.number) {
                continue;
            }
            let reserved = in_ranges(f.number, &b.reserved_ranges);
            let rule = if reserved { &PROTO_FIELD_DELETED_RESERVED } else { &PROTO_FIELD_DELETED };
            let how = if reserved { "" } else { " without reserving the number" };
            self.push(
                rule,
                path_of(&f.full_name),
                Some(format!("{} = {}", f.name, f.number)),
                None,
                format!("field {} `{}` was deleted from message `{}`{how}", f.number, f.name, b.nested_name),
                f.span,
                b.span,
                (!reserved).then_some("reserve the number (and the name): `reserved <n>; reserved \"<name>\";`"),
            );
            if f.cardinality == ProtoCardinality::Required {
                self.push(
                    &PROTO_REQUIRED_FIELDS_CHANGED,
                    path_of(&f.full_name),
                    Some(format!("required {}", f.number)),
                    None,
                    format!("message `{}` lost required field {} `{}`", b.nested_name, f.number, f.name),
                    f.span,
                    b.span,
                    None,
                );
            }
        }
        // Required fields added, or fields that became or stopped being required.
        for f in &b.fields {
            let before = old_numbers.get(&f.number).copied();
            let was = before.is_some_and(|x| x.cardinality == ProtoCardinality::Required);
            let is = f.cardinality == ProtoCardinality::Required;
            if is && !was {
                self.push(
                    &PROTO_REQUIRED_FIELDS_CHANGED,
                    path_of(&f.full_name),
                    None,
                    Some(format!("required {}", f.number)),
                    format!("message `{}` gained required field {} `{}`", b.nested_name, f.number, f.name),
                    before.map_or(Span::NONE, |x| x.span),
                    f.span,
                    None,
                );
            } else if was && !is {
                self.push(
                    &PROTO_REQUIRED_FIELDS_CHANGED,
                    path_of(&f.full_name),
                    Some(format!("required {}", f.number)),
                    None,
                    format!("message `{}` lost required field {} `{}`", b.nested_name, f.number, f.name),
                    before.map_or(Span::NONE, |x| x.span),
                    b.span,
                    None,
                );
            }
        }
        self.reserved(
            &a.full_name,
            "message",
            (&a.reserved_ranges, &b.reserved_ranges),
            (&a.reserved_names, &b.reserved_names),
            (a.span, b.span),
            &PROTO_RESERVED_MESSAGE_DELETED,
        );
    }

    fn enumeration(&mut self, a: &ProtoEnum, b: &ProtoEnum) {
        let numbers: BTreeSet<i32> = b.values.iter().map(|(_, n)| *n).collect();
        let mut seen = BTreeSet::new();
        for (name, number) in &a.values {
            if numbers.contains(number) || !seen.insert(*number) {
                continue;
            }
            let reserved = in_ranges(*number, &b.reserved_ranges);
            let rule = if reserved { &PROTO_ENUM_VALUE_DELETED_RESERVED } else { &PROTO_ENUM_VALUE_DELETED };
            let how = if reserved { "" } else { " without reserving the number" };
            self.push(
                rule,
                path_of(&format!("{}.{name}", a.full_name)),
                Some(format!("{name} = {number}")),
                None,
                format!("enum value {number} `{name}` was deleted from enum `{}`{how}", b.nested_name),
                a.span,
                b.span,
                (!reserved).then_some("reserve the number (and the name): `reserved <n>; reserved \"<NAME>\";`"),
            );
        }
        self.reserved(
            &a.full_name,
            "enum",
            (&a.reserved_ranges, &b.reserved_ranges),
            (&a.reserved_names, &b.reserved_names),
            (a.span, b.span),
            &PROTO_RESERVED_ENUM_DELETED,
        );
    }

    /// Reserved ranges no longer covered and reserved names no longer listed.
    #[allow(clippy::type_complexity)]
    fn reserved(
        &mut self,
        full_name: &str,
        what: &str,
        ranges: (&[(i32, i32)], &[(i32, i32)]),
        names: (&[String], &[String]),
        spans: (Span, Span),
        rule: &'static BreakingRule,
    ) {
        let covered = collapse(ranges.1);
        for &(lo, hi) in ranges.0 {
            if !covered.iter().any(|(s, e)| *s <= lo && hi <= *e) {
                let shown = if lo == hi { lo.to_string() } else { format!("{lo} to {hi}") };
                self.push(
                    rule,
                    path_of(full_name),
                    Some(format!("reserved {shown}")),
                    None,
                    format!("reserved range {shown} of {what} `{full_name}` is no longer reserved in full"),
                    spans.0,
                    spans.1,
                    None,
                );
            }
        }
        for n in names.0 {
            if !names.1.contains(n) {
                self.push(
                    rule,
                    path_of(full_name),
                    Some(format!("reserved \"{n}\"")),
                    None,
                    format!("reserved name `{n}` of {what} `{full_name}` was deleted"),
                    spans.0,
                    spans.1,
                    None,
                );
            }
        }
    }

    /// One field (or extension) present on both sides with the same number.
    /// `in_map_entry`: the key or value of a map, whose generated entry has no cardinality of
    /// its own to compare.
    fn field(&mut self, a: &ProtoField, b: &ProtoField, old: &Side, new: &Side, in_map_entry: bool) {
        let path = path_of(&b.full_name);
        let what = match &b.extendee {
            Some(e) => format!("extension {} `{}` of `{e}`", b.number, b.full_name),
            None => format!("field {} `{}`", b.number, b.name),
        };
        // Names: extensions by full name.
        let (na, nb) = if b.extendee.is_some() { (&a.full_name, &b.full_name) } else { (&a.name, &b.name) };
        if na != nb {
            self.push(
                &PROTO_FIELD_RENAMED,
                path.clone(),
                Some(na.clone()),
                Some(nb.clone()),
                format!("{what} was renamed from `{na}`"),
                a.name_span,
                b.name_span,
                None,
            );
        }
        if a.extendee.is_none() && a.json_name != b.json_name {
            self.push(
                &PROTO_JSON_NAME_CHANGED,
                path.clone(),
                Some(a.json_name.clone()),
                Some(b.json_name.clone()),
                format!("{what} changed its JSON name from `{}` to `{}`", a.json_name, b.json_name),
                if a.json_name_span.is_none() { a.span } else { a.json_name_span },
                if b.json_name_span.is_none() { b.span } else { b.json_name_span },
                None,
            );
        }
        if a.cardinality != b.cardinality && !in_map_entry {
            self.push(
                &PROTO_CARDINALITY_CHANGED,
                path.clone(),
                Some(a.cardinality.as_str().to_string()),
                Some(b.cardinality.as_str().to_string()),
                format!("{what} changed cardinality from {} to {}", a.cardinality.as_str(), b.cardinality.as_str()),
                a.span,
                b.span,
                None,
            );
        }
        if let Some(rule) = type_change(a, b, old, new) {
            let show = |f: &ProtoField| f.type_name.clone().unwrap_or_else(|| f.kind.as_str().to_string());
            let show = |f: &ProtoField| match f.kind {
                ProtoKind::Group => format!("{} (delimited)", show(f)),
                _ => show(f),
            };
            self.push(
                rule,
                path,
                Some(show(a)),
                Some(show(b)),
                format!("{what} changed type from `{}` to `{}`", show(a), show(b)),
                a.type_span,
                b.type_span,
                None,
            );
        }
    }
}

/// Which type rule a field's type change falls under, if its type changed: the strongest break
/// (wire, then JSON, then generated code).
fn type_change(a: &ProtoField, b: &ProtoField, old: &Side, new: &Side) -> Option<&'static BreakingRule> {
    if a.kind == b.kind && a.type_name == b.type_name {
        return None;
    }
    let named_differs = a.kind == b.kind && a.type_name != b.type_name;
    // Wire: the kinds' groups, with string → bytes allowed; a different message type is a
    // different structure; a different enum reads when it has the same short name and keeps
    // every number.
    let wire_ok = if named_differs {
        a.kind == ProtoKind::Enum && enum_compatible(a, b, old, new)
    } else {
        a.kind.wire_group() == b.kind.wire_group() || (a.kind == ProtoKind::String && b.kind == ProtoKind::Bytes)
    };
    if !wire_ok {
        return Some(&PROTO_TYPE_WIRE_INCOMPATIBLE);
    }
    let json_ok = if named_differs { true } else { a.kind.wire_json_group() == b.kind.wire_json_group() };
    if !json_ok {
        return Some(&PROTO_TYPE_JSON_INCOMPATIBLE);
    }
    Some(&PROTO_TYPE_CHANGED)
}

fn enum_compatible(a: &ProtoField, b: &ProtoField, old: &Side, new: &Side) -> bool {
    let (Some(ea), Some(eb)) =
        (a.type_name.as_deref().and_then(|n| old.enums.get(n)), b.type_name.as_deref().and_then(|n| new.enums.get(n)))
    else {
        return false;
    };
    let short = |e: &ProtoEnum| e.full_name.rsplit('.').next().unwrap_or_default().to_string();
    let values: BTreeSet<&(String, i32)> = eb.values.iter().collect();
    short(ea) == short(eb) && ea.values.iter().all(|v| values.contains(v))
}

/// Sorted, merged inclusive ranges (adjacent ones joined).
fn collapse(ranges: &[(i32, i32)]) -> Vec<(i32, i32)> {
    let mut v = ranges.to_vec();
    v.sort_unstable();
    let mut out: Vec<(i32, i32)> = Vec::new();
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

// ---- Fields that top-level messages reach, per reader direction (Confluent's Protobuf diff) ----

impl Differ {
    /// Protobuf types, compared as Confluent and the wire do: scalar, message and map kinds;
    /// scalar wire encodings; the `repeated` label; message types by package-relative name.
    pub(super) fn proto_type(
        &mut self,
        a: &Field,
        b: &Field,
        x: ProtoShape,
        y: ProtoShape,
        path: &FieldPath,
        label: &str,
    ) {
        let spans = (Some(a.span), Some(b.span));
        let (ta, tb) = (a.data_type.to_string(), b.data_type.to_string());
        let message = format!("type of {label} changed from {ta} to {tb}");
        match (x.kind, y.kind) {
            (WireKind::Scalar(g), WireKind::Scalar(h)) if g != h => {
                let (pa, pb) = (proto_type_name(x.elem), proto_type_name(y.elem));
                self.push(
                    &TYPE_CHANGED,
                    path.clone(),
                    Some(x.show(&pa)),
                    Some(y.show(&pb)),
                    dirs(&TYPE_CHANGED, true, true),
                    format!("type of {label} changed from {} to {}: another wire encoding", x.show(&pa), y.show(&pb)),
                    spans.0,
                    spans.1,
                );
                return;
            }
            (WireKind::Scalar(_), WireKind::Scalar(_)) => {}
            (k, l) if k != l => {
                self.push(
                    &KIND_CHANGED,
                    path.clone(),
                    Some(ta),
                    Some(tb),
                    dirs(&KIND_CHANGED, true, true),
                    message,
                    spans.0,
                    spans.1,
                );
                return;
            }
            _ => {}
        }
        if x.repeated != y.repeated {
            // Strings, bytes and messages are length-delimited: a singular reader keeps the last
            // element, a repeated reader a list of one. Repeated numbers are packed.
            let delimited = matches!(x.kind, WireKind::Scalar(STRING_OR_BYTES) | WireKind::Message);
            let card = |r: bool| if r { "repeated" } else { "singular" };
            self.push(
                &KIND_CHANGED,
                path.clone(),
                Some(ta),
                Some(tb),
                if delimited { Directions::NONE } else { dirs(&KIND_CHANGED, true, true) },
                format!(
                    "{label} changed from {} to {}{}",
                    card(x.repeated),
                    card(y.repeated),
                    if delimited { " (the same on the wire for strings, bytes and messages)" } else { "" }
                ),
                spans.0,
                spans.1,
            );
        } else if x.repeated {
            // Both lists: compare the items as fields.
            return self.field(x.elem, y.elem, &path.items(), &format!("items of {label}"), true);
        }
        let (ea, eb) = (x.elem, y.elem);
        let spans = (Some(ea.span), Some(eb.span));
        match x.kind {
            WireKind::Map => {
                let (DataType::Map { key: ka, value: va }, DataType::Map { key: kb, value: vb }) =
                    (&ea.data_type, &eb.data_type)
                else {
                    return;
                };
                let (pa, pb) = (proto_type_name(ka), proto_type_name(kb));
                if pa != pb {
                    let (rule, breaks) = if WireKind::of(ka) == WireKind::of(kb) {
                        (&TYPE_WIRE_EQUIVALENT, Directions::NONE)
                    } else {
                        (&MAP_KEY_TYPE_CHANGED, dirs(&MAP_KEY_TYPE_CHANGED, true, true))
                    };
                    let message = format!("key type of {label} changed from {pa} to {pb}");
                    self.push(rule, path.clone(), Some(pa), Some(pb), breaks, message, spans.0, spans.1);
                }
                self.field(va, vb, &path.map_values(), &format!("values of {label}"), true);
            }
            WireKind::Message => {
                let (la, lb) = (local_type(ea), local_type(eb));
                if la != lb {
                    self.push(
                        &TYPE_CHANGED,
                        path.clone(),
                        Some(la.clone()),
                        Some(lb.clone()),
                        dirs(&TYPE_CHANGED, true, true),
                        format!("message type of {label} changed from {la} to {lb}"),
                        spans.0,
                        spans.1,
                    );
                } else if let (DataType::Struct(p), DataType::Struct(q)) = (&ea.data_type, &eb.data_type) {
                    self.fields(p, q, path, None);
                }
                // Otherwise a well-known type (same name, same value type) or a recursive reference.
            }
            WireKind::Scalar(_) => {
                let (pa, pb) = (proto_type_name(ea), proto_type_name(eb));
                let enums = matches!((&ea.data_type, &eb.data_type), (DataType::Enum { .. }, DataType::Enum { .. }));
                if pa != pb {
                    let (la, lb) = if enums { (local_type(ea), local_type(eb)) } else { (pa.clone(), pb.clone()) };
                    if la != lb {
                        let message = format!("type of {label} changed from {pa} to {pb}: the same wire encoding");
                        self.push(
                            &TYPE_WIRE_EQUIVALENT,
                            path.clone(),
                            Some(pa),
                            Some(pb),
                            Directions::NONE,
                            message,
                            spans.0,
                            spans.1,
                        );
                    }
                }
                if enums {
                    self.proto_enum(ea, eb, path, label, spans);
                }
            }
        }
    }

    /// Protobuf enum values, compared by number: a number that appeared (E001), disappeared
    /// (E002), or kept its value under another name (E003, the same on the wire).
    fn proto_enum(&mut self, a: &Field, b: &Field, path: &FieldPath, label: &str, spans: (Option<Span>, Option<Span>)) {
        let (Some(x), Some(y)) = (enum_numbers(a), enum_numbers(b)) else {
            return self.nested(a, b, path, label);
        };
        let open = |f: &Field| matches!(f.data_type, DataType::Enum { open: true, .. });
        let show = |m: &BTreeMap<i64, Vec<&str>>, n: &i64| format!("{}={n}", m[n].join("|"));
        let (o, n) = (Some(show_all(&x)), Some(show_all(&y)));
        let added: Vec<String> = y.keys().filter(|k| !x.contains_key(k)).map(|k| show(&y, k)).collect();
        let removed: Vec<String> = x.keys().filter(|k| !y.contains_key(k)).map(|k| show(&x, k)).collect();
        let renamed: Vec<String> = x
            .keys()
            .filter(|k| y.get(k).is_some_and(|names| *names != x[k]))
            .map(|k| format!("{} → {}", show(&x, k), show(&y, k)))
            .collect();
        if !added.is_empty() {
            // A closed (proto2) enum drops numbers it does not know.
            let breaks = dirs(&ENUM_VALUE_ADDED, true, !open(a));
            let message = format!("{label} allows new values: {}", added.join(", "));
            self.push(&ENUM_VALUE_ADDED, path.clone(), o.clone(), n.clone(), breaks, message, spans.0, spans.1);
        }
        if !removed.is_empty() {
            let breaks = dirs(&ENUM_VALUE_REMOVED, !open(b), true);
            let message = format!("{label} no longer allows: {}", removed.join(", "));
            self.push(&ENUM_VALUE_REMOVED, path.clone(), o.clone(), n.clone(), breaks, message, spans.0, spans.1);
        }
        if !renamed.is_empty() {
            let message = format!("values of {label} were renamed (same numbers): {}", renamed.join(", "));
            self.push(&ENUM_VALUES_REPLACED, path.clone(), o, n, Directions::NONE, message, spans.0, spans.1);
        }
    }
}

/// A proto2 `required` field (required is forever: Confluent and buf reject adding or removing one).
pub(super) fn is_proto2_required(f: &Field) -> bool {
    f.proto.as_ref().is_some_and(|p| p.label == Some(ProtoLabel::Required))
}

/// Confluent's Protobuf scalar groups (`FieldSchemaDiff.scalarKind`): one wire encoding each.
const GENERAL_NUMBER: u8 = 1;
const SIGNED_NUMBER: u8 = 2;
const STRING_OR_BYTES: u8 = 3;
const FIXED32: u8 = 4;
const FIXED64: u8 = 5;
const FLOAT: u8 = 6;
const DOUBLE: u8 = 7;

/// What a Protobuf field holds: a scalar of a wire group (enums count as varint numbers), a
/// message (well-known types included) or a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WireKind {
    Scalar(u8),
    Message,
    Map,
}

impl WireKind {
    /// `None` for fields the Protobuf front end did not produce (no declared type).
    fn of(f: &Field) -> Option<WireKind> {
        if matches!(f.data_type, DataType::Map { .. }) {
            return Some(WireKind::Map);
        }
        let t = &f.proto.as_ref()?.type_name;
        Some(match t.as_str() {
            "int32" | "int64" | "uint32" | "uint64" | "bool" => WireKind::Scalar(GENERAL_NUMBER),
            "sint32" | "sint64" => WireKind::Scalar(SIGNED_NUMBER),
            "string" | "bytes" => WireKind::Scalar(STRING_OR_BYTES),
            "fixed32" | "sfixed32" => WireKind::Scalar(FIXED32),
            "fixed64" | "sfixed64" => WireKind::Scalar(FIXED64),
            "float" => WireKind::Scalar(FLOAT),
            "double" => WireKind::Scalar(DOUBLE),
            _ if matches!(f.data_type, DataType::Enum { .. }) => WireKind::Scalar(GENERAL_NUMBER),
            _ => WireKind::Message,
        })
    }
}

/// A Protobuf field: its label and what one element holds (`elem` is the list item for
/// `repeated` fields, the field itself otherwise).
#[derive(Clone, Copy)]
pub(super) struct ProtoShape<'a> {
    repeated: bool,
    kind: WireKind,
    elem: &'a Field,
}

impl<'a> ProtoShape<'a> {
    pub(super) fn of(f: &'a Field) -> Option<ProtoShape<'a>> {
        match &f.data_type {
            DataType::List(item) if f.proto.as_ref().is_some_and(|p| p.label == Some(ProtoLabel::Repeated)) => {
                Some(ProtoShape { repeated: true, kind: WireKind::of(item)?, elem: item })
            }
            _ => Some(ProtoShape { repeated: false, kind: WireKind::of(f)?, elem: f }),
        }
    }

    fn show(&self, name: &str) -> String {
        if self.repeated { format!("repeated {name}") } else { name.to_string() }
    }
}

/// The declared Protobuf type (`sint64`, `pkg.Msg`), or the IR type where none is recorded.
fn proto_type_name(f: &Field) -> String {
    f.proto.as_ref().map_or_else(|| f.data_type.to_string(), |p| p.type_name.clone())
}

/// A message or enum type's name relative to its package: the name Confluent compares.
fn local_type(f: &Field) -> String {
    f.proto.as_ref().and_then(|p| p.local_type.clone()).unwrap_or_else(|| proto_type_name(f))
}

/// An enum's values by number; aliases share a number. `None` without a declared enum.
fn enum_numbers(f: &Field) -> Option<BTreeMap<i64, Vec<&str>>> {
    let p = f.proto.as_ref().filter(|p| !p.enum_values.is_empty())?;
    let mut out: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (name, number) in &p.enum_values {
        out.entry(i64::from(*number)).or_default().push(name.as_str());
    }
    Some(out)
}

fn show_all(values: &BTreeMap<i64, Vec<&str>>) -> String {
    values.iter().map(|(n, names)| format!("{}={n}", names.join("|"))).collect::<Vec<_>>().join(", ")
}
