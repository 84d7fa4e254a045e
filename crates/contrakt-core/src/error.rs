//! The one error type of `contrakt-core`.
//!
//! Findings (lint problems, breaking changes) are data, not errors: `Err` means contrakt could
//! not read its input at all. Input errors carry the file and span so the CLI can point at them.

use std::path::PathBuf;
use std::sync::Arc;

use crate::source::{SourceFile, SourceSpan, Span};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A symbolic link met while reading a registry folder leads outside it: not followed, so
    /// a contract in a pull request cannot make contrakt read (and print) a file elsewhere.
    #[error(
        "{}: a symbolic link out of {}; contrakt does not follow links out of the folder it reads (name the file itself to read it)",
        link.display(),
        root.display()
    )]
    LinkOutside { link: PathBuf, root: PathBuf },
    /// The content of a file is unusable: not text, not YAML, not the expected kind of document.
    #[error("{0}")]
    Input(Box<InputError>),
    /// Several input errors found in one pass, so users fix every problem at once.
    #[error("{} errors", .0.len())]
    Multiple(Vec<Error>),
    /// A bug in contrakt.
    #[error("internal error: {0} (this is a bug in contrakt; please report it)")]
    Internal(String),
}

/// What kind of input problem; each has a stable code shown to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputErrorKind {
    NotText,
    TooLarge,
    Empty,
    Syntax,
    MultipleDocuments,
    DuplicateKey,
    TooDeep,
    TooManyNodes,
    InvalidValue,
    UnsupportedApiVersion,
    NotAContract,
    InvalidConfig,
}

impl InputErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::NotText => "E101",
            Self::TooLarge => "E102",
            Self::Empty => "E103",
            Self::Syntax => "E104",
            Self::MultipleDocuments => "E105",
            Self::DuplicateKey => "E106",
            Self::TooDeep => "E107",
            Self::TooManyNodes => "E108",
            Self::InvalidValue => "E109",
            Self::UnsupportedApiVersion => "E110",
            Self::NotAContract => "E111",
            Self::InvalidConfig => "E112",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::NotText => "not-text",
            Self::TooLarge => "too-large",
            Self::Empty => "empty-document",
            Self::Syntax => "yaml-syntax",
            Self::MultipleDocuments => "multiple-documents",
            Self::DuplicateKey => "duplicate-key",
            Self::TooDeep => "nesting-too-deep",
            Self::TooManyNodes => "too-many-nodes",
            Self::InvalidValue => "invalid-value",
            Self::UnsupportedApiVersion => "unsupported-api-version",
            Self::NotAContract => "not-a-contract",
            Self::InvalidConfig => "invalid-config",
        }
    }
}

/// A problem in one file's content, located where possible.
#[derive(Debug)]
pub struct InputError {
    pub kind: InputErrorKind,
    pub file: Arc<SourceFile>,
    pub span: Option<Span>,
    pub message: String,
    /// Document path of the offending node (`schema[0].properties[2].name`), when known.
    pub path: Option<String>,
    /// Secondary spans with a note each (e.g. where a duplicate key was first defined).
    pub notes: Vec<(Span, String)>,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.span {
            Some(span) => write!(f, "{}: {}", SourceSpan::new(&self.file, span), self.message),
            None => write!(f, "{}: {}", self.file.name(), self.message),
        }
    }
}

impl Error {
    pub fn input(kind: InputErrorKind, file: &Arc<SourceFile>, span: Option<Span>, message: impl Into<String>) -> Self {
        Error::Input(Box::new(InputError {
            kind,
            file: Arc::clone(file),
            span,
            message: message.into(),
            path: None,
            notes: Vec::new(),
        }))
    }

    pub(crate) fn with_note(mut self, span: Span, note: impl Into<String>) -> Self {
        if let Error::Input(e) = &mut self {
            e.notes.push((span, note.into()));
        }
        self
    }

    pub(crate) fn with_path(mut self, path: String) -> Self {
        if let Error::Input(e) = &mut self {
            e.path = Some(path);
        }
        self
    }

    /// Flattens [`Error::Multiple`] into its parts.
    pub fn into_vec(self) -> Vec<Error> {
        match self {
            Error::Multiple(errors) => errors.into_iter().flat_map(Error::into_vec).collect(),
            other => vec![other],
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_stay_small() {
        assert!(std::mem::size_of::<super::Error>() <= 64);
    }
}
