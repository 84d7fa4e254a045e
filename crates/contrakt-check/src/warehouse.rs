//! Warehouse pushdown: the checker's plans, built by DataFusion as for files, are unparsed into
//! SQL of the server's dialect (DataFusion's unparser) and run where the data is, so only the
//! aggregates (and bounded samples) come back. PostgreSQL runs them; Snowflake, BigQuery,
//! Databricks (Spark SQL) and Trino get the statements (`--emit-sql`).
//!
//! DataFusion plans against empty tables of the warehouse table's schema (from the catalog when
//! connected, from the contract otherwise); each table scan is then replaced by the warehouse
//! relation, with columns of types DataFusion reads as text (`uuid`, `jsonb`, enums) cast to
//! text so the comparisons mean the same on both sides.
//!
//! Credentials come only from the environment: `CONTRAKT_PG_USER` (default `postgres`) and
//! `CONTRAKT_PG_PASSWORD`; host, port, database and schema from the contract's server entry. The
//! password is sent only to a host that `CONTRAKT_ALLOW_CONTRACT_ENDPOINTS` allows.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType as Arrow, Field, Fields, Schema as ArrowSchema, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::sql::sqlparser::ast::{self, BinaryOperator, TableFactor, VisitMut, VisitorMut};
use datafusion::sql::sqlparser::dialect as sp;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::unparser::Unparser;
use datafusion::sql::unparser::dialect::{
    self as ud, CharacterLengthStyle, CustomDialectBuilder, DateFieldExtractStyle, DistinctFromStyle, IntervalStyle,
};

use tracing::Instrument;

use contrakt_core::ir;
use contrakt_core::odcs::Server;

use crate::error::{Error, Result};

/// Environment variables holding the PostgreSQL credentials.
pub const USER_ENV: &str = "CONTRAKT_PG_USER";
pub const PASSWORD_ENV: &str = "CONTRAKT_PG_PASSWORD";

/// The SQL dialects checks are pushed down in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlDialect {
    Postgres,
    Snowflake,
    BigQuery,
    Databricks,
    Trino,
}

impl SqlDialect {
    /// From an ODCS server `type`.
    pub fn from_server_type(t: &str) -> Option<SqlDialect> {
        Some(match t.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => SqlDialect::Postgres,
            "snowflake" => SqlDialect::Snowflake,
            "bigquery" => SqlDialect::BigQuery,
            "databricks" => SqlDialect::Databricks,
            "trino" => SqlDialect::Trino,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SqlDialect::Postgres => "PostgreSQL",
            SqlDialect::Snowflake => "Snowflake",
            SqlDialect::BigQuery => "BigQuery",
            SqlDialect::Databricks => "Databricks (Spark SQL)",
            SqlDialect::Trino => "Trino",
        }
    }

    /// The sqlparser dialect that reads statements of this dialect.
    pub fn parser(self) -> Box<dyn sp::Dialect> {
        match self {
            SqlDialect::Postgres => Box::new(sp::PostgreSqlDialect {}),
            SqlDialect::Snowflake => Box::new(sp::SnowflakeDialect {}),
            SqlDialect::BigQuery => Box::new(sp::BigQueryDialect {}),
            SqlDialect::Databricks => Box::new(sp::DatabricksDialect {}),
            SqlDialect::Trino => Box::new(sp::GenericDialect {}),
        }
    }

    /// Reads `text` with this dialect's parser within the parse deadline: the texts are the
    /// contract's own SQL rewritten (every sub-expression parenthesised), which can take the
    /// parser's exponential path even where the original did not.
    fn parse<T: Send + 'static>(
        self,
        text: &str,
        read: fn(&mut Parser<'_>) -> std::result::Result<T, ParserError>,
    ) -> std::result::Result<T, String> {
        let text = text.to_string();
        contrakt_core::sql_guard::within_deadline(move || {
            let dialect = self.parser();
            Parser::new(dialect.as_ref()).try_with_sql(&text).and_then(|mut p| read(&mut p)).map_err(|e| e.to_string())
        })
        .unwrap_or_else(|| Err(contrakt_core::sql_guard::too_slow()))
    }

    fn quote(self) -> char {
        match self {
            SqlDialect::BigQuery | SqlDialect::Databricks => '`',
            _ => '"',
        }
    }

    /// `COUNT(*) FILTER (WHERE …)` is standard SQL, but not Snowflake's or BigQuery's.
    fn has_aggregate_filter(self) -> bool {
        !matches!(self, SqlDialect::Snowflake | SqlDialect::BigQuery)
    }

    fn unparser(self) -> Box<dyn ud::Dialect> {
        match self {
            SqlDialect::Postgres => Box::new(ud::PostgreSqlDialect {}),
            SqlDialect::Snowflake => Box::new(ud::SnowflakeDialect::new()),
            SqlDialect::BigQuery => Box::new(ud::BigQueryDialect::new()),
            SqlDialect::Databricks => Box::new(
                CustomDialectBuilder::new()
                    .with_identifier_quote_style('`')
                    .with_utf8_cast_dtype(ast::DataType::String(None))
                    .with_large_utf8_cast_dtype(ast::DataType::String(None))
                    .with_character_length_style(CharacterLengthStyle::CharacterLength)
                    .build(),
            ),
            SqlDialect::Trino => Box::new(
                CustomDialectBuilder::new()
                    .with_identifier_quote_style('"')
                    .with_character_length_style(CharacterLengthStyle::Length)
                    .with_date_field_extract_style(DateFieldExtractStyle::Extract)
                    .build(),
            ),
        }
    }
}

/// A DataFusion dialect with contrakt's translations of the functions checks use, over
/// DataFusion's own dialect for the server.
struct Translate {
    kind: SqlDialect,
    base: Box<dyn ud::Dialect>,
}

impl Translate {
    /// An expression from a template over the arguments' SQL (`{0}`, `{1}`), read back by the
    /// dialect's parser.
    fn template(&self, unparser: &Unparser, template: &str, args: &[Expr]) -> datafusion::error::Result<ast::Expr> {
        let mut text = template.to_string();
        for (i, a) in args.iter().enumerate() {
            text = text.replace(&format!("{{{i}}}"), &unparser.expr_to_sql(a)?.to_string());
        }
        self.kind
            .parse(&text, |p| p.parse_expr())
            .map_err(|e| datafusion::error::DataFusionError::Plan(format!("cannot translate `{text}`: {e}")))
    }

    fn renamed(&self, unparser: &Unparser, name: &str, args: &[Expr]) -> datafusion::error::Result<ast::Expr> {
        let list: Vec<String> = (0..args.len()).map(|i| format!("{{{i}}}")).collect();
        self.template(unparser, &format!("{name}({})", list.join(", ")), args)
    }
}

