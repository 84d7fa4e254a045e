//! The check compiler: an object's expectations become measures of one fused aggregate over
//! one scan (`count(*) FILTER (WHERE …)`, `count(DISTINCT …)`, `min`/`max`), plus a separate
//! query only where the semantics need one (composite keys, references, user SQL that is not
//! a plain aggregate).

use datafusion::arrow::datatypes::{DataType as Arrow, Schema as ArrowSchema};
use serde_json::Value as Json;

use contrakt_core::expect::{Expectation, Measure};

use crate::conformance::{Column, resolve};
use crate::items::ItemRule;
use crate::sql::{self, UserQuery, ident, string};

/// How one expectation is measured.
#[derive(Debug, Clone, PartialEq)]
pub enum How {
    /// A count: the sum of these parts.
    Count(Vec<Part>),
    /// A user query's single number.
    Number(Part),
    /// The age of the newest (`newest`) or oldest value of a fused `max`/`min`.
    Age { measure: usize, newest: bool },
    /// Known before running: skipped with the reason.
    Skip(String),
    /// Known before running: cannot run, with the reason.
    Error(String),
    /// Known before running to hold (a format guaranteed by the column's type).
    Holds(String),
    /// Measured by plans of its own after the scan (a reconciliation: [`crate::reconcile`]).
    Apart,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Index into the fused measures.
    Fused(usize),
    /// A query of its own, returning one number.
    Query(String),
}

/// What to show when a check fails.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// Rows matching a predicate: key columns plus the offending column.
    Rows { predicate: String, column: Option<String> },
    /// Values occurring more than once, with their counts.
    Repeats { columns: Vec<String> },
    /// Rows whose value has no match in the referenced table.
    Orphans { column: String, target: String, target_column: String },
}

#[derive(Debug, Clone)]
pub struct Planned {
    pub how: How,
    pub sample: Option<Sample>,
}

/// A metric the history records from the fused scan, beside the checks' own values.
#[derive(Debug, Clone, PartialEq)]
pub struct Stat {
    /// The property (`payment.amount`).
    pub property: String,
    /// `min`, `max`, `mean`, `distinctCount`, or `newest` (a timestamp, turned into the
    /// freshness lag).
    pub metric: &'static str,
    /// Index into the fused measures.
    pub measure: usize,
}

/// An object's compiled plan.
#[derive(Debug, Clone, Default)]
pub struct ObjectPlan {
    /// The registered table the object's data is read from.
    pub table: String,
    /// Aggregate expressions of the fused scan; measure 0 is `count(*)`.
    pub fused: Vec<String>,
    /// One entry per expectation, in order.
    pub checks: Vec<Planned>,
    /// Metrics for the history, measured by the same scan.
    pub stats: Vec<Stat>,
    /// Exact uniqueness as a grouping of its own (`repeats_query`) rather than a
    /// `count(DISTINCT …)` in the fused scan, which holds every distinct value in memory: for
    /// runs under a memory limit. No `distinctCount` is recorded then.
    pub grouped_uniqueness: bool,
    /// Checks measured per segment, by their segment columns (see [`crate::segment`]).
    pub segments: Segmenting,
}

impl ObjectPlan {
    /// The fused scan as SQL.
    pub fn fused_sql(&self) -> String {
        fused_sql(&self.table, &self.fused.iter().enumerate().map(|(i, m)| (i, m.as_str())).collect::<Vec<_>>())
    }

    fn stat(&mut self, property: &str, metric: &'static str, expr: String) {
        let measure = self.measure(expr);
        if !self.stats.iter().any(|s| s.property == property && s.metric == metric) {
            self.stats.push(Stat { property: property.to_string(), metric, measure });
        }
    }

    /// The index of a fused measure, added if new.
    pub(crate) fn measure(&mut self, expr: String) -> usize {
        match self.fused.iter().position(|m| *m == expr) {
            Some(i) => i,
            None => {
                self.fused.push(expr);
                self.fused.len() - 1
            }
        }
    }
}

/// `SELECT m AS "m0", … FROM table` for the given measures.
pub fn fused_sql(table: &str, measures: &[(usize, &str)]) -> String {
    let cols: Vec<String> = measures.iter().map(|(i, m)| format!("{m} AS \"m{i}\"")).collect();
    format!("SELECT {} FROM {}", cols.join(", "), ident(table))
}

