//! Samples of a failed check that the scan could not gather: the bounded query that reads
//! them, ordered by the object's key, and the classified columns whose values are masked.

use std::collections::BTreeSet;

use datafusion::arrow::datatypes::Schema as ArrowSchema;

use contrakt_core::expect::{CheckResult, Expectation, Status};
use contrakt_core::odcs::ContractDocument;

use crate::compile::{ObjectPlan, Sample, col_expr};
use crate::conformance::resolve;
use crate::sql::ident;

use super::prepare::Prepared;

/// Classifications whose values never appear in samples unless `--unmask`.
pub(super) const MASKED: &[&str] =
    &["confidential", "restricted", "secret", "sensitive", "pii", "private", "highly-confidential"];

/// The object's primary-key columns as they appear in the data.
pub(super) fn key_columns(prepared: &Prepared, object: &str, schema: &ArrowSchema) -> Vec<String> {
    let Some(o) = prepared.ir.object(object) else { return vec![] };
    o.primary_key
        .iter()
        .filter_map(|name| o.fields.iter().find(|f| &f.name == name))
        .filter_map(|f| resolve(schema, &[f.physical_name.clone().unwrap_or_else(|| f.name.clone())]))
        .map(|c| c.path.join("."))
        .collect()
}

/// Output names of sample columns whose values are classified.
pub(super) fn masked_columns(doc: &ContractDocument, object: &str, unmask: bool) -> BTreeSet<String> {
    if unmask {
        return BTreeSet::new();
    }
    doc.contract
        .walk_properties()
        .into_iter()
        .filter(|p| p.object.name == object)
        .filter(|p| {
            p.property.classification.as_deref().is_some_and(|c| MASKED.contains(&c.to_ascii_lowercase().as_str()))
        })
        .flat_map(|p| {
            let logical = p.path.split_once('.').map(|(_, rest)| rest.to_string()).unwrap_or_default();
            let physical = p.property.physical_name.clone();
            [Some(logical), physical].into_iter().flatten()
        })
        .collect()
}

/// The sample queries of the checks that pass over all rows (`judged`, before segments) but
/// fail in some segments (`results`, after): one per worst failing segment, as (position among
/// the plan's checks, the segment's key, the query).
pub(super) fn segment_sample_queries(
    plan: &ObjectPlan,
    exps: &[&Expectation],
    results: &[CheckResult],
    judged: &[Status],
    key: &[String],
    limit: usize,
) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (j, (planned, e)) in plan.checks.iter().zip(exps).enumerate() {
        let (r, Some(s)) = (&results[j], &planned.sample) else { continue };
        if limit == 0 || judged[j] != Status::Pass || !matches!(r.status, Status::Fail | Status::Warn) {
            continue;
        }
        for (segment, within) in crate::segment::worst_filters(plan, j, r) {
            out.push((j, segment, sample_sql(&plan.table, s, key, e, limit, Some(&within))));
        }
    }
    out
}

/// The bounded query of a failed check's samples. `within`: a predicate the rows must also
/// meet (a failing segment's, when only segments fail: see [`crate::segment::worst_filters`]).
pub(super) fn sample_sql(
    table: &str,
    sample: &Sample,
    key: &[String],
    e: &Expectation,
    limit: usize,
    within: Option<&str>,
) -> String {
    let t = ident(table);
    let and_within = within.map(|w| format!(" AND ({w})")).unwrap_or_default();
    let label = e.property_path().unwrap_or_else(|| "value".into());
    let keys = |alias: Option<&str>, skip: &str| -> Vec<String> {
        key.iter()
            .filter(|k| k.as_str() != skip)
            .map(|k| format!("{} AS {}", col_expr(std::slice::from_ref(k), alias), ident(k)))
            .collect()
    };
    match sample {
        Sample::Rows { predicate, column } => {
            let mut cols = keys(None, &label);
            if let Some(c) = column {
                cols.push(format!("{c} AS {}", ident(&label)));
            }
            if cols.is_empty() {
                cols.push("*".into());
            }
            // Ordered, so the same data always shows the same samples (a top-k over the
            // failing rows only).
            let order: Vec<String> = match (key.is_empty(), column) {
                (false, _) => key.iter().map(|k| col_expr(std::slice::from_ref(k), None)).collect(),
                (true, Some(c)) => vec![c.clone()],
                (true, None) => vec![],
            };
            let order = if order.is_empty() { String::new() } else { format!(" ORDER BY {}", order.join(", ")) };
            let predicate = match within {
                Some(_) => format!("({predicate}){and_within}"),
                None => predicate.clone(),
            };
            format!("SELECT {} FROM {t} WHERE {predicate}{order} LIMIT {limit}", cols.join(", "))
        }
        Sample::Repeats { columns } => {
            let not_null = columns.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
            format!(
                "SELECT {}, count(*) AS occurrences FROM {t} WHERE {not_null}{and_within} GROUP BY {} HAVING count(*) > 1 ORDER BY occurrences DESC, {} LIMIT {limit}",
                columns.join(", "),
                columns.join(", "),
                columns.join(", ")
            )
        }
        Sample::Orphans { column, target, target_column } => {
            let mut cols = keys(Some("o"), &label);
            cols.push(format!("{column} AS {}", ident(&label)));
            // The order the scan's samples take: the orphan value, then the key.
            let order: Vec<String> = std::iter::once(column.clone())
                .chain(key.iter().filter(|k| **k != label).map(|k| col_expr(std::slice::from_ref(k), Some("o"))))
                .collect();
            format!(
                "SELECT {} FROM {t} o WHERE {column} IS NOT NULL{and_within} AND NOT EXISTS (SELECT 1 FROM {} r WHERE {target_column} = {column}) ORDER BY {} LIMIT {limit}",
                cols.join(", "),
                ident(target),
                order.join(", ")
            )
        }
    }
}
