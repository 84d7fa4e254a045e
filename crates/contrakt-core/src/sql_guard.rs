//! Limits on SQL that users hand the checker (quality `sql` rules, `check --where`), shared by
//! `lint` and `check` so both refuse the same things for the same reasons:
//!
//! - at most [`MAX_TOKENS`] tokens per query or predicate: planning time grows faster than the
//!   text (an `OR` chain of 10,000 terms took half a minute to plan), and no quality rule needs
//!   that much SQL;
//! - nesting deeper than sqlparser's recursion limit (50) does not parse;
//! - no `WITH RECURSIVE`: one without a termination runs forever, and a rule never needs one;
//! - `--where` is one row predicate: one expression and nothing after it, no subquery.

use std::time::Duration;

use sqlparser::ast::Expr;
use sqlparser::dialect::{Dialect, GenericDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// The most tokens (words, literals, operators; not whitespace or comments) one query or
/// `--where` may hold.
pub const MAX_TOKENS: usize = 10_000;

/// Why a query cannot run, if it cannot: too long, or recursive. `None` for SQL that does not
/// tokenize (the parser then says why).
pub fn refused(query: &str, dialect: &dyn Dialect) -> Option<String> {
    let tokens = Tokenizer::new(dialect, query).tokenize_with_location().ok()?;
    let words: Vec<&TokenWithSpan> = meaningful(&tokens).collect();
    if words.len() > MAX_TOKENS {
        return Some(format!(
            "the query holds {} tokens; contrakt plans at most {MAX_TOKENS} per query (split the rule, or move the logic into the data)",
            words.len()
        ));
    }
    for pair in words.windows(2) {
        if keyword(pair[0]) == Some(Keyword::WITH) && keyword(pair[1]) == Some(Keyword::RECURSIVE) {
            let at = pair[1].span.start;
            return Some(format!(
                "`WITH RECURSIVE` (line {}, column {}) is refused: without a termination it runs forever, and a quality rule never needs one",
                at.line, at.column
            ));
        }
    }
    None
}

fn meaningful(tokens: &[TokenWithSpan]) -> impl Iterator<Item = &TokenWithSpan> {
    tokens.iter().filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
}

fn keyword(t: &TokenWithSpan) -> Option<Keyword> {
    match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    }
}

/// Parses `check --where TEXT`: exactly one SQL expression, no subquery. Returns it re-rendered
/// from the parsed tree (never the raw text) in parentheses, ready to be `AND`ed into a plan.
/// Errors name `--where` and point into the user's text (line and column of `TEXT`).
pub fn parse_filter(text: &str) -> Result<String, String> {
    let expr = parse_filter_expr(text)?;
    let rendered = format!("({expr})");
    // sqlparser renders a quote inside a string literal as it is when a quote or a backslash
    // precedes it, so `'a\'' OR 1=1 --'` would render as `('a\' OR 1=1 --')`: the literal
    // ends early and the comment eats the parenthesis. The filter enters the plan only if its
    // rendering reads back as the very expression the user wrote.
    match parse_filter_expr(&rendered) {
        Ok(Expr::Nested(again)) if *again == expr => Ok(rendered),
        _ => Err("--where holds a string literal that cannot be passed on unchanged (two quotes in a row, \
                  or a backslash before a quote, inside the value): match it another way, e.g. with LIKE"
            .into()),
    }
}

/// [`parse_filter`]'s parsed expression.
pub fn parse_filter_expr(text: &str) -> Result<Expr, String> {
    if text.trim().is_empty() {
        return Err("empty --where: give a row predicate, e.g. --where \"day = '2026-11-22'\"".into());
    }
    let dialect = GenericDialect {};
    let tokens =
        Tokenizer::new(&dialect, text).tokenize_with_location().map_err(|e| format!("--where does not parse: {e}"))?;
    let words: Vec<&TokenWithSpan> = meaningful(&tokens).collect();
    if words.len() > MAX_TOKENS {
        return Err(format!("--where holds {} tokens; at most {MAX_TOKENS} are allowed", words.len()));
    }
    if let Some(t) =
        words.iter().find(|t| matches!(keyword(t), Some(Keyword::SELECT | Keyword::VALUES | Keyword::WITH)))
    {
        let at = t.span.start;
        return Err(format!(
            "--where is a row predicate; it cannot hold a query (`{}` at line {}, column {})",
            t.token, at.line, at.column
        ));
    }
    let owned = text.to_string();
    within_deadline(move || parse_one_expr(tokens, &owned)).unwrap_or_else(|| Err(format!("--where {}", too_slow())))
}

/// The parse proper, on [`within_deadline`]'s thread.
fn parse_one_expr(tokens: Vec<TokenWithSpan>, text: &str) -> Result<Expr, String> {
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let expr = parser.parse_expr().map_err(|e| {
        let message = strip(&e.to_string()).to_string();
        if message.ends_with("found: EOF") {
            // The parser gives no position for the end: say where the text ends.
            let last = text.rsplit('\n').next().unwrap_or(text);
            let (line, column) = (text.matches('\n').count() + 1, last.chars().count() + 1);
            format!("--where does not parse: {message} at the end of the text (line {line}, column {column})")
        } else {
            format!("--where does not parse: {message}")
        }
    })?;
    let next = parser.peek_token_ref();
    if next.token != Token::EOF {
        let at = next.span.start;
        return Err(format!(
            "--where takes one SQL expression, but `{}` follows it at line {}, column {}",
            next.token, at.line, at.column
        ));
    }
    Ok(expr)
}

