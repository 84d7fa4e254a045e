//! Rules over the consumer registry, resolved against the contracts they name.

use std::collections::HashMap;
use std::sync::Arc;

use super::Emitter;
use super::contract::quality_rules;
use super::registry::*;
use crate::consumer::ConsumerDocument;
use crate::diagnostic::{Finding, Level};
use crate::error::Error;
use crate::odcs::{ContractDocument, Property};
use crate::path::{FieldPath, Segment};
use crate::source::{SourceFile, Span};

/// A consumer file that does not load is an L301 finding at the offending node; an unreadable
/// file (syntax, binary, …) stays fatal.
pub(super) fn report_invalid(source: &Arc<SourceFile>, error: &Error, out: &mut Vec<Finding>) {
    match error {
        Error::Input(e) if e.kind == crate::InputErrorKind::InvalidValue => {
            let path = e.path.clone().unwrap_or_default();
            let message = if path.is_empty() { e.message.clone() } else { format!("{path}: {}", e.message) };
            let mut emitter = Emitter::new(source, out);
            let f = emitter.emit(&CONSUMER_INVALID, e.span.unwrap_or_default(), "", message);
            f.path = e.path.clone();
        }
        other => out.extend(Finding::from_error(other, Some(source.name()))),
    }
}

pub(super) fn check(consumers: &[ConsumerDocument], contracts: &[&ContractDocument], out: &mut Vec<Finding>) {
    let by_id: HashMap<&str, &ContractDocument> = contracts.iter().map(|d| (d.contract.id.as_str(), *d)).collect();
    let mut ids: HashMap<&str, &ConsumerDocument> = HashMap::new();
    for doc in consumers {
        let c = &doc.consumer;
        let root = &doc.document.root;
        let mut e = Emitter::new(&doc.document.source, out);
        let span_of = |pointer: &str| root.pointer(pointer).0.span;
        if let Some(first) = ids.get(c.id.as_str()) {
            e.emit(
                &DUPLICATE_CONSUMER,
                span_of("/id"),
                "/id",
                format!("consumer id `{}` is also declared in {}", c.id, first.document.source.name()),
            );
        } else {
            ids.insert(&c.id, doc);
        }
        for (u, usage) in c.uses.iter().enumerate() {
            let base = format!("/uses/{u}");
            let Some(contract) = by_id.get(usage.contract.as_str()) else {
                let at = format!("{base}/contract");
                let f = e.emit(
                    &CONSUMER_UNKNOWN_CONTRACT,
                    span_of(&at),
                    &at,
                    format!("no contract in the registry has id `{}`", usage.contract),
                );
                if let Some(near) = closest(&usage.contract, by_id.keys().copied()) {
                    f.help = Some(format!("did you mean `{near}`?"));
                }
                continue;
            };
            if let Some(range) = &usage.versions {
                let at = format!("{base}/versions");
                version_range(range, &contract.contract.version, span_of(&at), &at, &mut e);
            }
            for (r, read) in usage.reads.iter().enumerate() {
                let at = format!("{base}/reads/{r}");
                read_path(read, contract, span_of(&at), &at, &mut e);
            }
            let rules = quality_rules(contract);
            for (r, name) in usage.relies_on.rules.iter().enumerate() {
                if !rules.iter().any(|(_, q, _)| q.id.as_deref() == Some(name) || q.name.as_deref() == Some(name)) {
                    let at = format!("{base}/relies_on/rules/{r}");
                    let f = e.emit(
                        &CONSUMER_UNKNOWN_RULE,
                        span_of(&at),
                        &at,
                        format!("contract `{}` has no quality rule with id or name `{name}`", contract.contract.id),
                    );
                    let names = rules.iter().filter_map(|(_, q, _)| q.id.as_deref().or(q.name.as_deref()));
                    if let Some(near) = closest(name, names) {
                        f.help = Some(format!("did you mean `{near}`?"));
                    }
                }
            }
            let slas = &contract.contract.sla_properties;
            for (s, name) in usage.relies_on.sla.iter().enumerate() {
                let known = slas.iter().any(|p| p.property.eq_ignore_ascii_case(name) || p.id.as_deref() == Some(name));
                if !known {
                    let at = format!("{base}/relies_on/sla/{s}");
                    let declared: Vec<&str> = slas.iter().map(|p| p.property.as_str()).collect();
                    e.emit(
                        &CONSUMER_UNKNOWN_SLA,
                        span_of(&at),
                        &at,
                        format!("contract `{}` declares no SLA property `{name}`", contract.contract.id),
                    )
                    .help = Some(if declared.is_empty() {
                        "the contract declares no slaProperties".into()
                    } else {
                        format!("declared: {}", declared.join(", "))
                    });
                }
            }
        }
    }
}