impl ud::Dialect for Translate {
    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        // Always quote: contract names keep their case on every warehouse.
        self.base.identifier_quote_style(identifier).or(Some(self.kind.quote()))
    }
    fn use_array_keyword_for_array_literals(&self) -> bool {
        self.base.use_array_keyword_for_array_literals()
    }
    fn supports_nulls_first_in_sort(&self) -> bool {
        self.base.supports_nulls_first_in_sort()
    }
    fn use_timestamp_for_date64(&self) -> bool {
        self.base.use_timestamp_for_date64()
    }
    fn interval_style(&self) -> IntervalStyle {
        self.base.interval_style()
    }
    fn float64_ast_dtype(&self) -> ast::DataType {
        self.base.float64_ast_dtype()
    }
    fn utf8_cast_dtype(&self) -> ast::DataType {
        self.base.utf8_cast_dtype()
    }
    fn large_utf8_cast_dtype(&self) -> ast::DataType {
        self.base.large_utf8_cast_dtype()
    }
    fn date_field_extract_style(&self) -> DateFieldExtractStyle {
        self.base.date_field_extract_style()
    }
    fn distinct_from_style(&self) -> DistinctFromStyle {
        self.base.distinct_from_style()
    }
    fn character_length_style(&self) -> CharacterLengthStyle {
        self.base.character_length_style()
    }
    fn int64_cast_dtype(&self) -> ast::DataType {
        self.base.int64_cast_dtype()
    }
    fn int8_cast_dtype(&self) -> ast::DataType {
        self.base.int8_cast_dtype()
    }
    fn int32_cast_dtype(&self) -> ast::DataType {
        self.base.int32_cast_dtype()
    }
    fn timestamp_cast_dtype(&self, unit: &TimeUnit, tz: &Option<Arc<str>>) -> ast::DataType {
        self.base.timestamp_cast_dtype(unit, tz)
    }
    fn date32_cast_dtype(&self) -> ast::DataType {
        self.base.date32_cast_dtype()
    }
    fn supports_column_alias_in_table_alias(&self) -> bool {
        self.base.supports_column_alias_in_table_alias()
    }
    fn requires_derived_table_alias(&self) -> bool {
        true
    }
    fn division_operator(&self) -> BinaryOperator {
        self.base.division_operator()
    }
    fn full_qualified_col(&self) -> bool {
        self.base.full_qualified_col()
    }
    fn unnest_as_table_factor(&self) -> bool {
        self.base.unnest_as_table_factor()
    }
    fn unnest_as_lateral_flatten(&self) -> bool {
        self.base.unnest_as_lateral_flatten()
    }
    fn col_alias_overrides(&self, alias: &str) -> datafusion::error::Result<Option<String>> {
        self.base.col_alias_overrides(alias)
    }
    fn supports_qualify(&self) -> bool {
        self.base.supports_qualify()
    }
    fn supports_empty_select_list(&self) -> bool {
        self.base.supports_empty_select_list()
    }

    fn scalar_function_to_sql_overrides(
        &self,
        unparser: &Unparser,
        name: &str,
        args: &[Expr],
    ) -> datafusion::error::Result<Option<ast::Expr>> {
        use SqlDialect::*;
        let t = |template: &str| self.template(unparser, template, args).map(Some);
        match (self.kind, name, args.len()) {
            // `~` reads the same on every PostgreSQL (regexp_like is 15+).
            (Postgres, "regexp_like", 2) => t("({0} ~ {1})"),
            (BigQuery, "regexp_like", 2) => self.renamed(unparser, "REGEXP_CONTAINS", args).map(Some),
            (Databricks, "regexp_like", 2) => t("({0} RLIKE {1})"),
            // A composite's attribute: `(payment).method`.
            (Postgres, "get_field", 2) => match &args[1] {
                Expr::Literal(ScalarValue::Utf8(Some(f)) | ScalarValue::Utf8View(Some(f)), _) => {
                    let base = unparser.expr_to_sql(&args[0])?;
                    let field = f.replace('"', "\"\"");
                    t(&format!("({base}).\"{field}\""))
                }
                _ => Ok(None),
            },
            (Postgres, "array_distinct", 1) => t("ARRAY(SELECT DISTINCT unnest({0}))"),
            // An array's items, one at a time (crate::items): does any break the rule?
            (kind, crate::items::ANY_ITEM, 3) => match &args[1] {
                Expr::Literal(ScalarValue::Utf8(Some(rule)), _) => match any_item_template(kind, rule) {
                    Some(template) => t(&template),
                    None => Ok(None),
                },
                _ => Ok(None),
            },
            // PostgreSQL's own JSON operators, on the column read as jsonb.
            (Postgres, crate::json::JSON_GET_TEXT, 2) => t("(({0})::jsonb ->> {1})"),
            (Postgres, crate::json::JSON_GET, 2) => t("((({0})::jsonb -> {1})::text)"),
            (Postgres, "array_has_all", 2) => t("({0} @> {1})"),
            (Postgres, "make_array", _) => {
                let list: Vec<String> = (0..args.len()).map(|i| format!("{{{i}}}")).collect();
                t(&format!("ARRAY[{}]", list.join(", ")))
            }
            // NaN, where IEEE comparisons and each engine's ordering of it disagree.
            (Postgres | Snowflake, "isnan", 1) => t("({0} = 'NaN')"),
            (BigQuery, "isnan", 1) => self.renamed(unparser, "IS_NAN", args).map(Some),
            (Trino, "isnan", 1) => self.renamed(unparser, "is_nan", args).map(Some),
            (Snowflake, "character_length", 1) => self.renamed(unparser, "LENGTH", args).map(Some),
            (Snowflake, "cardinality", 1) => self.renamed(unparser, "ARRAY_SIZE", args).map(Some),
            (BigQuery, "cardinality", 1) => self.renamed(unparser, "ARRAY_LENGTH", args).map(Some),
            (Databricks, "cardinality", 1) => self.renamed(unparser, "size", args).map(Some),
            (Snowflake, "array_has_all", 2) => self.renamed(unparser, "ARRAY_CONTAINS_ALL", args).map(Some),
            _ => self.base.scalar_function_to_sql_overrides(unparser, name, args),
        }
    }
}

