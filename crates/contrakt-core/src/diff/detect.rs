//! The structural walk: objects matched by id then name, fields by identity (id, Protobuf
//! number, Avro alias) then name, nested types recursively. Emits each change once.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use super::lattice::{Relation, relate};
use super::proto::{ProtoShape, is_proto2_required};
use super::rules::*;
use super::{Change, Directions};
use crate::diagnostic::Level;
use crate::ir::jsonschema::{Dependency, JsonSchemaFacts};
use crate::ir::{Bound, Constraints, DataType, Expresses, Field, FieldId, Object, QualityCheck, RecordModel, Schema};
use crate::path::{FieldPath, Segment};
use crate::source::Span;

/// Every difference between `old` and `new`, in a stable order.
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let mut d = Differ {
        model: new.record_model,
        qualified: new.qualified_paths,
        out: Vec::new(),
        can: old.expresses.and(new.expresses),
        attr: None,
        unexpressed: Vec::new(),
    };
    let avro = old.facts.avro().zip(new.facts.avro());
    let (pairs, removed, added) = match (avro, old.objects.as_slice(), new.objects.as_slice()) {
        // One record each side: the same object whatever its name; resolution judges the name.
        (Some(_), [a], [b]) => (vec![(a, b)], Vec::new(), Vec::new()),
        _ => match_objects(&old.objects, &new.objects),
    };
    for o in removed {
        let path = FieldPath { segments: vec![Segment::Name(o.name.clone())] };
        d.push(
            &OBJECT_REMOVED,
            path,
            Some(o.name.clone()),
            None,
            d.object_verdict(&OBJECT_REMOVED),
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
            d.object_verdict(&OBJECT_ADDED),
            format!("schema object `{}` was added", o.name),
            None,
            Some(o.span),
        );
    }
    for (a, b) in pairs {
        d.object(a, b);
    }
    super::proto::diff_files(&old.proto_files, &new.proto_files, &mut d.out);
    match avro {
        // Avro on both sides: Avro's own schema resolution decides every verdict.
        Some((a, b)) => super::avro::resolve(a, b, new, d.out),
        None => d.out,
    }
}

