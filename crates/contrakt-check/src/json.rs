//! PostgreSQL's JSON operators in SQL rules: `doc -> 'key'` (the member as JSON text) and
//! `doc ->> 'key'` (as plain text: a string without its quotes), on text columns holding JSON,
//! with a string key for an object member or an integer for an array element. Contracts
//! written for a warehouse use them in their `sql` rules; DataFusion parses the operators but
//! plans neither. A `jsonb` column often lands in Parquet as a struct: there `->` is the
//! struct's field and `->>` that field as text, so the rule means what it meant in the warehouse.
//!
//! `datafusion-functions-json` would bring these and more, but its JSON parser (jiter) pins
//! another pyo3 than the Python package's, and Cargo refuses two crates linking the same native
//! library even when one is never built.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::sql::sqlparser::ast::BinaryOperator;
use serde_json::Value as Json;

/// `->`: the member as JSON text.
pub const JSON_GET: &str = "contrakt_json_get";
/// `->>`: the member as text.
pub const JSON_GET_TEXT: &str = "contrakt_json_get_text";

pub(crate) fn udfs() -> [ScalarUDF; 2] {
    [
        ScalarUDF::new_from_impl(JsonGet {
            name: JSON_GET,
            text: false,
            signature: Signature::any(2, Volatility::Immutable),
        }),
        ScalarUDF::new_from_impl(JsonGet {
            name: JSON_GET_TEXT,
            text: true,
            signature: Signature::any(2, Volatility::Immutable),
        }),
    ]
}

/// Plans `->` and `->>` as the functions above.
#[derive(Debug)]
pub(crate) struct JsonOperators;

impl ExprPlanner for JsonOperators {
    fn plan_binary_op(&self, expr: RawBinaryExpr, schema: &DFSchema) -> Result<PlannerResult<RawBinaryExpr>> {
        let text = match expr.op {
            BinaryOperator::Arrow => false,
            BinaryOperator::LongArrow => true,
            _ => return Ok(PlannerResult::Original(expr)),
        };
        let on_struct = matches!(expr.left.get_type(schema)?, DataType::Struct(_));
        let left = expr.left;
        let get = move |key: Expr| access(left.clone(), key, text, on_struct);
        // The generic dialect binds `->>` looser than comparisons, so `doc ->> 'k' = 'v'` arrives
        // as `doc ->> ('k' = 'v')`; PostgreSQL binds it tighter. A key is never a predicate:
        // apply the operator to the predicate's operand instead, as PostgreSQL reads it.
        Ok(PlannerResult::Planned(match rebind(expr.right, &get) {
            Ok(rebound) => rebound,
            Err(key) => get(key),
        }))
    }
}

/// `doc -> key` or `doc ->> key`: a JSON text's member, or a struct's field.
fn access(doc: Expr, key: Expr, text: bool, on_struct: bool) -> Expr {
    if on_struct {
        let field =
            Expr::ScalarFunction(ScalarFunction::new_udf(datafusion::functions::core::get_field(), vec![doc, key]));
        return if text { cast_expr(field, DataType::Utf8) } else { field };
    }
    let name = if text { JSON_GET_TEXT } else { JSON_GET };
    let udf = udfs().into_iter().find(|u| u.name() == name).expect("both functions exist");
    Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(udf), vec![doc, key]))
}

