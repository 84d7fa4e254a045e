//! Checks on the items of an array column (`items:` of an ODCS property), inside the fused scan.
//!
//! `contrakt_any_item(list, kind, argument)` is true for a row when any non-null item of its
//! array breaks the rule `kind` (`mismatch` a regular expression, `shorter`/`longer` than a
//! number of characters, `below`/`below_or_at`/`above`/`above_or_at` a number, `not_in` a JSON
//! array of values), false when none
//! does, and null for a null array, so `count(*) FILTER (WHERE …)` counts the rows holding at
//! least one bad item. DataFusion's own higher-order functions (`any_match(list, x -> …)`) need
//! a lambda-parsing dialect that would also change how users' SQL rules parse; this is one
//! function over the flattened items instead, with no per-row allocation.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, OffsetSizeTrait};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

/// The function's SQL name.
pub const ANY_ITEM: &str = "contrakt_any_item";

/// The most a compiled item pattern may take (the `regex` crate's default is 10 MiB too; a
/// pattern past it is an error, never an allocation failure).
const REGEX_SIZE_LIMIT: usize = 10 << 20;

pub(crate) fn any_item_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(AnyItem { signature: Signature::any(3, Volatility::Immutable) })
}

/// What an item is checked against.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemRule {
    Mismatch(String),
    Shorter(u64),
    Longer(u64),
    /// Below the bound (`or_at`: at it too).
    Below {
        bound: f64,
        or_at: bool,
    },
    Above {
        bound: f64,
        or_at: bool,
    },
    /// Not one of these values (compared as numbers on numeric items, as text otherwise).
    NotIn(Vec<serde_json::Value>),
    /// Not a date of this shape (a regular expression) or, where the shape holds, a day past the
    /// end of its month (`2019-02-30`).
    Date {
        regex: String,
        calendar: Calendar,
    },
}

/// 1-based character positions and widths of the fields of a fixed-width date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calendar {
    pub year: Option<(usize, usize)>,
    pub month: (usize, usize),
    pub day: (usize, usize),
}

impl Calendar {
    /// As the rule's name carries it: `date:YEAR:MONTH:DAY`, each `at,width` (`-` for no year).
    pub fn kind(&self) -> String {
        let f = |(at, len): (usize, usize)| format!("{at},{len}");
        format!("date:{}:{}:{}", self.year.map_or("-".into(), f), f(self.month), f(self.day))
    }

    pub fn from_kind(kind: &str) -> Option<Calendar> {
        let field = |t: &str| {
            let (at, len) = t.split_once(',')?;
            let (at, len) = (at.parse::<usize>().ok()?, len.parse::<usize>().ok()?);
            (at >= 1 && (1..=4).contains(&len)).then_some((at, len))
        };
        let mut parts = kind.strip_prefix("date:")?.split(':');
        let year = match parts.next()? {
            "-" => None,
            y => Some(field(y)?),
        };
        let (month, day) = (field(parts.next()?)?, field(parts.next()?)?);
        parts.next().is_none().then_some(Calendar { year, month, day })
    }

    /// Is the day of `s` (whose shape holds) past the end of its month? Fields that are not
    /// digits are left to the shape.
    pub fn past_month_end(&self, s: &str) -> bool {
        let field = |(at, len): (usize, usize)| -> Option<u32> {
            let text: String = s.chars().skip(at - 1).take(len).collect();
            (text.chars().count() == len && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
        };
        let (Some(month), Some(day)) = (field(self.month), field(self.day)) else { return false };
        let leap = match self.year {
            None => true,
            Some(y) => match field(y) {
                None => true,
                // Java's `yy` is 2000–2099.
                Some(year) => {
                    let year = if y.1 == 2 { 2000 + year } else { year };
                    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
                }
            },
        };
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        day > days
    }
}

impl ItemRule {
    /// The SQL predicate true for rows with a bad item of `column` (an SQL expression).
    pub fn predicate(&self, column: &str) -> String {
        let (kind, arg) = match self {
            ItemRule::Mismatch(re) => ("mismatch", re.clone()),
            ItemRule::Shorter(n) => ("shorter", n.to_string()),
            ItemRule::Longer(n) => ("longer", n.to_string()),
            ItemRule::Below { bound, or_at } => (if *or_at { "below_or_at" } else { "below" }, bound.to_string()),
            ItemRule::Above { bound, or_at } => (if *or_at { "above_or_at" } else { "above" }, bound.to_string()),
            ItemRule::NotIn(values) => ("not_in", serde_json::Value::Array(values.clone()).to_string()),
            ItemRule::Date { regex, calendar } => {
                return format!("{ANY_ITEM}({column}, {}, {})", quote(&calendar.kind()), quote(regex));
            }
        };
        format!("{ANY_ITEM}({column}, {}, {})", quote(kind), quote(&arg))
    }

