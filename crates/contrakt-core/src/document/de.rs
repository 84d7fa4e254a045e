//! serde over a [`Node`] tree, with errors that carry the span and document path of the node
//! that failed. Structs that declare a field named `$span` receive their node's [`Span`].

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::{Entry, Node, Value};
use crate::source::Span;

/// The reserved field name through which a struct receives its own span.
pub const SPAN_FIELD: &str = "$span";

#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    pub message: String,
    pub span: Option<Span>,
    pub path: Option<String>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) if !p.is_empty() => write!(f, "{p}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError { message: msg.to_string(), span: None, path: None }
    }
}

impl DeError {
    /// Attaches a location unless an inner node already claimed the error.
    fn locate(mut self, span: Span, path: &Path<'_>) -> Self {
        if self.span.is_none() {
            self.span = Some(span);
            self.path = Some(path.to_string());
        }
        self
    }
}

/// The document path to the node being deserialized, as a linked list on the stack.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(parent, key) => {
                if matches!(parent, Path::Root) {
                    write!(f, "{key}")
                } else {
                    write!(f, "{parent}.{key}")
                }
            }
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Deserializes a `T` from a node tree.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Node) -> Result<T, DeError> {
    T::deserialize(NodeDe { node, path: Path::Root })
}

struct NodeDe<'de, 'p> {
    node: &'de Node,
    path: Path<'p>,
}

impl NodeDe<'_, '_> {
    fn located<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|e| e.locate(self.node.span, &self.path))
    }
}

impl<'de> de::Deserializer<'de> for NodeDe<'de, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Seq(items) => visitor.visit_seq(Seq { items, index: 0, path: &self.path }),
            Value::Map(entries) => visitor.visit_map(Map::new(entries, &self.path, None)),
        };
        self.located(r)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Map(entries) => {
                let span = fields.contains(&SPAN_FIELD).then_some(self.node.span);
                visitor.visit_map(Map::new(entries, &self.path, span))
            }
            _ => Err(de::Error::custom(format!("expected a mapping, found {}", self.node.kind_name()))),
        };
        self.located(r)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(de::Error::custom(format!("expected a string, found {}", self.node.kind_name()))),
        };
        self.located(r)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
    }
}

struct Seq<'de, 'p> {
    items: &'de [Node],
    index: usize,
    path: &'p Path<'p>,
}

impl<'de> SeqAccess<'de> for Seq<'de, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.get(self.index) else { return Ok(None) };
        let path = Path::Index(self.path, self.index);
        self.index += 1;
        let de = NodeDe { node, path };
        let r = seed.deserialize(NodeDe { node, path });
        de.located(r).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.index)
    }
}

struct Map<'de, 'p> {
    entries: &'de [Entry],
    index: usize,
    path: &'p Path<'p>,
    /// The span to hand to a `$span` field before the real entries.
    span: Option<Span>,
    pending_span: Option<Span>,
}

impl<'de, 'p> Map<'de, 'p> {
    fn new(entries: &'de [Entry], path: &'p Path<'p>, span: Option<Span>) -> Self {
        Map { entries, index: 0, path, span, pending_span: None }
    }
}

impl<'de> MapAccess<'de> for Map<'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        if let Some(span) = self.span.take() {
            self.pending_span = Some(span);
            return seed.deserialize(SPAN_FIELD.into_deserializer()).map(Some);
        }
        let Some(entry) = self.entries.get(self.index) else { return Ok(None) };
        let key: de::value::BorrowedStrDeserializer<'de, DeError> = de::value::BorrowedStrDeserializer::new(&entry.key);
        let path = Path::Key(self.path, &entry.key);
        seed.deserialize(key).map(Some).map_err(|e| e.locate(entry.key_span, &path))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        if let Some(span) = self.pending_span.take() {
            return seed.deserialize((span.start, span.end).into_deserializer_tuple());
        }
        let entry = &self.entries[self.index];
        self.index += 1;
        let path = Path::Key(self.path, &entry.key);
        let de = NodeDe { node: &entry.value, path };
        let r = seed.deserialize(NodeDe { node: &entry.value, path });
        de.located(r)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.index)
    }
}

/// A two-element sequence deserializer for the synthetic `$span` value.
trait IntoTuple {
    fn into_deserializer_tuple(self) -> de::value::SeqDeserializer<std::array::IntoIter<u32, 2>, DeError>;
}

impl IntoTuple for (u32, u32) {
    fn into_deserializer_tuple(self) -> de::value::SeqDeserializer<std::array::IntoIter<u32, 2>, DeError> {
        de::value::SeqDeserializer::new([self.0, self.1].into_iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Limits, parse};
    use crate::source::SourceFile;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Item {
        #[serde(rename = "$span", default)]
        span: Span,
        name: String,
        #[serde(default)]
        size: Option<u32>,
    }

    #[derive(serde::Deserialize, Debug)]
    struct Doc {
        items: Vec<Item>,
    }

    fn load(text: &str) -> Result<Doc, DeError> {
        let file = SourceFile::new("t.yaml", text);
        let node = parse(&file, &Limits::default()).unwrap();
        from_node::<Doc>(&node).map_err(|mut e| {
            // Replace the span by its text to make assertions readable.
            e.message = format!("{} @ {:?}", e.message, e.span.map(|s| text[s.range()].to_string()));
            e
        })
    }

    #[test]
    fn structs_receive_their_span() {
        let text = "items:\n  - name: a\n  - {name: b, size: 2}\n";
        let doc = load(text).unwrap();
        assert_eq!(&text[doc.items[1].span.range()], "{name: b, size: 2}");
        assert_eq!((doc.items[1].name.as_str(), doc.items[1].size), ("b", Some(2)));
    }

    #[test]
    fn type_errors_point_at_the_value() {
        let e = load("items:\n  - name: a\n    size: lots\n").unwrap_err();
        assert_eq!(e.path.as_deref(), Some("items[0].size"));
        assert!(e.message.contains("@ Some(\"lots\")"), "{}", e.message);
    }

    #[test]
    fn unknown_fields_point_at_the_key() {
        let e = load("items:\n  - name: a\n    colour: red\n").unwrap_err();
        assert!(e.message.contains("unknown field `colour`"), "{}", e.message);
        assert!(e.message.contains("@ Some(\"colour\")"), "{}", e.message);
    }

    #[test]
    fn missing_fields_point_at_the_mapping() {
        let e = load("items:\n  - size: 1\n").unwrap_err();
        assert!(e.message.contains("missing field `name`"), "{}", e.message);
        assert_eq!(e.path.as_deref(), Some("items[0]"));
    }

    #[test]
    fn a_mapping_where_a_list_belongs() {
        let e = load("items:\n  name: a\n").unwrap_err();
        assert_eq!(e.path.as_deref(), Some("items"));
        assert!(e.message.contains("expected a sequence"), "{}", e.message);
    }
}