/// `contrakt_any_item({0}, rule, {2})` in a warehouse's own SQL: true when an item `v` of the
/// array `{0}` breaks `rule` against the argument `{2}` (a string literal), null for a null array.
/// Patterns are searched, not anchored, on every dialect (as `regexp_like` is in DataFusion).
fn any_item_template(kind: SqlDialect, rule: &str) -> Option<String> {
    use SqlDialect::*;
    let (text, int, float) = match kind {
        Postgres => ("v::text", "bigint", "double precision"),
        Snowflake => ("v::STRING", "BIGINT", "DOUBLE"),
        BigQuery => ("CAST(v AS STRING)", "INT64", "FLOAT64"),
        Databricks => ("CAST(v AS STRING)", "BIGINT", "DOUBLE"),
        Trino => ("CAST(v AS VARCHAR)", "BIGINT", "DOUBLE"),
    };
    let number = |op: &str| format!("CAST(v AS {float}) {op} CAST({{2}} AS {float})");
    let length = match kind {
        Snowflake => "LENGTH",
        _ => "char_length",
    };
    let matches = match kind {
        Postgres => format!("{text} ~ {{2}}"),
        Snowflake => format!("REGEXP_INSTR({text}, {{2}}) > 0"),
        BigQuery => format!("REGEXP_CONTAINS({text}, {{2}})"),
        Databricks => format!("{text} RLIKE {{2}}"),
        Trino => format!("regexp_like({text}, {{2}})"),
    };
    let bad = match rule {
        // A date: the shape, then (only where it holds, so the casts read digits) the day
        // against the length of its month.
        _ if rule.starts_with("date:") => {
            let cal = crate::items::Calendar::from_kind(rule)?;
            let field = |(at, len): (usize, usize)| format!("CAST(substr({text}, {at}, {len}) AS {int})");
            let leap = match cal.year {
                None => "true".to_string(),
                Some(y) => {
                    let year = if y.1 == 2 { format!("(2000 + {})", field(y)) } else { field(y) };
                    format!("(MOD({year}, 4) = 0 AND (MOD({year}, 100) <> 0 OR MOD({year}, 400) = 0))")
                }
            };
            let days = format!(
                "CASE {} WHEN 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END",
                field(cal.month)
            );
            // A null item breaks nothing, as in the other rules (where the comparison is null).
            format!("CASE WHEN v IS NULL THEN false WHEN {matches} THEN {} > {days} ELSE true END", field(cal.day))
        }
        "mismatch" => match kind {
            Postgres => format!("{text} !~ {{2}}"),
            Snowflake => format!("REGEXP_INSTR({text}, {{2}}) = 0"),
            BigQuery => format!("NOT REGEXP_CONTAINS({text}, {{2}})"),
            Databricks => format!("NOT ({text} RLIKE {{2}})"),
            Trino => format!("NOT regexp_like({text}, {{2}})"),
        },
        "shorter" => format!("{length}({text}) < CAST({{2}} AS {int})"),
        "longer" => format!("{length}({text}) > CAST({{2}} AS {int})"),
        "below" => number("<"),
        "below_or_at" => number("<="),
        "above" => number(">"),
        "above_or_at" => number(">="),
        "not_in" => match kind {
            Postgres => format!("{text} NOT IN (SELECT jsonb_array_elements_text(({{2}})::jsonb))"),
            Snowflake => format!("NOT ARRAY_CONTAINS({text}::VARIANT, PARSE_JSON({{2}}))"),
            BigQuery => format!("{text} NOT IN UNNEST(JSON_VALUE_ARRAY({{2}}))"),
            Databricks => format!("NOT array_contains(from_json({{2}}, 'array<string>'), {text})"),
            Trino => format!("NOT contains(CAST(json_parse({{2}}) AS ARRAY(VARCHAR)), {text})"),
        },
        _ => return None,
    };
    let any = match kind {
        Postgres => format!("EXISTS (SELECT 1 FROM unnest({{0}}) AS contrakt_item(v) WHERE {bad})"),
        BigQuery => format!("EXISTS (SELECT 1 FROM UNNEST({{0}}) AS v WHERE {bad})"),
        Trino => format!("EXISTS (SELECT 1 FROM UNNEST({{0}}) AS contrakt_item(v) WHERE {bad})"),
        Snowflake => format!("ARRAY_SIZE(FILTER({{0}}, v -> {bad})) > 0"),
        Databricks => format!("exists({{0}}, v -> {bad})"),
    };
    Some(format!("(CASE WHEN {{0}} IS NULL THEN NULL ELSE {any} END)"))
}

/// Where a table DataFusion plans against lives in the warehouse.
#[derive(Debug, Clone)]
enum Relation {
    /// `schema.table`, with the columns to read as text.
    Table { name: Vec<String>, as_text: Vec<String>, columns: Vec<String> },
    /// A query (a `--where` slice over another relation), already in the dialect.
    Query(String),
}

/// One warehouse of a run: its dialect, its connection (none for `--emit-sql`) and the
/// relations behind the tables DataFusion plans against.
pub struct Warehouse {
    pub dialect: SqlDialect,
    /// The server entry's name, for messages.
    pub server: String,
    /// `host:port/database`, for messages and matching servers of other contracts.
    pub address: String,
    client: Option<tokio_postgres::Client>,
    relations: Mutex<HashMap<String, Relation>>,
    /// How to open the connection the contract's own SQL rules run on (see [`Warehouse::rule_number`]).
    config: Option<tokio_postgres::Config>,
    /// That connection, opened at the first rule: one transaction at a time, apart from the
    /// checker's pipelined statements.
    rules: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
}

impl std::fmt::Debug for Warehouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warehouse").field("dialect", &self.dialect).field("server", &self.server).finish()
    }
}

/// `host:port/database` of a server entry.
pub fn address(server: &Server) -> String {
    format!(
        "{}:{}/{}",
        server.host.as_deref().unwrap_or("localhost"),
        server.port.unwrap_or(5432),
        server.database.as_deref().unwrap_or("")
    )
}

impl Warehouse {
    /// A warehouse that only writes SQL.
    pub fn offline(dialect: SqlDialect, server: &Server) -> Warehouse {
        Warehouse {
            dialect,
            server: server.server.clone(),
            address: address(server),
            client: None,
            relations: Mutex::new(HashMap::new()),
            config: None,
            rules: tokio::sync::Mutex::new(None),
        }
    }

    /// Connects to a PostgreSQL server entry.
    pub async fn connect(server: &Server, timeout: Option<Duration>) -> Result<Warehouse> {
        Warehouse::connect_to(server, timeout, None).await
    }

    /// Connects to a PostgreSQL server entry. `operators`: the operator named the host (a URL on
    /// the command line) and maybe the user, so the password may go there without
    /// [`crate::dataset::ALLOW_ENDPOINTS_ENV`].
    async fn connect_to(server: &Server, timeout: Option<Duration>, operators: Option<&str>) -> Result<Warehouse> {
        let fail = |message: String| Error::Warehouse { server: server.server.clone(), message };
        let host = server.host.as_deref().ok_or_else(|| fail("the server entry has no `host`".into()))?;
        let database = server.database.as_deref().ok_or_else(|| fail("the server entry has no `database`".into()))?;
        let port = match server.port {
            None => 5432,
            Some(p) => u16::try_from(p).map_err(|_| fail(format!("port {p} is not a TCP port")))?,
        };
        let user = match operators.filter(|u| !u.is_empty()) {
            Some(u) => u.to_string(),
            None => std::env::var(USER_ENV).unwrap_or_else(|_| "postgres".into()),
        };
        let mut config = tokio_postgres::Config::new();
        config
            .host(host)
            .port(port)
            .dbname(database)
            .user(&user)
            .application_name("contrakt")
            .connect_timeout(Duration::from_secs(10));
        if let Ok(password) = std::env::var(PASSWORD_ENV) {
            // The host comes from the contract, which a pull request can change: the password
            // goes only to a host the operator allowed, as a contract's S3 endpoint does.
            let allow = std::env::var(crate::dataset::ALLOW_ENDPOINTS_ENV).unwrap_or_default();
            if operators.is_none() && !crate::dataset::endpoint_allowed(&format!("postgres://{host}:{port}"), &allow) {
                return Err(fail(format!(
                    "the contract names the PostgreSQL host {host}:{port}, and {PASSWORD_ENV} is sent only to a host the operator allows: set {}={host}:{port} (a comma-separated list; `*` allows any)",
                    crate::dataset::ALLOW_ENDPOINTS_ENV
                )));
            }
            config.password(password);
        }
        let span = tracing::info_span!("connect", server = %server.server, host, port, database, user = %user);
        let client = open(&config)
            .instrument(span)
            .await
            .map_err(|e| fail(format!("cannot connect to {host}:{port}/{database} as {user}: {}", pg_error(&e))))?;
        // Values come back as text; make that text what the decoder reads.
        let mut setup = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3;".to_string();
        if let Some(d) = timeout {
            setup.push_str(&format!(" SET statement_timeout = {};", d.as_millis().max(1)));
        }
        client.batch_execute(&setup).await.map_err(|e| fail(pg_error(&e)))?;
        Ok(Warehouse {
            dialect: SqlDialect::Postgres,
            server: server.server.clone(),
            address: address(server),
            client: Some(client),
            relations: Mutex::new(HashMap::new()),
            config: Some(config),
            rules: tokio::sync::Mutex::new(None),
        })
    }

