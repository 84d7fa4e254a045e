//! Schema IR → ODCS v3.1 contract: the inverse of `contrakt_core::ir::lower_contract`.
//!
//! Every choice here is made so that lowering the written contract gives the IR back: widths
//! go in `logicalTypeOptions.format` (Rust integer names, `f32`/`f64`), everything a logical
//! type cannot carry (decimal precision, time units, fixed sizes, uuid, binary) in a
//! `physicalType` that `parse_physical_type` reads back to the same type, and closed value
//! domains in the `invalidValues` rule the lowering recognises (ODCS v3.1 has no `enum`).

use serde_json::{Map, Value as Json, json};

use contrakt_core::ir::parse_physical_type;
use contrakt_core::ir::{Bound, DataType, Field, FieldId, ForeignKey, Object, QualityCheck, Schema, TimeUnit};

/// How to head the contract.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The contract `id`; default `urn:contrakt:imported:<name>`.
    pub id: Option<String>,
    /// The contract `name`; default the source file's stem.
    pub name: Option<String>,
}

/// A contract drafted from a schema, and what the schema said that ODCS v3.1 cannot.
#[derive(Debug, Clone)]
pub struct Imported {
    pub contract: Json,
    /// One line per loss, naming the path (`orders.payload: union<…> kept as physicalType`).
    pub warnings: Vec<String>,
}

impl Imported {
    pub fn to_yaml(&self) -> String {
        contrakt_core::document::to_yaml(&self.contract)
    }
}

/// Drafts an ODCS v3.1 contract from a schema.
pub fn import(schema: &Schema, options: &ImportOptions) -> Imported {
    let name = options.name.clone().unwrap_or_else(|| stem(&schema.source));
    let id = options.id.clone().unwrap_or_else(|| format!("urn:contrakt:imported:{name}"));
    let mut warnings = Vec::new();
    let objects: Vec<Json> = schema.objects.iter().map(|o| object(o, &mut warnings)).collect();
    let mut c = Map::new();
    c.insert("apiVersion".into(), json!("v3.1.0"));
    c.insert("kind".into(), json!("DataContract"));
    c.insert("id".into(), json!(id));
    c.insert("name".into(), json!(name));
    c.insert("version".into(), json!("1.0.0"));
    c.insert("status".into(), json!("draft"));
    c.insert(
        "description".into(),
        json!({"purpose": format!("Drafted by `contrakt import` from {}.", file_name(&schema.source))}),
    );
    c.insert("schema".into(), Json::Array(objects));
    Imported { contract: Json::Object(c), warnings }
}

/// `fixtures/orders.v1.schema.json` → `orders.v1`; the name a contract gets by default.
fn stem(source: &str) -> String {
    let file = file_name(source);
    let stem = [".schema.json", ".odcs.yaml", ".avsc", ".proto", ".sql", ".json", ".parquet", ".arrow", ".yaml"]
        .iter()
        .find_map(|ext| file.strip_suffix(ext))
        .unwrap_or(file);
    if stem.is_empty() { "imported".to_string() } else { stem.to_string() }
}

