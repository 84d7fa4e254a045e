//! Segmented checks (`contraktSegments`): each check of a segmented rule is measured per value
//! of its segment columns and judged per segment.
//!
//! How it runs, and why so:
//! - The fused scan gains one measure per set of segment columns, the number of distinct
//!   segments (`approx_distinct`, a HyperLogLog sketch of fixed size, so a near-key column
//!   costs no memory; `count(DISTINCT …)` on a warehouse, which holds its own memory).
//! - When that count is within [`MAX_SEGMENTS`], one grouped aggregate over the same table
//!   (`SELECT s, count(*), <the rules' measures> … GROUP BY s`) measures every segment of every
//!   rule that shares those columns: one more scan, never one query per segment. Grouping sets
//!   on the fused scan itself (`GROUPING SETS ((), (s))`) would read the data once, but
//!   DataFusion evaluates every aggregate of the scan for each grouping set, so all the
//!   object's measures (dozens, with `count(DISTINCT …)` among them) would be computed per
//!   segment, where the grouped aggregate computes only the segmented rules' few. It also
//!   leaves the fused scan's plan as it is (its shape is tuned apart, see `run.rs`).
//! - Above the limit the rule is an `error` naming the column and the count: not a run that
//!   builds a million groups, not a silently global check.
//!
//! Each segment is judged with the same code that judges the whole object (`judge::judge`), over
//! the segment's row of the grouped aggregate, so thresholds and units read the same.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType as Arrow, Schema as ArrowSchema};
use datafusion::common::ScalarValue;
use serde_json::{Map, Value as Json};

use contrakt_core::expect::segment::{MAX_SEGMENTS, SEGMENTS_PROPERTY, WORST_SEGMENTS};
use contrakt_core::expect::{CheckResult, Expectation, SegmentResult, Segmented, Status, Threshold};
use contrakt_core::odcs::ContractDocument;

use crate::compile::{How, ObjectPlan, Part, col_expr};
use crate::conformance::resolve;

pub use crate::compile::{Grouping, Segmenting};

/// Adds the segment groupings of an object's checks to its plan: the distinct-segment counts
/// join the fused scan, the groupings are kept in `plan.segments`. `warehouse`: the plan runs
/// on a warehouse, which is given `count(DISTINCT …)` rather than a sketch it may not have.
pub fn add_groupings(plan: &mut ObjectPlan, schema: &ArrowSchema, exps: &[&Expectation], warehouse: bool) {
    let mut refused = Vec::new();
    for (at, e) in exps.iter().enumerate() {
        let Some(segments) = &e.segments else { continue };
        let measures: Vec<usize> = match &plan.checks[at].how {
            // Known before running (skipped, unusable, holding by type): nothing per segment.
            How::Skip(_) | How::Error(_) | How::Holds(_) | How::Apart => continue,
            How::Count(parts) if parts.iter().any(|p| matches!(p, Part::Query(_))) => {
                refused.push((at, query_of_its_own()));
                continue;
            }
            How::Number(Part::Query(_)) => {
                refused.push((at, query_of_its_own()));
                continue;
            }
            How::Count(parts) => {
                parts.iter().filter_map(|p| if let Part::Fused(i) = p { Some(*i) } else { None }).collect()
            }
            How::Number(Part::Fused(i)) => vec![*i],
            How::Age { measure, .. } => vec![*measure],
        };
        let mut exprs = Vec::new();
        let mut types = Vec::new();
        for c in &segments.columns {
            match resolve(schema, std::slice::from_ref(c)) {
                Some(col) => {
                    exprs.push(col_expr(&col.path, None));
                    types.push(col.data_type.clone());
                }
                None => {
                    exprs.clear();
                    refused.push((at, format!("the segment column `{c}` is missing from the data")));
                    break;
                }
            }
        }
        if exprs.len() != segments.columns.len() {
            continue;
        }
        let k = match plan.segments.groupings.iter().position(|g| g.exprs == exprs) {
            Some(k) => k,
            None => {
                let cardinality = plan.measure(distinct_segments(&exprs, &types, warehouse));
                plan.segments.groupings.push(Grouping {
                    properties: segments.properties.clone(),
                    exprs,
                    cardinality,
                    measures: vec![0],
                    checks: Vec::new(),
                });
                plan.segments.groupings.len() - 1
            }
        };
        let g = &mut plan.segments.groupings[k];
        for m in measures {
            if !g.measures.contains(&m) {
                g.measures.push(m);
            }
        }
        g.checks.push(at);
    }
    plan.segments.refused = refused;
}

