//! Typed ODCS v3 (3.0.x, 3.1.0, and the 3.2 draft additions) with a span on every node.
//!
//! Unknown keys are not rejected here: the official JSON Schema of the document's `apiVersion`
//! is the authority on what is allowed (see `lint::schema`), and this model keeps reading newer
//! drafts. Field names follow the standard, in snake case.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::source::Span;

/// One ODCS data contract.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Contract {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub api_version: String,
    pub kind: String,
    pub id: String,
    pub name: Option<String>,
    pub version: String,
    pub status: String,
    pub tenant: Option<String>,
    pub domain: Option<String>,
    /// Deprecated since v3.1.0.
    pub data_product: Option<String>,
    pub tags: Vec<String>,
    pub description: Option<Description>,
    pub servers: Vec<Server>,
    pub schema: Vec<SchemaObject>,
    pub support: Vec<SupportChannel>,
    pub price: Option<Pricing>,
    pub team: Option<Team>,
    pub roles: Vec<Role>,
    /// Deprecated since v3.1.0.
    pub sla_default_element: Option<String>,
    pub sla_properties: Vec<SlaProperty>,
    pub authoritative_definitions: Vec<AuthoritativeDefinition>,
    pub custom_properties: Vec<CustomProperty>,
    pub contract_created_ts: Option<String>,
    /// v3.2 draft.
    pub context: Option<Json>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Description {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub usage: Option<String>,
    pub purpose: Option<String>,
    pub limitations: Option<String>,
    pub authoritative_definitions: Vec<AuthoritativeDefinition>,
    pub custom_properties: Vec<CustomProperty>,
}

/// Where the data physically lives. Type-specific connection fields are the union over all
/// ODCS server types; the JSON Schema checks which belong to which type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Server {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    pub server: String,
    #[serde(rename = "type")]
    pub server_type: String,
    pub description: Option<String>,
    pub environment: Option<String>,
    pub roles: Vec<Role>,
    pub custom_properties: Vec<CustomProperty>,
    pub host: Option<String>,
    pub port: Option<i64>,
    pub database: Option<String>,
    pub schema: Option<String>,
    pub catalog: Option<String>,
    pub project: Option<String>,
    pub dataset: Option<String>,
    pub account: Option<String>,
    pub warehouse: Option<String>,
    pub location: Option<String>,
    pub path: Option<String>,
    pub format: Option<String>,
    pub delimiter: Option<String>,
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub region_name: Option<String>,
    pub staging_dir: Option<String>,
    pub service_name: Option<String>,
    pub stream: Option<String>,
}

/// A table, view, topic or document: a top-level element of `schema`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SchemaObject {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    pub name: String,
    pub physical_name: Option<String>,
    pub physical_type: Option<String>,
    pub logical_type: Option<String>,
    pub description: Option<String>,
    pub business_name: Option<String>,
    pub data_granularity_description: Option<String>,
    pub properties: Vec<Property>,
    pub relationships: Vec<Relationship>,
    pub quality: Vec<QualityRule>,
    pub authoritative_definitions: Vec<AuthoritativeDefinition>,
    pub tags: Vec<String>,
    pub custom_properties: Vec<CustomProperty>,
}

