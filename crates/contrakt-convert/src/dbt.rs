//! dbt `manifest.json` → Schema IR, one object per model, for [`crate::import()`].
//!
//! A model's columns with their `data_type` (read as a physical type), model contracts'
//! `constraints` (`not_null`, `unique`, `primary_key`, `foreign_key`), and the generic tests
//! attached to its columns: `not_null`, `unique`, `accepted_values` (a closed domain) and
//! `relationships` (a foreign key). Other tests are not translated and come back as warnings.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use contrakt_core::ir::{DataType, Expresses, Field, ForeignKey, Object, RecordModel, Schema, parse_physical_type};

use crate::Error;

/// Does this JSON look like a dbt manifest?
pub fn is_manifest(text: &str) -> bool {
    serde_json::from_str::<Json>(text).is_ok_and(|j| {
        j.get("nodes").is_some_and(Json::is_object)
            && j.pointer("/metadata/dbt_schema_version").and_then(Json::as_str).is_some_and(|v| v.contains("manifest"))
    })
}

/// Reads the models of a manifest (`models`: only these, by name), with warnings for what is
/// not translated.
pub fn load(source: &str, text: &str, models: &[String]) -> Result<(Schema, Vec<String>), Error> {
    let manifest: Json =
        serde_json::from_str(text).map_err(|e| Error::Input(format!("{source}: not a dbt manifest: {e}")))?;
    let nodes = manifest
        .get("nodes")
        .and_then(Json::as_object)
        .ok_or_else(|| Error::Input(format!("{source}: not a dbt manifest: no `nodes`")))?;
    let mut warnings = Vec::new();
    let mut objects: Vec<Object> = Vec::new();
    let mut by_id: BTreeMap<&str, usize> = BTreeMap::new();
    let mut nodes_of: Vec<&Json> = Vec::new();
    let mut model_names: BTreeMap<String, String> = BTreeMap::new();
    for (id, node) in nodes {
        if node.get("resource_type").and_then(Json::as_str) != Some("model") {
            continue;
        }
        let name = str_of(node, "name").to_string();
        model_names.insert(id.clone(), name.clone());
        if !models.is_empty() && !models.contains(&name) {
            continue;
        }
        by_id.insert(id.as_str(), objects.len());
        nodes_of.push(node);
        objects.push(model(&name, node, &mut warnings));
    }
    let project = manifest.pointer("/metadata/project_name").and_then(Json::as_str);
    distinct_names(&mut objects, &nodes_of, project, &mut warnings);
    for wanted in models {
        if !objects.iter().any(|o| &o.name == wanted) {
            return Err(Error::Object(format!("{source}: no dbt model `{wanted}`")));
        }
    }
    if objects.is_empty() {
        return Err(Error::Object(format!("{source}: the manifest has no models")));
    }
    // Generic tests are nodes of their own, attached to a model and a column.
    for node in nodes.values().filter(|n| n.get("resource_type").and_then(Json::as_str) == Some("test")) {
        let Some(meta) = node.get("test_metadata") else { continue };
        let Some(&index) = node.get("attached_node").and_then(Json::as_str).and_then(|id| by_id.get(id)) else {
            continue;
        };
        let kwargs = meta.get("kwargs").cloned().unwrap_or(Json::Null);
        let column = node.get("column_name").and_then(Json::as_str).or_else(|| kwargs.get("column_name")?.as_str());
        let object = &mut objects[index];
        let test = str_of(meta, "name");
        let Some(field) = column.and_then(|c| object.fields.iter_mut().find(|f| f.name == c)) else {
            warnings
                .push(format!("{}: dbt test `{test}` is not on a column of the model; not translated", object.name));
            continue;
        };
        match test {
            "not_null" => field.nullable = false,
            "unique" => field.unique = true,
            "accepted_values" => {
                field.constraints.enum_values = kwargs.get("values").and_then(Json::as_array).cloned();
            }
            "relationships" => {
                let to = kwargs.get("to").and_then(Json::as_str).and_then(ref_name);
                let target_field = kwargs.get("field").and_then(Json::as_str);
                match (to, target_field) {
                    (Some(t), Some(f)) => {
                        let (from, to) = (vec![field.name.clone()], vec![format!("{t}.{f}")]);
                        // The same key is often both a constraint and a test.
                        if !object.foreign_keys.iter().any(|k| k.from == from && k.to == to) {
                            object.foreign_keys.push(ForeignKey { from, to, span: Default::default() });
                        }
                    }
                    _ => warnings.push(format!(
                        "{}.{}: dbt relationships test without ref() and field; not translated",
                        object.name, field.name
                    )),
                }
            }
            other => warnings.push(format!("{}.{}: dbt test `{other}` is not translated", object.name, field.name)),
        }
    }
    let schema = Schema {
        source: source.to_string(),
        record_model: RecordModel::ByNameStrict,
        expresses: Expresses::ALL,
        qualified_paths: true,
        objects,
        proto_files: Vec::new(),
        facts: Default::default(),
    };
    Ok((schema, warnings))
}

