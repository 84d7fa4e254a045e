//! Running the checker's queries where its [`Site`](crate::site::Site) runs them: planning on a thread of its own
//! within the run's timeout, the fused scan (measures that do not plan set aside, each measure
//! alone when the whole fails), and the separate plans' numbers and rows.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema as ArrowSchema;
use datafusion::common::{ScalarValue, TableReference};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{DataFrame, SQLOptions, SessionContext};
use futures::future::join_all;
use serde_json::{Map, Value as Json};

use crate::compile::{self, ObjectPlan};
use crate::error::explain;
use crate::judge::{first_value, scalar_f64, scalar_json};
use crate::site::Query;

use super::Checker;

impl Checker {
    /// The fused measures that plan (index, expression), and those that do not with their error.
    /// One planning of the whole scan when it plans, else one per measure.
    pub(super) async fn plannable<'p>(
        &self,
        plan: &'p ObjectPlan,
        timeout: Duration,
    ) -> (Vec<(usize, &'p str)>, Vec<(usize, String)>) {
        let all = || plan.fused.iter().enumerate().map(|(i, m)| (i, m.as_str()));
        let measures: Vec<(usize, &str)> = all().collect();
        let whole = match self.planned_fused(&plan.table, &measures, false, timeout).await {
            Ok((df, _, _)) => self.site.accepts(&df),
            Err(e) => Err(e),
        };
        if whole.is_ok() {
            return (measures, Vec::new());
        }
        self.plannable_alone(plan, timeout).await
    }

    /// Each fused measure planned alone: those that plan, and those that do not with the error.
    pub(super) async fn plannable_alone<'p>(
        &self,
        plan: &'p ObjectPlan,
        timeout: Duration,
    ) -> (Vec<(usize, &'p str)>, Vec<(usize, String)>) {
        let (mut good, mut set_aside) = (Vec::new(), Vec::new());
        for (i, m) in plan.fused.iter().enumerate() {
            match self.plans(&compile::fused_sql(&plan.table, &[(i, m)]), timeout).await {
                Ok(()) => good.push((i, m.as_str())),
                Err(e) => set_aside.push((i, e)),
            }
        }
        (good, set_aside)
    }

    /// Runs the fused scan. A measure that does not plan is set aside with its error and the
    /// rest run; if execution fails, each measure runs alone so one bad rule cannot hide the
    /// others. Also returns the bytes the scan read, where the format reports them (Parquet).
    pub(super) async fn fused(
        &self,
        plan: &ObjectPlan,
        timeout: Duration,
    ) -> (Vec<std::result::Result<ScalarValue, String>>, Option<u64>) {
        let mut bytes = None;
        let n = plan.fused.len();
        // A scan run again rewrites its quarantine from the start.
        crate::quarantine::restart(plan);
        let mut out: Vec<Option<std::result::Result<ScalarValue, String>>> = vec![None; n];
        // The whole scan is planned once and, when it plans, run as planned; only when it
        // does not is each measure planned alone to find the ones to set aside.
        let started = Instant::now();
        let all: Vec<(usize, &str)> = plan.fused.iter().enumerate().map(|(i, m)| (i, m.as_str())).collect();
        let whole = self.planned_fused(&plan.table, &all, self.site.plans_physically(), timeout).await;
        let good = match whole {
            Ok(planned) => Ok((all, planned)),
            Err(_) => {
                let (good, set_aside) = self.plannable_alone(plan, timeout).await;
                for (i, e) in set_aside {
                    out[i] = Some(Err(e));
                }
                match good.is_empty() {
                    true => Err(()),
                    false => {
                        match self.planned_fused(&plan.table, &good, self.site.plans_physically(), timeout).await {
                            Ok(planned) => Ok((good, planned)),
                            Err(e) => {
                                for (i, _) in &good {
                                    out[*i] = Some(Err(e.clone()));
                                }
                                Err(())
                            }
                        }
                    }
                }
            }
        };
        if let Ok((good, (df, physical, finish))) = good {
            let schema = df.schema().clone();
            match self.run_planned(df, physical, timeout.saturating_sub(started.elapsed())).await {
                Ok((batches, scanned)) => {
                    bytes = scanned;
                    let values = match &finish {
                        Some(measures) => finish_fused(&self.ctx, &schema, measures, &batches),
                        None => (0..good.len())
                            .map(|col| first_value(&batches, col).ok_or_else(|| "the scan returned no row".to_string()))
                            .collect(),
                    };
                    for ((i, _), v) in good.iter().zip(values) {
                        out[*i] = Some(v);
                    }
                }
                Err(e) if good.len() > 1 && !exhausted(&e) => {
                    tracing::info!(error = %e, "fused scan failed; running each measure alone");
                    crate::quarantine::restart(plan);
                    let alone = join_all(good.iter().map(|(i, m)| {
                        let sql = compile::fused_sql(&plan.table, &[(*i, *m)]);
                        async move { self.collect(&sql, timeout).await }
                    }))
                    .await;
                    for ((i, _), r) in good.iter().zip(alone) {
                        out[*i] = Some(r.and_then(|b| first_value(&b, 0).ok_or_else(|| "no row".to_string())));
                    }
                }
                Err(e) => {
                    for (i, _) in &good {
                        out[*i] = Some(Err(e.clone()));
                    }
                }
            }
        }
        (out.into_iter().map(|v| v.unwrap_or_else(|| Err("not run".into()))).collect(), bytes)
    }

    /// Plans `sql` (down to the physical plan with `physical`) on a blocking thread of its own,
    /// bounded by `timeout`: DataFusion plans without yielding, so a timer on the task doing
    /// the planning could never fire. A planning that times out is abandoned (it finishes on
    /// its thread; the result is dropped).
    pub(super) async fn planned(
        &self,
        sql: &str,
        physical: bool,
        timeout: Duration,
    ) -> std::result::Result<(DataFrame, Option<Arc<dyn ExecutionPlan>>), String> {
        let (df, plan, _) = self.planned_query(Query::Sql(sql.to_string()), physical, timeout).await?;
        Ok((df, plan))
    }

    /// Plans the fused scan of `table` over `measures`: here built measure by measure
    /// ([`fused_frame`], with what [`finish_fused`] computes from its row); on a warehouse as
    /// its SQL, which the warehouse is given (one column per measure).
    pub(super) async fn planned_fused(
        &self,
        table: &str,
        measures: &[(usize, &str)],
        physical: bool,
        timeout: Duration,
    ) -> std::result::Result<(DataFrame, Option<Arc<dyn ExecutionPlan>>, Option<Vec<Expr>>), String> {
        self.planned_query(self.site.fused_query(table, measures), physical, timeout).await
    }

    pub(super) async fn planned_query(
        &self,
        query: Query,
        physical: bool,
        timeout: Duration,
    ) -> std::result::Result<(DataFrame, Option<Arc<dyn ExecutionPlan>>, Option<Vec<Expr>>), String> {
        let (ctx, handle) = (self.ctx.clone(), tokio::runtime::Handle::current());
        let task = tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                let (df, finish) = match query {
                    Query::Sql(sql) => ctx.sql_with_options(&sql, read_only()).await.map(|df| (df, None)),
                    Query::Fused { table, measures } => {
                        fused_frame(&ctx, &table, &measures).await.map(|(df, m)| (df, Some(m)))
                    }
                }
                .map_err(|e| explain(&e))?;
                let plan = match physical {
                    true => Some(df.clone().create_physical_plan().await.map_err(|e| explain(&e))?),
                    false => None,
                };
                Ok((df, plan, finish))
            })
        });
        match tokio::time::timeout(timeout, task).await {
            Ok(Ok(planned)) => planned,
            Ok(Err(e)) => Err(format!("the query could not be planned: {e}")),
            Err(_) => Err(format!("timed out after {} while planning", humanize(timeout))),
        }
    }

    /// `collect`, through the physical plan so its metrics can be read after: the bytes the
    /// file scans read (`bytes_scanned`, summed over the plan; `None` where no operator counts
    /// them).
    pub(super) async fn collect_measured(
        &self,
        sql: &str,
        timeout: Duration,
    ) -> std::result::Result<(Vec<RecordBatch>, Option<u64>), String> {
        let started = Instant::now();
        let (df, physical) = self.planned(sql, self.site.plans_physically(), timeout).await?;
        self.run_planned(df, physical, timeout.saturating_sub(started.elapsed())).await
    }

    /// Runs a query [`Checker::planned`] planned, within `timeout`: on a warehouse as its
    /// statement (the local tables are empty stand-ins, and the bytes it read are the
    /// warehouse's to know), here through its physical plan, with the bytes it scanned.
    pub(super) async fn run_planned(
        &self,
        df: DataFrame,
        physical: Option<Arc<dyn ExecutionPlan>>,
        timeout: Duration,
    ) -> std::result::Result<(Vec<RecordBatch>, Option<u64>), String> {
        tokio::time::timeout(timeout, self.site.run(df, physical))
            .await
            .unwrap_or_else(|_| Err(format!("timed out after {}", humanize(timeout))))
    }

    /// Does the query plan, down to the physical plan (where unsupported operators surface)?
    pub(super) async fn plans(&self, sql: &str, timeout: Duration) -> std::result::Result<(), String> {
        let (df, _) = self.planned(sql, self.site.plans_physically(), timeout).await?;
        // On a warehouse, what matters is that it can be given the query.
        self.site.accepts(&df)
    }

    pub(super) async fn collect(&self, sql: &str, timeout: Duration) -> std::result::Result<Vec<RecordBatch>, String> {
        self.collect_measured(sql, timeout).await.map(|(batches, _)| batches)
    }

    /// A query that must return one number (or null).
    pub(super) async fn number(&self, sql: &str, timeout: Duration) -> std::result::Result<Option<f64>, String> {
        // A rule's own SQL on a warehouse: the server runs it as written, read-only.
        if let (Some(w), Some(statement)) = (self.site.warehouse(), crate::warehouse::rule_statement_of(sql)) {
            return w.rule_number(statement, timeout).await;
        }
        let batches = self.collect(sql, timeout).await?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let cols = batches.first().map_or(0, |b| b.num_columns());
        if rows != 1 || cols != 1 {
            return Err(format!(
                "the query must return one row with one number; it returned {rows} rows of {cols} columns"
            ));
        }
        let v = first_value(&batches, 0).ok_or("no value")?;
        if v.is_null() {
            return Ok(None);
        }
        scalar_f64(&v).map(Some).ok_or_else(|| format!("the query returned {} `{v}`, not a number", v.data_type()))
    }

    /// A separate query's number, by its form that also gathers samples (`sampled`: the number
    /// and a struct of samples) when there is one: the number and the samples. Should the
    /// sampled form fail, the plain query gives the number alone.
    pub(super) async fn number_sampled(
        &self,
        sql: &str,
        sampled: Option<&str>,
        timeout: Duration,
    ) -> (std::result::Result<Option<f64>, String>, Option<std::result::Result<ScalarValue, String>>) {
        if let Some(sampled) = sampled
            && let Ok(batches) = self.collect(sampled, timeout).await
            && let (Some(n), Some(samples)) = (first_value(&batches, 0), first_value(&batches, 1))
        {
            let number = match n.is_null() {
                true => Ok(None),
                false => scalar_f64(&n).map(Some).ok_or_else(|| format!("the query returned {n}, not a number")),
            };
            return (number, Some(Ok(samples)));
        }
        (self.number(sql, timeout).await, None)
    }

    pub(super) async fn rows(
        &self,
        sql: &str,
        timeout: Duration,
    ) -> std::result::Result<Vec<Map<String, Json>>, String> {
        let batches = self.collect(sql, timeout).await?;
        let mut out = Vec::new();
        for b in &batches {
            let schema = b.schema();
            for r in 0..b.num_rows() {
                let mut row = Map::new();
                for (c, f) in schema.fields().iter().enumerate() {
                    let v = ScalarValue::try_from_array(b.column(c), r).map(|s| scalar_json(&s)).unwrap_or(Json::Null);
                    row.insert(f.name().clone(), v);
                }
                out.push(row);
            }
        }
        Ok(out)
    }
}

