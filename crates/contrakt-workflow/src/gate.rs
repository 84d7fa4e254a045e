//! The breaking-change gate on one pair of schemas (`contrakt diff OLD NEW`, Python's
//! `contrakt.diff`): schemas read from any format contrakt reads, judged with the settings of
//! the registry the new one sits in.

/// Live tables (a Delta table, a PostgreSQL table) as one side of a comparison.
mod live;

use std::path::{Path, PathBuf};

use contrakt_core::Error as CoreError;
use contrakt_core::SourceFile;
use contrakt_core::diff::gate::{self, Compared, Side};
use contrakt_core::diff::{self, Mode};
use contrakt_core::ir::{RecordModel, Schema, lower_contract};
use contrakt_core::{Finding, config, consumer, odcs, registry};
use contrakt_formats::Format;

use crate::error::{Error, Result};

pub use contrakt_core::diff::gate::Report;

/// A schema read from a file, with what the gate needs to know about its side.
pub struct Input {
    pub schema: Schema,
    pub side: Side,
}

/// How to judge a pair of schemas (the gate options of `contrakt diff`).
#[derive(Debug, Clone)]
pub struct GateOptions {
    /// The compatibility mode; by default from `contrakt.yaml`, else by the kind of schema.
    pub mode: Option<Mode>,
    /// The consumer registry folder; by default the registry's that `new_path` sits in.
    pub consumers: Option<PathBuf>,
    pub strict_consumers: bool,
    pub fail_on: contrakt_core::Level,
}

/// Judges OLD → NEW (and, for transitive modes, every earlier version in `history`) with the
/// settings of the registry `new_path` sits in. `Err`: the consumer registry is unreadable.
pub fn gate(
    old: &Input,
    new: &Input,
    history: &[Input],
    new_path: &Path,
    options: &GateOptions,
) -> Result<gate::Report> {
    let config = registry::registry_root(new_path).and_then(|root| {
        let path = root.join(config::FILE_NAME);
        registry::read_within(&path, &root).and_then(config::load).ok().map(|c| (root, c))
    });
    let mode = options.mode.unwrap_or_else(|| default_mode(&new.schema, config.as_ref().map(|(_, c)| c)));
    let consumers = consumers(options.consumers.as_ref(), config.as_ref()).map_err(Error::Registry)?;
    let policy = gate::Policy { mode, fail_on: options.fail_on, strict_consumers: options.strict_consumers };
    let _s = tracing::info_span!("diff", mode = %mode).entered();
    let mut compared = vec![Compared { changes: diff::diff(&old.schema, &new.schema), old: &old.side, label: None }];
    if mode.is_transitive() {
        for (i, h) in history.iter().enumerate().rev() {
            let label = h.side.version.clone().unwrap_or_else(|| format!("history #{}", i + 1));
            compared.push(Compared { changes: diff::diff(&h.schema, &new.schema), old: &h.side, label: Some(label) });
        }
    }
    let mut report = gate::judge(compared, &new.side, consumers.as_deref(), &policy);
    // Waivers and rule selection of the registry NEW sits in (unused waivers are only
    // reported by `contrakt breaking`, which sees every contract).
    if let (Some((_, c)), Some(id)) = (&config, &new.side.contract_id) {
        gate::apply_config(&mut report, id, &c.breaking, config::today(), &policy);
    }
    Ok(report)
}

/// FULL for tables, BACKWARD for message schemas, unless contrakt.yaml says otherwise.
pub fn default_mode(schema: &Schema, config: Option<&config::Config>) -> Mode {
    let table = schema.record_model == RecordModel::ByNameStrict;
    let configured = config.map(|c| if table { &c.compatibility.tables } else { &c.compatibility.topics });
    configured.and_then(|m| Mode::parse(m)).unwrap_or(if table { Mode::Full } else { Mode::Backward })
}

/// Reads any supported format. ODCS goes through the contract loader so the gate knows the
/// contract's id and version; other formats through `contrakt-formats`.
/// Whether `path` names a live table (a Delta table's folder, a `postgres://` table) rather
/// than a schema file.
pub fn is_live_table(path: &Path) -> bool {
    live::is_table(path)
}

pub fn load(path: &Path, format: Option<Format>) -> Result<Input> {
    Ok(read(path, format)?)
}

