//! ODCS contracts: contrakt-core's loader and lowering, with its errors mapped to [`Error`].

use contrakt_core::ir::{Schema, lower_contract};
use contrakt_core::{InputError, InputErrorKind, SourceFile};

use crate::Format;
use crate::error::{Error, Kind};

pub(crate) fn load(name: &str, text: &str) -> Result<Schema, Error> {
    let file = SourceFile::new(name, text);
    match contrakt_core::odcs::load(file) {
        Ok(doc) => Ok(lower_contract(&doc)),
        Err(e) => Err(convert(name, e)),
    }
}

fn convert(name: &str, e: contrakt_core::Error) -> Error {
    let errors = e.into_vec();
    let more = errors.len().saturating_sub(1);
    let Some(first) = errors.into_iter().next() else {
        return Error::at_line(Kind::Invalid, Format::Odcs, name, None, None, "the contract could not be read");
    };
    let suffix = if more > 0 { format!(" (and {more} more)") } else { String::new() };
    match first {
        contrakt_core::Error::Input(input) => {
            let InputError { kind, file, span, message, path, .. } = *input;
            let message = match path {
                Some(p) => format!("{p}: {message}{suffix}"),
                None => format!("{message}{suffix}"),
            };
            let kind = if kind == InputErrorKind::Syntax { Kind::Syntax } else { Kind::Invalid };
            Error::at_span(kind, Format::Odcs, &file, span, message)
        }
        other => Error::at_line(Kind::Invalid, Format::Odcs, name, None, None, format!("{other}{suffix}")),
    }
}