/// Did a query fail for want of memory (DataFusion's "resources exhausted")?
pub(super) fn exhausted(error: &str) -> bool {
    error.contains("out of resources")
}

/// The fused scan as a plan built measure by measure. The SQL planner resolves each column of
/// `SELECT m0, …, mN FROM t` by name against the aggregate's whole output (a linear search of
/// its fields, repeated by every optimizer pass): quadratic in the number of measures, 4,000
/// SQL rules took 18 s to plan. Here each measure is parsed alone against the table, each
/// distinct aggregate in it becomes one output `a<k>` of a single aggregate, and the plan ends
/// there: what each measure computes over its aggregates (`count(x) - count(DISTINCT x)`) is
/// returned, rebuilt over those columns, for [`finish_fused`] to evaluate on the one result row.
pub(super) async fn fused_frame(
    ctx: &SessionContext,
    table: &str,
    measures: &[String],
) -> datafusion::error::Result<(DataFrame, Vec<Expr>)> {
    use datafusion::common::Column;
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::logical_expr::LogicalPlanBuilder;
    use datafusion::logical_expr::utils::find_aggregate_exprs;

    let scan = ctx.table(TableReference::bare(table)).await?;
    let mut aggregates: Vec<Expr> = Vec::new();
    let mut index: HashMap<Expr, usize> = HashMap::new();
    let mut rebased = Vec::with_capacity(measures.len());
    for m in measures {
        let expr = scan.parse_sql_expr(m)?;
        for a in find_aggregate_exprs(std::iter::once(&expr)) {
            index.entry(a.clone()).or_insert_with(|| {
                aggregates.push(a);
                aggregates.len() - 1
            });
        }
        let over = expr
            .transform_down(|e| {
                Ok(match index.get(&e) {
                    Some(k) => Transformed::yes(Expr::Column(Column::new_unqualified(format!("a{k}")))),
                    None => Transformed::no(e),
                })
            })?
            .data;
        rebased.push(over);
    }
    let named = aggregates.into_iter().enumerate().map(|(k, a)| a.alias(format!("a{k}")));
    let plan = LogicalPlanBuilder::from(scan.logical_plan().clone()).aggregate(Vec::<Expr>::new(), named)?.build()?;
    Ok((DataFrame::new(ctx.state(), plan), rebased))
}