fn file_name(source: &str) -> &str {
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

fn object(o: &Object, warnings: &mut Vec<String>) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(o.name));
    if let Some(id) = o.id.as_ref().filter(|id| is_stable_id(id)) {
        m.insert("id".into(), json!(id));
    }
    if let Some(p) = &o.physical_name {
        m.insert("physicalName".into(), json!(p));
    }
    m.insert("physicalType".into(), json!(o.kind.as_deref().unwrap_or("table")));
    m.insert("logicalType".into(), json!("object"));
    if let Some(d) = &o.description {
        m.insert("description".into(), json!(d));
    }
    put_metadata(&mut m, &o.tags, &o.custom_properties, None);
    // Single-column keys go on their property; composite ones on the object.
    let (single, composite): (Vec<&ForeignKey>, Vec<&ForeignKey>) =
        o.foreign_keys.iter().partition(|k| k.from.len() == 1 && k.to.len() == 1);
    let mut ctx = Ctx { warnings, single_keys: &single, optional: Vec::new() };
    let props: Vec<Json> = o.fields.iter().map(|f| ctx.property(f, &o.name, true)).collect();
    if !ctx.optional.is_empty() {
        let n = ctx.optional.len();
        let some: Vec<&str> = ctx.optional.iter().take(3).map(String::as_str).collect();
        ctx.warnings.push(format!(
            "{}: {n} properties may be absent in the source ({}{}); ODCS properties are always present",
            o.name,
            some.join(", "),
            if n > 3 { ", …" } else { "" }
        ));
    }
    m.insert("properties".into(), Json::Array(props));
    let relationships: Vec<Json> = composite
        .iter()
        .filter(|k| {
            let ok = k.to.iter().all(|t| is_shorthand(t)) && k.from.iter().all(|f| is_identifier(f));
            if !ok {
                ctx.warnings.push(format!(
                    "{}: foreign key ({}) → ({}) is not in `table.column` form; left out",
                    o.name,
                    k.from.join(", "),
                    k.to.join(", ")
                ));
            }
            ok
        })
        .map(|k| {
            let from: Vec<String> = k.from.iter().map(|f| format!("{}.{f}", o.name)).collect();
            json!({"type": "foreignKey", "from": from, "to": k.to})
        })
        .collect();
    if !relationships.is_empty() {
        m.insert("relationships".into(), Json::Array(relationships));
    }
    if !o.quality.is_empty() {
        m.insert("quality".into(), Json::Array(o.quality.iter().map(quality).collect()));
    }
    Json::Object(m)
}

struct Ctx<'a> {
    warnings: &'a mut Vec<String>,
    single_keys: &'a [&'a ForeignKey],
    /// Properties the source lets be absent (ODCS properties are always present).
    optional: Vec<String>,
}

/// What a property's type becomes: `logicalType`, the width `format`, and the `physicalType`.
struct TypeSpelling {
    logical: Option<&'static str>,
    format: Option<String>,
    physical: Option<String>,
}