/// A predicate whose first operand is the key (`'k' = 'v'`, `'k' IS NULL`, `'k' LIKE …`), with
/// `get` applied to that operand; the key itself when it is no such predicate.
fn rebind(key: Expr, get: &dyn Fn(Expr) -> Expr) -> std::result::Result<Expr, Expr> {
    use datafusion::logical_expr::{Between, BinaryExpr, Like, expr::InList};
    Ok(match key {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if op.supports_propagation() || is_match_op(op) => {
            let left = rebind(*left, get).unwrap_or_else(get);
            Expr::BinaryExpr(BinaryExpr::new(Box::new(left), op, right))
        }
        Expr::Like(Like { negated, expr, pattern, escape_char, case_insensitive }) => {
            Expr::Like(Like::new(negated, Box::new(get(*expr)), pattern, escape_char, case_insensitive))
        }
        Expr::SimilarTo(Like { negated, expr, pattern, escape_char, case_insensitive }) => {
            Expr::SimilarTo(Like::new(negated, Box::new(get(*expr)), pattern, escape_char, case_insensitive))
        }
        Expr::IsNull(e) => Expr::IsNull(Box::new(get(*e))),
        Expr::IsNotNull(e) => Expr::IsNotNull(Box::new(get(*e))),
        Expr::IsTrue(e) => Expr::IsTrue(Box::new(get(*e))),
        Expr::IsFalse(e) => Expr::IsFalse(Box::new(get(*e))),
        Expr::IsNotTrue(e) => Expr::IsNotTrue(Box::new(get(*e))),
        Expr::IsNotFalse(e) => Expr::IsNotFalse(Box::new(get(*e))),
        Expr::IsUnknown(e) => Expr::IsUnknown(Box::new(get(*e))),
        Expr::IsNotUnknown(e) => Expr::IsNotUnknown(Box::new(get(*e))),
        Expr::Between(Between { expr, negated, low, high }) => {
            Expr::Between(Between::new(Box::new(get(*expr)), negated, low, high))
        }
        Expr::InList(InList { expr, list, negated }) => Expr::InList(InList::new(Box::new(get(*expr)), list, negated)),
        other => return Err(other),
    })
}

fn cast_expr(e: Expr, to: DataType) -> Expr {
    Expr::Cast(datafusion::logical_expr::Cast::new(Box::new(e), to))
}