    /// The schema of the table at `url`, `postgres://[USER@]HOST[:PORT]/DATABASE/[SCHEMA.]TABLE`
    /// (schema `public` by default), from the catalog: what `diff` compares a contract with. The
    /// user is the URL's, else [`USER_ENV`]'s; the password only ever [`PASSWORD_ENV`]'s, so it
    /// is in no command line. Returns the table's name and schema.
    pub async fn table_schema(url: &str) -> Result<(String, ArrowSchema)> {
        let shown = contrakt_core::redact::redact_location(url);
        let fail = |message: String| Error::Warehouse { server: shown.clone(), message };
        let parsed = url::Url::parse(url).map_err(|e| fail(format!("not a URL: {e}")))?;
        if parsed.password().is_some() {
            return Err(fail(format!("give the password in {PASSWORD_ENV}, not in the URL")));
        }
        let parts: Vec<String> = parsed
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(crate::delta::percent_decode).collect())
            .unwrap_or_default();
        let [database, table] = parts.as_slice() else {
            return Err(fail("expected postgres://HOST[:PORT]/DATABASE/[SCHEMA.]TABLE".into()));
        };
        let (schema, table) = match table.split_once('.') {
            Some((s, t)) => (s.to_string(), t.to_string()),
            None => ("public".to_string(), table.clone()),
        };
        let server = Server {
            server: shown.clone(),
            server_type: "postgres".into(),
            host: parsed.host_str().map(|h| h.trim_matches(['[', ']']).to_string()),
            port: parsed.port().map(i64::from),
            database: Some(database.clone()),
            schema: Some(schema.clone()),
            ..Server::default()
        };
        let user = crate::delta::percent_decode(parsed.username());
        let warehouse = Warehouse::connect_to(&server, Some(Duration::from_secs(60)), Some(&user)).await?;
        let (arrow, _) = warehouse.catalog_schema(&[schema.clone(), table.clone()]).await?;
        if arrow.fields().is_empty() {
            return Err(fail(format!("there is no table {schema}.{table} (or the user of {USER_ENV} cannot see it)")));
        }
        Ok((table, arrow))
    }

    pub fn is_connected(&self) -> bool {
        self.client.is_some()
    }

    /// The qualified name of an object's table (its physical name) on a server: PostgreSQL's
    /// `schema.table` (the database is the connection's), Snowflake's `database.schema.table`,
    /// BigQuery's `project.dataset.table`, Databricks' and Trino's `catalog.schema.table`.
    pub fn table_name(&self, server: &Server, table: &str) -> Vec<String> {
        let schema = server.schema.clone();
        let prefix = match self.dialect {
            SqlDialect::Postgres => vec![schema],
            SqlDialect::Snowflake => vec![server.database.clone(), schema],
            SqlDialect::BigQuery => vec![server.project.clone(), server.dataset.clone().or(schema)],
            SqlDialect::Databricks | SqlDialect::Trino => vec![server.catalog.clone(), schema],
        };
        prefix.into_iter().flatten().chain([table.to_string()]).collect()
    }

    /// The table's schema from the catalog, as DataFusion types; columns DataFusion reads
    /// as text are remembered and cast in the relation.
    pub async fn catalog_schema(&self, name: &[String]) -> Result<(ArrowSchema, Vec<String>)> {
        let client = self.client.as_ref().ok_or_else(|| Error::Internal("no warehouse connection".into()))?;
        let (schema, table) = match name {
            [s, t] => (s.clone(), t.clone()),
            [t] => ("public".to_string(), t.clone()),
            _ => return Err(Error::Internal(format!("PostgreSQL table name {name:?}"))),
        };
        let rows = client
            .query(
                "SELECT column_name::text, data_type::text, udt_schema::text, udt_name::text, \
                 numeric_precision::int4, numeric_scale::int4, is_nullable::text \
                 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 \
                 ORDER BY ordinal_position",
                &[&schema, &table],
            )
            .await
            .map_err(|e| Error::Warehouse { server: self.server.clone(), message: pg_error(&e) })?;
        let mut fields = Vec::new();
        let mut as_text = Vec::new();
        for r in rows {
            let column: String = r.get(0);
            let data_type: String = r.get(1);
            let (arrow, text) = self
                .pg_type(&data_type, r.get(2), r.get(3), r.get(4), r.get(5))
                .await
                .map_err(|e| Error::Warehouse { server: self.server.clone(), message: e })?;
            if text {
                as_text.push(column.clone());
            }
            fields.push(Field::new(column, arrow, r.get::<_, String>(6) == "YES"));
        }
        Ok((ArrowSchema::new(fields), as_text))
    }

    /// A PostgreSQL column type as DataFusion's, and whether to read it as text.
    async fn pg_type(
        &self,
        data_type: &str,
        udt_schema: String,
        udt_name: String,
        precision: Option<i32>,
        scale: Option<i32>,
    ) -> std::result::Result<(Arrow, bool), String> {
        if let Some(t) = scalar_pg_type(&udt_name, precision, scale) {
            return Ok(t);
        }
        if data_type == "ARRAY" {
            let item = udt_name.strip_prefix('_').unwrap_or(&udt_name);
            return Ok(match scalar_pg_type(item, None, None) {
                Some((t, false)) => (Arrow::List(Arc::new(Field::new("item", t, true))), false),
                _ => (Arrow::Utf8, true),
            });
        }
        if data_type == "USER-DEFINED" {
            // A composite type reads as a struct; anything else (enums, domains of
            // extensions) as text.
            let client = self.client.as_ref().ok_or("no connection")?;
            let rows = client
                .query(
                    "SELECT attribute_name::text, data_type::text, attribute_udt_name::text, \
                     numeric_precision::int4, numeric_scale::int4 FROM information_schema.attributes \
                     WHERE udt_schema = $1 AND udt_name = $2 ORDER BY ordinal_position",
                    &[&udt_schema, &udt_name],
                )
                .await
                .map_err(|e| pg_error(&e))?;
            if rows.is_empty() {
                return Ok((Arrow::Utf8, true));
            }
            let mut children = Vec::new();
            for r in rows {
                let t = match scalar_pg_type(&r.get::<_, String>(2), r.get(3), r.get(4)) {
                    Some((t, false)) => t,
                    _ => return Ok((Arrow::Utf8, true)),
                };
                children.push(Field::new(r.get::<_, String>(0), t, true));
            }
            return Ok((Arrow::Struct(Fields::from(children)), false));
        }
        Ok((Arrow::Utf8, true))
    }

    /// The table's schema as the contract declares it (for `--emit-sql`, which needs no
    /// connection). Uuids are read as text where the warehouse has a uuid type.
    pub fn contract_schema(&self, object: &ir::Object) -> (ArrowSchema, Vec<String>) {
        let mut as_text = Vec::new();
        let fields: Vec<Field> = object
            .fields
            .iter()
            .map(|f| {
                let name = f.physical_name.clone().unwrap_or_else(|| f.name.clone());
                if f.data_type == ir::DataType::Uuid && self.dialect == SqlDialect::Postgres {
                    as_text.push(name.clone());
                }
                Field::new(name, ir_arrow(&f.data_type), f.nullable)
            })
            .collect();
        (ArrowSchema::new(fields), as_text)
    }

    /// Puts `table` (as DataFusion knows it) in the warehouse at `name`.
    pub fn relate_table(&self, table: &str, name: Vec<String>, schema: &ArrowSchema, as_text: Vec<String>) {
        let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        self.relations.lock().unwrap().insert(table.to_string(), Relation::Table { name, as_text, columns });
    }

    /// Puts `table` (a DataFusion view) in the warehouse as the unparsed view.
    pub fn relate_view(&self, table: &str, plan: &LogicalPlan) -> Result<()> {
        let sql = self.to_sql(plan)?;
        self.relations.lock().unwrap().insert(table.to_string(), Relation::Query(sql));
        Ok(())
    }

    fn quote(&self, name: &str) -> String {
        let q = self.dialect.quote();
        format!("{q}{}{q}", name.replace(q, &format!("{q}{q}")))
    }

    fn relation_sql(&self, r: &Relation) -> String {
        match r {
            Relation::Query(q) => format!("({q})"),
            Relation::Table { name, as_text, columns } => {
                let qualified = name.iter().map(|n| self.quote(n)).collect::<Vec<_>>().join(".");
                if as_text.is_empty() {
                    return qualified;
                }
                let cols: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        let q = self.quote(c);
                        if as_text.contains(c) { format!("CAST({q} AS TEXT) AS {q}") } else { q }
                    })
                    .collect();
                format!("(SELECT {} FROM {qualified})", cols.join(", "))
            }
        }
    }

    /// The plan as one statement of the warehouse's dialect.
    pub fn to_sql(&self, plan: &LogicalPlan) -> Result<String> {
        let translate = Translate { kind: self.dialect, base: self.dialect.unparser() };
        let unparser = Unparser::new(&translate);
        let mut statement = unparser
            .plan_to_sql(plan)
            .map_err(|e| Error::Usage(format!("cannot write the plan as SQL: {}", crate::error::explain(&e))))?;
        let relations = self.relations.lock().unwrap().clone();
        let mut rewrite = Rewrite { warehouse: self, relations: &relations, error: None };
        let _ = statement.visit(&mut rewrite);
        if let Some(e) = rewrite.error {
            return Err(Error::Usage(e));
        }
        Ok(statement.to_string())
    }

    /// Runs a statement; the rows come back as text and are read as the plan's types.
    pub async fn query(&self, sql: &str, schema: &ArrowSchema) -> std::result::Result<Vec<RecordBatch>, String> {
        let client = self.client.as_ref().ok_or("not connected to the warehouse")?;
        let span = tracing::info_span!("warehouse_query", server = %self.server);
        tracing::debug!(parent: &span, sql, "pushed down");
        let messages = client.simple_query(sql).instrument(span).await.map_err(|e| pg_error(&e))?;
        let rows: Vec<tokio_postgres::SimpleQueryRow> = messages
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(r),
                _ => None,
            })
            .collect();
        decode(&rows, schema)
    }

    /// Runs a statement and reads its rows as they arrive, decoded 65,536 rows at a time,
    /// never more than `max_rows` of them: past that it stops with `Err`, so
    /// the rows held here stay bounded whatever the table holds.
    pub async fn stream(
        &self,
        sql: &str,
        schema: &ArrowSchema,
        max_rows: usize,
    ) -> std::result::Result<Vec<RecordBatch>, String> {
        let (mut batches, mut seen) = (Vec::new(), 0usize);
        self.stream_each(sql, schema, |batch| {
            seen += batch.num_rows();
            if seen > max_rows {
                return Err(format!("more than {max_rows} rows"));
            }
            batches.push(batch);
            Ok(())
        })
        .await?;
        Ok(batches)
    }

    /// Runs a statement and hands its rows to `each` as they arrive, decoded a batch of
    /// 65,536 rows at a time (at least one batch, empty when there is no row): only
    /// one batch is held here at a time. An `Err` from `each` stops the reading. Returns the rows.
    pub async fn stream_each(
        &self,
        sql: &str,
        schema: &ArrowSchema,
        mut each: impl FnMut(RecordBatch) -> std::result::Result<(), String>,
    ) -> std::result::Result<u64, String> {
        use futures::StreamExt;
        let client = self.client.as_ref().ok_or("not connected to the warehouse")?;
        let span = tracing::info_span!("warehouse_stream", server = %self.server);
        tracing::debug!(parent: &span, sql, "streamed");
        let stream = client.simple_query_raw(sql).instrument(span).await.map_err(|e| pg_error(&e))?;
        let mut stream = std::pin::pin!(stream);
        let (mut rows, mut seen, mut batches) = (Vec::with_capacity(STREAM_BATCH), 0u64, 0usize);
        while let Some(message) = stream.next().await {
            let tokio_postgres::SimpleQueryMessage::Row(row) = message.map_err(|e| pg_error(&e))? else { continue };
            seen += 1;
            rows.push(row);
            if rows.len() == STREAM_BATCH {
                decode(&rows, schema)?.into_iter().try_for_each(&mut each)?;
                rows.clear();
                batches += 1;
            }
        }
        if !rows.is_empty() || batches == 0 {
            decode(&rows, schema)?.into_iter().try_for_each(&mut each)?;
        }
        Ok(seen)
    }
}