/// A grouping's query, measuring plain counts: where the scan gathers samples, its measure is a
/// sampling aggregate (`get_field(contrakt_failing(…), 'n')`), which per segment would keep k
/// rows in every group to read one number.
pub(crate) fn grouped_sql(g: &Grouping, plan: &ObjectPlan) -> String {
    let plain = ObjectPlan {
        table: plan.table.clone(),
        fused: plan.fused.iter().map(|m| crate::samples::unsampled(m).into_owned()).collect(),
        ..ObjectPlan::default()
    };
    g.sql(&plain)
}

fn query_of_its_own() -> String {
    "this check is measured by a query of its own (a composite key, a reference, or SQL that is not one aggregate over the object), which is not measured per segment: drop `contraktSegments` from it, or write it as one aggregate".into()
}

/// The number of distinct segments, as a measure of the fused scan.
fn distinct_segments(exprs: &[String], types: &[Arrow], warehouse: bool) -> String {
    let sketchable = |t: &Arrow| t.is_integer() || matches!(t, Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View);
    let key = match (exprs, types) {
        ([one], [t]) if warehouse || sketchable(t) => one.clone(),
        _ => format!(
            "concat_ws('|', {})",
            exprs.iter().map(|x| format!("CAST({x} AS VARCHAR)")).collect::<Vec<_>>().join(", ")
        ),
    };
    if warehouse { format!("count(DISTINCT {key})") } else { format!("approx_distinct({key})") }
}

/// The refusal of a grouping whose segments are more than the limit, or `None`.
pub fn over_limit(g: &Grouping, fused: &[Result<ScalarValue, String>]) -> Option<String> {
    let n = fused.get(g.cardinality)?.as_ref().ok().and_then(crate::judge::scalar_f64)?;
    // The sketch counts no null; a null segment is one more.
    (n as usize > MAX_SEGMENTS).then(|| too_many(g, format!("about {}", n as u64)))
}

fn too_many(g: &Grouping, count: String) -> String {
    format!(
        "`{SEGMENTS_PROPERTY}: [{}]` makes {count} segments, more than the {MAX_SEGMENTS} a check is measured over: segment by a column with fewer values (a country, a channel), or check that column's values with a rule of its own",
        g.properties.join(", ")
    )
}

/// Judges the checks of a grouping per segment, from the grouped aggregate's rows, and folds the
/// segments into each check's result (`results[at]`, by position in the plan's checks).
#[allow(clippy::too_many_arguments)]
pub fn judge(
    doc: &ContractDocument,
    g: &Grouping,
    plan: &ObjectPlan,
    exps: &[&Expectation],
    batches: &[RecordBatch],
    results: &mut [CheckResult],
    now: DateTime<Utc>,
) {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if rows > MAX_SEGMENTS {
        let why = too_many(g, format!("more than {MAX_SEGMENTS}"));
        for at in &g.checks {
            refuse(&mut results[*at], why.clone());
        }
        return;
    }
    let mut per_check: HashMap<usize, Vec<SegmentResult>> = HashMap::new();
    let none = HashMap::new();
    for b in batches {
        for row in 0..b.num_rows() {
            let mut values = Map::new();
            let mut label = Vec::new();
            for (k, p) in g.properties.iter().enumerate() {
                let v = ScalarValue::try_from_array(b.column(k), row).unwrap_or(ScalarValue::Null);
                label.push(format!("{p}={}", if v.is_null() { "(null)".to_string() } else { plain(&v) }));
                values.insert(p.clone(), crate::judge::scalar_json(&v));
            }
            let mut fused: Vec<Result<ScalarValue, String>> =
                vec![Err("not measured per segment".to_string()); plan.fused.len()];
            for (j, m) in g.measures.iter().enumerate() {
                let column = b.column(g.exprs.len() + j);
                fused[*m] = ScalarValue::try_from_array(column, row).map_err(|e| e.to_string());
            }
            let n = fused[0].as_ref().ok().and_then(crate::judge::scalar_f64).unwrap_or(0.0) as u64;
            for at in &g.checks {
                let r = crate::judge::judge(doc, exps[*at], &plan.checks[*at].how, &fused, &none, Some(n), now);
                per_check.entry(*at).or_default().push(SegmentResult {
                    segment: label.join("/"),
                    values: values.clone(),
                    status: r.status,
                    value: r.value,
                    failed_rows: r.failed_rows,
                    total_rows: n,
                });
            }
        }
    }
    for at in &g.checks {
        let all = per_check.remove(at).unwrap_or_default();
        fold(&mut results[*at], &g.properties, &exps[*at].threshold, all);
    }
}