fn version_range(range: &str, version: &str, span: Span, at: &str, e: &mut Emitter<'_>) {
    let req = match semver::VersionReq::parse(range) {
        Ok(req) => req,
        Err(err) => {
            e.emit(&CONSUMER_VERSION_RANGE, span, at, format!("`{range}` is not a semver range: {err}")).help =
                Some("write e.g. \">=1.0.0, <2.0.0\"".into());
            return;
        }
    };
    match semver::Version::parse(version.trim_start_matches('v')) {
        Ok(v) if !req.matches(&v) => {
            e.emit_at_level(
                &CONSUMER_VERSION_RANGE,
                Level::Warning,
                span,
                at,
                format!("range `{range}` excludes the contract's current version {version}"),
            )
            .help = Some("the consumer is pinned to a version the registry no longer describes; update the range once it has migrated".into());
        }
        _ => {}
    }
}

fn read_path(read: &str, contract: &ContractDocument, span: Span, at: &str, e: &mut Emitter<'_>) {
    let path = match FieldPath::parse(read) {
        Ok(p) => p,
        Err(err) => {
            e.emit(&CONSUMER_UNKNOWN_PATH, span, at, format!("`{read}` is not a valid path: {err}"));
            return;
        }
    };
    let (object_name, rest) = match path.segments.split_first() {
        Some((Segment::Wildcard, _)) => return,
        Some((Segment::Name(n), rest)) => (n, rest),
        _ => {
            e.emit(&CONSUMER_UNKNOWN_PATH, span, at, format!("`{read}` must start with a schema object name"));
            return;
        }
    };
    let Some(object) = contract.contract.object(object_name) else {
        let names: Vec<&str> = contract.contract.schema.iter().map(|o| o.name.as_str()).collect();
        let f = e.emit(
            &CONSUMER_UNKNOWN_OBJECT,
            span,
            at,
            format!("contract `{}` has no schema object `{object_name}`", contract.contract.id),
        );
        if let Some(near) = closest(object_name, names.iter().copied()) {
            f.help = Some(format!("did you mean `{near}`?"));
        }
        return;
    };
    if let Err(missing) = resolve(&object.properties, None, rest) {
        e.emit(
            &CONSUMER_UNKNOWN_PATH,
            span,
            at,
            format!("`{read}` does not exist in contract `{}`: {missing}", contract.contract.id),
        );
    }
}

/// Walks path segments through properties; `[]` steps into `items`.
fn resolve(props: &[Property], current: Option<&Property>, rest: &[Segment]) -> Result<(), String> {
    let Some((seg, tail)) = rest.split_first() else { return Ok(()) };
    match seg {
        Segment::Wildcard => Ok(()),
        Segment::MapValues => match current.and_then(|p| p.map.as_deref()).and_then(|m| m.value.as_ref()) {
            Some(value) => resolve(&value.properties, Some(value), tail),
            None => Err(format!("`{}` is not a map", current.and_then(|p| p.name.as_deref()).unwrap_or("?"))),
        },
        Segment::Items => match current.and_then(|p| p.items.as_deref()) {
            Some(items) => resolve(&items.properties, Some(items), tail),
            None => Err(format!("`{}` is not an array", current.and_then(|p| p.name.as_deref()).unwrap_or("?"))),
        },
        Segment::Name(name) => {
            let found =
                props.iter().find(|p| p.name.as_deref() == Some(name) || p.physical_name.as_deref() == Some(name));
            match found {
                Some(p) => resolve(&p.properties, Some(p), tail),
                None => Err(format!("no property `{name}`")),
            }
        }
    }
}

/// The candidate with the smallest edit distance, if it is close enough to be a typo.
fn closest<'a>(target: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(target, c), c))
        .filter(|(d, c)| *d > 0 && *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
