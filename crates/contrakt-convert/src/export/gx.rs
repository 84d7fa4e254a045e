//! One object and its expectations → a Great Expectations 1.x expectation suite (JSON):
//! `{name, expectations: [{type, kwargs, meta, severity}], meta}`.
//!
//! Every column gets `expect_column_to_exist` and `expect_column_values_to_be_of_type` (the
//! warehouse's type name, without length or precision); the expectations become GX's column
//! expectations (not null, unique, in set, between, lengths, regex), a primary key
//! `expect_compound_columns_to_be_unique`, a row-count rule
//! `expect_table_row_count_to_be_between`, and a user query of the form
//! `SELECT COUNT(*) FROM {object} WHERE …` with threshold 0 an `unexpected_rows_expectation`
//! over `{batch}`. GX thresholds are a fraction of rows that must pass (`mostly`), so only
//! percentages at most (or below) a value keep theirs. Severities map to GX's
//! `critical`/`warning`/`info`; the contract rule's id and name go in `meta`.

use serde_json::{Map, Value as Json, json};

use contrakt_core::Level;
use contrakt_core::expect::{Expectation, Measure, Threshold, Unit};
use contrakt_core::ir::Object;
use contrakt_core::odcs::Operator;

use super::sql::{self, Dialect};
use super::{check_lost, passing_when};

const TARGET: &str = "great-expectations";

const UUID_REGEX: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
const EMAIL_REGEX: &str = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$";

pub(super) fn export(o: &Object, expectations: &[&Expectation], d: Dialect, warnings: &mut Vec<String>) -> String {
    let mut out = Vec::new();
    for f in &o.fields {
        let column = f.physical_name.clone().unwrap_or_else(|| f.name.clone());
        let path = format!("{}.{}", o.name, f.name);
        // The SQL type's name alone: GX compares it with the backend's type class.
        let ty = sql::column_type(&f.data_type, d, f, &path, &mut Vec::new());
        let ty = ty.split(['(', '<', '[']).next().unwrap_or_default().trim().to_string();
        let meta = json!({"contrakt": {"property": path}});
        out.push(json!({"type": "expect_column_to_exist", "kwargs": {"column": column}, "meta": meta, "severity": "critical"}));
        out.push(json!({"type": "expect_column_values_to_be_of_type", "kwargs": {"column": column, "type_": ty}, "meta": meta, "severity": "critical"}));
    }
    for e in expectations {
        for (kind, kwargs) in of(e, warnings) {
            if let Some(kwargs) = thresholded(e, kind, kwargs, warnings) {
                // A rule and a constraint often say the same: one expectation, the first's.
                if out.iter().any(|x| x["type"] == kind && x["kwargs"] == Json::Object(kwargs.clone())) {
                    continue;
                }
                let mut meta = Map::new();
                meta.insert("id".into(), json!(e.id));
                if let Some(n) = &e.name {
                    meta.insert("name".into(), json!(n));
                }
                let severity = match e.severity {
                    Level::Error => "critical",
                    Level::Warning => "warning",
                    Level::Info => "info",
                };
                let mut x = json!({"type": kind, "kwargs": kwargs, "meta": {"contrakt": meta}, "severity": severity});
                if let Some(text) = &e.description {
                    x["description"] = json!(text);
                }
                out.push(x);
            }
        }
    }
    let suite = json!({
        "name": o.name,
        "expectations": out,
        "meta": {"contrakt": {"object": o.name, "table": o.physical_name.clone().unwrap_or_else(|| o.name.clone())}},
    });
    serde_json::to_string_pretty(&suite).unwrap_or_default() + "\n"
}