/// The rows in excess of one per distinct value of `exprs` (none null), as a query of its own:
/// a grouping, which spills to disk under a memory limit where `count(DISTINCT …)` cannot.
fn repeats_query(table: &str, exprs: &[String]) -> String {
    let all_set = exprs.iter().map(|x| format!("{x} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
    format!(
        "SELECT coalesce(sum(n) - count(*), 0) FROM (SELECT count(*) AS n FROM {} WHERE {all_set} GROUP BY {})",
        ident(table),
        exprs.join(", ")
    )
}

/// Resolves a referenced object to the table holding its data.
pub trait Tables {
    fn table_of(&self, object: &str) -> Option<(String, ArrowSchema)>;
}

/// Compiles one object's expectations against its data's schema (`grouped_uniqueness`: see
/// [`ObjectPlan::grouped_uniqueness`]).
pub fn compile(
    table: &str,
    schema: &ArrowSchema,
    expectations: &[&Expectation],
    tables: &dyn Tables,
    grouped_uniqueness: bool,
) -> ObjectPlan {
    let mut plan = ObjectPlan {
        table: table.to_string(),
        fused: vec!["count(*)".into()],
        grouped_uniqueness,
        ..ObjectPlan::default()
    };
    for e in expectations {
        let planned = compile_one(&mut plan, schema, e, tables);
        plan.checks.push(planned);
    }
    plan
}

/// Adds the min, max and mean of each numeric column the contract names (property name,
/// physical path) to the fused scan: three more aggregates over the scan the checks already
/// make, not a second read of the data.
pub fn add_column_stats(plan: &mut ObjectPlan, schema: &ArrowSchema, columns: &[(String, Vec<String>)]) {
    for (property, physical) in columns {
        let Some(column) = resolve(schema, physical) else { continue };
        if !is_numeric(&column.data_type) || matches!(column.data_type, Arrow::Dictionary(..)) {
            continue;
        }
        let c = col_expr(&column.path, None);
        plan.stat(property, "min", format!("min({c})"));
        plan.stat(property, "max", format!("max({c})"));
        plan.stat(property, "mean", format!("avg({c})"));
    }
}

fn compile_one(plan: &mut ObjectPlan, schema: &ArrowSchema, e: &Expectation, tables: &dyn Tables) -> Planned {
    let simple = |how| Planned { how, sample: None };
    // Object-level measures first: they need no column.
    match &e.measure {
        Measure::Skip(why) => return simple(How::Skip(why.clone())),
        Measure::Unusable(why) => return simple(How::Error(why.clone())),
        Measure::RowCount => return simple(How::Count(vec![Part::Fused(0)])),
        Measure::Reconcile(_) => return simple(How::Apart),
        Measure::Sql(q) => {
            let column = if e.column.is_empty() { None } else { resolve(schema, &e.column).map(|c| c.path.join(".")) };
            let q = match sql::substitute(q, &plan.table, column.as_deref().or(e.column.last().map(String::as_str))) {
                Ok(q) => q,
                Err(why) => return simple(How::Error(why)),
            };
            return match sql::classify(&q, &plan.table) {
                Ok(UserQuery::Foldable(expr)) => simple(How::Number(Part::Fused(plan.measure(expr)))),
                Ok(UserQuery::Separate(q)) => simple(How::Number(Part::Query(q))),
                Err(why) => simple(How::Error(why)),
            };
        }
        Measure::ExcessOf(columns) | Measure::Key(columns) => {
            let mut exprs = Vec::new();
            for c in columns {
                match resolve(schema, c) {
                    Some(col) => exprs.push(col_expr(&col.path, None)),
                    None => return simple(How::Error(format!("column `{}` is missing from the data", c.join(".")))),
                }
            }
            let mut parts = Vec::new();
            if matches!(e.measure, Measure::Key(_)) {
                let any_null = exprs.iter().map(|x| format!("{x} IS NULL")).collect::<Vec<_>>().join(" OR ");
                parts.push(Part::Fused(plan.measure(format!("count(*) FILTER (WHERE {any_null})"))));
            }
            match exprs.as_slice() {
                [one] if !plan.grouped_uniqueness => {
                    let property = if e.property.is_empty() { columns[0].join(".") } else { e.property.join(".") };
                    plan.stat(&property, "distinctCount", format!("count(DISTINCT {one})"));
                    parts.push(Part::Fused(plan.measure(format!("count({one}) - count(DISTINCT {one})"))));
                }
                _ => parts.push(Part::Query(repeats_query(&plan.table, &exprs))),
            }
            let sample = Some(Sample::Repeats { columns: exprs });
            return Planned { how: How::Count(parts), sample };
        }
        _ => {}
    }
    if e.column.is_empty() {
        // A column measure written at the object's level (`nullValues` under `schema[].quality`).
        return simple(How::Error(format!(
            "`{}` on object `{}` measures the values of one property: put the rule in that property's `quality`",
            metric_name(e),
            e.object
        )));
    }
    let Some(column) = resolve(schema, &e.column) else {
        return simple(How::Error(format!("column `{}` is missing from the data", e.column.join("."))));
    };
    // A pattern the checker's regex engine would refuse (too large once compiled): said here,
    // with the property, rather than as an engine error when the scan runs.
    let pattern = match &e.measure {
        Measure::Invalid { pattern: Some(p), .. } | Measure::Mismatch(p) => Some(p),
        _ => None,
    };
    if let Some(p) = pattern
        && let Err(why) = check_regex(p)
    {
        return simple(How::Error(format!("the pattern of `{}` cannot be used: {why}", e.column.join("."))));
    }
    let c = col_expr(&column.path, None);
    let row = |plan: &mut ObjectPlan, predicate: String| {
        let m = plan.measure(format!("count(*) FILTER (WHERE {predicate})"));
        Planned {
            how: How::Count(vec![Part::Fused(m)]),
            sample: Some(Sample::Rows { predicate, column: Some(c.clone()) }),
        }
    };
    match &e.measure {
        Measure::Nulls => row(plan, format!("{c} IS NULL")),
        Measure::Missing(values) => {
            let lits = literals(values, &column);
            if lits.is_empty() {
                row(plan, format!("{c} IS NULL"))
            } else {
                row(plan, format!("({c} IS NULL OR {c} IN ({}))", lits.join(", ")))
            }
        }
        Measure::Invalid { valid: Some(v), pattern: None } if is_list(&column.data_type) => {
            // On an array, every element must be valid.
            let element =
                Column { path: column.path.clone(), data_type: list_item(&column.data_type), case_differs: false };
            let lits = literals(v, &element);
            let pred = if lits.is_empty() {
                "true".into()
            } else {
                format!("NOT array_has_all(make_array({}), {c})", lits.join(", "))
            };
            row(plan, format!("{c} IS NOT NULL AND cardinality({c}) > 0 AND {pred}"))
        }
        Measure::Invalid { valid, pattern } => {
            let mut bad = Vec::new();
            if let Some(v) = valid {
                let lits = literals(v, &column);
                bad.push(if lits.is_empty() {
                    "true".to_string()
                } else {
                    format!("{c} NOT IN ({})", lits.join(", "))
                });
            }
            if let Some(p) = pattern {
                bad.push(format!("NOT regexp_like({}, {})", as_text(&c, &column), string(p)));
            }
            row(plan, format!("{c} IS NOT NULL AND ({})", bad.join(" OR ")))
        }
        Measure::NotIn(values) => {
            let lits = literals(values, &column);
            let pred = if lits.is_empty() { "true".into() } else { format!("{c} NOT IN ({})", lits.join(", ")) };
            row(plan, format!("{c} IS NOT NULL AND {pred}"))
        }
        Measure::Excess => {
            let part = if plan.grouped_uniqueness {
                Part::Query(repeats_query(&plan.table, std::slice::from_ref(&c)))
            } else {
                // The distinct count is in the scan already (one aggregate serves both).
                plan.stat(&e.property.join("."), "distinctCount", format!("count(DISTINCT {c})"));
                Part::Fused(plan.measure(format!("count({c}) - count(DISTINCT {c})")))
            };
            Planned { how: How::Count(vec![part]), sample: Some(Sample::Repeats { columns: vec![c.clone()] }) }
        }
        Measure::Below { bound, exclusive } | Measure::Above { bound, exclusive } => {
            let below = matches!(e.measure, Measure::Below { .. });
            let op = match (below, exclusive) {
                (true, false) => "<",
                (true, true) => "<=",
                (false, false) => ">",
                (false, true) => ">=",
            };
            match bound_literal(bound, &column) {
                // NaN is no number, so inside no range: it breaks a minimum and a maximum alike
                // (engines order it above every number, or compare it false, so it is said).
                Ok((lhs, lit)) if is_float(&column.data_type) => row(plan, format!("({lhs} {op} {lit} OR isnan({c}))")),
                Ok((lhs, lit)) => row(plan, format!("{lhs} {op} {lit}")),
                Err(why) => simple(How::Error(why)),
            }
        }
        Measure::ShorterThan(n) => row(plan, format!("character_length({}) < {n}", as_text(&c, &column))),
        Measure::LongerThan(n) => row(plan, format!("character_length({}) > {n}", as_text(&c, &column))),
        Measure::Mismatch(re) => {
            row(plan, format!("{c} IS NOT NULL AND NOT regexp_like({}, {})", as_text(&c, &column), string(re)))
        }
        Measure::Format(f) => {
            if !is_text(&column.data_type) {
                return simple(How::Holds(format!("a {} column holds `{f}` values by its type", column.data_type)));
            }
            match format_check(f) {
                Ok(Some(check)) => row(plan, check.bad(&c)),
                Ok(None) => simple(How::Skip(format!("format `{f}` has no well-formedness check in contrakt"))),
                Err(why) => simple(How::Error(why)),
            }
        }
        Measure::FewerItems(_) | Measure::MoreItems(_) | Measure::RepeatedItems => {
            if !is_list(&column.data_type) {
                return simple(How::Error(format!("the column is {}, not an array", column.data_type)));
            }
            let pred = match &e.measure {
                Measure::FewerItems(n) => format!("cardinality({c}) < {n}"),
                Measure::MoreItems(n) => format!("cardinality({c}) > {n}"),
                _ => format!("cardinality(array_distinct({c})) < cardinality({c})"),
            };
            row(plan, pred)
        }
        Measure::Items(inner) => {
            if !is_list(&column.data_type) {
                return simple(How::Error(format!(
                    "the column is {}, not an array: its `items` cannot be checked",
                    column.data_type
                )));
            }
            let number = |bound: &Json| match bound {
                Json::Number(n) => n.as_f64().ok_or_else(|| format!("the bound {n} is not a number")),
                other => Err(format!("items are compared with numbers only, not {other}")),
            };
            let rule = match inner.as_ref() {
                Measure::Mismatch(re) => ItemRule::Mismatch(re.clone()),
                // Items are held to the format's shape; the day-of-month check is the column's.
                Measure::Format(f) => match format_check(f) {
                    Ok(Some(check)) => ItemRule::Mismatch(check.regex),
                    Ok(None) => {
                        return simple(How::Skip(format!("format `{f}` has no well-formedness check in contrakt")));
                    }
                    Err(why) => return simple(How::Error(why)),
                },
                Measure::ShorterThan(n) => ItemRule::Shorter(*n),
                Measure::LongerThan(n) => ItemRule::Longer(*n),
                Measure::Below { bound, exclusive } => match number(bound) {
                    Ok(bound) => ItemRule::Below { bound, or_at: *exclusive },
                    Err(why) => return simple(How::Error(why)),
                },
                Measure::Above { bound, exclusive } => match number(bound) {
                    Ok(bound) => ItemRule::Above { bound, or_at: *exclusive },
                    Err(why) => return simple(How::Error(why)),
                },
                Measure::NotIn(values) => ItemRule::NotIn(values.clone()),
                _ => {
                    return simple(How::Error(
                        "item counts and repeats of nested arrays are not checked on array items".into(),
                    ));
                }
            };
            row(plan, format!("{c} IS NOT NULL AND {}", rule.predicate(&c)))
        }
        Measure::Freshness { .. } | Measure::Retention { .. } => {
            if !matches!(column.data_type, Arrow::Timestamp(..) | Arrow::Date32 | Arrow::Date64) {
                return simple(How::Error(format!("the SLA element is {}, not a date or timestamp", column.data_type)));
            }
            let newest = matches!(e.measure, Measure::Freshness { .. });
            let m = plan.measure(format!("{}({c})", if newest { "max" } else { "min" }));
            if newest {
                plan.stat(&e.property.join("."), "newest", format!("max({c})"));
            }
            simple(How::Age { measure: m, newest })
        }
        Measure::Reference { object, column: target_column } => {
            let Some((target, target_schema)) = tables.table_of(object) else {
                return simple(How::Error(format!("no data located for the referenced object `{object}`")));
            };
            let Some(tc) = resolve(&target_schema, std::slice::from_ref(target_column)) else {
                return simple(How::Error(format!(
                    "the referenced column `{object}.{target_column}` is missing from its data"
                )));
            };
            let o = col_expr(&column.path, Some("o"));
            let r = col_expr(&tc.path, Some("r"));
            let q = format!(
                "SELECT count(*) FROM {} o WHERE {o} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} r WHERE {r} = {o})",
                ident(&plan.table),
                ident(&target)
            );
            Planned {
                how: How::Count(vec![Part::Query(q)]),
                sample: Some(Sample::Orphans { column: o, target, target_column: r }),
            }
        }
        Measure::Skip(_)
        | Measure::Unusable(_)
        | Measure::Reconcile(_)
        | Measure::RowCount
        | Measure::Sql(_)
        | Measure::ExcessOf(_)
        | Measure::Key(_) => {
            unreachable!("handled above")
        }
    }
}

/// The compiled size a pattern may reach, as lint L104 checks it: 4 MiB.
pub const REGEX_SIZE_LIMIT: usize = 1 << 22;

/// Does the pattern compile within [`REGEX_SIZE_LIMIT`]? The reason, in one line, if not.
pub fn check_regex(pattern: &str) -> Result<(), String> {
    match regex::RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).build() {
        Ok(_) => Ok(()),
        Err(regex::Error::CompiledTooBig(limit)) => Err(format!(
            "the regular expression ({} characters) compiles to more than {} MiB, the limit (lint L104 reports it too)",
            pattern.chars().count(),
            limit >> 20
        )),
        Err(regex::Error::Syntax(s)) => {
            Err(format!("the regular expression does not compile: {}", s.lines().last().unwrap_or(&s).trim()))
        }
        Err(other) => Err(format!("the regular expression does not compile: {other}")),
    }
}

/// The ODCS metric (or check name) of an expectation, for messages.
fn metric_name(e: &Expectation) -> &'static str {
    match &e.measure {
        Measure::Nulls => "nullValues",
        Measure::Missing(_) => "missingValues",
        Measure::Invalid { .. } | Measure::NotIn(_) => "invalidValues",
        Measure::Excess => "duplicateValues",
        _ => e.kind.name,
    }
}