/// How long reading one query or filter may take. sqlparser 0.62 (the version DataFusion 55
/// builds with) backtracks exponentially on some short inputs: a fuzzed 151-byte `--where` of
/// `.`/`@` chains took over 15 s (upstream fixes: sqlparser-rs #2344, #2350, #2352). No real
/// rule takes more than milliseconds, so one that does is refused instead of hanging the job.
pub const PARSE_DEADLINE: Duration = Duration::from_secs(5);

/// Runs `parse` on a thread of its own and waits at most [`PARSE_DEADLINE`] for it. A parser
/// cannot be interrupted: past the deadline its thread is left to finish (or to end with the
/// process) and `None` says the text was refused.
pub fn within_deadline<T: Send + 'static>(parse: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("contrakt-sql-parse".into())
        .spawn(move || {
            let _ = tx.send(parse());
        })
        .ok()?;
    rx.recv_timeout(PARSE_DEADLINE).ok()
}

/// The refusal when [`within_deadline`] gives up.
pub fn too_slow() -> String {
    format!(
        "takes longer than {} s to read (sqlparser backtracks exponentially on some chains of `.`, `IF`, `NOT` or parentheses); write it more simply",
        PARSE_DEADLINE.as_secs()
    )
}

fn strip(message: &str) -> &str {
    message.trim_start_matches("sql parser error: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_one_expression() {
        assert_eq!(parse_filter("dt = '2026-11-22'").unwrap(), "(dt = '2026-11-22')");
        assert_eq!(
            parse_filter("a > 1 AND (b IS NULL OR c IN (1, 2))").unwrap(),
            "(a > 1 AND (b IS NULL OR c IN (1, 2)))"
        );
        let e = parse_filter("1=1) UNION ALL SELECT * FROM t WHERE (1=1").unwrap_err();
        assert!(e.contains("cannot hold a query") && e.contains("column 16"), "{e}");
        let e = parse_filter("1=1) OR (1=1").unwrap_err();
        assert!(e.contains("`)` follows it at line 1, column 4"), "{e}");
        assert!(parse_filter("").unwrap_err().starts_with("empty --where"));
        assert!(parse_filter("  ").unwrap_err().starts_with("empty --where"));
        let e = parse_filter("a >").unwrap_err();
        assert!(e.contains("--where does not parse") && e.contains("end of the text (line 1, column 4)"), "{e}");
        let e = parse_filter("a > > 1").unwrap_err();
        assert!(e.contains("Line: 1, Column: 5"), "{e}");
        assert!(parse_filter("a IN (SELECT 1)").is_err());
        assert!(parse_filter(r#""select" = 1"#).is_ok());
    }

    #[test]
    fn string_literals_reach_the_plan_unchanged_or_not_at_all() {
        // Found by fuzzing (`fuzz/fuzz_targets/where_filter.rs`): the rendering ended the literal
        // early and commented out the closing parenthesis.
        let e = parse_filter(r"x = 'a\'' OR 1=1 --'").unwrap_err();
        assert!(e.contains("cannot be passed on unchanged"), "{e}");
        // Two quotes in a row in the value were rendered as one.
        assert!(parse_filter("x = ''''''''''").is_err());
        assert!(parse_filter("-11-'''''''''''''''''''26-6--22'").is_err());
        // One quote, and a backslash on its own, pass through.
        assert_eq!(parse_filter("x = 'it''s'").unwrap(), "(x = 'it''s')");
        assert_eq!(parse_filter(r"p = 'C:\data'").unwrap(), r"(p = 'C:\data')");
    }

    #[test]
    fn a_filter_that_takes_exponential_time_to_parse_is_refused_within_the_deadline() {
        // Found by fuzzing `where_filter`: over 15 s in sqlparser 0.62 (`fuzz/corpus/where_filter/slow-dot-chain`).
        let text = "t.t@.t.t@.Dt.tJJJJJJJJJJJJJJJJJJJJJJJJJJJt@.Dtt#.JJDt.t@.Dt.tJJJJJJJJJJJJJJJJJJJJJJJJJJJt@.Dtt#.JJJ@.DJJJJJJJJJJJJJt@.Dtt#.JJtt#.@.2$t .w2$t .w2$t .w2$t .w2$t .w2$t .w2[";
        let started = std::time::Instant::now();
        let e = parse_filter(text).unwrap_err();
        assert!(e.contains("takes longer than 5 s to read"), "{e}");
        // The deadline, not the parse, decides when the answer comes.
        assert!(started.elapsed() < PARSE_DEADLINE * 3, "{:?}", started.elapsed());
    }

    #[test]
    fn recursive_and_huge_queries_are_refused() {
        let d = GenericDialect {};
        let r = refused("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t) SELECT count(*) FROM t", &d);
        assert!(r.unwrap().contains("`WITH RECURSIVE` (line 1, column 6)"));
        assert_eq!(refused("WITH t AS (SELECT 1) SELECT count(*) FROM t", &d), None);
        let chain = (0..MAX_TOKENS).map(|i| format!("a = {i}")).collect::<Vec<_>>().join(" OR ");
        assert!(refused(&format!("SELECT count(*) FROM t WHERE {chain}"), &d).unwrap().contains("tokens"));
    }

    proptest::proptest! {
        // Any accepted --where re-renders to exactly one expression, which parses back to itself.
        #[test]
        fn accepted_filters_render_to_one_expression(text in r#"[a-c0-9 ()=<>'"+*,.;\\-]{0,40}|(a|b|1|'x'|''|\\|\(|\)|=|OR|AND|NOT|IN|UNION|SELECT|--|;| ){0,16}"#) {
            if let Ok(rendered) = parse_filter(&text) {
                let again = parse_filter_expr(&rendered);
                proptest::prop_assert!(again.is_ok(), "{text:?} rendered as {rendered:?}: {again:?}");
                proptest::prop_assert_eq!(again.unwrap().to_string(), rendered);
            }
        }
    }
}