impl Ctx<'_> {
    /// One property; `top` is true for the object's own columns (keys and relationships live
    /// there only).
    fn property(&mut self, f: &Field, path: &str, top: bool) -> Json {
        let path = format!("{path}.{}", f.name);
        let mut m = Map::new();
        m.insert("name".into(), json!(f.name));
        if let Some(FieldId::Name(id)) = f.id.as_ref().filter(|_| top)
            && is_stable_id(id)
        {
            m.insert("id".into(), json!(id));
        }
        if let Some(p) = &f.physical_name {
            m.insert("physicalName".into(), json!(p));
        }
        if !f.required {
            self.optional.push(f.name.clone());
        }
        if let Some(check) = f.metadata.get("check") {
            self.warnings.push(format!("{path}: CHECK ({check}) is not translated into a quality rule"));
        }
        if let Some(oneof) = f.metadata.get("oneof") {
            self.warnings.push(format!("{path}: oneof `{oneof}` has no ODCS spelling; written as a plain property"));
        }
        if matches!(f.data_type, DataType::String) && f.constraints.format.as_deref() == Some("uuid") {
            self.warnings.push(format!("{path}: a string with format uuid reads as the uuid type in ODCS"));
        }
        let spelling = self.spell(f, &path);
        if let Some(l) = spelling.logical {
            m.insert("logicalType".into(), json!(l));
        }
        if let Some(p) = &spelling.physical {
            m.insert("physicalType".into(), json!(p));
        }
        if let Some(d) = &f.description {
            m.insert("description".into(), json!(d));
        }
        if !f.nullable {
            m.insert("required".into(), json!(true));
        }
        if f.unique {
            m.insert("unique".into(), json!(true));
        }
        if let Some(pos) = f.primary_key_position {
            m.insert("primaryKey".into(), json!(true));
            m.insert("primaryKeyPosition".into(), json!(pos));
        }
        if let Some(pos) = f.partition_position {
            m.insert("partitioned".into(), json!(true));
            m.insert("partitionKeyPosition".into(), json!(pos));
        }
        if let Some(c) = &f.classification {
            m.insert("classification".into(), json!(c));
        }
        let options = self.options(f, &spelling, &path);
        if !options.is_empty() {
            m.insert("logicalTypeOptions".into(), Json::Object(options));
        }
        match &f.data_type {
            DataType::Struct(children) => {
                let props: Vec<Json> = children.iter().map(|c| self.property(c, &path, false)).collect();
                m.insert("properties".into(), Json::Array(props));
            }
            DataType::List(item) => {
                let mut item = self.property(item, &format!("{path}[]"), false);
                // Items are anonymous in ODCS (`items:` has no name of its own to keep).
                if let Some(obj) = item.as_object_mut() {
                    obj.remove("name");
                }
                m.insert("items".into(), item);
            }
            _ => {}
        }
        if top {
            let relationships: Vec<Json> = self
                .single_keys
                .iter()
                .filter(|k| k.from[0] == f.name)
                .filter(|k| {
                    let ok = is_shorthand(&k.to[0]);
                    if !ok {
                        self.warnings.push(format!(
                            "{path}: foreign key to `{}` is not in `table.column` form; left out",
                            k.to[0]
                        ));
                    }
                    ok
                })
                .map(|k| json!({"type": "foreignKey", "to": k.to[0]}))
                .collect();
            if !relationships.is_empty() {
                m.insert("relationships".into(), Json::Array(relationships));
            }
        }
        put_metadata(&mut m, &f.tags, &f.custom_properties, f.default.as_ref());
        let mut rules: Vec<Json> = Vec::new();
        let symbols = match &f.data_type {
            DataType::Enum { symbols, .. } => Some(symbols.iter().map(|s| json!(s)).collect::<Vec<_>>()),
            _ => None,
        };
        if let Some(values) = f.constraints.enum_values.as_ref().or(symbols.as_ref()) {
            rules.push(json!({
                "name": format!("{} has a known value", f.name),
                "type": "library",
                "metric": "invalidValues",
                "arguments": {"validValues": values},
                "mustBe": 0,
            }));
        }
        rules.extend(f.quality.iter().map(quality));
        if !rules.is_empty() {
            m.insert("quality".into(), Json::Array(rules));
        }
        Json::Object(m)
    }

    fn spell(&mut self, f: &Field, path: &str) -> TypeSpelling {
        let written = f.metadata.get("physicalType").filter(|p| {
            // Keep the source's own spelling (`VARCHAR(5)`) when it reads back the same.
            parse_physical_type(p).is_some_and(|ph| {
                ph.data_type == f.data_type && (ph.max_length.is_none() || ph.max_length == f.constraints.max_length)
            })
        });
        let t = |logical, format: Option<&str>, physical: Option<String>| TypeSpelling {
            logical,
            format: format.map(str::to_string),
            physical: written.cloned().or(physical),
        };
        match &f.data_type {
            DataType::Boolean => t(Some("boolean"), None, Some("boolean".into())),
            DataType::Int { bits: Some(b), signed } => {
                let format = format!("{}{b}", if *signed { 'i' } else { 'u' });
                let physical = match (b, signed) {
                    (8, true) => Some("tinyint"),
                    (16, true) => Some("smallint"),
                    (32, true) => Some("integer"),
                    (64, true) => Some("bigint"),
                    (128, true) => Some("hugeint"),
                    (8, false) => Some("utinyint"),
                    (16, false) => Some("usmallint"),
                    (32, false) => Some("uinteger"),
                    (64, false) => Some("ubigint"),
                    _ => None,
                };
                if !matches!(b, 8 | 16 | 32 | 64 | 128) {
                    self.warnings.push(format!("{path}: {b}-bit integers have no ODCS format; written as integer"));
                    return t(Some("integer"), None, None);
                }
                t(Some("integer"), Some(&format), physical.map(str::to_string))
            }
            DataType::Int { bits: None, signed } => {
                if !signed {
                    self.warnings.push(format!("{path}: an unsigned integer of unknown width is written as integer"));
                }
                t(Some("integer"), None, None)
            }
            DataType::Float { bits: Some(32) } => t(Some("number"), Some("f32"), Some("real".into())),
            DataType::Float { bits: Some(64) } => t(Some("number"), Some("f64"), Some("double".into())),
            DataType::Float { bits } => {
                if let Some(b) = bits {
                    self.warnings.push(format!("{path}: {b}-bit floats have no ODCS format; written as number"));
                }
                t(Some("number"), None, None)
            }
            DataType::Decimal { precision, scale } => {
                let physical = match (precision, scale) {
                    (Some(p), Some(s)) if *s >= 0 => format!("decimal({p},{s})"),
                    (Some(p), _) => {
                        if scale.is_some() {
                            self.warnings.push(format!("{path}: a negative decimal scale is not kept"));
                        }
                        format!("decimal({p})")
                    }
                    (None, s) => {
                        if s.is_some() {
                            self.warnings.push(format!("{path}: a decimal scale without precision is not kept"));
                        }
                        "decimal".to_string()
                    }
                };
                // `decimal(p)` reads back with scale 0; say so only when the source did.
                if precision.is_some() && scale.is_none() {
                    self.warnings.push(format!("{path}: decimal without a scale reads back with scale 0"));
                }
                t(Some("number"), None, Some(physical))
            }
            DataType::String => {
                let physical = match f.constraints.max_length {
                    Some(n) => format!("varchar({n})"),
                    None => "string".to_string(),
                };
                t(Some("string"), None, Some(physical))
            }
            DataType::Binary => t(Some("string"), None, Some("bytes".into())),
            DataType::FixedBinary { size } => t(Some("string"), None, Some(format!("binary({size})"))),
            DataType::Uuid => t(Some("string"), None, Some("uuid".into())),
            DataType::Date => t(Some("date"), None, Some("date".into())),
            DataType::Time { unit } => {
                let physical = match unit {
                    Some(u) => format!("time({})", precision(*u)),
                    None => "time".to_string(),
                };
                t(Some("time"), None, Some(physical))
            }
            DataType::Timestamp { unit, timezone } => {
                let p = unit.map(|u| format!("({})", precision(u))).unwrap_or_default();
                let physical = match timezone {
                    Some(true) => Some(format!("timestamp{p} with time zone")),
                    Some(false) => Some(format!("timestamp{p}")),
                    // A physical timestamp type always says whether it has a zone.
                    None => {
                        if unit.is_some() {
                            self.warnings.push(format!(
                                "{path}: a timestamp unit without a time-zone choice has no ODCS spelling; left out"
                            ));
                        }
                        None
                    }
                };
                TypeSpelling {
                    logical: Some("timestamp"),
                    format: None,
                    physical: if timezone.is_some() { written.cloned().or(physical) } else { None },
                }
            }
            // No logical type says these; the lowering falls back to the physical type.
            DataType::Duration => t(None, None, Some("interval".into())),
            DataType::Any => t(None, None, Some("json".into())),
            DataType::Struct(_) => TypeSpelling { logical: Some("object"), format: None, physical: None },
            DataType::List(_) => TypeSpelling { logical: Some("array"), format: None, physical: None },
            DataType::Map { key, value } => {
                if !value.nullable || !value.data_type.children().is_empty() {
                    self.warnings.push(format!(
                        "{path}: a map is only a physicalType in ODCS v3.1; its values' nullability and fields are not kept"
                    ));
                }
                match (physical_spelling(&key.data_type), physical_spelling(&value.data_type)) {
                    (Some(k), Some(v)) => {
                        TypeSpelling { logical: None, format: None, physical: Some(format!("map<{k},{v}>")) }
                    }
                    _ => {
                        self.warnings.push(format!(
                            "{path}: {} has no exact ODCS v3.1 spelling; written as its physicalType text",
                            f.data_type
                        ));
                        TypeSpelling { logical: None, format: None, physical: Some(f.data_type.to_string()) }
                    }
                }
            }
            // The symbols become the closed domain (see `property`).
            DataType::Enum { .. } => {
                self.warnings.push(format!("{path}: an enum type is written as a string with a closed domain"));
                t(Some("string"), None, Some("string".into()))
            }
            DataType::Null | DataType::Union(_) | DataType::Unknown(_) => {
                self.warnings.push(format!("{path}: {} has no ODCS v3.1 type; kept as physicalType text", f.data_type));
                let text = match &f.data_type {
                    DataType::Unknown(s) if !s.is_empty() => s.clone(),
                    other => other.to_string(),
                };
                TypeSpelling { logical: None, format: None, physical: Some(text) }
            }
        }
    }

    /// `logicalTypeOptions`: only the keys ODCS v3.1 allows for the logical type written, so the
    /// contract lints; anything else becomes a warning.
    fn options(&mut self, f: &Field, spelling: &TypeSpelling, path: &str) -> Map<String, Json> {
        let c = &f.constraints;
        let mut m = Map::new();
        let mut lost: Vec<&str> = Vec::new();
        let logical = spelling.logical.unwrap_or("");
        let numeric = matches!(logical, "integer" | "number");
        let temporal = matches!(logical, "date" | "time" | "timestamp");
        let is_string = logical == "string";
        if let Some(format) = &spelling.format {
            m.insert("format".into(), json!(format));
        }
        if let Some(format) = &c.format {
            if is_string || temporal {
                m.insert("format".into(), json!(format));
            } else {
                lost.push("format");
            }
        }
        for (key, value) in [("minLength", c.min_length), ("maxLength", c.max_length)] {
            // `varchar(n)` already says the maximum; say it in options too, for readers of ODCS.
            if let Some(v) = value {
                if is_string {
                    m.insert(key.into(), json!(v));
                } else {
                    lost.push(key);
                }
            }
        }
        if let Some(p) = &c.pattern {
            if is_string {
                m.insert("pattern".into(), json!(p));
            } else {
                lost.push("pattern");
            }
        }
        for (key, exclusive_key, bound) in
            [("minimum", "exclusiveMinimum", &c.minimum), ("maximum", "exclusiveMaximum", &c.maximum)]
        {
            let Some(Bound { value, exclusive }) = bound else { continue };
            let fits = (numeric && value.is_number()) || (temporal && value.is_string());
            if !fits {
                lost.push(key);
                continue;
            }
            m.insert(if *exclusive { exclusive_key } else { key }.into(), value.clone());
        }
        if let Some(x) = c.multiple_of {
            if numeric && x > 0.0 {
                m.insert("multipleOf".into(), number(x));
            } else {
                lost.push("multipleOf");
            }
        }
        let array = logical == "array";
        for (key, value) in [("minItems", c.min_items), ("maxItems", c.max_items)] {
            if let Some(v) = value {
                if array {
                    m.insert(key.into(), json!(v));
                } else {
                    lost.push(key);
                }
            }
        }
        if c.unique_items {
            if array {
                m.insert("uniqueItems".into(), json!(true));
            } else {
                lost.push("uniqueItems");
            }
        }
        if let DataType::Timestamp { timezone: Some(tz), .. } = f.data_type {
            m.insert("timezone".into(), json!(tz));
        }
        if !lost.is_empty() {
            self.warnings.push(format!(
                "{path}: ODCS v3.1 has no {} for a {} property; left out",
                lost.join(", "),
                f.data_type
            ));
        }
        m
    }
}