/// Regular-expression and LIKE operators, which also bind tighter than `->>` in the generic
/// dialect.
fn is_match_op(op: datafusion::logical_expr::Operator) -> bool {
    use datafusion::logical_expr::Operator::*;
    matches!(
        op,
        RegexMatch
            | RegexIMatch
            | RegexNotMatch
            | RegexNotIMatch
            | LikeMatch
            | ILikeMatch
            | NotLikeMatch
            | NotILikeMatch
            | IsDistinctFrom
            | IsNotDistinctFrom
    )
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonGet {
    name: &'static str,
    /// `->>` (text) rather than `->` (JSON).
    text: bool,
    signature: Signature,
}

/// A member key: an object's member name, or an array's index.
enum Key {
    Name(String),
    Index(i64),
}

impl ScalarUDFImpl for JsonGet {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args.first() {
            Some(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null) => Ok(DataType::Utf8),
            Some(other) => plan_err!("`->`/`->>` read JSON held as text, not {other}"),
            None => plan_err!("`->`/`->>` take a JSON document and a key"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [doc, key] = args.args.as_slice() else {
            return exec_err!("`->`/`->>` take a JSON document and a key");
        };
        let rows = args.number_rows;
        let docs = cast(&doc.to_array(rows)?, &DataType::Utf8)?;
        let docs = docs.as_string::<i32>();
        let key_at = key_reader(key, rows)?;
        let mut out = StringBuilder::with_capacity(rows, rows * 8);
        for row in 0..rows {
            let got = match (docs.is_null(row), key_at(row)) {
                (false, Some(k)) => member(docs.value(row), &k, self.text),
                _ => None,
            };
            match got {
                Some(v) => out.append_value(v),
                None => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

/// The key of each row: one literal, or a column of names or indexes.
fn key_reader(key: &ColumnarValue, rows: usize) -> Result<Box<dyn Fn(usize) -> Option<Key>>> {
    Ok(match key {
        ColumnarValue::Scalar(s) => {
            let k = match s {
                ScalarValue::Utf8(Some(k)) | ScalarValue::LargeUtf8(Some(k)) | ScalarValue::Utf8View(Some(k)) => {
                    Some(k.clone())
                }
                s if s.is_null() => None,
                other => match other.cast_to(&DataType::Int64)? {
                    ScalarValue::Int64(Some(i)) => {
                        return Ok(Box::new(move |_| Some(Key::Index(i))));
                    }
                    _ => return exec_err!("a JSON key is a string or an integer, not {other}"),
                },
            };
            Box::new(move |_| k.clone().map(Key::Name))
        }
        ColumnarValue::Array(a) => {
            let a = a.slice(0, rows.min(a.len()));
            if a.data_type().is_integer() {
                let ints = cast(&a, &DataType::Int64)?;
                Box::new(move |row| {
                    let ints = ints.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                    (!ints.is_null(row)).then(|| Key::Index(ints.value(row)))
                })
            } else {
                let names = cast(&a, &DataType::Utf8)?;
                Box::new(move |row| {
                    let names = names.as_string::<i32>();
                    (!names.is_null(row)).then(|| Key::Name(names.value(row).to_string()))
                })
            }
        }
    })
}

/// The member `key` of the JSON text `doc`, as JSON text or (`text`) as PostgreSQL's `->>`
/// gives it. `None` (SQL NULL) when `doc` is not JSON, the member is missing, or, as text, it
/// is JSON `null`.
fn member(doc: &str, key: &Key, text: bool) -> Option<String> {
    let value: Json = serde_json::from_str(doc).ok()?;
    let found = match (key, &value) {
        (Key::Name(k), Json::Object(map)) => map.get(k)?,
        (Key::Index(i), Json::Array(items)) => {
            // Negative indexes count from the end, as in PostgreSQL.
            let i = if *i < 0 { items.len().checked_sub(i.unsigned_abs() as usize)? } else { *i as usize };
            items.get(i)?
        }
        _ => return None,
    };
    match (found, text) {
        (Json::Null, true) => None,
        (Json::String(s), true) => Some(s.clone()),
        (other, _) => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::prelude::SessionContext;

    use super::*;

    #[test]
    fn members_as_postgresql_gives_them() {
        let doc = r#"{"email": true, "name": "Ann", "tags": ["a", "b"], "none": null, "n": 1.5}"#;
        let name = |k: &str| Key::Name(k.into());
        assert_eq!(member(doc, &name("email"), true).as_deref(), Some("true"));
        assert_eq!(member(doc, &name("name"), true).as_deref(), Some("Ann"));
        assert_eq!(member(doc, &name("name"), false).as_deref(), Some("\"Ann\""));
        assert_eq!(member(doc, &name("tags"), true).as_deref(), Some(r#"["a","b"]"#));
        assert_eq!(member(doc, &name("none"), true), None);
        assert_eq!(member(doc, &name("none"), false).as_deref(), Some("null"));
        assert_eq!(member(doc, &name("missing"), true), None);
        assert_eq!(member(r#"["a","b"]"#, &Key::Index(-1), true).as_deref(), Some("b"));
        assert_eq!(member(r#"["a","b"]"#, &Key::Index(-3), true), None);
        assert_eq!(member("not json", &name("x"), true), None);
    }

    #[tokio::test]
    async fn the_operators_plan_and_chain_in_sql() {
        let mut ctx = SessionContext::new();
        crate::functions::register(&mut ctx);
        let sql = r#"SELECT ('{"a": {"b": "x"}, "ok": "true"}' -> 'a') ->> 'b' AS b,
                            ('{"ok": "true"}' ->> 'ok')::boolean AS ok,
                            ('{"d": 2.5}' ->> 'd')::numeric(5,2) AS d"#;
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let shown = pretty_format_batches(&batches).unwrap().to_string();
        assert!(shown.contains("| x | true | 2.50 |"), "{shown}");
        // On a struct (a jsonb column as Parquet holds it): the field, and the field as text.
        let sql = "SELECT (s ->> 'flag')::boolean AS flag, s -> 'n' AS n, s ->> 'n' AS n_text
                   FROM (SELECT named_struct('flag', true, 'n', 7) AS s)";
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let shown = pretty_format_batches(&batches).unwrap().to_string();
        assert!(shown.contains("| true | 7 | 7      |"), "{shown}");
        assert_eq!(batches[0].schema().field(2).data_type(), &DataType::Utf8);
        // Written as for PostgreSQL, where `->>` binds tighter than `=`, `IS`, `LIKE`, `IN`.
        let sql = r#"SELECT d ->> 'k' = 'v' AS eq, d -> 'o' ->> 'k' = 'w' AS chained, d ->> 'k' IS NULL AS null_,
                            d ->> 'k' LIKE 'v%' AS like_, d ->> 'k' IN ('a', 'v') AS in_, d ->> 'n' BETWEEN 1 AND 3 AS between_
                     FROM (SELECT '{"k": "v", "o": {"k": "w"}, "n": 2}' AS d)"#;
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let shown = pretty_format_batches(&batches).unwrap().to_string();
        assert!(shown.contains("| true | true    | false | true  | true | true     |"), "{shown}");
    }
}