/// Rows decoded at a time by [`Warehouse::stream`].
const STREAM_BATCH: usize = 65_536;

/// Opens a connection, its driver running on the runtime until the client is dropped.
async fn open(config: &tokio_postgres::Config) -> std::result::Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %pg_error(&e), "warehouse connection closed");
        }
    });
    Ok(client)
}

// The contract's own SQL rules on the server.
//
// A `type: sql` rule of an object on a warehouse is the server's SQL, written in its dialect
// (`FILTER (WHERE …)`, `::` casts, `ILIKE`, `DISTINCT ON`), which contrakt's parser may not
// read: on a warehouse run it is neither parsed nor planned by DataFusion but sent as written,
// its placeholders replaced by the object's relation. It runs read-only: in a `READ ONLY`
// transaction that is always rolled back, as one prepared statement (the extended protocol
// refuses a string of two statements), under the run's timeout as `statement_timeout`. A rule
// that writes (`INSERT`, `nextval`, a function that writes) fails with the server's error.

/// Marks a separate query as a rule's statement for the server: the compiler
/// ([`crate::compile`]) writes it before the statement, and the runner, seeing it, sends the
/// statement to [`Warehouse::rule_number`] rather than planning it.
const RULE_SQL_MARK: &str = "-- contrakt: the rule's own SQL, run on the server as written\n";

/// The statement of a query marked by [`Warehouse::rule_statement`], if it is one.
pub fn rule_statement_of(query: &str) -> Option<&str> {
    query.strip_prefix(RULE_SQL_MARK)
}