/// The worst failing segments of a check (`at`, by position in the plan's checks), each as its
/// key (`country=FR`) and a predicate selecting its rows: where the failing-row samples of a
/// check that fails only per segment are looked for. A segment whose value SQL cannot write
/// back as a literal (a struct) is left out.
pub fn worst_filters(plan: &ObjectPlan, at: usize, r: &CheckResult) -> Vec<(String, String)> {
    let (Some(g), Some(s)) = (plan.segments.groupings.iter().find(|g| g.checks.contains(&at)), &r.segments) else {
        return Vec::new();
    };
    let literal = |x: &str, v: Option<&Json>| match v {
        None | Some(Json::Null) => Some(format!("{x} IS NULL")),
        Some(Json::String(v)) => Some(format!("{x} = {}", crate::sql::string(v))),
        Some(v @ (Json::Number(_) | Json::Bool(_))) => Some(format!("{x} = {v}")),
        Some(_) => None,
    };
    s.worst
        .iter()
        .filter(|w| matches!(w.status, Status::Fail | Status::Warn))
        .filter_map(|w| {
            let conditions: Option<Vec<String>> =
                g.exprs.iter().zip(&g.properties).map(|(x, p)| literal(x, w.values.get(p))).collect();
            Some((w.segment.clone(), conditions?.join(" AND ")))
        })
        .collect()
}

/// A segmented check refused (too many segments, a query of its own): an error naming why.
pub fn refuse(r: &mut CheckResult, why: String) {
    r.status = Status::Error;
    r.message = why;
}

