//! Changes to the contract around the schema: service levels, servers, status, ownership and
//! other metadata (the `G` rules). The schema diff ([`super::diff`]) works on the format-neutral
//! IR; these only exist between two ODCS contracts, so they are read from the documents.
//!
//! Lists are matched by their natural key (`property`, `server`, `role`, `username`, `channel`,
//! `name`, `id`, `url`), so reordering is not a change and paths read as datacontract-cli's
//! changelog does: `slaProperties.latency`, `servers.production.roles.writer`,
//! `team.members.bob.role`. None of these rules changes the schema verdict; SLA and server changes
//! carry their own level, which the gate lowers when no registered consumer relies on them.

use super::rules::{
    CONTRACT_METADATA_CHANGED, OWNERSHIP_CHANGED, SERVER_CHANGED, SLA_CHANGED, SLA_REMOVED, SLA_WEAKENED,
    STATUS_CHANGED,
};
use super::{Change, Directions};
use crate::diagnostic::Level;
use crate::document::{Node, Value};
use crate::path::FieldPath;
use crate::source::Span;

/// Keys that identify an item of a list of mappings, in order of preference.
const LIST_KEYS: &[&str] = &["property", "server", "username", "role", "channel", "name", "id", "url"];

/// Server fields that say where the data is: a change moves the data away from its readers.
const LOCATION_KEYS: &[&str] = &[
    "type",
    "host",
    "port",
    "database",
    "schema",
    "catalog",
    "project",
    "dataset",
    "location",
    "path",
    "format",
    "delimiter",
    "account",
    "endpointUrl",
    "topic",
    "serviceName",
    "warehouse",
    "stagingDir",
];

/// The contract-level changes from `old` to `new` (document roots; `schema` is left to the
/// schema diff).
pub fn changes(old: &Node, new: &Node) -> Vec<Change> {
    let mut raw = Vec::new();
    walk(String::new(), Some(old), Some(new), &mut raw);
    let mut out = Vec::new();
    let mut sla_done: Vec<String> = Vec::new();
    for r in raw {
        let top = r.path.split('.').next().unwrap_or_default();
        match top {
            "schema" => {}
            "slaProperties" => {
                // One change per SLA property, judged as a whole (value and unit together).
                let prop = r.path.split('.').nth(1).unwrap_or_default().to_string();
                if sla_done.contains(&prop) {
                    continue;
                }
                sla_done.push(prop.clone());
                out.push(sla_change(old, new, &prop));
            }
            "servers" => out.push(server_change(r)),
            "status" => {
                let retiring = r.new.as_deref().is_some_and(|s| matches!(s, "deprecated" | "retired"));
                let mut c = build(&STATUS_CHANGED, r, "the contract's status changed");
                if retiring {
                    c.level = Some(Level::Warning);
                    c.hint = Some("tell the consumers when the data goes away, and what replaces it".into());
                }
                out.push(c);
            }
            "team" | "support" | "roles" => {
                out.push(build(&OWNERSHIP_CHANGED, r, "who owns, supports or may read the data changed"))
            }
            _ => out.push(build(&CONTRACT_METADATA_CHANGED, r, "contract metadata changed")),
        }
    }
    out
}

/// A difference between the two documents at a dotted path.
struct Raw {
    path: String,
    old: Option<String>,
    new: Option<String>,
    old_span: Option<Span>,
    new_span: Option<Span>,
}