impl Warehouse {
    /// A SQL rule's query as the server's statement, marked for the runner: the placeholders
    /// (`{object}`, `${model}`, `${table}`, `{property}`, …, see [`contrakt_core::placeholder`])
    /// replaced by the quoted relation of `table` and the quoted `column`. A `--where` slice
    /// comes in as a `WITH` of the table's name, so the rule sees the slice only.
    pub fn rule_statement(
        &self,
        table: &str,
        query: &str,
        column: Option<&str>,
    ) -> std::result::Result<String, String> {
        let relation = self.relations.lock().unwrap().get(table).cloned();
        let (name, slice) = match relation {
            Some(Relation::Table { name, .. }) => {
                (name.iter().map(|n| self.quote(n)).collect::<Vec<_>>().join("."), None)
            }
            Some(Relation::Query(q)) => (self.quote(table), Some(q)),
            None => return Err(format!("the table `{table}` is not in the warehouse")),
        };
        let column = column.map(|c| self.quote(c));
        let text =
            contrakt_core::placeholder::substitute(query, &name, column.as_deref()).map_err(|p| p.to_string())?;
        let text = match slice {
            None => text,
            Some(q) => with_first(&format!("{name} AS ({q})"), &text),
        };
        Ok(format!("{RULE_SQL_MARK}{text}"))
    }

    /// Runs a rule's statement ([`rule_statement_of`]) on the server, read-only, within
    /// `timeout`: its one number (`None` for NULL).
    pub async fn rule_number(&self, statement: &str, timeout: Duration) -> std::result::Result<Option<f64>, String> {
        // One rule at a time on the connection; each waits for the ones before it, each bounded.
        let mut rules = self.rules.lock().await;
        let run = async {
            if rules.is_none() {
                let config = self.config.as_ref().ok_or("not connected to the warehouse")?;
                *rules = Some(open(config).await.map_err(|e| pg_error(&e))?);
            }
            let client = rules.as_mut().expect("opened above");
            let tx = client.build_transaction().read_only(true).start().await.map_err(|e| pg_error(&e))?;
            tx.batch_execute(&format!(
                "SET LOCAL statement_timeout = {}",
                timeout.as_millis().clamp(1, i32::MAX as u128)
            ))
            .await
            .map_err(|e| pg_error(&e))?;
            tracing::debug!(server = %self.server, sql = statement, "rule SQL on the server");
            let rows = tx.query(statement, &[]).await.map_err(|e| pg_error(&e));
            // Nothing a rule did is kept, whatever it was.
            let _ = tx.rollback().await;
            let rows = rows?;
            let cols = rows.first().map_or(0, |r| r.len());
            if rows.len() != 1 || cols != 1 {
                return Err(format!(
                    "the query must return one row with one number; it returned {} rows of {cols} columns",
                    rows.len()
                ));
            }
            rows[0]
                .try_get::<_, Option<PgNumber>>(0)
                .map(|n| n.map(|n| n.0))
                .map_err(|_| format!("the query returned {}, not a number", rows[0].columns()[0].type_()))
        };
        // The server cancels the statement at `timeout` and says so; this is the backstop for a
        // server that never answers.
        let backstop = timeout.saturating_add(Duration::from_secs(5));
        tokio::time::timeout(backstop, run)
            .await
            .unwrap_or_else(|_| Err(format!("no answer from the server within {} s", backstop.as_secs_f64())))
    }
}

/// `query` with one more common table expression, `cte` (`name AS (…)`), before its own.
fn with_first(cte: &str, query: &str) -> String {
    let trimmed = query.trim_start();
    let word = |text: &str, w: &str| {
        text.get(..w.len()).is_some_and(|head| head.eq_ignore_ascii_case(w))
            && text[w.len()..].starts_with(char::is_whitespace)
    };
    if word(trimmed, "WITH") {
        let rest = trimmed[4..].trim_start();
        if word(rest, "RECURSIVE") {
            return format!("WITH RECURSIVE {cte}, {}", rest[9..].trim_start());
        }
        return format!("WITH {cte}, {rest}");
    }
    format!("WITH {cte} {query}")
}

/// A number as PostgreSQL sends it in binary: any integer, float or `numeric` (as `f64`), a
/// boolean as 1 or 0.
struct PgNumber(f64);

impl<'a> tokio_postgres::types::FromSql<'a> for PgNumber {
    fn from_sql(
        ty: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        use tokio_postgres::types::Type;
        Ok(PgNumber(match *ty {
            Type::INT2 => f64::from(i16::from_sql(ty, raw)?),
            Type::INT4 => f64::from(i32::from_sql(ty, raw)?),
            Type::INT8 => i64::from_sql(ty, raw)? as f64,
            Type::OID => f64::from(u32::from_sql(ty, raw)?),
            Type::FLOAT4 => f64::from(f32::from_sql(ty, raw)?),
            Type::FLOAT8 => f64::from_sql(ty, raw)?,
            Type::BOOL => f64::from(u8::from(bool::from_sql(ty, raw)?)),
            Type::NUMERIC => numeric(raw)?,
            _ => return Err(format!("{ty} is not a number").into()),
        }))
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        use tokio_postgres::types::Type;
        matches!(
            *ty,
            Type::INT2 | Type::INT4 | Type::INT8 | Type::OID | Type::FLOAT4 | Type::FLOAT8 | Type::BOOL | Type::NUMERIC
        )
    }
}

/// PostgreSQL's binary `numeric`: digit count, weight (of the first base-10,000 digit), sign and
/// display scale, each 16 bits, then the digits.
fn numeric(raw: &[u8]) -> std::result::Result<f64, String> {
    let word = |i: usize| raw.get(2 * i..2 * i + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or("a short numeric");
    let (ndigits, weight, sign) = (word(0)? as usize, word(1)? as i16, word(2)?);
    let magnitude = (0..ndigits).try_fold(0.0f64, |acc, i| {
        word(4 + i).map(|d| acc + f64::from(d) * 10_000f64.powi(i32::from(weight) - i as i32))
    })?;
    Ok(match sign {
        0x0000 => magnitude,
        0x4000 => -magnitude,
        0xC000 => f64::NAN,
        0xD000 => f64::INFINITY,
        0xF000 => f64::NEG_INFINITY,
        other => return Err(format!("a numeric of sign {other:#x}")),
    })
}

/// Text values as arrays of the planned types; types the text form does not carry faithfully
/// (lists, structs) stay text.
fn decode(
    rows: &[tokio_postgres::SimpleQueryRow],
    schema: &ArrowSchema,
) -> std::result::Result<Vec<RecordBatch>, String> {
    if let Some(r) = rows.first()
        && r.len() != schema.fields().len()
    {
        return Err(format!("the warehouse returned {} columns, the plan has {}", r.len(), schema.fields().len()));
    }
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        let t = if readable(f.data_type()) { f.data_type().clone() } else { Arrow::Utf8 };
        // A column's text cast at once, with the options `from_text` casts one value with (a bad
        // value fails): a cast per value built an array per value. Value by value where the
        // cast is not that (booleans, zones), or to name the bad value.
        let at_once = match &t {
            Arrow::Boolean | Arrow::Timestamp(..) => None,
            _ => {
                let texts: datafusion::arrow::array::StringArray = rows.iter().map(|r| r.get(i)).collect();
                let options = datafusion::common::format::DEFAULT_CAST_OPTIONS;
                datafusion::arrow::compute::cast_with_options(&texts, &t, &options).ok()
            }
        };
        let array = match at_once {
            Some(array) => array,
            None => {
                let mut values = Vec::with_capacity(rows.len());
                for r in rows {
                    let v = match r.get(i) {
                        None => ScalarValue::try_from(&t).map_err(|e| e.to_string())?,
                        Some(text) => from_text(text, &t)
                            .map_err(|e| format!("cannot read `{text}` from the warehouse as {t}: {e}"))?,
                    };
                    values.push(v);
                }
                if values.is_empty() {
                    datafusion::arrow::array::new_empty_array(&t)
                } else {
                    ScalarValue::iter_to_array(values).map_err(|e| e.to_string())?
                }
            }
        };
        fields.push(Field::new(f.name(), t, true));
        columns.push(array);
    }
    let batch = RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns).map_err(|e| e.to_string())?;
    Ok(vec![batch])
}

