//! Exports are code (issue #18): contract text and data values reach DDL, SodaCL and dbt as
//! literals and quoted names, never as statements or templates. Each hostile text is read
//! back by a reader of the target's own rules and must come back whole, in one statement.

use serde_json::{Value as Json, json};
use sqlparser::dialect::{BigQueryDialect, Dialect as SqlDialect, PostgreSqlDialect, SnowflakeDialect};
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{Dialect, Target, dbt, export_contract};
use contrakt_core::SourceFile;

const DESCRIPTION: &str = "x\\'); DROP TABLE prod.users; --\nC:\\data\\";
const TABLE: &str = "tbl\"; DROP TABLE users; --";
const COLUMN: &str = "na\"me'); DROP TABLE t; --";
const BACKTICK: &str = "a`; DROP TABLE t; --";
const DEFAULT: &str = "x'); DROP TABLE t; --()";
const JINJA: &[&str] = &["{{ run_query('drop table prod.users') }}", "{% do log('x') %}", "{# c #}", "{{{x}}}", "ok"];

/// A contract whose table, column, descriptions, default and allowed values are hostile.
fn contract(column: &str) -> contrakt_core::odcs::ContractDocument {
    let doc = json!({
        "apiVersion": "v3.1.0", "kind": "DataContract", "id": "urn:hostile", "version": "1.0.0",
        "status": "active",
        "schema": [{
            "name": "orders", "physicalName": TABLE, "description": DESCRIPTION,
            "properties": [
                {"name": column, "logicalType": "string", "description": DESCRIPTION, "required": true,
                 "customProperties": [{"property": "default", "value": DEFAULT}],
                 "quality": [{"type": "library", "metric": "invalidValues",
                              "arguments": {"validValues": JINJA}, "mustBe": 0},
                             {"id": "nulls_by_sql", "type": "sql", "mustBe": 0,
                              "query": "SELECT COUNT(*) FROM {object} WHERE {property} IS NULL"}]},
                {"name": "created_on", "logicalType": "date",
                 "logicalTypeOptions": {"minimum": "2020-01-01'); DROP TABLE t; --"}},
            ]
        }]
    });
    let source = SourceFile::new("hostile.odcs.yaml", doc.to_string());
    contrakt_core::odcs::load(source).expect("the contract loads")
}

fn reader(d: Dialect) -> Box<dyn SqlDialect> {
    match d {
        Dialect::Postgres => Box::new(PostgreSqlDialect {}),
        Dialect::Snowflake => Box::new(SnowflakeDialect),
        Dialect::BigQuery => Box::new(BigQueryDialect),
        Dialect::Spark => Box::new(contrakt_formats::DatabricksSql::default()),
    }
}

/// The string literals and quoted names of `sql` as the dialect reads them, and its number of
/// statements (`;`-terminated).
fn read(sql: &str, d: &dyn SqlDialect) -> (Vec<String>, Vec<String>, usize) {
    let tokens = Tokenizer::new(d, sql).tokenize().unwrap_or_else(|e| panic!("{e}\n{sql}"));
    let (mut strings, mut names, mut statements) = (Vec::new(), Vec::new(), 0);
    for t in tokens {
        match t {
            Token::SingleQuotedString(s) => strings.push(s),
            Token::Word(w) if w.quote_style.is_some() => names.push(w.value),
            Token::SemiColon => statements += 1,
            _ => {}
        }
    }
    (strings, names, statements)
}

#[test]
fn ddl_literals_and_names_read_back_as_written_in_one_statement_per_dialect() {
    for d in Dialect::ALL {
        let column = if d == Dialect::BigQuery { "na\"me'); DROP TABLE t; --" } else { COLUMN };
        let doc = contract(column);
        let sql = export_contract(&doc, Target::Sql(d), None, "p", &Default::default()).unwrap().text();
        let (strings, names, statements) = read(&sql, reader(d).as_ref());
        // PostgreSQL and Snowflake say descriptions in COMMENT ON statements.
        let expected = if matches!(d, Dialect::Postgres | Dialect::Snowflake) { 3 } else { 1 };
        assert_eq!(statements, expected, "{d:?}\n{sql}");
        assert_eq!(strings.iter().filter(|s| *s == DESCRIPTION).count(), 2, "{d:?}: {strings:?}\n{sql}");
        assert!(strings.contains(&DEFAULT.to_string()), "{d:?}: the default is a literal\n{sql}");
        assert!(names.contains(&TABLE.to_string()) && names.contains(&column.to_string()), "{d:?}: {names:?}\n{sql}");
        let parsed = sqlparser::parser::Parser::parse_sql(reader(d).as_ref(), &sql)
            .unwrap_or_else(|e| panic!("{d:?}: {e}\n{sql}"));
        assert_eq!(parsed.len(), expected, "{d:?}\n{sql}");
    }
}