fn walk(path: String, old: Option<&Node>, new: Option<&Node>, out: &mut Vec<Raw>) {
    let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    match (old.map(|n| &n.value), new.map(|n| &n.value)) {
        (Some(Value::Map(a)), Some(Value::Map(b))) => {
            for e in a {
                if path.is_empty() && e.key == "schema" {
                    continue;
                }
                walk(join(&e.key), Some(&e.value), new.and_then(|n| n.get(&e.key)), out);
            }
            for e in b.iter().filter(|e| a.iter().all(|x| x.key != e.key)) {
                if path.is_empty() && e.key == "schema" {
                    continue;
                }
                walk(join(&e.key), None, Some(&e.value), out);
            }
        }
        (Some(Value::Seq(a)), Some(Value::Seq(b))) if keyed(a, b).is_some() => {
            let key = keyed(a, b).expect("checked");
            let id = |n: &Node| n.get(key).map(scalar).unwrap_or_default();
            for x in a {
                let other = b.iter().find(|y| id(y) == id(x));
                walk(join(&id(x)), Some(x), other, out);
            }
            for y in b.iter().filter(|y| a.iter().all(|x| id(x) != id(y))) {
                walk(join(&id(y)), None, Some(y), out);
            }
        }
        (Some(a), Some(b)) if same(a, b) => {}
        // A whole keyed list added or removed: one change per item (each SLA, each server).
        (Some(Value::Seq(items)), None) | (None, Some(Value::Seq(items))) if keyed(items, items).is_some() => {
            let key = keyed(items, items).expect("checked");
            for item in items {
                let id = item.get(key).map(scalar).unwrap_or_default();
                let (o, n) = if old.is_some() { (Some(item), None) } else { (None, Some(item)) };
                walk(join(&id), o, n, out);
            }
        }
        _ => out.push(Raw {
            path,
            old: old.map(render),
            new: new.map(render),
            old_span: old.map(|n| n.span),
            new_span: new.map(|n| n.span),
        }),
    }
}

/// The key that identifies the items of both lists: present, scalar and unique in each.
fn keyed(a: &[Node], b: &[Node]) -> Option<&'static str> {
    LIST_KEYS.iter().copied().find(|k| {
        [a, b].iter().all(|items| {
            let ids: Vec<String> = items.iter().filter_map(|n| n.get(k).map(scalar)).collect();
            ids.len() == items.len() && !ids.is_empty() && {
                let mut sorted = ids.clone();
                sorted.sort();
                sorted.dedup();
                sorted.len() == ids.len()
            }
        })
    })
}

/// Equal values; lists of scalars compare as sets (reordering tags is not a change).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Seq(x), Value::Seq(y)) => {
            let set = |v: &[Node]| {
                let mut s: Vec<String> = v.iter().map(render).collect();
                s.sort();
                s
            };
            set(x) == set(y)
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| y.iter().any(|f| f.key == e.key && same(&e.value.value, &f.value.value)))
        }
        (Value::Int(i), Value::Float(f)) | (Value::Float(f), Value::Int(i)) => *i as f64 == *f,
        _ => a == b,
    }
}

fn scalar(n: &Node) -> String {
    match &n.value {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Seq(_) | Value::Map(_) => String::new(),
    }
}

/// A value for messages: scalars as written, collections as compact JSON.
fn render(n: &Node) -> String {
    match &n.value {
        Value::Seq(_) | Value::Map(_) => {
            let s = n.to_json().to_string();
            if s.len() > 120 { format!("{}…", &s[..s.floor_char_boundary(119)]) } else { s }
        }
        _ => scalar(n),
    }
}

fn build(rule: &'static super::BreakingRule, r: Raw, what: &str) -> Change {
    let message = match (&r.old, &r.new) {
        (None, Some(v)) => format!("{what}: `{}` added ({v})", r.path),
        (Some(v), None) => format!("{what}: `{}` removed (was {v})", r.path),
        (Some(a), Some(b)) => format!("{what}: `{}` {a} → {b}", r.path),
        (None, None) => what.to_string(),
    };
    Change {
        rule,
        path: FieldPath { segments: Vec::new() },
        display_path: r.path,
        old: r.old,
        new: r.new,
        breaks: Directions::NONE,
        message,
        old_span: r.old_span,
        new_span: r.new_span,
        level: None,
        hint: None,
    }
}

