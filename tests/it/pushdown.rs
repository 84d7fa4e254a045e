//! Warehouse pushdown: the example registry's orders, loaded into a real PostgreSQL (started on
//! loopback by `postgres.rs`), checked there through `--server`, give the embedded engine's
//! results check by check; `--emit-sql` writes statements each dialect's parser reads.

use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use serde_json::Value;

use crate::{contrakt, contrakt_in, repo};

const NOW: &str = "2026-11-22T06:00:00Z";

/// The parts of a server URL the contract and the environment carry.
pub(crate) struct Target {
    pub(crate) host: String,
    pub(crate) port: String,
    pub(crate) database: String,
    pub(crate) user: String,
    pub(crate) password: Option<String>,
}

impl Target {
    /// `contrakt ARGS` in `dir`, signed in to this server the way users are: through the
    /// environment, never the URL.
    pub(crate) fn contrakt(&self, dir: &Path, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"));
        cmd.args(args).current_dir(dir).env("CONTRAKT_PG_USER", &self.user).env("NO_COLOR", "1");
        // The operator allows the contract's host to receive the password.
        cmd.env("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS", format!("{}:{}", self.host, self.port));
        match &self.password {
            Some(p) => cmd.env("CONTRAKT_PG_PASSWORD", p),
            None => cmd.env_remove("CONTRAKT_PG_PASSWORD"),
        };
        cmd
    }
}

impl Target {
    /// `contrakt ARGS` in `dir`, signed in to this server ([`Target::contrakt`]), as a [`Run`].
    pub(crate) fn run(&self, dir: &Path, args: &[&str]) -> crate::Run {
        let out = self.contrakt(dir, args).env_remove("RUST_LOG").env_remove("CONTRAKT_LOG").output().unwrap();
        crate::Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            dir: dir.to_path_buf(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// A contract's `servers:` entry for this server, PostgreSQL schema `schema`, named
    /// `warehouse`.
    pub(crate) fn server_entry(&self, schema: &str) -> String {
        format!(
            "servers:\n  - {{server: warehouse, type: postgres, host: {}, port: {}, database: {}, schema: {schema}}}\n",
            self.host, self.port, self.database
        )
    }
}

pub(crate) fn target(url: &str) -> Target {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, rest) = rest.rsplit_once('@').unwrap_or(("", rest));
    let (user, password) = match auth.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (auth.to_string(), None),
    };
    let (hostport, database) = rest.split_once('/').unwrap_or((rest, "postgres"));
    let database = database.split('?').next().unwrap_or(database).to_string();
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "5432"));
    Target { host: host.into(), port: port.into(), database, user, password }
}

/// A value as PostgreSQL's text input reads it (arrays `{…}`, composites `(…)`).
fn pg_text(a: &dyn Array, i: usize) -> Option<String> {
    if a.is_null(i) {
        return None;
    }
    let quoted = |v: Option<String>, null: &str| match v {
        None => null.to_string(),
        Some(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
    };
    Some(match a.data_type() {
        DataType::List(_) => {
            let items = a.as_list::<i32>().value(i);
            let parts: Vec<String> = (0..items.len()).map(|j| quoted(pg_text(&items, j), "NULL")).collect();
            format!("{{{}}}", parts.join(","))
        }
        DataType::Struct(_) => {
            let s = a.as_struct();
            let parts: Vec<String> = s.columns().iter().map(|c| quoted(pg_text(c, i), "")).collect();
            format!("({})", parts.join(","))
        }
        _ => ArrayFormatter::try_new(a, &FormatOptions::default()).unwrap().value(i).to_string(),
    })
}

fn pg_type(t: &DataType, composite: &str, ddl: &mut Vec<String>) -> String {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "text".into(),
        DataType::Int8 | DataType::Int16 => "int2".into(),
        DataType::Int32 => "int4".into(),
        DataType::Int64 => "int8".into(),
        DataType::Float32 => "float4".into(),
        DataType::Float64 => "float8".into(),
        DataType::Decimal128(p, s) => format!("numeric({p},{s})"),
        DataType::Boolean => "bool".into(),
        DataType::Date32 => "date".into(),
        DataType::Timestamp(_, Some(_)) => "timestamptz".into(),
        DataType::Timestamp(_, None) => "timestamp".into(),
        DataType::List(item) => format!("{}[]", pg_type(item.data_type(), composite, ddl)),
        DataType::Struct(fields) => {
            let attrs: Vec<String> =
                fields.iter().map(|f| format!("\"{}\" {}", f.name(), pg_type(f.data_type(), composite, ddl))).collect();
            ddl.push(format!("CREATE TYPE {composite} AS ({})", attrs.join(", ")));
            composite.into()
        }
        other => panic!("no PostgreSQL type for {other} in the test loader"),
    }
}