fn read(path: &Path, format: Option<Format>) -> contrakt_core::Result<Input> {
    // A live table: what is deployed, not a schema file.
    if format.is_none()
        && let Some(table) = live::table(path)
    {
        return table;
    }
    // Parquet footers and Arrow IPC files are binary: no text source to point into.
    let binary = format
        .filter(|f| matches!(f, Format::Parquet | Format::Arrow))
        .or_else(|| if format.is_none() { contrakt_formats::arrow::sniff(path) } else { None });
    if let Some(f) = binary {
        // An empty source: findings name the file, with no snippet to show.
        let source = SourceFile::new(path.display().to_string(), String::new());
        let schema = contrakt_formats::load(path, Some(f))
            .map_err(|e| CoreError::input(contrakt_core::InputErrorKind::InvalidValue, &source, None, e.to_string()))?;
        return Ok(Input { schema, side: Side { file: Some(source), ..Side::default() } });
    }
    let source = registry::read_source(path)?;
    let format = match format {
        Some(f) => f,
        None => contrakt_formats::detect(path, source.text()).ok_or_else(|| {
            // Too deep to read is not an unknown format: say so, where.
            if let Some(e) = contrakt_formats::nesting_error(source.name(), source.text()) {
                let span = e.location().map(|(line, column)| {
                    let start = source.line_offset(line);
                    let at = source.text()[start..]
                        .char_indices()
                        .nth(column.unwrap_or(1).saturating_sub(1))
                        .map_or(source.text().len(), |(i, _)| start + i);
                    contrakt_core::Span::new(at, at + 1)
                });
                return CoreError::input(contrakt_core::InputErrorKind::TooDeep, &source, span, e.message());
            }
            CoreError::input(
                contrakt_core::InputErrorKind::NotAContract,
                &source,
                None,
                "cannot tell the schema format from the name or content; pass --old-format/--new-format (odcs, jsonschema, avro, protobuf, sql, parquet, arrow)",
            )
        })?,
    };
    if format == Format::Odcs {
        return Ok(contract_input(&odcs::load(source)?));
    }
    let schema = contrakt_formats::load(path, Some(format))
        .map_err(|e| CoreError::input(contrakt_core::InputErrorKind::InvalidValue, &source, None, e.to_string()))?;
    Ok(Input { schema, side: Side { file: Some(source), ..Side::default() } })
}

/// An ODCS contract already in memory (`name` is for messages).
pub fn load_contract_text(name: &str, text: &str) -> Result<Input> {
    let doc = odcs::load(SourceFile::new(name, text))?;
    Ok(contract_input(&doc))
}

fn contract_input(doc: &odcs::ContractDocument) -> Input {
    Input { schema: lower_contract(doc), side: Side::of_contract(doc) }
}

/// The consumer registry: `--consumers DIR`, else the registry's folder when NEW sits in one.
fn consumers(
    given: Option<&PathBuf>,
    config: Option<&(PathBuf, config::Config)>,
) -> Result<Option<Vec<consumer::Consumer>>, Vec<Finding>> {
    let dir = match (given, config) {
        (Some(dir), _) => dir.clone(),
        // contrakt.yaml may come from a pull request: its consumer folder stays in the registry.
        (None, Some((root, c))) => registry::path_within(root, Path::new(&c.consumers)).map_err(|why| {
            vec![Finding::fatal(
                "E112",
                "invalid-config",
                format!("{}: consumers: {why}", root.join(config::FILE_NAME).display()),
            )]
        })?,
        (None, None) => return Ok(None),
    };
    if !dir.is_dir() {
        if given.is_some() {
            return Err(vec![Finding::fatal(
                "E100",
                "io-error",
                format!("consumer folder {} does not exist", dir.display()),
            )]);
        }
        return Ok(None);
    }
    let found = registry::discover(std::slice::from_ref(&dir)).map_err(|e| Finding::from_error(&e, None))?;
    let mut out = Vec::new();
    let mut errors: Vec<Finding> = Vec::new();
    for doc in found.consumers {
        match consumer::load_document(doc) {
            Ok(c) => out.push(c.consumer),
            Err(e) => errors.extend(Finding::from_error(&e, None)),
        }
    }
    if errors.is_empty() { Ok(Some(out)) } else { Err(errors) }
}