/// Resolves a rule's default verdict; `Depends` directions take `b`/`f` from the caller.
pub(super) fn dirs(rule: &BreakingRule, b: bool, f: bool) -> Directions {
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

pub(super) struct Differ {
    model: RecordModel,
    qualified: bool,
    out: Vec<Change>,
    /// What both sides' languages can say: changes to anything else are not reported.
    can: Expresses,
    /// The constraint being compared, while `constraints` runs.
    attr: Option<Constraint>,
    /// Changes to attributes one side cannot express (a DDL has no classification).
    unexpressed: Vec<Change>,
}

#[derive(Debug, Clone, Copy)]
enum Constraint {
    Lengths,
    Bounds,
    Patterns,
    Domain,
}

impl Differ {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
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
        let can = self.can;
        let expressed = match (self.attr, rule.code) {
            (Some(Constraint::Lengths), _) => can.lengths,
            (Some(Constraint::Bounds), _) => can.value_bounds,
            (Some(Constraint::Patterns), _) => can.patterns,
            (Some(Constraint::Domain), _) => can.enum_domains,
            (None, "M001") => can.descriptions,
            (None, "M002") => can.tags,
            (None, "M003") => can.classification,
            (None, "M004") => can.physical_names,
            (None, "M005") => can.quality,
            (None, "D001" | "D002" | "D003") => can.defaults,
            (None, "K001" | "K002" | "K003" | "K004" | "K005" | "K007") => can.keys,
            (None, "K006") => can.partitioning,
            _ => true,
        };
        let target = if expressed { &mut self.out } else { &mut self.unexpressed };
        target.push(Change {
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
        target.last_mut().expect("just pushed")
    }

    /// Tables and topics are read one by one: a removed one fails its readers (FORWARD). A
    /// Protobuf schema is read as a whole (Confluent's wire format addresses any message of the
    /// file): a removed message fails readers of old data (BACKWARD), an added one today's
    /// readers of new data (FORWARD).
    fn object_verdict(&self, rule: &BreakingRule) -> Directions {
        let proto = self.model == RecordModel::ByNumber;
        if *rule == OBJECT_ADDED { dirs(rule, true, proto) } else { dirs(rule, proto, !proto) }
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
                self.object_verdict(&OBJECT_REMOVED),
                format!("schema object `{}` was renamed to `{}`", a.name, b.name),
                Some(a.span),
                Some(b.span),
            );
        }
        self.keys(a, b, &base);
        let label = format!("`{}`", b.name);
        let spans = (Some(a.span), Some(b.span));
        if a.description != b.description {
            self.push(
                &DESCRIPTION_CHANGED,
                base.clone(),
                a.description.clone(),
                b.description.clone(),
                Directions::NONE,
                format!("description of {label} changed"),
                spans.0,
                spans.1,
            );
        }
        self.tags((&a.tags, &a.custom_properties), (&b.tags, &b.custom_properties), &base, &label, spans);
        self.quality(&a.quality, &b.quality, &base, &label, spans);
        if self.model == RecordModel::JsonContentModel {
            self.json_keywords(
                JsonSchemaFacts::of(&a.json_schema),
                JsonSchemaFacts::of(&b.json_schema),
                &base,
                &label,
                spans,
            );
        }
        self.fields(
            &a.fields,
            &b.fields,
            &base,
            Some((JsonSchemaFacts::of(&a.json_schema), JsonSchemaFacts::of(&b.json_schema))),
        );
    }

    /// M002: tags and custom properties (contract metadata; never a schema verdict).
    fn tags(
        &mut self,
        a: (&[String], &BTreeMap<String, String>),
        b: (&[String], &BTreeMap<String, String>),
        path: &FieldPath,
        label: &str,
        spans: (Option<Span>, Option<Span>),
    ) {
        if a.0 != b.0 {
            let (o, n) = (format!("[{}]", a.0.join(", ")), format!("[{}]", b.0.join(", ")));
            let message = format!("tags of {label} changed from {o} to {n}");
            self.push(&TAGS_CHANGED, path.clone(), Some(o), Some(n), Directions::NONE, message, spans.0, spans.1);
        }
        let keys: std::collections::BTreeSet<&String> = a.1.keys().chain(b.1.keys()).collect();
        for key in keys {
            let (o, n) = (a.1.get(key), b.1.get(key));
            let message = match (o, n) {
                (Some(x), Some(y)) if x != y => {
                    format!("custom property `{key}` of {label} changed from `{x}` to `{y}`")
                }
                (Some(x), None) => format!("custom property `{key}` (`{x}`) was removed from {label}"),
                (None, Some(y)) => format!("custom property `{key}` (`{y}`) was added to {label}"),
                _ => continue,
            };
            let show = |v: Option<&String>| v.map(|v| format!("{key}: {v}"));
            self.push(&TAGS_CHANGED, path.clone(), show(o), show(n), Directions::NONE, message, spans.0, spans.1);
        }
    }

    /// M005: quality checks matched by key. Removed, weakened or redefined checks report at the
    /// rule's level; added and tightened ones at info.
    fn quality(
        &mut self,
        a: &[QualityCheck],
        b: &[QualityCheck],
        path: &FieldPath,
        label: &str,
        spans: (Option<Span>, Option<Span>),
    ) {
        for x in a {
            let Some(y) = b.iter().find(|y| y.key == x.key) else {
                self.push(
                    &QUALITY_RULE_REMOVED,
                    path.clone(),
                    Some(x.key.clone()),
                    None,
                    Directions::NONE,
                    format!("quality rule `{}` of {label} was removed", x.key),
                    spans.0,
                    spans.1,
                );
                continue;
            };
            let show = |t: &BTreeMap<String, Json>| {
                let parts: Vec<String> = t.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{} {{{}}}", x.key, parts.join(", "))
            };
            let (message, weaker) = if x.definition != y.definition {
                (format!("quality rule `{}` of {label} changed what it checks", x.key), true)
            } else if x.thresholds != y.thresholds {
                match threshold_change(&x.thresholds, &y.thresholds) {
                    Some(false) => (format!("quality rule `{}` of {label} was tightened", x.key), false),
                    Some(true) => (format!("quality rule `{}` of {label} was weakened", x.key), true),
                    None => (format!("quality rule `{}` of {label} changed its threshold", x.key), true),
                }
            } else {
                continue;
            };
            let (o, n) = (show(&x.thresholds), show(&y.thresholds));
            let c = self.push(
                &QUALITY_RULE_REMOVED,
                path.clone(),
                Some(o),
                Some(n),
                Directions::NONE,
                message,
                spans.0,
                spans.1,
            );
            if !weaker {
                c.level = Some(Level::Info);
            }
        }
        for y in b.iter().filter(|y| !a.iter().any(|x| x.key == y.key)) {
            let c = self.push(
                &QUALITY_RULE_REMOVED,
                path.clone(),
                None,
                Some(y.key.clone()),
                Directions::NONE,
                format!("quality rule `{}` was added to {label}", y.key),
                spans.0,
                spans.1,
            );
            c.level = Some(Level::Info);
        }
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
        for fk in a.foreign_keys.iter().filter(|k| !b.foreign_keys.iter().any(|n| n.from == k.from && n.to == k.to)) {
            // A one-column key is reported at its column, so consumers reading it are affected.
            let path = match fk.from.as_slice() {
                [one] => base.child(one),
                _ => base.clone(),
            };
            let (from, to) = (fk.from.join(", "), fk.to.join(", "));
            self.push(
                &RELATIONSHIP_REMOVED,
                path,
                Some(format!("({from}) -> ({to})")),
                None,
                dirs(&RELATIONSHIP_REMOVED, true, true),
                format!("foreign key ({from}) of `{}` referencing ({to}) was removed", b.name),
                // A removal: the old file is the only place the key still is.
                Some(fk.span),
                None,
            );
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
    /// `containers` holds the JSON Schema facts of the old and new container (the content model
    /// that judges added and removed properties).
    pub(super) fn fields(&mut self, old: &[Field], new: &[Field], parent: &FieldPath, containers: Containers<'_>) {
        let json = self.model == RecordModel::JsonContentModel;
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

        let proto = self.model == RecordModel::ByNumber;
        for &i in &removed {
            let f = &old[i];
            // Protobuf: only proto2 `required` fields are required, and those are forever.
            let optional =
                if proto { !is_proto2_required(f) } else { f.nullable || f.default.is_some() || !f.required };
            let path = parent.child(&f.name);
            // A member of a oneof that keeps other fields: that oneof lost a branch.
            let oneof = oneof_of(f).filter(|o| pairs.iter().any(|&(k, _)| oneof_of(&old[k]) == Some(o)));
            let change = if json {
                let (rule, breaks, message) = json_removed(f, containers.map_or(JsonSchemaFacts::none(), |c| c.1));
                self.push(rule, path, Some(f.data_type.to_string()), None, breaks, message, Some(f.span), None)
            } else if let (true, Some(o)) = (proto, oneof) {
                self.push(
                    &UNION_BRANCH_REMOVED,
                    path,
                    Some(f.data_type.to_string()),
                    None,
                    dirs(&UNION_BRANCH_REMOVED, true, true),
                    format!("field `{}` was removed from oneof `{o}`", f.name),
                    Some(f.span),
                    None,
                )
            } else if optional {
                let forward = self.model == RecordModel::ByNameStrict;

                self.push(
                    &FIELD_REMOVED_OPTIONAL,
                    path,
                    Some(f.data_type.to_string()),
                    None,
                    dirs(&FIELD_REMOVED_OPTIONAL, false, forward),
                    format!("optional field `{}` was removed", f.name),
                    Some(f.span),
                    None,
                )
            } else {
                self.push(
                    &FIELD_REMOVED,
                    path,
                    Some(f.data_type.to_string()),
                    None,
                    dirs(&FIELD_REMOVED, proto, true),
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
            // A new member of a oneof that holds earlier fields: that oneof gained a branch.
            let oneof = oneof_of(f).filter(|o| pairs.iter().any(|&(_, l)| oneof_of(&new[l]) == Some(o)));
            if json {
                let (rule, breaks, message) = json_added(f, containers.map_or(JsonSchemaFacts::none(), |c| c.0));
                self.push(rule, path, None, Some(f.data_type.to_string()), breaks, message, None, Some(f.span));
                continue;
            }
            let (rule, what) = match (proto, oneof) {
                (true, Some(o)) => (&UNION_BRANCH_ADDED, format!("field `{}` was added to oneof `{o}`", f.name)),
                (true, None) if !is_proto2_required(f) => {
                    (&FIELD_ADDED_OPTIONAL, format!("optional field `{}` was added", f.name))
                }
                (true, None) => (&FIELD_ADDED_REQUIRED, format!("required field `{}` was added", f.name)),
                _ if f.nullable || !f.required => {
                    (&FIELD_ADDED_OPTIONAL, format!("optional field `{}` was added", f.name))
                }
                _ if f.default.is_some() => (
                    &FIELD_ADDED_REQUIRED_WITH_DEFAULT,
                    format!("required field with a default `{}` was added", f.name),
                ),
                _ => (&FIELD_ADDED_REQUIRED, format!("required field `{}` was added", f.name)),
            };
            self.push(
                rule,
                path,
                None,
                Some(f.data_type.to_string()),
                dirs(rule, true, proto),
                what,
                None,
                Some(f.span),
            );
        }
        if proto {
            self.oneofs(old, new, &pairs, parent);
        }
        // Reordering, once per container: matched fields in old order must stay in order.
        let mut order: Vec<(usize, usize)> = pairs.clone();
        order.sort();
        if order.windows(2).any(|w| w[0].1 > w[1].1) && self.model != RecordModel::ByNumber {
            let names: Vec<&str> = order.iter().map(|(_, j)| new[*j].name.as_str()).collect();
            let span = new.first().map(|f| f.span);
            let where_ = format!("`{parent}`");
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
    pub(super) fn field(&mut self, a: &Field, b: &Field, path: &FieldPath, label: &str, element: bool) {
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
        // Protobuf: nullability is presence, and an unset value reads as the zero value.
        let proto = self.model == RecordModel::ByNumber;
        if a.nullable && !b.nullable {
            self.push(
                &BECAME_NON_NULLABLE,
                path.clone(),
                Some("nullable".into()),
                Some("not null".into()),
                dirs(&BECAME_NON_NULLABLE, !proto, true),
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
                dirs(&BECAME_NULLABLE, true, !proto),
                format!("{label} may now be null"),
                spans.0,
                spans.1,
            );
        }
        if !a.required && b.required {
            // Protobuf `required` is forever: it breaks both directions, default or not.
            let breaks =
                if b.default.is_some() && !proto { Directions::NONE } else { dirs(&BECAME_REQUIRED, true, proto) };
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
                dirs(&BECAME_OPTIONAL, proto, true),
                format!("{label} no longer has to be present"),
                spans.0,
                spans.1,
            );
        }
        self.constraints(&a.constraints, &b.constraints, &path, label, spans);
        if self.model == RecordModel::JsonContentModel {
            self.json_keywords(
                JsonSchemaFacts::of(&a.json_schema),
                JsonSchemaFacts::of(&b.json_schema),
                &path,
                label,
                spans,
            );
        }
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
        self.tags((&a.tags, &a.custom_properties), (&b.tags, &b.custom_properties), &path, label, spans);
        self.quality(&a.quality, &b.quality, &path, label, spans);
    }

    fn data_type(&mut self, a: &Field, b: &Field, path: &FieldPath, label: &str) {
        if self.model == RecordModel::ByNumber
            && let (Some(x), Some(y)) = (ProtoShape::of(a), ProtoShape::of(b))
        {
            return self.proto_type(a, b, x, y, path, label);
        }
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
        // JSON Schema: `type: null` that gains another type (`oneOf: [null, X]`) gained a branch.
        if self.model == RecordModel::JsonContentModel {
            match (ta, tb) {
                (DataType::Null, t) if b.nullable && *t != DataType::Null => {
                    return self.branches(&[], std::slice::from_ref(t), path, label, spans);
                }
                (t, DataType::Null) if a.nullable && *t != DataType::Null => {
                    return self.branches(std::slice::from_ref(t), &[], path, label, spans);
                }
                _ => {}
            }
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

    /// Protobuf oneofs: fields that could be set together and now share a oneof (tightened,
    /// once per oneof), and fields that left a oneof whose other members they now coexist with
    /// (loosened, once per field that moved). Renaming a oneof is neither.
    fn oneofs(&mut self, old: &[Field], new: &[Field], pairs: &[(usize, usize)], parent: &FieldPath) {
        let mut pairs = pairs.to_vec();
        pairs.sort_by_key(|&(_, j)| j);
        let before = |p: (usize, usize)| oneof_of(&old[p.0]);
        let after = |p: (usize, usize)| oneof_of(&new[p.1]);
        let together_before = |p, q| before(p).is_some() && before(p) == before(q);
        let together_after = |p, q| after(p).is_some() && after(p) == after(q);
        let mut names: Vec<&str> = Vec::new();
        for &p in &pairs {
            if let Some(n) = after(p).filter(|n| !names.contains(n)) {
                names.push(n);
            }
        }
        for name in names {
            let members: Vec<(usize, usize)> = pairs.iter().copied().filter(|&p| after(p) == Some(name)).collect();
            let joined: Vec<(usize, usize)> = members
                .iter()
                .copied()
                .filter(|&p| members.iter().any(|&q| q != p && !together_before(p, q)))
                .collect();
            let Some(&first) = joined.first() else { continue };
            let was = |p: (usize, usize)| match before(p) {
                Some(o) => format!("`{}` (oneof `{o}`)", old[p.0].name),
                None => format!("`{}`", old[p.0].name),
            };
            let list = joined.iter().map(|&p| format!("`{}`", new[p.1].name)).collect::<Vec<_>>().join(", ");
            self.push(
                &CONSTRAINT_TIGHTENED,
                parent.clone(),
                Some(joined.iter().map(|&p| was(p)).collect::<Vec<_>>().join(", ")),
                Some(format!("oneof {name} {{ {} }}", joined.iter().map(|&p| new[p.1].name.as_str()).collect::<Vec<_>>().join(", "))),
                dirs(&CONSTRAINT_TIGHTENED, true, true),
                format!("fields {list} were moved into oneof `{name}`: old data that sets more than one of them loses all but one"),
                Some(old[first.0].span),
                Some(new[first.1].span),
            );
        }
        for &p in &pairs {
            let Some(o) = before(p).filter(|o| after(p) != Some(o)) else { continue };
            let freed: Vec<&str> = pairs
                .iter()
                .filter(|&&q| q != p && together_before(p, q) && !together_after(p, q))
                .map(|&(_, l)| new[l].name.as_str())
                .collect();
            if freed.is_empty() {
                continue;
            }
            let f = &new[p.1];
            let to = after(p).map_or_else(|| "top level".to_string(), |n| format!("oneof {n}"));
            self.push(
                &CONSTRAINT_LOOSENED,
                parent.child(&f.name),
                Some(format!("oneof {o}")),
                Some(to),
                dirs(&CONSTRAINT_LOOSENED, true, true),
                format!(
                    "`{}` was moved out of oneof `{o}`: it may now be set together with `{}`, which today's readers keep only one of",
                    f.name,
                    freed.join("`, `")
                ),
                Some(old[p.0].span),
                Some(f.span),
            );
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
    pub(super) fn nested(&mut self, a: &Field, b: &Field, path: &FieldPath, label: &str) {
        match (&a.data_type, &b.data_type) {
            (DataType::Struct(x), DataType::Struct(y)) => self.fields(
                x,
                y,
                path,
                Some((JsonSchemaFacts::of(&a.json_schema), JsonSchemaFacts::of(&b.json_schema))),
            ),
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
        self.attr = Some(Constraint::Lengths);
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
        self.attr = Some(Constraint::Bounds);
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
        self.attr = Some(Constraint::Patterns);
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
        self.attr = Some(Constraint::Lengths);
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
        self.attr = Some(Constraint::Domain);
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
        self.attr = None;
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
        let (rule, breaks, message) = match (added.is_empty(), removed.is_empty()) {
            (true, true) => return,
            (false, true) => (
                &ENUM_VALUE_ADDED,
                dirs(&ENUM_VALUE_ADDED, true, !extensible),
                format!("{name} allows new values: {}", list(&added)),
            ),
            (true, false) => (
                &ENUM_VALUE_REMOVED,
                dirs(&ENUM_VALUE_REMOVED, true, true),
                format!("{name} no longer allows: {}", list(&removed)),
            ),
            (false, false) => (
                &ENUM_VALUES_REPLACED,
                dirs(&ENUM_VALUES_REPLACED, true, true),
                format!("{name} values changed: added {}, removed {}", list(&added), list(&removed)),
            ),
        };
        self.push(rule, path.clone(), o, n, breaks, message, spans.0, spans.1);
    }
}

/// Equal in everything the diff compares (not spans or pointers), so no change can arise.
/// How a quality check's thresholds moved: `Some(true)` when the new ones accept more (a bound
/// dropped or relaxed), `Some(false)` when they accept less, `None` when it cannot be told.
fn threshold_change(old: &BTreeMap<String, Json>, new: &BTreeMap<String, Json>) -> Option<bool> {
    let (mut weaker, mut tighter) = (false, false);
    for key in old.keys().chain(new.keys().filter(|k| !old.contains_key(*k))) {
        match (old.get(key), new.get(key)) {
            (Some(_), None) => weaker = true,
            (None, Some(_)) => tighter = true,
            (Some(x), Some(y)) if x == y => {}
            (Some(x), Some(y)) => {
                let num = |v: &Json| v.as_f64();
                let range = |v: &Json| match v.as_array().map(|a| a.as_slice()) {
                    Some([lo, hi]) => Some((lo.as_f64()?, hi.as_f64()?)),
                    _ => None,
                };
                let relaxed = match key.as_str() {
                    "mustBeGreaterThan" | "mustBeGreaterOrEqualTo" => num(y)? < num(x)?,
                    "mustBeLessThan" | "mustBeLessOrEqualTo" => num(y)? > num(x)?,
                    "mustBeBetween" | "mustNotBeBetween" => {
                        let ((a, b), (c, d)) = (range(x)?, range(y)?);
                        let (wider, narrower) = (c <= a && d >= b, c >= a && d <= b);
                        if wider == narrower {
                            return None;
                        }
                        wider == (key == "mustBeBetween")
                    }
                    _ => return None,
                };
                if relaxed {
                    weaker = true;
                } else {
                    tighter = true;
                }
            }
            (None, None) => {}
        }
    }
    match (weaker, tighter) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

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
        && a.tags == b.tags
        && a.custom_properties == b.custom_properties
        && a.quality == b.quality
        && a.aliases == b.aliases
        && a.primary_key_position == b.primary_key_position
        && a.proto == b.proto
        && oneof_of(a) == oneof_of(b)
        && a.json_schema == b.json_schema
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

/// The (real, not synthetic) Protobuf oneof a field belongs to.
fn oneof_of(f: &Field) -> Option<&str> {
    f.metadata.get("oneof").map(String::as_str)
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

// ---- JSON Schema content models (the JSON Schema front end's facts) ----

/// The JSON Schema facts of the old and the new container of a field list.
type Containers<'a> = Option<(&'a JsonSchemaFacts, &'a JsonSchemaFacts)>;

/// The values a field's schema accepts (`never` for the `false` schema).
fn values_of(f: &Field) -> String {
    if f.json_schema.as_ref().is_some_and(|j| j.never) {
        return "never".to_string();
    }
    crate::ir::value_set(&f.data_type, f.nullable)
}

/// Whether every value of `inner` is a value of `outer` (value sets as `ir::value_set` writes
/// them: alternatives joined by ` | `; an integer is a number).
fn covers(outer: &str, inner: &str) -> bool {
    if outer == "any" || inner == "never" || outer == inner {
        return true;
    }
    if inner == "any" || outer == "never" {
        return false;
    }
    let outer: Vec<&str> = outer.split(" | ").collect();
    inner.split(" | ").all(|t| outer.contains(&t) || (t == "integer" && outer.contains(&"number")))
}

/// A property added to a JSON Schema object, judged by the old object's content model: old
/// documents may already hold the name with whatever the old schema allowed for undeclared
/// properties (BACKWARD), and today's readers accept new values only where the old schema did
/// (FORWARD).
fn json_added(f: &Field, old_container: &JsonSchemaFacts) -> (&'static BreakingRule, Directions, String) {
    let held = old_container.undeclared_named(&f.name);
    let values = values_of(f);
    let (name, backward, forward) = (&f.name, !covers(&values, &held), !covers(&held, &values));
    if f.required && f.default.is_none() {
        return (
            &FIELD_ADDED_REQUIRED,
            dirs(&FIELD_ADDED_REQUIRED, true, forward),
            format!("required property `{name}` was added"),
        );
    }
    let what = if f.required { "required property with a default" } else { "optional property" };
    let (rule, message) = match (backward, forward) {
        (false, false) => {
            let rule = if f.required { &FIELD_ADDED_REQUIRED_WITH_DEFAULT } else { &FIELD_ADDED_OPTIONAL };
            (rule, format!("{what} `{name}` was added"))
        }
        (true, false) if held == "any" => (
            &FIELD_ADDED_TO_OPEN_CONTENT,
            format!(
                "{what} `{name}` ({values}) was added to an object that allowed undeclared properties: old documents may hold `{name}` with any value"
            ),
        ),
        (false, true) if held == "never" => (
            &FIELD_ADDED_TO_CLOSED_CONTENT,
            format!("{what} `{name}` was added to a closed object: today's readers reject it as undeclared"),
        ),
        // A partially open object: the old schema already typed `name` through
        // `additionalProperties` or `patternProperties`; the new property retypes it.
        (b, f) => (
            if b && f {
                &TYPE_CHANGED
            } else if b {
                &TYPE_NARROWED
            } else {
                &TYPE_WIDENED
            },
            format!("{what} `{name}` ({values}) was added where the old schema let an undeclared `{name}` hold {held}"),
        ),
    };
    (rule, dirs(rule, backward, forward), message)
}

/// A property removed from a JSON Schema object, judged by the new object's content model: old
/// documents that hold it become undeclared properties of the new schema (BACKWARD), and new
/// documents may hold the name with whatever the new schema allows for undeclared properties
/// (FORWARD).
fn json_removed(f: &Field, new_container: &JsonSchemaFacts) -> (&'static BreakingRule, Directions, String) {
    let held = new_container.undeclared_named(&f.name);
    let values = values_of(f);
    let (name, backward, forward) = (&f.name, !covers(&held, &values), !covers(&values, &held));
    if f.required && f.default.is_none() {
        return (
            &FIELD_REMOVED,
            dirs(&FIELD_REMOVED, backward, true),
            format!("required property `{name}` was removed: today's readers expect it in every document"),
        );
    }
    let (rule, message) = match (backward, forward) {
        (false, false) => (&FIELD_REMOVED_OPTIONAL, format!("optional property `{name}` was removed")),
        (true, false) if held == "never" => (
            &FIELD_REMOVED_FROM_CLOSED_CONTENT,
            format!(
                "property `{name}` was removed from a closed object: old documents that hold it no longer validate"
            ),
        ),
        (false, true) if held == "any" => (
            &FIELD_REMOVED_FROM_OPEN_CONTENT,
            format!(
                "property `{name}` ({values}) was removed from an object that allows undeclared properties: new documents may hold `{name}` with any value"
            ),
        ),
        // A partially open object: `name` is now typed by `additionalProperties` or
        // `patternProperties` instead of its own schema.
        (b, f) => (
            if b && f {
                &TYPE_CHANGED
            } else if b {
                &TYPE_NARROWED
            } else {
                &TYPE_WIDENED
            },
            format!("property `{name}` ({values}) was removed; the new schema lets an undeclared `{name}` hold {held}"),
        ),
    };
    (rule, dirs(rule, backward, forward), message)
}

impl Differ {
    /// JSON Schema keywords the front end keeps in its facts: annotations (`title`, `$id`), the
    /// content model, `additionalItems`, `not`, property and `contains` counts, dependencies.
    fn json_keywords(
        &mut self,
        a: &JsonSchemaFacts,
        b: &JsonSchemaFacts,
        path: &FieldPath,
        label: &str,
        spans: (Option<Span>, Option<Span>),
    ) {
        if a == b {
            return;
        }
        for (x, y, what) in [(&a.title, &b.title, "title"), (&a.id, &b.id, "`$id`")] {
            if x != y {
                let message = format!("{what} of {label} changed");
                let (x, y) = (x.clone(), y.clone());
                self.push(&DESCRIPTION_CHANGED, path.clone(), x, y, Directions::NONE, message, spans.0, spans.1);
            }
        }
        if a.content.is_some() && b.content.is_some() {
            let (x, y) = (a.undeclared(), b.undeclared());
            if x != y {
                let (rule, what) = if covers(&y, &x) {
                    (&CONTENT_OPENED, "accept more")
                } else if covers(&x, &y) {
                    (&CONTENT_CLOSED, "accept less")
                } else {
                    (&TYPE_CHANGED, "changed type")
                };
                let message = format!("undeclared properties of {label} {what}: {x} → {y}");
                self.push(rule, path.map_values(), Some(x), Some(y), dirs(rule, true, true), message, spans.0, spans.1);
            }
        }
        self.json_tuple(a, b, path, label, spans);
        self.json_set(
            (a.additional_items.as_deref(), b.additional_items.as_deref(), "any"),
            false,
            path.items(),
            &format!("items after the tuple of {label}"),
            spans,
        );
        self.json_set(
            (a.not.as_deref(), b.not.as_deref(), "never"),
            true,
            path.clone(),
            &format!("the `not` schema of {label}"),
            spans,
        );
        self.attr = Some(Constraint::Lengths);
        for (x, y, what, upper) in [
            (a.min_properties, b.min_properties, "minProperties", false),
            (a.max_properties, b.max_properties, "maxProperties", true),
            (a.min_contains, b.min_contains, "minContains", false),
            (a.max_contains, b.max_contains, "maxContains", true),
        ] {
            let tighter = match (x, y) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(x), Some(y)) if x != y => (y < x) == upper,
                _ => continue,
            };
            let show = |v: Option<u64>| v.map_or("none".to_string(), |v| v.to_string());
            let rule = if tighter { &CONSTRAINT_TIGHTENED } else { &CONSTRAINT_LOOSENED };
            let message = format!("{what} of {label} changed from {} to {}", show(x), show(y));
            self.push(
                rule,
                path.clone(),
                Some(show(x)),
                Some(show(y)),
                dirs(rule, true, true),
                message,
                spans.0,
                spans.1,
            );
        }
        self.attr = None;
        self.json_dependencies(a, b, path, label, spans);
    }

    /// Tuple validation, position by position. A position that appears or disappears is judged
    /// against what the other side allowed after its tuple (`additionalItems`): old arrays may
    /// already hold a value there (BACKWARD), and today's readers accept new values only where
    /// they did (FORWARD).
    fn json_tuple(
        &mut self,
        a: &JsonSchemaFacts,
        b: &JsonSchemaFacts,
        path: &FieldPath,
        label: &str,
        spans: (Option<Span>, Option<Span>),
    ) {
        let (Some(x), Some(y)) = (&a.tuple, &b.tuple) else { return };
        if x == y {
            return;
        }
        let rest = |f: &JsonSchemaFacts| f.additional_items.clone().unwrap_or_else(|| "any".to_string());
        let (rest_a, rest_b) = (rest(a), rest(b));
        let (xs, ys): (Vec<&str>, Vec<&str>) =
            (x.iter().map(String::as_str).collect(), y.iter().map(String::as_str).collect());
        for i in 0..xs.len().max(ys.len()) {
            let (old, new) = (xs.get(i).copied().unwrap_or(&rest_a), ys.get(i).copied().unwrap_or(&rest_b));
            let (backward, forward) = (!covers(new, old), !covers(old, new));
            let rule = match (backward, forward) {
                (false, false) => continue,
                (true, true) => &TYPE_CHANGED,
                (true, false) => &TYPE_NARROWED,
                (false, true) => &TYPE_WIDENED,
            };
            let what = match (xs.get(i), ys.get(i)) {
                (None, _) => "was added to",
                (_, None) => "was removed from",
                _ => "changed in",
            };
            let message = format!("item {} of the tuple {what} {label}: {old} → {new}", i + 1);
            let (o, n) = (Some(old.to_string()), Some(new.to_string()));
            self.push(rule, path.items(), o, n, dirs(rule, backward, forward), message, spans.0, spans.1);
        }
    }

    /// A keyword holding a value set, old and new (`absent` when not written). `inverted` for
    /// `not`, where a larger set means fewer valid values.
    fn json_set(
        &mut self,
        (x, y, absent): (Option<&str>, Option<&str>, &str),
        inverted: bool,
        path: FieldPath,
        what: &str,
        spans: (Option<Span>, Option<Span>),
    ) {
        let (x, y) = (x.unwrap_or(absent).to_string(), y.unwrap_or(absent).to_string());
        if x == y {
            return;
        }
        let (looser, tighter) =
            if inverted { (covers(&x, &y), covers(&y, &x)) } else { (covers(&y, &x), covers(&x, &y)) };
        let rule = if looser {
            &CONSTRAINT_LOOSENED
        } else if tighter {
            &CONSTRAINT_TIGHTENED
        } else {
            &TYPE_CHANGED
        };
        let message = format!("{what} changed from {x} to {y}");
        self.push(rule, path, Some(x), Some(y), dirs(rule, true, true), message, spans.0, spans.1);
    }

    /// `dependencies`: a new dependency (or more names required with a property) accepts fewer
    /// documents; a dropped one more.
    fn json_dependencies(
        &mut self,
        a: &JsonSchemaFacts,
        b: &JsonSchemaFacts,
        path: &FieldPath,
        label: &str,
        spans: (Option<Span>, Option<Span>),
    ) {
        let (x, y) = (&a.dependencies, &b.dependencies);
        if x == y {
            return;
        }
        let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for key in keys {
            let (rule, breaks, message) = match (x.get(key), y.get(key)) {
                (None, Some(_)) => (
                    &CONSTRAINT_TIGHTENED,
                    Directions { backward: true, forward: false },
                    format!("{label} got a dependency on `{key}`"),
                ),
                (Some(_), None) => (
                    &CONSTRAINT_LOOSENED,
                    Directions { backward: false, forward: true },
                    format!("{label} lost its dependency on `{key}`"),
                ),
                (Some(Dependency::Names(p)), Some(Dependency::Names(q))) if p != q => {
                    let (grew, shrank) = (p.iter().all(|n| q.contains(n)), q.iter().all(|n| p.contains(n)));
                    let message = format!(
                        "the names `{key}` depends on in {label} changed from [{}] to [{}]",
                        p.join(", "),
                        q.join(", ")
                    );
                    match (grew, shrank) {
                        (true, _) => (&CONSTRAINT_TIGHTENED, Directions { backward: true, forward: false }, message),
                        (_, true) => (&CONSTRAINT_LOOSENED, Directions { backward: false, forward: true }, message),
                        _ => (&CONSTRAINT_TIGHTENED, Directions { backward: true, forward: true }, message),
                    }
                }
                (Some(Dependency::Schema(p)), Some(Dependency::Schema(q))) if p != q => {
                    let message = format!("the schema `{key}` brings into {label} changed from {p} to {q}");
                    if covers(q, p) {
                        (&CONSTRAINT_LOOSENED, Directions { backward: false, forward: true }, message)
                    } else if covers(p, q) {
                        (&CONSTRAINT_TIGHTENED, Directions { backward: true, forward: false }, message)
                    } else {
                        (&TYPE_CHANGED, Directions { backward: true, forward: true }, message)
                    }
                }
                (Some(p), Some(q)) if p != q => (
                    &CONSTRAINT_TIGHTENED,
                    Directions { backward: true, forward: true },
                    format!("the dependency on `{key}` of {label} changed"),
                ),
                _ => continue,
            };
            let show = |d: Option<&Dependency>| d.map(|d| format!("{key}: {}", dependency_json(d)));
            self.push(rule, path.clone(), show(x.get(key)), show(y.get(key)), breaks, message, spans.0, spans.1);
        }
    }
}

/// A dependency as its keyword writes it: the list of names, or the schema's value set.
fn dependency_json(d: &Dependency) -> Json {
    match d {
        Dependency::Names(names) => Json::Array(names.iter().cloned().map(Json::String).collect()),
        Dependency::Schema(set) => Json::String(set.clone()),
    }
}
