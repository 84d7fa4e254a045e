//! Objects and their expectations → a dbt model properties file (`schema.yml`, `version: 2`).
//!
//! Each object is a model with an enforced contract (`config.contract.enforced`), so every
//! column carries a `data_type` in the warehouse's dialect and dbt builds the table with the
//! contract's constraints: `not_null`, `primary_key` (on the column, or on the model for a
//! composite key), `unique`, `foreign_key` (dbt ≥ 1.9 `to`/`to_columns`), and `check` for
//! bounds and lengths. The expectations become dbt core's generic data tests (`not_null`,
//! `unique`, `accepted_values`, `relationships`), thresholds as `error_if`/`warn_if` and
//! warning-level rules as `severity: warn`. Core dbt has no test for patterns, formats,
//! placeholder values, row counts, freshness of a model or user SQL (those need packages such
//! as dbt_utils or singular test files): each is a warning.
//!
//! dbt renders the strings of a properties file as Jinja (descriptions, test arguments,
//! configs, names). Contract text and data values (`validValues` that `infer` took from the
//! data) must not run there, so every `{{`, `{%` and `{#` in the output is written as the
//! expression that prints it, `{{ "{{" }}`: dbt shows the text as it was. The one string that
//! is meant as an expression, a `ref(…)`, quotes its model name as a Jinja string literal.

use serde_json::{Map, Value as Json, json};

use contrakt_core::Level;
use contrakt_core::expect::{Expectation, Measure, Threshold, Unit};
use contrakt_core::ir::{Bound, DataType, Field, Object};

use super::sql::{self, Dialect};
use super::{check_lost, column_name, failing_when};

const TARGET: &str = "dbt";

pub(super) fn export(
    objects: &[&Object],
    expectations: &[Expectation],
    d: Dialect,
    warnings: &mut Vec<String>,
) -> String {
    let models: Vec<Json> = objects.iter().map(|o| model(o, &super::of(expectations, o), d, warnings)).collect();
    let mut doc = json!({"version": 2, "models": models});
    no_jinja(&mut doc, None);
    contrakt_core::document::to_yaml(&doc)
}

/// Neutralises Jinja in every string of the file ([`printed`]), keys included, except the
/// `ref(…)` expressions under `to` that [`reference`] wrote.
fn no_jinja(v: &mut Json, key: Option<&str>) {
    match v {
        Json::String(s) if key == Some("to") && s.starts_with("ref('") => {}
        Json::String(s) => *s = printed(s),
        Json::Array(items) => items.iter_mut().for_each(|i| no_jinja(i, None)),
        Json::Object(m) => {
            let entries = std::mem::take(m);
            for (k, mut value) in entries {
                no_jinja(&mut value, Some(&k));
                m.insert(printed(&k), value);
            }
        }
        _ => {}
    }
}

/// `s` as Jinja template text that renders as `s`: each `{{`, `{%` and `{#` becomes
/// `{{ "{{" }}` (and so on); nothing else in `s` starts a Jinja construct.
pub(super) fn printed(s: &str) -> String {
    if !s.contains("{{") && !s.contains("{%") && !s.contains("{#") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some(&next @ ('{' | '%' | '#'))) => {
                chars.next();
                out.push_str(&format!("{{{{ \"{{{next}\" }}}}"));
            }
            _ => out.push(c),
        }
    }
    out
}

