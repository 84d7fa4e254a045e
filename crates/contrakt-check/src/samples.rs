//! Failing-row samples gathered by the fused scan itself, instead of an ordered query per failed
//! check after it: a failing run then reads the data once, as a passing one does.
//!
//! Two aggregates do it, each taking the place of the count it samples for:
//! - `contrakt_failing(k, c1, …, cn) FILTER (WHERE p)` counts the rows matching `p` (the
//!   check's predicate, evaluated once for the count and the samples) and keeps the first `k`
//!   of them in the total order of `(c1, …, cn)` ascending, nulls last: the order the separate
//!   sample query had (`ORDER BY` the key, then the column), made total so that ties cannot
//!   pick different rows from run to run.
//! - `contrakt_repeats(k, c)` is exact single-column uniqueness: the distinct values (the set
//!   `count(DISTINCT c)` held), the rows in excess of one per value, and the `k` values
//!   repeated most often (ties by value), as the `GROUP BY … HAVING count(*) > 1` query chose
//!   them. Integer and text columns only; other types keep the query.
//!
//! Both are ordinary DataFusion aggregates: their state merges across partitions, and their
//! size is reported to the memory pool. Checks whose samples need another relation (the
//! orphans of a reference: an anti-join) or a grouping over several columns keep their
//! targeted query, run only when the check fails.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray, StructArray, new_empty_array};
use datafusion::arrow::compute::{SortColumn, SortOptions, cast, lexsort_to_indices, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type};
use datafusion::arrow::row::{OwnedRow, RowConverter, SortField};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{HashSet, Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;
use datafusion::prelude::SessionContext;
use serde_json::{Map, Value as Json};

use crate::compile::{How, ObjectPlan, Part, Sample};
use crate::intset::IntSet;

pub(crate) const FAILING: &str = "contrakt_failing";
pub(crate) const REPEATS: &str = "contrakt_repeats";

/// Adds the two sampling aggregates to a session.
pub(crate) fn register(ctx: &SessionContext) {
    ctx.register_udaf(AggregateUDF::new_from_impl(Failing::new()));
    ctx.register_udaf(AggregateUDF::new_from_impl(Repeats::new()));
}

/// Where a check's samples are once the fused scan has run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InScan {
    /// The rows kept by the `contrakt_failing` aggregate of fused measure `measure`: each shown
    /// name with the position of its value among the aggregate's columns.
    Rows { measure: usize, names: Vec<(String, usize)> },
    /// The repeated values kept by the `contrakt_repeats` aggregate of fused measure `measure`,
    /// shown as `name` beside `occurrences`.
    Repeats { measure: usize, name: String },
    /// A check measured by a query of its own (`query`, one number) is measured by `sampled`
    /// instead: the same number, and beside it a `contrakt_failing` struct whose rows show as
    /// `names` (as in [`InScan::Rows`]).
    Query { query: String, sampled: String, names: Vec<(String, usize)> },
}