/// A column or field. Nesting: `properties` for objects, `items` for arrays, `map` (v3.2) for maps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Property {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    /// Absent only on `items` of an array.
    pub name: Option<String>,
    pub physical_name: Option<String>,
    pub physical_type: Option<String>,
    pub logical_type: Option<String>,
    pub logical_type_options: Option<LogicalTypeOptions>,
    pub description: Option<String>,
    pub business_name: Option<String>,
    pub required: Option<bool>,
    pub unique: Option<bool>,
    pub primary_key: Option<bool>,
    pub primary_key_position: Option<i64>,
    pub partitioned: Option<bool>,
    pub partition_key_position: Option<i64>,
    pub classification: Option<String>,
    pub encrypted_name: Option<String>,
    pub critical_data_element: Option<bool>,
    pub transform_source_objects: Vec<String>,
    pub transform_logic: Option<String>,
    pub transform_description: Option<String>,
    pub examples: Vec<Json>,
    pub relationships: Vec<Relationship>,
    pub quality: Vec<QualityRule>,
    pub items: Option<Box<Property>>,
    pub properties: Vec<Property>,
    /// v3.2 draft: `logicalType: map`.
    pub map: Option<Box<MapType>>,
    /// v3.2 draft: allowed values.
    #[serde(rename = "enum")]
    pub enum_values: Vec<EnumValue>,
    /// v3.2 draft.
    pub semantic_type: Option<String>,
    pub authoritative_definitions: Vec<AuthoritativeDefinition>,
    pub tags: Vec<String>,
    pub custom_properties: Vec<CustomProperty>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MapType {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub key: Option<Property>,
    pub value: Option<Property>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnumValue {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub value: Json,
    pub label: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
}

/// `logicalTypeOptions`. Bounds are [`Json`] because their type depends on the logical type
/// (numbers for numeric types, ISO strings for dates), and v3.0 used booleans for
/// `exclusiveMinimum`/`exclusiveMaximum` (meaning "the minimum/maximum is exclusive").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LogicalTypeOptions {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub format: Option<String>,
    pub pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<Json>,
    pub maximum: Option<Json>,
    pub exclusive_minimum: Option<Json>,
    pub exclusive_maximum: Option<Json>,
    pub multiple_of: Option<f64>,
    pub timezone: Option<bool>,
    pub default_timezone: Option<String>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: Option<bool>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub required: Vec<String>,
}

/// A foreign key: at property level only `to` (the `from` is the property itself).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Relationship {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    #[serde(rename = "type")]
    pub relationship_type: Option<String>,
    pub from: Option<References>,
    pub to: Option<References>,
    pub custom_properties: Vec<CustomProperty>,
}

/// One reference (`orders.customer_id`, or `schema/orders_tbl/properties/customer_id`) or a
/// list of them for composite keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum References {
    One(String),
    Many(Vec<String>),
}

impl References {
    pub fn as_slice(&self) -> &[String] {
        match self {
            References::One(s) => std::slice::from_ref(s),
            References::Many(v) => v,
        }
    }
}

/// A data-quality rule (`quality[]` at object or property level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QualityRule {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `library` (the default when `metric` is present), `sql`, `custom` or `text`.
    #[serde(rename = "type")]
    pub rule_type: Option<String>,
    pub dimension: Option<String>,
    pub method: Option<String>,
    pub severity: Option<String>,
    pub business_impact: Option<String>,
    pub schedule: Option<String>,
    pub scheduler: Option<String>,
    /// `rows` or `percent`.
    pub unit: Option<String>,
    pub metric: Option<String>,
    /// Deprecated since v3.1.0 (v3.0 name of `metric`).
    pub rule: Option<String>,
    pub arguments: Option<serde_json::Map<String, Json>>,
    /// v3.0 `validValues` on library rules.
    pub valid_values: Option<Vec<Json>>,
    pub query: Option<String>,
    pub engine: Option<String>,
    pub implementation: Option<Json>,
    pub must_be: Option<Json>,
    pub must_not_be: Option<Json>,
    pub must_be_greater_than: Option<Json>,
    pub must_be_greater_or_equal_to: Option<Json>,
    pub must_be_less_than: Option<Json>,
    pub must_be_less_or_equal_to: Option<Json>,
    pub must_be_between: Option<Json>,
    pub must_not_be_between: Option<Json>,
    pub tags: Vec<String>,
    pub custom_properties: Vec<CustomProperty>,
    pub authoritative_definitions: Vec<AuthoritativeDefinition>,
}

/// A comparison a measured value must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    MustBe,
    MustNotBe,
    MustBeGreaterThan,
    MustBeGreaterOrEqualTo,
    MustBeLessThan,
    MustBeLessOrEqualTo,
    MustBeBetween,
    MustNotBeBetween,
}

impl Operator {
    pub const ALL: [Operator; 8] = [
        Operator::MustBe,
        Operator::MustNotBe,
        Operator::MustBeGreaterThan,
        Operator::MustBeGreaterOrEqualTo,
        Operator::MustBeLessThan,
        Operator::MustBeLessOrEqualTo,
        Operator::MustBeBetween,
        Operator::MustNotBeBetween,
    ];