/// `ref('model')`, the name as a Jinja string literal (backslash and quote escaped).
fn reference(model: &str) -> String {
    format!("ref('{}')", model.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn model(o: &Object, expectations: &[&Expectation], d: Dialect, warnings: &mut Vec<String>) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(o.name));
    if let Some(text) = &o.description {
        m.insert("description".into(), json!(text));
    }
    let mut config = Map::new();
    config.insert("contract".into(), json!({"enforced": true}));
    // The relation dbt builds is named after the model unless an alias says otherwise.
    if let Some(p) = o.physical_name.as_deref().filter(|p| *p != o.name) {
        config.insert("alias".into(), json!(p));
    }
    if !o.tags.is_empty() {
        config.insert("tags".into(), json!(o.tags));
    }
    m.insert("config".into(), Json::Object(config));

    let mut constraints = Vec::new();
    if o.primary_key.len() > 1 {
        let cols: Vec<String> = o.primary_key.iter().map(|c| column_name(o, c)).collect();
        constraints.push(json!({"type": "primary_key", "columns": cols}));
    }
    for k in &o.foreign_keys {
        let Some((target, _)) = k.to.first().and_then(|t| t.split_once('.')) else {
            warnings.push(format!("{}: foreign key to `{}` names no column; left out", o.name, k.to.join(", ")));
            continue;
        };
        let from: Vec<String> = k.from.iter().map(|c| column_name(o, c)).collect();
        let to: Vec<&str> = k.to.iter().map(|t| t.split_once('.').map_or(t.as_str(), |(_, c)| c)).collect();
        constraints.push(json!({
            "type": "foreign_key",
            "columns": from,
            "to": reference(target),
            "to_columns": to,
        }));
    }

    let mut columns: Vec<(String, Map<String, Json>, Vec<Json>)> = o
        .fields
        .iter()
        .map(|f| (f.physical_name.clone().unwrap_or_else(|| f.name.clone()), column(o, f, d, warnings), Vec::new()))
        .collect();
    for e in expectations {
        let tests = tests_of(e, warnings);
        if tests.is_empty() {
            continue;
        }
        let [name] = e.column.as_slice() else {
            check_lost(warnings, e, TARGET, "dbt tests and constraints apply to top-level columns");
            continue;
        };
        let Some((_, _, list)) = columns.iter_mut().find(|(c, _, _)| c == name) else {
            check_lost(warnings, e, TARGET, "the column is not in the schema");
            continue;
        };
        for t in tests {
            add_test(list, t, e);
        }
    }
    let columns: Vec<Json> = columns
        .into_iter()
        .map(|(_, mut c, tests)| {
            if !tests.is_empty() {
                c.insert("data_tests".into(), Json::Array(tests));
            }
            Json::Object(c)
        })
        .collect();
    m.insert("columns".into(), Json::Array(columns));
    if !constraints.is_empty() {
        m.insert("constraints".into(), Json::Array(constraints));
    }
    Json::Object(m)
}

/// A column: its type in the dialect (required by an enforced contract) and the constraints the
/// warehouse applies when dbt creates the table.
fn column(o: &Object, f: &Field, d: Dialect, warnings: &mut Vec<String>) -> Map<String, Json> {
    let path = format!("{}.{}", o.name, f.name);
    let name = f.physical_name.clone().unwrap_or_else(|| f.name.clone());
    let mut c = Map::new();
    c.insert("name".into(), json!(name));
    // A name that is not a plain word is quoted where dbt writes it into SQL.
    if sql::quote(&name, d, false) != name {
        c.insert("quote".into(), json!(true));
    }
    if let Some(text) = &f.description {
        c.insert("description".into(), json!(text));
    }
    c.insert("data_type".into(), json!(sql::column_type(&f.data_type, d, f, &path, warnings).to_ascii_lowercase()));
    let mut constraints = Vec::new();
    if !f.nullable {
        constraints.push(json!({"type": "not_null"}));
    }
    if o.primary_key.len() == 1 && o.primary_key[0] == f.name {
        constraints.push(json!({"type": "primary_key"}));
    } else if f.unique {
        constraints.push(json!({"type": "unique"}));
    }
    let checks = checks_of(f, &sql::quote(&name, d, false), d);
    if !checks.is_empty() {
        if matches!(d, Dialect::Snowflake | Dialect::BigQuery) {
            warnings.push(format!(
                "{path}: {} does not enforce check constraints; dbt creates the table without `{}`",
                d.name(),
                checks.join(" AND ")
            ));
        }
        constraints.push(json!({"type": "check", "expression": checks.join(" AND ")}));
    }
    if !constraints.is_empty() {
        c.insert("constraints".into(), Json::Array(constraints));
    }
    if let Some(class) = &f.classification {
        c.insert("meta".into(), json!({"classification": class}));
    }
    if !f.tags.is_empty() {
        c.insert("tags".into(), json!(f.tags));
    }
    c
}

