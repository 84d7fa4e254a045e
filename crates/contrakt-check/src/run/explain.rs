//! What a check would run, without running it: `explain` (the plans, as SQL and DataFusion's)
//! and `emit_sql` (a warehouse's statements in its dialect).

use contrakt_core::odcs::ContractDocument;

use crate::compile::{self, How};
use crate::error::{Error, Result, explain};

use super::planning::separate_queries;
use super::sample_query::key_columns;
use super::{CheckOptions, Checker, DEFAULT_TIMEOUT, timeout_of};

impl Checker {
    pub(super) async fn explain_in(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<String> {
        let prepared = self.prepare(doc, opts).await?;
        let mut out = String::new();
        for (object, outcome) in &prepared.objects {
            let located = match outcome {
                Ok(l) => l,
                Err(e) => {
                    out.push_str(&format!("## {object}\n\nnot checked: {e}\n\n"));
                    continue;
                }
            };
            let (mut plan, idx) = self.plan_within_budget(&prepared, object, located).await;
            let key = key_columns(&prepared, object, &located.schema);
            self.fold_into_scan(&mut plan, &prepared, &idx, &key, opts).await;
            out.push_str(&format!(
                "## {object}\n\nfused scan ({} measures):\n  {}\n\n",
                plan.fused.len(),
                plan.fused_sql()
            ));
            let all: Vec<(usize, &str)> = plan.fused.iter().enumerate().map(|(i, m)| (i, m.as_str())).collect();
            match self.planned_fused(&plan.table, &all, false, timeout_of(opts)).await {
                Ok((df, _, _)) => match df.explain(false, false) {
                    Ok(df) => match df.collect().await {
                        Ok(batches) => {
                            let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                                .map(|t| t.to_string())
                                .unwrap_or_default();
                            out.push_str(&text);
                            out.push_str("\n\n");
                        }
                        Err(e) => out.push_str(&format!("cannot explain: {}\n\n", explain(&e))),
                    },
                    Err(e) => out.push_str(&format!("cannot explain: {}\n\n", explain(&e))),
                },
                Err(e) => out.push_str(&format!("the fused scan does not plan: {e}\n\n")),
            }
            // Rules known before running not to run: what `check` would report instead.
            let not_run: Vec<String> = plan
                .checks
                .iter()
                .zip(&idx)
                .filter_map(|(c, i)| {
                    let id = &prepared.expectations[*i].id;
                    match &c.how {
                        How::Error(why) => Some(format!("  {id}: refused (cannot run): {why}\n")),
                        How::Skip(why) => Some(format!("  {id}: skipped: {why}\n")),
                        _ => None,
                    }
                })
                .collect();
            if !not_run.is_empty() {
                out.push_str("not run:\n");
                out.push_str(&not_run.concat());
                out.push('\n');
            }
            out.push_str(&crate::segment::explain(&plan));
            let extra = separate_queries(&plan);
            if !extra.is_empty() {
                out.push_str("separate plans (run concurrently with the scan):\n");
                for q in extra {
                    out.push_str(&format!("  {q}\n"));
                }
                out.push('\n');
            }
        }
        Ok(out)
    }

    pub(super) async fn emit_sql_in(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<String> {
        let Some(w) = self.site.warehouse() else { return Err(Error::Internal("no warehouse".into())) };
        let prepared = self.prepare(doc, opts).await?;
        let mut out = format!(
            "-- {}: the checks of {} on server `{}`, in {} SQL\n\n",
            doc.source().name(),
            doc.contract.id,
            w.server,
            w.dialect.name()
        );
        for (object, outcome) in &prepared.objects {
            let located = match outcome {
                Ok(l) => l,
                Err(e) => {
                    out.push_str(&format!("-- {object}: not checked: {e}\n\n"));
                    continue;
                }
            };
            let (plan, _) = self.plan(&prepared, object, located);
            // As the run does: measures that do not plan are set aside.
            let (good, set_aside) = self.plannable(&plan, timeout_of(opts)).await;
            for (i, e) in set_aside {
                out.push_str(&format!("-- {object}: measure m{i} `{}` is not pushed down: {e}\n", plan.fused[i]));
            }
            let mut statements = vec![(
                format!("{object}: the fused scan ({} measures)", good.len()),
                compile::fused_sql(&plan.table, &good),
            )];
            statements
                .extend(separate_queries(&plan).into_iter().map(|q| (format!("{object}: a separate plan"), q.clone())));
            statements.extend(plan.segments.groupings.iter().map(|g| {
                (
                    format!("{object}: the segments by {} (after the scan)", g.properties.join(", ")),
                    crate::segment::grouped_sql(g, &plan),
                )
            }));
            for (label, sql) in statements {
                out.push_str(&format!("-- {label}\n"));
                match self.warehouse_sql(&sql).await {
                    Ok(s) => out.push_str(&format!("{s};\n\n")),
                    Err(e) => out.push_str(&format!("-- cannot be written in {}: {e}\n\n", w.dialect.name())),
                }
            }
        }
        Ok(out)
    }

    /// A query as the warehouse's statement.
    pub(super) async fn warehouse_sql(&self, sql: &str) -> std::result::Result<String, String> {
        if let Some(statement) = crate::warehouse::rule_statement_of(sql) {
            return Ok(statement.to_string());
        }
        let (df, _) = self.planned(sql, false, DEFAULT_TIMEOUT).await?;
        self.site.statement(&df)
    }
}
