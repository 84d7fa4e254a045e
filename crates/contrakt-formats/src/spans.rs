//! Source positions: JSON pointers to byte spans for JSON inputs, and line/column to byte
//! offsets for parsers that report lines.

use std::sync::Arc;

use contrakt_core::document::{Document, Node, Value};
use contrakt_core::{SourceFile, Span};

/// Deepest nesting of JSON arrays and objects read: one less than serde_json's own bound, so
/// the depth is always reported by [`json_too_deep`] with its place, never as a parse error.
pub(crate) const MAX_JSON_NESTING: usize = 127;

/// The byte offset of the first `{` or `[` (outside strings) that opens a level deeper than
/// [`MAX_JSON_NESTING`]. Iterative, so any depth is measured without recursion.
pub(crate) fn json_too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut in_string, mut i) = (0usize, false, 0usize);
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') | (false, b'"') => in_string = !in_string,
            (false, b'{' | b'[') => {
                depth += 1;
                if depth > MAX_JSON_NESTING {
                    return Some(i);
                }
            }
            (false, b'}' | b']') => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Spans of the nodes of a JSON text, looked up by JSON pointer. Built from contrakt-core's
/// span-preserving document tree (JSON is YAML 1.2); when that tree cannot be built the
/// spans are simply unknown.
pub(crate) struct JsonSpans {
    root: Option<Node>,
}

impl JsonSpans {
    pub(crate) fn new(file: &Arc<SourceFile>) -> Self {
        JsonSpans { root: Document::parse(Arc::clone(file)).ok().map(|d| d.root) }
    }

    fn walk(&self, pointer: &str) -> (Option<&Node>, bool) {
        let Some(mut node) = self.root.as_ref() else { return (None, false) };
        for raw in pointer.split('/').skip(1) {
            let seg = raw.replace("~1", "/").replace("~0", "~");
            let next = match &node.value {
                Value::Map(entries) => entries.iter().find(|e| e.key == seg).map(|e| &e.value),
                Value::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return (Some(node), false),
            }
        }
        (Some(node), true)
    }

    /// The span of the node at exactly this pointer, or [`Span::NONE`].
    pub(crate) fn get(&self, pointer: &str) -> Span {
        match self.walk(pointer) {
            (Some(n), true) => n.span,
            _ => Span::NONE,
        }
    }

    /// The span of the node at this pointer or of its nearest existing ancestor.
    pub(crate) fn nearest(&self, pointer: &str) -> Option<Span> {
        self.walk(pointer).0.map(|n| n.span).filter(|s| !s.is_none())
    }
}

/// Escapes a name for use as one JSON-pointer segment.
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Byte offset of a 0-based line and a 0-based column counted in bytes (protox).
pub(crate) fn offset_of_byte_column(file: &SourceFile, line: usize, column: usize) -> usize {
    let start = file.line_offset(line + 1);
    (start + column).min(file.text().len())
}

/// Byte offset of a 1-based line and a 1-based column counted in characters (sqlparser).
pub(crate) fn offset_of_char_column(file: &SourceFile, line: usize, column: usize) -> usize {
    let start = file.line_offset(line);
    let rest = &file.text()[start..];
    let end_of_line = rest.find('\n').unwrap_or(rest.len());
    let chars = column.saturating_sub(1);
    rest[..end_of_line].char_indices().nth(chars).map_or(start + end_of_line, |(i, _)| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_and_columns() {
        let file = SourceFile::new("t.json", "{\"a\": [1, {\"b/c\": true}],\n\"é\": 1}");
        let spans = JsonSpans::new(&file);
        let s = spans.get("/a/1/b~1c");
        assert_eq!(&file.text()[s.range()], "true");
        assert!(spans.get("/a/7").is_none());
        assert_eq!(spans.nearest("/a/7"), Some(spans.get("/a")));
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        // Line 2 is `"é": 1}`: column 6 (in characters) is the `1`, one byte further in.
        assert_eq!(offset_of_char_column(&file, 2, 6), file.text().len() - 2);
        assert_eq!(offset_of_byte_column(&file, 0, 2), 2);
    }
}
