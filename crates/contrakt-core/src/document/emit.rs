//! A small block-style YAML writer for serde_json values. Strings are double-quoted (JSON
//! escaping is valid YAML) unless they are plainly words (`orders`, `v3.1.0`, `urn:a:b`), so no
//! value can change type on the way back in and the output still reads like hand-written YAML.

use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if is_plain(s) => s.clone(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string YAML reads back as the same string without quotes: it starts with a letter (so it
/// is no number), holds only word characters, `.`, `/`, `-` and `:` not before a space or at
/// the end (so it is no mapping), and is none of the words YAML 1.1 or 1.2 read as something else.
fn is_plain(s: &str) -> bool {
    const RESERVED: &[&str] = &["true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf"];
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | ':'))
        && !s.ends_with(':')
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
        _ => false,
    }
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) {
    for (i, (k, v)) in m.iter().enumerate() {
        // The first key of a map inside a list item sits on the `- ` line.
        if i > 0 || indent == 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&scalar(&Value::String(k.clone())));
        out.push(':');
        write_value(out, v, indent + 2);
    }
}

fn write_seq(out: &mut String, a: &[Value], indent: usize) {
    for v in a {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match v {
            Value::Object(m) if !m.is_empty() => write_map(out, m, indent + 2),
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, indent + 2);
            }
            other => {
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn write_value(out: &mut String, v: &Value, indent: usize) {
    if !is_block(v) {
        out.push(' ');
        out.push_str(&scalar(v));
        out.push('\n');
        return;
    }
    out.push('\n');
    match v {
        Value::Object(m) => write_map(out, m, indent),
        Value::Array(a) => write_seq(out, a, indent),
        _ => unreachable!("checked by is_block"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Limits, parse};
    use crate::source::SourceFile;

    #[test]
    fn round_trips_through_the_parser() {
        let v = serde_json::json!({
            "a": 1, "b": "x: y", "c": [1, {"d": [true, null, "1.0"], "e": {}}, [2, 3]], "f": "",
            "g": "line\nbreak \"quoted\" \u{1}", "h": 2.5, "i": [], "j": {"k": {"l": "null"}}
        });
        let text = to_yaml(&v);
        let node = parse(&SourceFile::new("t", text.clone()), &Limits::default()).unwrap();
        assert_eq!(node.to_json(), v, "{text}");
    }

    #[test]
    fn words_are_plain_and_lookalikes_are_quoted() {
        let words = ["orders", "v3.1.0", "urn:contrakt:a", "N/A", "s3://b/k", "box-2P", "a_b"];
        let lookalikes =
            ["true", "No", "null", "1.0", "0x1F", "~", "a: b", "a:", "#x", "- x", "", "1e3", "Inf", "a b", "2P-2R"];
        for w in words {
            assert_eq!(scalar(&Value::String(w.into())), w);
        }
        for l in lookalikes {
            assert!(scalar(&Value::String(l.into())).starts_with('"'), "{l}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips(key in "[ -~]{0,12}", value in "[ -~\\n\u{e9}]{0,16}") {
            let v = serde_json::json!({ key.clone(): value.clone(), "list": [value.clone()] });
            let text = to_yaml(&v);
            let node = parse(&SourceFile::new("t", text.clone()), &Limits::default()).unwrap();
            proptest::prop_assert_eq!(node.to_json(), v, "{}", text);
        }
    }
}
