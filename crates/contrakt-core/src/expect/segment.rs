//! Segmented checks: a quality rule, or a whole schema object, names columns (`contraktSegments`
//! in its `customProperties`) and each of its checks is measured and judged per value of those
//! columns, as well as over all rows. The checker measures every segment in one grouped
//! aggregate; this module only reads the declaration.

use serde_json::Value as Json;

use crate::odcs::{CustomProperty, SchemaObject};

/// The `customProperties` name that declares segment columns.
pub const SEGMENTS_PROPERTY: &str = "contraktSegments";

/// The most segments a check is measured over. A segment column with more distinct values
/// (counted in the same scan) is refused: per-segment thresholds, history series and alerts
/// are for a few dozen countries or channels, not for a column that is nearly a key.
pub const MAX_SEGMENTS: usize = 1000;

/// Failing segments a result names (the worst first); the rest are counted.
pub const WORST_SEGMENTS: usize = 5;

/// The segment columns a `customProperties` list declares, as the object's top-level
/// properties name them, and their physical names: `Ok(None)` when it declares none.
///
/// The value is one property name or a list of them (`contraktSegments: [country, channel]`).
pub fn declared(object: &SchemaObject, props: &[CustomProperty]) -> Result<Option<Segments>, String> {
    let Some(c) = props.iter().find(|c| c.property == SEGMENTS_PROPERTY) else { return Ok(None) };
    let names: Vec<&str> = match &c.value {
        Json::String(s) => vec![s.as_str()],
        Json::Array(items) => items
            .iter()
            .map(|v| v.as_str().ok_or_else(|| format!("`{SEGMENTS_PROPERTY}` lists property names; found {v}")))
            .collect::<Result<_, _>>()?,
        other => return Err(format!("`{SEGMENTS_PROPERTY}` is a property name or a list of them; found {other}")),
    };
    if names.is_empty() {
        return Err(format!("`{SEGMENTS_PROPERTY}` names no property"));
    }
    let mut out = Segments::default();
    for name in names {
        let Some(p) = object.properties.iter().find(|p| p.name.as_deref() == Some(name)) else {
            let known: Vec<&str> = object.properties.iter().filter_map(|p| p.name.as_deref()).collect();
            return Err(format!(
                "`{SEGMENTS_PROPERTY}` names `{name}`, which is not a property of `{}` (it has {})",
                object.name,
                known.join(", ")
            ));
        };
        if out.properties.iter().any(|n| n == name) {
            return Err(format!("`{SEGMENTS_PROPERTY}` names `{name}` twice"));
        }
        out.properties.push(name.to_string());
        out.columns.push(p.physical_name.clone().unwrap_or_else(|| name.to_string()));
    }
    Ok(Some(out))
}

/// Segment columns of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segments {
    /// As the contract names them.
    pub properties: Vec<String>,
    /// As the data names them (`physicalName` where set).
    pub columns: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odcs::load;
    use crate::source::SourceFile;

    fn object(yaml_props: &str) -> SchemaObject {
        let yaml = format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: urn:x\nversion: 1.0.0\nstatus: active\nschema:\n  - name: orders\n    properties:\n      - name: country\n        physicalName: country_code\n      - name: channel\n    customProperties:\n{yaml_props}"
        );
        load(SourceFile::new("c.yaml", yaml)).expect("loads").contract.schema[0].clone()
    }

    #[test]
    fn reads_names_and_physical_columns() {
        let o = object("      - property: contraktSegments\n        value: [country, channel]\n");
        let s = declared(&o, &o.custom_properties).unwrap().unwrap();
        assert_eq!(s.properties, ["country", "channel"]);
        assert_eq!(s.columns, ["country_code", "channel"]);
        let o = object("      - property: contraktSegments\n        value: channel\n");
        assert_eq!(declared(&o, &o.custom_properties).unwrap().unwrap().columns, ["channel"]);
        let o = object("      - property: other\n        value: 1\n");
        assert_eq!(declared(&o, &o.custom_properties).unwrap(), None);
    }

    #[test]
    fn refuses_unknown_repeated_and_malformed() {
        for (value, says) in [
            ("[cuntry]", "not a property of `orders` (it has country, channel)"),
            ("[country, country]", "twice"),
            ("[]", "names no property"),
            ("{a: 1}", "a property name or a list"),
            ("[1]", "lists property names"),
        ] {
            let o = object(&format!("      - property: contraktSegments\n        value: {value}\n"));
            let e = declared(&o, &o.custom_properties).unwrap_err();
            assert!(e.contains(says), "{value}: {e}");
        }
    }
}
