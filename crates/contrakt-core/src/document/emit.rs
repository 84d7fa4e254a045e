//! A small block-style YAML writer for serde_json values. Strings are always double-quoted
//! (JSON escaping is valid YAML), so no value can change type on the way back in.

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
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
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
}