fn server_change(r: Raw) -> Change {
    let parts: Vec<String> = r.path.split('.').map(str::to_string).collect();
    let name = parts.get(1).cloned().unwrap_or_default();
    let field = parts.get(2).map(String::as_str);
    match field {
        None if r.new.is_none() => {
            let mut c = build(&SERVER_CHANGED, r, "a server was removed");
            c.message = format!("server `{name}` was removed: consumers reading from it lose the data");
            c.hint = Some("keep the old server until every consumer has moved, then remove it".into());
            c
        }
        Some(f) if LOCATION_KEYS.contains(&f) && parts.len() == 3 => {
            let (old, new) =
                (r.old.clone().unwrap_or_else(|| "unset".into()), r.new.clone().unwrap_or_else(|| "unset".into()));
            let mut c = build(&SERVER_CHANGED, r, "a server moved");
            c.message = format!("server `{name}` moved: its {f} changed from {old} to {new}");
            c.hint = Some("publish to both locations until every consumer has moved".into());
            c
        }
        Some("roles") => build(&OWNERSHIP_CHANGED, r, "access roles of a server changed"),
        _ => build(&CONTRACT_METADATA_CHANGED, r, "server metadata changed"),
    }
}

/// Which way an SLA property's promise gets stronger.
#[derive(Clone, Copy, PartialEq)]
enum Better {
    Smaller,
    Larger,
}

fn direction(property: &str) -> Option<Better> {
    let p = property.to_ascii_lowercase();
    Some(match p.as_str() {
        "latency"
        | "freshness"
        | "frequency"
        | "errorrate"
        | "timetodetect"
        | "timetonotify"
        | "timetorepair"
        | "timetoresolve"
        | "timeofavailability"
        | "generalavailability" => Better::Smaller,
        "retention" | "availability" | "throughput" | "endofsupport" | "endoflife" => Better::Larger,
        _ => return None,
    })
}

/// An SLA value as a number in a common unit: durations in seconds, percentages as numbers,
/// dates and times of day as sortable numbers. `None` when it cannot be read.
fn magnitude(entry: &Node) -> Option<f64> {
    let value = entry.get("value")?;
    let unit = entry.get("unit").and_then(Node::as_str).unwrap_or_default().trim().to_ascii_lowercase();
    let (number, suffix) = match &value.value {
        Value::Int(i) => (*i as f64, String::new()),
        Value::Float(f) => (*f, String::new()),
        Value::String(s) => {
            let s = s.trim();
            if let Some(d) = date_number(s) {
                return Some(d);
            }
            let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).unwrap_or(s.len());
            (s[..split].parse().ok()?, s[split..].trim().to_ascii_lowercase())
        }
        _ => return None,
    };
    let unit = if suffix.is_empty() { unit } else { suffix };
    let seconds = match unit.as_str() {
        "" | "%" | "percent" => 1.0,
        "ms" | "millisecond" | "milliseconds" => 0.001,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "wk" | "week" | "weeks" => 604_800.0,
        "mo" | "month" | "months" => 2_629_746.0,
        "y" | "yr" | "yrs" | "year" | "years" => 31_556_952.0,
        _ => return None,
    };
    Some(number * seconds)
}

/// `2026-01-31` → 20260131; `09:30` → 930 (both sort as the value does).
fn date_number(s: &str) -> Option<f64> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let shape_date = s.len() >= 10 && s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(7) == Some(&b'-');
    let shape_time = s.len() == 5 && s.as_bytes().get(2) == Some(&b':');
    if shape_date {
        digits.get(..8)?.parse().ok()
    } else if shape_time {
        digits.parse().ok()
    } else {
        None
    }
}

fn sla_entries<'a>(root: &'a Node, property: &str) -> Option<&'a Node> {
    root.get("slaProperties")?.as_seq().iter().find(|n| n.get("property").map(scalar).as_deref() == Some(property))
}

