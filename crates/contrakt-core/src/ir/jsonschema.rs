//! What a JSON Schema says about a node beyond its type and constraints: the content model of
//! an object (which decides Confluent's open / closed / partially open compatibility), tuples,
//! `contains`, `not`, property counts, dependencies and the annotations `title` and `$id`. The
//! JSON Schema front end fills it; the diff's JSON content model reads it. Value sets are
//! written as [`value_set`](super::value_set) writes them (`string`, `integer | null`, `any`,
//! `never`).

use std::collections::BTreeMap;

use serde::Serialize;

/// JSON Schema's facts about one schema node (a field, or the root object).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JsonSchemaFacts {
    /// The content model of an object; `None` for non-objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// What undeclared properties of a [`Content::Partial`] object may hold, by
    /// `additionalProperties` (or `unevaluatedProperties`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional: Option<String>,
    /// `patternProperties`: each regex with the value set of its schema, as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<(String, String)>,
    /// Tuple validation (`prefixItems`, `items: [..]`): one value set per position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuple: Option<Vec<String>>,
    /// What items after the tuple may hold (`additionalItems`, or `items` beside `prefixItems`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_items: Option<String>,
    /// The value set of `contains`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// The value set of `not`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not: Option<String>,
    /// `dependencies`, `dependentRequired`, `dependentSchemas`, by property.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub dependencies: BTreeMap<String, Dependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_properties: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_properties: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_contains: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_contains: Option<u64>,
    /// Annotations: changes are reported, never breaking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The `false` schema (or an `allOf` of incompatible types): no value is valid.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub never: bool,
}

/// Which undeclared properties an object accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Content {
    /// Any, with any value (no `additionalProperties`, or `true`).
    Open,
    /// None (`additionalProperties: false`).
    Closed,
    /// Those an `additionalProperties` schema or `patternProperties` allow.
    Partial,
}

/// What a property brings with it when present.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dependency {
    /// These properties must be present too.
    Names(Vec<String>),
    /// The object must also satisfy a schema, given as its value set.
    Schema(String),
}

impl JsonSchemaFacts {
    /// The facts of a node that has none.
    pub const NONE: JsonSchemaFacts = JsonSchemaFacts {
        content: None,
        additional: None,
        patterns: Vec::new(),
        tuple: None,
        additional_items: None,
        contains: None,
        not: None,
        dependencies: BTreeMap::new(),
        min_properties: None,
        max_properties: None,
        min_contains: None,
        max_contains: None,
        title: None,
        id: None,
        never: false,
    };

    /// [`NONE`](Self::NONE) to borrow.
    pub fn none() -> &'static JsonSchemaFacts {
        static NONE: JsonSchemaFacts = JsonSchemaFacts::NONE;
        &NONE
    }

    /// A node's facts (its `json_schema`), [`none`](Self::none) when it has none.
    pub fn of(node: &Option<Box<JsonSchemaFacts>>) -> &JsonSchemaFacts {
        node.as_deref().unwrap_or(Self::none())
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::NONE
    }

    /// `allOf`: what this node leaves unsaid, `other` says.
    pub fn merge(&mut self, other: JsonSchemaFacts) {
        let JsonSchemaFacts {
            content,
            additional,
            patterns,
            tuple,
            additional_items,
            contains,
            not,
            dependencies,
            min_properties,
            max_properties,
            min_contains,
            max_contains,
            title,
            id,
            never,
        } = other;
        self.content = self.content.or(content);
        self.additional = self.additional.take().or(additional);
        if self.patterns.is_empty() {
            self.patterns = patterns;
        }
        self.tuple = self.tuple.take().or(tuple);
        self.additional_items = self.additional_items.take().or(additional_items);
        self.contains = self.contains.take().or(contains);
        self.not = self.not.take().or(not);
        if self.dependencies.is_empty() {
            self.dependencies = dependencies;
        }
        self.min_properties = self.min_properties.or(min_properties);
        self.max_properties = self.max_properties.or(max_properties);
        self.min_contains = self.min_contains.or(min_contains);
        self.max_contains = self.max_contains.or(max_contains);
        self.title = self.title.take().or(title);
        self.id = self.id.take().or(id);
        self.never |= never;
    }

    /// What undeclared properties of this object may hold, whatever their name.
    pub fn undeclared(&self) -> String {
        match self.content {
            Some(Content::Closed) => "never".to_string(),
            Some(Content::Partial) => self.additional.clone().unwrap_or_else(|| "any".to_string()),
            Some(Content::Open) | None => "any".to_string(),
        }
    }

    /// What an undeclared property named `name` may hold: the first `patternProperties` schema
    /// whose regex matches it, else [`undeclared`](Self::undeclared).
    pub fn undeclared_named(&self, name: &str) -> String {
        if self.content == Some(Content::Partial)
            && let Some((_, set)) = self.patterns.iter().find(|(re, _)| pattern_matches(re, name))
        {
            return set.clone();
        }
        self.undeclared()
    }
}

/// Whether a `patternProperties` regex matches `name`, for the patterns schemas use in practice:
/// literal text, anchored or not with `^` and `$`. Other regexes are taken not to match, so the
/// property is judged by `additionalProperties`.
fn pattern_matches(re: &str, name: &str) -> bool {
    let (start, rest) = re.strip_prefix('^').map_or((false, re), |r| (true, r));
    let (end, literal) = rest.strip_suffix('$').map_or((false, rest), |r| (true, r));
    if literal.chars().any(|c| "\\.+*?()|[]{}^$".contains(c)) {
        return false;
    }
    match (start, end) {
        (true, true) => name == literal,
        (true, false) => name.starts_with(literal),
        (false, true) => name.ends_with(literal),
        (false, false) => name.contains(literal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undeclared_properties_by_content_model() {
        let mut f = JsonSchemaFacts::NONE;
        assert_eq!(f.undeclared_named("x"), "any");
        f.content = Some(Content::Closed);
        assert_eq!(f.undeclared_named("x"), "never");
        f.content = Some(Content::Partial);
        f.additional = Some("string".into());
        f.patterns = vec![("^n_".into(), "integer".into()), ("a.b".into(), "boolean".into())];
        assert_eq!(f.undeclared_named("n_count"), "integer");
        // A regex beyond literal text is not guessed at: additionalProperties decides.
        assert_eq!(f.undeclared_named("axb"), "string");
        assert_eq!(f.undeclared(), "string");
    }

    #[test]
    fn all_of_merges_what_each_side_leaves_unsaid() {
        let mut a = JsonSchemaFacts { title: Some("A".into()), min_properties: Some(1), ..JsonSchemaFacts::NONE };
        let b = JsonSchemaFacts {
            title: Some("B".into()),
            max_properties: Some(3),
            never: true,
            content: Some(Content::Closed),
            ..JsonSchemaFacts::NONE
        };
        a.merge(b);
        assert_eq!((a.title.as_deref(), a.min_properties, a.max_properties), (Some("A"), Some(1), Some(3)));
        assert!(a.never && a.content == Some(Content::Closed) && !a.is_empty());
        assert!(JsonSchemaFacts::default().is_empty());
    }
}