/// Rewrites `plan` so that its fused scan gathers up to `k` samples for every check it can:
/// the count a check reads becomes a field of the sampling aggregate, and the aggregate itself
/// is a measure of its own. `labels[i]` is how check `i` names its offending column, `key` the
/// object's primary-key columns (as the separate sample queries showed them), `types` the
/// Arrow type of each column expression (a check whose columns are not all there, or cannot be
/// ordered, keeps its query). Returns, per check, where its samples are.
pub(crate) fn gather_in_scan(
    plan: &mut ObjectPlan,
    labels: &[String],
    key: &[String],
    k: usize,
    types: &HashMap<String, DataType>,
) -> Vec<Option<InScan>> {
    let mut out = vec![None; plan.checks.len()];
    let orderable = |c: &String| {
        types.get(c).is_some_and(|t| {
            RowConverter::supports_fields(&[SortField::new(t.clone())])
                && !matches!(t, DataType::Null | DataType::Float16)
        })
    };
    for (i, label) in labels.iter().enumerate().take(plan.checks.len()) {
        let (how, sample) = (plan.checks[i].how.clone(), plan.checks[i].sample.clone());
        // Without samples only uniqueness is rewritten: `contrakt_repeats` counts integers
        // faster than `count(DISTINCT)` ([`crate::intset`]), samples or not.
        if k == 0 && (!matches!(sample, Some(Sample::Repeats { .. })) || plan.grouped_uniqueness) {
            continue;
        }
        match (how, sample) {
            (How::Count(parts), Some(Sample::Rows { predicate, column: Some(c) })) => {
                let [Part::Fused(m)] = parts.as_slice() else { continue };
                let keys: Vec<String> =
                    key.iter().map(|k| crate::compile::col_expr(std::slice::from_ref(k), None)).collect();
                // The order the sample query had: the key, else the column; the column last
                // among the key's columns breaks their ties.
                let mut args = keys.clone();
                if !args.contains(&c) {
                    args.push(c.clone());
                }
                if !args.iter().all(orderable) {
                    continue;
                }
                let agg = format!("{FAILING}({k}, {}) FILTER (WHERE {predicate})", args.join(", "));
                let count = format!("get_field({agg}, 'n')");
                let plain = format!("count(*) FILTER (WHERE {predicate})");
                if plan.fused[*m] != plain && plan.fused[*m] != count {
                    continue;
                }
                plan.fused[*m] = count;
                let measure = measure(plan, agg);
                let position = |x: &String| args.iter().position(|a| a == x).unwrap_or(0);
                let mut names: Vec<(String, usize)> =
                    key.iter().zip(&keys).filter(|(k, _)| *k != label).map(|(k, x)| (k.clone(), position(x))).collect();
                names.push((label.clone(), position(&c)));
                out[i] = Some(InScan::Rows { measure, names });
            }
            (How::Count(parts), Some(Sample::Orphans { column, .. }))
                if matches!(parts.as_slice(), [Part::Fused(_)]) =>
            {
                // A reference folded into the scan ([`crate::references`]): its orphans are
                // rows failing a predicate, kept by the value, then the key.
                let [Part::Fused(m)] = parts.as_slice() else { continue };
                let Some(predicate) = crate::references::fused_predicate(&plan.fused[*m]).map(str::to_string) else {
                    continue;
                };
                let c = column.strip_prefix("o.").unwrap_or(&column).to_string();
                let keys: Vec<String> =
                    key.iter().map(|k| crate::compile::col_expr(std::slice::from_ref(k), None)).collect();
                let mut args = vec![c.clone()];
                args.extend(keys.iter().filter(|x| **x != c).cloned());
                if !args.iter().all(orderable) {
                    continue;
                }
                let agg = format!("{FAILING}({k}, {}) FILTER (WHERE {predicate})", args.join(", "));
                plan.fused[*m] = format!("get_field({agg}, 'n')");
                let measure = measure(plan, agg);
                let position = |x: &String| args.iter().position(|a| a == x).unwrap_or(0);
                let mut names: Vec<(String, usize)> =
                    key.iter().zip(&keys).filter(|(k, _)| *k != label).map(|(k, x)| (k.clone(), position(x))).collect();
                names.push((label.clone(), 0));
                out[i] = Some(InScan::Rows { measure, names });
            }
            (How::Count(parts), Some(Sample::Orphans { column, .. })) => {
                // The anti-join that counts the orphans keeps them too, ordered by the value
                // (then the key, for ties).
                let [Part::Query(q)] = parts.as_slice() else { continue };
                let Some(from) = q.strip_prefix("SELECT count(*) FROM ") else { continue };
                let keys: Vec<String> =
                    key.iter().map(|k| crate::compile::col_expr(std::slice::from_ref(k), Some("o"))).collect();
                let mut args = vec![column.clone()];
                args.extend(keys.iter().filter(|x| **x != column).cloned());
                let unaliased = |x: &String| x.strip_prefix("o.").map(str::to_string).unwrap_or_else(|| x.clone());
                if !args.iter().map(unaliased).all(|x| orderable(&x)) {
                    continue;
                }
                let sampled = format!("SELECT count(*), {FAILING}({k}, {}) FROM {from}", args.join(", "));
                let position = |x: &String| args.iter().position(|a| a == x).unwrap_or(0);
                let mut names: Vec<(String, usize)> =
                    key.iter().zip(&keys).filter(|(k, _)| *k != label).map(|(k, x)| (k.clone(), position(x))).collect();
                names.push((label.clone(), 0));
                out[i] = Some(InScan::Query { query: q.clone(), sampled, names });
            }
            (How::Count(parts), Some(Sample::Repeats { columns })) if plan.grouped_uniqueness => {
                // Uniqueness as a grouping: the grouping keeps the most repeated values too.
                let [c] = columns.as_slice() else { continue };
                let Some(name) = plain_name(c) else { continue };
                if !orderable(c) {
                    continue;
                }
                let Some(q) = parts.iter().find_map(|p| match p {
                    Part::Query(q) if q.starts_with(GROUPED_COUNT) => Some(q),
                    _ => None,
                }) else {
                    continue;
                };
                let inner = "(SELECT count(*) AS n FROM ";
                if !q.contains(inner) {
                    continue;
                }
                let sampled = q.replacen(inner, &format!("(SELECT {c} AS \"v\", count(*) AS n FROM "), 1).replacen(
                    GROUPED_COUNT,
                    &format!("{GROUPED_COUNT}, {FAILING}({k}, -n, \"v\", n) FILTER (WHERE n > 1)"),
                    1,
                );
                // Most repeated first (-n ascending), then by value.
                let names = vec![(name, 1), ("occurrences".to_string(), 2)];
                out[i] = Some(InScan::Query { query: q.clone(), sampled, names });
            }
            (How::Count(parts), Some(Sample::Repeats { columns })) => {
                let [c] = columns.as_slice() else { continue };
                let Some(name) = plain_name(c) else { continue };
                if types.get(c).is_none_or(|t| repeats_kind(t).is_none()) {
                    continue;
                }
                let excess = format!("count({c}) - count(DISTINCT {c})");
                let agg = format!("{REPEATS}({k}, {c})");
                let read = format!("get_field({agg}, 'excess')");
                let found = parts
                    .iter()
                    .any(|p| matches!(p, Part::Fused(m) if plan.fused[*m] == excess || plan.fused[*m] == read));
                if !found {
                    continue;
                }
                let distinct = format!("count(DISTINCT {c})");
                for m in plan.fused.iter_mut() {
                    if *m == excess {
                        *m = read.clone();
                    } else if *m == distinct {
                        *m = format!("get_field({agg}, 'distinct')");
                    }
                }
                let measure = measure(plan, agg);
                out[i] = Some(InScan::Repeats { measure, name });
            }
            _ => {}
        }
    }
    out
}

