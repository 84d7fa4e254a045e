//! YAML 1.2 (and therefore JSON) into a [`Node`] tree, driven by granit-parser's event stream.

use std::collections::HashMap;
use std::sync::Arc;

use granit_parser::{Event, Parser, ScalarStyle};

use super::{Entry, Node, Value};
use crate::error::{Error, InputErrorKind};
use crate::source::{SourceFile, Span};

/// Bounds that keep hostile or broken input from exhausting memory or stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of mappings and lists. ODCS contracts rarely pass 30.
    pub max_depth: usize,
    /// Most nodes after alias expansion (guards against "billion laughs").
    pub max_nodes: usize,
    /// Most bytes of text (scalars and keys) that aliases may add by expansion: a few aliases of
    /// one large scalar stay under `max_nodes` yet expand to gigabytes.
    pub max_alias_bytes: usize,
}

/// The default of [`Limits::max_alias_bytes`]: 64 MiB, the largest file contrakt reads.
pub const MAX_ALIAS_BYTES: usize = 64 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 128, max_nodes: 5_000_000, max_alias_bytes: MAX_ALIAS_BYTES }
    }
}

enum Frame {
    Seq { items: Vec<Node>, start: usize, anchor: usize },
    Map { entries: Vec<Entry>, key: Option<(String, Span)>, seen: HashMap<String, Span>, start: usize, anchor: usize },
}

