//! Reconciliation (Q701, `contraktReconcile`): an object compared with another dataset.
//!
//! Each side is measured by one aggregate plan over its table (row count, sums, distinct
//! counts, and the distinct keys), and the keys on one side only by an anti-join each way
//! (`NOT EXISTS`, as references are checked), with a bounded sample of them. All the plans run
//! concurrently. The other side is registered by the runner as references are: this
//! contract's object, else the registry's, read from its own location; on a warehouse run both
//! live on the warehouse and each plan is unparsed and runs there whole (pushed down).

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema as ArrowSchema;
use datafusion::common::ScalarValue;
use futures::future::join_all;
use serde_json::{Map, Value as Json};

use contrakt_core::expect::reconcile::{Comparison, Reconcile, within};
use contrakt_core::expect::{CheckResult, Expectation, Measure, Status};

use crate::compile::{How, ObjectPlan, Tables, col_expr};
use crate::conformance::resolve;
use crate::sql::ident;

/// The plans of one reconciliation, as SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct Plans {
    /// One aggregate per side: `count(*)`, then one column per comparison, then the distinct
    /// keys when keys are compared.
    pub this: String,
    pub other: String,
    /// Distinct keys of this side missing from the other, and the reverse: (count, sample).
    pub only_this: Option<(String, String)>,
    pub only_other: Option<(String, String)>,
}

/// Writes the plans of `r` over `this` (table, schema) and `other`, or says which column is
/// missing.
pub fn plans(
    object: &str,
    r: &Reconcile,
    this: (&str, &ArrowSchema),
    other: (&str, &ArrowSchema),
    sample: usize,
) -> Result<Plans, String> {
    let column = |schema: &ArrowSchema, name: &str, side: &str| -> Result<String, String> {
        resolve(schema, &[name.to_string()])
            .map(|c| col_expr(&c.path, None))
            .ok_or_else(|| format!("the column `{name}` is missing from the data of `{side}`"))
    };
    let (mut a, mut b) = (vec!["count(*)".to_string()], vec!["count(*)".to_string()]);
    for c in &r.comparisons {
        match c {
            Comparison::RowCount => {}
            Comparison::Sum(x, y) => {
                a.push(format!("sum({})", column(this.1, x, object)?));
                b.push(format!("sum({})", column(other.1, y, &r.with)?));
            }
            Comparison::Distinct(x, y) => {
                a.push(format!("count(DISTINCT {})", column(this.1, x, object)?));
                b.push(format!("count(DISTINCT {})", column(other.1, y, &r.with)?));
            }
        }
    }
    let (mut only_this, mut only_other) = (None, None);
    if let Some((x, y)) = &r.keys {
        let kx = column(this.1, x, object)?;
        let ky = column(other.1, y, &r.with)?;
        a.push(format!("count(DISTINCT {kx})"));
        b.push(format!("count(DISTINCT {ky})"));
        let one_sided = |from: &str, k: &str, to: &str, kt: &str| {
            let (o, t) = (format!("o.{k}"), format!("t.{kt}"));
            let rows = format!(
                "FROM {} o WHERE {o} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} t WHERE {t} = {o})",
                ident(from),
                ident(to)
            );
            (
                format!("SELECT count(DISTINCT {o}) {rows}"),
                format!("SELECT DISTINCT {o} AS \"key\" {rows} ORDER BY 1 LIMIT {sample}"),
            )
        };
        only_this = Some(one_sided(this.0, &kx, other.0, &ky));
        only_other = Some(one_sided(other.0, &ky, this.0, &kx));
    }
    let select = |cols: &[String], table: &str| {
        let named: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} AS \"v{i}\"")).collect();
        format!("SELECT {} FROM {}", named.join(", "), ident(table))
    };
    Ok(Plans { this: select(&a, this.0), other: select(&b, other.0), only_this, only_other })
}

