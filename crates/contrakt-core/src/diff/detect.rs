//! The structural walk: objects matched by id then name, fields by identity (id, Protobuf
//! number, Avro alias) then name, nested types recursively. Emits each change once.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::lattice::{Relation, relate};
use super::rules::*;
use super::{Change, Directions};
use crate::diagnostic::Level;
use crate::ir::{Bound, Constraints, DataType, Field, FieldId, Object, RecordModel, Schema};
use crate::path::{FieldPath, Segment};
use crate::source::Span;

/// Every difference between `old` and `new`, in a stable order.
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let mut d = Differ { model: new.record_model, qualified: new.qualified_paths, out: Vec::new() };
    let (pairs, removed, added) = match_objects(&old.objects, &new.objects);
    for o in removed {
        let path = FieldPath { segments: vec![Segment::Name(o.name.clone())] };
        d.push(
            &OBJECT_REMOVED,
            path,
            Some(o.name.clone()),
            None,
            dirs(&OBJECT_REMOVED, true, true),
            format!("schema object `{}` was removed", o.name),
            Some(o.span),
            None,
        );
    }
    for o in added {
        let path = FieldPath { segments: vec![Segment::Name(o.name.clone())] };
        d.push(
            &OBJECT_ADDED,
            path,
            None,
            Some(o.name.clone()),
            Directions::NONE,
            format!("schema object `{}` was added", o.name),
            None,
            Some(o.span),
        );
    }
    for (a, b) in pairs {
        d.object(a, b);
    }
    d.out
}

/// Resolves a rule's default verdict; `Depends` directions take `b`/`f` from the caller.
fn dirs(rule: &BreakingRule, b: bool, f: bool) -> Directions {
    let pick = |v: Verdict, dep: bool| match v {
        Verdict::Compatible => false,
        Verdict::Breaking => true,
        Verdict::Depends => dep,
    };
    Directions { backward: pick(rule.backward, b), forward: pick(rule.forward, f) }
}

fn match_objects<'a>(
    old: &'a [Object],
    new: &'a [Object],
) -> (Vec<(&'a Object, &'a Object)>, Vec<&'a Object>, Vec<&'a Object>) {
    let mut used = vec![false; new.len()];
    let mut pairs = Vec::new();
    let mut removed = Vec::new();
    for o in old {
        let by_id =
            o.id.as_ref().and_then(|id| new.iter().enumerate().find(|(i, n)| !used[*i] && n.id.as_ref() == Some(id)));
        let found = by_id.or_else(|| new.iter().enumerate().find(|(i, n)| !used[*i] && n.name == o.name));
        match found {
            Some((i, n)) => {
                used[i] = true;
                pairs.push((o, n));
            }
            None => removed.push(o),
        }
    }
    let added = new.iter().enumerate().filter(|(i, _)| !used[*i]).map(|(_, n)| n).collect();
    (pairs, removed, added)
}

struct Differ {
    model: RecordModel,
    qualified: bool,
    out: Vec<Change>,
}