/// The measures' values from the fused aggregate's one row: one batch, a column per measure. A
/// measure that is one aggregate is that column; any other is evaluated over a batch of only
/// the columns it names (so no lookup ever searches all of them). A measure that fails to
/// evaluate (an overflow) is an error of its own, in its column's place.
pub(super) fn finish_fused(
    ctx: &SessionContext,
    schema: &datafusion::common::DFSchema,
    measures: &[Expr],
    batches: &[RecordBatch],
) -> Vec<std::result::Result<ScalarValue, String>> {
    use datafusion::arrow::array::RecordBatchOptions;
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::DFSchema;
    use datafusion::logical_expr::utils::expr_to_columns;

    let Some(row) = batches.iter().find(|b| b.num_rows() > 0) else {
        return measures.iter().map(|_| Err("the scan returned no row".to_string())).collect();
    };
    let position =
        |name: &str| name.strip_prefix('a').and_then(|k| k.parse::<usize>().ok()).filter(|k| *k < row.num_columns());
    let state = ctx.state();
    let evaluate = |expr: &Expr| -> std::result::Result<ScalarValue, String> {
        if let Expr::Column(c) = expr
            && let Some(k) = position(&c.name)
        {
            return ScalarValue::try_from_array(row.column(k), 0).map_err(|e| explain(&e));
        }
        let mut named = std::collections::HashSet::new();
        expr_to_columns(expr, &mut named).map_err(|e| explain(&e))?;
        let mut named: Vec<usize> = named.iter().filter_map(|c| position(&c.name)).collect();
        named.sort_unstable();
        let fields: Vec<Field> =
            named.iter().map(|k| schema.field(*k).as_ref().clone().with_name(format!("a{k}"))).collect();
        let arrow = Arc::new(ArrowSchema::new(fields));
        let columns = named.iter().map(|k| row.column(*k).slice(0, 1)).collect();
        let one = RecordBatch::try_new_with_options(
            arrow.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )
        .map_err(|e| e.to_string())?;
        let dfschema = DFSchema::try_from(arrow.as_ref().clone()).map_err(|e| explain(&e))?;
        let physical = state.create_physical_expr(expr.clone(), &dfschema).map_err(|e| explain(&e))?;
        let value = physical.evaluate(&one).and_then(|v| v.into_array(1)).map_err(|e| explain(&e))?;
        ScalarValue::try_from_array(&value, 0).map_err(|e| explain(&e))
    };
    measures.iter().map(evaluate).collect()
}

pub(super) fn read_only() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

pub(super) fn humanize(d: Duration) -> String {
    if d.as_secs() >= 1 { format!("{}s", d.as_secs_f64()) } else { format!("{}ms", d.as_millis()) }
}
