//! Semantic rules over one contract's structure: ids, names, keys, patterns, references.

use std::collections::HashMap;

use super::Emitter;
use super::registry::*;
use crate::diagnostic::{Finding, Level};
use crate::document::{Node, Value};
use crate::odcs::{ContractDocument, OdcsVersion, Property, Relationship, SchemaObject, Team};
use crate::source::Span;

pub(super) fn check(doc: &ContractDocument, all: &[&ContractDocument], out: &mut Vec<Finding>) {
    let mut e = Emitter::new(doc.source(), out);
    deprecated_fields(doc, &mut e);
    duplicate_ids(doc, &mut e);
    names_and_keys(doc, &mut e);
    patterns(doc, &mut e);
    references(doc, all, &mut e);
}

fn key_span(doc: &ContractDocument, pointer: &str) -> Span {
    let (node, key) = doc.document.root.pointer(pointer);
    key.unwrap_or(node.span)
}

fn deprecated_fields(doc: &ContractDocument, e: &mut Emitter<'_>) {
    if doc.version < OdcsVersion::V3_1 {
        return;
    }
    let c = &doc.contract;
    if c.data_product.is_some() {
        e.emit(
            &DEPRECATED_FIELD,
            key_span(doc, "/dataProduct"),
            "/dataProduct",
            "`dataProduct` is deprecated since ODCS v3.1.0".into(),
        )
        .help = Some("remove it, or move the value under `customProperties`".into());
    }
    if c.sla_default_element.is_some() {
        e.emit(
            &DEPRECATED_FIELD,
            key_span(doc, "/slaDefaultElement"),
            "/slaDefaultElement",
            "`slaDefaultElement` is deprecated since ODCS v3.1.0".into(),
        )
        .help = Some("set `element` on each SLA property instead".into());
    }
    if let Some(Team::Members(_)) = &c.team {
        e.emit(
            &DEPRECATED_FIELD,
            key_span(doc, "/team"),
            "/team",
            "`team` as a list of members is deprecated since ODCS v3.1.0".into(),
        )
        .help = Some("use the object form: `team: {name: …, members: [...]}`".into());
    }
    for (pointer, rule, _) in quality_rules(doc) {
        if rule.rule.is_some() {
            let at = format!("{pointer}/rule");
            e.emit(
                &DEPRECATED_FIELD,
                key_span(doc, &at),
                &at,
                "quality `rule` is deprecated since ODCS v3.1.0".into(),
            )
            .help = Some(format!("write `metric: {}`", rule.rule.as_deref().unwrap_or_default()));
        }
    }
}

/// Every quality rule of the contract with its JSON pointer.
pub(super) fn quality_rules(doc: &ContractDocument) -> Vec<(String, &crate::odcs::QualityRule, Option<&Property>)> {
    let mut out = Vec::new();
    for (i, o) in doc.contract.schema.iter().enumerate() {
        for (k, q) in o.quality.iter().enumerate() {
            out.push((format!("/schema/{i}/quality/{k}"), q, None));
        }
    }
    for p in doc.contract.walk_properties() {
        for (k, q) in p.property.quality.iter().enumerate() {
            out.push((format!("{}/quality/{k}", p.pointer), q, Some(p.property)));
        }
    }
    out
}

/// Subtrees whose `id` keys are user data, not ODCS stable ids.
const OPAQUE: &[&str] =
    &["value", "valueExt", "implementation", "arguments", "examples", "mustBe", "mustNotBe", "context"];

fn duplicate_ids(doc: &ContractDocument, e: &mut Emitter<'_>) {
    let mut ids: Vec<(&str, Span, String)> = Vec::new();
    let mut todo: Vec<(&Node, String)> = Vec::new();
    if let Value::Map(entries) = &doc.document.root.value {
        // The contract's own id is checked across the registry, not here.
        todo.extend(entries.iter().filter(|en| en.key != "id").map(|en| (&en.value, format!("/{}", en.key))));
    }
    while let Some((node, pointer)) = todo.pop() {
        match &node.value {
            Value::Map(entries) => {
                for en in entries {
                    let at = format!("{pointer}/{}", en.key);
                    match en.value.as_str() {
                        Some(id) if en.key == "id" => ids.push((id, en.value.span, at)),
                        _ if OPAQUE.contains(&en.key.as_str()) => {}
                        _ => todo.push((&en.value, at)),
                    }
                }
            }
            Value::Seq(items) => todo.extend(items.iter().enumerate().map(|(i, n)| (n, format!("{pointer}/{i}")))),
            _ => {}
        }
    }
    // Document order, so "first used here" really is the first.
    ids.sort_by_key(|(_, span, _)| span.start);
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for (id, span, at) in ids {
        match seen.get(id) {
            Some(first) => {
                e.emit(&DUPLICATE_ID, span, &at, format!("id `{id}` is already used in this contract"))
                    .notes
                    .push((*first, "first used here".into()));
            }
            None => {
                seen.insert(id, span);
            }
        }
    }
}