/// Models that share a name (versions of one model, or models of several packages) become
/// objects of distinct names, since a contract's object names are unique (lint L101): the
/// latest version (`latest_version`, else the highest), else the root project's model, keeps
/// the name; the others are
/// `{name}_v{version}` or `{package}_{name}`. `ref('name')` means the kept one, as in dbt.
fn distinct_names(objects: &mut [Object], nodes: &[&Json], project: Option<&str>, warnings: &mut Vec<String>) {
    let text = |node: &Json, key: &str| match node.get(key) {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, o) in objects.iter().enumerate() {
        groups.entry(o.name.clone()).or_default().push(i);
    }
    let mut taken: std::collections::BTreeSet<String> = objects.iter().map(|o| o.name.clone()).collect();
    for (name, members) in groups.into_iter().filter(|(_, m)| m.len() > 1) {
        // dbt's latest version is `latest_version`, else the highest version.
        let latest = |i: &usize| {
            let node = nodes[*i];
            text(node, "version").is_some() && text(node, "version") == text(node, "latest_version")
        };
        let number = |i: &usize| text(nodes[*i], "version").and_then(|v| v.parse::<f64>().ok());
        let highest = members
            .iter()
            .filter(|i| number(i).is_some())
            .max_by(|a, b| number(a).partial_cmp(&number(b)).unwrap_or(std::cmp::Ordering::Equal));
        let root = |i: &usize| project.is_some() && nodes[*i].get("package_name").and_then(Json::as_str) == project;
        let kept = members
            .iter()
            .find(|i| latest(i))
            .or(highest)
            .or_else(|| members.iter().find(|i| root(i)))
            .unwrap_or(&members[0]);
        for &i in members.iter().filter(|i| *i != kept) {
            let node = nodes[i];
            let base = match (text(node, "version"), node.get("package_name").and_then(Json::as_str)) {
                (Some(v), _) => format!("{name}_v{v}"),
                (None, Some(p)) => format!("{p}_{name}"),
                (None, None) => format!("{name}_{i}"),
            };
            let mut renamed = base.clone();
            let mut n = 2;
            while taken.contains(&renamed) {
                renamed = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(renamed.clone());
            warnings.push(format!(
                "{}: another model is also named `{name}`; imported as object `{renamed}`",
                str_of(node, "unique_id")
            ));
            objects[i].name = renamed;
        }
    }
}

fn str_of<'a>(node: &'a Json, key: &str) -> &'a str {
    node.get(key).and_then(Json::as_str).unwrap_or_default()
}

/// `ref('customers')` or `ref("analytics", "customers")` → `customers`.
fn ref_name(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix("ref(")?.strip_suffix(')')?;
    let last = inner.rsplit(',').next()?.trim().trim_matches(['\'', '"']);
    (!last.is_empty()).then(|| last.to_string())
}