/// GX expectations for one contract expectation, before thresholds; none (with a warning)
/// where GX's core set has none.
fn of(e: &Expectation, warnings: &mut Vec<String>) -> Vec<(&'static str, Map<String, Json>)> {
    if super::segmented_lost(warnings, e, TARGET) {
        return Vec::new();
    }
    let col = e.column.join(".");
    if e.column.len() > 1 {
        check_lost(warnings, e, TARGET, "GX column expectations take top-level columns");
        return Vec::new();
    }
    let column = || {
        let mut m = Map::new();
        m.insert("column".into(), json!(col));
        m
    };
    let with = |pairs: &[(&str, Json)]| {
        let mut m = column();
        for (k, v) in pairs {
            m.insert((*k).into(), v.clone());
        }
        m
    };
    let columns = |cols: &[Vec<String>]| -> Json { json!(cols.iter().map(|c| c.join(".")).collect::<Vec<_>>()) };
    match &e.measure {
        Measure::Nulls => vec![("expect_column_values_to_not_be_null", column())],
        Measure::Missing(values) => vec![
            ("expect_column_values_to_not_be_null", column()),
            ("expect_column_values_to_not_be_in_set", with(&[("value_set", json!(values))])),
        ],
        Measure::Excess => vec![("expect_column_values_to_be_unique", column())],
        Measure::Key(cols) | Measure::ExcessOf(cols) if cols.len() == 1 => {
            let one = cols[0].join(".");
            let mut m = Map::new();
            m.insert("column".into(), json!(one));
            let mut out = vec![("expect_column_values_to_be_unique", m.clone())];
            if matches!(e.measure, Measure::Key(_)) {
                out.insert(0, ("expect_column_values_to_not_be_null", m));
            }
            out
        }
        Measure::Key(cols) | Measure::ExcessOf(cols) => {
            let mut out: Vec<(&str, Map<String, Json>)> = Vec::new();
            if matches!(e.measure, Measure::Key(_)) {
                for c in cols {
                    let mut m = Map::new();
                    m.insert("column".into(), json!(c.join(".")));
                    out.push(("expect_column_values_to_not_be_null", m));
                }
            }
            let mut m = Map::new();
            m.insert("column_list".into(), columns(cols));
            out.push(("expect_compound_columns_to_be_unique", m));
            out
        }
        Measure::NotIn(values) => vec![("expect_column_values_to_be_in_set", with(&[("value_set", json!(values))]))],
        Measure::Invalid { valid, pattern } => {
            let mut out = Vec::new();
            if let Some(v) = valid {
                out.push(("expect_column_values_to_be_in_set", with(&[("value_set", json!(v))])));
            }
            if let Some(p) = pattern {
                out.push(("expect_column_values_to_match_regex", with(&[("regex", json!(p))])));
            }
            out
        }
        Measure::Below { bound, exclusive } => vec![(
            "expect_column_values_to_be_between",
            with(&[("min_value", bound.clone()), ("strict_min", json!(exclusive))]),
        )],
        Measure::Above { bound, exclusive } => vec![(
            "expect_column_values_to_be_between",
            with(&[("max_value", bound.clone()), ("strict_max", json!(exclusive))]),
        )],
        Measure::ShorterThan(n) => {
            vec![("expect_column_value_lengths_to_be_between", with(&[("min_value", json!(n))]))]
        }
        Measure::LongerThan(n) => vec![("expect_column_value_lengths_to_be_between", with(&[("max_value", json!(n))]))],
        Measure::Mismatch(re) => vec![("expect_column_values_to_match_regex", with(&[("regex", json!(re))]))],
        Measure::Format(f) => match f.to_ascii_lowercase().as_str() {
            "uuid" => vec![("expect_column_values_to_match_regex", with(&[("regex", json!(UUID_REGEX))]))],
            "email" => vec![("expect_column_values_to_match_regex", with(&[("regex", json!(EMAIL_REGEX))]))],
            _ => {
                check_lost(warnings, e, TARGET, &format!("GX has no expectation for the format `{f}`"));
                Vec::new()
            }
        },
        Measure::RowCount => match row_count(&e.threshold) {
            Some(kwargs) => vec![("expect_table_row_count_to_be_between", kwargs)],
            None => {
                check_lost(warnings, e, TARGET, &format!("a row count {} is no range", passing_when(&e.threshold)));
                Vec::new()
            }
        },
        Measure::Sql(q) => match unexpected_rows(q) {
            Some(query) if e.threshold == Threshold::must_be_zero() => {
                let mut m = Map::new();
                m.insert("unexpected_rows_query".into(), json!(query));
                vec![("unexpected_rows_expectation", m)]
            }
            _ => {
                check_lost(
                    warnings,
                    e,
                    TARGET,
                    "GX runs queries that return the offending rows; only `SELECT COUNT(*) FROM {object} WHERE …` with threshold 0 is rewritten to one",
                );
                Vec::new()
            }
        },
        Measure::Reference { object, column } => {
            check_lost(
                warnings,
                e,
                TARGET,
                &format!("GX core has no expectation across tables (to {object}.{column})"),
            );
            Vec::new()
        }
        Measure::Reconcile(r) => {
            check_lost(
                warnings,
                e,
                TARGET,
                &format!("GX core has no expectation across tables (reconciling with {})", r.with),
            );
            Vec::new()
        }
        Measure::Freshness { .. } | Measure::Retention { .. } => {
            check_lost(warnings, e, TARGET, "GX core has no expectation on the age of rows relative to now");
            Vec::new()
        }
        Measure::FewerItems(_) | Measure::MoreItems(_) | Measure::RepeatedItems => {
            check_lost(warnings, e, TARGET, "GX core has no expectations on array items");
            Vec::new()
        }
        Measure::Items(_) => {
            check_lost(warnings, e, TARGET, "a check on each item of an array has no equivalent there");
            Vec::new()
        }
        Measure::Skip(why) | Measure::Unusable(why) => {
            check_lost(warnings, e, TARGET, &format!("contrakt does not run it either ({why})"));
            Vec::new()
        }
    }
}