fn sla_change(old_root: &Node, new_root: &Node, property: &str) -> Change {
    let (old, new) = (sla_entries(old_root, property), sla_entries(new_root, property));
    let show = |n: &Node| {
        let v = n.get("value").map(scalar).unwrap_or_default();
        match n.get("unit").map(scalar) {
            Some(u) if !u.is_empty() => format!("{v} {u}"),
            _ => v,
        }
    };
    let raw = Raw {
        path: format!("slaProperties.{property}"),
        old: old.map(show),
        new: new.map(show),
        old_span: old.map(|n| n.span),
        new_span: new.map(|n| n.span),
    };
    let (Some(o), Some(n)) = (old, new) else {
        return if new.is_none() {
            let mut c = build(&SLA_REMOVED, raw, "an SLA property was removed");
            c.message = format!("the `{property}` SLA was removed: consumers relying on it lose the promise");
            c
        } else {
            let mut c = build(&SLA_CHANGED, raw, "an SLA property was added");
            c.message = format!("a `{property}` SLA was added");
            c
        };
    };
    let moved_element = o.get("element").map(scalar) != n.get("element").map(scalar);
    let order = match (direction(property), magnitude(o), magnitude(n)) {
        (Some(better), Some(a), Some(b)) if !moved_element => Some(if a == b {
            std::cmp::Ordering::Equal
        } else if (b < a) == (better == Better::Smaller) {
            std::cmp::Ordering::Greater // stronger
        } else {
            std::cmp::Ordering::Less // weaker
        }),
        _ => None,
    };
    let (was, now) = (raw.old.clone().unwrap_or_default(), raw.new.clone().unwrap_or_default());
    match order {
        Some(std::cmp::Ordering::Less) => {
            let mut c = build(&SLA_WEAKENED, raw, "an SLA got weaker");
            c.message = format!("the `{property}` SLA got weaker: {was} → {now}");
            c.hint = Some("keep the old promise until the consumers who rely on it agree".into());
            c
        }
        Some(order) => {
            let mut c = build(&SLA_CHANGED, raw, "an SLA property changed");
            c.message = if order == std::cmp::Ordering::Equal {
                format!("the `{property}` SLA was rewritten without changing the promise: {was} → {now}")
            } else {
                format!("the `{property}` SLA got stronger: {was} → {now}")
            };
            c
        }
        None => {
            let mut c = build(&SLA_CHANGED, raw, "an SLA property changed");
            c.message = format!(
                "the `{property}` SLA changed ({was} → {now}{}) in a way contrakt cannot order: check it is not weaker",
                if moved_element { ", and the element it applies to" } else { "" }
            );
            c.level = Some(Level::Warning);
            c
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;
    use crate::document::Document;

    fn root(text: &str) -> Node {
        Document::parse(SourceFile::new("c.yaml", text)).unwrap().root
    }

    fn codes(a: &str, b: &str) -> Vec<(String, &'static str)> {
        changes(&root(a), &root(b)).into_iter().map(|c| (c.display_path, c.rule.code)).collect()
    }

    const BASE: &str = "id: x\nversion: 1.0.0\nstatus: active\nschema: [{name: a}]\n";

    #[test]
    fn a_contract_against_itself_has_no_changes() {
        let text = format!(
            "{BASE}slaProperties: [{{property: latency, value: 1, unit: h}}]\nservers: [{{server: p, type: postgres, host: h}}]\nteam: {{members: [{{username: a, role: owner}}]}}\ntags: [x, y]\n"
        );
        assert!(changes(&root(&text), &root(&text)).is_empty());
    }

    #[test]
    fn sla_changes_are_judged_by_direction_and_unit() {
        let sla = |v: &str| {
            format!(
                "{BASE}slaProperties:\n  - {{property: latency, {v}}}\n  - {{property: retention, value: 1, unit: y}}\n"
            )
        };
        // 1 hour → 90 minutes is weaker, 1 hour → 30 minutes stronger, 60 minutes equal.
        assert_eq!(
            codes(&sla("value: 1, unit: h"), &sla("value: 90, unit: m")),
            [("slaProperties.latency".into(), "G001")]
        );
        assert_eq!(
            codes(&sla("value: 1, unit: h"), &sla("value: 30, unit: m")),
            [("slaProperties.latency".into(), "G003")]
        );
        assert!(
            codes(&sla("value: 1, unit: h"), &sla("value: 60, unit: m"))
                .iter()
                .all(|(_, c)| *c == "G007" || *c == "G003")
        );
        // Retention: shorter is weaker; availability as percentages in strings.
        let ret = |v: &str| {
            format!(
                "{BASE}slaProperties: [{{property: retention, value: {v}, unit: d}}, {{property: availability, value: \"99.9%\"}}]\n"
            )
        };
        assert_eq!(codes(&ret("365"), &ret("30")), [("slaProperties.retention".into(), "G001")]);
        let avail = |v: &str| format!("{BASE}slaProperties: [{{property: availability, value: \"{v}\"}}]\n");
        assert_eq!(codes(&avail("99.9%"), &avail("99.5%")), [("slaProperties.availability".into(), "G001")]);
        assert_eq!(codes(&avail("99.5%"), &avail("99.9%")), [("slaProperties.availability".into(), "G003")]);
        // Removed and added.
        assert_eq!(codes(&avail("99.9%"), BASE), [("slaProperties.availability".to_string(), "G002")]);
        assert_eq!(codes(BASE, &avail("99.9%")), [("slaProperties.availability".to_string(), "G003")]);
        let two =
            format!("{BASE}slaProperties: [{{property: latency, value: 1h}}, {{property: retention, value: 1y}}]\n");
        let mut gone = codes(&two, BASE);
        gone.sort();
        assert_eq!(
            gone,
            [("slaProperties.latency".to_string(), "G002"), ("slaProperties.retention".to_string(), "G002")]
        );
    }

    #[test]
    fn an_sla_contrakt_cannot_order_is_a_warning() {
        let sla = |v: &str| format!("{BASE}slaProperties: [{{property: latency, value: {v}}}]\n");
        let c = changes(&root(&sla("fast")), &root(&sla("slow")));
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].rule.code, c[0].level), ("G003", Some(Level::Warning)));
        assert!(c[0].message.contains("cannot order"), "{}", c[0].message);
    }

    #[test]
    fn servers_removed_or_moved_are_g004_and_roles_are_ownership() {
        let srv = |s: &str| format!("{BASE}servers:\n{s}");
        let two = srv(
            "  - {server: prod, type: postgres, host: a, roles: [{role: r, access: read}, {role: w, access: write}]}\n  - {server: dev, type: postgres, host: b}\n",
        );
        let gone = srv(
            "  - {server: prod, type: postgres, host: a, roles: [{role: r, access: read}, {role: w, access: write}]}\n",
        );
        let moved = srv(
            "  - {server: dev, type: postgres, host: b}\n  - {server: prod, type: postgres, host: c, roles: [{role: r, access: read}]}\n",
        );
        assert_eq!(codes(&two, &gone), [("servers.dev".to_string(), "G004")]);
        let mut m = codes(&two, &moved);
        m.sort();
        assert_eq!(m, [("servers.prod.host".to_string(), "G004"), ("servers.prod.roles.w".to_string(), "G006")]);
    }

    #[test]
    fn lists_match_by_key_and_scalar_lists_as_sets() {
        let t = |members: &str, tags: &str| format!("{BASE}team: {{name: T, members: [{members}]}}\ntags: [{tags}]\n");
        let a = t("{username: a, role: lead}, {username: b, role: dev}", "x, y");
        let b = t("{username: b, role: senior}, {username: a, role: lead}, {username: c, role: dev}", "y, x");
        let mut c = codes(&a, &b);
        c.sort();
        assert_eq!(c, [("team.members.b.role".to_string(), "G006"), ("team.members.c".to_string(), "G006")]);
    }

    #[test]
    fn deprecation_warns_and_other_status_changes_inform() {
        let st = |s: &str| format!("id: x\nversion: 1.0.0\nstatus: {s}\n");
        let c = changes(&root(&st("active")), &root(&st("deprecated")));
        assert_eq!((c[0].rule.code, c[0].level), ("G005", Some(Level::Warning)));
        let c = changes(&root(&st("draft")), &root(&st("active")));
        assert_eq!((c[0].rule.code, c[0].level_under(crate::diff::Mode::Full)), ("G005", Level::Info));
    }
}
