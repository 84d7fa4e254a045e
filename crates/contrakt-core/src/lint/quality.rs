//! Semantic rules over quality rules: operators, thresholds, arguments, SQL.

use sqlparser::ast::{SetExpr, Statement};
use sqlparser::dialect::{Dialect, GenericDialect};
use sqlparser::parser::Parser;

use super::Emitter;
use super::contract::{check_pattern, quality_rules};
use super::registry::*;
use crate::diagnostic::Finding;
use crate::odcs::{ContractDocument, Operator, Property, QualityRule};

/// Library metrics whose value is a count of rows (or, with `unit: percent`, a percentage).
const COUNT_METRICS: &[&str] = &["nullValues", "missingValues", "invalidValues", "duplicateValues", "rowCount"];

pub(super) fn check(doc: &ContractDocument, out: &mut Vec<Finding>) {
    let mut e = Emitter::new(doc.source(), out);
    segments(doc, &mut e);
    for (pointer, rule, property) in quality_rules(doc) {
        let kind = rule.kind();
        if matches!(kind, "library" | "sql") {
            operators(doc, &pointer, rule, &mut e);
        }
        if kind == "library" {
            arguments(doc, &pointer, rule, property, &mut e);
        }
        if kind == "sql"
            && let Some(query) = &rule.query
        {
            sql(doc, &format!("{pointer}/query"), query, &mut e);
        }
    }
}

fn operators(doc: &ContractDocument, pointer: &str, rule: &QualityRule, e: &mut Emitter<'_>) {
    let ops = rule.operators();
    let label = rule_label(rule);
    match ops.as_slice() {
        [] => {
            e.emit(&QUALITY_OPERATOR_MISSING, doc.span_of(pointer), pointer, format!("quality rule {label} has no operator, so it can never fail"))
                .help = Some("add one of mustBe, mustNotBe, mustBeGreaterThan, mustBeGreaterOrEqualTo, mustBeLessThan, mustBeLessOrEqualTo, mustBeBetween, mustNotBeBetween".into());
        }
        [_] => {}
        [(first, _), rest @ ..] => {
            for (op, _) in rest {
                let at = format!("{pointer}/{}", op.key());
                let span = doc.document.root.pointer(&at).1.unwrap_or_else(|| doc.span_of(&at));
                e.emit(
                    &QUALITY_OPERATOR_MULTIPLE,
                    span,
                    &at,
                    format!(
                        "quality rule {label} sets `{}` as well as `{}`; a rule takes exactly one operator",
                        op.key(),
                        first.key()
                    ),
                );
            }
        }
    }
    let metric = rule.metric_name().filter(|m| COUNT_METRICS.contains(m));
    let percent = rule.unit.as_deref() == Some("percent");
    for (op, value) in &ops {
        let at = format!("{pointer}/{}", op.key());
        let span = doc.span_of(&at);
        if op.is_range() {
            let range = value.as_array().filter(|a| a.len() == 2).and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)));
            match range {
                None => {
                    e.emit(
                        &QUALITY_OPERATOR_MISMATCH,
                        span,
                        &at,
                        format!("`{}` takes a list of two numbers, [low, high]", op.key()),
                    );
                }
                Some((low, high)) if low > high => {
                    e.emit(
                        &QUALITY_RANGE_REVERSED,
                        span,
                        &at,
                        format!("range [{low}, {high}] lists the larger bound first"),
                    )
                    .help = Some(format!("write [{high}, {low}]"));
                }
                Some((low, high)) => {
                    if let Some(m) = metric {
                        domain(m, percent, *op, &[low, high], span, &at, e);
                    }
                }
            }
            continue;
        }
        let Some(m) = metric else { continue };
        match value.as_f64() {
            Some(v) => domain(m, percent, *op, &[v], span, &at, e),
            None => {
                e.emit(
                    &QUALITY_OPERATOR_MISMATCH,
                    span,
                    &at,
                    format!("metric `{m}` measures a number, but `{}` is {}", op.key(), json_kind(value)),
                );
            }
        }
    }
    if let Some(m) = metric
        && m == "rowCount"
        && percent
    {
        let at = format!("{pointer}/unit");
        e.emit(
            &QUALITY_OPERATOR_MISMATCH,
            doc.span_of(&at),
            &at,
            "`rowCount` is a number of rows; it has no percentage".into(),
        );
    }
}