pub(super) fn check_unique_contract_ids(contracts: &[ContractDocument], out: &mut Vec<Finding>) {
    let mut seen: HashMap<&str, &ContractDocument> = HashMap::new();
    for doc in contracts {
        let id = doc.contract.id.as_str();
        if id.is_empty() {
            continue;
        }
        match seen.get(id) {
            Some(first) => {
                let span = doc.document.root.get("id").map_or(doc.contract.span, |n| n.span);
                let first_at = format!(
                    "{}:{}",
                    first.source().name(),
                    first.source().location(first.contract.span.start as usize).line
                );
                Emitter::new(doc.source(), out).emit(
                    &DUPLICATE_ID,
                    span,
                    "/id",
                    format!("contract id `{id}` is also the id of {first_at}"),
                );
            }
            None => {
                seen.insert(id, doc);
            }
        }
    }
}

fn names_and_keys(doc: &ContractDocument, e: &mut Emitter<'_>) {
    let mut objects: HashMap<&str, Span> = HashMap::new();
    for (i, object) in doc.contract.schema.iter().enumerate() {
        let pointer = format!("/schema/{i}");
        if let Some(first) = objects.insert(&object.name, object.span) {
            e.emit(
                &DUPLICATE_NAME,
                name_span(doc, &pointer),
                &pointer,
                format!("schema object `{}` is defined twice", object.name),
            )
            .notes
            .push((first, "first defined here".into()));
        }
        duplicate_property_names(doc, &object.properties, &pointer, e);
        primary_keys(doc, object, &pointer, e);
    }
    for p in doc.contract.walk_properties() {
        duplicate_property_names(doc, &p.property.properties, &p.pointer, e);
        if let Some(items) = &p.property.items {
            duplicate_property_names(doc, &items.properties, &format!("{}/items", p.pointer), e);
        }
    }
}

fn name_span(doc: &ContractDocument, pointer: &str) -> Span {
    doc.document.root.pointer(&format!("{pointer}/name")).0.span
}

fn duplicate_property_names(doc: &ContractDocument, props: &[Property], parent: &str, e: &mut Emitter<'_>) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for (j, p) in props.iter().enumerate() {
        let Some(name) = p.name.as_deref() else { continue };
        let pointer = format!("{parent}/properties/{j}");
        let span = name_span(doc, &pointer);
        if let Some(first) = seen.get(name) {
            e.emit(&DUPLICATE_NAME, span, &pointer, format!("property `{name}` is defined twice in this object"))
                .notes
                .push((*first, "first defined here".into()));
        } else {
            seen.insert(name, span);
        }
    }
}

