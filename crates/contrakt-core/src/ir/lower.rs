//! ODCS → Schema IR.

use serde_json::Value as Json;

use super::physical::parse_physical_type;
use super::{
    Bound, Constraints, DataType, Expresses, Field, FieldId, ForeignKey, Object, QualityCheck, RecordModel, Schema,
};
use crate::odcs::{
    ContractDocument, CustomProperty, LogicalTypeOptions, Property, QualityRule, Relationship, SchemaObject,
};

/// Lowers a loaded contract into the Schema IR.
pub fn lower_contract(doc: &ContractDocument) -> Schema {
    let _span = tracing::debug_span!("lower", contract = %doc.contract.id).entered();
    let objects =
        doc.contract.schema.iter().enumerate().map(|(i, o)| lower_object(o, format!("/schema/{i}"))).collect();
    Schema {
        source: doc.source().name().to_string(),
        record_model: RecordModel::ByNameStrict,
        expresses: Expresses::ALL,
        qualified_paths: true,
        objects,
        proto_files: Vec::new(),
        facts: Default::default(),
    }
}

fn lower_object(o: &SchemaObject, pointer: String) -> Object {
    let fields: Vec<Field> =
        o.properties.iter().enumerate().map(|(j, p)| lower_property(p, format!("{pointer}/properties/{j}"))).collect();
    let mut primary_key: Vec<(u32, usize, String)> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.primary_key_position.is_some())
        .map(|(i, f)| (f.primary_key_position.unwrap_or(u32::MAX), i, f.name.clone()))
        .collect();
    primary_key.sort();
    let mut partitioning: Vec<(u32, usize, String)> =
        fields.iter().enumerate().filter_map(|(i, f)| f.partition_position.map(|p| (p, i, f.name.clone()))).collect();
    partitioning.sort();
    Object {
        name: o.name.clone(),
        physical_name: o.physical_name.clone(),
        id: o.id.clone(),
        kind: o.physical_type.clone(),
        primary_key: primary_key.into_iter().map(|(_, _, n)| n).collect(),
        partitioning: partitioning.into_iter().map(|(_, _, n)| n).collect(),
        foreign_keys: foreign_keys(o),
        fields,
        description: o.description.clone(),
        span: o.span,
        pointer,
        tags: sorted_tags(&o.tags),
        custom_properties: custom_properties(&o.custom_properties),
        quality: quality_checks(&o.quality, None),
        json_schema: None,
    }
}

/// Foreign keys declared on the object (`from` and `to`) and on its top-level properties (`to`
/// only: `from` is the property). Other relationship types are not keys.
fn foreign_keys(o: &SchemaObject) -> Vec<ForeignKey> {
    let is_fk = |r: &&Relationship| r.relationship_type.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("foreignKey"));
    let on_object = o.relationships.iter().filter(is_fk).filter_map(|r| {
        Some(ForeignKey {
            from: r.from.as_ref()?.as_slice().to_vec(),
            to: r.to.as_ref()?.as_slice().to_vec(),
            span: r.span,
        })
    });
    let on_properties = o.properties.iter().flat_map(|p| {
        p.relationships.iter().filter(is_fk).filter_map(|r| {
            let from = match &r.from {
                Some(f) => f.as_slice().to_vec(),
                None => vec![p.name.clone()?],
            };
            Some(ForeignKey { from, to: r.to.as_ref()?.as_slice().to_vec(), span: r.span })
        })
    });
    on_object.chain(on_properties).collect()
}

fn sorted_tags(tags: &[String]) -> Vec<String> {
    let mut out = tags.to_vec();
    out.sort();
    out.dedup();
    out
}

