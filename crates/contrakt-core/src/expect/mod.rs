//! Expectations: what a contract promises about its data, compiled from the ODCS model into a
//! flat list the checker can plan. No query engine here: `contrakt-check` turns each
//! [`Measure`] into DataFusion expressions, and a pushdown to a warehouse could turn the same
//! list into SQL.
//!
//! Schema conformance (Q101–Q103) depends on the data's schema, so the checker derives it
//! from the Schema IR itself; everything else is compiled here.

pub mod outcome;
pub mod reconcile;
pub mod registry;
pub mod segment;
pub mod threshold;

use serde_json::Value as Json;

pub use outcome::{
    CheckReport, CheckResult, ObjectMetric, ObjectRun, Quarantined, SegmentResult, Segmented, Status, Summary,
};
pub use registry::{CHECKS, CheckKind};
pub use segment::Segments;
pub use threshold::Threshold;

use crate::diagnostic::Level;
use crate::odcs::{Contract, ContractDocument, Operator, Property, QualityRule, SchemaObject};
use crate::source::Span;

/// One thing to check about one object.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// Stable across runs: the quality rule's `id` where it has one, else
    /// `object[.property].check`.
    pub id: String,
    pub kind: &'static CheckKind,
    /// Schema object name (`orders`).
    pub object: String,
    /// The property, as a path of names from the object (`["payment", "method"]`).
    pub property: Vec<String>,
    /// The same path in physical names (`physicalName` where set): what the data calls it.
    pub column: Vec<String>,
    pub measure: Measure,
    pub unit: Unit,
    pub threshold: Threshold,
    pub severity: Level,
    /// The rule's or constraint's node in the contract.
    pub span: Span,
    /// JSON pointer of that node.
    pub pointer: String,
    /// `name` of a quality rule, for people.
    pub name: Option<String>,
    pub description: Option<String>,
    /// Columns the check is also measured and judged by, one value (segment) at a time
    /// (`contraktSegments` on the rule, else on its object).
    pub segments: Option<Segments>,
}

impl Expectation {
    /// `payment.method`, or `None` for object-level checks.
    pub fn property_path(&self) -> Option<String> {
        (!self.property.is_empty()).then(|| self.property.join("."))
    }
}

/// Whether a count is compared as rows or as a percentage of all rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Rows,
    Percent,
}

/// What to measure. Row measures count violating rows; the rest say what they measure.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// Rows where the column is null.
    Nulls,
    /// Rows where the column is null or one of these values.
    Missing(Vec<Json>),
    /// Non-null values outside `valid` or not matching `pattern`.
    Invalid {
        valid: Option<Vec<Json>>,
        pattern: Option<String>,
    },
    /// Non-null values minus distinct values.
    Excess,
    /// Rows minus distinct combinations of these columns, among rows with none null.
    ExcessOf(Vec<Vec<String>>),
    /// Primary key: rows with a null in a key column plus the key's excess rows.
    Key(Vec<Vec<String>>),
    RowCount,
    /// Non-null values below the bound (at it, when exclusive).
    Below {
        bound: Json,
        exclusive: bool,
    },
    Above {
        bound: Json,
        exclusive: bool,
    },
    ShorterThan(u64),
    LongerThan(u64),
    /// Non-null strings the regex does not match.
    Mismatch(String),
    /// Non-null strings not well-formed for the format.
    Format(String),
    FewerItems(u64),
    MoreItems(u64),
    RepeatedItems,
    /// Non-null values outside the enumeration.
    NotIn(Vec<Json>),
    /// Rows of an array column with an item that fails this measure (one of the value
    /// measures: bounds, lengths, pattern, format, enumeration).
    Items(Box<Measure>),
    /// A user query, placeholders not yet substituted.
    Sql(String),
    /// Age of the newest value, in seconds; passes at most `max_age` seconds.
    Freshness {
        max_age: f64,
        unit: String,
    },
    /// Age of the oldest value, in seconds; passes at most `max_age` seconds.
    Retention {
        max_age: f64,
        unit: String,
    },
    /// Non-null values with no match in `object.column` (of this or another contract).
    Reference {
        object: String,
        column: String,
    },
    /// This object compared with another dataset (`contraktReconcile`): the number of
    /// comparisons outside the tolerance.
    Reconcile(Box<reconcile::Reconcile>),
    /// Not measurable: reported as skipped with this reason.
    Skip(String),
    /// Cannot be measured as written: reported as an error with this reason.
    Unusable(String),
}

