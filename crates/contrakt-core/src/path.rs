//! [`FieldPath`]: the dotted paths consumers use to name what they read —
//! `orders.amount`, `orders.items[].sku`, `orders.*`, `*`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath {
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// An object or property name.
    Name(String),
    /// `[]`: into the items of an array.
    Items,
    /// `{}`: into the values of a map.
    MapValues,
    /// `*`: everything below.
    Wildcard,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FieldPath {
    pub fn parse(text: &str) -> Result<Self, PathError> {
        if text.is_empty() {
            return Err(PathError("empty path".into()));
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let mut name = part;
            let mut steps = Vec::new();
            loop {
                if let Some(rest) = name.strip_suffix("[]") {
                    steps.push(Segment::Items);
                    name = rest;
                } else if let Some(rest) = name.strip_suffix("{}") {
                    steps.push(Segment::MapValues);
                    name = rest;
                } else {
                    break;
                }
            }
            steps.reverse();
            let items = steps.len();
            match name {
                "" if items == 0 => return Err(PathError(format!("empty segment in `{text}`"))),
                "" => return Err(PathError(format!("`[]` must follow a name in `{text}`"))),
                "*" if items > 0 => return Err(PathError(format!("`*[]` is not a path in `{text}`"))),
                "*" => segments.push(Segment::Wildcard),
                n if n.contains(['[', ']', '{', '}', '*']) => {
                    return Err(PathError(format!("unexpected character in segment `{n}` of `{text}`")));
                }
                n => segments.push(Segment::Name(n.to_string())),
            }
            segments.extend(steps);
        }
        if let Some(pos) = segments.iter().position(|s| *s == Segment::Wildcard)
            && pos + 1 != segments.len()
        {
            return Err(PathError(format!("`*` may only end a path, in `{text}`")));
        }
        Ok(FieldPath { segments })
    }

    /// Whether two paths touch: one is a prefix of the other (a change under `orders.items[]`
    /// touches a reader of `orders.items`), or a wildcard covers the other.
    pub fn overlaps(&self, other: &FieldPath) -> bool {
        for (a, b) in self.segments.iter().zip(&other.segments) {
            if *a == Segment::Wildcard || *b == Segment::Wildcard {
                return true;
            }
            if a != b {
                return false;
            }
        }
        true
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            let dot = if i > 0 { "." } else { "" };
            match s {
                Segment::Items => f.write_str("[]")?,
                Segment::MapValues => f.write_str("{}")?,
                Segment::Name(n) => write!(f, "{dot}{n}")?,
                Segment::Wildcard => write!(f, "{dot}*")?,
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for FieldPath {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Self, PathError> {
        FieldPath::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }

    #[test]
    fn parses_and_displays() {
        for s in ["orders.amount", "orders.items[].sku", "orders.*", "*", "m.tags[][]", "m.attrs{}.v", "m.x{}[]"] {
            assert_eq!(p(s).to_string(), s);
        }
        for bad in ["", "a..b", "[]", "a.*.b", "a.b[", "*[]", "{}", "a.b{"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn overlap_is_prefix_or_wildcard() {
        assert!(p("orders.items[].sku").overlaps(&p("orders.items")));
        assert!(p("orders.items").overlaps(&p("orders.items[].sku")));
        assert!(p("orders.*").overlaps(&p("orders.amount")));
        assert!(p("*").overlaps(&p("customers.email")));
        assert!(!p("orders.amount").overlaps(&p("orders.amount_net")));
        assert!(!p("orders.amount").overlaps(&p("customers.amount")));
    }

    proptest! {
        #[test]
        fn display_round_trips(names in prop::collection::vec("[a-z_][a-z0-9_]{0,6}", 1..5), items in prop::collection::vec(0usize..3, 5)) {
            let text = names.iter().zip(&items).map(|(n, k)| format!("{n}{}", "[]".repeat(*k))).collect::<Vec<_>>().join(".");
            let path = p(&text);
            prop_assert_eq!(path.to_string(), text);
            prop_assert!(path.overlaps(&path));
        }
    }
}