/// The measure a sampling rewrite replaced, for plans that want the number without the
/// samples (a segment grouping, where keeping k rows per segment would cost more than the
/// count): `get_field(contrakt_failing(…) FILTER (WHERE p), 'n')` is `count(*) FILTER (WHERE p)`
/// again, and `contrakt_repeats`' fields the counts they replaced. Anything else as it is.
pub(crate) fn unsampled(measure: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if let Some(p) = sampled_predicate(measure) {
        return Cow::Owned(format!("count(*) FILTER (WHERE {p})"));
    }
    let repeats = measure.strip_prefix(&format!("get_field({REPEATS}(")).and_then(|rest| {
        let (args, field) = rest.rsplit_once("), ")?;
        let (_, c) = args.split_once(", ")?;
        match field {
            "'excess')" => Some(format!("count({c}) - count(DISTINCT {c})")),
            "'distinct')" => Some(format!("count(DISTINCT {c})")),
            _ => None,
        }
    });
    repeats.map(Cow::Owned).unwrap_or(Cow::Borrowed(measure))
}

/// The predicate `p` of a sampled count, `get_field(contrakt_failing(…) FILTER (WHERE p), 'n')`.
pub(crate) fn sampled_predicate(measure: &str) -> Option<&str> {
    let inner = measure.strip_prefix(&format!("get_field({FAILING}("))?.strip_suffix("), 'n')")?;
    let at = inner.find(") FILTER (WHERE ")?;
    Some(&inner[at + ") FILTER (WHERE ".len()..])
}

/// How `compile`'s grouped uniqueness query begins (its count of the rows in excess).
const GROUPED_COUNT: &str = "SELECT coalesce(sum(n) - count(*), 0)";

/// The index of fused measure `expr`, added if new.
fn measure(plan: &mut ObjectPlan, expr: String) -> usize {
    match plan.fused.iter().position(|m| *m == expr) {
        Some(i) => i,
        None => {
            plan.fused.push(expr);
            plan.fused.len() - 1
        }
    }
}

/// The name a query's output gives the quoted column `"a""b"` (`a"b`); `None` for anything
/// else (a nested field), whose name the grouping query would spell its own way.
pub(crate) fn plain_name(c: &str) -> Option<String> {
    let inner = c.strip_prefix('"')?.strip_suffix('"')?;
    if inner.replace("\"\"", "").contains('"') {
        return None;
    }
    Some(inner.replace("\"\"", "\""))
}

/// The samples gathered for a check, as JSON rows like the sample queries return, from its
/// sampling measure's value.
pub(crate) fn rows_of(place: &InScan, value: &ScalarValue, limit: usize) -> Result<Vec<Map<String, Json>>> {
    let ScalarValue::Struct(s) = value else { return exec_err!("the samples are not a struct but {value}") };
    let mut out = Vec::new();
    match place {
        InScan::Rows { names, .. } | InScan::Query { names, .. } => {
            let Some(list) = s.column_by_name("rows") else { return exec_err!("no rows in the samples") };
            let rows = list.as_list::<i32>().value(0);
            let rows = rows.as_struct();
            for r in 0..rows.len().min(limit) {
                let mut row = Map::new();
                for (name, at) in names {
                    let v = ScalarValue::try_from_array(rows.column(*at), r)?;
                    row.insert(name.clone(), crate::judge::scalar_json(&v));
                }
                out.push(row);
            }
        }
        InScan::Repeats { name, .. } => {
            let Some(list) = s.column_by_name("top") else { return exec_err!("no values in the samples") };
            let top = list.as_list::<i32>().value(0);
            let top = top.as_struct();
            for r in 0..top.len().min(limit) {
                let mut row = Map::new();
                row.insert(name.clone(), crate::judge::scalar_json(&ScalarValue::try_from_array(top.column(0), r)?));
                row.insert(
                    "occurrences".into(),
                    crate::judge::scalar_json(&ScalarValue::try_from_array(top.column(1), r)?),
                );
                out.push(row);
            }
        }
    }
    Ok(out)
}

/// The `k` of a call: its first argument, a literal count.
fn k_of(args: &AccumulatorArgs) -> Result<usize> {
    let k = args.exprs.first().and_then(|e| e.downcast_ref::<Literal>()).map(|l| l.value().clone());
    match k {
        Some(ScalarValue::Int64(Some(k))) if k >= 0 => Ok(k as usize),
        other => exec_err!("the first argument of a sampling aggregate must be a literal count, not {other:?}"),
    }
}

fn rows_type(columns: &[DataType]) -> DataType {
    let fields: Fields =
        columns.iter().enumerate().map(|(i, t)| Field::new(format!("c{i}"), t.clone(), true)).collect();
    DataType::List(Arc::new(Field::new_list_field(DataType::Struct(fields), true)))
}

fn row_fields(columns: &[DataType]) -> Fields {
    match rows_type(columns) {
        DataType::List(f) => match f.data_type() {
            DataType::Struct(fields) => fields.clone(),
            _ => Fields::empty(),
        },
        _ => Fields::empty(),
    }
}

