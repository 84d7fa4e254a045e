//! Machine output. The shape is versioned and documented in `docs/json-output.md`; fields are
//! only ever added.

use contrakt_core::{Finding, Level};
use serde::Serialize;
use serde_json::{Value, json};

pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Counts for the summary block.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of(files: usize, findings: &[Finding]) -> Self {
        let count = |l| findings.iter().filter(|f| f.level == l).count();
        Summary { files, errors: count(Level::Error), warnings: count(Level::Warning), infos: count(Level::Info) }
    }
}

/// `{"version": 1, "command": …, "summary": {…}, "findings": [{code, name, level, message,
/// file, line, column, end_line, end_column, path, help, notes}]}`
pub fn to_json(command: &str, summary: Summary, findings: &[Finding]) -> Value {
    json!({
        "version": JSON_SCHEMA_VERSION,
        "command": command,
        "summary": summary,
        "findings": findings.iter().map(finding).collect::<Vec<_>>(),
    })
}

fn finding(f: &Finding) -> Value {
    let (start, end) = match (&f.file, f.span.filter(|s| !s.is_none())) {
        (Some(file), Some(span)) => (Some(file.location(span.start as usize)), Some(file.location(span.end as usize))),
        _ => (None, None),
    };
    let notes: Vec<Value> = f
        .notes
        .iter()
        .map(|(span, message)| {
            let loc = f.file.as_ref().filter(|_| !span.is_none()).map(|file| file.location(span.start as usize));
            json!({"message": message, "line": loc.map(|l| l.line), "column": loc.map(|l| l.column)})
        })
        .collect();
    json!({
        "code": f.code,
        "name": f.name,
        "level": f.level,
        "message": f.message,
        "file": f.file_name(),
        "line": start.map(|l| l.line),
        "column": start.map(|l| l.column),
        "end_line": end.map(|l| l.line),
        "end_column": end.map(|l| l.column),
        "path": f.path.as_deref().filter(|p| !p.is_empty()),
        "help": f.help,
        "notes": notes,
    })
}