/// The `physicalType` spelling of a primitive type inside `map<…>`, if it reads back the same.
fn physical_spelling(t: &DataType) -> Option<String> {
    let s = match t {
        DataType::Boolean => "boolean".to_string(),
        DataType::Int { bits: Some(8), signed: true } => "tinyint".into(),
        DataType::Int { bits: Some(16), signed: true } => "smallint".into(),
        DataType::Int { bits: Some(32), signed: true } => "int".into(),
        DataType::Int { bits: Some(64), signed: true } => "bigint".into(),
        DataType::Float { bits: Some(32) } => "real".into(),
        DataType::Float { bits: Some(64) } => "double".into(),
        DataType::String => "string".into(),
        DataType::Binary => "bytes".into(),
        DataType::Uuid => "uuid".into(),
        DataType::Date => "date".into(),
        DataType::Decimal { precision: Some(p), scale: Some(s) } if *s >= 0 => format!("decimal({p},{s})"),
        DataType::Timestamp { unit: None, timezone: Some(true) } => "timestamptz".into(),
        DataType::Timestamp { unit: None, timezone: Some(false) } => "timestamp".into(),
        DataType::Any => "json".into(),
        DataType::List(item) => format!("array<{}>", physical_spelling(&item.data_type)?),
        DataType::Map { key, value } => {
            format!("map<{},{}>", physical_spelling(&key.data_type)?, physical_spelling(&value.data_type)?)
        }
        _ => return None,
    };
    // Never write a spelling the lowering would read differently.
    (parse_physical_type(&s)?.data_type == *t).then_some(s)
}