impl Measure {
    /// Does the measure count rows of its own object (so a percentage makes sense)?
    pub fn counts_rows(&self) -> bool {
        !matches!(
            self,
            Measure::RowCount
                | Measure::Sql(_)
                | Measure::Freshness { .. }
                | Measure::Retention { .. }
                | Measure::Reconcile(_)
                | Measure::Skip(_)
                | Measure::Unusable(_)
        )
    }
}

/// Compiles a contract into its expectations, in contract order: per object, the property
/// constraints and property quality rules depth first, then the object's rules, then the SLAs
/// whose element is in the object.
pub fn compile(doc: &ContractDocument) -> Vec<Expectation> {
    let contract = &doc.contract;
    let mut out = Vec::new();
    for (i, object) in contract.schema.iter().enumerate() {
        let base = format!("/schema/{i}");
        let segments = segment::declared(object, &object.custom_properties);
        let mut b = Builder { doc, object, out: &mut out, segments };
        let mut todo: Vec<(&Property, String, Vec<String>, Vec<String>)> = object
            .properties
            .iter()
            .enumerate()
            .rev()
            .map(|(j, p)| (p, format!("{base}/properties/{j}"), vec![], vec![]))
            .collect();
        while let Some((p, pointer, mut names, mut columns)) = todo.pop() {
            let Some(name) = p.name.clone() else { continue };
            columns.push(p.physical_name.clone().unwrap_or_else(|| name.clone()));
            names.push(name);
            b.property(p, &pointer, &names, &columns);
            for (k, child) in p.properties.iter().enumerate().rev() {
                todo.push((child, format!("{pointer}/properties/{k}"), names.clone(), columns.clone()));
            }
        }
        b.key(&base);
        for (k, rule) in object.quality.iter().enumerate() {
            b.rule(rule, &format!("{base}/quality/{k}"), &[], &[]);
        }
        b.reconciliations(&base);
        b.slas(contract);
    }
    dedupe_ids(&mut out);
    out
}

/// The constraints a property's `logicalTypeOptions` and `enum` promise about each value, with
/// where each is written (also the constraints of an array's `items`, about each item).
fn constraints(p: &Property, pointer: &str) -> Vec<(&'static CheckKind, Measure, String)> {
    use registry::*;
    let mut out = Vec::new();
    if let Some(o) = &p.logical_type_options {
        let opt = |key: &str| format!("{pointer}/logicalTypeOptions/{key}");
        // v3.0 wrote `exclusiveMinimum: true` beside `minimum`; v3.1 writes the bound itself.
        let excl_flag = |v: &Option<Json>| matches!(v, Some(Json::Bool(true)));
        if let Some(min) = &o.minimum {
            out.push((
                &MINIMUM,
                Measure::Below { bound: min.clone(), exclusive: excl_flag(&o.exclusive_minimum) },
                opt("minimum"),
            ));
        }
        if let Some(min) = o.exclusive_minimum.as_ref().filter(|v| !v.is_boolean()) {
            out.push((&MINIMUM, Measure::Below { bound: min.clone(), exclusive: true }, opt("exclusiveMinimum")));
        }
        if let Some(max) = &o.maximum {
            out.push((
                &MAXIMUM,
                Measure::Above { bound: max.clone(), exclusive: excl_flag(&o.exclusive_maximum) },
                opt("maximum"),
            ));
        }
        if let Some(max) = o.exclusive_maximum.as_ref().filter(|v| !v.is_boolean()) {
            out.push((&MAXIMUM, Measure::Above { bound: max.clone(), exclusive: true }, opt("exclusiveMaximum")));
        }
        if let Some(n) = o.min_length {
            out.push((&MIN_LENGTH, Measure::ShorterThan(n), opt("minLength")));
        }
        if let Some(n) = o.max_length {
            out.push((&MAX_LENGTH, Measure::LongerThan(n), opt("maxLength")));
        }
        if let Some(re) = &o.pattern {
            out.push((&PATTERN, Measure::Mismatch(re.clone()), opt("pattern")));
        }
        if let Some(f) = &o.format {
            out.push((&FORMAT, Measure::Format(f.clone()), opt("format")));
        }
        if let Some(n) = o.min_items {
            out.push((&MIN_ITEMS, Measure::FewerItems(n), opt("minItems")));
        }
        if let Some(n) = o.max_items {
            out.push((&MAX_ITEMS, Measure::MoreItems(n), opt("maxItems")));
        }
        if o.unique_items == Some(true) {
            out.push((&UNIQUE_ITEMS, Measure::RepeatedItems, opt("uniqueItems")));
        }
    }
    if !p.enum_values.is_empty() {
        let values = p.enum_values.iter().map(|e| e.value.clone()).collect();
        out.push((&ENUM, Measure::NotIn(values), format!("{pointer}/enum")));
    }
    out
}