/// Creates `schema.table` from the Parquet files' schema (columns in `uuids` as `uuid`, structs
/// as composite types) and copies the rows in as CSV.
pub(crate) fn load(url: &str, schema: &str, table: &str, files: &str, uuids: &[&str], dir: &Path) {
    let pg = crate::postgres::server();
    let batches: Vec<RecordBatch> = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let ctx = SessionContext::new();
        let path = repo().join(files);
        ctx.read_parquet(path.to_str().unwrap(), ParquetReadOptions::default()).await.unwrap().collect().await.unwrap()
    });
    let arrow = batches[0].schema();
    let mut ddl = vec![format!("CREATE SCHEMA IF NOT EXISTS {schema}")];
    let mut columns = Vec::new();
    for f in arrow.fields() {
        let t = if uuids.contains(&f.name().as_str()) {
            "uuid".to_string()
        } else {
            pg_type(f.data_type(), &format!("{schema}.{table}_{}", f.name()), &mut ddl)
        };
        columns.push(format!("\"{}\" {t}", f.name()));
    }
    ddl.push(format!("CREATE TABLE {schema}.{table} ({})", columns.join(", ")));
    pg.psql(url, &ddl.join("; "));
    let mut csv = String::new();
    for b in &batches {
        for i in 0..b.num_rows() {
            let cells: Vec<String> = b
                .columns()
                .iter()
                .map(|c| pg_text(c.as_ref(), i).map_or(String::new(), |v| format!("\"{}\"", v.replace('"', "\"\""))))
                .collect();
            csv.push_str(&cells.join(","));
            csv.push('\n');
        }
    }
    let file = dir.join(format!("{schema}.{table}.csv"));
    std::fs::write(&file, csv).unwrap();
    pg.psql(url, &format!("\\copy {schema}.{table} FROM '{}' WITH (FORMAT csv)", file.display()));
}

/// The example registry, its warehouse servers pointed at the test's database.
pub(crate) fn registry_on(t: &Target, dir: &Path) -> std::path::PathBuf {
    let out = dir.join("contracts");
    std::fs::create_dir_all(&out).unwrap();
    for entry in std::fs::read_dir(repo().join("contracts")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "consumers" {
            std::fs::create_dir_all(out.join(&name)).unwrap();
            for f in std::fs::read_dir(entry.path()).unwrap().flatten() {
                std::fs::copy(f.path(), out.join(&name).join(f.file_name())).unwrap();
            }
            continue;
        }
        if name == "contrakt.yaml" {
            // The registry's root: references reach the other contracts through it.
            std::fs::copy(entry.path(), out.join(name)).unwrap();
            continue;
        }
        if !name.ends_with(".odcs.yaml") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let text = text
            .replace("host: warehouse.freshbox.internal", &format!("host: {}", t.host))
            .replace("port: 5432", &format!("port: {}", t.port))
            .replace("database: analytics", &format!("database: {}", t.database));
        std::fs::write(out.join(name), text).unwrap();
    }
    out
}

/// The example registry's orders (`fixtures/data/orders`) as `commerce.orders_v1`, its ids as
/// uuids, where the registry's warehouse server reads them.
pub(crate) fn load_orders(url: &str, dir: &Path) {
    load(url, "commerce", "orders_v1", "fixtures/data/orders/orders.parquet", &["order_id", "customer_id"], dir);
}