    /// The ODCS key.
    pub fn key(self) -> &'static str {
        match self {
            Operator::MustBe => "mustBe",
            Operator::MustNotBe => "mustNotBe",
            Operator::MustBeGreaterThan => "mustBeGreaterThan",
            Operator::MustBeGreaterOrEqualTo => "mustBeGreaterOrEqualTo",
            Operator::MustBeLessThan => "mustBeLessThan",
            Operator::MustBeLessOrEqualTo => "mustBeLessOrEqualTo",
            Operator::MustBeBetween => "mustBeBetween",
            Operator::MustNotBeBetween => "mustNotBeBetween",
        }
    }

    pub fn is_range(self) -> bool {
        matches!(self, Operator::MustBeBetween | Operator::MustNotBeBetween)
    }
}

impl QualityRule {
    /// The operators this rule sets, with their values, in ODCS order.
    pub fn operators(&self) -> Vec<(Operator, &Json)> {
        let slots = [
            &self.must_be,
            &self.must_not_be,
            &self.must_be_greater_than,
            &self.must_be_greater_or_equal_to,
            &self.must_be_less_than,
            &self.must_be_less_or_equal_to,
            &self.must_be_between,
            &self.must_not_be_between,
        ];
        Operator::ALL.into_iter().zip(slots).filter_map(|(op, v)| v.as_ref().map(|v| (op, v))).collect()
    }

    /// The effective rule type: ODCS treats a rule with a `metric` (or v3.0 `rule`) as `library`.
    pub fn kind(&self) -> &str {
        match self.rule_type.as_deref() {
            Some(t) => t,
            None if self.metric.is_some() || self.rule.is_some() => "library",
            None => "library",
        }
    }

    /// The metric, reading the v3.0 `rule` key when `metric` is absent.
    pub fn metric_name(&self) -> Option<&str> {
        self.metric.as_deref().or(self.rule.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SupportChannel {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    pub channel: String,
    pub url: Option<String>,
    pub description: Option<String>,
    pub tool: Option<String>,
    /// `interactive`, `announcements`, `issues`, `notifications`.
    pub scope: Option<String>,
    pub invitation_url: Option<String>,
    pub custom_properties: Vec<CustomProperty>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Pricing {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    pub price_amount: Option<f64>,
    pub price_currency: Option<String>,
    pub price_unit: Option<String>,
}

/// The team: v3.1 object form, or the deprecated v3.0 list of members.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Team {
    Object(TeamObject),
    /// Deprecated since v3.1.0.
    Members(Vec<TeamMember>),
}

impl Team {
    pub fn members(&self) -> &[TeamMember] {
        match self {
            Team::Object(t) => &t.members,
            Team::Members(m) => m,
        }
    }
}

// Hand-written so errors inside either form keep their location (serde's untagged enums
// buffer the input and lose it).
impl<'de> Deserialize<'de> for Team {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Team;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a team mapping or a list of team members")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Team, A::Error> {
                TeamObject::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Team::Object)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Team, A::Error> {
                Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Team::Members)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TeamObject {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub members: Vec<TeamMember>,
    pub tags: Vec<String>,
    pub custom_properties: Vec<CustomProperty>,
    pub authoritative_definitions: Vec<AuthoritativeDefinition>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TeamMember {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub role: Option<String>,
    pub date_in: Option<String>,
    pub date_out: Option<String>,
    pub replaced_by_username: Option<String>,
    pub tags: Vec<String>,
    pub custom_properties: Vec<CustomProperty>,
    pub authoritative_definitions: Vec<AuthoritativeDefinition>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Role {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    pub role: String,
    pub description: Option<String>,
    pub access: Option<String>,
    pub first_level_approvers: Option<String>,
    pub second_level_approvers: Option<String>,
    pub custom_properties: Vec<CustomProperty>,
}

/// A service-level agreement (`slaProperties[]`): latency, retention, frequency, …
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SlaProperty {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    pub property: String,
    pub value: Option<Json>,
    pub value_ext: Option<Json>,
    pub unit: Option<String>,
    pub element: Option<String>,
    pub driver: Option<String>,
    pub description: Option<String>,
    pub scheduler: Option<String>,
    pub schedule: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthoritativeDefinition {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub definition_type: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
}

/// `customProperties[]`: where contrakt's own extensions live too (ODCS v3.1 forbids unknown keys).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomProperty {
    #[serde(rename = "$span", skip_serializing)]
    pub span: Span,
    pub id: Option<String>,
    pub property: String,
    pub value: Json,
    pub description: Option<String>,
}
