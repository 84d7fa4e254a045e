//! `x IN ('US', 'GB', …)` over short texts, answered from Arrow's string views.
//!
//! A contract's `validValues` become an `IN` list, and DataFusion answers an `IN` list of
//! text by hashing every value and comparing it with the candidates through a generic
//! comparator: 17 % of the CPU of the orders workload's check went there (two such rules). Texts
//! of at most 12 bytes sit whole inside their 16-byte view, so two of them are equal exactly
//! when their views are: the lookup becomes one integer comparison per candidate, with no
//! hashing and no reading of the string data. A value longer than 12 bytes can equal no short
//! candidate.
//!
//! An optimizer rule of the embedded session ([`ShortTextIn`]) rewrites `x [NOT] IN (list)`
//! into `[NOT] contrakt_in_short_texts(x, list…)` when every candidate is a non-null text of at
//! most 12 bytes. Only plans that run here are rewritten: a warehouse is given the plan before
//! optimization, with the `IN` list as written.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, make_view};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::{InList, ScalarFunction};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

pub(crate) const NAME: &str = "contrakt_in_short_texts";

/// The longest text a view holds inline.
const INLINE: usize = 12;
/// Lists longer than this keep DataFusion's hashed lookup.
const MAX_CANDIDATES: usize = 256;

/// The rewrite, for [`datafusion::prelude::SessionContext::add_optimizer_rule`].
#[derive(Debug)]
pub(crate) struct ShortTextIn {
    udf: Arc<ScalarUDF>,
}

impl ShortTextIn {
    pub(crate) fn new() -> Self {
        ShortTextIn { udf: Arc::new(ScalarUDF::new_from_impl(InShortTexts::new())) }
    }

    fn rewrite_expr(&self, e: Expr) -> Result<Transformed<Expr>> {
        e.transform_up(|e| {
            let Expr::InList(InList { expr, list, negated }) = &e else { return Ok(Transformed::no(e)) };
            let short = |c: &Expr| matches!(c, Expr::Literal(v, _) if text_of(v).is_some_and(|t| t.len() <= INLINE));
            if list.is_empty() || list.len() > MAX_CANDIDATES || !list.iter().all(short) {
                return Ok(Transformed::no(e));
            }
            let mut args = vec![(**expr).clone()];
            args.extend(list.iter().cloned());
            let call = Expr::ScalarFunction(ScalarFunction::new_udf(self.udf.clone(), args));
            Ok(Transformed::yes(if *negated { Expr::Not(Box::new(call)) } else { call }))
        })
    }
}

impl OptimizerRule for ShortTextIn {
    fn name(&self) -> &str {
        "contrakt_short_text_in"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        // The rewritten expressions keep their names, which the plans above refer to.
        let names = NamePreserver::new(&plan);
        plan.map_expressions(|e| {
            let name = names.save(&e);
            Ok(self.rewrite_expr(e)?.update_data(|e| name.restore(e)))
        })
    }
}

fn text_of(v: &ScalarValue) -> Option<&str> {
    match v {
        ScalarValue::Utf8(Some(t)) | ScalarValue::Utf8View(Some(t)) | ScalarValue::LargeUtf8(Some(t)) => Some(t),
        _ => None,
    }
}

/// `contrakt_in_short_texts(x, c1, …, cn)`: whether text `x` is one of the candidates, null
/// when `x` is null (as `x IN (c1, …, cn)` with no null candidate).
#[derive(Debug, PartialEq, Eq, Hash)]
struct InShortTexts {
    signature: Signature,
}