/// Runs the reconciliations among an object's checks (those planned [`How::Apart`]) and writes
/// their results (`results[at]`, by position in the plan's checks). `collect` runs one query.
#[allow(clippy::too_many_arguments)]
pub async fn run<F, Fut>(
    plan: &ObjectPlan,
    exps: &[&Expectation],
    schema: &ArrowSchema,
    tables: &dyn Tables,
    results: &mut [CheckResult],
    sample: usize,
    collect: F,
) where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<RecordBatch>, String>>,
{
    for (at, e) in exps.iter().enumerate() {
        let (How::Apart, Measure::Reconcile(spec)) = (&plan.checks[at].how, &e.measure) else { continue };
        let r = &mut results[at];
        let Some((other_table, other_schema)) = tables.table_of(&spec.with) else {
            r.status = Status::Error;
            r.message = format!(
                "no data located for `{}`, the object to reconcile with (an object of this contract, or of another contract of the registry, readable where this run reads)",
                spec.with
            );
            continue;
        };
        let plans = match plans(&e.object, spec, (&plan.table, schema), (&other_table, &other_schema), sample.max(1)) {
            Ok(p) => p,
            Err(why) => {
                r.status = Status::Error;
                r.message = why;
                continue;
            }
        };
        let mut queries = vec![plans.this.clone(), plans.other.clone()];
        for (count, sample) in [&plans.only_this, &plans.only_other].into_iter().flatten() {
            queries.push(count.clone());
            queries.push(sample.clone());
        }
        let out = join_all(queries.into_iter().map(&collect)).await;
        judge(r, e, spec, &out, sample);
    }
}

/// The verdict of one reconciliation from its plans' results, in the order [`run`] ran them.
fn judge(
    r: &mut CheckResult,
    e: &Expectation,
    spec: &Reconcile,
    out: &[Result<Vec<RecordBatch>, String>],
    sample: usize,
) {
    let row = |i: usize| -> Result<Vec<Option<f64>>, String> {
        let batches = out[i].as_ref().map_err(Clone::clone)?;
        let b = batches.iter().find(|b| b.num_rows() > 0).ok_or("the plan returned no row")?;
        (0..b.num_columns())
            .map(|c| {
                let v = ScalarValue::try_from_array(b.column(c), 0).map_err(|e| e.to_string())?;
                Ok(if v.is_null() { None } else { crate::judge::scalar_f64(&v) })
            })
            .collect()
    };
    let (this, other) = match (row(0), row(1)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) => return error(r, format!("this object could not be measured: {e}")),
        (_, Err(e)) => return error(r, format!("`{}` could not be measured: {e}", spec.with)),
    };
    let fmt = contrakt_core::expect::threshold::format_number;
    let mut parts = Vec::new();
    let mut disagree = 0u64;
    let mut compare = |label: String, a: f64, b: f64, tolerance: f64, parts: &mut Vec<String>| {
        let ok = within(a, b, tolerance);
        if !ok {
            disagree += 1;
        }
        let apart = if a == b {
            "equal".to_string()
        } else {
            format!("{}% apart", fmt(((a - b).abs() * 100.0 / a.abs().max(b.abs()) * 1e4).round() / 1e4))
        };
        parts.push(format!(
            "{label} {} vs {} ({apart}{})",
            fmt(a),
            fmt(b),
            if ok { "" } else { ", outside the tolerance" }
        ));
    };
    // Column 0 is the row count; then the comparisons in order (a row count compares column 0).
    let mut col = 1;
    for c in &spec.comparisons {
        let i = match c {
            Comparison::RowCount => 0,
            _ => {
                col += 1;
                col - 1
            }
        };
        // A sum over no rows is null: no amount, compared as 0.
        let (a, b) = (this[i].unwrap_or(0.0), other[i].unwrap_or(0.0));
        compare(c.label(), a, b, spec.tolerance, &mut parts);
    }
    let mut samples = Vec::new();
    if let Some((x, y)) = &spec.keys {
        let keys = (this[col].unwrap_or(0.0), other[col].unwrap_or(0.0));
        for ((count_at, sample_at), total, key, name) in
            [((2, 3), keys.0, x, e.object.as_str()), ((4, 5), keys.1, y, spec.with.as_str())]
        {
            let n = match out[count_at].as_ref().map_err(Clone::clone).and_then(|b| {
                let b = b.iter().find(|b| b.num_rows() > 0).ok_or("no row".to_string())?;
                ScalarValue::try_from_array(b.column(0), 0).map_err(|e| e.to_string())
            }) {
                Ok(v) => crate::judge::scalar_f64(&v).unwrap_or(0.0),
                Err(why) => return error(r, format!("the keys only in `{name}` could not be counted: {why}")),
            };
            let allowed = (spec.tolerance * total).floor();
            let ok = n <= allowed;
            if !ok {
                disagree += 1;
            }
            let mut shown = Vec::new();
            if let Ok(batches) = &out[sample_at] {
                for b in batches {
                    for i in 0..b.num_rows() {
                        let v = ScalarValue::try_from_array(b.column(0), i).map(|s| crate::judge::scalar_json(&s));
                        let v = v.unwrap_or(Json::Null);
                        if shown.len() < 3 {
                            shown.push(match &v {
                                Json::String(s) => s.clone(),
                                other => other.to_string(),
                            });
                        }
                        if samples.len() < sample.max(1) * 2 {
                            let mut m = Map::new();
                            m.insert("only_in".into(), Json::String(name.to_string()));
                            m.insert(key.clone(), v);
                            samples.push(m);
                        }
                    }
                }
            }
            let eg = if shown.is_empty() { String::new() } else { format!(", e.g. {}", shown.join(", ")) };
            parts.push(format!(
                "{} key{} of {} only in `{name}`{eg}{}",
                fmt(n),
                if n == 1.0 { "" } else { "s" },
                fmt(total),
                if ok { "" } else { " (outside the tolerance)" }
            ));
        }
    }
    r.value = Some(disagree as f64);
    r.threshold = Some(e.threshold.written());
    r.total_rows = this[0].map(|v| v as u64);
    r.status = Status::judged(disagree == 0, e.severity);
    let tolerance =
        if spec.tolerance == 0.0 { "exact".to_string() } else { format!("tolerance {}%", fmt(spec.tolerance * 100.0)) };
    r.message = format!("against `{}` ({tolerance}): {}", spec.with, parts.join("; "));
    if r.status != Status::Pass {
        r.samples = samples;
    }
}