/// Whether a threshold can be met at all by a count (≥ 0) or a percentage (0–100).
fn domain(metric: &str, percent: bool, op: Operator, values: &[f64], span: crate::Span, at: &str, e: &mut Emitter<'_>) {
    let (lo, hi) = if percent && metric != "rowCount" { (0.0, 100.0) } else { (0.0, f64::INFINITY) };
    let what = if percent && metric != "rowCount" { "a percentage (0 to 100)" } else { "a count (0 or more)" };
    let outside = |v: f64| v < lo || v > hi;
    // Is the set of measurable values that pass empty (never passes) or everything (never fails)?
    let (impossible, vacuous) = match (op, values) {
        (Operator::MustBe, [v]) => (outside(*v), false),
        (Operator::MustNotBe, [v]) => (false, outside(*v)),
        (Operator::MustBeGreaterThan, [v]) => (*v >= hi, *v < lo),
        (Operator::MustBeGreaterOrEqualTo, [v]) => (*v > hi, *v <= lo),
        (Operator::MustBeLessThan, [v]) => (*v <= lo, *v > hi),
        (Operator::MustBeLessOrEqualTo, [v]) => (*v < lo, *v >= hi),
        (Operator::MustBeBetween, [a, b]) => (*b < lo || *a > hi, *a <= lo && *b >= hi),
        (Operator::MustNotBeBetween, [a, b]) => (*a <= lo && *b >= hi, *b < lo || *a > hi),
        _ => (false, false),
    };
    if impossible || vacuous {
        let verdict = if impossible { "can never pass" } else { "can never fail" };
        let shown: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        e.emit(
            &QUALITY_OPERATOR_MISMATCH,
            span,
            at,
            format!("`{metric}` measures {what}, so `{}: {}` {verdict}", op.key(), shown.join(", ")),
        );
    }
}

fn arguments(
    doc: &ContractDocument,
    pointer: &str,
    rule: &QualityRule,
    property: Option<&Property>,
    e: &mut Emitter<'_>,
) {
    let args = rule.arguments.as_ref();
    let label = rule_label(rule);
    match rule.metric_name() {
        Some("invalidValues") => {
            // The property's own domain (v3.2 `enum`, a pattern) also defines validity.
            let from_property = property.is_some_and(|p| {
                !p.enum_values.is_empty() || p.logical_type_options.as_ref().is_some_and(|o| o.pattern.is_some())
            });
            let has = from_property
                || args.is_some_and(|a| a.contains_key("validValues") || a.contains_key("pattern"))
                || rule.valid_values.is_some();
            if !has {
                e.emit(
                    &QUALITY_ARGUMENTS,
                    doc.span_of(pointer),
                    pointer,
                    format!("`invalidValues` rule {label} needs `arguments.validValues` or `arguments.pattern` to tell valid from invalid"),
                );
            }
        }
        Some("missingValues") => {
            if let Some(v) = args.and_then(|a| a.get("missingValues")).filter(|v| !v.is_array()) {
                let at = format!("{pointer}/arguments/missingValues");
                e.emit(
                    &QUALITY_ARGUMENTS,
                    doc.span_of(&at),
                    &at,
                    format!("`arguments.missingValues` must be a list of values, found {}", json_kind(v)),
                );
            }
        }
        _ => {}
    }
    if let Some(pattern) = args.and_then(|a| a.get("pattern")) {
        let at = format!("{pointer}/arguments/pattern");
        match pattern.as_str() {
            Some(p) => check_pattern(p, doc.span_of(&at), &at, e),
            None => {
                e.emit(
                    &QUALITY_ARGUMENTS,
                    doc.span_of(&at),
                    &at,
                    format!("`arguments.pattern` must be a string, found {}", json_kind(pattern)),
                );
            }
        }
    }
}