/// Parses one YAML document. JSON parses too, since JSON is YAML 1.2.
pub fn parse(file: &Arc<SourceFile>, limits: &Limits) -> crate::Result<Node> {
    let text = file.text();
    if let Some(pos) = text.find('\0') {
        return Err(Error::input(
            InputErrorKind::NotText,
            file,
            Some(Span::new(pos, pos + 1)),
            "file is binary, not YAML or JSON text (it contains a NUL byte)",
        ));
    }
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    // Each anchor's node, with its count of nodes and bytes of text, what one alias adds.
    let mut anchors: HashMap<usize, (Node, usize, usize)> = HashMap::new();
    let mut nodes = 0usize;
    let mut alias_bytes = 0usize;
    let offset = |m: &granit_parser::Marker| m.byte_offset().unwrap_or_else(|| char_to_byte(text, m.index()));

    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let at = offset(e.marker());
            let info = e.info();
            // The parser has its own bound on flow-collection nesting; report it like ours.
            if info.contains("recursion limit") {
                Error::input(
                    InputErrorKind::TooDeep,
                    file,
                    Some(Span::new(at, at)),
                    "nesting is too deep; contrakt refuses documents this deep",
                )
            } else {
                Error::input(InputErrorKind::Syntax, file, Some(Span::new(at, at)), format!("invalid YAML: {info}"))
            }
        })?;
        let (start, end) = (offset(&span.start), offset(&span.end));
        let completed = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Anchor(..) => None,
            Event::DocumentStart(..) => {
                if root.is_some() {
                    return Err(Error::input(
                        InputErrorKind::MultipleDocuments,
                        file,
                        Some(Span::new(start, end.max(start + 3))),
                        "a second YAML document starts here; a contract file holds exactly one",
                    ));
                }
                None
            }
            Event::Alias(id) => {
                let (node, count, bytes) = anchors.get(&id).ok_or_else(|| {
                    Error::input(
                        InputErrorKind::Syntax,
                        file,
                        Some(Span::new(start, end)),
                        "alias refers to an unknown anchor",
                    )
                })?;
                nodes += count;
                if nodes > limits.max_nodes {
                    return Err(too_many(file, Span::new(start, end), limits));
                }
                // Checked before the copy below, so the bound holds for memory too.
                alias_bytes = alias_bytes.saturating_add(*bytes);
                if alias_bytes > limits.max_alias_bytes {
                    return Err(Error::input(
                        InputErrorKind::TooManyNodes,
                        file,
                        Some(Span::new(start, end)),
                        format!(
                            "aliases expand to more than {} of text (this alias adds {}); contrakt refuses it",
                            human_bytes(limits.max_alias_bytes),
                            human_bytes(*bytes)
                        ),
                    ));
                }
                Some(Node { value: node.value.clone(), span: Span::new(start, end) })
            }
            Event::UnresolvedAlias(name) => {
                return Err(Error::input(
                    InputErrorKind::Syntax,
                    file,
                    Some(Span::new(start, end)),
                    format!("alias `*{name}` refers to no anchor defined before it"),
                ));
            }
            Event::Scalar(value, style, anchor, tag) => {
                nodes += 1;
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix() == "str");
                let value = if style == ScalarStyle::Plain && !forced_str {
                    resolve_plain(&value)
                } else {
                    Value::String(value.into_owned())
                };
                let node = Node { value, span: Span::new(start, end) };
                if anchor != 0 {
                    let bytes = text_bytes(&node);
                    anchors.insert(anchor, (node.clone(), 1, bytes));
                }
                Some(node)
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                nodes += 1;
                if stack.len() >= limits.max_depth {
                    return Err(Error::input(
                        InputErrorKind::TooDeep,
                        file,
                        Some(Span::new(start, start)),
                        format!(
                            "nesting is deeper than {} levels; contrakt refuses documents this deep",
                            limits.max_depth
                        ),
                    ));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq { items: Vec::new(), start, anchor }
                } else {
                    Frame::Map { entries: Vec::new(), key: None, seen: HashMap::new(), start, anchor }
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, begin, anchor) = match stack.pop() {
                    Some(Frame::Seq { items, start, anchor }) => (Value::Seq(items), start, anchor),
                    Some(Frame::Map { entries, start, anchor, .. }) => (Value::Map(entries), start, anchor),
                    None => return Err(Error::Internal("collection end without start".into())),
                };
                let node = Node { value, span: Span::new(begin, end.max(begin)) };
                if anchor != 0 {
                    let (count, bytes) = measure(&node);
                    anchors.insert(anchor, (node.clone(), count, bytes));
                }
                Some(node)
            }
            #[allow(unreachable_patterns)]
            _ => None,
        };
        if nodes > limits.max_nodes {
            return Err(too_many(file, Span::new(start, end), limits));
        }
        let Some(node) = completed else { continue };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, seen, .. }) => match key.take() {
                None => {
                    let name = match node.value {
                        Value::String(s) => s,
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Null => "null".to_string(),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(Error::input(
                                InputErrorKind::Syntax,
                                file,
                                Some(node.span),
                                "mapping keys must be plain values, not lists or mappings",
                            ));
                        }
                    };
                    if let Some(first) = seen.get(&name) {
                        return Err(Error::input(
                            InputErrorKind::DuplicateKey,
                            file,
                            Some(node.span),
                            format!("duplicate key `{name}`"),
                        )
                        .with_note(*first, "first defined here"));
                    }
                    seen.insert(name.clone(), node.span);
                    *key = Some((name, node.span));
                }
                Some((name, key_span)) => entries.push(Entry { key: name, key_span, value: node }),
            },
        }
    }
    root.ok_or_else(|| {
        Error::input(InputErrorKind::Empty, file, None, "file is empty: expected a YAML or JSON document")
    })
}

fn too_many(file: &Arc<SourceFile>, span: Span, limits: &Limits) -> Error {
    Error::input(
        InputErrorKind::TooManyNodes,
        file,
        Some(span),
        format!("document expands to more than {} nodes (through aliases?); contrakt refuses it", limits.max_nodes),
    )
}

/// Nodes and bytes of text (scalars and keys) in a subtree.
fn measure(node: &Node) -> (usize, usize) {
    // Iterative: anchored subtrees may be deep.
    let (mut count, mut bytes) = (0usize, 0usize);
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        count += 1;
        bytes = bytes.saturating_add(text_bytes(n));
        match &n.value {
            Value::Seq(items) => todo.extend(items),
            Value::Map(entries) => {
                for e in entries {
                    bytes = bytes.saturating_add(e.key.len());
                    todo.push(&e.value);
                }
            }
            _ => {}
        }
    }
    (count, bytes)
}

/// Bytes of text a scalar holds; other scalars and collections count one byte each.
fn text_bytes(node: &Node) -> usize {
    match &node.value {
        Value::String(s) => s.len().max(1),
        _ => 1,
    }
}

fn human_bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i)
}