/// ODCS severities are free text; these are the spellings seen in the wild.
pub fn severity(s: Option<&str>) -> Level {
    match s.map(str::to_ascii_lowercase).as_deref() {
        Some("warning" | "warn" | "medium" | "minor" | "low") => Level::Warning,
        Some("info" | "information" | "informational") => Level::Info,
        _ => Level::Error,
    }
}

struct Builder<'a> {
    doc: &'a ContractDocument,
    object: &'a SchemaObject,
    out: &'a mut Vec<Expectation>,
    /// The object's `contraktSegments`, for every check of it that names none of its own.
    segments: Result<Option<Segments>, String>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: &'static CheckKind,
        names: &[String],
        columns: &[String],
        measure: Measure,
        pointer: String,
        id: Option<String>,
    ) -> &mut Expectation {
        let id = id.unwrap_or_else(|| {
            let mut parts = vec![self.object.name.clone()];
            parts.extend(names.iter().cloned());
            parts.push(kind.name.to_string());
            parts.join(".")
        });
        // Segment columns that cannot be read make the check unusable, never silently global.
        let (segments, measure) = match &self.segments {
            Ok(s) => (s.clone(), measure),
            Err(why) if !matches!(measure, Measure::Skip(_) | Measure::Unusable(_)) => {
                (None, Measure::Unusable(why.clone()))
            }
            Err(_) => (None, measure),
        };
        self.out.push(Expectation {
            id,
            kind,
            object: self.object.name.clone(),
            property: names.to_vec(),
            column: columns.to_vec(),
            measure,
            unit: Unit::Rows,
            threshold: Threshold::must_be_zero(),
            severity: Level::Error,
            span: self.doc.span_of(&pointer),
            pointer,
            name: None,
            description: None,
            segments,
        });
        self.out.last_mut().expect("just pushed")
    }

    fn property(&mut self, p: &Property, pointer: &str, names: &[String], columns: &[String]) {
        use registry::*;
        let at = |key: &str| format!("{pointer}/{key}");
        // A single-column primary key is checked by Q203 (which includes nulls); `required`
        // is still reported on its own so its result matches the contract line.
        if p.required == Some(true) {
            self.push(&REQUIRED, names, columns, Measure::Nulls, at("required"), None);
        }
        if p.unique == Some(true) {
            self.push(&UNIQUE, names, columns, Measure::Excess, at("unique"), None);
        }
        for (kind, measure, at) in constraints(p, pointer) {
            self.push(kind, names, columns, measure, at, None);
        }
        if let Some(items) = &p.items {
            // Each item of the array is held to the items' constraints: a row fails when any
            // of its items does (`{object}.{property}[].{check}`).
            let at_items = at("items");
            for (kind, measure, at) in constraints(items, &at_items) {
                let id = format!("{}.{}[].{}", self.object.name, names.join("."), kind.name);
                self.push(kind, names, columns, Measure::Items(Box::new(measure)), at, Some(id));
            }
            for (k, _) in items.quality.iter().enumerate() {
                let m = Measure::Skip(
                    "quality rules on array items are not checked: write them on the array property, or as an `sql` rule over `unnest`".into(),
                );
                let id = format!("{}.{}[].quality.{k}", self.object.name, names.join("."));
                self.push(&PATTERN, names, columns, m, format!("{at_items}/quality/{k}"), Some(id));
            }
        }
        for (rel_i, rel) in p.relationships.iter().enumerate() {
            if rel.relationship_type.as_deref().unwrap_or("foreignKey") != "foreignKey" {
                continue;
            }
            let Some(to) = &rel.to else { continue };
            let pointer = format!("{pointer}/relationships/{rel_i}");
            let measure = match to.as_slice() {
                [one] => match reference_target(self.doc, one) {
                    Some((object, column)) => Measure::Reference { object, column },
                    None => Measure::Unusable(format!("cannot resolve the reference `{one}`: write `object.property`")),
                },
                _ => Measure::Skip("composite foreign keys are not checked yet".into()),
            };
            self.push(&REFERENCE, names, columns, measure, pointer, None);
        }
        for (k, rule) in p.quality.iter().enumerate() {
            self.rule(rule, &format!("{pointer}/quality/{k}"), names, columns);
        }
    }

    /// The object's primary key: one check over all key columns in key order.
    fn key(&mut self, base: &str) {
        let mut keyed: Vec<(i64, Vec<String>, Vec<String>, String)> = Vec::new();
        let mut todo: Vec<(&Property, String, Vec<String>, Vec<String>)> = self
            .object
            .properties
            .iter()
            .enumerate()
            .map(|(j, p)| (p, format!("{base}/properties/{j}"), vec![], vec![]))
            .collect();
        while let Some((p, pointer, mut names, mut columns)) = todo.pop() {
            let Some(name) = p.name.clone() else { continue };
            columns.push(p.physical_name.clone().unwrap_or_else(|| name.clone()));
            names.push(name);
            if p.primary_key == Some(true) {
                keyed.push((
                    p.primary_key_position.unwrap_or(i64::MAX),
                    names.clone(),
                    columns.clone(),
                    pointer.clone(),
                ));
            }
            for (k, child) in p.properties.iter().enumerate() {
                todo.push((child, format!("{pointer}/properties/{k}"), names.clone(), columns.clone()));
            }
        }
        if keyed.is_empty() {
            return;
        }
        keyed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let columns: Vec<Vec<String>> = keyed.iter().map(|k| k.2.clone()).collect();
        let pointer = format!("{}/primaryKey", keyed[0].3);
        let names = if keyed.len() == 1 { keyed[0].1.clone() } else { vec![] };
        let single = if keyed.len() == 1 { keyed[0].2.clone() } else { vec![] };
        let id = format!(
            "{}.{}.primary-key",
            self.object.name,
            keyed.iter().map(|k| k.1.join(".")).collect::<Vec<_>>().join("+")
        );
        self.push(&registry::PRIMARY_KEY, &names, &single, Measure::Key(columns), pointer, Some(id));
    }

    fn rule(&mut self, rule: &QualityRule, pointer: &str, names: &[String], columns: &[String]) {
        use registry::*;
        let kind = rule.kind();
        let (check, measure, fallback) = match kind {
            "library" => {
                let args = rule.arguments.as_ref();
                let arg = |k: &str| args.and_then(|a| a.get(k));
                match rule.metric_name() {
                    Some("nullValues") => (&NULL_VALUES, Measure::Nulls, Threshold::must_be_zero()),
                    Some("missingValues") => {
                        let list = arg("missingValues").and_then(Json::as_array).cloned().unwrap_or_default();
                        (&MISSING_VALUES, Measure::Missing(list), Threshold::must_be_zero())
                    }
                    Some("invalidValues") => {
                        let valid =
                            arg("validValues").and_then(Json::as_array).cloned().or_else(|| rule.valid_values.clone());
                        let pattern = arg("pattern").and_then(Json::as_str).map(str::to_string);
                        let measure = if valid.is_none() && pattern.is_none() {
                            self.property_domain(names)
                        } else {
                            Measure::Invalid { valid, pattern }
                        };
                        (&INVALID_VALUES, measure, Threshold::must_be_zero())
                    }
                    Some("duplicateValues") => {
                        let props: Option<Vec<Vec<String>>> = arg("properties")
                            .and_then(Json::as_array)
                            .map(|a| a.iter().filter_map(Json::as_str).map(|s| self.physical_path(s)).collect());
                        let measure = match (names.is_empty(), props) {
                            (false, _) => Measure::Excess,
                            (true, Some(p)) if !p.is_empty() => Measure::ExcessOf(p),
                            (true, _) => Measure::ExcessOf(self.all_columns()),
                        };
                        (&DUPLICATE_VALUES, measure, Threshold::must_be_zero())
                    }
                    Some("rowCount") => {
                        (&ROW_COUNT, Measure::RowCount, Threshold::new(Operator::MustBeGreaterThan, vec![0.0]))
                    }
                    Some(other) => (
                        &NULL_VALUES,
                        Measure::Unusable(format!(
                            "unknown library metric `{other}`; ODCS v3.1 defines nullValues, missingValues, invalidValues, duplicateValues and rowCount"
                        )),
                        Threshold::must_be_zero(),
                    ),
                    None => (
                        &NULL_VALUES,
                        Measure::Unusable("a library rule needs a `metric`".into()),
                        Threshold::must_be_zero(),
                    ),
                }
            }
            "sql" => match &rule.query {
                Some(q) => (&SQL, Measure::Sql(q.clone()), Threshold::must_be_zero()),
                None => (&SQL, Measure::Unusable("an sql rule needs a `query`".into()), Threshold::must_be_zero()),
            },
            "custom" => {
                let engine = rule.engine.as_deref().unwrap_or("an unnamed engine");
                (
                    &CUSTOM,
                    Measure::Skip(format!("custom rules run on their own engine ({engine}), not in contrakt")),
                    Threshold::must_be_zero(),
                )
            }
            "text" => (&TEXT, Measure::Skip("a text rule is for people to check".into()), Threshold::must_be_zero()),
            other => {
                (&CUSTOM, Measure::Unusable(format!("unknown quality rule type `{other}`")), Threshold::must_be_zero())
            }
        };
        let skip = matches!(measure, Measure::Skip(_) | Measure::Unusable(_));
        let (measure, threshold) = match Threshold::of_rule(rule, fallback) {
            Ok(t) => (measure, t),
            Err(why) if !skip => (Measure::Unusable(why), Threshold::must_be_zero()),
            Err(_) => (measure, Threshold::must_be_zero()),
        };
        let id = rule.id.clone().or_else(|| {
            let mut parts = vec![self.object.name.clone()];
            parts.extend(names.iter().cloned());
            parts.push(rule.name.clone().unwrap_or_else(|| rule.metric_name().unwrap_or(kind).to_string()));
            Some(parts.join("."))
        });
        let unit =
            if rule.unit.as_deref() == Some("percent") && measure.counts_rows() { Unit::Percent } else { Unit::Rows };
        let own_segments = segment::declared(self.object, &rule.custom_properties);
        let e = self.push(check, names, columns, measure, pointer.to_string(), id);
        match own_segments {
            Ok(Some(s)) if !matches!(e.measure, Measure::Unusable(_)) => e.segments = Some(s),
            Ok(_) => {}
            Err(why) if !skip => (e.measure, e.segments) = (Measure::Unusable(why), None),
            Err(_) => {}
        }
        e.unit = unit;
        e.threshold = threshold;
        e.severity = severity(rule.severity.as_deref());
        e.name = rule.name.clone();
        e.description = rule.description.clone();
    }

    /// The object's reconciliations with other datasets (Q701), in the order written.
    fn reconciliations(&mut self, base: &str) {
        for (k, r) in reconcile::declared(self.object) {
            let pointer = format!("{base}/customProperties/{k}");
            let (id, severity, name, description, measure) = match r {
                Ok(r) => (
                    r.id.clone().unwrap_or_else(|| format!("{}.reconcile.{}", self.object.name, r.with)),
                    r.severity.clone(),
                    r.name.clone(),
                    r.description.clone(),
                    Measure::Reconcile(Box::new(r)),
                ),
                Err(why) => (format!("{}.reconcile", self.object.name), None, None, None, Measure::Unusable(why)),
            };
            let e = self.push(&registry::RECONCILE, &[], &[], measure, pointer, Some(id));
            // A reconciliation compares whole datasets: it is never segmented.
            e.segments = None;
            e.severity = self::severity(severity.as_deref());
            e.name = name;
            e.description = description;
        }
    }

    /// Validity from the property itself, for an `invalidValues` rule without arguments.
    fn property_domain(&self, names: &[String]) -> Measure {
        let Some(p) = find_property(self.object, names) else {
            return Measure::Unusable("`invalidValues` needs `arguments.validValues` or `arguments.pattern`".into());
        };
        let valid = (!p.enum_values.is_empty()).then(|| p.enum_values.iter().map(|e| e.value.clone()).collect());
        let pattern = p.logical_type_options.as_ref().and_then(|o| o.pattern.clone());
        if valid.is_none() && pattern.is_none() {
            return Measure::Unusable("`invalidValues` needs `arguments.validValues` or `arguments.pattern`".into());
        }
        Measure::Invalid { valid, pattern }
    }

    /// `a.b` (logical names) → physical path.
    fn physical_path(&self, dotted: &str) -> Vec<String> {
        // A property whose name holds a dot (`a.b`, as imports from namespaced schemas make)
        // is that property, not a path into a nested one.
        if let Some(p) = self.object.properties.iter().find(|p| p.name.as_deref() == Some(dotted)) {
            return vec![p.physical_name.clone().unwrap_or_else(|| dotted.to_string())];
        }
        let names: Vec<String> = dotted.split('.').map(str::to_string).collect();
        let mut props = &self.object.properties;
        let mut out = Vec::new();
        for n in &names {
            match props.iter().find(|p| p.name.as_deref() == Some(n)) {
                Some(p) => {
                    out.push(p.physical_name.clone().unwrap_or_else(|| n.clone()));
                    props = &p.properties;
                }
                None => out.push(n.clone()),
            }
        }
        out
    }

    fn all_columns(&self) -> Vec<Vec<String>> {
        self.object
            .properties
            .iter()
            .filter_map(|p| p.physical_name.clone().or_else(|| p.name.clone()))
            .map(|c| vec![c])
            .collect()
    }

    /// SLAs whose `element` (or the contract's `slaDefaultElement`) names a column of this object.
    fn slas(&mut self, contract: &Contract) {
        use registry::*;
        for (i, sla) in contract.sla_properties.iter().enumerate() {
            let pointer = format!("/slaProperties/{i}");
            let element = sla.element.clone().or_else(|| contract.sla_default_element.clone());
            let prop = sla.property.as_str();
            let in_object = |e: &str| {
                e.split(',').map(str::trim).find_map(|one| {
                    one.split_once('.').filter(|(o, _)| *o == self.object.name).map(|(_, c)| c.to_string())
                })
            };
            let measurable = matches!(prop.to_ascii_lowercase().as_str(), "latency" | "freshness" | "retention");
            let column = element.as_deref().and_then(in_object);
            // Unmeasurable SLAs are reported once, with the first object.
            let first_object = contract.schema.first().is_some_and(|o| o.name == self.object.name);
            let (names, columns, measure, kind) = match (measurable, column) {
                (true, Some(col)) => {
                    let names: Vec<String> = col.split('.').map(str::to_string).collect();
                    let columns = self.physical_path(&col);
                    let measure = match duration_secs(sla.value.as_ref(), sla.unit.as_deref()) {
                        Ok(max_age) => {
                            let unit = sla.unit.clone().unwrap_or_else(|| "d".into());
                            if prop.eq_ignore_ascii_case("retention") {
                                Measure::Retention { max_age, unit }
                            } else {
                                Measure::Freshness { max_age, unit }
                            }
                        }
                        Err(why) => Measure::Unusable(why),
                    };
                    let kind = if prop.eq_ignore_ascii_case("retention") { &RETENTION } else { &FRESHNESS };
                    (names, columns, measure, kind)
                }
                (true, None) if element.is_none() && first_object => (
                    vec![],
                    vec![],
                    Measure::Unusable(format!(
                        "SLA `{prop}` names no `element` (object.column) to measure, and the contract has no slaDefaultElement"
                    )),
                    &FRESHNESS,
                ),
                (false, _) if first_object => (
                    vec![],
                    vec![],
                    Measure::Skip(format!("SLA `{prop}` describes the delivery process, not one snapshot of the data")),
                    &SLA_NOT_MEASURABLE,
                ),
                _ => continue,
            };
            let id = sla.id.clone().unwrap_or_else(|| format!("sla.{prop}"));
            let e = self.push(kind, &names, &columns, measure, pointer, Some(id));
            e.description = sla.description.clone();
            if kind.code == FRESHNESS.code || kind.code == RETENTION.code {
                e.threshold = Threshold::new(
                    Operator::MustBeLessOrEqualTo,
                    vec![sla.value.as_ref().and_then(Json::as_f64).unwrap_or(0.0)],
                );
            }
        }
    }
}