fn rule_label(rule: &QualityRule) -> String {
    match (&rule.id, &rule.name, rule.metric_name()) {
        (Some(id), _, _) => format!("`{id}`"),
        (None, Some(name), _) => format!("`{name}`"),
        (None, None, Some(metric)) => format!("`{metric}`"),
        _ => "(unnamed)".into(),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

/// The parser dialect of an ODCS server `type`, for servers where SQL runs.
fn server_dialect(server_type: &str) -> Option<Box<dyn Dialect>> {
    let t = server_type.to_ascii_lowercase();
    let name = match t.as_str() {
        "sqlserver" | "synapse" | "azuresql" => "mssql",
        "trino" | "presto" | "athena" | "postgres" | "postgresql" => "postgres",
        other => other,
    };
    sqlparser::dialect::dialect_from_str(name).filter(|_| t != "generic")
}

/// The parser dialects to read a rule with: the generic one first, then those of the servers
/// (by ODCS `type`) that run SQL. Built where they are used: dialects are not `Send`.
fn dialects(server_types: &[String]) -> impl Iterator<Item = Box<dyn Dialect>> + '_ {
    std::iter::once(Box::new(GenericDialect {}) as Box<dyn Dialect>)
        .chain(server_types.iter().filter_map(|t| server_dialect(t)))
}

/// The contract's servers that run SQL, as messages name them.
fn warehouses(doc: &ContractDocument) -> Vec<String> {
    doc.contract
        .servers
        .iter()
        .filter(|s| server_dialect(&s.server_type).is_some())
        .map(|s| format!("`{}` ({})", s.server, s.server_type))
        .collect()
}

fn sql(doc: &ContractDocument, pointer: &str, query: &str, e: &mut Emitter<'_>) {
    let span = doc.span_of(pointer);
    let text = match crate::placeholder::substitute(query, "contrakt_object", Some("contrakt_property")) {
        Ok(text) => text,
        Err(problem) => {
            e.emit(&SQL_SYNTAX, span, pointer, format!("query cannot be read: {problem}"));
            return;
        }
    };
    let warehouses = warehouses(doc);
    let server_types: Vec<String> = doc.contract.servers.iter().map(|s| s.server_type.clone()).collect();
    let owned = text.clone();
    let Some((statements, first_error)) = crate::sql_guard::within_deadline(move || {
        let mut first_error = None;
        let mut statements = None;
        for dialect in dialects(&server_types) {
            match Parser::parse_sql(dialect.as_ref(), &owned) {
                Ok(s) => {
                    statements = Some(s);
                    break;
                }
                Err(err) => {
                    first_error.get_or_insert(err.to_string().trim_start_matches("sql parser error: ").to_string());
                }
            }
        }
        (statements, first_error)
    }) else {
        e.emit(&SQL_SYNTAX, span, pointer, format!("query {}", crate::sql_guard::too_slow()));
        return;
    };
    let Some(statements) = statements else {
        let why = first_error.unwrap_or_default();
        if warehouses.is_empty() {
            e.emit(&SQL_SYNTAX, span, pointer, format!("query does not parse: {why}"));
            return;
        }
        if let Some(first) = leading_word(&text)
            && !matches!(first.as_str(), "SELECT" | "WITH" | "VALUES" | "(")
        {
            e.emit(
                &SQL_NOT_READ_ONLY,
                span,
                pointer,
                format!("query is not a single read-only SELECT: it starts with `{first}`"),
            );
            return;
        }
        // The warehouse's SQL is richer than any parser's reading of it (Redshift's
        // `approximate count(distinct …)`): the server judges, and contrakt says it cannot.
        e.emit(
            &SQL_DIALECT_UNREAD,
            span,
            pointer,
            format!(
                "query does not parse with contrakt's parser for {} ({why}); the verdict is left to the server: `check --server` runs it there as written, contrakt cannot run it on files",
                warehouses.join(", ")
            ),
        );
        return;
    };
    if let Some(why) = crate::sql_guard::refused(&text, &GenericDialect {}) {
        e.emit(&SQL_NOT_READ_ONLY, span, pointer, format!("query is refused: {why}"));
        return;
    }
    let problem = match statements.as_slice() {
        [] => Some("the query is empty".to_string()),
        [Statement::Query(q)] => match q.body.as_ref() {
            SetExpr::Select(s) if s.into.is_some() => Some("`SELECT … INTO` writes a table".into()),
            _ => None,
        },
        [other] => Some(format!("`{}` is not a read-only query", statement_keyword(other))),
        many => Some(format!("{} statements; a quality query is exactly one SELECT", many.len())),
    };
    if let Some(problem) = problem {
        e.emit(&SQL_NOT_READ_ONLY, span, pointer, format!("query is not a single read-only SELECT: {problem}"));
    }
}

/// The query's first word (upper case) or symbol, past comments.
fn leading_word(text: &str) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&GenericDialect {}, text).tokenize().ok()?;
    tokens.into_iter().find(|t| !matches!(t, Token::Whitespace(_))).map(|t| match t {
        Token::Word(w) => w.value.to_ascii_uppercase(),
        other => other.to_string(),
    })
}

fn statement_keyword(s: &Statement) -> String {
    let text = s.to_string();
    text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// `contraktSegments` on objects and on their quality rules (object level and property level)
/// name properties of the object (L209); `contraktReconcile` on objects reads (L210).
fn segments(doc: &ContractDocument, e: &mut Emitter<'_>) {
    use crate::expect::segment::{SEGMENTS_PROPERTY, declared};
    for (i, o) in doc.contract.schema.iter().enumerate() {
        let base = format!("/schema/{i}");
        let mut owners = vec![(base.clone(), &o.custom_properties)];
        for (k, q) in o.quality.iter().enumerate() {
            owners.push((format!("{base}/quality/{k}"), &q.custom_properties));
        }
        for p in doc.contract.walk_properties().into_iter().filter(|p| p.pointer.starts_with(&format!("{base}/"))) {
            for (k, q) in p.property.quality.iter().enumerate() {
                owners.push((format!("{}/quality/{k}", p.pointer), &q.custom_properties));
            }
        }
        for (pointer, props) in owners {
            if let Err(why) = declared(o, props) {
                let k = props.iter().position(|c| c.property == SEGMENTS_PROPERTY).unwrap_or(0);
                let at = format!("{pointer}/customProperties/{k}");
                e.emit(&SEGMENTS_INVALID, doc.span_of(&at), &at, why);
            }
        }
        for (k, r) in crate::expect::reconcile::declared(o) {
            if let Err(why) = r {
                let at = format!("{base}/customProperties/{k}");
                e.emit(&RECONCILE_INVALID, doc.span_of(&at), &at, why);
            }
        }
    }
}
