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
    /// List the lint rules, or explain one (`contrakt rules L101`).
    Rules(RulesArgs),
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
    /// A rule code or name to explain.
    pub rule: Option<String>,
    /// Output format: text, json, or markdown (the generated docs page).
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    Markdown,
}