fn find_property<'a>(object: &'a SchemaObject, names: &[String]) -> Option<&'a Property> {
    let mut props = &object.properties;
    let mut found = None;
    for n in names {
        let p = props.iter().find(|p| p.name.as_deref() == Some(n.as_str()))?;
        props = &p.properties;
        found = Some(p);
    }
    found
}

/// `customers.customer_id` → (`customers`, `customer_id`); also the fully qualified
/// `schema/<id>/properties/<id>` form, resolved by id within this contract.
fn reference_target(doc: &ContractDocument, to: &str) -> Option<(String, String)> {
    if let Some(rest) = to.strip_prefix("schema/") {
        let (obj_id, prop_id) = rest.split_once("/properties/")?;
        let object = doc.contract.schema.iter().find(|o| o.id.as_deref() == Some(obj_id) || o.name == obj_id)?;
        let prop = object
            .properties
            .iter()
            .find(|p| p.id.as_deref() == Some(prop_id) || p.name.as_deref() == Some(prop_id))?;
        let column = prop.physical_name.clone().or_else(|| prop.name.clone())?;
        return Some((object.name.clone(), column));
    }
    let (object, column) = to.split_once('.')?;
    (!object.is_empty() && !column.is_empty()).then(|| (object.to_string(), column.to_string()))
}