fn model(name: &str, node: &Json, warnings: &mut Vec<String>) -> Object {
    let columns = node.get("columns").and_then(Json::as_object);
    let mut fields: Vec<Field> = Vec::new();
    for (column, c) in columns.into_iter().flatten() {
        let path = format!("{name}.{column}");
        let data_type = c.get("data_type").and_then(Json::as_str);
        let physical = data_type.and_then(parse_physical_type);
        let mut f = Field::new(
            column.clone(),
            match (&physical, data_type) {
                (Some(p), _) => p.data_type.clone(),
                (None, Some(t)) => DataType::Unknown(t.to_string()),
                (None, None) => {
                    warnings.push(format!("{path}: no data_type in the manifest"));
                    DataType::Unknown(String::new())
                }
            },
        );
        if let (Some(p), DataType::String) = (&physical, &f.data_type) {
            f.constraints.max_length = p.max_length;
        }
        if let Some(t) = data_type {
            f.metadata.insert("physicalType".into(), t.to_string());
        }
        f.description = c.get("description").and_then(Json::as_str).filter(|d| !d.is_empty()).map(str::to_string);
        f.tags = c
            .get("tags")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect();
        f.tags.sort();
        for k in c.get("constraints").and_then(Json::as_array).into_iter().flatten() {
            match str_of(k, "type") {
                "not_null" => f.nullable = false,
                "unique" => f.unique = true,
                "primary_key" => {
                    f.primary_key_position = Some(1);
                    f.nullable = false;
                }
                other => warnings.push(format!("{path}: dbt `{other}` constraint is not translated")),
            }
        }
        fields.push(f);
    }
    let mut primary_key: Vec<String> =
        fields.iter().filter(|f| f.primary_key_position.is_some()).map(|f| f.name.clone()).collect();
    let mut foreign_keys = Vec::new();
    for k in node.get("constraints").and_then(Json::as_array).into_iter().flatten() {
        let columns: Vec<String> = k
            .get("columns")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect();
        match str_of(k, "type") {
            "primary_key" if !columns.is_empty() => primary_key = columns,
            "foreign_key" => {
                // dbt ≥ 1.9 `to: ref('customers')` with `to_columns`; older an `expression`.
                let to = k.get("to").and_then(Json::as_str).and_then(ref_name);
                let to_columns: Vec<&str> = k
                    .get("to_columns")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .collect();
                match to {
                    Some(t) if to_columns.len() == columns.len() && !columns.is_empty() => {
                        foreign_keys.push(ForeignKey {
                            from: columns,
                            to: to_columns.iter().map(|c| format!("{t}.{c}")).collect(),
                            span: Default::default(),
                        })
                    }
                    _ => warnings
                        .push(format!("{name}: a dbt foreign_key constraint without to/to_columns is not translated")),
                }
            }
            other => warnings.push(format!("{name}: dbt model `{other}` constraint is not translated")),
        }
    }
    for (i, key) in primary_key.iter().enumerate() {
        if let Some(f) = fields.iter_mut().find(|f| &f.name == key) {
            f.primary_key_position = Some(i as u32 + 1);
            f.nullable = false;
        }
    }
    Object {
        name: name.to_string(),
        physical_name: node.get("relation_name").and_then(Json::as_str).map(|r| r.replace(['"', '`'], "")),
        id: None,
        kind: Some(match node.pointer("/config/materialized").and_then(Json::as_str) {
            Some("view") => "view".to_string(),
            _ => "table".to_string(),
        }),
        fields,
        primary_key,
        partitioning: Vec::new(),
        foreign_keys,
        description: node.get("description").and_then(Json::as_str).filter(|d| !d.is_empty()).map(str::to_string),
        span: Default::default(),
        pointer: String::new(),
        tags: Vec::new(),
        custom_properties: Default::default(),
        quality: Vec::new(),
        json_schema: None,
    }
}
