//! Source text and spans: every node, finding and error points back into a [`SourceFile`].

use std::fmt;
use std::sync::Arc;

/// A named piece of text (a contract file, a consumer file, or text handed over by an API caller)
/// with a line index, so byte offsets turn into 1-based line and column numbers.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Arc::new(Self { name: name.into(), text, line_starts })
    }

    /// The display name: a path as given on the command line, or `<string>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (in characters) of a byte offset; offsets past the end clamp.
    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let column = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        Location { line: line + 1, column: column + 1 }
    }

    /// Byte offset of the start of a 1-based line (clamped to the text).
    pub fn line_offset(&self, line: usize) -> usize {
        self.line_starts.get(line.saturating_sub(1)).copied().unwrap_or(self.text.len())
    }
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A byte range in a [`SourceFile`]. `Span::NONE` marks nodes that were built in code,
/// not read from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const NONE: Span = Span { start: u32::MAX, end: u32::MAX };

    pub fn new(start: usize, end: usize) -> Self {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX - 1);
        Span { start: clamp(start), end: clamp(end.max(start)) }
    }

    pub fn is_none(&self) -> bool {
        self.start == u32::MAX
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

// Spans ride along in model structs; they never appear in serialized contracts.
impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl<'de> serde::Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (start, end) = <(u32, u32)>::deserialize(d)?;
        Ok(Span { start, end })
    }
}

/// A span in a named file: what a diagnostic points at.
#[derive(Debug, Clone)]
pub struct SourceSpan {
    pub file: Arc<SourceFile>,
    pub span: Span,
}

impl SourceSpan {
    pub fn new(file: &Arc<SourceFile>, span: Span) -> Self {
        Self { file: Arc::clone(file), span }
    }

    pub fn location(&self) -> Option<Location> {
        (!self.span.is_none()).then(|| self.file.location(self.span.start as usize))
    }
}

impl fmt::Display for SourceSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location() {
            Some(loc) => write!(f, "{}:{loc}", self.file.name()),
            None => f.write_str(self.file.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based_and_count_characters() {
        let f = SourceFile::new("x.yaml", "a: 1\nbé: 2\n");
        assert_eq!(f.location(0), Location { line: 1, column: 1 });
        assert_eq!(f.location(5), Location { line: 2, column: 1 });
        // 'é' is two bytes: the ':' after it is the third character.
        assert_eq!(f.location(8), Location { line: 2, column: 3 });
        assert_eq!(f.location(1000), Location { line: 3, column: 1 });
    }
}
