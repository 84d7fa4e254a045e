//! Reconciliation (Q701, `contraktReconcile`): an object compared with another dataset.
//!
//! Each side is measured by one aggregate plan over its table (row count, sums, distinct
//! counts, and the distinct keys), and the keys on one side only by an anti-join each way
//! (`NOT EXISTS`, as references are checked), with a bounded sample of them. All the plans run
//! concurrently. The other side is registered by the runner as references are: this
//! contract's object, else the registry's, read from its own location; on a warehouse run both
//! live on the warehouse and each plan is unparsed and runs there whole (pushed down).
//!
//! Across servers (a file against a PostgreSQL table, either way round: [`Across`]), each side's
//! aggregate runs where that side lives, and the keys of the warehouse side are streamed here,
//! at most [`MAX_STREAMED_KEYS`] of them, into a table the anti-joins read in DataFusion.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema as ArrowSchema;
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use futures::future::join_all;
use serde_json::{Map, Value as Json};

use contrakt_core::expect::reconcile::{Comparison, Reconcile, within};
use contrakt_core::expect::{CheckResult, Expectation, Measure, Status};

use crate::compile::{How, ObjectPlan, Tables, col_expr};
use crate::conformance::resolve;
use crate::error::explain;
use crate::sql::ident;
use crate::warehouse::Warehouse;

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
    /// The key expressions of this side and the other's, when keys are compared.
    pub keys: Option<(String, String)>,
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
    let (mut only_this, mut only_other, mut keys) = (None, None, None);
    if let Some((x, y)) = &r.keys {
        let kx = column(this.1, x, object)?;
        let ky = column(other.1, y, &r.with)?;
        a.push(format!("count(DISTINCT {kx})"));
        b.push(format!("count(DISTINCT {ky})"));
        only_this = Some(one_sided((this.0, &kx), (other.0, &ky), sample));
        only_other = Some(one_sided((other.0, &ky), (this.0, &kx), sample));
        keys = Some((kx, ky));
    }
    let select = |cols: &[String], table: &str| {
        let named: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} AS \"v{i}\"")).collect();
        format!("SELECT {} FROM {}", named.join(", "), ident(table))
    };
    Ok(Plans { this: select(&a, this.0), other: select(&b, other.0), only_this, only_other, keys })
}

/// The distinct keys (`key` expression) of table `from` that table `to` lacks: the query of
/// their count, and of a sample of `sample` of them (the smallest).
fn one_sided(from: (&str, &str), to: (&str, &str), sample: usize) -> (String, String) {
    let (o, t) = (format!("o.{}", from.1), format!("t.{}", to.1));
    let rows = format!(
        "FROM {} o WHERE {o} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} t WHERE {t} = {o})",
        ident(from.0),
        ident(to.0)
    );
    (
        format!("SELECT count(DISTINCT {o}) {rows}"),
        format!("SELECT DISTINCT {o} AS \"key\" {rows} ORDER BY 1 LIMIT {sample}"),
    )
}

/// Runs the reconciliations among an object's checks (those planned [`How::Apart`]) and writes
/// their results (`results[at]`, by position in the plan's checks). `collect` runs one query
/// where the checked object lives; `across` reaches an other side that lives elsewhere.
#[allow(clippy::too_many_arguments)]
pub async fn run<F, Fut>(
    plan: &ObjectPlan,
    exps: &[&Expectation],
    schema: &ArrowSchema,
    tables: &dyn Tables,
    across: &Across<'_>,
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
        let (other_table, other_schema, foreign) = match tables.table_of(&spec.with) {
            Some((table, schema)) => (table, schema, None),
            None => match across.foreign.get(&spec.with) {
                Some(Ok(f)) => (f.table.clone(), f.schema.clone(), Some(f)),
                Some(Err(why)) => {
                    r.status = Status::Error;
                    r.message = format!("`{}`, the object to reconcile with, could not be read: {why}", spec.with);
                    continue;
                }
                None => {
                    r.status = Status::Error;
                    r.message = format!(
                        "no data located for `{}`, the object to reconcile with (an object of this contract, or of another contract of the registry, readable where this run reads)",
                        spec.with
                    );
                    continue;
                }
            },
        };
        let plans = match plans(&e.object, spec, (&plan.table, schema), (&other_table, &other_schema), sample.max(1)) {
            Ok(p) => p,
            Err(why) => {
                r.status = Status::Error;
                r.message = why;
                continue;
            }
        };
        let out = match foreign {
            Some(f) => across.measure(&plans, (&plan.table, &e.object), (f, &spec.with), sample.max(1), &collect).await,
            None => {
                let mut queries = vec![plans.this.clone(), plans.other.clone()];
                for (count, sample) in [&plans.only_this, &plans.only_other].into_iter().flatten() {
                    queries.push(count.clone());
                    queries.push(sample.clone());
                }
                join_all(queries.into_iter().map(&collect)).await
            }
        };
        judge(r, e, spec, &out, sample);
    }
}

