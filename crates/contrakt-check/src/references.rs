//! References checked inside the fused scan: the referenced column's distinct keys are read
//! once into a set, and each orphan is a row whose value the set lacks
//! (`count(*) FILTER (WHERE c IS NOT NULL AND NOT contrakt_known_0(c))`), counted and sampled by
//! the scan that measures everything else. The anti-join this replaces read the checked column
//! a second time and hashed every row of it against the referenced table; here the only extra
//! read is the referenced column, once per referenced column however many checks name it.
//!
//! Only where the comparison means the same as the anti-join's `r.c = o.c`: both columns
//! integers (compared as 64-bit integers) or both text, and a referenced key set small enough to
//! hold ([`MAX_KEYS`], and within the memory budget); any other reference keeps its anti-join.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{HashSet, Result, TableReference, exec_err};
use datafusion::execution::memory_pool::MemoryLimit;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::SessionContext;

use crate::compile::{How, ObjectPlan, Part, Sample};
use crate::intset::IntSet;
use crate::sql::ident;

/// The most distinct keys a referenced column may have to be held as a set (about 300 MiB of
/// 64-bit keys); beyond, the anti-join, whose build side DataFusion's memory pool tracks.
pub const MAX_KEYS: usize = 10_000_000;

/// The keys of one referenced column.
#[derive(Debug)]
enum Keys {
    /// A bitmap when the keys are dense, as surrogate keys are ([`IntSet`]).
    Int(IntSet),
    Text(HashSet<String>),
}

impl Keys {
    fn len(&self) -> usize {
        match self {
            Keys::Int(s) => s.len(),
            Keys::Text(s) => s.len(),
        }
    }
}

fn kind(t: &DataType) -> Option<bool> {
    match t {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => Some(true),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(false),
        _ => None,
    }
}

/// `contrakt_known_N(c)`: is `c` one of the referenced keys? Null for a null `c`.
#[derive(Debug)]
struct Known {
    name: String,
    keys: Arc<Keys>,
    signature: Signature,
}

impl PartialEq for Known {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.keys, &other.keys)
    }
}

impl Eq for Known {}

impl Hash for Known {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Known {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(arg) = args.args.first() else { return exec_err!("{} takes one argument", self.name) };
        let array = arg.to_array(args.number_rows)?;
        Ok(ColumnarValue::Array(Arc::new(self.contains(&array)?)))
    }
}

impl Known {
    fn contains(&self, array: &ArrayRef) -> Result<BooleanArray> {
        Ok(match self.keys.as_ref() {
            Keys::Int(set) => {
                let a = cast(array, &DataType::Int64)?;
                let a = a.as_primitive::<Int64Type>();
                // Every slot looked up, null or not: no branch per row; the nulls are then
                // the column's.
                let bits: BooleanBuffer = a.values().iter().map(|v| set.contains(*v)).collect();
                BooleanArray::new(bits, a.logical_nulls())
            }
            Keys::Text(set) => match array.data_type() {
                DataType::Utf8View => array.as_string_view().iter().map(|v| v.map(|v| set.contains(v))).collect(),
                DataType::LargeUtf8 => array.as_string::<i64>().iter().map(|v| v.map(|v| set.contains(v))).collect(),
                _ => {
                    let a = cast(array, &DataType::Utf8)?;
                    a.as_string::<i32>().iter().map(|v| v.map(|v| set.contains(v))).collect()
                }
            },
        })
    }
}