/// Fractional-second digits of a time unit, as SQL writes them (`timestamp(3)`).
fn precision(u: TimeUnit) -> u8 {
    match u {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    }
}

/// Whole numbers stay integers (`multipleOf: 5`, not `5.0`).
fn number(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() < 9.0e15 { json!(x as i64) } else { json!(x) }
}

/// `tags` and `customProperties`; `default` rides in `customProperties` as the lowering reads it.
fn put_metadata(
    m: &mut Map<String, Json>,
    tags: &[String],
    custom: &std::collections::BTreeMap<String, String>,
    default: Option<&Json>,
) {
    if !tags.is_empty() {
        m.insert("tags".into(), json!(tags));
    }
    let mut props: Vec<Json> = custom
        .iter()
        .map(|(k, v)| {
            // The lowering keeps non-string values as compact JSON; read them back as values.
            let value = serde_json::from_str::<Json>(v).ok().filter(|j| !j.is_string()).unwrap_or(json!(v));
            json!({"property": k, "value": value})
        })
        .collect();
    if let Some(d) = default {
        props.push(json!({"property": "default", "value": d}));
    }
    if !props.is_empty() {
        m.insert("customProperties".into(), Json::Array(props));
    }
}

/// A quality check as the rule it was lowered from: its definition plus its thresholds.
fn quality(q: &QualityCheck) -> Json {
    let mut m = match serde_json::from_str::<Json>(&q.definition) {
        Ok(Json::Object(m)) => m,
        _ => Map::new(),
    };
    // The key is the rule's identity; a metric name or a position is not worth writing.
    let metric = m.get("metric").and_then(Json::as_str);
    if metric != Some(q.key.as_str()) && !q.key.starts_with("quality[") {
        let mut named = Map::new();
        named.insert("name".into(), json!(q.key));
        named.extend(m);
        m = named;
    }
    for (op, v) in &q.thresholds {
        m.insert(op.clone(), v.clone());
    }
    Json::Object(m)
}

/// ODCS `StableId`: letters, digits, `_` and `-`.
fn is_stable_id(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// ODCS `ShorthandReference`: `table.column`.
fn is_shorthand(s: &str) -> bool {
    s.split_once('.').is_some_and(|(t, c)| is_identifier(t) && is_identifier(c))
}