impl Differ {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rule: &'static BreakingRule,
        path: FieldPath,
        old: Option<String>,
        new: Option<String>,
        breaks: Directions,
        message: String,
        old_span: Option<Span>,
        new_span: Option<Span>,
    ) -> &mut Change {
        let display_path =
            if self.qualified || path.segments.len() < 2 { path.to_string() } else { path.unqualified() };
        self.out.push(Change {
            rule,
            path,
            display_path,
            old,
            new,
            breaks,
            message,
            old_span,
            new_span,
            level: None,
            hint: None,
        });
        self.out.last_mut().expect("just pushed")
    }

    fn object(&mut self, a: &Object, b: &Object) {
        let base = FieldPath { segments: vec![Segment::Name(b.name.clone())] };
        if a.physical_name != b.physical_name && a.physical_name.is_some() && b.physical_name.is_some() {
            let (o, n) = (a.physical_name.clone(), b.physical_name.clone());
            self.push(
                &PHYSICAL_NAME_CHANGED,
                base.clone(),
                o.clone(),
                n.clone(),
                dirs(&PHYSICAL_NAME_CHANGED, true, true),
                format!(
                    "physical name of `{}` changed from `{}` to `{}`",
                    b.name,
                    o.unwrap_or_default(),
                    n.unwrap_or_default()
                ),
                Some(a.span),
                Some(b.span),
            );
        }
        if a.name != b.name {
            self.push(
                &OBJECT_REMOVED,
                base.clone(),
                Some(a.name.clone()),
                Some(b.name.clone()),
                dirs(&OBJECT_REMOVED, true, true),
                format!("schema object `{}` was renamed to `{}`", a.name, b.name),
                Some(a.span),
                Some(b.span),
            );
        }
        self.keys(a, b, &base);
        self.fields(&a.fields, &b.fields, &base);
    }

    fn keys(&mut self, a: &Object, b: &Object, base: &FieldPath) {
        if a.primary_key != b.primary_key {
            let removed: Vec<&String> = a.primary_key.iter().filter(|k| !b.primary_key.contains(k)).collect();
            let added: Vec<&String> = b.primary_key.iter().filter(|k| !a.primary_key.contains(k)).collect();
            let (o, n) =
                (Some(format!("({})", a.primary_key.join(", "))), Some(format!("({})", b.primary_key.join(", "))));
            let what = format!(
                "primary key of `{}` changed from {} to {}",
                b.name,
                o.clone().unwrap_or_default(),
                n.clone().unwrap_or_default()
            );
            let rule = match (removed.is_empty(), added.is_empty()) {
                (true, false) if !a.primary_key.is_empty() || !added.is_empty() => &PRIMARY_KEY_ADDED,
                (false, true) => &PRIMARY_KEY_REMOVED,
                _ => &PRIMARY_KEY_COLUMNS_CHANGED,
            };
            self.push(rule, base.clone(), o, n, dirs(rule, true, true), what, Some(a.span), Some(b.span));
        }
        if a.partitioning != b.partitioning {
            let (o, n) = (a.partitioning.join(", "), b.partitioning.join(", "));
            self.push(
                &PARTITIONING_CHANGED,
                base.clone(),
                Some(o.clone()),
                Some(n.clone()),
                Directions::NONE,
                format!("partitioning of `{}` changed from ({o}) to ({n})", b.name),
                Some(a.span),
                Some(b.span),
            );
        }
    }

    /// Matches two field lists and compares each pair; `parent` is the path of their container.
    fn fields(&mut self, old: &[Field], new: &[Field], parent: &FieldPath) {
        let mut used = vec![false; new.len()];
        let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(old.len());
        let mut matched_old = vec![false; old.len()];
        // Indexes, so matching stays linear for wide tables.
        let mut by_id: HashMap<&FieldId, usize> = HashMap::new();
        let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(new.len());
        let mut by_alias: HashMap<&str, usize> = HashMap::new();
        for (j, f) in new.iter().enumerate().rev() {
            if let Some(id) = &f.id {
                by_id.insert(id, j);
            }
            by_name.insert(f.name.as_str(), j);
            for a in &f.aliases {
                by_alias.insert(a.as_str(), j);
            }
        }
        // Identity first: ids, Protobuf numbers.
        for (i, f) in old.iter().enumerate() {
            if let Some(j) = f.id.as_ref().and_then(|id| by_id.get(id)).copied().filter(|j| !used[*j]) {
                used[j] = true;
                matched_old[i] = true;
                pairs.push((i, j));
            }
        }
        // Then names, and Avro aliases (a new field naming the old one among its aliases).
        for (i, f) in old.iter().enumerate() {
            if matched_old[i] {
                continue;
            }
            let by_name = by_name.get(f.name.as_str()).copied().filter(|j| !used[*j] && ids_agree(f, &new[*j]));
            let found = by_name.or_else(|| by_alias.get(f.name.as_str()).copied().filter(|j| !used[*j]));
            if let Some(j) = found {
                used[j] = true;
                matched_old[i] = true;
                pairs.push((i, j));
            }
        }
        let removed: Vec<usize> = (0..old.len()).filter(|i| !matched_old[*i]).collect();
        let added: Vec<usize> = (0..new.len()).filter(|j| !used[*j]).collect();

        for &i in &removed {
            let f = &old[i];
            let optional = f.nullable
                || f.default.is_some()
                || !f.required
                || self.model == RecordModel::ByNumber && !is_proto2_required(f);
            let path = parent.child(&f.name);
            let change = if optional {
                let forward = self.model == RecordModel::ByNameStrict;
                let c = self.push(
                    &FIELD_REMOVED_OPTIONAL,
                    path,
                    Some(f.data_type.to_string()),
                    None,
                    dirs(&FIELD_REMOVED_OPTIONAL, false, forward),
                    format!("optional field `{}` was removed", f.name),
                    Some(f.span),
                    None,
                );
                c
            } else {
                self.push(
                    &FIELD_REMOVED,
                    path,
                    Some(f.data_type.to_string()),
                    None,
                    dirs(&FIELD_REMOVED, true, true),
                    format!("field `{}` was removed", f.name),
                    Some(f.span),
                    None,
                )
            };
            // A removed and an added field of the same type at the same place may be a rename.
            if let Some(&j) = added.iter().find(|&&j| j == i && new[j].data_type == f.data_type) {
                change.hint = Some(format!(
                    "`{}` was added at the same position with the same type: if this is a rename, it still breaks readers of `{}`; give both the same `id` to make it explicit",
                    new[j].name, f.name
                ));
            }
        }
        for &j in &added {
            let f = &new[j];
            let path = parent.child(&f.name);
            let (rule, what) =
                if f.nullable || !f.required || self.model == RecordModel::ByNumber && !is_proto2_required(f) {
                    (&FIELD_ADDED_OPTIONAL, "optional field")
                } else if f.default.is_some() {
                    (&FIELD_ADDED_REQUIRED_WITH_DEFAULT, "required field with a default")
                } else {
                    (&FIELD_ADDED_REQUIRED, "required field")
                };
            self.push(
                rule,
                path,
                None,
                Some(f.data_type.to_string()),
                dirs(rule, true, true),
                format!("{what} `{}` was added", f.name),
                None,
                Some(f.span),
            );
        }
        // Reordering, once per container: matched fields in old order must stay in order.
        let mut order: Vec<(usize, usize)> = pairs.clone();
        order.sort();
        if order.windows(2).any(|w| w[0].1 > w[1].1) && self.model != RecordModel::ByNumber {
            let names: Vec<&str> = order.iter().map(|(_, j)| new[*j].name.as_str()).collect();
            let span = new.first().map(|f| f.span);
            let where_ = if parent.segments.len() == 1 { format!("`{parent}`") } else { format!("`{}`", parent) };
            self.push(
                &FIELD_REORDERED,
                parent.clone(),
                None,
                Some(names.join(", ")),
                Directions::NONE,
                format!("fields of {where_} were reordered"),
                None,
                span,
            );
        }
        pairs.sort_by_key(|(i, _)| *i);
        for (i, j) in pairs {
            // Most fields of a wide schema are unchanged: skip them before building paths.
            if same(&old[i], &new[j]) {
                continue;
            }
            let label = format!("`{}`", new[j].name);
            self.field(&old[i], &new[j], &parent.child(&new[j].name), &label, false);
        }
    }

    /// Compares a matched pair. `path` is the field's own path; `label` names it in messages
    /// (`` `amount` ``, or ``items of `tags` `` for list elements, whose names carry no meaning).
    fn field(&mut self, a: &Field, b: &Field, path: &FieldPath, label: &str, element: bool) {
        let path = path.clone();
        let spans = (Some(a.span), Some(b.span));
        if a.name != b.name && !element {
            let (bw, fw) = match self.model {
                RecordModel::ByNumber => (false, false),
                RecordModel::ByNameWithDefaults => (!b.aliases.contains(&a.name), !a.aliases.contains(&b.name)),
                _ => (true, true),
            };
            self.push(
                &FIELD_RENAMED,
                path.clone(),
                Some(a.name.clone()),
                Some(b.name.clone()),
                dirs(&FIELD_RENAMED, bw, fw),
                format!("field `{}` was renamed to `{}`", a.name, b.name),
                spans.0,
                spans.1,
            );
        }
        if a.physical_name != b.physical_name && a.physical_name.is_some() && b.physical_name.is_some() {
            let (o, n) = (a.physical_name.clone().unwrap_or_default(), b.physical_name.clone().unwrap_or_default());
            self.push(
                &PHYSICAL_NAME_CHANGED,
                path.clone(),
                Some(o.clone()),
                Some(n.clone()),
                dirs(&PHYSICAL_NAME_CHANGED, true, true),
                format!("physical name of {label} changed from `{o}` to `{n}`"),
                spans.0,
                spans.1,
            );
        }
        self.data_type(a, b, &path, label);
        if a.nullable && !b.nullable {
            self.push(
                &BECAME_NON_NULLABLE,
                path.clone(),
                Some("nullable".into()),
                Some("not null".into()),
                dirs(&BECAME_NON_NULLABLE, true, true),
                format!("{label} no longer allows nulls"),
                spans.0,
                spans.1,
            );
        } else if !a.nullable && b.nullable {
            self.push(
                &BECAME_NULLABLE,
                path.clone(),
                Some("not null".into()),
                Some("nullable".into()),
                dirs(&BECAME_NULLABLE, true, true),
                format!("{label} may now be null"),
                spans.0,
                spans.1,
            );
        }
        if !a.required && b.required {
            let breaks = if b.default.is_some() { Directions::NONE } else { dirs(&BECAME_REQUIRED, true, true) };
            self.push(
                &BECAME_REQUIRED,
                path.clone(),
                Some("optional".into()),
                Some("required".into()),
                breaks,
                format!("{label} must now be present"),
                spans.0,
                spans.1,
            );
        } else if a.required && !b.required {
            self.push(
                &BECAME_OPTIONAL,
                path.clone(),
                Some("required".into()),
                Some("optional".into()),
                dirs(&BECAME_OPTIONAL, true, true),
                format!("{label} no longer has to be present"),
                spans.0,
                spans.1,
            );
        }
        self.constraints(&a.constraints, &b.constraints, &path, label, spans);
        match (&a.default, &b.default) {
            (None, Some(v)) => {
                self.push(
                    &DEFAULT_ADDED,
                    path.clone(),
                    None,
                    Some(v.to_string()),
                    Directions::NONE,
                    format!("{label} got the default {v}"),
                    spans.0,
                    spans.1,
                );
            }
            (Some(v), None) => {
                self.push(
                    &DEFAULT_REMOVED,
                    path.clone(),
                    Some(v.to_string()),
                    None,
                    Directions::NONE,
                    format!("{label} lost its default {v}"),
                    spans.0,
                    spans.1,
                );
            }
            (Some(x), Some(y)) if x != y => {
                self.push(
                    &DEFAULT_CHANGED,
                    path.clone(),
                    Some(x.to_string()),
                    Some(y.to_string()),
                    Directions::NONE,
                    format!("default of {label} changed from {x} to {y}"),
                    spans.0,
                    spans.1,
                );
            }
            _ => {}
        }
        if a.primary_key_position.is_none() && b.primary_key_position.is_none() && a.unique != b.unique {
            let rule = if b.unique { &UNIQUE_ADDED } else { &UNIQUE_REMOVED };
            let what = if b.unique { "must now be unique" } else { "is no longer unique" };
            self.push(
                rule,
                path.clone(),
                Some(a.unique.to_string()),
                Some(b.unique.to_string()),
                dirs(rule, true, true),
                format!("{label} {what}"),
                spans.0,
                spans.1,
            );
        }
        if a.classification != b.classification {
            let (o, n) = (a.classification.clone(), b.classification.clone());
            let escalation = rank(n.as_deref()) >= rank(o.as_deref());
            let c = self.push(
                &CLASSIFICATION_CHANGED,
                path.clone(),
                o.clone(),
                n.clone(),
                Directions::NONE,
                format!(
                    "classification of {label} changed from {} to {}",
                    o.as_deref().unwrap_or("none"),
                    n.as_deref().unwrap_or("none")
                ),
                spans.0,
                spans.1,
            );
            c.level = Some(if escalation { Level::Warning } else { Level::Error });
        }
        if a.description != b.description {
            self.push(
                &DESCRIPTION_CHANGED,
                path.clone(),
                a.description.clone(),
                b.description.clone(),
                Directions::NONE,
                format!("description of {label} changed"),
                spans.0,
                spans.1,
            );
        }
    }

    fn data_type(&mut self, a: &Field, b: &Field, path: &FieldPath, label: &str) {
        let (ta, tb) = (&a.data_type, &b.data_type);
        let spans = (Some(a.span), Some(b.span));
        // Unions against unions, and a type against a union that contains it, are branch changes.
        match (ta, tb) {
            (DataType::Union(x), DataType::Union(y)) => return self.branches(x, y, path, label, spans),
            (DataType::Union(x), t) if x.contains(t) => {
                return self.branches(x, std::slice::from_ref(t), path, label, spans);
            }
            (t, DataType::Union(y)) if y.contains(t) => {
                return self.branches(std::slice::from_ref(t), y, path, label, spans);
            }
            _ => {}
        }
        let relation = relate(ta, tb, self.model);
        let (rule, breaks): (&'static BreakingRule, Directions) = match relation {
            Relation::Same => {
                self.nested(a, b, path, label);
                return;
            }
            Relation::Widened => (&TYPE_WIDENED, dirs(&TYPE_WIDENED, true, true)),
            Relation::WidenedLossy => (&TYPE_WIDENED_LOSSY, dirs(&TYPE_WIDENED_LOSSY, true, true)),
            Relation::Narrowed => (&TYPE_NARROWED, dirs(&TYPE_NARROWED, true, true)),
            Relation::WireEquivalent => (&TYPE_WIRE_EQUIVALENT, Directions::NONE),
            Relation::DecimalWidened => (&DECIMAL_WIDENED, dirs(&DECIMAL_WIDENED, true, true)),
            Relation::DecimalChanged { backward_ok, forward_ok } => {
                (&DECIMAL_CHANGED, Directions { backward: !backward_ok, forward: !forward_ok })
            }
            Relation::FixedSizeChanged => (&FIXED_SIZE_CHANGED, dirs(&FIXED_SIZE_CHANGED, true, true)),
            Relation::KindChanged => (&KIND_CHANGED, dirs(&KIND_CHANGED, true, true)),
            Relation::MapKeyChanged => (&MAP_KEY_TYPE_CHANGED, dirs(&MAP_KEY_TYPE_CHANGED, true, true)),
            Relation::Changed => (&TYPE_CHANGED, dirs(&TYPE_CHANGED, true, true)),
        };
        let message = format!("type of {label} changed from {ta} to {tb}");
        self.push(rule, path.clone(), Some(ta.to_string()), Some(tb.to_string()), breaks, message, spans.0, spans.1);
        if relation == Relation::MapKeyChanged {
            self.nested(a, b, path, label);
        }
    }

    fn branches(
        &mut self,
        old: &[DataType],
        new: &[DataType],
        path: &FieldPath,
        name: &str,
        spans: (Option<Span>, Option<Span>),
    ) {
        for t in new.iter().filter(|t| !old.contains(t)) {
            self.push(
                &UNION_BRANCH_ADDED,
                path.clone(),
                None,
                Some(t.to_string()),
                dirs(&UNION_BRANCH_ADDED, true, true),
                format!("{name} may now also be {t}"),
                spans.0,
                spans.1,
            );
        }
        for t in old.iter().filter(|t| !new.contains(t)) {
            self.push(
                &UNION_BRANCH_REMOVED,
                path.clone(),
                Some(t.to_string()),
                None,
                dirs(&UNION_BRANCH_REMOVED, true, true),
                format!("{name} may no longer be {t}"),
                spans.0,
                spans.1,
            );
        }
    }

    /// Same kind on both sides: recurse into what they contain.
    fn nested(&mut self, a: &Field, b: &Field, path: &FieldPath, label: &str) {
        match (&a.data_type, &b.data_type) {
            (DataType::Struct(x), DataType::Struct(y)) => self.fields(x, y, path),
            (DataType::List(x), DataType::List(y)) => {
                self.field(x, y, &path.items(), &format!("items of {label}"), true);
            }
            (DataType::Map { value: x, .. }, DataType::Map { value: y, .. }) => {
                self.field(x, y, &path.map_values(), &format!("values of {label}"), true);
            }
            (DataType::Enum { symbols: x, default, open }, DataType::Enum { symbols: y, .. }) => {
                let extensible = default.is_some() || *open;
                let (x, y) = (
                    x.iter().map(|s| Json::String(s.clone())).collect(),
                    y.iter().map(|s| Json::String(s.clone())).collect(),
                );
                self.domain(x, y, extensible, path, label, (Some(a.span), Some(b.span)));
            }
            _ => {}
        }
    }

    fn constraints(
        &mut self,
        a: &Constraints,
        b: &Constraints,
        path: &FieldPath,
        name: &str,
        spans: (Option<Span>, Option<Span>),
    ) {
        let tighten = |d: &mut Differ, what: &str, o: String, n: String, tighter: bool| {
            let rule = if tighter { &CONSTRAINT_TIGHTENED } else { &CONSTRAINT_LOOSENED };
            d.push(
                rule,
                path.clone(),
                Some(o.clone()),
                Some(n.clone()),
                dirs(rule, true, true),
                format!("{what} of {name} changed from {o} to {n}"),
                spans.0,
                spans.1,
            );
        };
        let show = |v: Option<u64>| v.map_or("none".to_string(), |v| v.to_string());
        // Upper bounds: lower or added is tighter. Lower bounds: higher or added is tighter.
        for (what, x, y, upper) in [
            ("maxLength", a.max_length, b.max_length, true),
            ("minLength", a.min_length, b.min_length, false),
            ("maxItems", a.max_items, b.max_items, true),
            ("minItems", a.min_items, b.min_items, false),
        ] {
            if x != y {
                let tighter = match (x, y) {
                    (None, Some(_)) => true,
                    (Some(_), None) => false,
                    (Some(x), Some(y)) => {
                        if upper {
                            y < x
                        } else {
                            y > x
                        }
                    }
                    (None, None) => continue,
                };
                tighten(self, what, show(x), show(y), tighter);
            }
        }
        for (what, x, y, upper) in
            [("maximum", &a.maximum, &b.maximum, true), ("minimum", &a.minimum, &b.minimum, false)]
        {
            if x == y {
                continue;
            }
            let fmt = |v: &Option<Bound>| {
                v.as_ref().map_or("none".to_string(), |b| {
                    format!("{}{}", if b.exclusive { "exclusive " } else { "" }, b.value)
                })
            };
            let tighter = match (x, y) {
                (None, Some(_)) => Some(true),
                (Some(_), None) => Some(false),
                (Some(x), Some(y)) => bound_tighter(x, y, upper),
                (None, None) => None,
            };
            match tighter {
                Some(t) => tighten(self, what, fmt(x), fmt(y), t),
                // Incomparable bounds (a date against a number): both directions may break.
                None => {
                    let (o, n) = (fmt(x), fmt(y));
                    self.push(
                        &CONSTRAINT_TIGHTENED,
                        path.clone(),
                        Some(o.clone()),
                        Some(n.clone()),
                        Directions { backward: true, forward: true },
                        format!("{what} of {name} changed from {o} to {n}"),
                        spans.0,
                        spans.1,
                    );
                }
            }
        }
        if a.multiple_of != b.multiple_of {
            let show_f = |v: Option<f64>| v.map_or("none".to_string(), |v| v.to_string());
            match (a.multiple_of, b.multiple_of) {
                (None, Some(_)) => tighten(self, "multipleOf", show_f(a.multiple_of), show_f(b.multiple_of), true),
                (Some(_), None) => tighten(self, "multipleOf", show_f(a.multiple_of), show_f(b.multiple_of), false),
                (Some(x), Some(y)) if is_multiple(y, x) => {
                    tighten(self, "multipleOf", x.to_string(), y.to_string(), true)
                }
                (Some(x), Some(y)) if is_multiple(x, y) => {
                    tighten(self, "multipleOf", x.to_string(), y.to_string(), false)
                }
                (x, y) => {
                    let (o, n) = (show_f(x), show_f(y));
                    self.push(
                        &CONSTRAINT_TIGHTENED,
                        path.clone(),
                        Some(o.clone()),
                        Some(n.clone()),
                        Directions { backward: true, forward: true },
                        format!("multipleOf of {name} changed from {o} to {n}"),
                        spans.0,
                        spans.1,
                    );
                }
            }
        }
        for (what, x, y) in [("pattern", &a.pattern, &b.pattern), ("format", &a.format, &b.format)] {
            let (rule, message) = match (x, y) {
                (None, Some(n)) => (&PATTERN_ADDED, format!("{name} got the {what} `{n}`")),
                (Some(o), None) => (&PATTERN_REMOVED, format!("{name} lost its {what} `{o}`")),
                (Some(o), Some(n)) if o != n => {
                    (&PATTERN_CHANGED, format!("{what} of {name} changed from `{o}` to `{n}`"))
                }
                _ => continue,
            };
            self.push(rule, path.clone(), x.clone(), y.clone(), dirs(rule, true, true), message, spans.0, spans.1);
        }
        if a.unique_items != b.unique_items {
            let rule = if b.unique_items { &UNIQUE_ITEMS_ADDED } else { &UNIQUE_ITEMS_REMOVED };
            let what = if b.unique_items { "must now be unique" } else { "may now repeat" };
            self.push(
                rule,
                path.clone(),
                Some(a.unique_items.to_string()),
                Some(b.unique_items.to_string()),
                dirs(rule, true, true),
                format!("items of {name} {what}"),
                spans.0,
                spans.1,
            );
        }
        match (&a.enum_values, &b.enum_values) {
            (Some(x), Some(y)) => self.domain(x.clone(), y.clone(), false, path, name, spans),
            (None, Some(y)) => {
                let n = y.iter().map(show_json).collect::<Vec<_>>().join(", ");
                self.push(
                    &ENUM_VALUE_REMOVED,
                    path.clone(),
                    None,
                    Some(n.clone()),
                    dirs(&ENUM_VALUE_REMOVED, true, true),
                    format!("{name} is now restricted to [{n}]"),
                    spans.0,
                    spans.1,
                );
            }
            (Some(x), None) => {
                let o = x.iter().map(show_json).collect::<Vec<_>>().join(", ");
                self.push(
                    &ENUM_VALUE_ADDED,
                    path.clone(),
                    Some(o.clone()),
                    None,
                    dirs(&ENUM_VALUE_ADDED, true, true),
                    format!("{name} is no longer restricted to [{o}]"),
                    spans.0,
                    spans.1,
                );
            }
            (None, None) => {}
        }
    }

    /// Compares two closed domains (enum symbols, allowed values).
    fn domain(
        &mut self,
        old: Vec<Json>,
        new: Vec<Json>,
        extensible: bool,
        path: &FieldPath,
        name: &str,
        spans: (Option<Span>, Option<Span>),
    ) {
        let added: Vec<&Json> = new.iter().filter(|v| !old.contains(v)).collect();
        let removed: Vec<&Json> = old.iter().filter(|v| !new.contains(v)).collect();
        let list = |v: &[&Json]| v.iter().map(|j| show_json(j)).collect::<Vec<_>>().join(", ");
        let (o, n) = (Some(list(&old.iter().collect::<Vec<_>>())), Some(list(&new.iter().collect::<Vec<_>>())));
        match (added.is_empty(), removed.is_empty()) {
            (true, true) => {}
            (false, true) => {
                self.push(
                    &ENUM_VALUE_ADDED,
                    path.clone(),
                    o,
                    n,
                    dirs(&ENUM_VALUE_ADDED, true, !extensible),
                    format!("{name} allows new values: {}", list(&added)),
                    spans.0,
                    spans.1,
                );
            }
            (true, false) => {
                self.push(
                    &ENUM_VALUE_REMOVED,
                    path.clone(),
                    o,
                    n,
                    dirs(&ENUM_VALUE_REMOVED, true, true),
                    format!("{name} no longer allows: {}", list(&removed)),
                    spans.0,
                    spans.1,
                );
            }
            (false, false) => {
                self.push(
                    &ENUM_VALUES_REPLACED,
                    path.clone(),
                    o,
                    n,
                    dirs(&ENUM_VALUES_REPLACED, true, true),
                    format!("{name} values changed: added {}, removed {}", list(&added), list(&removed)),
                    spans.0,
                    spans.1,
                );
            }
        }
    }
}

