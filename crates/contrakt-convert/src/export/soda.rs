//! Objects and their expectations → a SodaCL checks file (Soda Core 3.x), one
//! `checks for <table>:` block per object.
//!
//! Row measures become Soda's built-in metrics on the column: `missing_count` (nulls, or with
//! `missing values`), `duplicate_count`, and `invalid_count` with the validity the contract
//! states (`valid values`, `valid min`/`valid max`, `valid min length`/`valid max length`,
//! `valid regex`, `valid format`); percentages use the `_percent` metrics. A row-count rule is
//! `row_count`, a freshness SLA `freshness(col) < 2h`, a foreign key a reference check, a user
//! query a user-defined metric with its `query`, and the columns a schema check. Warning-level
//! rules are written as `warn: when …`. Each check is `name`d after the contract's rule.
//!
//! Table and column names go into Soda's SQL: a name that is not a plain identifier is
//! double-quoted (quotes doubled inside), as SodaCL takes quoted names, so no name can end the
//! statement Soda builds.

use serde_json::{Map, Value as Json, json};

use contrakt_core::Level;
use contrakt_core::expect::{Expectation, Measure, Threshold, Unit};
use contrakt_core::ir::Object;

use super::{check_lost, failing_when, passing_when};

const TARGET: &str = "soda";

pub(super) fn export(
    objects: &[&Object],
    expectations: &[Expectation],
    tables: &super::Tables,
    warnings: &mut Vec<String>,
) -> String {
    let mut doc = Map::new();
    for o in objects {
        let table = table_name(o);
        let mut checks = vec![schema_check(o)];
        for e in super::of(expectations, o) {
            for check in checks_of(e, &table, tables, warnings) {
                // A rule and a constraint often say the same (`required` and a nullValues
                // rule): one check, named after the first.
                if !checks.iter().any(|c| same_check(c, &check)) {
                    checks.push(check);
                }
            }
        }
        doc.insert(format!("checks for {table}"), Json::Array(checks));
    }
    contrakt_core::document::to_yaml(&Json::Object(doc))
}

/// The table as SodaCL and its SQL name it: each dotted part quoted where needed.
fn table_name(o: &Object) -> String {
    table_ident(o.physical_name.as_deref().unwrap_or(&o.name))
}

fn table_ident(name: &str) -> String {
    name.split('.').map(ident).collect::<Vec<_>>().join(".")
}

