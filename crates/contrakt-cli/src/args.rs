//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "contrakt",
    version,
    about = "Data contracts enforced: lint ODCS v3 contracts, gate breaking changes, check published data."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More output: -v shows pipeline stages and timings, -vv debug detail (or set RUST_LOG).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print findings only, no summary or logs.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, env = "CONTRAKT_COLOR")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate contracts against the ODCS JSON Schema and contrakt's semantic rules, and
    /// consumers against the contracts they name.
    Lint(LintArgs),
    /// Compare two schemas or contracts (ODCS, Avro, Protobuf, SQL DDL; even across formats)
    /// and say which changes break whom under a compatibility mode.
    Diff(DiffArgs),
    /// The registry-level CI gate: compare every contract with its version at a git reference
    /// (or in another folder), matched by ODCS `id`, and say which changes break which consumers.
    Breaking(BreakingArgs),
    /// Check published data against its contract: schema, quality rules and SLAs, in one
    /// DataFusion scan per dataset.
    Check(CheckArgs),
    /// The cron job: check, record the run in the metrics history (`history:` of contrakt.yaml),
    /// alert owners and consumers once per incident, and exit with the check's status.
    Run(RunArgs),
    /// Draft a contract from data: profile each dataset in one scan and write an ODCS v3.1
    /// contract whose every promise the data already keeps.
    Infer(InferArgs),
    /// Metrics of past check runs from the history store; `history annotate` marks expected
    /// events so they stay out of baselines.
    History(HistoryArgs),
    /// A static HTML site for the registry: each contract's latest status, owners and consumers,
    /// its checks' history as charts with baseline bands and anomalies, open incidents and its
    /// breaking changes in git. One folder, no JavaScript; open index.html from disk.
    Report(ReportArgs),
    /// Write-audit-publish: check staged data with its contract, and only if it passes make it
    /// the published release of a folder (atomically); or roll the folder back.
    Publish(PublishArgs),
    /// List the lint and breaking-change rules, or explain one (`contrakt rules F004`).
    Rules(RulesArgs),
    /// Tell the owners and consumers of failed checks: route a check report, list and retry
    /// deliveries.
    Alerts(AlertsArgs),
    /// Draft an ODCS v3.1 contract from a schema: JSON Schema, Avro, Protobuf, SQL DDL, the
    /// schema of a Parquet or Arrow IPC file, or dbt models in a `manifest.json`. What ODCS
    /// cannot say is listed as warnings.
    Import(ImportArgs),
    /// Write a contract's schema in another language: JSON Schema 2020-12, Avro, Protobuf
    /// (proto3), SQL DDL or an Arrow schema. What the language cannot say is listed as warnings.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: AlertsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Route a check report (`contrakt check --format json`) to owners and consumers: record
    /// incidents, queue alerts in the outbox and deliver them (or only say who would be told,
    /// with --explain).
    Route(AlertsRouteArgs),
    /// List the outbox: every delivery, with --failed the dead letters, with --incidents the
    /// incidents.
    List(AlertsListArgs),
    /// Requeue dead letters (all, or --id) and deliver what is due.
    Retry(AlertsRetryArgs),
}