/// Bounds and lengths as SQL conditions for a check constraint (a declared `varchar(n)` says
/// the maximum length itself).
fn checks_of(f: &Field, col: &str, d: Dialect) -> Vec<String> {
    let c = &f.constraints;
    let mut out = Vec::new();
    let bound = |b: &Bound, below: bool| {
        let value = match &b.value {
            Json::Number(n) => n.to_string(),
            Json::String(s) => sql::string(s, d),
            other => sql::string(&other.to_string(), d),
        };
        let op = match (below, b.exclusive) {
            (true, false) => ">=",
            (true, true) => ">",
            (false, false) => "<=",
            (false, true) => "<",
        };
        format!("{col} {op} {value}")
    };
    if let Some(b) = &c.minimum {
        out.push(bound(b, true));
    }
    if let Some(b) = &c.maximum {
        out.push(bound(b, false));
    }
    let length = if d == Dialect::BigQuery { "CHAR_LENGTH" } else { "LENGTH" };
    let is_text = matches!(f.data_type, DataType::String | DataType::Enum { .. });
    if let Some(n) = c.min_length.filter(|_| is_text) {
        out.push(format!("{length}({col}) >= {n}"));
    }
    out
}

/// dbt core's generic tests for one expectation; none (with a warning) where core has none.
fn tests_of(e: &Expectation, warnings: &mut Vec<String>) -> Vec<Json> {
    if super::segmented_lost(warnings, e, TARGET) {
        return Vec::new();
    }
    let names: Vec<(&str, Map<String, Json>)> = match &e.measure {
        Measure::Nulls => vec![("not_null", Map::new())],
        Measure::Excess => vec![("unique", Map::new())],
        Measure::Key(cols) if cols.len() == 1 => vec![("not_null", Map::new()), ("unique", Map::new())],
        Measure::Key(_) | Measure::ExcessOf(_) => {
            check_lost(
                warnings,
                e,
                TARGET,
                "uniqueness over several columns needs dbt_utils.unique_combination_of_columns (the primary_key constraint is kept)",
            );
            return Vec::new();
        }
        Measure::NotIn(values) | Measure::Invalid { valid: Some(values), pattern: None } => {
            vec![("accepted_values", accepted(values))]
        }
        Measure::Invalid { valid: Some(values), pattern: Some(_) } => {
            check_lost(
                warnings,
                e,
                TARGET,
                "core dbt has no regular-expression test; only the allowed values are tested",
            );
            vec![("accepted_values", accepted(values))]
        }
        Measure::Reference { object, column } => {
            let mut args = Map::new();
            args.insert("to".into(), json!(reference(object)));
            args.insert("field".into(), json!(column));
            vec![("relationships", args)]
        }
        // Carried by the column's check constraint or its declared length.
        Measure::Below { .. } | Measure::Above { .. } | Measure::ShorterThan(_) | Measure::LongerThan(_) => {
            return Vec::new();
        }
        Measure::Invalid { valid: None, .. } | Measure::Mismatch(_) => {
            check_lost(warnings, e, TARGET, "core dbt has no regular-expression test (dbt_expectations has one)");
            return Vec::new();
        }
        Measure::Format(f) => {
            check_lost(warnings, e, TARGET, &format!("core dbt has no test for the format `{f}`"));
            return Vec::new();
        }
        Measure::Missing(_) => {
            check_lost(warnings, e, TARGET, "core dbt's not_null counts nulls only, not placeholder values");
            return Vec::new();
        }
        Measure::RowCount => {
            check_lost(warnings, e, TARGET, "core dbt has no row-count test (dbt_utils.expression_is_true can)");
            return Vec::new();
        }
        Measure::Sql(_) => {
            check_lost(warnings, e, TARGET, "a user query becomes a singular test, a .sql file of its own");
            return Vec::new();
        }
        Measure::Freshness { .. } => {
            check_lost(warnings, e, TARGET, "dbt checks freshness on sources (`dbt source freshness`), not on models");
            return Vec::new();
        }
        Measure::Retention { .. } => {
            check_lost(warnings, e, TARGET, "core dbt has no test for the age of the oldest row");
            return Vec::new();
        }
        Measure::FewerItems(_) | Measure::MoreItems(_) | Measure::RepeatedItems => {
            check_lost(warnings, e, TARGET, "core dbt has no tests on array items");
            return Vec::new();
        }
        Measure::Items(_) => {
            check_lost(warnings, e, TARGET, "a check on each item of an array has no equivalent there");
            return Vec::new();
        }
        Measure::Reconcile(r) => {
            check_lost(warnings, e, TARGET, &format!("a reconciliation with `{}` has no equivalent there", r.with));
            return Vec::new();
        }
        Measure::Skip(why) | Measure::Unusable(why) => {
            check_lost(warnings, e, TARGET, &format!("contrakt does not run it either ({why})"));
            return Vec::new();
        }
    };
    let Some(config) = config(e, warnings) else { return Vec::new() };
    names
        .into_iter()
        .map(|(name, mut args)| {
            if !config.is_empty() {
                args.insert("config".into(), Json::Object(config.clone()));
            }
            if args.is_empty() { json!(name) } else { json!({ name: args }) }
        })
        .collect()
}