/// `"payment"` or, nested, `get_field("payment", 'method')`; qualified by a table alias.
pub fn col_expr(path: &[String], alias: Option<&str>) -> String {
    let mut it = path.iter();
    let first = it.next().map(|p| ident(p)).unwrap_or_default();
    let mut out = match alias {
        Some(a) => format!("{a}.{first}"),
        None => first,
    };
    for p in it {
        out = format!("get_field({out}, {})", string(p));
    }
    out
}

fn is_list(t: &Arrow) -> bool {
    matches!(t, Arrow::List(_) | Arrow::LargeList(_) | Arrow::FixedSizeList(..))
}

fn list_item(t: &Arrow) -> Arrow {
    match t {
        Arrow::List(f) | Arrow::LargeList(f) | Arrow::FixedSizeList(f, _) => f.data_type().clone(),
        other => other.clone(),
    }
}

fn is_text(t: &Arrow) -> bool {
    match t {
        Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View => true,
        Arrow::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

fn is_float(t: &Arrow) -> bool {
    match t {
        Arrow::Float16 | Arrow::Float32 | Arrow::Float64 => true,
        Arrow::Dictionary(_, v) => is_float(v),
        _ => false,
    }
}

fn is_numeric(t: &Arrow) -> bool {
    t.is_numeric() || matches!(t, Arrow::Dictionary(_, v) if v.is_numeric())
}

fn as_text(c: &str, column: &Column) -> String {
    if is_text(&column.data_type) { c.to_string() } else { format!("CAST({c} AS VARCHAR)") }
}

/// Values as SQL literals the column can be compared with; values of another kind cannot
/// match and are left out (a `''` missing value on an integer column).
fn literals(values: &[Json], column: &Column) -> Vec<String> {
    let numeric = is_numeric(&column.data_type);
    let boolean = matches!(column.data_type, Arrow::Boolean);
    values
        .iter()
        .filter_map(|v| match v {
            Json::Null => None,
            Json::Number(n) if numeric => Some(n.to_string()),
            Json::Number(n) if !boolean => Some(string(&n.to_string())),
            Json::String(s) if numeric => s.trim().parse::<f64>().ok().map(|_| s.trim().to_string()),
            Json::String(s) if boolean => matches!(s.as_str(), "true" | "false").then(|| s.clone()),
            Json::String(s) => Some(string(s)),
            Json::Bool(b) if boolean => Some(b.to_string()),
            Json::Bool(b) => Some(string(&b.to_string())),
            _ => None,
        })
        .collect()
}

/// The column expression and the bound as a literal of a comparable type.
fn bound_literal(bound: &Json, column: &Column) -> Result<(String, String), String> {
    let c = col_expr(&column.path, None);
    match (bound, &column.data_type) {
        (Json::Number(n), t) if is_numeric(t) => Ok((c, n.to_string())),
        (Json::String(s), t) if is_numeric(t) => s
            .trim()
            .parse::<f64>()
            .map(|_| (c, s.trim().to_string()))
            .map_err(|_| format!("the bound `{s}` is not a number")),
        (Json::String(s), Arrow::Date32 | Arrow::Date64) => Ok((c, format!("CAST({} AS DATE)", string(s)))),
        (Json::String(s), Arrow::Timestamp(..)) => Ok((c, format!("CAST({} AS TIMESTAMP)", string(s)))),
        // A numeric bound on a text column compares the text as a number (unparsable text is
        // left to the type and format checks).
        (Json::Number(n), t) if is_text(t) => Ok((format!("TRY_CAST({c} AS DOUBLE)"), n.to_string())),
        (Json::String(s), t) if is_text(t) => Ok((c, string(s))),
        (b, t) => Err(format!("cannot compare a {t} column with the bound {b}")),
    }
}

/// How a `format` is checked: the shape of the whole value (an anchored regex, with each field
/// in its range) and, for calendar dates whose day and month stand at fixed places, the day
/// against the length of its month (February 29 only in leap years).
#[derive(Debug, Clone, PartialEq)]
pub struct FormatCheck {
    pub regex: String,
    calendar: Option<Calendar>,
}

/// 1-based character positions and widths of the fields of a fixed-width date.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Calendar {
    year: Option<(usize, usize)>,
    month: (usize, usize),
    day: (usize, usize),
}

/// Years that are leap years, as 4 digits (divisible by 4, not by 100 unless by 400) and as
/// Java's 2-digit `yy` (2000–2099).
const LEAP_YYYY: &str = r"^(\d\d(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)$";
const LEAP_YY: &str = r"^(0[048]|[2468][048]|[13579][26])$";

impl FormatCheck {
    /// The SQL predicate true for a value of `c` (a text column) that breaks the format. The
    /// calendar's fields are read only where the shape holds (`CASE` evaluates lazily), so the
    /// casts never see anything but digits.
    pub fn bad(&self, c: &str) -> String {
        let shape = format!("regexp_like({c}, {})", string(&self.regex));
        let Some(cal) = self.calendar else { return format!("{c} IS NOT NULL AND NOT {shape}") };
        let field = |(at, len): (usize, usize)| format!("CAST(substr({c}, {at}, {len}) AS INT)");
        let leap = match cal.year {
            Some((at, len)) => {
                format!("regexp_like(substr({c}, {at}, {len}), {})", string(if len == 2 { LEAP_YY } else { LEAP_YYYY }))
            }
            None => "true".into(),
        };
        let days = format!(
            "CASE {} WHEN 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END",
            field(cal.month)
        );
        format!("{c} IS NOT NULL AND CASE WHEN {shape} THEN {} > {days} ELSE true END", field(cal.day))
    }
}

/// Regexes for the named formats (anchored: a format describes the whole value).
pub fn format_regex(format: &str) -> Option<String> {
    format_check(format).ok().flatten().map(|f| f.regex)
}

/// The check of a `format`: `Ok(None)` for a format contrakt does not know (`i16`, `currency`),
/// `Err` with the reason for a date pattern it cannot check (a run must not pass on it).
pub fn format_check(format: &str) -> Result<Option<FormatCheck>, String> {
    let plain = |re: &str| Ok(Some(FormatCheck { regex: re.to_string(), calendar: None }));
    const DATE: &str = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])";
    const TIME: &str = r"([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?";
    let iso = Calendar { year: Some((1, 4)), month: (6, 2), day: (9, 2) };
    match format.to_ascii_lowercase().as_str() {
        "email" => plain(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        "uuid" => plain(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
        "uri" | "url" => plain(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$"),
        "hostname" => {
            plain(r"^[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*$")
        }
        "ipv4" => {
            plain(r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$")
        }
        "ipv6" => plain(r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$"),
        "date" => Ok(Some(FormatCheck { regex: format!("^{DATE}$"), calendar: Some(iso) })),
        "date-time" => Ok(Some(FormatCheck { regex: format!("^{DATE}[Tt ]{TIME}$"), calendar: Some(iso) })),
        "time" => plain(&format!("^{TIME}$")),
        _ if is_date_pattern(format) => java_date_pattern(format).map(Some),
        _ => Ok(None),
    }
}

/// Does the text look like a Java/ODCS date pattern (`yyyy-MM-dd`, `dd/MM/yy HH:mm`)?
fn is_date_pattern(p: &str) -> bool {
    ["yy", "uu", "dd", "MM", "HH"].iter().any(|f| p.contains(f))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// A Java `DateTimeFormatter` pattern (the one ODCS formats use) as a [`FormatCheck`]: pattern
/// letters become their fields, each in its range; `'…'` quotes literal text (`''` is one
/// quote); `[…]` is an optional section. Letters with no checkable reading (time-zone names,
/// eras, week fields) are refused with the reason.
fn java_date_pattern(p: &str) -> Result<FormatCheck, String> {
    let names = |all: &[&str], len: Option<usize>| {
        let words: Vec<String> = all.iter().map(|w| len.map_or(w.to_string(), |n| w[..n].to_string())).collect();
        format!("({})", words.join("|"))
    };
    let mut re = String::from("^");
    // The 1-based character position of the next field while every width so far is fixed.
    let mut at = Some(1usize);
    let (mut year, mut month, mut day) = (None, None, None);
    let mut optional = 0usize;
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if ch == '\'' {
            // Quoted literal text; `''` is a quote, inside quotes or out.
            if chars.get(i + 1) == Some(&'\'') {
                re.push_str(&regex_escape('\''));
                at = at.map(|a| a + 1);
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(format!("the date pattern `{p}` has an unclosed quote")),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        re.push_str(&regex_escape('\''));
                        at = at.map(|a| a + 1);
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(c) => {
                        re.push_str(&regex_escape(*c));
                        at = at.map(|a| a + 1);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|c| **c == ch).count();
        // (regex, fixed width)
        let (piece, width): (String, Option<usize>) = match (ch, run) {
            ('y' | 'u', 2) => (r"\d{2}".into(), Some(2)),
            ('y' | 'u', n) if n >= 4 => (format!(r"\d{{{n}}}"), Some(n)),
            ('y' | 'u', n) => (format!(r"\d{{{n},}}"), None),
            ('M' | 'L', 1) => ("(0?[1-9]|1[0-2])".into(), None),
            ('M' | 'L', 2) => ("(0[1-9]|1[0-2])".into(), Some(2)),
            ('M' | 'L', 3) => (names(&MONTHS, Some(3)), None),
            ('M' | 'L', 4) => (names(&MONTHS, None), None),
            ('d', 1) => ("(0?[1-9]|[12]\\d|3[01])".into(), None),
            ('d', 2) => ("(0[1-9]|[12]\\d|3[01])".into(), Some(2)),
            ('D', 3) => ("(00[1-9]|0[1-9]\\d|[12]\\d\\d|3[0-5]\\d|36[0-6])".into(), Some(3)),
            ('D', 1 | 2) => (r"\d{1,3}".into(), None),
            ('H', 1) => ("(0?\\d|1\\d|2[0-3])".into(), None),
            ('H', 2) => ("([01]\\d|2[0-3])".into(), Some(2)),
            ('k', 1) => ("(0?[1-9]|1\\d|2[0-4])".into(), None),
            ('k', 2) => ("(0[1-9]|1\\d|2[0-4])".into(), Some(2)),
            ('h', 1) => ("(0?[1-9]|1[0-2])".into(), None),
            ('h', 2) => ("(0[1-9]|1[0-2])".into(), Some(2)),
            ('K', 1) => ("(0?\\d|1[01])".into(), None),
            ('K', 2) => ("(0\\d|1[01])".into(), Some(2)),
            ('m' | 's', 1) => ("[0-5]?\\d".into(), None),
            ('m' | 's', 2) => ("[0-5]\\d".into(), Some(2)),
            ('S', n) => (format!(r"\d{{{n}}}"), Some(n)),
            ('n', _) => (r"\d+".into(), None),
            ('a', 1) => ("(AM|PM|am|pm)".into(), Some(2)),
            ('E', 1..=3) => (names(&DAYS, Some(3)), Some(3)),
            ('E', 4) => (names(&DAYS, None), None),
            ('X', 1) => (r"(Z|[+-]\d{2}(\d{2})?)".into(), None),
            ('X', 2) => (r"(Z|[+-]\d{4})".into(), None),
            ('X', 3) => (r"(Z|[+-]\d{2}:\d{2})".into(), None),
            ('x', 1) => (r"[+-]\d{2}(\d{2})?".into(), None),
            ('x', 2) => (r"[+-]\d{4}".into(), Some(5)),
            ('x', 3) => (r"[+-]\d{2}:\d{2}".into(), Some(6)),
            ('Z', 1..=3) => (r"[+-]\d{4}".into(), Some(5)),
            ('Z', 5) => (r"(Z|[+-]\d{2}:\d{2})".into(), None),
            ('[', _) => {
                optional += run;
                at = None;
                (std::iter::repeat_n("(?:", run).collect(), None)
            }
            (']', _) => {
                if run > optional {
                    return Err(format!("the date pattern `{p}` closes an optional section it never opened"));
                }
                optional -= run;
                (std::iter::repeat_n(")?", run).collect(), None)
            }
            (c, _) if c.is_ascii_alphabetic() || matches!(c, '#' | '{' | '}') => {
                return Err(format!(
                    "the date pattern `{p}` uses `{}`, which contrakt cannot check (time-zone names, eras and week fields have no fixed spelling); quote literal letters as '{c}'",
                    c.to_string().repeat(run)
                ));
            }
            (c, n) => (std::iter::repeat_n(regex_escape(c), n).collect(), Some(n)),
        };
        let here = at.map(|a| (a, width.unwrap_or(0)));
        match ch {
            'y' | 'u' => year = here.filter(|_| width.is_some()),
            'M' | 'L' => month = here.filter(|_| width == Some(2)),
            'd' => day = here.filter(|_| width == Some(2)),
            _ => {}
        }
        re.push_str(&piece);
        at = at.zip(width).map(|(a, w)| a + w);
        i += run;
    }
    if optional > 0 {
        return Err(format!("the date pattern `{p}` leaves an optional section open"));
    }
    re.push('$');
    let calendar = month.zip(day).map(|(month, day)| Calendar { year, month, day });
    Ok(FormatCheck { regex: re, calendar })
}

fn regex_escape(c: char) -> String {
    if "\\.+*?()|[]{}^$".contains(c) { format!("\\{c}") } else { c.to_string() }
}

// ---- Segments (see [`crate::segment`], which fills and runs them) ----

/// The checks of an object that share segment columns, measured by one grouped aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    /// The columns as the contract names them (`country`).
    pub properties: Vec<String>,
    /// The columns as SQL expressions over the object's table.
    pub exprs: Vec<String>,
    /// The fused measure counting distinct segments.
    pub cardinality: usize,
    /// Fused measures to compute per segment (measure 0, `count(*)`, always).
    pub measures: Vec<usize>,
    /// Positions in [`ObjectPlan::checks`] of the checks judged per segment.
    pub checks: Vec<usize>,
}

impl Grouping {
    /// The grouped aggregate, bounded to one row more than the limit allows (so the limit is
    /// enforced on the exact count too, whatever the estimate said).
    pub fn sql(&self, plan: &ObjectPlan) -> String {
        let mut cols: Vec<String> = self.exprs.iter().enumerate().map(|(k, x)| format!("{x} AS \"s{k}\"")).collect();
        cols.extend(self.measures.iter().map(|m| format!("{} AS \"m{m}\"", plan.fused[*m])));
        format!(
            "SELECT {} FROM {} GROUP BY {} LIMIT {}",
            cols.join(", "),
            ident(&plan.table),
            self.exprs.join(", "),
            contrakt_core::expect::segment::MAX_SEGMENTS + 1
        )
    }
}

/// An object's segmented checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Segmenting {
    pub groupings: Vec<Grouping>,
    /// Segmented checks that cannot be measured per segment (known before running), by
    /// position in [`ObjectPlan::checks`], with why.
    pub refused: Vec<(usize, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values a format accepts, as the fused scan judges them: the shape by the regex, the
    /// day of the month by the calendar (evaluated here the way the SQL does).
    fn accepts(format: &str, value: &str) -> bool {
        let check = format_check(format).unwrap().unwrap();
        if !regex::Regex::new(&check.regex).unwrap().is_match(value) {
            return false;
        }
        let Some(cal) = check.calendar else { return true };
        let chars: Vec<char> = value.chars().collect();
        let field = |(at, len): (usize, usize)| chars[at - 1..at - 1 + len].iter().collect::<String>();
        let (month, day): (u32, u32) = (field(cal.month).parse().unwrap(), field(cal.day).parse().unwrap());
        let leap = cal.year.is_none_or(|y| {
            let text = field(y);
            regex::Regex::new(if y.1 == 2 { LEAP_YY } else { LEAP_YYYY }).unwrap().is_match(&text)
        });
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        day <= days
    }

    #[test]
    fn dates_are_checked_against_the_calendar() {
        for ok in ["2019-02-28", "2020-02-29", "2000-02-29", "1977-05-31", "2019-12-01"] {
            assert!(accepts("yyyy-MM-dd", ok) && accepts("date", ok), "{ok}");
        }
        for bad in ["2019-02-30", "2019-13-01", "1977-05-55", "1900-02-29", "2019-04-31", "2019-00-10", "2019-1-01"] {
            assert!(!accepts("yyyy-MM-dd", bad) && !accepts("date", bad), "{bad}");
        }
        assert!(accepts("dd/MM/yy", "29/02/24") && !accepts("dd/MM/yy", "29/02/23"));
        assert!(
            accepts("d/M/yyyy", "5/11/2019") && accepts("d/M/yyyy", "05/11/2019") && !accepts("d/M/yyyy", "5/13/2019")
        );
        assert!(accepts("date-time", "2019-02-28T23:59:59Z") && !accepts("date-time", "2019-02-29T10:00:00Z"));
        assert!(!accepts("date-time", "2019-02-28T24:00:00Z"));
    }

    #[test]
    fn java_quoting_and_sections() {
        let iso = "yyyy-MM-dd'T'HH:mm:ss";
        assert!(accepts(iso, "2019-02-28T10:00:00"));
        assert!(
            !accepts(iso, "2019-02-28 10:00:00")
                && !accepts(iso, "2019-04-31T10:00:00")
                && !accepts(iso, "2019-01-01T24:00:00")
        );
        assert!(accepts("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2019-02-28T10:00:00.123+01:00"));
        assert!(accepts("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2019-02-28T10:00:00.123Z"));
        assert!(accepts("HH 'o''clock', dd MMM yyyy", "10 o'clock, 05 Nov 2019"));
        assert!(accepts("yyyy-MM-dd[ HH:mm]", "2019-02-28") && accepts("yyyy-MM-dd[ HH:mm]", "2019-02-28 10:30"));
        assert!(accepts("EEE, dd MMM yyyy HH:mm:ss Z", "Thu, 28 Feb 2019 10:00:00 +0100"));
        for uncheckable in ["yyyy-MM-dd HH:mm zzz", "yyyy-MM-dd'T", "yyyy-MM-dd]", "G yyyy-MM-dd", "yyyy-ww"] {
            assert!(format_check(uncheckable).is_err(), "{uncheckable}");
        }
        assert_eq!(format_check("currency"), Ok(None));
    }

    #[test]
    fn date_patterns_become_regexes() {
        assert_eq!(format_regex("i16"), None);
        assert_eq!(format_regex("currency"), None);
        let email = regex::Regex::new(&format_regex("email").unwrap()).unwrap();
        assert!(email.is_match("a.b@example.com") && !email.is_match("not-an-email") && !email.is_match("a@b"));
    }

    #[test]
    fn repeats_are_counted_by_grouping() {
        assert_eq!(
            repeats_query("t", &[r#""a""#.into()]),
            r#"SELECT coalesce(sum(n) - count(*), 0) FROM (SELECT count(*) AS n FROM "t" WHERE "a" IS NOT NULL GROUP BY "a")"#
        );
        assert_eq!(
            repeats_query("t", &[r#""a""#.into(), r#""b""#.into()]),
            r#"SELECT coalesce(sum(n) - count(*), 0) FROM (SELECT count(*) AS n FROM "t" WHERE "a" IS NOT NULL AND "b" IS NOT NULL GROUP BY "a", "b")"#
        );
    }

    #[test]
    fn nested_columns_use_get_field() {
        assert_eq!(col_expr(&["payment".into(), "method".into()], None), r#"get_field("payment", 'method')"#);
        assert_eq!(col_expr(&["a".into()], Some("o")), r#"o."a""#);
    }
}