fn primary_keys(doc: &ContractDocument, object: &SchemaObject, pointer: &str, e: &mut Emitter<'_>) {
    let mut keys: Vec<(usize, &Property, Option<i64>)> = Vec::new();
    for (j, p) in object.properties.iter().enumerate() {
        let at = format!("{pointer}/properties/{j}");
        let name = p.name.as_deref().unwrap_or("?");
        if p.primary_key == Some(true) {
            keys.push((j, p, p.primary_key_position));
            if p.required != Some(true) {
                e.emit(
                    &PRIMARY_KEY_NOT_REQUIRED,
                    key_span(doc, &format!("{at}/primaryKey")),
                    &at,
                    format!("primary-key property `{name}` is not `required: true`"),
                )
                .help = Some("a primary key cannot be null: add `required: true`".into());
            }
        } else if let Some(pos) = p.primary_key_position.filter(|p| *p > 0) {
            e.emit(
                &PRIMARY_KEY_POSITION,
                doc.span_of(&format!("{at}/primaryKeyPosition")),
                &at,
                format!("`{name}` has primaryKeyPosition {pos} but is not a primary key"),
            );
        }
    }
    if keys.len() < 2 {
        if let Some((j, p, Some(pos))) = keys.first()
            && *pos != 1
            && *pos > 0
        {
            let at = format!("{pointer}/properties/{j}/primaryKeyPosition");
            let name = p.name.as_deref().unwrap_or("?");
            e.emit(
                &PRIMARY_KEY_POSITION,
                doc.span_of(&at),
                &at,
                format!("`{name}` is the only key column; its position should be 1, not {pos}"),
            );
        }
        return;
    }
    let mut used: HashMap<i64, &str> = HashMap::new();
    for (j, p, pos) in &keys {
        let at = format!("{pointer}/properties/{j}");
        let name = p.name.as_deref().unwrap_or("?");
        match pos {
            None | Some(..=0) => {
                // The order is ambiguous rather than contradictory: a warning.
                e.emit_at_level(
                    &PRIMARY_KEY_POSITION,
                    Level::Warning,
                    key_span(doc, &format!("{at}/primaryKey")),
                    &at,
                    format!(
                        "`{name}` is part of a composite primary key of {} columns but has no primaryKeyPosition",
                        keys.len()
                    ),
                );
            }
            Some(pos) => {
                if let Some(other) = used.insert(*pos, name) {
                    e.emit(
                        &PRIMARY_KEY_POSITION,
                        doc.span_of(&format!("{at}/primaryKeyPosition")),
                        &at,
                        format!("primaryKeyPosition {pos} of `{name}` is also the position of `{other}`"),
                    );
                }
            }
        }
    }
    let n = keys.len() as i64;
    for (j, p, pos) in &keys {
        if let Some(pos) = pos.filter(|p| *p > n) {
            let at = format!("{pointer}/properties/{j}/primaryKeyPosition");
            let missing: Vec<String> = (1..=n).filter(|k| !used.contains_key(k)).map(|k| k.to_string()).collect();
            e.emit(
                &PRIMARY_KEY_POSITION,
                doc.span_of(&at),
                &at,
                format!(
                    "primaryKeyPosition {pos} of `{}` leaves a gap: the key has {n} columns, so positions are 1..{n} (missing {})",
                    p.name.as_deref().unwrap_or("?"),
                    missing.join(", ")
                ),
            );
        }
    }
}

fn patterns(doc: &ContractDocument, e: &mut Emitter<'_>) {
    for p in doc.contract.walk_properties() {
        if let Some(pattern) = p.property.logical_type_options.as_ref().and_then(|o| o.pattern.as_deref()) {
            let at = format!("{}/logicalTypeOptions/pattern", p.pointer);
            check_pattern(pattern, doc.span_of(&at), &at, e);
        }
    }
}

/// Compiles a pattern with the engine the checker uses; reports L104 when it does not compile.
pub(super) fn check_pattern(pattern: &str, span: Span, pointer: &str, e: &mut Emitter<'_>) {
    if let Err(err) = regex::RegexBuilder::new(pattern).size_limit(1 << 22).build() {
        let detail = match &err {
            regex::Error::Syntax(s) => s.lines().last().unwrap_or(s).trim_start_matches("error: ").to_string(),
            other => other.to_string(),
        };
        e.emit(&INVALID_PATTERN, span, pointer, format!("pattern `{pattern}` does not compile: {detail}")).help =
            Some("contrakt checks patterns with RE2-style syntax: no look-around or backreferences".into());
    }
}

// ---- references (L105) ----

/// What a reference resolved to.
enum Resolution {
    Found,
    /// The object exists but lacks the property (an error).
    MissingProperty(String),
    /// No known contract defines the object (a warning: it may be external).
    UnknownObject(String),
    /// Points into another file: not checked.
    External,
}