/// A name as written in SodaCL and its SQL: as it is when a plain identifier (so its case
/// keeps the warehouse's usual meaning), else in double quotes with `"` doubled.
fn ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { name.to_string() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// A column path (`address.city`) as a name, each part quoted where needed.
fn column(path: &[String]) -> String {
    path.iter().map(|p| ident(p)).collect::<Vec<_>>().join(".")
}

/// Every column of the contract must be there. Types are left to the checks below: Soda
/// compares the data source's own type names, which differ per warehouse and driver.
fn schema_check(o: &Object) -> Json {
    let columns: Vec<String> =
        o.fields.iter().map(|f| f.physical_name.clone().unwrap_or_else(|| f.name.clone())).collect();
    json!({"schema": {
        "name": format!("{}: the contract's columns are present", o.name),
        "fail": {"when required column missing": columns},
    }})
}

/// One expectation as Soda checks (several for a primary key); none, with a warning, where
/// SodaCL has no way to say it.
fn checks_of(e: &Expectation, table: &str, tables: &super::Tables, warnings: &mut Vec<String>) -> Vec<Json> {
    if super::segmented_lost(warnings, e, TARGET) {
        return Vec::new();
    }
    let col = column(&e.column);
    if e.column.len() > 1 {
        check_lost(warnings, e, TARGET, "SodaCL checks name top-level columns");
        return Vec::new();
    }
    let percent = e.unit == Unit::Percent;
    let metric = |name: &str, args: &str| format!("{name}_{}({args})", if percent { "percent" } else { "count" });
    let mut config = Map::new();
    let line = match &e.measure {
        Measure::Nulls => metric("missing", &col),
        Measure::Missing(values) => {
            config.insert("missing values".into(), json!(values));
            metric("missing", &col)
        }
        Measure::Excess => {
            if e.threshold != Threshold::must_be_zero() {
                warnings.push(format!(
                    "{}.{col}: soda's duplicate_count counts repeated values, contrakt counts the excess rows; they agree at 0",
                    e.object
                ));
            }
            metric("duplicate", &col)
        }
        Measure::ExcessOf(cols) => metric("duplicate", &joined(cols)),
        Measure::Key(cols) => {
            // Each key column present, and the key unique.
            let mut out: Vec<Json> =
                cols.iter().map(|c| named(&format!("missing_count({}) = 0", column(c)), &e.id, Map::new())).collect();
            out.push(named(&format!("duplicate_count({}) = 0", joined(cols)), &e.id, Map::new()));
            return out;
        }
        Measure::NotIn(values) => {
            config.insert("valid values".into(), json!(values));
            metric("invalid", &col)
        }
        Measure::Invalid { valid, pattern } => {
            if let Some(v) = valid {
                config.insert("valid values".into(), json!(v));
            }
            if let Some(p) = pattern {
                config.insert("valid regex".into(), json!(p));
            }
            metric("invalid", &col)
        }
        Measure::Below { bound, exclusive } | Measure::Above { bound, exclusive } => {
            let below = matches!(e.measure, Measure::Below { .. });
            match bound {
                Json::Number(_) => {
                    if *exclusive {
                        warnings.push(format!(
                            "{}.{col}: soda's valid min and max are inclusive; the exclusive bound {bound} is written inclusive",
                            e.object
                        ));
                    }
                    config.insert((if below { "valid min" } else { "valid max" }).into(), bound.clone());
                    metric("invalid", &col)
                }
                // Dates and times: a failed-rows condition in SQL.
                other => {
                    let op = match (below, exclusive) {
                        (true, false) => "<",
                        (true, true) => "<=",
                        (false, false) => ">",
                        (false, true) => ">=",
                    };
                    let literal = other.as_str().map_or_else(|| other.to_string(), str::to_string);
                    // The data source's dialect is not known here: a backslash reads differently
                    // across them (an escape in BigQuery, Snowflake and Spark, itself in
                    // PostgreSQL), so a bound with one is not written.
                    if literal.contains('\\') {
                        check_lost(
                            warnings,
                            e,
                            TARGET,
                            "the bound holds a backslash, which SQL dialects read differently",
                        );
                        return Vec::new();
                    }
                    let literal = literal.replace('\'', "''");
                    return failed_rows(e, &format!("{col} {op} '{literal}'"), warnings);
                }
            }
        }
        Measure::ShorterThan(n) => {
            config.insert("valid min length".into(), json!(n));
            metric("invalid", &col)
        }
        Measure::LongerThan(n) => {
            config.insert("valid max length".into(), json!(n));
            metric("invalid", &col)
        }
        Measure::Mismatch(re) => {
            config.insert("valid regex".into(), json!(re));
            metric("invalid", &col)
        }
        Measure::Format(f) => match soda_format(f) {
            Some(name) => {
                config.insert("valid format".into(), json!(name));
                metric("invalid", &col)
            }
            None => {
                check_lost(warnings, e, TARGET, &format!("SodaCL has no valid format for `{f}`"));
                return Vec::new();
            }
        },
        Measure::RowCount => "row_count".to_string(),
        Measure::Sql(query) => {
            let name = identifier(&e.id);
            let q = query.replace("${object}", table).replace("{object}", table);
            let q = if col.is_empty() { q } else { q.replace("${property}", &col).replace("{property}", &col) };
            config.insert(format!("{name} query"), json!(q));
            name
        }
        Measure::Freshness { max_age, .. } => {
            let line = format!("freshness({col})");
            let d = duration(*max_age);
            return vec![if e.severity == Level::Error {
                named(&format!("{line} < {d}"), &title(e), Map::new())
            } else {
                let mut c = Map::new();
                c.insert("warn".into(), json!(format!("when > {d}")));
                named(&line, &title(e), c)
            }];
        }
        Measure::Reference { object, column } => {
            let target = table_ident(tables.get(object).unwrap_or(object));
            let to_column = ident(column);
            if e.threshold != Threshold::must_be_zero() || percent {
                warnings.push(format!(
                    "{}.{col}: a soda reference check fails on any orphan; the threshold is not kept",
                    e.object
                ));
            }
            return vec![named(
                &format!("values in ({col}) must exist in {target} ({to_column})"),
                &title(e),
                Map::new(),
            )];
        }
        Measure::Retention { .. } => {
            check_lost(warnings, e, TARGET, "SodaCL's freshness measures the newest row, not the oldest");
            return Vec::new();
        }
        Measure::FewerItems(_) | Measure::MoreItems(_) | Measure::RepeatedItems => {
            check_lost(warnings, e, TARGET, "SodaCL has no checks on array items");
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
    vec![thresholded(&line, e, config)]
}

/// `metric <threshold>`, or for a warning-level rule `metric` with `warn: when <failing>`.
fn thresholded(line: &str, e: &Expectation, mut config: Map<String, Json>) -> Json {
    if e.severity == Level::Error {
        named(&format!("{line} {}", passing_when(&e.threshold)), &title(e), config)
    } else {
        config.insert("warn".into(), json!(format!("when {}", failing_when(&e.threshold))));
        named(line, &title(e), config)
    }
}

/// A failed-rows check: any row meeting the condition fails it.
fn failed_rows(e: &Expectation, condition: &str, warnings: &mut Vec<String>) -> Vec<Json> {
    if e.threshold != Threshold::must_be_zero() {
        warnings.push(format!(
            "{}: a soda failed-rows check fails on any row; the threshold {} is not kept",
            e.id,
            passing_when(&e.threshold)
        ));
    }
    let mut config = Map::new();
    config.insert("name".into(), json!(title(e)));
    config.insert("fail condition".into(), json!(condition));
    vec![json!({"failed rows": config})]
}

/// A check line with its configuration, named after the contract's rule.
fn named(line: &str, name: &str, mut config: Map<String, Json>) -> Json {
    config.insert("name".into(), json!(name));
    // The name first, as people write it.
    let mut ordered = Map::new();
    if let Some(n) = config.remove("name") {
        ordered.insert("name".into(), n);
    }
    ordered.extend(config);
    json!({ line: ordered })
}

/// The same line and configuration, whatever the names.
fn same_check(a: &Json, b: &Json) -> bool {
    let strip = |j: &Json| -> Json {
        let mut j = j.clone();
        if let Some(m) = j.as_object_mut() {
            for v in m.values_mut() {
                if let Some(c) = v.as_object_mut() {
                    c.remove("name");
                }
            }
        }
        j
    };
    strip(a) == strip(b)
}

fn title(e: &Expectation) -> String {
    e.name.clone().unwrap_or_else(|| e.id.clone())
}

fn joined(cols: &[Vec<String>]) -> String {
    cols.iter().map(|c| column(c)).collect::<Vec<_>>().join(", ")
}

/// A user-defined metric's name: letters, digits and `_`.
fn identifier(id: &str) -> String {
    let mut s: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'm');
    }
    s
}

/// Soda's built-in formats for contrakt's (`logicalTypeOptions.format`) names.
fn soda_format(f: &str) -> Option<&'static str> {
    match f.to_ascii_lowercase().as_str() {
        "uuid" => Some("uuid"),
        "email" => Some("email"),
        "ipv4" => Some("ipv4 address"),
        "ipv6" => Some("ipv6 address"),
        "date" | "yyyy-mm-dd" | "date-time" | "datetime" | "iso8601" => Some("date iso 8601"),
        _ => None,
    }
}

/// Seconds as SodaCL writes a freshness threshold: `2h`, `1d6h`, `90s`.
fn duration(secs: f64) -> String {
    let mut s = secs.round() as u64;
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if s >= n {
            out.push_str(&format!("{}{unit}", s / n));
            s %= n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_soda_writes_them() {
        assert_eq!(super::duration(7200.0), "2h");
        assert_eq!(super::duration(93_600.0), "1d2h");
        assert_eq!(super::duration(90.0), "1m30s");
        assert_eq!(super::super::number(10000.0), "10000");
    }
}