#[derive(Debug, Args)]
pub struct AlertsRouteArgs {
    /// The registry: folders or contract and consumer files (with its contrakt.yaml).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The check report, as written by `contrakt check --format json` (`-` for stdin).
    #[arg(long, value_name = "REPORT.json")]
    pub report: PathBuf,
    /// Say who would be told of what, through which channels; send nothing, record nothing.
    #[arg(long)]
    pub explain: bool,
    /// The time of this routing, for cool-downs and quiet hours (RFC 3339 or a date) [default: now].
    #[arg(long)]
    pub now: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

/// Where the outbox is and how long to keep delivering.
#[derive(Debug, Args)]
pub struct DeliveryArgs {
    /// Keep retrying due deliveries for up to this long; what is left waits for the next run.
    /// Seconds (`30`, `2.5`) or a duration (`500ms`, `5m`), at most 3650 days.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub deliver_for: std::time::Duration,
    /// The incident and outbox database [default: contrakt.yaml's `alerts.state`, else
    /// `.contrakt/alerts.db` in the registry].
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AlertsListArgs {
    /// The registry folder (for its contrakt.yaml).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Only deliveries given up (dead letters); exit 1 when there are any.
    #[arg(long)]
    pub failed: bool,
    /// List the incidents (one per failing check: open or resolved) instead of deliveries.
    #[arg(long, conflicts_with = "failed")]
    pub incidents: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// The incident and outbox database.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AlertsRetryArgs {
    /// The registry folder (for its contrakt.yaml).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Requeue only these deliveries (repeatable) [default: every dead letter].
    #[arg(long)]
    pub id: Vec<i64>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The contract the staged data must keep.
    #[arg(required_unless_present = "rollback")]
    pub contract: Option<PathBuf>,
    /// The schema object the data is [default: the contract's only object].
    #[arg(long)]
    pub object: Option<String>,
    /// The data to audit and publish: a folder (with hive partitions), a file, or an
    /// `s3://bucket/prefix/` (copied server-side when in the target's bucket); for an Iceberg
    /// table, its staged snapshot: `@BRANCH` (or a tag), `@SNAPSHOT_ID` or `@wap.id=ID`.
    #[arg(long, value_name = "PATH|URL|@REF", required_unless_present = "rollback")]
    pub staged: Option<PathBuf>,
    /// The published folder or `s3://bucket/prefix/`: release folders and the
    /// `_published.json` pointer readers follow. S3 credentials come from the `AWS_*` variables.
    /// A local Delta table is appended to; a local Iceberg table (its folder, or
    /// `sqlite:///CATALOG.db#NAMESPACE.TABLE`) has its `main` branch fast-forwarded.
    #[arg(long, value_name = "PATH|URL")]
    pub to: PathBuf,
    /// First check this fraction of the rows (0 to 1) and stop early if it already fails;
    /// volume and freshness wait for the full check.
    #[arg(long, value_name = "FRACTION")]
    pub canary: Option<f64>,
    /// Reference time for SLAs (RFC 3339 or a date) [default: now].
    #[arg(long)]
    pub now: Option<String>,
    /// Earlier releases kept on disk for readers still on them and for rollback.
    #[arg(long, default_value_t = 3)]
    pub keep: usize,
    /// Point the folder back at its previous release instead (a Delta table: restore the
    /// version before the latest; an Iceberg table: move `main` back to its snapshot before).
    #[arg(long, conflicts_with_all = ["staged", "canary", "contract"])]
    pub rollback: bool,
    /// Alert through contrakt.yaml's `alerts:` when the audit refuses the release: the owners
    /// always, consumers when it puts data they rely on at risk (they read a failed column or
    /// rely on the freshness SLA). A later published release resolves the alert.
    #[arg(long, conflicts_with = "rollback")]
    pub notify: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Lowest severity of a failed check that stops the publish.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Record the publish, refusal or rollback in this history store (a file, or
    /// `postgres://user@host/db` with the password in `PGPASSWORD`) [default: `history.path`
    /// of contrakt.yaml, if set]; `contrakt history CONTRACT --events` reads them back.
    #[arg(long, value_name = "FILE|URL")]
    pub history: Option<PathBuf>,
    /// Record nothing in the history, whatever contrakt.yaml says.
    #[arg(long, conflicts_with = "history")]
    pub no_history: bool,
    /// Write the rows failing row-level checks to this folder or `s3://` prefix
    /// (`RUN_ID/CONTRACT/OBJECT.parquet`); when the object allows partial publication
    /// (`contraktPartialPublish`), publish the rows that pass instead of refusing the release.
    #[arg(long, value_name = "DIR|URL", conflicts_with = "rollback")]
    pub quarantine: Option<String>,
    /// What the quarantine keeps of a row: its key columns, or the `full` row (classified
    /// columns masked).
    #[arg(long, value_enum, default_value_t = QuarantineRowsArg::Keys, requires = "quarantine")]
    pub quarantine_rows: QuarantineRowsArg,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub action: Option<HistoryAction>,
    /// Only this contract (its ODCS id, or a contract file).
    pub contract: Option<String>,
    /// The history store, a file or `postgres://user@host/db` (password from `PGPASSWORD`)
    /// [default: `history.path` of ./contrakt.yaml, else .contrakt/history.db].
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,
    /// Only this schema object.
    #[arg(long)]
    pub object: Option<String>,
    /// Only this metric (`rowCount`, `duration`, a check id).
    #[arg(long)]
    pub metric: Option<String>,
    /// Only runs at or after this time (RFC 3339 or a date).
    #[arg(long)]
    pub since: Option<String>,
    /// The publish events instead of metrics: every publish, refused release and rollback of
    /// `contrakt publish`.
    #[arg(long, conflicts_with = "metric")]
    pub events: bool,
    #[arg(long, value_enum, default_value_t = HistoryFormat::Text)]
    pub format: HistoryFormat,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The registry: folders or contract and consumer files (with its contrakt.yaml).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The folder to write the site into (created if missing; files of the same name are replaced).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// The metrics history store [default: `history.path` of contrakt.yaml].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// The alert state with the incidents [default: contrakt.yaml's `alerts.state`, else
    /// `.contrakt/alerts.db` in the registry].
    #[arg(long, value_name = "FILE")]
    pub alerts_state: Option<PathBuf>,
    /// The time to print as the report's date (RFC 3339 or a date); without it the site holds
    /// no wall-clock time, so the same inputs give the same bytes.
    #[arg(long)]
    pub now: Option<String>,
    /// How many of the latest runs each chart shows.
    #[arg(long, value_name = "N", default_value_t = 90)]
    pub runs: usize,
    /// How many of the latest commits of each contract file to compare.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub commits: usize,
    /// The site's title.
    #[arg(long, default_value = "Data contracts")]
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Text,
    Json,
    Csv,
}

#[derive(Debug, clap::Subcommand)]
pub enum HistoryAction {
    /// Mark a time range of a contract's metrics as expected (a backfill, a holiday): shown in
    /// `history`, left out of every baseline.
    Annotate(AnnotateArgs),
}

#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// The contract (its ODCS id, or a contract file).
    pub contract: String,
    /// What happened.
    #[arg(long)]
    pub note: String,
    /// Start of the range (RFC 3339 or a date); a date alone covers that whole day.
    #[arg(long)]
    pub from: String,
    /// End of the range [default: the end of `--from`'s day, or `--from` itself for a time].
    #[arg(long)]
    pub to: Option<String>,
    /// Only this schema object.
    #[arg(long)]
    pub object: Option<String>,
    /// Only this metric.
    #[arg(long)]
    pub metric: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The ODCS contract.
    pub contract: PathBuf,
    /// The language: jsonschema, avro, protobuf, sql (PostgreSQL), sql:postgres,
    /// sql:snowflake, sql:bigquery, sql:spark, arrow (an IPC file with the schema; needs -o),
    /// dbt (a model properties YAML; dbt:DIALECT for the column types), soda (SodaCL checks) or
    /// great-expectations (a GX 1.x suite, one object).
    #[arg(long, value_parser = parse_target)]
    pub to: contrakt_convert::Target,
    /// Export only this schema object (required for jsonschema and avro when the contract has
    /// several).
    #[arg(long)]
    pub object: Option<String>,
    /// Write here instead of to stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// The longest `--timeout`: 30 days.
const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// `--timeout`: seconds (`30`, `2.5`) or a duration (`15m`), more than zero and at most
/// [`MAX_TIMEOUT`], read by the one duration parser.
fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    contrakt_core::duration::parse_positive(s, contrakt_core::duration::BareNumber::Seconds, MAX_TIMEOUT)
}

/// A size in bytes: a number with an optional unit, binary (`KiB`, `MiB`, `GiB`) or decimal
/// (`K`/`KB`, `M`/`MB`, `G`/`GB`).
/// A size, or `none` (`usize::MAX`: no budget).
fn parse_budget(s: &str) -> Result<usize, String> {
    if s.trim().eq_ignore_ascii_case("none") { Ok(usize::MAX) } else { parse_size(s) }
}

fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown unit `{other}`: use KiB, MiB, GiB (or K, M, G, or bytes)")),
    };
    match number.parse::<f64>() {
        Ok(n) if n > 0.0 && (n * factor) < usize::MAX as f64 => Ok((n * factor) as usize),
        _ => Err(format!("`{s}` is not a size: write e.g. 512MiB or 4GiB")),
    }
}