/// The most distinct keys of a side on a warehouse that a reconciliation across servers brings
/// into this process to compare with the other side's. At the bound, 5M `int8` keys against a
/// 5M-row Parquet file peaked at 697 MiB resident (the keys and the anti-joins' hash tables;
/// release build, docs/segments.md); text keys cost their length more. Above it the key
/// comparison is refused, saying so; the counts and sums, measured where each side lives, are
/// unaffected.
pub const MAX_STREAMED_KEYS: usize = 5_000_000;

/// The other side of a reconciliation when it lives elsewhere than the checked object (a file
/// beside a PostgreSQL table, or the reverse), as the runner located it.
pub struct Foreign {
    /// Its table in the run's session: the data itself, or an empty stand-in of a warehouse
    /// table that only plans.
    pub table: String,
    pub schema: ArrowSchema,
    /// The warehouse it lives on (`None`: DataFusion reads it in this process).
    pub warehouse: Option<Arc<Warehouse>>,
}

/// What a reconciliation across servers needs of its run.
pub struct Across<'a> {
    /// The run's session: where the warehouses' plans are planned and the keys compared.
    pub ctx: &'a SessionContext,
    /// The warehouse the checked object lives on (`None`: it is read in this process).
    pub here: Option<&'a Arc<Warehouse>>,
    /// The other sides located elsewhere, by object, or why one could not be read there.
    pub foreign: &'a HashMap<String, Result<Foreign, String>>,
    /// The bound on each query.
    pub timeout: Duration,
}

/// Names the streamed key tables of a process apart.
static STREAMED: AtomicUsize = AtomicUsize::new(0);

impl Across<'_> {
    /// The results of `plans`, in [`judge`]'s order, for sides on two servers: each side's
    /// aggregate where it lives (a warehouse's pushed down, a file's in DataFusion), then the
    /// keys of a side on a warehouse streamed here (bounded by [`MAX_STREAMED_KEYS`]) and the
    /// one-sided keys found by anti-joins in DataFusion. No table is read twice whole: a
    /// warehouse sends its aggregate and its distinct keys only.
    async fn measure<F, Fut>(
        &self,
        plans: &Plans,
        this: (&str, &str),
        other: (&Foreign, &str),
        sample: usize,
        collect: &F,
    ) -> Vec<Result<Vec<RecordBatch>, String>>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<RecordBatch>, String>>,
    {
        let (a, b) = futures::join!(collect(plans.this.clone()), self.on(other.0.warehouse.as_deref(), &plans.other));
        let mut out = vec![a, b];
        let Some((kx, ky)) = &plans.keys else { return out };
        let distinct = |i: usize| out[i].as_ref().ok().and_then(|b| last_number(b));
        let (na, nb) = (distinct(0), distinct(1));
        let (keys_a, keys_b) = futures::join!(
            self.keys_here(self.here.map(|w| w.as_ref()), this.0, kx, this.1, na),
            self.keys_here(other.0.warehouse.as_deref(), &other.0.table, ky, other.1, nb)
        );
        let mut streamed = Vec::new();
        let queries = match (&keys_a, &keys_b) {
            (Ok((ta, ka, sa)), Ok((tb, kb, sb))) => {
                streamed.extend([sa, sb].into_iter().flatten().cloned());
                let (a, b) = ((ta.as_str(), ka.as_str()), (tb.as_str(), kb.as_str()));
                let ((c1, s1), (c2, s2)) = (one_sided(a, b, sample), one_sided(b, a, sample));
                Ok([c1, s1, c2, s2])
            }
            (Err(e), _) | (_, Err(e)) => Err(e.clone()),
        };
        match queries {
            Ok(queries) => out.extend(join_all(queries.iter().map(|q| self.on(None, q))).await),
            Err(e) => out.extend(std::iter::repeat_n(Err(e), 4)),
        }
        for name in streamed {
            let _ = self.ctx.deregister_table(name.as_str());
        }
        out
    }

    /// Runs `sql`, planned in the run's session, on `warehouse` as its statement, else here.
    async fn on(&self, warehouse: Option<&Warehouse>, sql: &str) -> Result<Vec<RecordBatch>, String> {
        let run = async {
            let df = self.ctx.sql(sql).await.map_err(|e| explain(&e))?;
            match warehouse {
                Some(w) => {
                    let statement = w.to_sql(df.logical_plan()).map_err(|e| e.to_string())?;
                    w.query(&statement, df.schema().as_arrow()).await
                }
                None => df.collect().await.map_err(|e| explain(&e)),
            }
        };
        tokio::time::timeout(self.timeout, run)
            .await
            .unwrap_or_else(|_| Err(format!("timed out after {}s", self.timeout.as_secs_f64())))
    }

    /// Where the anti-joins find a side's keys: its own table (`key` over it) when it is read
    /// here; else its distinct keys (`distinct` of them, by its aggregate), streamed from the
    /// warehouse into a table of this session (returned as the third element, to drop after).
    async fn keys_here(
        &self,
        warehouse: Option<&Warehouse>,
        table: &str,
        key: &str,
        object: &str,
        distinct: Option<f64>,
    ) -> Result<(String, String, Option<String>), String> {
        let Some(w) = warehouse else { return Ok((table.to_string(), key.to_string(), None)) };
        if let Some(n) = distinct.filter(|n| *n > MAX_STREAMED_KEYS as f64) {
            return Err(too_many_keys(object, &w.server, n));
        }
        let sql = format!(
            "SELECT DISTINCT {key} AS \"key\" FROM {} WHERE {key} IS NOT NULL LIMIT {}",
            ident(table),
            MAX_STREAMED_KEYS + 1
        );
        let streamed = async {
            let df = self.ctx.sql(&sql).await.map_err(|e| explain(&e))?;
            let statement = w.to_sql(df.logical_plan()).map_err(|e| e.to_string())?;
            w.stream(&statement, df.schema().as_arrow(), MAX_STREAMED_KEYS).await.map_err(|e| {
                match e.starts_with("more than") {
                    // The table grew past the bound since its aggregate counted it.
                    true => too_many_keys(object, &w.server, (MAX_STREAMED_KEYS + 1) as f64),
                    false => e,
                }
            })
        };
        let batches = tokio::time::timeout(self.timeout, streamed)
            .await
            .unwrap_or_else(|_| Err(format!("timed out after {}s", self.timeout.as_secs_f64())))?;
        let schema = batches.first().map(|b| b.schema()).ok_or("the warehouse sent no keys")?;
        let name = format!("contrakt_keys_{}", STREAMED.fetch_add(1, Ordering::Relaxed));
        let keys = MemTable::try_new(schema, vec![batches]).map_err(|e| explain(&e))?;
        self.ctx.register_table(name.as_str(), Arc::new(keys)).map_err(|e| explain(&e))?;
        Ok((name.clone(), "\"key\"".to_string(), Some(name)))
    }
}