/// `customProperties` as metadata; `default` is lowered into [`Field::default`] instead.
fn custom_properties(props: &[CustomProperty]) -> std::collections::BTreeMap<String, String> {
    props
        .iter()
        .filter(|c| c.property != "default")
        .map(|c| {
            let value = match &c.value {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            (c.property.clone(), value)
        })
        .collect()
}

/// `quality[]` as [`QualityCheck`]s; `skip` is the rule already lowered into the enum domain.
fn quality_checks(rules: &[QualityRule], skip: Option<&QualityRule>) -> Vec<QualityCheck> {
    let mut out: Vec<QualityCheck> = Vec::new();
    for (i, q) in rules.iter().enumerate() {
        if skip.is_some_and(|s| std::ptr::eq(s, q)) {
            continue;
        }
        let mut key =
            q.id.clone()
                .or_else(|| q.name.clone())
                .or_else(|| q.metric_name().map(str::to_string))
                .unwrap_or_else(|| format!("quality[{i}]"));
        if out.iter().any(|c| c.key == key) {
            key = format!("{key}#{i}");
        }
        let mut definition = serde_json::Map::new();
        let mut put = |k: &str, v: Option<Json>| {
            if let Some(v) = v.filter(|v| !v.is_null()) {
                definition.insert(k.to_string(), v);
            }
        };
        put("type", Some(Json::String(q.kind().to_string())));
        put("metric", q.metric_name().map(|m| Json::String(m.to_string())));
        put("arguments", q.arguments.clone().map(Json::Object));
        put("validValues", q.valid_values.clone().map(Json::Array));
        put("query", q.query.clone().map(|s| Json::String(s.trim().to_string())));
        put("engine", q.engine.clone().map(Json::String));
        put("implementation", q.implementation.clone());
        put("unit", q.unit.clone().map(Json::String));
        let thresholds = q.operators().into_iter().map(|(op, v)| (op.key().to_string(), v.clone())).collect();
        out.push(QualityCheck { key, definition: Json::Object(definition).to_string(), thresholds });
    }
    out
}

fn lower_property(p: &Property, pointer: String) -> Field {
    let options = p.logical_type_options.as_ref();
    let physical = p.physical_type.as_deref().and_then(parse_physical_type);
    let data_type = logical_type(p, &pointer, physical.as_ref().map(|ph| &ph.data_type));
    let mut constraints = options.map(constraints_of).unwrap_or_default();
    if constraints.max_length.is_none() && matches!(data_type, DataType::String) {
        constraints.max_length = physical.as_ref().and_then(|ph| ph.max_length);
    }
    constraints.enum_values = enum_values(p);
    let is_key = p.primary_key == Some(true);
    let mut metadata = std::collections::BTreeMap::new();
    if let Some(t) = &p.physical_type {
        metadata.insert("physicalType".to_string(), t.clone());
    }
    if let Some(t) = &p.logical_type {
        metadata.insert("logicalType".to_string(), t.clone());
    }
    Field {
        name: p.name.clone().unwrap_or_else(|| "item".into()),
        physical_name: p.physical_name.clone(),
        id: p.id.clone().map(FieldId::Name),
        data_type,
        // A primary key is never null, whatever `required` says.
        nullable: !(p.required == Some(true) || is_key),
        required: true,
        default: p.custom_properties.iter().find(|c| c.property == "default").map(|c| c.value.clone()),
        constraints,
        unique: p.unique == Some(true),
        primary_key_position: is_key.then(|| p.primary_key_position.filter(|x| *x > 0).map_or(1, |x| x as u32)),
        partition_position: (p.partitioned == Some(true))
            .then(|| p.partition_key_position.filter(|x| *x > 0).map_or(1, |x| x as u32)),
        classification: p.classification.clone(),
        description: p.description.clone(),
        aliases: Vec::new(),
        metadata,
        proto: None,
        json_schema: None,
        span: p.span,
        pointer,
        tags: sorted_tags(&p.tags),
        custom_properties: custom_properties(&p.custom_properties),
        quality: quality_checks(&p.quality, enum_rule(p)),
    }
}

fn logical_type(p: &Property, pointer: &str, physical: Option<&DataType>) -> DataType {
    let options = p.logical_type_options.as_ref();
    let format = options.and_then(|o| o.format.as_deref());
    match p.logical_type.as_deref() {
        Some("string") => match (format, physical) {
            (Some("uuid"), _) | (_, Some(DataType::Uuid)) => DataType::Uuid,
            (Some("binary" | "byte"), _) | (_, Some(DataType::Binary | DataType::FixedBinary { .. })) => {
                physical.cloned().unwrap_or(DataType::Binary)
            }
            _ => DataType::String,
        },
        Some("integer") => match format.and_then(int_format) {
            Some(t) => t,
            None => match physical {
                Some(t @ DataType::Int { .. }) => t.clone(),
                _ => DataType::Int { bits: None, signed: true },
            },
        },
        Some("number") => match format {
            Some("f32" | "float" | "float32") => DataType::float(32),
            Some("f64" | "double" | "float64") => DataType::float(64),
            Some(f) if int_format(f).is_some() => int_format(f).unwrap_or(DataType::Float { bits: None }),
            _ => match physical {
                Some(t @ (DataType::Float { .. } | DataType::Decimal { .. } | DataType::Int { .. })) => t.clone(),
                _ => DataType::Float { bits: None },
            },
        },
        Some("boolean") => DataType::Boolean,
        Some("date") => DataType::Date,
        Some("time") => match physical {
            Some(t @ DataType::Time { .. }) => t.clone(),
            _ => DataType::Time { unit: None },
        },
        Some("timestamp") => {
            let (unit, physical_tz) = match physical {
                Some(DataType::Timestamp { unit, timezone }) => (*unit, *timezone),
                _ => (None, None),
            };
            DataType::Timestamp { unit, timezone: options.and_then(|o| o.timezone).or(physical_tz) }
        }
        Some("object") => DataType::Struct(children(&p.properties, pointer)),
        Some("array") => {
            let item = match &p.items {
                Some(items) => lower_property(items, format!("{pointer}/items")),
                None => Field::new("item", DataType::Any),
            };
            DataType::List(Box::new(item))
        }
        Some("map") => {
            let map = p.map.as_deref();
            let side = |prop: Option<&Property>, name: &str| match prop {
                Some(prop) => {
                    let mut f = lower_property(prop, format!("{pointer}/map/{name}"));
                    f.name = name.into();
                    f
                }
                None => Field::new(name, DataType::Any),
            };
            DataType::Map {
                key: Box::new(side(map.and_then(|m| m.key.as_ref()), "key")),
                value: Box::new(side(map.and_then(|m| m.value.as_ref()), "value")),
            }
        }
        Some(other) => DataType::Unknown(other.to_string()),
        // No logical type: fall back to the physical type, then to nesting.
        None => match physical {
            Some(t) => t.clone(),
            None if !p.properties.is_empty() => DataType::Struct(children(&p.properties, pointer)),
            None => DataType::Unknown(p.physical_type.clone().unwrap_or_default()),
        },
    }
}

fn children(props: &[Property], pointer: &str) -> Vec<Field> {
    props.iter().enumerate().map(|(j, c)| lower_property(c, format!("{pointer}/properties/{j}"))).collect()
}

/// ODCS `logicalTypeOptions.format` for integers uses Rust names: i8…i128, u8…u128.
fn int_format(f: &str) -> Option<DataType> {
    let (signed, bits) = match f.as_bytes().first()? {
        b'i' => (true, &f[1..]),
        b'u' => (false, &f[1..]),
        _ => return None,
    };
    let bits: u8 = bits.parse().ok().filter(|b| matches!(b, 8 | 16 | 32 | 64 | 128))?;
    Some(DataType::Int { bits: Some(bits), signed })
}

fn constraints_of(o: &LogicalTypeOptions) -> Constraints {
    // v3.0 used booleans: `exclusiveMinimum: true` makes `minimum` exclusive.
    let bound = |value: &Option<Json>, exclusive: &Option<Json>| -> Option<Bound> {
        match (value, exclusive) {
            (_, Some(Json::Bool(flag))) => value.clone().map(|v| Bound { value: v, exclusive: *flag }),
            (_, Some(v)) => Some(Bound { value: v.clone(), exclusive: true }),
            (Some(v), None) => Some(Bound { value: v.clone(), exclusive: false }),
            (None, None) => None,
        }
    };
    Constraints {
        min_length: o.min_length,
        max_length: o.max_length,
        pattern: o.pattern.clone(),
        format: o.format.clone().filter(|f| int_format(f).is_none() && !matches!(f.as_str(), "f32" | "f64")),
        minimum: bound(&o.minimum, &o.exclusive_minimum),
        maximum: bound(&o.maximum, &o.exclusive_maximum),
        multiple_of: o.multiple_of,
        min_items: o.min_items,
        max_items: o.max_items,
        unique_items: o.unique_items == Some(true),
        enum_values: None,
    }
}

/// The closed domain of a property: a v3.2 `enum`, or a property-level `invalidValues` rule with
/// `validValues` that allows no invalid value.
fn enum_values(p: &Property) -> Option<Vec<Json>> {
    if !p.enum_values.is_empty() {
        return Some(p.enum_values.iter().map(|e| e.value.clone()).collect());
    }
    enum_rule(p).and_then(|q| enum_domain(q).cloned())
}

/// The property-level `invalidValues` rule that closes the domain (lowered into the enum).
fn enum_rule(p: &Property) -> Option<&QualityRule> {
    if !p.enum_values.is_empty() {
        return None;
    }
    p.quality.iter().find(|q| enum_domain(q).is_some())
}

fn enum_domain(q: &QualityRule) -> Option<&Vec<Json>> {
    let strict = q.metric_name() == Some("invalidValues") && q.must_be.as_ref().and_then(Json::as_f64) == Some(0.0);
    let values =
        q.arguments.as_ref().and_then(|a| a.get("validValues")).and_then(Json::as_array).or(q.valid_values.as_ref());
    values.filter(|_| strict)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn lower(yaml: &str) -> Schema {
        let doc = crate::odcs::load(SourceFile::new("t.yaml", yaml)).unwrap();
        lower_contract(&doc)
    }

    const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\n";

    #[test]
    fn widths_keys_nesting_and_constraints() {
        let s = lower(&format!(
            "{HEAD}schema:
  - name: orders
    physicalType: table
    properties:
      - {{name: id, logicalType: integer, logicalTypeOptions: {{format: i64}}, primaryKey: true, primaryKeyPosition: 1}}
      - {{name: amount, logicalType: number, physicalType: 'decimal(12,2)', required: true, logicalTypeOptions: {{minimum: 0}}}}
      - {{name: code, logicalType: string, physicalType: varchar(3), logicalTypeOptions: {{pattern: '^[A-Z]+$'}}}}
      - {{name: at, logicalType: timestamp, physicalType: timestamptz}}
      - {{name: day, logicalType: date, partitioned: true, partitionKeyPosition: 1}}
      - name: items
        logicalType: array
        items:
          logicalType: object
          properties:
            - {{name: sku, logicalType: string, required: true}}
      - name: status
        logicalType: string
        quality:
          - {{metric: invalidValues, arguments: {{validValues: [a, b]}}, mustBe: 0}}
"
        ));
        let o = &s.objects[0];
        assert_eq!(o.primary_key, vec!["id"]);
        assert_eq!(o.partitioning, vec!["day"]);
        let f = |n: &str| o.fields.iter().find(|f| f.name == n).unwrap();
        assert_eq!(f("id").data_type, DataType::int(64));
        assert!(!f("id").nullable, "a primary key is never null");
        assert_eq!(f("amount").data_type, DataType::Decimal { precision: Some(12), scale: Some(2) });
        assert_eq!(f("amount").constraints.minimum, Some(Bound { value: serde_json::json!(0), exclusive: false }));
        assert!(f("code").nullable);
        assert_eq!(f("code").constraints.max_length, Some(3));
        assert_eq!(f("at").data_type, DataType::Timestamp { unit: None, timezone: Some(true) });
        assert_eq!(f("items").data_type.to_string(), "list<struct<sku: string>>");
        assert_eq!(f("status").constraints.enum_values, Some(vec![serde_json::json!("a"), serde_json::json!("b")]));
        let sku = s.field(&"orders.items[].sku".parse().unwrap()).unwrap();
        assert!(!sku.nullable);
        assert_eq!(sku.pointer, "/schema/0/properties/5/items/properties/0");
        let paths: Vec<String> = s.walk().iter().map(|(p, _)| p.to_string()).collect();
        assert!(paths.contains(&"orders.items[].sku".to_string()), "{paths:?}");
    }

    #[test]
    fn v3_0_boolean_exclusive_bounds() {
        let s = lower(&format!(
            "{HEAD}schema:\n  - name: t\n    properties:\n      - {{name: x, logicalType: integer, logicalTypeOptions: {{minimum: 5, exclusiveMinimum: true}}}}\n"
        ));
        let x = &s.objects[0].fields[0];
        assert_eq!(x.constraints.minimum, Some(Bound { value: serde_json::json!(5), exclusive: true }));
    }

    #[test]
    fn every_field_of_the_example_registry_has_a_known_type_and_span() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
        let found = crate::registry::discover(&[dir]).unwrap();
        assert!(found.contracts.len() >= 5);
        for d in found.contracts {
            let doc = crate::odcs::load_document(d).unwrap();
            let schema = lower_contract(&doc);
            for (path, field) in schema.walk() {
                assert!(
                    !matches!(field.data_type, DataType::Unknown(_)),
                    "{}: {path} is {}",
                    schema.source,
                    field.data_type
                );
                assert!(!field.span.is_none(), "{path} has no span");
                assert_eq!(doc.span_of(&field.pointer), field.span, "{path}: pointer and span agree");
            }
        }
    }
}