/// A flag documented as `SECONDS`: a number of seconds or a duration with its unit, read by
/// the one duration parser of `contrakt_core::duration` (bounded, never a panic).
fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    contrakt_core::duration::parse(s, contrakt_core::duration::BareNumber::Seconds)
}

fn parse_target(s: &str) -> Result<contrakt_convert::Target, String> {
    contrakt_convert::Target::parse(s).ok_or_else(|| {
        format!("unknown target `{s}`; one of: jsonschema, avro, protobuf, sql, sql:postgres, sql:snowflake, sql:bigquery, sql:spark, arrow, dbt, dbt:DIALECT, soda, great-expectations")
    })
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The schema file.
    pub file: PathBuf,
    /// Its format (jsonschema, avro, protobuf, sql, parquet, arrow, dbt) when detection is not
    /// enough.
    #[arg(long)]
    pub format: Option<String>,
    /// dbt manifest: import only this model (repeatable) [default: every model].
    #[arg(long)]
    pub model: Vec<String>,
    /// The contract's `id` [default: urn:contrakt:imported:<file stem>].
    #[arg(long)]
    pub id: Option<String>,
    /// Write the contract here instead of to stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InferArgs {
    /// Datasets: a file, a glob or a folder (hive partitions), local, s3:// or https://; as
    /// OBJECT=URL to name the schema object [default: the file or folder name].
    #[arg(required = true, value_name = "[OBJECT=]URL")]
    pub data: Vec<String>,
    /// The contract's `id` [default: urn:contrakt:inferred:<first object>].
    #[arg(long)]
    pub id: Option<String>,
    /// Profile only the first N rows of each dataset (for huge data; no volume rule then).
    #[arg(long, value_name = "ROWS")]
    pub sample: Option<u64>,
    /// Reference time for the freshness SLA (RFC 3339 or a date) [default: now].
    #[arg(long)]
    pub now: Option<String>,
    /// Write the contract here instead of standard output (server paths are made relative to it).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Draft from Delta and Iceberg tables as they were at this version (`12`; an Iceberg
    /// snapshot id) or time (RFC 3339, or a date).
    #[arg(long, value_name = "VERSION|TIME", value_parser = contrakt_check::AsOf::parse)]
    pub as_of: Option<contrakt_check::AsOf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub check: CheckCommonArgs,
    /// Then route the results to owners and consumers through contrakt.yaml's `alerts:` (as
    /// `contrakt alerts route` does); the exit code stays the check's.
    #[arg(long)]
    pub notify: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub check: CheckCommonArgs,
    /// Print every alert payload the results call for, channel by channel, and send nothing
    /// (incidents and the outbox are left as they are).
    #[arg(long)]
    pub dry_run_alerts: bool,
    /// Keep retrying failed deliveries for up to this long; what is left waits for the next run.
    /// Seconds (`30`, `2.5`) or a duration (`500ms`, `5m`), at most 3650 days.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub deliver_for: std::time::Duration,
}