/// `accepted_values` takes strings; numbers and booleans go unquoted into its SQL.
fn accepted(values: &[Json]) -> Map<String, Json> {
    let mut args = Map::new();
    let all_strings = values.iter().all(Json::is_string);
    let shown: Vec<String> = values.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect();
    args.insert("values".into(), json!(shown));
    if !all_strings {
        args.insert("quote".into(), json!(false));
    }
    args
}

/// The test's `config`: severity and thresholds on the number of failing rows. `None` (with a
/// warning) when the threshold is a percentage, which dbt's row counts cannot say.
fn config(e: &Expectation, warnings: &mut Vec<String>) -> Option<Map<String, Json>> {
    let mut config = Map::new();
    if e.unit == Unit::Percent {
        check_lost(warnings, e, TARGET, "dbt tests count failing rows; a threshold in percent has no spelling");
        return None;
    }
    let default = e.threshold == Threshold::must_be_zero();
    let when = failing_when(&e.threshold).replace(' ', "");
    let when = if when.contains("between") { failing_when(&e.threshold) } else { when };
    if e.severity != Level::Error {
        config.insert("severity".into(), json!("warn"));
        if !default {
            config.insert("warn_if".into(), json!(when));
        }
    } else if !default {
        // dbt evaluates error_if first, then warn_if (default `!= 0`): both say the same here.
        config.insert("error_if".into(), json!(when.clone()));
        config.insert("warn_if".into(), json!(when));
    }
    Some(config)
}

/// Adds a test unless the same one is already there; the same test with another config gets a
/// name of its own (dbt names generic tests after their arguments, which would collide).
fn add_test(list: &mut Vec<Json>, test: Json, e: &Expectation) {
    if list.contains(&test) {
        return;
    }
    let kind = |t: &Json| match t {
        Json::String(s) => s.clone(),
        Json::Object(m) => m.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let k = kind(&test);
    if list.iter().any(|t| kind(t) == k) {
        let name: String =
            e.id.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        let mut args = match test {
            Json::Object(mut m) => match m.remove(&k) {
                Some(Json::Object(a)) => a,
                _ => Map::new(),
            },
            _ => Map::new(),
        };
        args.insert("name".into(), json!(name));
        list.push(json!({ k: args }));
    } else {
        list.push(test);
    }
}
