//! An object's plan: its checks compiled against its data, exact uniqueness in the fused scan
//! or as a grouping that spills, and what the scan also measures and samples where it can.

use std::collections::{BTreeSet, HashMap};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::TableReference;

use contrakt_core::expect::Expectation;

use crate::compile::{self, How, ObjectPlan, Part, Sample, col_expr};
use crate::conformance;
use crate::samples::{self, InScan};

use super::prepare::{Located, Prepared};
use super::{CheckOptions, Checker, timeout_of};

/// The queries of a plan that run apart from the fused scan.
pub(super) fn separate_queries(plan: &ObjectPlan) -> Vec<&String> {
    plan.checks
        .iter()
        .flat_map(|c| match &c.how {
            How::Count(parts) => parts.iter().collect::<Vec<_>>(),
            How::Number(p) => vec![p],
            _ => vec![],
        })
        .filter_map(|p| match p {
            Part::Query(q) => Some(q),
            Part::Fused(_) => None,
        })
        .collect()
}

/// The columns whose exact uniqueness `plan` counts, by name; a uniqueness of several columns
/// or of a nested field as its expression, which names no column.
fn unique_columns(plan: &ObjectPlan) -> Vec<String> {
    plan.checks
        .iter()
        .filter_map(|c| match &c.sample {
            Some(Sample::Repeats { columns }) => Some(match columns.as_slice() {
                [one] => samples::plain_name(one).unwrap_or_else(|| one.clone()),
                many => many.join(", "),
            }),
            _ => None,
        })
        .collect()
}

impl Checker {
    pub(super) fn plan(&self, prepared: &Prepared, object: &str, located: &Located) -> (ObjectPlan, Vec<usize>) {
        self.plan_grouped(prepared, object, located, self.memory_limit.is_some())
    }

    /// The object's plan within the memory budget: exact uniqueness in the fused scan, or as a
    /// grouping of its own when [`Checker::grouped_uniqueness`] says its sets would not fit
    /// (only then is the object compiled a second time).
    pub(super) async fn plan_within_budget(
        &self,
        prepared: &Prepared,
        object: &str,
        located: &Located,
    ) -> (ObjectPlan, Vec<usize>) {
        let (plan, idx) = self.plan_grouped(prepared, object, located, false);
        if self.grouped_uniqueness(&located.table, &unique_columns(&plan)).await {
            return self.plan_grouped(prepared, object, located, true);
        }
        (plan, idx)
    }

    /// The object's plan; exact uniqueness as a grouping of its own when `grouped`.
    pub(super) fn plan_grouped(
        &self,
        prepared: &Prepared,
        object: &str,
        located: &Located,
        grouped: bool,
    ) -> (ObjectPlan, Vec<usize>) {
        let idx: Vec<usize> =
            prepared.expectations.iter().enumerate().filter(|(_, e)| e.object == object).map(|(i, _)| i).collect();
        let exps: Vec<&Expectation> = idx.iter().map(|i| &prepared.expectations[*i]).collect();
        let grouped_uniqueness = grouped && self.site.spills();
        let mut plan = compile::compile(
            &located.table,
            &located.schema,
            &exps,
            &prepared.tables,
            grouped_uniqueness,
            self.site.warehouse().map(|w| &**w),
        );
        if let Some(ir_object) = prepared.ir.object(object) {
            let columns: Vec<(String, Vec<String>)> = conformance::walk(ir_object)
                .into_iter()
                .map(|(names, physical, _)| (names.join("."), physical))
                .collect();
            compile::add_column_stats(&mut plan, &located.schema, &columns);
        }
        crate::segment::add_groupings(&mut plan, &located.schema, &exps, !self.site.has_sketches());
        (plan, idx)
    }
}