/// What `check` and `run` take.
#[derive(Debug, Args)]
pub struct CheckCommonArgs {
    /// Contract files, or registry folders whose contracts are all checked.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Where an object's data is: OBJECT=URL, or URL alone for a one-object contract. A file,
    /// a glob (`data/*.parquet`) or a folder (hive partitions read as columns) of one format.
    /// A relative path is relative to the working directory (paths in the contract's `servers`
    /// are relative to the contract's folder). Repeatable.
    #[arg(long, value_name = "[OBJECT=]URL")]
    pub data: Vec<String>,
    /// Read data from this server of the contract [default: the first file server]. On a
    /// PostgreSQL server the checks run there (credentials from CONTRAKT_PG_USER and
    /// CONTRAKT_PG_PASSWORD) and only aggregates and bounded samples come back.
    #[arg(long)]
    pub server: Option<String>,
    /// Print the SQL the checks run on the --server warehouse (PostgreSQL, Snowflake, BigQuery,
    /// Databricks, Trino), written from the contract without connecting, and exit.
    #[arg(long, requires = "server", conflicts_with = "explain")]
    pub emit_sql: bool,
    /// Where the checks run: `embedded` (DataFusion in this process) or `ballista://HOST:PORT`,
    /// an Apache DataFusion Ballista cluster's scheduler whose executors can read the data (needs
    /// a contrakt built with `--features ballista`).
    #[arg(long, value_name = "ENGINE", default_value = "embedded")]
    pub engine: String,
    /// Keep the embedded engine within this much memory (`512MiB`, `4GiB`, `2G`, or bytes):
    /// groupings and sorts spill to the temp folder, and exact uniqueness runs as a grouping
    /// (a second read of its column) instead of holding every distinct value.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    /// The embedded engine's memory budget in place of the default (a quarter of the machine's
    /// or container's memory, 256 MiB to 1 GiB): groupings and sorts spill beyond it, and exact
    /// uniqueness stays in the fused scan while it fits. `none` for no budget.
    #[arg(long, value_name = "SIZE|none", value_parser = parse_budget, conflicts_with = "memory_limit")]
    pub memory_budget: Option<usize>,
    /// Check only these objects (repeatable).
    #[arg(long)]
    pub object: Vec<String>,
    /// Reference time for SLAs (RFC 3339, `2025-06-01T00:00:00Z`, or a date) [default: now].
    #[arg(long)]
    pub now: Option<String>,
    /// Check only rows matching this SQL predicate (the newest slice, say): one SQL expression
    /// over the object's columns, without subqueries.
    #[arg(long = "where", value_name = "SQL")]
    pub filter: Option<String>,
    /// Check only this partition (KEY=VALUE; repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub partition: Vec<String>,
    /// Check Delta and Iceberg tables as they were at this version (`12`; an Iceberg snapshot
    /// id) or time (RFC 3339, or a date): time travel. The result and the history record the
    /// version checked.
    #[arg(long, value_name = "VERSION|TIME", value_parser = contrakt_check::AsOf::parse)]
    pub as_of: Option<contrakt_check::AsOf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Lowest severity of a failed check that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Report but exit 0 unless the run could not happen.
    #[arg(long)]
    pub exit_zero: bool,
    /// Failing rows to show per failed check (0 for none).
    #[arg(long, default_value_t = 5)]
    pub sample: usize,
    /// Show values of classified columns (confidential, restricted, …) in samples.
    #[arg(long)]
    pub unmask: bool,
    /// Write every row failing a row-level check (nulls, formats, ranges, enums, patterns) to
    /// this folder or `s3://`/`gs://` prefix while the checks scan the data, as Parquet:
    /// `RUN/CONTRACT/OBJECT.parquet`, with the key columns and the failing check ids. Not inside
    /// the contract's or the data's folder.
    #[arg(long, value_name = "DIR|URL")]
    pub quarantine: Option<String>,
    /// What the quarantine keeps of a row: its key columns (every column without a primary
    /// key), or the `full` row with classified columns masked as in samples.
    #[arg(long, value_enum, default_value_t = QuarantineRowsArg::Keys, requires = "quarantine")]
    pub quarantine_rows: QuarantineRowsArg,
    /// The quarantine's run folder [default: the run's time, `20261207T060000Z`].
    #[arg(long, value_name = "NAME", requires = "quarantine")]
    pub quarantine_run: Option<String>,
    /// Bound on each query, its planning and its execution, in seconds (`30`, `2.5`) or with a
    /// unit (`15m`; at most 30 days). A query that runs out of time is an error of its check (exit 1); the others
    /// still run [default: 3600, an hour].
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    pub timeout: Option<std::time::Duration>,
    /// Print the plans instead of running them.
    #[arg(long)]
    pub explain: bool,
    /// List passing checks too (text format).
    #[arg(long)]
    pub show_passed: bool,
    /// Record this run's metrics in this history store (a file, or `postgres://user@host/db` with
    /// the password in `PGPASSWORD`) and judge the contract's adaptive checks
    /// (`contraktAnomaly`) against it [default: `history.path` of contrakt.yaml, if set].
    #[arg(long, value_name = "FILE|URL")]
    pub history: Option<PathBuf>,
    /// Neither record nor judge against history, whatever contrakt.yaml says.
    #[arg(long, conflicts_with = "history")]
    pub no_history: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QuarantineRowsArg {
    Keys,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Markdown,
    /// JUnit XML, for CI test-report panes.
    Junit,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The registered (old) schema.
    pub old: PathBuf,
    /// The proposed (new) schema.
    pub new: PathBuf,
    #[command(flatten)]
    pub gate: GateArgs,
    /// Earlier versions, oldest first, for the transitive modes (repeatable).
    #[arg(long)]
    pub history: Vec<PathBuf>,
    /// Folder of consumer files [default: the registry's `consumers/` when NEW sits in one].
    #[arg(long)]
    pub consumers: Option<PathBuf>,
    /// Format of OLD (odcs, jsonschema, avro, protobuf, sql, parquet, arrow) when detection is not enough.
    #[arg(long)]
    pub old_format: Option<String>,
    /// Format of NEW.
    #[arg(long)]
    pub new_format: Option<String>,
}

/// What every breaking-change gate command takes.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// Compatibility mode: none, backward, forward, full, or a -transitive variant [default:
    /// contrakt.yaml's `breaking.modes`/`compatibility`, else full for contracts and tables,
    /// backward for Avro and Protobuf].
    #[arg(long, value_parser = parse_mode)]
    pub mode: Option<contrakt_core::diff::Mode>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Lowest level that fails the gate.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Report but exit 0 unless the input cannot be read.
    #[arg(long)]
    pub exit_zero: bool,
    /// Fail on breaking changes even when no registered consumer reads what they touch.
    #[arg(long)]
    pub strict_consumers: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
    /// GitHub Actions workflow commands: annotations on the right file and line.
    Github,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// JUnit XML, for CI test-report panes.
    Junit,
}