#[test]
fn postgres_pushdown_gives_the_embedded_results_check_by_check() {
    let pg = crate::postgres::server();
    let url = pg.create_database("pushdown");
    let t = target(&url);
    let dir = tempfile::tempdir().unwrap();
    load_orders(&url, dir.path());
    load(
        &url,
        "customer",
        "customers_v3",
        "fixtures/data/customers/synthetic-customers.parquet",
        &["customer_id"],
        dir.path(),
    );
    let contracts = registry_on(&t, dir.path());

    let embedded = contrakt(["check", "contracts/orders.odcs.yaml", "--now", NOW, "--format", "json"]);
    embedded.assert_exit(1);
    let out = t
        .contrakt(&contracts, &["check", "orders.odcs.yaml", "--server", "warehouse", "--now", NOW, "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let pushed: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));

    let (want, got) = (crate::results_in(&embedded.json()), crate::results_in(&pushed));
    assert_eq!(want.keys().collect::<Vec<_>>(), got.keys().collect::<Vec<_>>());
    let mut differences = Vec::new();
    for (id, w) in &want {
        let g = &got[id];
        for field in ["status", "value", "failed_rows", "total_rows", "message", "samples"] {
            if w[field] != g[field] {
                differences.push(format!("{id}.{field}: embedded {} | pushed down {}", w[field], g[field]));
            }
        }
    }
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
    // Samples are gathered there too (bounded queries), masked as on files.
    let samples = got["orders_status_valid"]["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 3, "{samples:?}");

    // A slice (`--where`) is a subquery on the warehouse.
    let sliced = std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"))
        .args(["check", "orders.odcs.yaml", "--server", "warehouse", "--now", NOW, "--format", "json"])
        .args(["--where", "status = 'lost' OR total_amount < 0"])
        .current_dir(&contracts)
        .env("CONTRAKT_PG_USER", &t.user)
        .envs(t.password.as_ref().map(|p| ("CONTRAKT_PG_PASSWORD", p)))
        .env("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS", format!("{}:{}", t.host, t.port))
        .output()
        .unwrap();
    let sliced: Value = serde_json::from_slice(&sliced.stdout).unwrap();
    assert_eq!(crate::results_in(&sliced)["orders_row_count"]["value"], 4.0);
    assert_eq!(crate::results_in(&sliced)["orders_status_valid"]["failed_rows"], 3);

    // The run says where it ran.
    let object = &pushed["reports"][0]["objects"][0];
    assert_eq!(object["format"], "table");
    assert!(object["source"].as_str().unwrap().ends_with("commerce.orders_v1"), "{object}");
}

#[test]
fn a_missing_table_and_an_unreachable_server_are_clear_errors() {
    let pg = crate::postgres::server();
    let url = pg.create_database("pushdown_missing");
    let t = target(&url);
    let dir = tempfile::tempdir().unwrap();
    let contracts = registry_on(&t, dir.path());
    let run = |dir: &Path, user: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"))
            .args(["check", "orders.odcs.yaml", "--server", "warehouse", "--now", NOW])
            .current_dir(dir)
            .env("CONTRAKT_PG_USER", user)
            .env("CONTRAKT_PG_PASSWORD", "s3cret-not-shown")
            .env("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS", "*")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stderr) = run(&contracts, &t.user);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("server `warehouse` has no table commerce.orders_v1"), "{stderr}");

    // Nothing listens on the port: the error names the address and never the password.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nowhere = Target { port: closed.to_string(), ..target(&url) };
    let dir2 = tempfile::tempdir().unwrap();
    let contracts = registry_on(&nowhere, dir2.path());
    let (code, stderr) = run(&contracts, "someone");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&format!("cannot connect to {}:{closed}", t.host)), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

/// A contract in a pull request names the warehouse host: without the operator's allowance the
/// password goes nowhere, and a listener on that host receives not even a connection.
#[test]
fn the_password_goes_only_to_an_allowed_host() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let t = Target {
        host: "127.0.0.1".into(),
        port: port.to_string(),
        database: "db".into(),
        user: "u".into(),
        password: Some("pw-for-the-real-warehouse".into()),
    };
    let dir = tempfile::tempdir().unwrap();
    let contracts = registry_on(&t, dir.path());
    let mut cmd = t.contrakt(&contracts, &["check", "orders.odcs.yaml", "--server", "warehouse", "--now", NOW]);
    cmd.env_remove("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("set CONTRAKT_ALLOW_CONTRACT_ENDPOINTS=127.0.0.1:{port}")), "{stderr}");
    assert!(!stderr.contains("pw-for-the-real-warehouse"), "{stderr}");
    match listener.accept() {
        Ok((mut s, _)) => {
            let mut got = Vec::new();
            let _ = s.read_to_end(&mut got);
            panic!("the contract's host received a connection: {:?}", String::from_utf8_lossy(&got));
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
    }
    // Allowed, the same run connects (and fails later: nothing speaks PostgreSQL there).
    let mut cmd = t.contrakt(&contracts, &["check", "orders.odcs.yaml", "--server", "warehouse", "--now", NOW]);
    let child = std::thread::spawn(move || cmd.output().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let accepted = loop {
        match listener.accept() {
            Ok(_) => break true,
            Err(_) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(_) => break false,
        }
    };
    drop(listener);
    let _ = child.join();
    assert!(accepted, "an allowed host must be connected to");
}

/// The orders contract with a server of each type that gets SQL only.
fn with_sql_servers(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo().join("contracts/orders.odcs.yaml")).unwrap();
    let servers = "servers:
  - {server: snow, type: snowflake, account: freshbox, database: ANALYTICS, schema: COMMERCE}
  - {server: bq, type: bigquery, project: freshbox, dataset: commerce, schema: commerce}
  - {server: lake, type: databricks, catalog: main, schema: commerce}
  - {server: presto, type: trino, catalog: hive, schema: commerce}
";
    let text =
        text.replacen("servers:\n", servers, 1).replace("../fixtures", &repo().join("fixtures").display().to_string());
    let path = dir.join("orders.odcs.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn emit_sql_writes_statements_each_dialect_parses() {
    use sqlparser::dialect::{
        BigQueryDialect, DatabricksDialect, Dialect, GenericDialect, PostgreSqlDialect, SnowflakeDialect,
    };
    let dir = tempfile::tempdir().unwrap();
    let contract = with_sql_servers(dir.path());
    let dialects: [(&str, Box<dyn Dialect>); 5] = [
        ("warehouse", Box::new(PostgreSqlDialect {})),
        ("snow", Box::new(SnowflakeDialect {})),
        ("bq", Box::new(BigQueryDialect {})),
        ("lake", Box::new(DatabricksDialect {})),
        ("presto", Box::new(GenericDialect {})),
    ];
    for (server, dialect) in dialects {
        let run = contrakt_in(dir.path(), ["check", "orders.odcs.yaml", "--server", server, "--emit-sql"]);
        run.assert_exit(0);
        let statements = sqlparser::parser::Parser::parse_sql(dialect.as_ref(), &run.stdout)
            .unwrap_or_else(|e| panic!("{server}: {e}\n{run}"));
        assert!(!statements.is_empty(), "{server}: {}", run.stdout);
        insta::assert_snapshot!(
            format!("emit_sql_{server}"),
            run.stdout.replace(&contract.display().to_string(), "orders.odcs.yaml")
        );
    }
    // A file server has no SQL to give.
    let run = contrakt(["check", "contracts/orders.odcs.yaml", "--server", "local", "--emit-sql"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("--emit-sql writes SQL for a warehouse server"), "{run}");
    // Only PostgreSQL runs checks.
    let run = contrakt_in(dir.path(), ["check", "orders.odcs.yaml", "--server", "snow"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("--emit-sql writes the statements to run there"), "{run}");
}

#[test]
fn a_numeric_bound_on_text_runs_on_postgres_as_a_guarded_cast() {
    let pg = crate::postgres::server();
    let url = pg.create_database("try_cast");
    let t = target(&url);
    // Text that reads as a number is compared as one; anything else is no violation of the bound.
    let rows = [(1, "5"), (2, "12"), (3, "abc"), (4, "-3.5"), (5, "1e3"), (6, "12abc"), (7, ".5")];
    let values: Vec<String> = rows.iter().map(|(i, c)| format!("({i}, '{c}')")).collect();
    pg.psql(
        &url,
        &format!(
            "CREATE SCHEMA s; CREATE TABLE s.codes (id int8, code text); INSERT INTO s.codes VALUES {}",
            values.join(", ")
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let csv: String = rows.iter().map(|(i, c)| format!("{i},{c}\n")).collect();
    std::fs::write(dir.path().join("codes.csv"), format!("id,code\n{csv}")).unwrap();
    let contract = format!(
        "apiVersion: v3.0.2
kind: DataContract
id: urn:test:codes
name: codes
version: 1.0.0
status: active
servers:
  - server: local
    type: local
    path: ./codes.csv
    format: csv
  - server: warehouse
    type: postgres
    host: {}
    port: {}
    database: {}
    schema: s
schema:
  - name: codes
    properties:
      - name: id
        logicalType: integer
      - name: code
        logicalType: number
        logicalTypeOptions:
          minimum: 1
          maximum: 100
",
        t.host, t.port, t.database
    );
    std::fs::write(dir.path().join("codes.odcs.yaml"), contract).unwrap();
    let embedded = contrakt_in(dir.path(), ["check", "codes.odcs.yaml", "--format", "json", "--no-history"]);
    embedded.assert_exit(1);
    let out = t
        .contrakt(
            dir.path(),
            &["check", "codes.odcs.yaml", "--server", "warehouse", "--format", "json", "--no-history"],
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let pushed: Value = serde_json::from_str(&stdout).unwrap();
    let (want, got) = (crate::results_in(&embedded.json()), crate::results_in(&pushed));
    for (id, w) in &want {
        for field in ["status", "value", "failed_rows", "message"] {
            assert_eq!(w[field], got[id][field], "{id}.{field}\n{stdout}");
        }
    }
    // -3.5 and .5 are under 1; 1e3 is over 100; `abc` and `12abc` are not numbers.
    let bound = |code: &str| {
        want.values().find(|r| r["code"] == code).unwrap_or_else(|| panic!("no {code}: {want:?}"))["failed_rows"]
            .clone()
    };
    assert_eq!((bound("Q204"), bound("Q205")), (Value::from(2), Value::from(1)), "{embedded}");
}