fn failing_fields(columns: &[DataType]) -> Fields {
    Fields::from(vec![Field::new("n", DataType::Int64, true), Field::new("rows", rows_type(columns), true)])
}

/// `contrakt_failing(k, c1, …, cn)`: see the module's documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Failing {
    signature: Signature,
}

impl Failing {
    fn new() -> Self {
        Failing { signature: Signature::variadic_any(Volatility::Immutable) }
    }
}

impl AggregateUDFImpl for Failing {
    fn name(&self) -> &str {
        FAILING
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if args.len() < 2 {
            return exec_err!("{FAILING} takes a count and at least one column");
        }
        Ok(DataType::Struct(failing_fields(&args[1..])))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let columns: Vec<DataType> = args.input_fields.iter().skip(1).map(|f| f.data_type().clone()).collect();
        Ok(vec![
            Arc::new(Field::new(format_state_name(args.name, "n"), DataType::Int64, true)),
            Arc::new(Field::new(format_state_name(args.name, "rows"), rows_type(&columns), true)),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let k = k_of(&args)?;
        let columns: Vec<DataType> = args.expr_fields.iter().skip(1).map(|f| f.data_type().clone()).collect();
        let order = SortOptions { descending: false, nulls_first: false };
        let converter =
            RowConverter::new(columns.iter().map(|t| SortField::new_with_options(t.clone(), order)).collect())?;
        Ok(Box::new(FirstRows { k, n: 0, converter, columns, held: Vec::new(), held_bytes: 0 }))
    }
}

/// The count of the rows seen and the first `k` of them.
#[derive(Debug)]
struct FirstRows {
    k: usize,
    n: i64,
    converter: RowConverter,
    columns: Vec<DataType>,
    /// Ascending, at most `k`: each row's sort key and values.
    held: Vec<(OwnedRow, Vec<ScalarValue>)>,
    held_bytes: usize,
}

impl FirstRows {
    /// Offers rows (one array per column); keeps the first `k` of those held and these.
    fn offer(&mut self, columns: &[ArrayRef]) -> Result<()> {
        let len = columns.first().map_or(0, |c| c.len());
        if len == 0 || self.k == 0 {
            return Ok(());
        }
        // Only this batch's own first k can enter: found with a partial sort, so a check that
        // most rows fail encodes k rows per batch, not all of them.
        let picked: Vec<ArrayRef> = if len > self.k {
            let order = SortOptions { descending: false, nulls_first: false };
            let sort: Vec<SortColumn> =
                columns.iter().map(|c| SortColumn { values: c.clone(), options: Some(order) }).collect();
            match lexsort_to_indices(&sort, Some(self.k)) {
                Ok(idx) => columns.iter().map(|c| take(c.as_ref(), &idx, None)).collect::<Result<_, _>>()?,
                Err(_) => columns.to_vec(),
            }
        } else {
            columns.to_vec()
        };
        let rows = self.converter.convert_columns(&picked)?;
        for r in 0..rows.num_rows() {
            let row = rows.row(r);
            if self.held.len() == self.k && self.held.last().is_some_and(|(last, _)| row >= last.row()) {
                continue;
            }
            let values = picked.iter().map(|c| ScalarValue::try_from_array(c, r)).collect::<Result<Vec<_>>>()?;
            let at = self.held.partition_point(|(h, _)| h.row() <= row);
            self.held_bytes += row.data().len() + values.iter().map(ScalarValue::size).sum::<usize>();
            self.held.insert(at, (row.owned(), values));
            if self.held.len() > self.k
                && let Some((row, values)) = self.held.pop()
            {
                self.held_bytes = self
                    .held_bytes
                    .saturating_sub(row.row().data().len() + values.iter().map(ScalarValue::size).sum::<usize>());
            }
        }
        Ok(())
    }

    fn rows_scalar(&self) -> Result<ScalarValue> {
        Ok(SingleRowListArrayBuilder::new(Arc::new(self.rows_array()?)).build_list_scalar())
    }

    fn rows_array(&self) -> Result<StructArray> {
        let fields = row_fields(&self.columns);
        let arrays = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if self.held.is_empty() {
                    Ok(new_empty_array(t))
                } else {
                    ScalarValue::iter_to_array(self.held.iter().map(|(_, v)| v[i].clone()))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(StructArray::try_new(fields, arrays, None)?)
    }
}

impl Accumulator for FirstRows {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(first) = values.first() else { return Ok(()) };
        self.n += first.len() as i64;
        self.offer(&values[1..])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [n, rows] = states else { return exec_err!("{FAILING}: a state of {} columns", states.len()) };
        let (n, rows) = (n.as_primitive::<Int64Type>(), rows.as_list::<i32>());
        for i in 0..n.len() {
            self.n += n.value(i);
            if rows.is_valid(i) {
                let held = rows.value(i);
                self.offer(held.as_struct().columns())?;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Int64(Some(self.n)), self.rows_scalar()?])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let n: ArrayRef = Arc::new(Int64Array::from(vec![self.n]));
        let rows = match self.rows_scalar()? {
            ScalarValue::List(l) => l as ArrayRef,
            other => return exec_err!("{FAILING}: rows as {other}"),
        };
        Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(failing_fields(&self.columns), vec![n, rows], None)?)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.converter.size() + self.held_bytes
    }
}

/// The values `contrakt_repeats` counts: integers as `i64`, text as `String`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum RepeatsKind {
    Int,
    Text,
}