#[derive(Debug, Args)]
pub struct BreakingArgs {
    /// Registry folders or contract files in the working tree.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// What to compare against: a git reference (`main`, `origin/main`, `HEAD~1`, a commit),
    /// buf's `.git#branch=main[,subdir=contracts]`, or a folder.
    #[arg(long)]
    pub against: String,
    #[command(flatten)]
    pub gate: GateArgs,
    /// Tell each consumer a breaking change touches, and the owners which consumers were told,
    /// through contrakt.yaml's `alerts:`; a rerun of the same comparison tells nobody again.
    #[arg(long)]
    pub notify: bool,
}

impl FailOn {
    pub fn level(self) -> contrakt_core::Level {
        match self {
            FailOn::Info => contrakt_core::Level::Info,
            FailOn::Warning => contrakt_core::Level::Warning,
            FailOn::Error => contrakt_core::Level::Error,
        }
    }
}

impl GateArgs {
    /// The gate's policy under `mode`, with these flags.
    pub fn policy(&self, mode: contrakt_core::diff::Mode) -> contrakt_core::diff::gate::Policy {
        contrakt_core::diff::gate::Policy {
            mode,
            fail_on: self.fail_on.level(),
            strict_consumers: self.strict_consumers,
        }
    }
}

fn parse_mode(s: &str) -> Result<contrakt_core::diff::Mode, String> {
    contrakt_core::diff::Mode::parse(s).ok_or_else(|| {
        let all: Vec<&str> = contrakt_core::diff::Mode::ALL.iter().map(|m| m.as_str()).collect();
        format!("unknown mode `{s}`; one of: {}", all.join(", "))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Contract and consumer files, or folders to search recursively for *.yaml, *.yml, *.json.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Lowest level that makes the exit code 1 [default: error, or `lint.fail-on` in contrakt.yaml].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Rule codes or names to skip (adds to `lint.ignore` in contrakt.yaml).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Report findings but exit 0 unless the input cannot be read.
    #[arg(long)]
    pub exit_zero: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule code or name to explain (`L101`, `F004`, `field-removed`).
    pub rule: Option<String>,
    /// Which rules: lint rules, breaking-change rules, or both.
    #[arg(long, value_enum, default_value_t = RuleKind::All)]
    pub kind: RuleKind,
    /// Output format: text, json, or markdown (the generated docs page).
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RuleKind {
    All,
    Lint,
    Breaking,
    /// The post-publish checks of `contrakt check`.
    Check,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    Markdown,
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2G"), Ok(2_000_000_000));
        assert_eq!(parse_size("100kb"), Ok(100_000));
        assert_eq!(parse_size("65536"), Ok(65_536));
        assert_eq!(parse_size("12XB").unwrap_err(), "unknown unit `xb`: use KiB, MiB, GiB (or K, M, G, or bytes)");
        assert_eq!(parse_size("0").unwrap_err(), "`0` is not a size: write e.g. 512MiB or 4GiB");
        assert!(parse_size("GiB").is_err() && parse_size("-1GiB").is_err());
    }
}