    fn parse(kind: &str, arg: &str) -> Result<ItemRule> {
        let number = || arg.parse::<f64>().ok().filter(|n| n.is_finite());
        let count = || arg.parse::<u64>().ok();
        let rule = match kind {
            "mismatch" => Some(ItemRule::Mismatch(arg.to_string())),
            "shorter" => count().map(ItemRule::Shorter),
            "longer" => count().map(ItemRule::Longer),
            "below" | "below_or_at" => number().map(|bound| ItemRule::Below { bound, or_at: kind == "below_or_at" }),
            "above" | "above_or_at" => number().map(|bound| ItemRule::Above { bound, or_at: kind == "above_or_at" }),
            k if k.starts_with("date:") => {
                Calendar::from_kind(k).map(|calendar| ItemRule::Date { regex: arg.to_string(), calendar })
            }
            "not_in" => match serde_json::from_str(arg) {
                Ok(serde_json::Value::Array(values)) => Some(ItemRule::NotIn(values)),
                _ => None,
            },
            _ => None,
        };
        match rule {
            Some(r) => Ok(r),
            None => plan_err!("{ANY_ITEM}: unknown rule `{kind}` with argument `{arg}`"),
        }
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct AnyItem {
    signature: Signature,
}

impl ScalarUDFImpl for AnyItem {
    fn name(&self) -> &str {
        ANY_ITEM
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args.first() {
            Some(DataType::List(_) | DataType::LargeList(_) | DataType::Null) => Ok(DataType::Boolean),
            Some(other) => plan_err!("{ANY_ITEM} checks the items of an array, not {other}"),
            None => plan_err!("{ANY_ITEM} takes an array, a rule and its argument"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [list, kind, arg] = args.args.as_slice() else {
            return exec_err!("{ANY_ITEM} takes an array, a rule and its argument");
        };
        let text = |v: &ColumnarValue| match v {
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s))) => Ok(s.clone()),
            _ => exec_err!("{ANY_ITEM}: the rule and its argument are string literals"),
        };
        let rule = ItemRule::parse(&text(kind)?, &text(arg)?)?;
        let rows = args.number_rows;
        let array = list.to_array(rows)?;
        let out = match array.data_type() {
            DataType::List(_) => any_bad(array.as_list::<i32>(), &rule)?,
            DataType::LargeList(_) => any_bad(array.as_list::<i64>(), &rule)?,
            DataType::Null => BooleanArray::new_null(array.len()),
            other => return exec_err!("{ANY_ITEM} checks the items of an array, not {other}"),
        };
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// Per row: does any non-null item break `rule`? Null for a null array.
fn any_bad<O: OffsetSizeTrait>(
    list: &datafusion::arrow::array::GenericListArray<O>,
    rule: &ItemRule,
) -> Result<BooleanArray> {
    let bad = bad_items(list.values(), rule)?;
    let offsets = list.value_offsets();
    let mut out = BooleanBuilder::with_capacity(list.len());
    for row in 0..list.len() {
        if list.is_null(row) {
            out.append_null();
            continue;
        }
        let (start, end) = (offsets[row].as_usize(), offsets[row + 1].as_usize());
        out.append_value(bad[start..end].iter().any(|b| *b));
    }
    Ok(out.finish())
}

/// Per item of the flattened values: does it break `rule`? A null item breaks none.
fn bad_items(values: &ArrayRef, rule: &ItemRule) -> Result<Vec<bool>> {
    match rule {
        ItemRule::Mismatch(_) | ItemRule::Shorter(_) | ItemRule::Longer(_) | ItemRule::Date { .. } => {
            let strings = cast(values, &DataType::Utf8)?;
            let strings = strings.as_string::<i32>();
            let re = match rule {
                ItemRule::Mismatch(p) | ItemRule::Date { regex: p, .. } => {
                    match regex::RegexBuilder::new(p).size_limit(REGEX_SIZE_LIMIT).build() {
                        Ok(re) => Some(re),
                        Err(e) => return plan_err!("the items' pattern `{p}` does not compile: {e}"),
                    }
                }
                _ => None,
            };
            Ok(strings
                .iter()
                .map(|item| match (item, rule, &re) {
                    (None, ..) => false,
                    (Some(s), ItemRule::Date { calendar, .. }, Some(re)) => {
                        !re.is_match(s) || calendar.past_month_end(s)
                    }
                    (Some(s), _, Some(re)) => !re.is_match(s),
                    (Some(s), ItemRule::Shorter(n), _) => (s.chars().count() as u64) < *n,
                    (Some(s), ItemRule::Longer(n), _) => (s.chars().count() as u64) > *n,
                    _ => false,
                })
                .collect())
        }
        ItemRule::NotIn(allowed) if values.data_type().is_numeric() => {
            let allowed: Vec<f64> = allowed.iter().filter_map(|v| v.as_f64()).collect();
            let numbers = cast(values, &DataType::Float64)?;
            Ok(numbers
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .iter()
                .map(|item| item.is_some_and(|x| !allowed.contains(&x)))
                .collect())
        }
        ItemRule::NotIn(allowed) => {
            let allowed: Vec<String> = allowed
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            let strings = cast(values, &DataType::Utf8)?;
            Ok(strings
                .as_string::<i32>()
                .iter()
                .map(|item| item.is_some_and(|s| !allowed.iter().any(|a| a == s)))
                .collect())
        }
        ItemRule::Below { bound, or_at } | ItemRule::Above { bound, or_at } => {
            let below = matches!(rule, ItemRule::Below { .. });
            let numbers = cast(values, &DataType::Float64)?;
            Ok(numbers
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .iter()
                .map(|item| match item {
                    None => false,
                    Some(x) if below => x < *bound || (*or_at && x == *bound),
                    Some(x) => x > *bound || (*or_at && x == *bound),
                })
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ListArray, StringArray};
    use datafusion::arrow::buffer::OffsetBuffer;
    use datafusion::arrow::datatypes::{Field, Int64Type};
    use datafusion::prelude::SessionContext;

    use super::*;

    fn strings(rows: &[Option<Vec<Option<&str>>>]) -> ListArray {
        let mut offsets = vec![0i32];
        let mut items: Vec<Option<&str>> = Vec::new();
        let mut valid = Vec::new();
        for row in rows {
            if let Some(r) = row {
                items.extend(r.iter().cloned());
            }
            valid.push(row.is_some());
            offsets.push(items.len() as i32);
        }
        ListArray::new(
            Arc::new(Field::new("item", DataType::Utf8, true)),
            OffsetBuffer::new(offsets.into()),
            Arc::new(StringArray::from(items)),
            Some(valid.into()),
        )
    }

    #[test]
    fn a_row_fails_when_any_item_breaks_the_rule_and_nulls_break_nothing() {
        let list = strings(&[
            Some(vec![Some("AB12"), Some("CD34")]),
            Some(vec![Some("AB12"), Some("bad!")]),
            Some(vec![]),
            Some(vec![None]),
            None,
        ]);
        let got = any_bad(&list, &ItemRule::Mismatch("^[A-Z0-9]{4}$".into())).unwrap();
        let got: Vec<Option<bool>> = got.iter().collect();
        assert_eq!(got, vec![Some(false), Some(true), Some(false), Some(false), None]);
        let shorter = any_bad(&list, &ItemRule::Shorter(4)).unwrap();
        assert_eq!(shorter.iter().collect::<Vec<_>>(), vec![Some(false), Some(false), Some(false), Some(false), None]);
        let longer = any_bad(&list, &ItemRule::Longer(3)).unwrap();
        assert_eq!(longer.iter().collect::<Vec<_>>(), vec![Some(true), Some(true), Some(false), Some(false), None]);
    }

    #[test]
    fn numeric_bounds_and_characters_not_bytes() {
        let numbers = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), Some(5)]),
            Some(vec![Some(0), Some(2)]),
        ]);
        let below = any_bad(&numbers, &ItemRule::Below { bound: 1.0, or_at: false }).unwrap();
        assert_eq!(below.iter().collect::<Vec<_>>(), vec![Some(false), Some(true)]);
        let at = any_bad(&numbers, &ItemRule::Above { bound: 5.0, or_at: true }).unwrap();
        assert_eq!(at.iter().collect::<Vec<_>>(), vec![Some(true), Some(false)]);
        // "ÄÖÜ" is 3 characters (6 bytes).
        let umlauts = strings(&[Some(vec![Some("ÄÖÜ")])]);
        assert!(!any_bad(&umlauts, &ItemRule::Longer(3)).unwrap().value(0));
    }