fn repeats_kind(t: &DataType) -> Option<RepeatsKind> {
    match t {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => Some(RepeatsKind::Int),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(RepeatsKind::Text),
        _ => None,
    }
}

fn value_type(kind: RepeatsKind) -> DataType {
    match kind {
        RepeatsKind::Int => DataType::Int64,
        RepeatsKind::Text => DataType::Utf8,
    }
}

fn repeats_fields(kind: RepeatsKind) -> Fields {
    let top = Fields::from(vec![
        Field::new("value", value_type(kind), true),
        Field::new("occurrences", DataType::Int64, true),
    ]);
    Fields::from(vec![
        Field::new("excess", DataType::Int64, true),
        Field::new("distinct", DataType::Int64, true),
        Field::new("top", DataType::List(Arc::new(Field::new_list_field(DataType::Struct(top), true))), true),
    ])
}

fn list_of(t: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(t, true)))
}

/// `contrakt_repeats(k, c)`: see the module's documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Repeats {
    signature: Signature,
}

impl Repeats {
    fn new() -> Self {
        Repeats { signature: Signature::any(2, Volatility::Immutable) }
    }
}

fn kind_of(t: &DataType) -> Result<RepeatsKind> {
    match repeats_kind(t) {
        Some(k) => Ok(k),
        None => exec_err!("{REPEATS} counts integer and text columns, not {t}"),
    }
}

