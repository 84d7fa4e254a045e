//! The placeholders of quality SQL. ODCS writes `{object}` and `{property}`; contracts written
//! for datacontract-cli and Soda say `${model}`, `${table}` or `${field}`. Every spelling, with
//! or without the `$`, means one of two things: the object's table or the rule's column. Shared
//! by `lint` and `check` so a query that lints clean runs, and one that does not run says why.

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The object's table: `object`, `model`, `table`.
    Object,
    /// The rule's column: `property`, `field`, `column`.
    Property,
}

/// The role of a placeholder name, if contrakt knows it.
pub fn role(name: &str) -> Option<Role> {
    match name {
        "object" | "model" | "table" => Some(Role::Object),
        "property" | "field" | "column" => Some(Role::Property),
        _ => None,
    }
}

/// The names contrakt knows, for messages.
pub const KNOWN: &str =
    "`{object}` (also `model`, `table`) and `{property}` (also `field`, `column`), each with or without a leading `$`";

/// Why a query's placeholders cannot be replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `${name}` with a name contrakt does not know.
    Unknown(String),
    /// A column placeholder in a rule that has no column (written at the object's level).
    NoProperty(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Unknown(p) => write!(f, "the query names an unknown placeholder `{p}`; contrakt replaces {KNOWN}"),
            Problem::NoProperty(p) => write!(
                f,
                "the query names `{p}`, but the rule belongs to no property: move it into a property's `quality`, or write the column's name"
            ),
        }
    }
}

/// Replaces every placeholder of `query`: object ones by `object`, column ones by `property`.
/// `${name}` must be known. `{name}` without the `$` is replaced only when known, since braces
/// also appear in string literals (`'{"a": 1}'`) and regular expressions (`'^\d{3}$'`).
pub fn substitute(query: &str, object: &str, property: Option<&str>) -> Result<String, Problem> {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(open) = rest.find('{') {
        let dollar = rest[..open].ends_with('$');
        let after = &rest[open + 1..];
        let name_len = after.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        let closed = name_len > 0 && after.as_bytes().get(name_len) == Some(&b'}');
        if !closed {
            out.push_str(&rest[..=open]);
            rest = after;
            continue;
        }
        let name = &after[..name_len];
        let written = if dollar { format!("${{{name}}}") } else { format!("{{{name}}}") };
        let replacement = match role(name) {
            Some(Role::Object) => object,
            Some(Role::Property) => property.ok_or_else(|| Problem::NoProperty(written.clone()))?,
            None if dollar => return Err(Problem::Unknown(written)),
            None => {
                out.push_str(&rest[..=open]);
                rest = after;
                continue;
            }
        };
        out.push_str(&rest[..open - usize::from(dollar)]);
        out.push_str(replacement);
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_is_replaced() {
        for q in ["{object}", "${object}", "{model}", "${model}", "{table}", "${table}"] {
            assert_eq!(substitute(&format!("SELECT 1 FROM {q}"), "t", None).unwrap(), "SELECT 1 FROM t", "{q}");
        }
        for q in ["{property}", "${property}", "{field}", "${field}", "{column}", "${column}"] {
            assert_eq!(substitute(&format!("max({q})"), "t", Some("c")).unwrap(), "max(c)", "{q}");
        }
    }

    #[test]
    fn other_braces_are_left_alone() {
        let q = r#"SELECT count(*) FROM ${model} WHERE regexp_like(x, '^\d{3}$') OR j = '{"a": {b}}' OR y = '{}'"#;
        assert_eq!(
            substitute(q, "t", None).unwrap(),
            r#"SELECT count(*) FROM t WHERE regexp_like(x, '^\d{3}$') OR j = '{"a": {b}}' OR y = '{}'"#
        );
        assert_eq!(substitute("a $ b {", "t", None).unwrap(), "a $ b {");
        assert_eq!(substitute("price$ {x", "t", None).unwrap(), "price$ {x");
    }

    #[test]
    fn unknown_and_unusable_placeholders_are_named() {
        let e = substitute("SELECT count(*) FROM ${schema}.${model}", "t", None).unwrap_err();
        assert_eq!(e, Problem::Unknown("${schema}".into()));
        assert!(e.to_string().contains("`${schema}`"), "{e}");
        assert_eq!(substitute("max(${field})", "t", None).unwrap_err(), Problem::NoProperty("${field}".into()));
    }
}