/// YAML 1.2 core schema resolution of an unquoted scalar.
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => s.parse::<f64>().map_or_else(|_| Value::String(s.into()), Value::Float),
        };
    }
    if let Some(hex) = s.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Int(i);
    }
    if let Some(oct) = s.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Int(i);
    }
    if is_float(s)
        && let Ok(f) = s.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::String(s.to_owned())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> crate::Result<Node> {
        parse(&SourceFile::new("t.yaml", text), &Limits::default())
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        assert_eq!(resolve_plain("12"), Value::Int(12));
        assert_eq!(resolve_plain("-3"), Value::Int(-3));
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("1e3"), Value::Float(1000.0));
        assert_eq!(resolve_plain("1.0.0"), Value::String("1.0.0".into()));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("yes"), Value::String("yes".into()), "YAML 1.1 booleans are strings in 1.2");
        assert_eq!(resolve_plain("e3"), Value::String("e3".into()));
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = "a: 1\nlist:\n  - x\n  - 'y'\n";
        let root = p(text).unwrap();
        let list = root.entry("list").unwrap();
        assert_eq!(&text[list.key_span.range()], "list");
        let y = &list.value.as_seq()[1];
        assert_eq!(y.value, Value::String("y".into()));
        assert_eq!(&text[y.span.range()], "'y'");
    }

    #[test]
    fn json_is_yaml() {
        let root = p(r#"{"a": [1, 2.5, "x", null, true]}"#).unwrap();
        assert_eq!(root.get("a").unwrap().as_seq().len(), 5);
    }

    #[test]
    fn duplicate_keys_are_rejected_with_both_places() {
        let Err(Error::Input(e)) = p("a: 1\nb: 2\na: 3\n") else { panic!("expected an input error") };
        assert_eq!(e.kind, InputErrorKind::DuplicateKey);
        assert_eq!(e.file.location(e.span.unwrap().start as usize).line, 3);
        assert_eq!(e.notes.len(), 1);
    }

    #[test]
    fn depth_is_bounded_without_recursion() {
        let flow = "[".repeat(100_000) + &"]".repeat(100_000);
        let block: String = (0..5000).map(|i| format!("{}- b:\n", "  ".repeat(i))).collect();
        for deep in [flow, block] {
            let Err(Error::Input(e)) = p(&deep) else { panic!("expected an input error") };
            assert_eq!(e.kind, InputErrorKind::TooDeep);
        }
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let Err(Error::Input(e)) = p(&text) else { panic!("expected an input error") };
        assert_eq!(e.kind, InputErrorKind::TooManyNodes);
    }

    #[test]
    fn alias_expansion_is_bounded_by_bytes() {
        // 2,000 aliases of a 100 KB scalar: few nodes, 200 MB of text.
        let mut text = format!("big: &big \"{}\"\nlist:\n", "x".repeat(100_000));
        for _ in 0..2000 {
            text.push_str("  - *big\n");
        }
        let Err(Error::Input(e)) = p(&text) else { panic!("expected an input error") };
        assert_eq!(e.kind, InputErrorKind::TooManyNodes);
        assert!(e.message.contains("aliases expand to more than 64 MiB"), "{}", e.message);
        // At the alias that crosses the bound: the 672nd.
        let at = e.file.location(e.span.unwrap().start as usize);
        assert_eq!((at.line, &text[e.span.unwrap().range()]), (2 + 672, "*big"));
    }

    #[test]
    fn aliases_expand() {
        let root = p("base: &b {x: 1}\nother: *b\n").unwrap();
        assert_eq!(root.get("other").unwrap().get("x").unwrap().value, Value::Int(1));
    }

    #[test]
    fn empty_and_comment_only_files_are_empty() {
        for text in ["", "   \n", "# just a comment\n"] {
            let Err(Error::Input(e)) = p(text) else { panic!("expected an input error for {text:?}") };
            assert_eq!(e.kind, InputErrorKind::Empty);
        }
    }

    #[test]
    fn second_document_is_rejected() {
        let Err(Error::Input(e)) = p("a: 1\n---\nb: 2\n") else { panic!("expected an input error") };
        assert_eq!(e.kind, InputErrorKind::MultipleDocuments);
    }
}