impl Checker {
    /// Should exact uniqueness run as a grouping that spills, rather than as a set of distinct
    /// values in the fused scan? Under `--memory-limit`, always; otherwise when the data's
    /// statistics say the sets of `unique` (the columns whose uniqueness the scan would count)
    /// would outgrow the memory budget ([`crate::memory`]). An integer column whose minimum and
    /// maximum are known and close (a surrogate key) is counted by a bitmap of that range
    /// ([`crate::intset`]); any other by its row count.
    async fn grouped_uniqueness(&self, table: &str, unique: &[String]) -> bool {
        use datafusion::execution::memory_pool::MemoryLimit;
        if self.memory_limit.is_some() {
            return true;
        }
        if !self.site.folds_into_scan() || unique.is_empty() {
            return false;
        }
        let MemoryLimit::Finite(budget) = self.ctx.runtime_env().memory_pool.memory_limit() else { return false };
        let Ok(df) = self.ctx.table(TableReference::bare(table)).await else { return false };
        let Ok(scan) = df.create_physical_plan().await else { return false };
        use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
        let Ok(stats) = StatisticsContext::new().compute(scan.as_ref(), &StatisticsArgs::new()) else { return false };
        let Some(rows) = stats.num_rows.get_value().copied() else { return false };
        let schema = scan.schema();
        // Each partition holds a set, and the final merge one more.
        let copies = self.ctx.state().config().target_partitions() + 1;
        let bytes: usize = unique
            .iter()
            .map(|c| {
                let span = schema.index_of(c).ok().and_then(|i| {
                    let s = stats.column_statistics.get(i)?;
                    let as_i64 = |v: &datafusion::common::ScalarValue| match v.cast_to(&DataType::Int64).ok()? {
                        datafusion::common::ScalarValue::Int64(Some(x)) => Some(x),
                        _ => None,
                    };
                    if !schema.field(i).data_type().is_integer() {
                        return None;
                    }
                    let (lo, hi) = (as_i64(s.min_value.get_value()?)?, as_i64(s.max_value.get_value()?)?);
                    Some((hi as i128 - lo as i128 + 1).max(0) as u128)
                });
                match span {
                    Some(span) if span <= crate::intset::BITS_PER_VALUE * rows.max(1) as u128 => {
                        usize::try_from(span / 8 + 64).unwrap_or(usize::MAX).saturating_mul(copies)
                    }
                    _ => rows.saturating_mul(crate::memory::BYTES_PER_DISTINCT),
                }
            })
            .fold(0usize, usize::saturating_add);
        bytes > budget
    }

    /// Makes the fused scan measure and sample what it can on the embedded engine: references
    /// become set lookups in the scan ([`crate::references`]), and, when samples are asked
    /// for, failing rows are gathered by the scan ([`samples`]). Per check of `plan`, where its
    /// samples will be.
    pub(super) async fn fold_into_scan(
        &self,
        plan: &mut ObjectPlan,
        prepared: &Prepared,
        idx: &[usize],
        key: &[String],
        opts: &CheckOptions,
    ) -> Vec<Option<InScan>> {
        if !self.site.folds_into_scan() {
            return vec![None; plan.checks.len()];
        }
        let mut exprs: BTreeSet<String> = key.iter().map(|k| col_expr(std::slice::from_ref(k), None)).collect();
        for c in &plan.checks {
            match &c.sample {
                Some(Sample::Rows { column: Some(c), .. }) => {
                    exprs.insert(c.clone());
                }
                Some(Sample::Repeats { columns }) => exprs.extend(columns.iter().cloned()),
                Some(Sample::Orphans { column, .. }) => {
                    exprs.insert(column.strip_prefix("o.").unwrap_or(column).to_string());
                }
                _ => {}
            }
        }
        let mut types = HashMap::new();
        if let Ok(df) = self.ctx.table(TableReference::bare(plan.table.as_str())).await {
            use datafusion::logical_expr::ExprSchemable;
            for x in exprs {
                if let Ok(t) = df.parse_sql_expr(&x).and_then(|e| e.get_type(df.schema())) {
                    types.insert(x, t);
                }
            }
        }
        crate::references::fold_into_scan(&self.ctx, plan, &types, timeout_of(opts)).await;
        let labels: Vec<String> =
            idx.iter().map(|i| prepared.expectations[*i].property_path().unwrap_or_else(|| "value".into())).collect();
        samples::gather_in_scan(plan, &labels, key, opts.sample, &types)
    }
}

/// The form of separate query `q` that also gathers samples, if there is one.
pub(super) fn sampled_form<'a>(in_scan: &'a [Option<InScan>], q: &str) -> Option<&'a str> {
    in_scan.iter().flatten().find_map(|place| match place {
        InScan::Query { query, sampled, .. } if query == q => Some(sampled.as_str()),
        _ => None,
    })
}