/// Can a value of this type be read back from the warehouse's text? Others come back as text.
pub(crate) fn readable(t: &Arrow) -> bool {
    t.is_numeric()
        || matches!(
            t,
            Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View | Arrow::Boolean | Arrow::Date32 | Arrow::Date64
        )
        || matches!(t, Arrow::Timestamp(..) | Arrow::Time64(_) | Arrow::Time32(_))
}

fn from_text(text: &str, t: &Arrow) -> datafusion::error::Result<ScalarValue> {
    match t {
        Arrow::Boolean => Ok(ScalarValue::Boolean(Some(matches!(text, "t" | "true")))),
        Arrow::Timestamp(..) => {
            // PostgreSQL writes `+00` for a zone; Arrow reads `+00:00`.
            let b = text.as_bytes();
            let short_zone = b.len() > 5 && matches!(b[b.len() - 3], b'+' | b'-') && b[b.len() - 5] != b'-';
            let text = if short_zone { format!("{text}:00") } else { text.to_string() };
            ScalarValue::try_from_string(text, t)
        }
        _ => ScalarValue::try_from_string(text.to_string(), t),
    }
}

/// A PostgreSQL base type (by `udt_name`) as DataFusion's, and whether to read it as text.
fn scalar_pg_type(udt: &str, precision: Option<i32>, scale: Option<i32>) -> Option<(Arrow, bool)> {
    Some(match udt {
        "int2" => (Arrow::Int16, false),
        "int4" => (Arrow::Int32, false),
        "int8" => (Arrow::Int64, false),
        "float4" => (Arrow::Float32, false),
        "float8" => (Arrow::Float64, false),
        "numeric" => match (precision, scale) {
            (Some(p), s) if (1..=38).contains(&p) => {
                (Arrow::Decimal128(p as u8, s.unwrap_or(0).clamp(0, p) as i8), false)
            }
            _ => (Arrow::Float64, false),
        },
        "text" | "varchar" | "bpchar" | "name" | "citext" => (Arrow::Utf8, false),
        "bool" => (Arrow::Boolean, false),
        "date" => (Arrow::Date32, false),
        "timestamp" => (Arrow::Timestamp(TimeUnit::Microsecond, None), false),
        "timestamptz" => (Arrow::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        "time" => (Arrow::Time64(TimeUnit::Microsecond), false),
        "bytea" => (Arrow::Binary, false),
        "uuid" | "json" | "jsonb" | "xml" | "inet" | "cidr" | "macaddr" | "interval" | "money" => (Arrow::Utf8, true),
        _ => return None,
    })
}

/// A contract type as the type a warehouse column of it reads as.
pub(crate) fn ir_arrow(t: &ir::DataType) -> Arrow {
    use ir::DataType as D;
    match t {
        D::Boolean => Arrow::Boolean,
        D::Int { bits: Some(8 | 16), .. } => Arrow::Int16,
        D::Int { bits: Some(32), .. } => Arrow::Int32,
        D::Int { .. } => Arrow::Int64,
        D::Float { bits: Some(32) } => Arrow::Float32,
        D::Float { .. } => Arrow::Float64,
        D::Decimal { precision: Some(p), scale } if *p <= 38 => Arrow::Decimal128((*p).max(1), scale.unwrap_or(0)),
        D::Decimal { .. } => Arrow::Float64,
        D::Binary | D::FixedBinary { .. } => Arrow::Binary,
        D::Date => Arrow::Date32,
        D::Time { .. } => Arrow::Time64(TimeUnit::Microsecond),
        D::Timestamp { timezone, .. } => {
            Arrow::Timestamp(TimeUnit::Microsecond, (*timezone != Some(false)).then(|| Arc::from("UTC")))
        }
        D::Struct(children) => Arrow::Struct(Fields::from(
            children
                .iter()
                .map(|c| {
                    Field::new(c.physical_name.clone().unwrap_or_else(|| c.name.clone()), ir_arrow(&c.data_type), true)
                })
                .collect::<Vec<_>>(),
        )),
        D::List(item) => Arrow::List(Arc::new(Field::new("item", ir_arrow(&item.data_type), true))),
        _ => Arrow::Utf8,
    }
}

/// Replaces DataFusion's table names with the warehouse relations, and aggregate `FILTER`
/// clauses with `CASE` where the dialect has none.
struct Rewrite<'a> {
    warehouse: &'a Warehouse,
    relations: &'a HashMap<String, Relation>,
    error: Option<String>,
}