    #[test]
    fn date_items_are_held_to_the_calendar() {
        let check = crate::compile::format_check("yyyy-MM-dd").unwrap().unwrap();
        let date = |c: &crate::compile::FormatCheck| match c.calendar() {
            Some(calendar) => ItemRule::Date { regex: c.regex.clone(), calendar },
            None => panic!("a calendar date"),
        };
        let rule = date(&check);
        let list = strings(&[
            Some(vec![Some("2019-02-28"), Some("2020-02-29")]),
            Some(vec![Some("2019-02-28"), Some("2019-02-30")]),
            Some(vec![Some("2019-02-29")]),
            Some(vec![Some("2019-13-01")]),
            Some(vec![Some("1977-05-55")]),
            Some(vec![Some("2000-02-29"), Some("2019-12-31"), None]),
            Some(vec![Some("1900-02-29")]),
        ]);
        let got: Vec<Option<bool>> = any_bad(&list, &rule).unwrap().iter().collect();
        assert_eq!(got, [false, true, true, true, true, false, true].map(Some));
        // `format: date` too, and the rule survives its SQL spelling.
        let rule = date(&crate::compile::format_check("date").unwrap().unwrap());
        assert!(any_bad(&strings(&[Some(vec![Some("2019-02-30")])]), &rule).unwrap().value(0));
        let ItemRule::Date { regex, calendar } = &rule else { unreachable!() };
        assert_eq!(ItemRule::parse(&calendar.kind(), regex).unwrap(), rule);
        assert_eq!(Calendar::from_kind("date:-:4,2:1,2").unwrap().year, None);
        for bad in ["date:", "date:0,4:6,2:9,2", "date:1,4:6,2", "date:1,4:6,2:9,2:1,1", "date:1,9:6,2:9,2"] {
            assert_eq!(Calendar::from_kind(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn runs_in_sql_and_refuses_what_it_cannot_check() {
        let mut ctx = SessionContext::new();
        crate::functions::register(&mut ctx);
        let rule = ItemRule::Mismatch("^[a-z]+$".into());
        let sql = format!("SELECT {} AS bad", rule.predicate("make_array('ok', 'NOT ok')"));
        let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        assert!(batches[0].column(0).as_boolean().value(0));
        let err = ctx.sql("SELECT contrakt_any_item(make_array('a'), 'nope', '1')").await;
        let err = match err {
            Ok(df) => df.collect().await.unwrap_err().to_string(),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("unknown rule `nope`"), "{err}");
        let err = ctx.sql("SELECT contrakt_any_item('text', 'shorter', '1')").await.unwrap_err().to_string();
        assert!(err.contains("checks the items of an array, not Utf8"), "{err}");
    }
}