/// An SLA duration in seconds. Units: ODCS examples use `d`, `h`, `m`, `y` and long forms; a
/// `value` that is an ISO 8601 duration (`P1Y`, `PT24H`) carries its own.
pub fn duration_secs(value: Option<&Json>, unit: Option<&str>) -> Result<f64, String> {
    if let Some(secs) = value.and_then(Json::as_str).and_then(iso_duration_secs) {
        return Ok(secs);
    }
    let v = value
        .and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())))
        .ok_or_else(|| "the SLA `value` must be a number or an ISO 8601 duration (`P1Y`, `PT24H`)".to_string())?;
    let unit = unit.unwrap_or("d").to_ascii_lowercase();
    let secs = match unit.trim_end_matches('s') {
        "" => 1.0, // "s" stripped to ""
        "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hr" | "hour" => 3600.0,
        "d" | "day" => 86_400.0,
        "w" | "week" => 7.0 * 86_400.0,
        "mo" | "month" => 30.0 * 86_400.0,
        "y" | "yr" | "year" => 365.0 * 86_400.0,
        _ => return Err(format!("unknown SLA unit `{unit}`: use s, m, h, d, w, mo or y")),
    };
    Ok(v * secs)
}

/// An ISO 8601 duration (`P1Y`, `P1DT12H`, `PT0.5S`, `P2W`) in seconds, a year being 365 days
/// and a month 30, as the SLA units count them. `None` for anything else, designators out of
/// order included.
fn iso_duration_secs(text: &str) -> Option<f64> {
    let rest = text.trim().strip_prefix(['P', 'p'])?;
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut any = false;
    let mut read = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        let mut next = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                number.push(if c == ',' { '.' } else { c });
                continue;
            }
            let at = next + units.get(next..)?.iter().position(|(u, _)| u.eq_ignore_ascii_case(&c))?;
            let n: f64 = number.parse().ok().filter(|n: &f64| n.is_finite())?;
            total += n * units[at].1;
            any = true;
            number.clear();
            next = at + 1;
        }
        number.is_empty().then_some(())
    };
    const DAY: f64 = 86_400.0;
    read(date, &[('Y', 365.0 * DAY), ('M', 30.0 * DAY), ('W', 7.0 * DAY), ('D', DAY)])?;
    if let Some(t) = time {
        (!t.is_empty()).then_some(())?;
        read(t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    any.then_some(total)
}

/// Makes ids unique by suffixing `#2`, `#3`… to repeats, in order.
fn dedupe_ids(out: &mut [Expectation]) {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for e in out.iter_mut() {
        let n = seen.entry(e.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            e.id = format!("{}#{}", e.id, n);
        }
    }
}

#[cfg(test)]
mod tests;