#[test]
fn a_bigquery_name_with_a_backtick_is_refused_not_written() {
    let doc = contract(BACKTICK);
    let e = export_contract(&doc, Target::Sql(Dialect::BigQuery), None, "p", &Default::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot export: `a`; DROP TABLE t; --`: a BigQuery name cannot hold a backtick, a backslash or a control character"
    );
    let e = export_contract(&doc, Target::Dbt(Some(Dialect::BigQuery)), None, "p", &Default::default()).unwrap_err();
    assert!(e.to_string().contains("a BigQuery name cannot hold a backtick"), "{e}");
    // Spark doubles the backtick.
    let sql = export_contract(&doc, Target::Sql(Dialect::Spark), None, "p", &Default::default()).unwrap().text();
    let (_, names, statements) = read(&sql, reader(Dialect::Spark).as_ref());
    assert!(names.contains(&BACKTICK.to_string()) && statements == 1, "{sql}");
}

/// The exported YAML as JSON.
fn yaml(text: &str) -> Json {
    let doc = contrakt_core::document::Document::parse(SourceFile::new("out.yaml", text)).expect("valid YAML");
    contrakt_core::document::from_node(&doc.root).expect("reads as data")
}

fn strings(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) => out.push(s.clone()),
        Json::Array(a) => a.iter().for_each(|i| strings(i, out)),
        Json::Object(m) => m.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out)
        }),
        _ => {}
    }
}

/// What Jinja renders `s` as, if `s` holds no Jinja but the printing expressions
/// `{{ "{{" }}`, `{{ "{%" }}` and `{{ "{#" }}`; `None` if anything else would run.
fn rendered(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(['{']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) =
            ["{{", "{%", "{#"].iter().find_map(|o| rest.strip_prefix(&format!("{{{{ \"{o}\" }}}}")).map(|a| (o, a)))
        {
            out.push_str(after.0);
            rest = after.1;
        } else if rest.starts_with("{{") || rest.starts_with("{%") || rest.starts_with("{#") {
            return None;
        } else {
            out.push('{');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Some(out)
}

#[test]
fn dbt_gets_no_jinja_from_the_contract_or_the_data() {
    for d in Dialect::ALL {
        let column = if d == Dialect::BigQuery { "na\"me'); DROP TABLE t; --" } else { COLUMN };
        let out = export_contract(&contract(column), Target::Dbt(Some(d)), None, "p", &Default::default()).unwrap();
        let doc = yaml(&out.text());
        let mut all = Vec::new();
        strings(&doc, &mut all);
        for s in &all {
            assert!(rendered(s).is_some(), "{d:?}: Jinja would run in {s:?}");
        }
        let col = &doc["models"][0]["columns"][0];
        assert_eq!(col["name"], column);
        assert_eq!(col["quote"], true, "a name that is not a plain word is quoted by dbt");
        let values: Vec<String> = col["data_tests"]
            .as_array()
            .and_then(|t| t.iter().find_map(|t| t["accepted_values"]["values"].as_array()))
            .unwrap_or_else(|| panic!("{}", out.text()))
            .iter()
            .map(|v| rendered(v.as_str().unwrap()).unwrap())
            .collect();
        assert_eq!(values, JINJA, "{d:?}: the values render as the data had them");
        assert_eq!(rendered(col["description"].as_str().unwrap()).unwrap(), DESCRIPTION);
    }
    assert_eq!(dbt::printed("{{{x}}}"), "{{ \"{{\" }}{x}}}");
    assert_eq!(dbt::printed("a {% b %} {# c #}"), "a {{ \"{%\" }} b %} {{ \"{#\" }} c #}");
}

#[test]
fn soda_quotes_names_in_its_checks_and_sql() {
    let out = export_contract(&contract(COLUMN), Target::Soda, None, "p", &Default::default()).unwrap();
    let doc = yaml(&out.text());
    let (key, checks) = doc.as_object().unwrap().iter().next().unwrap();
    let table = key.strip_prefix("checks for ").unwrap();
    let (_, names, statements) = read(table, &PostgreSqlDialect {});
    assert_eq!((names, statements), (vec![TABLE.to_string()], 0), "{key}");
    let text = out.text();
    let query = checks
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| c.as_object().unwrap().values().find_map(|v| v.get("nulls_by_sql query")))
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("{text}"));
    let parsed = sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, query).unwrap();
    assert_eq!(parsed.len(), 1, "{query}");
    let (_, names, _) = read(query, &PostgreSqlDialect {});
    assert_eq!(names, [TABLE, COLUMN], "{query}");
    // The metrics name the column quoted too.
    let lines: Vec<&String> = checks.as_array().unwrap().iter().flat_map(|c| c.as_object().unwrap().keys()).collect();
    assert!(lines.iter().any(|l| l.starts_with("invalid_count(\"na\"\"me'); DROP TABLE t; --\")")), "{lines:?}");
    // A date bound is a literal in the failed-rows condition.
    let condition = checks
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| c.get("failed rows").and_then(|f| f.get("fail condition")))
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("{text}"));
    let (strings, _, statements) = read(condition, &PostgreSqlDialect {});
    assert_eq!((strings, statements), (vec!["2020-01-01'); DROP TABLE t; --".to_string()], 0), "{condition}");
}