/// A row measure's threshold as `mostly` (the fraction of rows that must pass); `None` with a
/// warning when it has none. Row counts and queries keep their own thresholds.
fn thresholded(
    e: &Expectation,
    kind: &str,
    mut kwargs: Map<String, Json>,
    warnings: &mut Vec<String>,
) -> Option<Map<String, Json>> {
    if !e.measure.counts_rows()
        || kind == "expect_compound_columns_to_be_unique" && e.threshold == Threshold::must_be_zero()
    {
        return Some(kwargs);
    }
    let t = &e.threshold;
    match (e.unit, t.op, t.values.as_slice()) {
        (_, Operator::MustBe, [v]) if *v == 0.0 => Some(kwargs),
        (Unit::Percent, Operator::MustBeLessOrEqualTo | Operator::MustBeLessThan, [p]) => {
            if t.op == Operator::MustBeLessThan {
                warnings.push(format!(
                    "{}: GX's mostly is inclusive; `< {p}` percent is written as at most {p} percent",
                    e.id
                ));
            }
            // Rounded: 1 - 0.1% is 0.999, not 0.9990000000000001.
            let mostly = (((100.0 - p) / 100.0).clamp(0.0, 1.0) * 1e9).round() / 1e9;
            kwargs.insert("mostly".into(), json!(mostly));
            Some(kwargs)
        }
        _ => {
            check_lost(
                warnings,
                e,
                TARGET,
                &format!(
                    "GX's threshold is the fraction of rows that must pass; {} {} has no spelling",
                    passing_when(t),
                    if e.unit == Unit::Percent { "percent" } else { "rows" }
                ),
            );
            None
        }
    }
}

/// Row counts are whole numbers: `> 10000` is at least 10001.
fn row_count(t: &Threshold) -> Option<Map<String, Json>> {
    let mut m = Map::new();
    let whole = |v: f64| json!(v as i64);
    match (t.op, t.values.as_slice()) {
        (Operator::MustBe, [v]) => {
            m.insert("min_value".into(), whole(*v));
            m.insert("max_value".into(), whole(*v));
        }
        (Operator::MustBeGreaterThan, [v]) => {
            m.insert("min_value".into(), whole(v.floor() + 1.0));
        }
        (Operator::MustBeGreaterOrEqualTo, [v]) => {
            m.insert("min_value".into(), whole(v.ceil()));
        }
        (Operator::MustBeLessThan, [v]) => {
            m.insert("max_value".into(), whole(v.ceil() - 1.0));
        }
        (Operator::MustBeLessOrEqualTo, [v]) => {
            m.insert("max_value".into(), whole(v.floor()));
        }
        (Operator::MustBeBetween, [a, b]) => {
            m.insert("min_value".into(), whole(a.ceil()));
            m.insert("max_value".into(), whole(b.floor()));
        }
        _ => return None,
    }
    Some(m)
}

/// `SELECT COUNT(*) FROM {object} WHERE cond` → `SELECT * FROM {batch} WHERE cond`: the rows
/// the count counted, which is what GX's unexpected-rows expectation runs.
fn unexpected_rows(q: &str) -> Option<String> {
    let q = q.trim().trim_end_matches(';').trim();
    let lower = q.to_ascii_lowercase();
    let rest = lower.strip_prefix("select")?.trim_start();
    let rest = rest.strip_prefix("count(*)")?.trim_start();
    let rest = rest.strip_prefix("from")?.trim_start();
    let after = rest.strip_prefix("{object}").or_else(|| rest.strip_prefix("${object}"))?;
    let tail = after.trim_start();
    if !(tail.is_empty() || tail.starts_with("where ")) {
        return None;
    }
    // Keep the original spelling of the condition.
    let cut = q.len() - tail.len();
    Some(format!("SELECT * FROM {{batch}} {}", &q[cut..]).trim_end().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn count_queries_become_unexpected_rows_queries() {
        assert_eq!(
            super::unexpected_rows("SELECT COUNT(*) FROM {object} WHERE updated_at < created_at").as_deref(),
            Some("SELECT * FROM {batch} WHERE updated_at < created_at")
        );
        assert_eq!(super::unexpected_rows("SELECT COUNT(*) FROM {object}").as_deref(), Some("SELECT * FROM {batch}"));
        assert_eq!(super::unexpected_rows("SELECT SUM(x) FROM {object}"), None);
        assert_eq!(super::unexpected_rows("SELECT COUNT(*) FROM {object} o JOIN t ON true"), None);
    }
}