impl VisitorMut for Rewrite<'_> {
    type Break = ();

    // After the children: a relation put in is not visited again.
    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table { name, alias, .. } = factor else { return ControlFlow::Continue(()) };
        let Some(table) = name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.clone()) else {
            return ControlFlow::Continue(());
        };
        if name.0.len() != 1 {
            return ControlFlow::Continue(());
        }
        let Some(relation) = self.relations.get(&table) else {
            self.error = Some(format!("the table `{table}` is not in the warehouse"));
            return ControlFlow::Break(());
        };
        let alias = alias.as_ref().map(|a| a.name.value.clone()).unwrap_or(table);
        let text = format!("{} AS {}", self.warehouse.relation_sql(relation), self.warehouse.quote(&alias));
        match self.warehouse.dialect.parse(&text, |p| p.parse_table_factor()) {
            Ok(f) => *factor = f,
            Err(e) => {
                self.error = Some(format!("cannot write the relation `{text}`: {e}"));
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
        if self.warehouse.dialect == SqlDialect::Postgres
            && let ast::Expr::Cast { kind: ast::CastKind::TryCast | ast::CastKind::SafeCast, .. } = expr
        {
            match try_cast_postgres(expr) {
                Ok(e) => *expr = e,
                Err(e) => {
                    self.error = Some(e);
                    return ControlFlow::Break(());
                }
            }
            return ControlFlow::Continue(());
        }
        if self.warehouse.dialect.has_aggregate_filter() {
            return ControlFlow::Continue(());
        }
        let ast::Expr::Function(f) = expr else { return ControlFlow::Continue(()) };
        let Some(filter) = f.filter.take() else { return ControlFlow::Continue(()) };
        // agg(x) FILTER (WHERE p) = agg(CASE WHEN p THEN x END): the aggregates checks use
        // skip nulls; count(*) counts the rows where p holds.
        if let ast::FunctionArguments::List(list) = &mut f.args {
            for arg in &mut list.args {
                let ast::FunctionArg::Unnamed(inner) = arg else { continue };
                let value = match inner {
                    ast::FunctionArgExpr::Expr(e) => e.to_string(),
                    _ => "1".to_string(),
                };
                let text = format!("CASE WHEN {filter} THEN {value} END");
                match self.warehouse.dialect.parse(&text, |p| p.parse_expr()) {
                    Ok(e) => *inner = ast::FunctionArgExpr::Expr(e),
                    Err(e) => {
                        self.error = Some(format!("cannot rewrite `{text}`: {e}"));
                        return ControlFlow::Break(());
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// `TRY_CAST(x AS t)`, which PostgreSQL lacks, as `CASE WHEN x ~ '…' THEN CAST(x AS t) END`
/// for the numeric types: text that reads as a number of that kind is cast, anything else is
/// NULL, as DataFusion's `TRY_CAST` gives. The pattern takes the plain decimal forms (sign,
/// digits, point, exponent), not `NaN` or `Infinity`; an integer too large for its type still
/// fails on PostgreSQL where DataFusion gives NULL.
fn try_cast_postgres(expr: &ast::Expr) -> std::result::Result<ast::Expr, String> {
    let ast::Expr::Cast { expr: inner, data_type, .. } = expr else { return Err(format!("not a cast: {expr}")) };
    use ast::DataType as T;
    let pattern = match data_type {
        T::Double(_) | T::DoublePrecision | T::Float(_) | T::Float4 | T::Float8 | T::Real | T::Float64 | T::Float32 => {
            r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
        }
        T::Numeric(_) | T::Decimal(_) | T::Dec(_) => r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)$",
        T::SmallInt(_) | T::Int(_) | T::Integer(_) | T::BigInt(_) | T::Int2(_) | T::Int4(_) | T::Int8(_) => {
            r"^[-+]?[0-9]+$"
        }
        other => return Err(format!("`{expr}` has no PostgreSQL form (TRY_CAST to {other})")),
    };
    let text = format!("CASE WHEN CAST({inner} AS TEXT) ~ '{pattern}' THEN CAST({inner} AS {data_type}) END");
    SqlDialect::Postgres
        .parse(&text, |p| p.parse_expr())
        .map_err(|e| format!("cannot rewrite `{expr}` as `{text}`: {e}"))
}

/// A PostgreSQL error as one line: the server's message and code, or the client's cause.
fn pg_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_read_from_postgresql_binary() {
        // 12345.678: digits 1, 2345, 6780 with weight 1; -0.5: digit 5000 with weight -1.
        let raw = [0u8, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c];
        assert!((numeric(&raw).unwrap() - 12_345.678).abs() < 1e-9);
        assert_eq!(numeric(&[0, 1, 0xff, 0xff, 0x40, 0, 0, 1, 0x13, 0x88]).unwrap(), -0.5);
        assert_eq!(numeric(&[0, 0, 0, 0, 0, 0, 0, 0]).unwrap(), 0.0);
        assert!(numeric(&[0, 0, 0, 0, 0xC0, 0, 0, 0]).unwrap().is_nan());
        assert!(numeric(&[0, 2, 0, 0, 0, 0, 0, 0, 0, 1]).is_err());
    }

    #[test]
    fn a_slice_comes_first_among_the_rules_ctes() {
        assert_eq!(
            with_first("\"o\" AS (SELECT 1)", "SELECT count(*) FROM \"o\""),
            "WITH \"o\" AS (SELECT 1) SELECT count(*) FROM \"o\""
        );
        assert_eq!(
            with_first("\"o\" AS (SELECT 1)", " with x AS (SELECT 2) SELECT 3"),
            "WITH \"o\" AS (SELECT 1), x AS (SELECT 2) SELECT 3"
        );
        assert_eq!(
            with_first("\"o\" AS (SELECT 1)", "WITH RECURSIVE t(n) AS (SELECT 1) SELECT 3"),
            "WITH RECURSIVE \"o\" AS (SELECT 1), t(n) AS (SELECT 1) SELECT 3"
        );
        assert_eq!(with_first("\"o\" AS (SELECT 1)", "WITHOUT"), "WITH \"o\" AS (SELECT 1) WITHOUT");
        assert_eq!(with_first("x", "WITé"), "WITH x WITé");
    }

    #[test]
    fn rule_statements_name_the_warehouse_relation() {
        let server = Server { server: "pg".into(), server_type: "postgres".into(), ..Server::default() };
        let w = Warehouse::offline(SqlDialect::Postgres, &server);
        let schema = ArrowSchema::new(vec![Field::new("a", Arrow::Int64, true)]);
        w.relate_table("orders", vec!["sales".into(), "Orders".into()], &schema, vec![]);
        let s = w
            .rule_statement("orders", "SELECT count(*) FILTER (WHERE {property} ILIKE 'x%') FROM ${model}", Some("a"))
            .unwrap();
        assert_eq!(
            rule_statement_of(&s),
            Some("SELECT count(*) FILTER (WHERE \"a\" ILIKE 'x%') FROM \"sales\".\"Orders\"")
        );
        assert!(w.rule_statement("orders", "SELECT 1 FROM ${nope}", None).unwrap_err().contains("nope"));
        assert!(w.rule_statement("other", "SELECT 1", None).is_err());
        assert_eq!(rule_statement_of("SELECT 1"), None);
    }

    #[test]
    fn item_date_checks_read_in_every_dialect() {
        use SqlDialect::*;
        for kind in [Postgres, Snowflake, BigQuery, Databricks, Trino] {
            for rule in ["date:1,4:6,2:9,2", "date:-:4,2:1,2", "date:7,2:4,2:1,2"] {
                let template = any_item_template(kind, rule).unwrap_or_else(|| panic!("{kind:?} {rule}"));
                let text = template.replace("{0}", "days").replace("{2}", "'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'");
                assert!(kind.parse(&text, |p| p.parse_expr()).is_ok(), "{kind:?}: {text}");
            }
        }
        assert_eq!(any_item_template(Postgres, "date:0,4:6,2:9,2"), None);
    }

    #[test]
    fn server_types_name_dialects() {
        assert_eq!(SqlDialect::from_server_type("PostgreSQL"), Some(SqlDialect::Postgres));
        assert_eq!(SqlDialect::from_server_type("databricks"), Some(SqlDialect::Databricks));
        assert_eq!(SqlDialect::from_server_type("s3"), None);
    }

    #[test]
    fn postgres_text_reads_as_the_planned_types() {
        let ts = Arrow::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        assert_eq!(
            from_text("2026-11-22 05:30:00+00", &ts).unwrap(),
            ScalarValue::TimestampMicrosecond(Some(1_795_325_400_000_000), Some("UTC".into()))
        );
        assert_eq!(from_text("2024-01-01", &Arrow::Date32).unwrap(), ScalarValue::Date32(Some(19_723)));
        assert_eq!(from_text("t", &Arrow::Boolean).unwrap(), ScalarValue::Boolean(Some(true)));
        assert_eq!(from_text("12", &Arrow::Int64).unwrap(), ScalarValue::Int64(Some(12)));
        assert_eq!(
            from_text("-12.50", &Arrow::Decimal128(12, 2)).unwrap(),
            ScalarValue::Decimal128(Some(-1250), 12, 2)
        );
    }
}