impl InShortTexts {
    fn new() -> Self {
        InShortTexts { signature: Signature::variadic_any(Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for InShortTexts {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some((x, candidates)) = args.args.split_first() else { return exec_err!("{NAME} takes a value") };
        let mut views = Vec::with_capacity(candidates.len());
        for c in candidates {
            match c {
                ColumnarValue::Scalar(v) if text_of(v).is_some_and(|t| t.len() <= INLINE) => {
                    views.push(make_view(text_of(v).unwrap_or_default().as_bytes(), 0, 0));
                }
                _ => return exec_err!("{NAME}: the candidates must be texts of at most {INLINE} bytes"),
            }
        }
        views.sort_unstable();
        views.dedup();
        let values = match x {
            ColumnarValue::Array(a) => a.clone(),
            ColumnarValue::Scalar(s) => s.to_array()?,
        };
        let out = contains(&values, &views)?;
        Ok(match x {
            ColumnarValue::Scalar(_) => ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?),
            ColumnarValue::Array(_) => ColumnarValue::Array(out),
        })
    }
}

/// The candidates' views in an open-addressed table of twice their number or more (a power of
/// two) slots: one multiply and, most often, one comparison per value, where a binary search
/// of 30 candidates took five unpredictable branches.
struct Table {
    slots: Vec<u128>,
    shift: u32,
    /// The view of the empty text is zero, the table's mark of an empty slot.
    empty_text: bool,
}

impl Table {
    fn new(views: &[u128]) -> Table {
        let bits = (views.len() * 2).next_power_of_two().trailing_zeros().max(4);
        let mut t = Table { slots: vec![0; 1 << bits], shift: 64 - bits, empty_text: false };
        for &v in views {
            if v == 0 {
                t.empty_text = true;
                continue;
            }
            let mut at = t.slot(v);
            while t.slots[at] != 0 && t.slots[at] != v {
                at = (at + 1) & (t.slots.len() - 1);
            }
            t.slots[at] = v;
        }
        t
    }

    fn slot(&self, v: u128) -> usize {
        (((v as u64) ^ ((v >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn contains(&self, v: u128) -> bool {
        if v == 0 {
            return self.empty_text;
        }
        let mut at = self.slot(v);
        loop {
            match self.slots[at] {
                0 => return false,
                s if s == v => return true,
                _ => at = (at + 1) & (self.slots.len() - 1),
            }
        }
    }
}

/// Whether each value of `values` is one of the inline `views`; null where the value is.
fn contains(values: &ArrayRef, views: &[u128]) -> Result<ArrayRef> {
    let table = Table::new(views);
    // The low 32 bits of a view are the text's length: a long text is in no table.
    let is_in = |v: u128| (v as u32 as usize) <= INLINE && table.contains(v);
    let bits: BooleanBuffer = match values.data_type() {
        DataType::Utf8View => values.as_string_view().views().iter().map(|v| is_in(*v)).collect(),
        DataType::Utf8 => {
            let a = values.as_string::<i32>();
            (0..a.len()).map(|i| a.value(i).len() <= INLINE && is_in(make_view(a.value(i).as_bytes(), 0, 0))).collect()
        }
        DataType::LargeUtf8 => {
            let a = values.as_string::<i64>();
            (0..a.len()).map(|i| a.value(i).len() <= INLINE && is_in(make_view(a.value(i).as_bytes(), 0, 0))).collect()
        }
        _ => return contains(&cast(values, &DataType::Utf8View)?, views),
    };
    Ok(Arc::new(BooleanArray::new(bits, values.logical_nulls())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;
    use proptest::prelude::*;

    fn answers(ctx: &SessionContext, sql: &str) -> Vec<Option<bool>> {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            batches.iter().flat_map(|b| b.column(0).as_boolean().iter().collect::<Vec<_>>()).collect()
        })
    }

    fn sessions() -> (SessionContext, SessionContext) {
        let ours = SessionContext::new();
        ours.add_optimizer_rule(Arc::new(ShortTextIn::new()));
        (SessionContext::new(), ours)
    }

    #[test]
    fn the_rewrite_applies_to_short_candidates_only() {
        let (_, ours) = sessions();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let plan = |sql: &str| {
            rt.block_on(async {
                let df = ours.sql(sql).await.unwrap();
                format!("{}", df.into_optimized_plan().unwrap().display_indent())
            })
        };
        let from = "FROM (VALUES ('US'), ('a text longer than twelve')) AS t(v)";
        // (DataFusion writes lists of up to three as `=` comparisons before this rule runs.)
        assert!(plan(&format!("SELECT v NOT IN ('US', 'GB', 'DE', 'FR') {from}")).contains(NAME));
        // A long candidate or a null keeps DataFusion's `IN`.
        assert!(!plan(&format!("SELECT v IN ('US', 'GB', 'DE', 'a text longer than twelve') {from}")).contains(NAME));
        assert!(!plan(&format!("SELECT v IN ('US', 'GB', 'DE', NULL) {from}")).contains(NAME));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// `[NOT] IN` answers as DataFusion's own, nulls included, for values shorter and
        /// longer than a view holds inline, in every text type.
        #[test]
        fn answers_agree_with_datafusion(
            values in proptest::collection::vec(proptest::option::of("[ab]{0,14}|é{0,7}"), 1..30),
            candidates in proptest::collection::vec("[ab]{0,12}|é{0,6}", 1..20),
            negated in any::<bool>(),
            text in prop_oneof![Just("VARCHAR"), Just("TEXT")],
        ) {
            let rows: Vec<String> = values
                .iter()
                .map(|v| match v { Some(v) => format!("('{v}')"), None => "(NULL)".into() })
                .collect();
            let list: Vec<String> = candidates.iter().map(|c| format!("'{c}'")).collect();
            let not = if negated { "NOT " } else { "" };
            let sql = format!(
                "SELECT CAST(v AS {text}) {not}IN ({}) FROM (VALUES {}) AS t(v)",
                list.join(", "),
                rows.join(", ")
            );
            let (plain, ours) = sessions();
            // The rewrite is what is tested: it applies to every list DataFusion keeps as one.
            if candidates.iter().collect::<std::collections::BTreeSet<_>>().len() > 3 {
                let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
                let optimized = rt.block_on(async {
                    let df = ours.sql(&sql).await.unwrap();
                    format!("{}", df.into_optimized_plan().unwrap().display_indent())
                });
                prop_assert!(optimized.contains(NAME), "{}", optimized);
            }
            prop_assert_eq!(answers(&ours, &sql), answers(&plain, &sql));
            let view = sql.replace(&format!("CAST(v AS {text})"), "arrow_cast(v, 'Utf8View')");
            prop_assert_eq!(answers(&ours, &view), answers(&plain, &view));
        }
    }
}