fn error(r: &mut CheckResult, why: String) {
    r.status = Status::Error;
    r.message = why;
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{DataType, Field};

    #[test]
    fn plans_measure_each_side_once_and_keys_both_ways() {
        let schema = |cols: &[&str]| {
            ArrowSchema::new(cols.iter().map(|c| Field::new(*c, DataType::Utf8, true)).collect::<Vec<_>>())
        };
        let spec = Reconcile {
            id: None,
            with: "orders".into(),
            comparisons: vec![
                Comparison::RowCount,
                Comparison::Sum("line_total".into(), "amount".into()),
                Comparison::Distinct("order_id".into(), "order_id".into()),
            ],
            keys: Some(("order_id".into(), "order_id".into())),
            tolerance: 0.0,
            severity: None,
            name: None,
            description: None,
        };
        let p = plans(
            "items",
            &spec,
            ("items", &schema(&["order_id", "line_total"])),
            ("ref_orders", &schema(&["order_id", "amount"])),
            5,
        )
        .unwrap();
        assert_eq!(
            p.this,
            r#"SELECT count(*) AS "v0", sum("line_total") AS "v1", count(DISTINCT "order_id") AS "v2", count(DISTINCT "order_id") AS "v3" FROM "items""#
        );
        assert_eq!(
            p.other,
            r#"SELECT count(*) AS "v0", sum("amount") AS "v1", count(DISTINCT "order_id") AS "v2", count(DISTINCT "order_id") AS "v3" FROM "ref_orders""#
        );
        let (count, sample) = p.only_this.unwrap();
        assert_eq!(
            count,
            r#"SELECT count(DISTINCT o."order_id") FROM "items" o WHERE o."order_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "ref_orders" t WHERE t."order_id" = o."order_id")"#
        );
        assert!(sample.ends_with("ORDER BY 1 LIMIT 5"), "{sample}");
        assert!(p.only_other.unwrap().0.contains(r#"FROM "ref_orders" o"#));
        let missing = plans(
            "items",
            &spec,
            ("items", &schema(&["order_id"])),
            ("ref_orders", &schema(&["order_id", "amount"])),
            5,
        );
        assert_eq!(missing.unwrap_err(), "the column `line_total` is missing from the data of `items`");
    }
}