/// Equal in everything the diff compares (not spans or pointers), so no change can arise.
fn same(a: &Field, b: &Field) -> bool {
    a.name == b.name
        && a.nullable == b.nullable
        && a.required == b.required
        && a.unique == b.unique
        && a.id == b.id
        && a.physical_name == b.physical_name
        && a.default == b.default
        && a.constraints == b.constraints
        && a.classification == b.classification
        && a.description == b.description
        && a.aliases == b.aliases
        && a.primary_key_position == b.primary_key_position
        && a.metadata.get("proto.label") == b.metadata.get("proto.label")
        && same_type(&a.data_type, &b.data_type)
}

fn same_type(a: &DataType, b: &DataType) -> bool {
    match (a, b) {
        (DataType::Struct(x), DataType::Struct(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (DataType::List(x), DataType::List(y)) => same(x, y),
        (DataType::Map { key: k1, value: v1 }, DataType::Map { key: k2, value: v2 }) => same(k1, k2) && same(v1, v2),
        (DataType::Struct(_) | DataType::List(_) | DataType::Map { .. }, _)
        | (_, DataType::Struct(_) | DataType::List(_) | DataType::Map { .. }) => false,
        _ => a == b,
    }
}

/// Without ids on both sides, or with equal ids, a same-named field is the same field.
fn ids_agree(a: &Field, b: &Field) -> bool {
    match (&a.id, &b.id) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

fn is_proto2_required(f: &Field) -> bool {
    f.metadata.get("proto.label").is_some_and(|l| l == "required")
}

fn show_json(v: &Json) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn is_multiple(x: f64, of: f64) -> bool {
    of != 0.0 && ((x / of) - (x / of).round()).abs() < 1e-9
}

/// Whether bound `y` accepts fewer values than `x` (Some(true)), more (Some(false)), or the
/// two cannot be compared (None).
fn bound_tighter(x: &Bound, y: &Bound, upper: bool) -> Option<bool> {
    let (xv, yv) = (cmp_key(&x.value)?, cmp_key(&y.value)?);
    let ord = xv.partial_cmp(&yv)?;
    use std::cmp::Ordering::*;
    Some(match (ord, upper) {
        (Equal, _) => !x.exclusive && y.exclusive,
        (Greater, true) | (Less, false) => true,
        (Less, true) | (Greater, false) => false,
    })
}

/// Numbers compare numerically; ISO dates and timestamps compare as text.
#[derive(PartialEq, PartialOrd)]
enum Key {
    Num(f64),
    Text(String),
}

fn cmp_key(v: &Json) -> Option<Key> {
    match v {
        Json::Number(n) => n.as_f64().map(Key::Num),
        Json::String(s) => Some(Key::Text(s.clone())),
        _ => None,
    }
}

/// public < internal < confidential < restricted < secret: a lower rank is a downgrade.
fn rank(c: Option<&str>) -> u8 {
    match c.map(str::to_ascii_lowercase).as_deref() {
        None | Some("public") => 0,
        Some("internal") => 1,
        Some("confidential") => 2,
        Some("restricted" | "sensitive" | "pii") => 3,
        Some("secret" | "highly-confidential" | "highly confidential") => 4,
        Some(_) => 2,
    }
}