/// Folds every reference check of `plan` that can be into its fused scan (see the module's
/// documentation): reads each referenced column's keys, registers a `contrakt_known_N` on
/// `ctx`, and turns the check's anti-join into a fused count with the same orphans. `types` are
/// the Arrow types of the checked table's column expressions (`"c"`).
/// Reading a referenced column's keys is bounded by `timeout` (the run's bound on a query); one
/// that takes longer leaves the reference to its anti-join, which reports the timeout.
pub(crate) async fn fold_into_scan(
    ctx: &SessionContext,
    plan: &mut ObjectPlan,
    types: &HashMap<String, DataType>,
    timeout: std::time::Duration,
) {
    let budget = match ctx.runtime_env().memory_pool.memory_limit() {
        MemoryLimit::Finite(b) => b,
        _ => usize::MAX,
    };
    let mut known: HashMap<(String, String), Option<String>> = HashMap::new();
    for i in 0..plan.checks.len() {
        let Some(Sample::Orphans { column, target, target_column }) = plan.checks[i].sample.clone() else { continue };
        if !matches!(&plan.checks[i].how, How::Count(parts) if matches!(parts.as_slice(), [Part::Query(_)])) {
            continue;
        }
        let (Some(c), Some(r)) = (column.strip_prefix("o."), target_column.strip_prefix("r.")) else { continue };
        let Some(checked) = types.get(c).and_then(kind) else { continue };
        let entry = (target.clone(), r.to_string());
        if !known.contains_key(&entry) {
            let n = known.len();
            let keys = tokio::time::timeout(timeout, load(ctx, &target, r, checked, budget)).await.ok().flatten();
            let name = keys.map(|keys| {
                let name = format!("contrakt_known_{n}");
                ctx.register_udf(ScalarUDF::new_from_impl(Known {
                    name: name.clone(),
                    keys: Arc::new(keys),
                    signature: Signature::any(1, Volatility::Immutable),
                }));
                name
            });
            known.insert(entry.clone(), name);
        }
        let Some(Some(name)) = known.get(&entry) else { continue };
        let predicate = format!("{c} IS NOT NULL AND NOT {name}({c})");
        let m = measure(plan, format!("count(*) FILTER (WHERE {predicate})"));
        plan.checks[i].how = How::Count(vec![Part::Fused(m)]);
    }
}

/// The predicate of a fused orphan count (`count(*) FILTER (WHERE p)` → `p`).
pub(crate) fn fused_predicate(measure: &str) -> Option<&str> {
    measure.strip_prefix("count(*) FILTER (WHERE ")?.strip_suffix(')')
}

fn measure(plan: &mut ObjectPlan, expr: String) -> usize {
    match plan.fused.iter().position(|m| *m == expr) {
        Some(i) => i,
        None => {
            plan.fused.push(expr);
            plan.fused.len() - 1
        }
    }
}

/// The distinct non-null keys of `table.column` when they are of the checked column's kind
/// (`int`) and few enough to hold.
async fn load(ctx: &SessionContext, table: &str, column: &str, int: bool, budget: usize) -> Option<Keys> {
    let df = ctx.table(TableReference::bare(table)).await.ok()?;
    let field = df.schema().fields().iter().find(|f| ident(f.name()) == column)?.clone();
    if kind(field.data_type()) != Some(int) {
        return None;
    }
    let q = format!("SELECT DISTINCT {column} FROM {} WHERE {column} IS NOT NULL", ident(table));
    let batches = ctx.sql(&q).await.ok()?.collect().await.ok()?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if rows > MAX_KEYS || rows.saturating_mul(crate::memory::BYTES_PER_DISTINCT) > budget / 4 {
        return None;
    }
    let mut keys = if int { Keys::Int(IntSet::default()) } else { Keys::Text(HashSet::default()) };
    for b in &batches {
        let a = b.column(0);
        match &mut keys {
            Keys::Int(set) => set.extend_column(a, |_| {}).ok()?,
            Keys::Text(set) => {
                let a = cast(a, &DataType::Utf8).ok()?;
                set.extend(a.as_string::<i32>().iter().flatten().map(str::to_string));
            }
        }
    }
    (keys.len() == rows).then_some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_orphan_counts_give_their_predicate() {
        assert_eq!(fused_predicate(r#"count(*) FILTER (WHERE "c" IS NOT NULL)"#), Some(r#""c" IS NOT NULL"#));
        assert_eq!(fused_predicate("count(*)"), None);
    }

    #[test]
    fn keys_are_looked_up_by_kind() {
        let ints = Known {
            name: "k".into(),
            keys: Arc::new(Keys::Int({
                let mut set = IntSet::default();
                set.extend(&[1, 5], |_| {});
                set
            })),
            signature: Signature::any(1, Volatility::Immutable),
        };
        let a: ArrayRef = Arc::new(datafusion::arrow::array::Int32Array::from(vec![Some(1), None, Some(2), Some(5)]));
        assert_eq!(ints.contains(&a).unwrap(), BooleanArray::from(vec![Some(true), None, Some(false), Some(true)]));
        let text = Known {
            name: "t".into(),
            keys: Arc::new(Keys::Text(["a".to_string()].into_iter().collect())),
            signature: Signature::any(1, Volatility::Immutable),
        };
        let a: ArrayRef = Arc::new(datafusion::arrow::array::StringViewArray::from(vec![Some("a"), Some("b"), None]));
        assert_eq!(text.contains(&a).unwrap(), BooleanArray::from(vec![Some(true), Some(false), None]));
    }
}
