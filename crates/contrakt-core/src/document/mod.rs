//! A YAML (or JSON) document as a tree of [`Node`]s, each with its [`Span`].
//!
//! Every loader in contrakt goes through this tree: it is built iteratively (no recursion, so a
//! deeply nested file cannot overflow the stack), rejects duplicate keys, bounds depth and alias
//! expansion, and then feeds serde through `de` with errors that point at the offending node.

mod de;
mod emit;
mod yaml;

use std::sync::Arc;

pub use de::{DeError, from_node};
pub use emit::to_yaml;
pub use yaml::{Limits, parse};

use crate::source::{SourceFile, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// A short name for the node's kind, as used in messages ("a mapping", "a string").
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Follows a JSON pointer (`/schema/0/properties/2`). Returns the deepest node reached and,
    /// when the pointer ends at a map key, that entry's key span too.
    pub fn pointer(&self, pointer: &str) -> (&Node, Option<Span>) {
        let mut node = self;
        let mut key_span = None;
        for raw in pointer.split('/').skip(1) {
            let seg = raw.replace("~1", "/").replace("~0", "~");
            let next = match &node.value {
                Value::Map(entries) => entries.iter().find(|e| e.key == seg).map(|e| {
                    key_span = Some(e.key_span);
                    &e.value
                }),
                Value::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match next {
                Some(n) => {
                    if !matches!(node.value, Value::Map(_)) {
                        key_span = None;
                    }
                    node = n;
                }
                None => break,
            }
        }
        (node, key_span)
    }

    /// Converts to JSON for JSON Schema validation. The tree is depth-bounded by the parser,
    /// so this recursion is bounded too.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(entries.iter().map(|e| (e.key.clone(), e.value.to_json())).collect()),
        }
    }
}

/// A parsed file: its source text and its tree.
#[derive(Debug, Clone)]
pub struct Document {
    pub source: Arc<SourceFile>,
    pub root: Node,
}

impl Document {
    pub fn parse(source: Arc<SourceFile>) -> crate::Result<Self> {
        let root = parse(&source, &Limits::default())?;
        Ok(Document { source, root })
    }
}

/// Renders a JSON pointer as a readable document path: `/schema/0/properties/2` →
/// `schema[0].properties[2]`.
pub fn display_pointer(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
            out.push('[');
            out.push_str(seg);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg.replace("~1", "/").replace("~0", "~"));
        }
    }
    out
}