impl AggregateUDFImpl for Repeats {
    fn name(&self) -> &str {
        REPEATS
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(repeats_fields(kind_of(&args[1])?)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let kind = kind_of(args.input_fields[1].data_type())?;
        let t = value_type(kind);
        let values = match kind {
            // The integer set travels as its own encoding ([`encode_ints`]): a bitmap of dense
            // keys is a few bytes per thousand values, where a list would be eight per value.
            RepeatsKind::Int => DataType::Binary,
            RepeatsKind::Text => list_of(t.clone()),
        };
        Ok(vec![
            Arc::new(Field::new(format_state_name(args.name, "values"), values, true)),
            Arc::new(Field::new(format_state_name(args.name, "repeated"), list_of(t), true)),
            Arc::new(Field::new(format_state_name(args.name, "extra"), list_of(DataType::Int64), true)),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let k = k_of(&args)?;
        Ok(match kind_of(args.expr_fields[1].data_type())? {
            RepeatsKind::Int => Box::new(Counted::<i64>::new(k)),
            RepeatsKind::Text => Box::new(Counted::<String>::new(k)),
        })
    }
}

/// A value `contrakt_repeats` can hold, and the set that holds its distinct values.
trait Value: std::hash::Hash + Eq + Ord + Clone + Send + Sync + std::fmt::Debug + 'static {
    type Set: Default + Send + Sync + std::fmt::Debug;
    const KIND: RepeatsKind;
    /// Calls `f` with each non-null value of `array` (already of the value's type).
    fn each(array: &ArrayRef, f: impl FnMut(&Self)) -> Result<()>;
    fn to_array(values: Vec<Self>) -> ArrayRef;
    fn bytes(&self) -> usize;
    /// Adds the non-null values of `column` to `set`; `repeat` with each already there.
    fn add_all(set: &mut Self::Set, column: &ArrayRef, repeat: impl FnMut(&Self)) -> Result<()>;
    /// Adds a partial state's set (row `i` of its `values` column); `repeat` as in `add_all`.
    fn merge(set: &mut Self::Set, values: &ArrayRef, i: usize, repeat: impl FnMut(&Self)) -> Result<()>;
    fn state(set: &Self::Set) -> ScalarValue;
    fn len(set: &Self::Set) -> usize;
    fn set_bytes(set: &Self::Set) -> usize;
}

impl Value for i64 {
    type Set = IntSet;
    const KIND: RepeatsKind = RepeatsKind::Int;
    fn each(array: &ArrayRef, mut f: impl FnMut(&Self)) -> Result<()> {
        let a = cast(array, &DataType::Int64)?;
        a.as_primitive::<Int64Type>().iter().flatten().for_each(|v| f(&v));
        Ok(())
    }
    fn to_array(values: Vec<Self>) -> ArrayRef {
        Arc::new(Int64Array::from(values))
    }
    fn bytes(&self) -> usize {
        8
    }
    fn add_all(set: &mut IntSet, column: &ArrayRef, mut repeat: impl FnMut(&Self)) -> Result<()> {
        set.extend_column(column, |v| repeat(&v))
    }
    fn merge(set: &mut IntSet, values: &ArrayRef, i: usize, mut repeat: impl FnMut(&Self)) -> Result<()> {
        let partial = decode_ints(values.as_binary::<i32>().value(i))?;
        set.merge(&partial, |v| repeat(&v));
        Ok(())
    }
    fn state(set: &IntSet) -> ScalarValue {
        ScalarValue::Binary(Some(encode_ints(set)))
    }
    fn len(set: &IntSet) -> usize {
        set.len()
    }
    fn set_bytes(set: &IntSet) -> usize {
        set.bytes()
    }
}

/// An [`IntSet`] as bytes: a tag, then for a bitmap its base and words, for a hash set its
/// values (all little-endian).
fn encode_ints(set: &IntSet) -> Vec<u8> {
    match set {
        IntSet::Dense { base, words, .. } => {
            let mut out = Vec::with_capacity(9 + words.len() * 8);
            out.push(0);
            out.extend_from_slice(&base.to_le_bytes());
            words.iter().for_each(|w| out.extend_from_slice(&w.to_le_bytes()));
            out
        }
        IntSet::Sparse(s) => {
            let mut out = Vec::with_capacity(1 + s.len() * 8);
            out.push(1);
            s.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
            out
        }
    }
}

fn decode_ints(bytes: &[u8]) -> Result<IntSet> {
    let words = |b: &[u8]| -> Result<Vec<u64>> {
        if !b.len().is_multiple_of(8) {
            return exec_err!("{REPEATS}: a state of {} bytes", b.len());
        }
        Ok(b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect())
    };
    match bytes.split_first() {
        Some((0, rest)) if rest.len() >= 8 => {
            let base = i64::from_le_bytes(rest[..8].try_into().unwrap_or_default());
            let words = words(&rest[8..])?;
            let len = words.iter().map(|w| w.count_ones() as usize).sum();
            Ok(IntSet::Dense { base, words, len })
        }
        Some((1, rest)) => {
            let mut set = IntSet::default();
            let values: Vec<i64> = words(rest)?.into_iter().map(|w| w as i64).collect();
            set.extend(&values, |_| {});
            Ok(set)
        }
        _ => exec_err!("{REPEATS}: a state that is no integer set"),
    }
}

/// The distinct texts seen, and the bytes they hold (counted as they come: the memory pool
/// asks after every batch).
#[derive(Debug, Default)]
struct TextSet {
    set: HashSet<String>,
    bytes: usize,
}

impl Value for String {
    type Set = TextSet;
    const KIND: RepeatsKind = RepeatsKind::Text;
    fn each(array: &ArrayRef, mut f: impl FnMut(&Self)) -> Result<()> {
        // The set holds owned strings; a lookup builds one only for a value not seen yet.
        let mut s = String::new();
        let mut visit = |v: &str| {
            s.clear();
            s.push_str(v);
            f(&s);
        };
        match array.data_type() {
            DataType::Utf8View => array.as_string_view().iter().flatten().for_each(&mut visit),
            DataType::LargeUtf8 => array.as_string::<i64>().iter().flatten().for_each(&mut visit),
            _ => cast(array, &DataType::Utf8)?.as_string::<i32>().iter().flatten().for_each(&mut visit),
        }
        Ok(())
    }
    fn to_array(values: Vec<Self>) -> ArrayRef {
        Arc::new(StringArray::from(values))
    }
    fn bytes(&self) -> usize {
        self.len() + std::mem::size_of::<String>()
    }
    fn add_all(seen: &mut TextSet, column: &ArrayRef, mut repeat: impl FnMut(&Self)) -> Result<()> {
        let TextSet { set, bytes } = seen;
        Self::each(column, |v| {
            if set.contains(v) {
                repeat(v)
            } else {
                *bytes += v.len();
                set.insert(v.clone());
            }
        })
    }
    fn merge(seen: &mut TextSet, values: &ArrayRef, i: usize, repeat: impl FnMut(&Self)) -> Result<()> {
        let values = values.as_list::<i32>().value(i);
        // Room for all of them first, so the set grows once rather than rehashing on the way.
        seen.set.reserve(values.len());
        Self::add_all(seen, &values, repeat)
    }
    fn state(seen: &TextSet) -> ScalarValue {
        Counted::<String>::list(seen.set.iter().cloned().collect())
    }
    fn len(seen: &TextSet) -> usize {
        seen.set.len()
    }
    fn set_bytes(seen: &TextSet) -> usize {
        seen.set.capacity() * (std::mem::size_of::<String>() + 1) + seen.bytes
    }
}

/// The distinct values seen, and how many times more than once each repeated one was.
#[derive(Debug)]
struct Counted<T: Value> {
    k: usize,
    seen: T::Set,
    extra: datafusion::common::HashMap<T, i64>,
    /// The bytes of the repeated values held in `extra`.
    bytes: usize,
}

impl<T: Value> Counted<T> {
    fn new(k: usize) -> Self {
        Counted { k, seen: T::Set::default(), extra: Default::default(), bytes: 0 }
    }

    fn list(values: Vec<T>) -> ScalarValue {
        SingleRowListArrayBuilder::new(T::to_array(values)).build_list_scalar()
    }
}

/// `e` more occurrences of `v`, a repeated value.
fn repeated<T: Value>(extra: &mut datafusion::common::HashMap<T, i64>, bytes: &mut usize, v: &T, e: i64) {
    if let Some(have) = extra.get_mut(v) {
        *have += e;
    } else {
        *bytes += v.bytes() + 8;
        extra.insert(v.clone(), e);
    }
}

impl<T: Value> Accumulator for Counted<T> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(column) = values.get(1) else { return Ok(()) };
        let Counted { seen, extra, bytes, .. } = self;
        T::add_all(seen, column, |v| repeated(extra, bytes, v, 1))
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [values, repeated_values, extra_counts] = states else {
            return exec_err!("{REPEATS}: a state of {} columns", states.len());
        };
        let (rep, counts) = (repeated_values.as_list::<i32>(), extra_counts.as_list::<i32>());
        let Counted { seen, extra, bytes, .. } = self;
        for i in 0..values.len() {
            if values.is_valid(i) {
                // Each partial state's values are distinct: a value already here is one more
                // occurrence of it.
                T::merge(seen, values, i, |v| repeated(extra, bytes, v, 1))?;
            }
            if rep.is_valid(i) && counts.is_valid(i) {
                let mut more = Vec::new();
                T::each(&rep.value(i), |v| more.push(v.clone()))?;
                let c = counts.value(i);
                for (v, e) in more.iter().zip(c.as_primitive::<Int64Type>().values().iter()) {
                    repeated(extra, bytes, v, *e);
                }
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (repeated, extra): (Vec<T>, Vec<i64>) = self.extra.iter().map(|(v, e)| (v.clone(), *e)).unzip();
        Ok(vec![
            T::state(&self.seen),
            Self::list(repeated),
            SingleRowListArrayBuilder::new(Arc::new(Int64Array::from(extra))).build_list_scalar(),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let excess: i64 = self.extra.values().sum();
        let mut top: Vec<(&T, i64)> = self.extra.iter().map(|(v, e)| (v, *e + 1)).collect();
        // Most repeated first, then by value: what `ORDER BY occurrences DESC, value` chose.
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        top.truncate(self.k);
        let fields = repeats_fields(T::KIND);
        let DataType::List(item) = fields[2].data_type() else { return exec_err!("{REPEATS}: no list") };
        let DataType::Struct(top_fields) = item.data_type() else { return exec_err!("{REPEATS}: no struct") };
        let top_array = StructArray::try_new(
            top_fields.clone(),
            vec![
                T::to_array(top.iter().map(|(v, _)| (*v).clone()).collect()),
                Arc::new(Int64Array::from(top.iter().map(|(_, n)| *n).collect::<Vec<_>>())),
            ],
            None,
        )?;
        let top_list: ArrayRef = match SingleRowListArrayBuilder::new(Arc::new(top_array)).build_list_scalar() {
            ScalarValue::List(l) => l,
            other => return exec_err!("{REPEATS}: top as {other}"),
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![excess])),
            Arc::new(Int64Array::from(vec![T::len(&self.seen) as i64])),
            top_list,
        ];
        Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(fields, columns, None)?)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + T::set_bytes(&self.seen)
            + self.extra.capacity() * (std::mem::size_of::<T>() + 9)
            + self.bytes
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sampled_measures_read_as_the_counts_they_replaced() {
        let sampled = "get_field(contrakt_failing(5, \"id\", \"amount\") FILTER (WHERE \"amount\" < 0), 'n')";
        assert_eq!(unsampled(sampled), "count(*) FILTER (WHERE \"amount\" < 0)");
        assert_eq!(sampled_predicate(sampled), Some("\"amount\" < 0"));
        assert_eq!(
            unsampled("get_field(contrakt_repeats(5, \"id\"), 'excess')"),
            "count(\"id\") - count(DISTINCT \"id\")"
        );
        assert_eq!(unsampled("get_field(contrakt_repeats(5, \"id\"), 'distinct')"), "count(DISTINCT \"id\")");
        assert_eq!(unsampled("count(*) FILTER (WHERE \"a\" IS NULL)"), "count(*) FILTER (WHERE \"a\" IS NULL)");
    }

    use super::*;
    use datafusion::arrow::array::{Int32Array, RecordBatch};
    use datafusion::arrow::datatypes::Schema;
    use datafusion::datasource::MemTable;
    use proptest::prelude::*;

    /// A session with table `t(id INT, v TEXT)` split over `parts` partitions of two batches
    /// each, in the order given.
    fn session(rows: &[(Option<i32>, Option<&str>)], parts: usize) -> SessionContext {
        let schema =
            Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, true), Field::new("v", DataType::Utf8, true)]));
        let batch = |rows: &[(Option<i32>, Option<&str>)]| {
            let ids: Int32Array = rows.iter().map(|r| r.0).collect();
            let vs: StringArray = rows.iter().map(|r| r.1).collect();
            RecordBatch::try_new(schema.clone(), vec![Arc::new(ids), Arc::new(vs)]).unwrap()
        };
        let chunk = rows.len().div_ceil(parts * 2).max(1);
        let batches: Vec<RecordBatch> = rows.chunks(chunk).map(batch).collect();
        let partitions: Vec<Vec<RecordBatch>> = batches.chunks(2).map(<[RecordBatch]>::to_vec).collect();
        let partitions = if partitions.is_empty() { vec![vec![]] } else { partitions };
        let ctx = SessionContext::new();
        register(&ctx);
        ctx.register_table("t", Arc::new(MemTable::try_new(schema.clone(), partitions).unwrap())).unwrap();
        ctx
    }

    fn one(ctx: &SessionContext, sql: &str) -> ScalarValue {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let batches = rt.block_on(async { ctx.sql(sql).await.unwrap().collect().await.unwrap() });
        ScalarValue::try_from_array(batches[0].column(0), 0).unwrap()
    }

    fn json_rows(ctx: &SessionContext, sql: &str) -> Vec<Map<String, Json>> {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let batches = rt.block_on(async { ctx.sql(sql).await.unwrap().collect().await.unwrap() });
        let mut out = Vec::new();
        for b in &batches {
            for r in 0..b.num_rows() {
                let mut row = Map::new();
                for (c, f) in b.schema().fields().iter().enumerate() {
                    let v = ScalarValue::try_from_array(b.column(c), r).unwrap();
                    row.insert(f.name().clone(), crate::judge::scalar_json(&v));
                }
                out.push(row);
            }
        }
        out
    }

    fn failing(ctx: &SessionContext, k: usize, predicate: &str) -> (i64, Vec<Map<String, Json>>) {
        let value = one(ctx, &format!(r#"SELECT {FAILING}({k}, "id", "v") FILTER (WHERE {predicate}) FROM t"#));
        let place = InScan::Rows { measure: 0, names: vec![("id".into(), 0), ("v".into(), 1)] };
        let n = match &value {
            ScalarValue::Struct(s) => s.column(0).as_primitive::<Int64Type>().value(0),
            other => panic!("{other}"),
        };
        (n, rows_of(&place, &value, k).unwrap())
    }

    #[test]
    fn failing_rows_are_counted_and_the_first_k_kept_in_order() {
        let rows: Vec<(Option<i32>, Option<&str>)> =
            vec![(Some(9), Some("x")), (Some(3), None), (None, Some("y")), (Some(3), Some("a")), (Some(1), Some("ok"))];
        for parts in [1, 2, 3] {
            let ctx = session(&rows, parts);
            let (n, got) = failing(&ctx, 3, "v IS NULL OR v <> 'ok'");
            assert_eq!(n, 4);
            // By id, then v; nulls last in each.
            let shown: Vec<(Json, Json)> = got.iter().map(|r| (r["id"].clone(), r["v"].clone())).collect();
            assert_eq!(shown, vec![(3.into(), "a".into()), (3.into(), Json::Null), (9.into(), "x".into())], "{parts}");
        }
        // No failing row: a count of zero and no samples.
        let (n, got) = failing(&session(&rows, 2), 3, "v = 'none'");
        assert_eq!((n, got.len()), (0, 0));
    }

    #[test]
    fn repeats_count_the_excess_and_show_the_most_repeated_values() {
        let rows: Vec<(Option<i32>, Option<&str>)> = [1, 2, 2, 3, 3, 3, 4, 4, 5]
            .iter()
            .map(|i| (Some(*i), Some(if *i % 2 == 0 { "e" } else { "o" })))
            .chain([(None, None), (None, None)])
            .collect();
        for parts in [1, 2, 4] {
            let ctx = session(&rows, parts);
            let value = one(&ctx, &format!(r#"SELECT {REPEATS}(2, "id") FROM t"#));
            let ScalarValue::Struct(s) = &value else { panic!("{value}") };
            let read = |c: usize| s.column(c).as_primitive::<Int64Type>().value(0);
            // 9 values, 5 distinct (nulls are no values); 3 appears 3 times, 2 and 4 twice.
            assert_eq!((read(0), read(1)), (4, 5), "{parts}");
            let place = InScan::Repeats { measure: 0, name: "id".into() };
            let got = rows_of(&place, &value, 2).unwrap();
            let shown: Vec<(Json, Json)> = got.iter().map(|r| (r["id"].clone(), r["occurrences"].clone())).collect();
            assert_eq!(shown, vec![(3.into(), 3.into()), (2.into(), 2.into())], "{parts}");
            let text = one(&ctx, &format!(r#"SELECT get_field({REPEATS}(5, "v"), 'excess') FROM t"#));
            assert_eq!(text, ScalarValue::Int64(Some(7)));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// The samples the scan keeps are the rows the ordered query would return, whatever
        /// the partitioning: same data, same samples.
        #[test]
        fn samples_are_those_of_the_ordered_query(
            rows in proptest::collection::vec((proptest::option::of(0..20i32), proptest::option::of("[a-c]{0,2}")), 0..60),
            parts in 1usize..4,
            k in 1usize..6,
        ) {
            let rows: Vec<(Option<i32>, Option<&str>)> = rows.iter().map(|(i, v)| (*i, v.as_deref())).collect();
            let ctx = session(&rows, parts);
            let predicate = "v IS NULL OR id > 7";
            let (n, got) = failing(&ctx, k, predicate);
            let want = json_rows(&ctx, &format!(r#"SELECT "id", "v" FROM t WHERE {predicate} ORDER BY "id", "v" LIMIT {k}"#));
            let count = one(&ctx, &format!("SELECT count(*) FROM t WHERE {predicate}"));
            prop_assert_eq!(ScalarValue::Int64(Some(n)), count);
            prop_assert_eq!(got, want);
            let value = one(&ctx, &format!(r#"SELECT {REPEATS}({k}, "id") FROM t"#));
            let got = rows_of(&InScan::Repeats { measure: 0, name: "id".into() }, &value, k).unwrap();
            let want = json_rows(&ctx, &format!(
                r#"SELECT "id", count(*) AS occurrences FROM t WHERE "id" IS NOT NULL GROUP BY "id" HAVING count(*) > 1 ORDER BY occurrences DESC, "id" LIMIT {k}"#
            ));
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn quoted_columns_have_their_output_names() {
        assert_eq!(plain_name(r#""id""#).as_deref(), Some("id"));
        assert_eq!(plain_name(r#""a""b""#).as_deref(), Some("a\"b"));
        assert_eq!(plain_name(r#"get_field("p", 'x')"#), None);
    }
}