fn references(doc: &ContractDocument, all: &[&ContractDocument], e: &mut Emitter<'_>) {
    let mut refs: Vec<(String, String)> = Vec::new();
    let mut push_rel = |rels: &[Relationship], pointer: &str| {
        for (k, r) in rels.iter().enumerate() {
            for (side, value) in [("from", &r.from), ("to", &r.to)] {
                let Some(value) = value else { continue };
                let many = value.as_slice().len() > 1 || matches!(value, crate::odcs::References::Many(_));
                for (m, target) in value.as_slice().iter().enumerate() {
                    let at = if many {
                        format!("{pointer}/relationships/{k}/{side}/{m}")
                    } else {
                        format!("{pointer}/relationships/{k}/{side}")
                    };
                    refs.push((target.clone(), at));
                }
            }
        }
    };
    for (i, o) in doc.contract.schema.iter().enumerate() {
        push_rel(&o.relationships, &format!("/schema/{i}"));
    }
    for p in doc.contract.walk_properties() {
        push_rel(&p.property.relationships, &p.pointer);
    }
    for (i, sla) in doc.contract.sla_properties.iter().enumerate() {
        if let Some(element) = &sla.element {
            for part in element.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                refs.push((part.to_string(), format!("/slaProperties/{i}/element")));
            }
        }
    }
    if let Some(element) = &doc.contract.sla_default_element {
        refs.push((element.clone(), "/slaDefaultElement".into()));
    }
    for (target, at) in refs {
        let span = doc.span_of(&at);
        match resolve(&target, doc, all) {
            Resolution::Found | Resolution::External => {}
            Resolution::MissingProperty(msg) => {
                e.emit(&DANGLING_REFERENCE, span, &at, format!("reference `{target}` points nowhere: {msg}"));
            }
            Resolution::UnknownObject(msg) => {
                e.emit_at_level(
                    &DANGLING_REFERENCE,
                    Level::Warning,
                    span,
                    &at,
                    format!("reference `{target}` cannot be resolved: {msg}"),
                )
                .help = Some("lint the contract that defines it together with this one".into());
            }
        }
    }
}

fn resolve(target: &str, doc: &ContractDocument, all: &[&ContractDocument]) -> Resolution {
    if target.contains('#') {
        return Resolution::External;
    }
    if target.contains('/') {
        return resolve_by_id(target.trim_start_matches('/'), doc);
    }
    let mut parts = target.split('.');
    let object_name = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    // This contract first, then the others linted with it.
    let candidates = std::iter::once(doc).chain(all.iter().copied().filter(|d| !std::ptr::eq(*d, doc)));
    let mut found_object = false;
    for d in candidates {
        for o in d
            .contract
            .schema
            .iter()
            .filter(|o| o.name == object_name || o.physical_name.as_deref() == Some(object_name))
        {
            found_object = true;
            if rest.is_empty() || property_path_exists(&o.properties, &rest) {
                return Resolution::Found;
            }
        }
    }
    if found_object {
        Resolution::MissingProperty(format!("object `{object_name}` has no property `{}`", rest.join(".")))
    } else {
        Resolution::UnknownObject(format!("no schema object `{object_name}` in the contracts linted"))
    }
}

/// `schema/<object id>/properties/<property id>[/properties/<id>…]`
fn resolve_by_id(path: &str, doc: &ContractDocument) -> Resolution {
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 2 || parts[0] != "schema" {
        return Resolution::MissingProperty(format!("`{path}` is not of the form schema/<id>/properties/<id>"));
    }
    let Some(object) = doc.contract.schema.iter().find(|o| o.id.as_deref() == Some(parts[1])) else {
        return Resolution::MissingProperty(format!("no schema object has id `{}`", parts[1]));
    };
    let mut props = &object.properties;
    for pair in parts[2..].chunks(2) {
        match pair {
            ["properties", id] => match props.iter().find(|p| p.id.as_deref() == Some(*id)) {
                Some(p) => props = &p.properties,
                None => return Resolution::MissingProperty(format!("no property has id `{id}`")),
            },
            _ => {
                return Resolution::MissingProperty(format!("`{path}` is not of the form schema/<id>/properties/<id>"));
            }
        }
    }
    Resolution::Found
}

/// Whether a dotted path of property names exists (matching `name` or `physicalName`),
/// stepping through array `items` transparently.
pub(crate) fn property_path_exists(props: &[Property], path: &[&str]) -> bool {
    let Some((first, rest)) = path.split_first() else { return true };
    props.iter().any(|p| {
        (p.name.as_deref() == Some(*first) || p.physical_name.as_deref() == Some(*first)) && {
            let children = match &p.items {
                Some(items) if p.properties.is_empty() => &items.properties,
                _ => &p.properties,
            };
            property_path_exists(children, rest)
        }
    })
}