/// The refusal of a key comparison across servers above [`MAX_STREAMED_KEYS`].
fn too_many_keys(object: &str, server: &str, n: f64) -> String {
    format!(
        "`{object}` has {} distinct keys on the warehouse `{server}`, and keys compared across servers are brought here, at most {MAX_STREAMED_KEYS}: reconcile the counts and sums alone (no `keys`), or two objects of one server",
        contrakt_core::expect::threshold::format_number(n)
    )
}

/// The last column of a plan's first row, as a number (a side's distinct keys).
fn last_number(batches: &[RecordBatch]) -> Option<f64> {
    let b = batches.iter().find(|b| b.num_rows() > 0)?;
    let v = ScalarValue::try_from_array(b.column(b.num_columns().checked_sub(1)?), 0).ok()?;
    crate::judge::scalar_f64(&v)
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
    let mut keys_error = None;
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
                Err(why) => {
                    // The counts and sums still say what they measured.
                    keys_error.get_or_insert(why);
                    continue;
                }
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
    r.threshold = Some(e.threshold.written());
    r.total_rows = this[0].map(|v| v as u64);
    let tolerance =
        if spec.tolerance == 0.0 { "exact".to_string() } else { format!("tolerance {}%", fmt(spec.tolerance * 100.0)) };
    r.message = format!("against `{}` ({tolerance}): {}", spec.with, parts.join("; "));
    if let Some(why) = keys_error {
        r.status = Status::Error;
        r.message = format!("{}; the keys on one side only were not compared: {why}", r.message);
        return;
    }
    r.value = Some(disagree as f64);
    r.status = Status::judged(disagree == 0, e.severity);
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
        assert_eq!(p.keys, Some((r#""order_id""#.to_string(), r#""order_id""#.to_string())));
        // Across servers the anti-joins read a side's streamed keys, named `key`.
        let (count, _) = one_sided(("items", r#""order_id""#), ("contrakt_keys_0", r#""key""#), 5);
        assert!(
            count.ends_with(r#"NOT EXISTS (SELECT 1 FROM "contrakt_keys_0" t WHERE t."key" = o."order_id")"#),
            "{count}"
        );
        assert!(too_many_keys("orders", "warehouse", 5_000_001.0).starts_with("`orders` has 5000001 distinct keys"));
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