/// Folds a check's segments into its result: it fails (or warns) when a segment does, and its
/// message names the worst failing segments. With no segment (no rows) the verdict over all
/// rows stands.
pub fn fold(r: &mut CheckResult, by: &[String], threshold: &Threshold, mut all: Vec<SegmentResult>) {
    all.sort_by(|a, b| a.segment.cmp(&b.segment));
    let mut failing: Vec<&SegmentResult> =
        all.iter().filter(|s| matches!(s.status, Status::Fail | Status::Warn | Status::Error)).collect();
    // Worst first: errors, then failures, then warnings; within each, the furthest from the
    // threshold; then by name, so the order is stable.
    let miss = |s: &SegmentResult| s.value.map_or(f64::INFINITY, |v| distance(threshold, v));
    failing.sort_by(|a, b| {
        rank(b.status).cmp(&rank(a.status)).then(miss(b).total_cmp(&miss(a))).then(a.segment.cmp(&b.segment))
    });
    let worst: Vec<SegmentResult> = failing.iter().take(WORST_SEGMENTS).map(|s| (*s).clone()).collect();
    let segmented = Segmented {
        by: by.to_vec(),
        total: all.len(),
        failing: failing.len(),
        more_failing: failing.len().saturating_sub(worst.len()),
        worst,
        all: Vec::new(),
    };
    if !all.is_empty() && matches!(r.status, Status::Pass | Status::Fail | Status::Warn) {
        let unit = match r.unit.as_deref() {
            Some("percent") => "%",
            Some("rows") => " rows",
            _ => "",
        };
        if segmented.failing == 0 {
            r.status = Status::Pass;
            r.message = format!("{}; all {} segments by {} pass", r.message, segmented.total, by.join(", "));
        } else {
            r.status = failing.iter().map(|s| s.status).max().unwrap_or(Status::Fail);
            let named: Vec<String> = segmented
                .worst
                .iter()
                .map(|s| match s.value {
                    Some(v) => format!("{} ({}{unit})", s.segment, contrakt_core::expect::threshold::format_number(v)),
                    None => format!("{} (not measured)", s.segment),
                })
                .collect();
            let more = match segmented.more_failing {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            r.message = format!(
                "{} of {} segments by {} fail (the contract says {} for each): {}{more} (over all rows: {})",
                segmented.failing,
                segmented.total,
                by.join(", "),
                threshold.short(),
                named.join(", "),
                r.message
            );
        }
    }
    r.segments = Some(Segmented { all, ..segmented });
}

fn rank(s: Status) -> u8 {
    match s {
        Status::Error => 3,
        Status::Fail => 2,
        Status::Warn => 1,
        _ => 0,
    }
}

/// How far `v` lies from the nearest value of the threshold.
fn distance(t: &Threshold, v: f64) -> f64 {
    t.values.iter().map(|b| (v - b).abs()).fold(f64::INFINITY, f64::min)
}

/// A segment value as it reads in a label: text without quotes.
fn plain(v: &ScalarValue) -> String {
    match crate::judge::scalar_json(v) {
        Json::String(s) => s,
        other => other.to_string(),
    }
}

/// What `--explain` says of an object's segmented checks: each grouped aggregate, and the
/// checks it serves.
pub fn explain(plan: &ObjectPlan) -> String {
    let mut out = String::new();
    for g in &plan.segments.groupings {
        out.push_str(&format!(
            "segments by {} (after the scan, when measure m{} counts at most {MAX_SEGMENTS}; {} checks):\n  {}\n\n",
            g.properties.join(", "),
            g.cardinality,
            g.checks.len(),
            grouped_sql(g, plan)
        ));
    }
    out
}

/// Runs every grouping of a plan (after its fused scan) and folds the segments into the results
/// of its checks. `collect` runs one query (within the run's timeout).
#[allow(clippy::too_many_arguments)]
pub async fn run<F, Fut>(
    doc: &ContractDocument,
    plan: &ObjectPlan,
    exps: &[&Expectation],
    fused: &[Result<ScalarValue, String>],
    results: &mut [CheckResult],
    now: DateTime<Utc>,
    collect: F,
) where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<RecordBatch>, String>>,
{
    for (at, why) in &plan.segments.refused {
        if matches!(results[*at].status, Status::Pass | Status::Fail | Status::Warn) {
            refuse(&mut results[*at], why.clone());
        }
    }
    for g in &plan.segments.groupings {
        let why = match fused.get(g.cardinality) {
            Some(Err(e)) => Some(format!("the segments could not be counted: {e}")),
            _ => over_limit(g, fused),
        };
        if let Some(why) = why {
            for at in &g.checks {
                refuse(&mut results[*at], why.clone());
            }
            continue;
        }
        match collect(grouped_sql(g, plan)).await {
            Ok(batches) => judge(doc, g, plan, exps, &batches, results, now),
            Err(e) => {
                for at in &g.checks {
                    refuse(
                        &mut results[*at],
                        format!("the segments by {} were not measured: {e}", g.properties.join(", ")),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contrakt_core::odcs::Operator;

    fn seg(name: &str, status: Status, value: f64) -> SegmentResult {
        SegmentResult {
            segment: format!("country={name}"),
            values: Map::new(),
            status,
            value: Some(value),
            failed_rows: Some(value as u64),
            total_rows: 10,
        }
    }

    fn result(status: Status) -> CheckResult {
        let mut r = CheckResult::new(
            "orders.x".into(),
            &contrakt_core::expect::registry::ROW_COUNT,
            "orders",
            status,
            contrakt_core::Level::Error,
        );
        r.unit = Some("rows".into());
        r.message = "120 rows".into();
        r
    }

    #[test]
    fn a_failing_segment_fails_the_check_and_the_worst_are_named_first() {
        let t = Threshold::new(Operator::MustBeGreaterThan, vec![10.0]);
        let mut all: Vec<SegmentResult> = (0..8).map(|i| seg(&format!("C{i}"), Status::Fail, i as f64)).collect();
        all.push(seg("GB", Status::Pass, 50.0));
        all.push(seg("FR", Status::Warn, 0.0));
        let mut r = result(Status::Pass);
        fold(&mut r, &["country".into()], &t, all);
        assert_eq!(r.status, Status::Fail, "a failing segment fails a passing global check");
        let s = r.segments.as_ref().unwrap();
        assert_eq!((s.total, s.failing, s.worst.len(), s.more_failing), (10, 9, WORST_SEGMENTS, 4));
        let names: Vec<&str> = s.worst.iter().map(|w| w.segment.as_str()).collect();
        // Failures before warnings; the furthest below 10 first.
        assert_eq!(names, ["country=C0", "country=C1", "country=C2", "country=C3", "country=C4"]);
        assert_eq!(s.all.len(), 10);
        assert!(
            r.message
                .starts_with("9 of 10 segments by country fail (the contract says > 10 for each): country=C0 (0 rows)"),
            "{}",
            r.message
        );
        assert!(r.message.contains("country=C0 (0 rows)") && r.message.contains("and 4 more"), "{}", r.message);
    }

    #[test]
    fn passing_segments_pass_and_no_segment_keeps_the_global_verdict() {
        let t = Threshold::new(Operator::MustBeGreaterThan, vec![0.0]);
        let mut r = result(Status::Fail);
        fold(&mut r, &["country".into()], &t, vec![seg("FR", Status::Pass, 3.0), seg("DE", Status::Pass, 4.0)]);
        assert_eq!(r.status, Status::Pass);
        assert!(r.message.ends_with("all 2 segments by country pass"), "{}", r.message);
        let mut r = result(Status::Fail);
        fold(&mut r, &["country".into()], &t, vec![]);
        assert_eq!(r.status, Status::Fail);
        let mut r = result(Status::Error);
        fold(&mut r, &["country".into()], &t, vec![seg("FR", Status::Fail, 0.0)]);
        assert_eq!(r.status, Status::Error, "a check that could not run stays an error");
    }

    proptest::proptest! {
        /// Whatever the segments: the check fails exactly when one does, with the failing ones
        /// counted whole, at most 5 named (the worst first, never a passing one), and every
        /// segment kept for the history.
        #[test]
        fn folding_names_the_worst_and_counts_the_rest(
            segments in proptest::collection::vec((0u8..3, 0u32..100), 0..40),
        ) {
            let statuses = [Status::Pass, Status::Warn, Status::Fail];
            let all: Vec<SegmentResult> = segments
                .iter()
                .enumerate()
                .map(|(i, (s, v))| seg(&format!("S{i:02}"), statuses[*s as usize], f64::from(*v)))
                .collect();
            let t = Threshold::new(Operator::MustBeGreaterThan, vec![50.0]);
            let mut r = result(Status::Pass);
            fold(&mut r, &["country".into()], &t, all.clone());
            let failing = all.iter().filter(|s| s.status != Status::Pass).count();
            let s = r.segments.as_ref().unwrap();
            proptest::prop_assert_eq!(s.total, all.len());
            proptest::prop_assert_eq!(s.failing, failing);
            proptest::prop_assert_eq!(s.worst.len(), failing.min(WORST_SEGMENTS));
            proptest::prop_assert_eq!(s.worst.len() + s.more_failing, failing);
            proptest::prop_assert_eq!(s.all.len(), all.len());
            proptest::prop_assert!(s.worst.iter().all(|w| w.status != Status::Pass));
            for w in s.worst.windows(2) {
                let key = |x: &SegmentResult| (rank(x.status), (x.value.unwrap() - 50.0).abs());
                proptest::prop_assert!(key(&w[0]) >= key(&w[1]), "{:?} before {:?}", w[0], w[1]);
            }
            let expected = match (all.is_empty(), all.iter().map(|s| s.status).max()) {
                (true, _) => Status::Pass,
                (false, Some(worst)) => worst,
                (false, None) => unreachable!(),
            };
            proptest::prop_assert_eq!(r.status, expected);
        }
    }

    #[test]
    fn the_worst_failing_segments_filter_their_own_rows() {
        let mut plan = ObjectPlan::default();
        plan.segments.groupings.push(Grouping {
            properties: vec!["country".into(), "channel".into()],
            exprs: vec!["\"country\"".into(), "\"ch\"".into()],
            cardinality: 1,
            measures: vec![0],
            checks: vec![2],
        });
        let values = |c: Json, ch: Json| Map::from_iter([("country".to_string(), c), ("channel".to_string(), ch)]);
        let mut r = result(Status::Fail);
        r.segments = Some(Segmented {
            by: vec!["country".into(), "channel".into()],
            total: 4,
            failing: 3,
            worst: vec![
                SegmentResult { values: values(Json::from("O'Hare"), Json::from(3)), ..seg("a", Status::Fail, 1.0) },
                SegmentResult { values: values(Json::Null, Json::from(true)), ..seg("b", Status::Warn, 2.0) },
                SegmentResult { values: values(Json::from("FR"), Json::from(1)), ..seg("c", Status::Error, 0.0) },
            ],
            more_failing: 0,
            all: Vec::new(),
        });
        let filters = worst_filters(&plan, 2, &r);
        assert_eq!(
            filters,
            [
                ("country=a".to_string(), "\"country\" = 'O''Hare' AND \"ch\" = 3".to_string()),
                ("country=b".to_string(), "\"country\" IS NULL AND \"ch\" = true".to_string()),
            ],
            "errors are not sampled; quotes are escaped"
        );
        assert!(worst_filters(&plan, 0, &r).is_empty(), "a check of no grouping");
    }

    #[test]
    fn distinct_segments_use_a_sketch_here_and_an_exact_count_on_a_warehouse() {
        assert_eq!(distinct_segments(&["\"c\"".into()], &[Arrow::Utf8], false), "approx_distinct(\"c\")");
        assert_eq!(distinct_segments(&["\"c\"".into()], &[Arrow::Boolean], true), "count(DISTINCT \"c\")");
        assert_eq!(
            distinct_segments(&["\"a\"".into(), "\"b\"".into()], &[Arrow::Utf8, Arrow::Int32], false),
            "approx_distinct(concat_ws('|', CAST(\"a\" AS VARCHAR), CAST(\"b\" AS VARCHAR)))"
        );
    }
}
