//! [`Finding`]: what lint rules (and later the breaking-change rules) report. Findings are data;
//! renderers live in `contrakt-report`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::source::{Location, SourceFile, Span};

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Level::Info),
            "warning" | "warn" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One problem found in one file.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Stable code (`L101`, `E104`).
    pub code: &'static str,
    /// Kebab-case rule name (`duplicate-property`).
    pub name: &'static str,
    pub level: Level,
    pub message: String,
    pub file: Option<Arc<SourceFile>>,
    pub span: Option<Span>,
    /// Where in the document: `schema[0].properties[2].name`.
    pub path: Option<String>,
    /// Other places worth showing, each with a note.
    pub notes: Vec<(Span, String)>,
    pub help: Option<String>,
    /// True when the finding means the input could not be read at all (exit code 2).
    pub fatal: bool,
}

impl Finding {
    pub fn location(&self) -> Option<Location> {
        let (file, span) = (self.file.as_ref()?, self.span?);
        (!span.is_none()).then(|| file.location(span.start as usize))
    }

    pub fn file_name(&self) -> Option<&str> {
        self.file.as_deref().map(SourceFile::name)
    }

    /// A fatal finding that belongs to no file (a missing path, nothing to lint).
    pub fn fatal(code: &'static str, name: &'static str, message: String) -> Finding {
        Finding {
            code,
            name,
            level: Level::Error,
            message,
            file: None,
            span: None,
            path: None,
            notes: Vec::new(),
            help: None,
            fatal: true,
        }
    }

    /// A finding for an error that stopped a file from being read.
    pub fn from_error(error: &Error, fallback_file: Option<&str>) -> Vec<Finding> {
        match error {
            Error::Input(e) => vec![Finding {
                code: e.kind.code(),
                name: e.kind.name(),
                level: Level::Error,
                message: e.message.clone(),
                file: Some(Arc::clone(&e.file)),
                span: e.span,
                path: e.path.clone(),
                notes: e.notes.clone(),
                help: None,
                fatal: true,
            }],
            Error::Multiple(errors) => errors.iter().flat_map(|e| Finding::from_error(e, fallback_file)).collect(),
            Error::Io { path, source } => {
                vec![Finding::fatal("E100", "io-error", format!("cannot read {}: {}", path.display(), source))]
            }
            Error::LinkOutside { .. } => vec![Finding::fatal("E115", "link-outside-registry", error.to_string())],
            Error::Internal(msg) => vec![Finding {
                code: "E000",
                name: "internal-error",
                level: Level::Error,
                message: format!("internal error: {msg} (this is a bug in contrakt; please report it)"),
                file: fallback_file.map(|f| SourceFile::new(f, "")),
                span: None,
                path: None,
                notes: Vec::new(),
                help: None,
                fatal: true,
            }],
        }
    }
}
