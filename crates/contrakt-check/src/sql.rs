//! SQL text: quoting, the contract's user queries (placeholders, read-only validation) and
//! folding simple user queries into the fused scan.

use sqlparser::ast::{
    BinaryOperator, DuplicateTreatment, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, SetExpr, Statement,
    TableFactor,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

/// A quoted identifier: case kept, quotes doubled.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A quoted string literal.
pub fn string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Replaces the placeholders (ODCS `{object}`/`{property}` and the peers' aliases, see
/// [`contrakt_core::placeholder`]) with the quoted table and column; an unknown `${name}`, or a
/// column placeholder where the rule has no column, is the reason the rule cannot run.
pub fn substitute(query: &str, table: &str, column: Option<&str>) -> Result<String, String> {
    contrakt_core::placeholder::substitute(query, &ident(table), column.map(ident).as_deref())
        .map_err(|p| p.to_string())
}

/// What a user query is, once parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum UserQuery {
    /// `SELECT <aggregate expression> FROM <table> [WHERE p]`: the expression, with `p` moved
    /// into a `FILTER` on each aggregate, ready to be one measure of the fused scan.
    Foldable(String),
    /// Any other read-only query: runs as its own plan.
    Separate(String),
}

/// Parses a query (placeholders already substituted) and decides how to run it. Anything but
/// one read-only `SELECT` is refused with the reason.
pub fn classify(query: &str, table: &str) -> Result<UserQuery, String> {
    if let Some(why) = contrakt_core::sql_guard::refused(query, &GenericDialect {}) {
        return Err(why);
    }
    let owned = query.to_string();
    let statements = contrakt_core::sql_guard::within_deadline(move || {
        Parser::parse_sql(&GenericDialect {}, &owned).map_err(|e| format!("the query does not parse: {e}"))
    })
    .unwrap_or_else(|| Err(format!("the query {}", contrakt_core::sql_guard::too_slow())))?;
    let statement = match statements.as_slice() {
        [one] => one,
        [] => return Err("the query is empty".into()),
        many => return Err(format!("the query holds {} statements; a rule runs exactly one SELECT", many.len())),
    };
    let Statement::Query(q) = statement else {
        let keyword = statement.to_string().split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        return Err(format!("rule queries must be read-only SELECTs; this one is {keyword}"));
    };
    Ok(fold(q, table).map_or_else(|| UserQuery::Separate(query.to_string()), UserQuery::Foldable))
}

fn fold(q: &sqlparser::ast::Query, table: &str) -> Option<String> {
    let SetExpr::Select(select) = q.body.as_ref() else { return None };
    let [item] = select.projection.as_slice() else { return None };
    let expr = match item {
        sqlparser::ast::SelectItem::UnnamedExpr(e) | sqlparser::ast::SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return None,
    };
    let [from] = select.from.as_slice() else { return None };
    if !from.joins.is_empty() {
        return None;
    }
    let TableFactor::Table { name, alias: None, args: None, .. } = &from.relation else { return None };
    let [part] = name.0.as_slice() else { return None };
    let named = part.as_ident()?;
    let same = if named.quote_style.is_some() { named.value == table } else { named.value.eq_ignore_ascii_case(table) };
    if !same {
        return None;
    }
    // Anything beyond SELECT … FROM … WHERE (GROUP BY, LIMIT, DISTINCT, CTEs…) changes what
    // the number means: rebuild the plain form and require it to print identically.
    let plain = match &select.selection {
        Some(w) => format!("SELECT {item} FROM {name} WHERE {w}"),
        None => format!("SELECT {item} FROM {name}"),
    };
    if q.to_string() != plain {
        return None;
    }
    // The WHERE becomes a FILTER: it must be a plain row predicate.
    if let Some(w) = &select.selection {
        let mut n = 0;
        if !rewrite(&mut w.clone(), None, &mut n) || n > 0 {
            return None;
        }
    }
    let mut expr = expr.clone();
    let mut aggregates = 0;
    rewrite(&mut expr, select.selection.as_ref(), &mut aggregates).then_some(())?;
    (aggregates > 0).then(|| expr.to_string())
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "mean",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "var",
    "var_pop",
    "var_samp",
    "bool_and",
    "bool_or",
    "every",
    "median",
    "approx_distinct",
    "approx_median",
];

/// Adds `filter` to every aggregate call. False when the expression holds anything this
/// rewrite does not understand (subqueries, windows, DISTINCT under a filter…): then the
/// query runs on its own.
fn rewrite(e: &mut Expr, filter: Option<&Expr>, aggregates: &mut usize) -> bool {
    match e {
        Expr::Function(f) => {
            if f.over.is_some() || !f.within_group.is_empty() {
                return false;
            }
            let name = f.name.to_string().to_ascii_lowercase();
            let FunctionArguments::List(list) = &mut f.args else {
                return matches!(f.args, FunctionArguments::None) && !AGGREGATES.contains(&name.as_str());
            };
            if AGGREGATES.contains(&name.as_str()) {
                *aggregates += 1;
                let distinct = matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
                if distinct && filter.is_some() {
                    return false;
                }
                let plain_args = list.args.iter().all(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => {
                        let mut n = 0;
                        rewrite(&mut x.clone(), None, &mut n) && n == 0
                    }
                    FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => true,
                    _ => false,
                });
                if !plain_args {
                    return false;
                }
                if let Some(w) = filter {
                    f.filter = Some(Box::new(match f.filter.take() {
                        Some(own) => Expr::BinaryOp {
                            left: Box::new(Expr::Nested(own)),
                            op: BinaryOperator::And,
                            right: Box::new(Expr::Nested(Box::new(w.clone()))),
                        },
                        None => w.clone(),
                    }));
                }
                true
            } else {
                list.args.iter_mut().all(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => rewrite(x, filter, aggregates),
                    _ => false,
                })
            }
        }
        Expr::Identifier(_) | Expr::Value(_) | Expr::TypedString(_) | Expr::Interval(_) => true,
        Expr::BinaryOp { left, right, .. } => rewrite(left, filter, aggregates) && rewrite(right, filter, aggregates),
        Expr::UnaryOp { expr, .. } | Expr::Nested(expr) | Expr::Cast { expr, .. } => rewrite(expr, filter, aggregates),
        Expr::IsNull(x)
        | Expr::IsNotNull(x)
        | Expr::IsTrue(x)
        | Expr::IsFalse(x)
        | Expr::IsNotTrue(x)
        | Expr::IsNotFalse(x) => rewrite(x, filter, aggregates),
        Expr::Between { expr, low, high, .. } => {
            rewrite(expr, filter, aggregates) && rewrite(low, filter, aggregates) && rewrite(high, filter, aggregates)
        }
        Expr::InList { expr, list, .. } => {
            rewrite(expr, filter, aggregates) && list.iter_mut().all(|x| rewrite(x, filter, aggregates))
        }
        Expr::Case { operand, conditions, else_result, .. } => {
            operand.as_deref_mut().is_none_or(|o| rewrite(o, filter, aggregates))
                && conditions.iter_mut().all(|c| {
                    rewrite(&mut c.condition, filter, aggregates) && rewrite(&mut c.result, filter, aggregates)
                })
                && else_result.as_deref_mut().is_none_or(|x| rewrite(x, filter, aggregates))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(q: &str) -> Option<String> {
        match classify(q, "orders").unwrap() {
            UserQuery::Foldable(e) => Some(e),
            UserQuery::Separate(_) => None,
        }
    }

    #[test]
    fn simple_aggregates_fold_with_their_where_as_a_filter() {
        assert_eq!(
            folded("SELECT count(*) FROM orders WHERE created_at > updated_at").as_deref(),
            Some("count(*) FILTER (WHERE created_at > updated_at)")
        );
        assert_eq!(
            folded("SELECT CAST(max(created_at) >= TIMESTAMP '2025-05-31 00:00:00' AS INTEGER) FROM orders").as_deref(),
            Some("CAST(max(created_at) >= TIMESTAMP '2025-05-31 00:00:00' AS INTEGER)")
        );
        assert_eq!(
            folded(r#"SELECT COUNT(*) FROM "orders" WHERE total_amount < 0"#).as_deref(),
            Some("COUNT(*) FILTER (WHERE total_amount < 0)")
        );
        // Two aggregates both take the filter.
        assert_eq!(
            folded("SELECT sum(a) / count(*) FROM orders WHERE a > 0").as_deref(),
            Some("sum(a) FILTER (WHERE a > 0) / count(*) FILTER (WHERE a > 0)")
        );
    }

    #[test]
    fn anything_more_runs_on_its_own() {
        for q in [
            "SELECT count(*) FROM orders o JOIN customers c ON o.c = c.c",
            "SELECT count(*) FROM customers",
            "SELECT count(*) FROM orders GROUP BY status",
            "SELECT count(*) FROM orders LIMIT 1",
            "SELECT count(DISTINCT a) FROM orders WHERE b > 1",
            "SELECT count(*) FROM orders WHERE a IN (SELECT a FROM x)",
            "SELECT (SELECT count(*) FROM x) FROM orders",
            "SELECT a FROM orders",
            "WITH x AS (SELECT 1) SELECT count(*) FROM orders",
            "SELECT count(*) FROM orders AS o",
        ] {
            assert_eq!(folded(q), None, "{q}");
        }
    }

    #[test]
    fn writes_are_refused_with_the_keyword() {
        assert!(classify("DROP TABLE orders", "orders").unwrap_err().contains("DROP"));
        assert!(classify("INSERT INTO orders VALUES (1)", "orders").unwrap_err().contains("INSERT"));
        assert!(classify("SELECT 1; DELETE FROM orders", "orders").unwrap_err().contains("2 statements"));
        assert!(classify("SELEC 1", "orders").unwrap_err().contains("does not parse"));
        let recursive = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t";
        assert!(classify(recursive, "orders").unwrap_err().contains("WITH RECURSIVE"));
    }

    proptest::proptest! {
        // Any text, and any mutation of a foldable query, is classified or refused: never a
        // panic, and a fold keeps the query's aggregate.
        #[test]
        fn classify_never_panics(q in ".{0,200}") {
            let _ = classify(&q, "orders");
        }

        #[test]
        fn folds_keep_their_aggregate(col in "c_[a-z]{1,8}", n in 0i64..1000) {
            let q = format!("SELECT count(*) FROM orders WHERE {col} > {n}");
            let folded = classify(&q, "orders").unwrap();
            proptest::prop_assert_eq!(folded, UserQuery::Foldable(format!("count(*) FILTER (WHERE {col} > {n})")));
        }
    }

    #[test]
    fn placeholders_and_quoting() {
        assert_eq!(
            substitute("SELECT count(*) FROM {object} WHERE {property} < 0", "Or\"d", Some("a")).unwrap(),
            "SELECT count(*) FROM \"Or\"\"d\" WHERE \"a\" < 0"
        );
        assert_eq!(substitute("FROM ${object}", "t", None).unwrap(), "FROM \"t\"");
        assert_eq!(string("it's"), "'it''s'");
    }
}
