//! The breaking-change rule catalog (`design/breaking-rules.md` §10.4). Each rule has a stable
//! code and slug, its default verdict per direction, the level it reports at when it breaks
//! the checked mode, anchors in peer tools, and a doc page.

use crate::diagnostic::Level;

/// A rule's default verdict in one direction. `Depends` means the detector decides from the
/// format's reader semantics or the type lattice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Compatible,
    Breaking,
    Depends,
}

#[derive(Debug)]
pub struct BreakingRule {
    pub code: &'static str,
    pub slug: &'static str,
    pub summary: &'static str,
    /// BACKWARD: a reader of the new schema reads data written under the old one.
    pub backward: Verdict,
    /// FORWARD: a reader of the old schema (today's consumers) reads data written under the new one.
    pub forward: Verdict,
    /// The level when the change breaks a direction the mode checks; compatible changes report as info.
    pub level: Level,
    /// Names of the same check in peer tools (Confluent, Avro, buf, dbt, datacontract-cli).
    pub aliases: &'static [&'static str],
    /// Markdown with `## What it does`, `## Why it breaks consumers`, `## Example`, `## How to evolve safely`.
    pub docs: &'static str,
}

use Verdict::{Breaking as X, Compatible as V, Depends as D};

macro_rules! catalog {
    ($($ident:ident = $code:literal $slug:literal [$b:ident $f:ident] $level:ident, $summary:literal, [$($alias:literal),*], $docs:literal;)*) => {
        $(pub static $ident: BreakingRule = BreakingRule {
            code: $code, slug: $slug, summary: $summary, backward: $b, forward: $f,
            level: Level::$level, aliases: &[$($alias),*], docs: $docs,
        };)*
        /// Every breaking-change rule, in catalog order.
        pub static CATALOG: &[&BreakingRule] = &[$(&$ident),*];
    };
}

catalog! {
    FIELD_ADDED_OPTIONAL = "F001" "field-added-optional" [V V] Info,
        "A nullable (or defaulted) field was added.",
        ["PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "FIELD_ADDED", "field_added"],
        "## What it does\nReports a new field that may be null or has a default.\n\n## Why it breaks consumers\nIt does not: today's readers ignore a column they do not select, and readers of old data see nulls (or the default).\n\n## Example\n```yaml\n# added\n- {name: gift_message, logicalType: string, required: false}\n```\n\n## How to evolve safely\nThis is the safe way to add data.\n";
    FIELD_ADDED_REQUIRED = "F002" "field-added-required" [X D] Error,
        "A non-nullable field without a default was added.",
        ["REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "READER_FIELD_MISSING_DEFAULT_VALUE", "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "REQUIRED_FIELD_ADDED", "field_added"],
        "## What it does\nReports a new field that must not be null and has no default.\n\n## Why it breaks consumers\nData written before the change has no value for it, so a reader of the new schema cannot read history (BACKWARD). Protobuf `required` fields (proto2) break FORWARD too: the set of required fields is fixed for the life of a message (\"required is forever\"), and Confluent and buf reject adding one in either direction.\n\n## Example\n```yaml\n- {name: vat_rate, logicalType: number, required: true}   # added\n```\n\n## How to evolve safely\nAdd it as nullable, or with a default, backfill, then tighten in a later version.\n";
    FIELD_ADDED_REQUIRED_WITH_DEFAULT = "F003" "field-added-required-with-default" [V V] Info,
        "A non-nullable field with a default was added.",
        ["REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", "field_added"],
        "## What it does\nReports a new required field that has a default value.\n\n## Why it breaks consumers\nIt does not: old data reads with the default.\n\n## Example\n```yaml\n- {name: channel, logicalType: string, required: true, customProperties: [{property: default, value: web}]}\n```\n\n## How to evolve safely\nSafe as is.\n";
    FIELD_REMOVED = "F004" "field-removed" [D X] Error,
        "A non-nullable field was removed.",
        ["REQUIRED_ATTRIBUTE_REMOVED", "FIELD_DELETED", "field_removed", "Columns were removed", "REQUIRED_FIELD_REMOVED", "field-removed"],
        "## What it does\nReports a field that existed, was required, and is gone.\n\n## Why it breaks consumers\nEvery consumer that selects it fails on the new data (FORWARD). Removing a Protobuf `required` field (proto2) breaks BACKWARD too: the set of required fields is fixed for the life of a message (\"required is forever\"), so Confluent and buf reject the removal in either direction.\n\n## Example\n```yaml\n# before\n- {name: discount_code, logicalType: string, required: true}\n# after: gone\n```\n\n## How to evolve safely\nDeprecate first (say so in the description), make it nullable, tell the consumers who read it (`contrakt breaking` lists them), and remove it in a new major version.\n";
    FIELD_REMOVED_OPTIONAL = "F005" "field-removed-optional" [V D] Warning,
        "A nullable or defaulted field was removed.",
        ["FIELD_REMOVED", "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", "field_removed", "field-removed"],
        "## What it does\nReports a removed field that was nullable or had a default.\n\n## Why it breaks consumers\nFor tables (ODCS, SQL, Parquet) a consumer that selects the column fails (FORWARD). Avro readers fill it from their default and Protobuf readers from the zero value, so there it is compatible.\n\n## Example\n```yaml\n# before\n- {name: promo_banner, logicalType: string}\n```\n\n## How to evolve safely\nAs for a required field: deprecate, notify the readers, remove in a new major version.\n";
    FIELD_RENAMED = "F006" "field-renamed" [D D] Error,
        "A field kept its identity (id, Protobuf number, Avro alias) but changed its name.",
        ["FIELD_NAME_CHANGED"],
        "## What it does\nReports a field whose stable identity matches but whose name differs.\n\n## Why it breaks consumers\nConsumers address columns by name: a rename is a removal for them. Protobuf readers match by number, so the wire still works, but JSON and generated code change.\n\n## Example\n```yaml\n# before\n- {id: amt, name: amount}\n# after\n- {id: amt, name: total_amount}\n```\n\n## How to evolve safely\nAdd the new name beside the old, populate both, migrate readers, then remove the old one.\n";
    FIELD_REORDERED = "F007" "field-reordered" [V V] Info,
        "Fields changed position.",
        ["FIELD_REORDERED"],
        "## What it does\nReports fields whose relative order changed.\n\n## Why it breaks consumers\nName-based readers do not care; positional formats (headerless CSV, `SELECT *` into a fixed layout) do.\n\n## Example\nSwapping `amount` and `currency`.\n\n## How to evolve safely\nAppend new fields at the end.\n";
    FIELD_ADDED_TO_OPEN_CONTENT = "F008" "property-added-to-open-content-model" [X D] Warning,
        "A typed property was added to a JSON Schema object that already allowed undeclared properties.",
        ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"],
        "## What it does\nReports a typed property added to an object whose old schema was open (no `additionalProperties: false`). (On a partially open object, an added property whose schema differs from what the old `additionalProperties` or `patternProperties` schema allowed is a type change at that property: T001, T003 or T004.) Judged as Confluent Schema Registry's STRICT policy does; its LENIENT policy accepts the change.\n\n## Why it breaks consumers\nThe old schema let documents carry any property it did not declare, with any value. Old documents may already hold `bar` as, say, a string; a reader of the new schema that declares `bar: number` rejects them (BACKWARD).\n\n## Example\n```json\n{\"properties\": {\"foo\": {\"type\": \"string\"}}}\n{\"properties\": {\"foo\": {\"type\": \"string\"}, \"bar\": {\"type\": \"number\"}}}\n```\n\n## How to evolve safely\nClose the object (`additionalProperties: false`) in an earlier version, so that old documents cannot hold undeclared properties; or give the new property a schema that accepts whatever the old object allowed.\n";
    FIELD_REMOVED_FROM_CLOSED_CONTENT = "F009" "property-removed-from-closed-content-model" [X D] Warning,
        "An optional property was removed from a JSON Schema object that does not allow undeclared properties.",
        ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"],
        "## What it does\nReports a property removed from an object whose new schema is closed (`additionalProperties: false`). (On a partially open object, a removed property whose schema differs from what the new `additionalProperties` or `patternProperties` schema allows is a type change at that property: T001, T003 or T004.) Judged as Confluent Schema Registry's STRICT policy does; its LENIENT policy accepts the change.\n\n## Why it breaks consumers\nOld documents that carry the property are now undeclared properties of a closed object: a reader of the new schema rejects them (BACKWARD).\n\n## Example\n```json\n{\"properties\": {\"foo\": {\"type\": \"string\"}, \"bar\": {\"type\": \"string\"}}, \"additionalProperties\": false}\n{\"properties\": {\"foo\": {\"type\": \"string\"}}, \"additionalProperties\": false}\n```\n\n## How to evolve safely\nKeep the property (deprecated in its description), or let `additionalProperties` accept its values.\n";
    FIELD_ADDED_TO_CLOSED_CONTENT = "F010" "property-added-to-closed-content-model" [V X] Warning,
        "A property was added to a JSON Schema object that does not allow undeclared properties.",
        ["OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"],
        "## What it does\nReports a property added to an object whose old schema is closed (`additionalProperties: false`).\n\n## Why it breaks consumers\nReaders of the new schema read old documents fine (they never hold the new property). But today's readers validate new documents against the old, closed schema and reject the new property as undeclared (FORWARD).\n\n## Example\n```json\n{\"properties\": {\"foo\": {\"type\": \"string\"}}, \"additionalProperties\": false}\n{\"properties\": {\"foo\": {\"type\": \"string\"}, \"bar\": {\"type\": \"number\"}}, \"additionalProperties\": false}\n```\n\n## How to evolve safely\nUpgrade the readers first (BACKWARD mode, the registry default, allows this), or keep new data out of closed objects until they have.\n";
    FIELD_REMOVED_FROM_OPEN_CONTENT = "F011" "property-removed-from-open-content-model" [V X] Warning,
        "A typed property was removed from a JSON Schema object that allows undeclared properties.",
        ["PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"],
        "## What it does\nReports a property with a schema removed from an open object (no `additionalProperties: false`).\n\n## Why it breaks consumers\nReaders of the new schema accept anything under that name, so old documents read (BACKWARD). New documents may now carry the name with any value, which today's readers, still declaring its old type, reject (FORWARD).\n\n## Example\n```json\n{\"properties\": {\"foo\": {\"type\": \"string\"}, \"bar\": {\"type\": \"string\"}}}\n{\"properties\": {\"foo\": {\"type\": \"string\"}}}\n```\n\n## How to evolve safely\nKeep the property declared until every reader has moved on.\n";
    BECAME_NON_NULLABLE = "N001" "became-non-nullable" [D V] Error,
        "A field that allowed nulls now does not.",
        ["TYPE_CHANGED", "NULLABLE_TO_NON_NULLABLE", "MISSING_UNION_BRANCH", "field_required_updated", "required-changed"],
        "## What it does\nReports `required: false → true` (or a null branch removed from a union).\n\n## Why it breaks consumers\nOld data may hold nulls the new schema rejects (BACKWARD). Today's readers are fine: they always expected nulls. In Protobuf nullability is presence (`optional`, a oneof member): losing it reads an unset value as the zero value, which the wire allows, so there it is reported without breaking.\n\n## Example\n```yaml\nrequired: false  →  required: true\n```\n\n## How to evolve safely\nBackfill the nulls first, then tighten; use FORWARD mode if history need not be readable.\n";
    BECAME_NULLABLE = "N002" "became-nullable" [V D] Error,
        "A field that never held nulls may now hold them.",
        ["SUM_TYPE_EXTENDED", "response-property-became-nullable", "field_required_updated", "required-changed"],
        "## What it does\nReports `required: true → false`.\n\n## Why it breaks consumers\nToday's readers assume a value is always there: sums, joins and `NOT NULL` targets break on the first null (FORWARD). In Protobuf nullability is presence (`optional`, a oneof member): today's readers read an unset value as the zero value, as they always did, so there it is reported without breaking.\n\n## Example\n```yaml\nrequired: true  →  required: false\n```\n\n## How to evolve safely\nTell the readers (they must handle null) before relaxing, or keep it required with a default.\n";
    BECAME_REQUIRED = "N003" "became-required" [X D] Error,
        "A field became required to be present (JSON Schema `required`).",
        ["REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_ATTRIBUTE_ADDED"],
        "## What it does\nReports a property added to `required`.\n\n## Why it breaks consumers\nOld documents without it no longer validate (BACKWARD). A Protobuf field that became `required` (proto2) breaks FORWARD too: the set of required fields is fixed for the life of a message (\"required is forever\").\n\n## Example\n```json\n\"required\": [\"id\"]  →  [\"id\", \"email\"]\n```\n\n## How to evolve safely\nGive it a default, or backfill first.\n";
    BECAME_OPTIONAL = "N004" "became-optional" [D X] Error,
        "A field no longer has to be present (JSON Schema `required`).",
        ["REQUIRED_ATTRIBUTE_REMOVED"],
        "## What it does\nReports a property removed from `required`.\n\n## Why it breaks consumers\nToday's readers expect it in every document (FORWARD). A Protobuf field that is no longer `required` (proto2) breaks BACKWARD too: the set of required fields is fixed for the life of a message (\"required is forever\").\n\n## Example\n```json\n\"required\": [\"id\", \"email\"]  →  [\"id\"]\n```\n\n## How to evolve safely\nNotify readers first.\n";
    TYPE_WIDENED = "T001" "type-widened" [V X] Error,
        "The type was widened (int32 → int64, float → double, date → timestamp).",
        ["SCHEMA_REMOVED", "TYPE_EXTENDED", "TYPE_MISMATCH", "field_type_updated", "type-changed"],
        "## What it does\nReports a type change along the widening lattice.\n\n## Why it breaks consumers\nNew values may not fit the old type: an int32 reader overflows on a 64-bit value (FORWARD). New readers read old data fine.\n\n## Example\n```yaml\nlogicalTypeOptions: {format: i32}  →  {format: i64}\n```\n\n## How to evolve safely\nWiden readers first (consumer-first), then writers; or use BACKWARD mode when only new readers exist.\n";
    TYPE_WIDENED_LOSSY = "T002" "type-widened-lossy" [V X] Error,
        "The type was widened with possible precision loss (int64 → float64).",
        ["TYPE_EXTENDED", "field_type_updated", "type-changed"],
        "## What it does\nReports a widening that reads old values approximately.\n\n## Why it breaks consumers\nAs for any widening, old readers cannot hold new values; and large integers lose precision in floating point.\n\n## Example\n`bigint → double`\n\n## How to evolve safely\nPrefer a decimal wide enough, or a new field.\n";
    TYPE_NARROWED = "T003" "type-narrowed" [X V] Error,
        "The type was narrowed (int64 → int32, timestamp → date).",
        ["SCHEMA_ADDED", "TYPE_NARROWED", "TYPE_MISMATCH", "field_type_updated", "type-changed"],
        "## What it does\nReports a change against the widening lattice.\n\n## Why it breaks consumers\nOld values may not fit the new type (BACKWARD).\n\n## Example\n`int64 → int32`\n\n## How to evolve safely\nAdd a new, narrower field and migrate.\n";
    TYPE_CHANGED = "T004" "type-changed" [X X] Error,
        "The type changed to an incomparable one (string → integer).",
        ["COMBINED_TYPE_CHANGED", "COMBINED_TYPE_SUBSCHEMAS_CHANGED", "TYPE_CHANGED", "FIELD_SCALAR_KIND_CHANGED", "FIELD_NAMED_TYPE_CHANGED", "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "field_type_updated", "TYPE_MISMATCH", "type-changed"],
        "## What it does\nReports a type change that neither widens nor narrows.\n\n## Why it breaks consumers\nNeither old readers nor new readers can read the other side's values. In Protobuf this is a change across wire encodings (`int32 → sint32`, `fixed64 → string`) or to a message of another name.\n\n## Example\n`string → integer`\n\n## How to evolve safely\nAdd a new field with the new type; deprecate the old one.\n";
    TYPE_WIRE_EQUIVALENT = "T005" "type-wire-equivalent" [V V] Warning,
        "The type changed within a wire-compatible group (Protobuf int32 ↔ int64, Avro string ↔ bytes).",
        [],
        "## What it does\nReports a change the encoding tolerates.\n\n## Why it breaks consumers\nThe bytes still decode, but values may be truncated and generated code and JSON forms change.\n\n## Example\n`int32 → int64` in Protobuf.\n\n## How to evolve safely\nCheck the value ranges; regenerate code.\n";
    DECIMAL_WIDENED = "T006" "decimal-widened" [V X] Error,
        "A decimal gained integer digits or scale without losing any (s' ≥ s, p'−s' ≥ p−s).",
        ["DECIMAL_SCALE_OR_PRECISION_MISMATCH", "type-changed"],
        "## What it does\nReports a decimal widening.\n\n## Why it breaks consumers\nOld readers with the narrower decimal overflow or round new values (FORWARD).\n\n## Example\n`decimal(10,2) → decimal(12,2)`\n\n## How to evolve safely\nWiden readers first.\n";
    DECIMAL_CHANGED = "T007" "decimal-changed" [D D] Error,
        "A decimal's precision or scale changed in a way that loses digits in some direction.",
        ["DECIMAL_SCALE_OR_PRECISION_MISMATCH", "type-changed"],
        "## What it does\nReports a decimal change; each direction reads only where its (p, s) dominates the other's.\n\n## Why it breaks consumers\nDigits are lost or values overflow.\n\n## Example\n`decimal(10,2) → decimal(10,3)`\n\n## How to evolve safely\nGrow precision along with scale.\n";
    FIXED_SIZE_CHANGED = "T008" "fixed-size-changed" [X X] Error,
        "A fixed-size binary changed size.",
        ["FIXED_SIZE_MISMATCH", "type-changed"],
        "## What it does\nReports `fixed(16) → fixed(32)`.\n\n## Why it breaks consumers\nFixed-size values are read by length; neither side reads the other.\n\n## Example\nAvro `fixed` size 16 → 32.\n\n## How to evolve safely\nAdd a new field.\n";
    KIND_CHANGED = "T009" "kind-changed" [D D] Error,
        "A field changed kind: primitive ↔ struct, list or map.",
        ["TYPE_CHANGED", "FIELD_KIND_CHANGED", "FIELD_NUMERIC_LABEL_CHANGED", "FIELD_STRING_OR_BYTES_LABEL_CHANGED", "TYPE_MISMATCH", "field_type_updated", "type-changed"],
        "## What it does\nReports a change between a scalar and a nested type, or between nested kinds.\n\n## Why it breaks consumers\nNo reader can read the other shape. The exception is Protobuf's `repeated` label on strings, bytes and messages: a singular reader takes the last element and a repeated reader a one-element list, so there the change is reported without breaking; repeated numbers are packed, so for them it breaks.\n\n## Example\n`address: string → address: {street, city}`\n\n## How to evolve safely\nAdd the structured field beside the old one.\n";
    MAP_KEY_TYPE_CHANGED = "T010" "map-key-type-changed" [X X] Error,
        "A map's key type changed.",
        ["MAP_KEY_TYPE_MISMATCH", "type-changed"],
        "## What it does\nReports a change of a map's key type.\n\n## Why it breaks consumers\nKeys are looked up by exact type; no promotion applies (Iceberg).\n\n## Example\n`map<string,int> → map<int,int>`\n\n## How to evolve safely\nAdd a new map field.\n";
    NAMED_TYPE_RENAMED = "T011" "named-type-renamed" [D D] Error,
        "A named type (an Avro record, enum or fixed) was renamed without an alias for its old name.",
        ["NAME_MISMATCH", "name_mismatch"],
        "## What it does\nReports an Avro record, enum or fixed type whose name changed, where the reader has no alias for the writer's full name. Avro matches named types by their unqualified name (a new namespace alone changes nothing) or by the reader's `aliases`.\n\n## Why it breaks consumers\nAvro resolves a named type only against a type of the same name: a reader whose enum is `Status` cannot read data written with `OrderStatus`, whatever the symbols. Without an alias a reader of the new schema cannot read old data (BACKWARD); today's readers never have an alias for a name that did not exist yet (FORWARD).\n\n## Example\n```json\n{\"type\": \"enum\", \"name\": \"Status\", \"symbols\": [\"A\", \"B\"]}\n// renamed\n{\"type\": \"enum\", \"name\": \"OrderStatus\", \"symbols\": [\"A\", \"B\"]}\n```\n\n## How to evolve safely\nKeep the name, or add the old full name to the new type's `aliases` (`\"aliases\": [\"Status\"]`), which fixes BACKWARD; FORWARD needs readers that already carry the new name as an alias.\n";
    ENUM_VALUE_ADDED = "E001" "enum-value-added" [V D] Warning,
        "An allowed value was added to an enumeration.",
        ["PRODUCT_TYPE_NARROWED", "ENUM_ARRAY_EXTENDED", "ENUM_CONST_ADDED", "field_enum_added", "MISSING_ENUM_SYMBOLS"],
        "## What it does\nReports a new allowed value.\n\n## Why it breaks consumers\nToday's readers may switch over the known values and fail, or misreport, on the new one (FORWARD), unless the enum declares a default or is open.\n\n## Example\n`validValues: [placed, shipped] → [placed, shipped, refunded]`\n\n## How to evolve safely\nTell the readers before producing the new value; give enums a default for unknown symbols.\n";
    ENUM_VALUE_REMOVED = "E002" "enum-value-removed" [D V] Error,
        "An allowed value was removed from an enumeration.",
        ["PRODUCT_TYPE_EXTENDED", "ENUM_ARRAY_NARROWED", "ENUM_CONST_REMOVED", "field_enum_removed"],
        "## What it does\nReports a value that is no longer allowed.\n\n## Why it breaks consumers\nOld data holding it no longer validates (BACKWARD). Open enums (Protobuf 3) keep unknown numbers, so there it does not break; closed ones (proto2) drop them.\n\n## Example\n`[placed, shipped, lost] → [placed, shipped]`\n\n## How to evolve safely\nMigrate the old values first.\n";
    ENUM_VALUES_REPLACED = "E003" "enum-values-replaced" [D D] Error,
        "Enumeration values were both added and removed (or renamed).",
        ["COMBINED_TYPE_SUBSCHEMAS_CHANGED", "ENUM_ARRAY_CHANGED", "ENUM_VALUE_SAME_NAME", "ENUM_CONST_CHANGED", "field_enum_updated"],
        "## What it does\nReports an enumeration that gained and lost values at once. Protobuf enums are compared by number: a number that kept its value but changed its name is reported here.\n\n## Why it breaks consumers\nBoth directions break. A Protobuf value renamed under the same number is the same on the wire (only JSON and generated code change), so it does not break.\n\n## Example\n`[placed, shipped] → [placed, dispatched]`\n\n## How to evolve safely\nAdd first, migrate, remove later.\n";
    CONSTRAINT_TIGHTENED = "C001" "constraint-tightened" [X V] Error,
        "A value constraint got stricter (maxLength down, minimum up, bound added).",
        ["MAX_ITEMS_ADDED", "MIN_ITEMS_ADDED", "MAX_PROPERTIES_DECREASED", "MAX_PROPERTIES_ADDED", "MIN_PROPERTIES_INCREASED", "MIN_PROPERTIES_ADDED", "MAX_CONTAINS_DECREASED", "MAX_CONTAINS_ADDED", "MIN_CONTAINS_INCREASED", "MIN_CONTAINS_ADDED", "EXCLUSIVE_MAXIMUM_ADDED", "EXCLUSIVE_MAXIMUM_DECREASED", "EXCLUSIVE_MINIMUM_ADDED", "EXCLUSIVE_MINIMUM_INCREASED", "MULTIPLE_OF_CHANGED", "ADDITIONAL_ITEMS_REMOVED", "ADDITIONAL_ITEMS_NARROWED", "NOT_TYPE_EXTENDED", "DEPENDENCY_ARRAY_ADDED", "DEPENDENCY_ARRAY_EXTENDED", "DEPENDENCY_ARRAY_CHANGED", "DEPENDENCY_SCHEMA_ADDED", "PRODUCT_TYPE_EXTENDED", "MAX_LENGTH_DECREASED", "MAX_LENGTH_ADDED", "MIN_LENGTH_INCREASED", "MIN_LENGTH_ADDED", "MAXIMUM_DECREASED", "MAXIMUM_ADDED", "MINIMUM_INCREASED", "MINIMUM_ADDED", "MULTIPLE_OF_EXPANDED", "MULTIPLE_OF_ADDED", "MAX_ITEMS_DECREASED", "MIN_ITEMS_INCREASED", "MULTIPLE_FIELDS_MOVED_TO_ONEOF", "FIELD_MOVED_TO_EXISTING_ONEOF", "FIELD_SAME_ONEOF", "field_min_length_added", "field_min_length_updated", "field_max_length_added", "field_max_length_updated", "field_minimum_added", "field_minimum_updated", "field_maximum_added", "field_maximum_updated", "field_exclusive_minimum_added", "field_exclusive_minimum_updated", "field_exclusive_maximum_added", "field_exclusive_maximum_updated", "validation-constraint-changed"],
        "## What it does\nReports a constraint that accepts fewer values than before. In Protobuf, fields that could be set together and were moved into one `oneof` are reported here.\n\n## Why it breaks consumers\nOld data may violate it (BACKWARD). Old Protobuf messages that set both fields lose one of them when read as a oneof.\n\n## Example\n`maxLength: 255 → 64`\n\n## How to evolve safely\nCheck the data first (`contrakt check`), then tighten.\n";
    CONSTRAINT_LOOSENED = "C002" "constraint-loosened" [V X] Error,
        "A value constraint got looser (maxLength up, minimum down, bound removed).",
        ["MAX_ITEMS_INCREASED", "MAX_ITEMS_REMOVED", "MIN_ITEMS_DECREASED", "MIN_ITEMS_REMOVED", "MAX_PROPERTIES_INCREASED", "MAX_PROPERTIES_REMOVED", "MIN_PROPERTIES_DECREASED", "MIN_PROPERTIES_REMOVED", "MAX_CONTAINS_INCREASED", "MAX_CONTAINS_REMOVED", "MIN_CONTAINS_DECREASED", "MIN_CONTAINS_REMOVED", "EXCLUSIVE_MAXIMUM_INCREASED", "EXCLUSIVE_MAXIMUM_REMOVED", "EXCLUSIVE_MINIMUM_DECREASED", "EXCLUSIVE_MINIMUM_REMOVED", "ADDITIONAL_ITEMS_ADDED", "ADDITIONAL_ITEMS_EXTENDED", "NOT_TYPE_NARROWED", "DEPENDENCY_ARRAY_NARROWED", "DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_SCHEMA_REMOVED", "PRODUCT_TYPE_NARROWED", "MAX_LENGTH_INCREASED", "MAX_LENGTH_REMOVED", "MINIMUM_DECREASED", "MINIMUM_REMOVED", "MAXIMUM_INCREASED", "MAXIMUM_REMOVED", "MULTIPLE_OF_REDUCED", "MULTIPLE_OF_REMOVED", "ONEOF_FIELD_MOVED_TO_TOP_LEVEL", "FIELD_SAME_ONEOF", "field_min_length_removed", "field_min_length_updated", "field_max_length_removed", "field_max_length_updated", "field_minimum_removed", "field_minimum_updated", "field_maximum_removed", "field_maximum_updated", "field_exclusive_minimum_removed", "field_exclusive_minimum_updated", "field_exclusive_maximum_removed", "field_exclusive_maximum_updated", "validation-constraint-changed"],
        "## What it does\nReports a constraint that accepts more values than before. In Protobuf, a field moved out of a `oneof`, so it may now be set together with its former members, is reported here.\n\n## Why it breaks consumers\nToday's readers sized buffers, columns or checks for the old range (FORWARD). Today's Protobuf readers still treat the fields as a oneof and keep only one of them.\n\n## Example\n`maxLength: 64 → 255`\n\n## How to evolve safely\nWiden readers first.\n";
    PATTERN_ADDED = "C003" "pattern-added" [X V] Warning,
        "A pattern or format was added.",
        ["PATTERN_ADDED", "field_pattern_added", "field_format_added", "validation-constraint-changed"],
        "## What it does\nReports a new `pattern` or `format`.\n\n## Why it breaks consumers\nOld values may not match (BACKWARD).\n\n## Example\n`pattern: '^[A-Z]{3}$'` added.\n\n## How to evolve safely\nCheck existing data against it first.\n";
    PATTERN_REMOVED = "C004" "pattern-removed" [V X] Warning,
        "A pattern or format was removed.",
        ["PATTERN_REMOVED", "field_pattern_removed", "field_format_removed", "validation-constraint-changed"],
        "## What it does\nReports a removed `pattern` or `format`.\n\n## Why it breaks consumers\nReaders that relied on the shape (parsing, validation) get values they cannot handle (FORWARD).\n\n## Example\n`format: email` removed.\n\n## How to evolve safely\nNotify readers.\n";
    PATTERN_CHANGED = "C005" "pattern-changed" [X X] Error,
        "A pattern or format changed.",
        ["PATTERN_CHANGED", "field_pattern_updated", "field_format_updated", "validation-constraint-changed"],
        "## What it does\nReports a different `pattern` or `format` (regular-expression containment is undecidable in practice, so any change counts).\n\n## Why it breaks consumers\nEither side may produce values the other rejects.\n\n## Example\n`'^[A-Z]{2}$' → '^[A-Z]{3}$'`\n\n## How to evolve safely\nAdd a new field.\n";
    UNIQUE_ITEMS_ADDED = "C006" "unique-items-added" [X V] Error,
        "Array items must now be unique.",
        ["UNIQUE_ITEMS_ADDED"],
        "## What it does\nReports `uniqueItems: true` added.\n\n## Why it breaks consumers\nOld arrays with duplicates no longer validate (BACKWARD).\n\n## Example\n`logicalTypeOptions: {uniqueItems: true}` added.\n\n## How to evolve safely\nDeduplicate data first.\n";
    UNIQUE_ITEMS_REMOVED = "C007" "unique-items-removed" [V X] Warning,
        "Array items may now repeat.",
        ["UNIQUE_ITEMS_REMOVED"],
        "## What it does\nReports `uniqueItems` dropped.\n\n## Why it breaks consumers\nReaders that treat the array as a set get duplicates (FORWARD).\n\n## Example\n`uniqueItems: true` removed.\n\n## How to evolve safely\nNotify readers.\n";
    CONTENT_CLOSED = "C008" "content-closed" [X V] Warning,
        "A JSON Schema object accepts fewer undeclared properties (`additionalProperties: false` added or narrowed).",
        ["ADDITIONAL_PROPERTIES_REMOVED", "ADDITIONAL_PROPERTIES_NARROWED", "UNEVALUATED_PROPERTIES_REMOVED", "UNEVALUATED_PROPERTIES_NARROWED"],
        "## What it does\nReports `additionalProperties` (or `unevaluatedProperties`) that now accepts less: `false` added to an open object, or a narrower schema. Judged as Confluent Schema Registry's STRICT policy does; its LENIENT policy accepts the change.\n\n## Why it breaks consumers\nOld documents may carry undeclared properties the new schema rejects (BACKWARD).\n\n## Example\n```json\n{\"properties\": {\"id\": {\"type\": \"string\"}}}\n{\"properties\": {\"id\": {\"type\": \"string\"}}, \"additionalProperties\": false}\n```\n\n## How to evolve safely\nDeclare every property old documents use before closing the object.\n";
    CONTENT_OPENED = "C009" "content-opened" [V X] Warning,
        "A JSON Schema object accepts more undeclared properties (`additionalProperties: false` removed or widened).",
        ["ADDITIONAL_PROPERTIES_ADDED", "ADDITIONAL_PROPERTIES_EXTENDED", "UNEVALUATED_PROPERTIES_ADDED", "UNEVALUATED_PROPERTIES_EXTENDED"],
        "## What it does\nReports `additionalProperties` (or `unevaluatedProperties`) that now accepts more: `false` removed, or a wider schema.\n\n## Why it breaks consumers\nReaders of the new schema read old documents (BACKWARD). Today's readers reject new documents that use the new freedom (FORWARD).\n\n## Example\n```json\n{\"properties\": {\"id\": {\"type\": \"string\"}}, \"additionalProperties\": false}\n{\"properties\": {\"id\": {\"type\": \"string\"}}}\n```\n\n## How to evolve safely\nUpgrade the readers first, or keep the object closed and declare the new properties.\n";
    DEFAULT_ADDED = "D001" "default-added" [V V] Info,
        "A default value was added.",
        ["DEFAULT_CHANGED"],
        "## What it does\nReports a new default.\n\n## Why it breaks consumers\nIt does not.\n\n## Example\n`default: web` added.\n\n## How to evolve safely\nSafe.\n";
    DEFAULT_REMOVED = "D002" "default-removed" [V V] Warning,
        "A default value was removed.",
        ["NON_NULLABLE_DEFAULT_REMOVED", "DEFAULT_CHANGED"],
        "## What it does\nReports a default that is gone.\n\n## Why it breaks consumers\nNot against the previous version, but transitively: a version without the field can no longer be read (Avro).\n\n## Example\n`default: web` removed.\n\n## How to evolve safely\nKeep defaults on fields older data lacks.\n";
    DEFAULT_CHANGED = "D003" "default-changed" [V V] Warning,
        "A default value changed.",
        ["DEFAULT_CHANGED", "FIELD_SAME_DEFAULT"],
        "## What it does\nReports a different default.\n\n## Why it breaks consumers\nThe schema still reads, but the meaning of missing values changed.\n\n## Example\n`default: web → app`\n\n## How to evolve safely\nTell consumers what missing now means.\n";
    PRIMARY_KEY_REMOVED = "K001" "primary-key-removed" [V X] Error,
        "A field left the primary key, or the key was dropped.",
        ["field_primary_key_removed", "field_primary_key_updated", "key-constraint-changed"],
        "## What it does\nReports a field that is no longer part of the primary key.\n\n## Why it breaks consumers\nReaders that join or deduplicate on the key get duplicates (FORWARD).\n\n## Example\n`primaryKey: true → false`\n\n## How to evolve safely\nKeep the key; add a new one in a new major version.\n";
    UNIQUE_REMOVED = "K002" "unique-removed" [V X] Error,
        "A uniqueness guarantee was removed.",
        ["field_unique_updated", "unique-constraint-changed"],
        "## What it does\nReports `unique: true → false`.\n\n## Why it breaks consumers\nReaders relying on one row per value get several (FORWARD).\n\n## Example\n`unique: true` removed from `email`.\n\n## How to evolve safely\nNotify readers first.\n";
    PRIMARY_KEY_ADDED = "K003" "primary-key-added" [X V] Error,
        "A field joined the primary key, or a key was declared.",
        ["field_primary_key_added", "field_primary_key_updated", "key-constraint-changed"],
        "## What it does\nReports a new primary-key field.\n\n## Why it breaks consumers\nOld data may violate the key (BACKWARD).\n\n## Example\n`primaryKey: false → true`\n\n## How to evolve safely\nCheck the data for duplicates and nulls first.\n";
    UNIQUE_ADDED = "K004" "unique-added" [X V] Error,
        "A uniqueness guarantee was added.",
        ["field_unique_updated", "unique-constraint-changed"],
        "## What it does\nReports `unique: false → true`.\n\n## Why it breaks consumers\nOld data may hold duplicates (BACKWARD).\n\n## Example\n`unique: true` added to `email`.\n\n## How to evolve safely\nDeduplicate first.\n";
    PRIMARY_KEY_COLUMNS_CHANGED = "K005" "primary-key-columns-changed" [X X] Error,
        "The primary key's columns or their order changed.",
        ["key-constraint-changed"],
        "## What it does\nReports a key whose composition or order changed (fields both added to and removed from it, or reordered).\n\n## Why it breaks consumers\nJoins, upserts and deduplication on the old key are wrong on the new data and vice versa.\n\n## Example\n`(order_id) → (order_id, line_no)`\n\n## How to evolve safely\nA new major version.\n";
    PARTITIONING_CHANGED = "K006" "partitioning-changed" [V V] Info,
        "The partitioning changed.",
        [],
        "## What it does\nReports changed partition columns or order.\n\n## Why it breaks consumers\nThe data reads the same, but readers that filter on partitions may scan more or miss pruning.\n\n## Example\n`partitioned: true` moved from `order_date` to `delivery_week`.\n\n## How to evolve safely\nTell readers that filter on partitions.\n";
    RELATIONSHIP_REMOVED = "K007" "relationship-removed" [V X] Warning,
        "A foreign key (relationship) was removed.",
        ["foreign_key", "relationships_removed"],
        "## What it does\nReports a foreign key of the old schema (an ODCS `relationships` entry of type `foreignKey`, a SQL `REFERENCES`) that the new schema no longer declares.\n\n## Why it breaks consumers\nReaders of the new schema are unaffected (BACKWARD). Today's consumers join on the relationship and trust it: once it is no longer promised, new data may hold orphans, and their joins silently drop or duplicate rows (FORWARD). Tools that enforce the key (dbt model contracts, databases) stop enforcing it.\n\n## Example\n```yaml\n# before\n- name: customer_id\n  relationships:\n    - {type: foreignKey, to: customers.customer_id}\n# after: no relationships\n```\n\n## How to evolve safely\nKeep the key until the consumers that join on it (`contrakt breaking` lists them) have moved; if the reference really can dangle now, say so in a new major version.\n";
    OBJECT_REMOVED = "S001" "schema-object-removed" [D D] Error,
        "A schema object (table, topic, message) was removed.",
        ["MESSAGE_REMOVED", "model_removed", "schema-removed"],
        "## What it does\nReports a table or message that is gone.\n\n## Why it breaks consumers\nEvery reader of it fails (FORWARD). A Protobuf schema is read as a whole instead (Confluent's wire format addresses any message of the file): data written with a removed message cannot be read with the new schema (BACKWARD), while today's readers simply never see it again.\n\n## Example\nThe `refunds` object removed from the contract.\n\n## How to evolve safely\nDeprecate, notify readers, remove in a new major version.\n";
    OBJECT_ADDED = "S002" "schema-object-added" [V D] Error,
        "A schema object was added.",
        ["MESSAGE_ADDED", "model_added"],
        "## What it does\nReports a new table or message.\n\n## Why it breaks consumers\nIt does not, except in Protobuf, where a schema is read as a whole: data written with the new message cannot be read by today's readers, whose schema lacks it (FORWARD, as Confluent judges it).\n\n## Example\nA `refunds` object added.\n\n## How to evolve safely\nSafe.\n";
    UNION_BRANCH_ADDED = "S003" "union-branch-added" [V X] Error,
        "A union (oneOf/anyOf, Avro union) gained a branch.",
        ["SUM_TYPE_EXTENDED", "ONEOF_FIELD_ADDED"],
        "## What it does\nReports a new alternative type, or a field added to an existing Protobuf `oneof`.\n\n## Why it breaks consumers\nToday's readers cannot handle values of the new branch (FORWARD): a Protobuf reader sees the oneof as unset.\n\n## Example\n`[\"null\", \"string\"] → [\"null\", \"string\", \"long\"]`\n\n## How to evolve safely\nUpdate readers first.\n";
    UNION_BRANCH_REMOVED = "S004" "union-branch-removed" [X V] Error,
        "A union lost a branch.",
        ["SUM_TYPE_NARROWED", "MISSING_UNION_BRANCH", "ONEOF_FIELD_REMOVED"],
        "## What it does\nReports a removed alternative type, or a field removed from a Protobuf `oneof` that keeps other fields.\n\n## Why it breaks consumers\nOld data of that branch no longer reads (BACKWARD): a Protobuf reader sees the oneof as unset.\n\n## Example\n`[\"string\", \"long\"] → [\"string\"]`\n\n## How to evolve safely\nMigrate the data first.\n";
    DESCRIPTION_CHANGED = "M001" "description-changed" [V V] Info,
        "A description changed.",
        ["ID_CHANGED", "DESCRIPTION_CHANGED", "TITLE_CHANGED", "field_description_added", "field_description_removed", "field_description_updated", "model_description_added", "model_description_removed", "model_description_updated", "metadata-or-unknown-change"],
        "## What it does\nReports documentation changes.\n\n## Why it breaks consumers\nIt does not; worth a look when meaning changed.\n\n## Example\nA reworded description.\n\n## How to evolve safely\nSafe.\n";
    TAGS_CHANGED = "M002" "tags-changed" [V V] Info,
        "Tags or custom properties of an object or field changed.",
        ["field_tags_added", "field_tags_removed", "field_tags_updated", "field_custom_key_added", "field_custom_key_removed", "field_custom_key_updated", "metadata-or-unknown-change"],
        "## What it does\nReports `tags` added or removed, and `customProperties` added, removed or given another value, on a schema object or a property (`default`, which contrakt reads as the field's default, is reported by the D rules instead).\n\n## Why it breaks consumers\nIt does not change what the data looks like. But tags and custom properties drive catalogs, access policies, lineage and retention jobs: a `pii: true` property or a `finance` domain tag can route the data to other owners or lock readers out.\n\n## Example\n```yaml\ncustomProperties:\n  - {property: pii, value: \"false\"}   # before\n  - {property: pii, value: \"true\"}    # after\n```\n\n## How to evolve safely\nSafe for the data; tell the teams whose tooling keys on the tag or property.\n";
    CLASSIFICATION_CHANGED = "M003" "classification-changed" [V V] Warning,
        "A field's classification changed (e.g. newly restricted, or downgraded).",
        ["field_classification_added", "field_classification_updated", "field_pii_added", "field_pii_removed", "field_classification_removed"],
        "## What it does\nReports a change of `classification`.\n\n## Why it breaks consumers\nThe data reads the same, but access may be revoked (escalation) or sensitive data exposed (downgrade: needs the owner's sign-off).\n\n## Example\n`classification: internal → restricted`\n\n## How to evolve safely\nTell consumers before escalating; never downgrade silently.\n";
    PHYSICAL_NAME_CHANGED = "M004" "physical-name-changed" [X X] Error,
        "A physical name (column or table name in storage) changed.",
        ["PACKAGE_CHANGED"],
        "## What it does\nReports a changed `physicalName`.\n\n## Why it breaks consumers\nConsumers query physical names: this is a rename in storage. A Protobuf message's physical name is its full name, so a package change is reported here.\n\n## Example\n`physicalName: amt → amount`\n\n## How to evolve safely\nAs for a rename: add, migrate, remove.\n";
    QUALITY_RULE_REMOVED = "M005" "quality-rule-removed" [V V] Warning,
        "A data-quality rule was removed or weakened.",
        ["quality_removed", "quality_added", "quality_type_updated", "quality_specification_updated", "metadata-or-unknown-change"],
        "## What it does\nReports a `quality[]` check of a schema object or property that is gone, whose threshold now accepts more (`mustBeGreaterThan: 100 → 0`, a wider `mustBeBetween`), or whose definition (type, metric, arguments, query) changed, so that nobody can tell whether it still guards the same thing. Checks are matched by `id`, then `name`, then metric. Checks that were added or tightened are reported at info level.\n\n## Why it breaks consumers\nThe schema still reads, but consumers relied on the guarantee: rows the old check rejected (nulls, duplicates, an empty load) may now reach them unnoticed.\n\n## Example\n```yaml\nquality:\n  - {name: row_count, type: sql, query: SELECT COUNT(*) FROM orders, mustBeGreaterThan: 0}   # removed\n```\n\n## How to evolve safely\nKeep the check, or replace it with an equivalent one under the same `id`; when a guarantee really goes away, tell the consumers before the release.\n";
    PROTO_FIELD_DELETED = "P001" "proto-field-deleted-unreserved" [V V] Error,
        "A Protobuf field was deleted without reserving its number.",
        ["FIELD_NO_DELETE", "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"],
        "## What it does\nReports a field number that a message (any message of the files, nested and unused ones included) had and no longer has, when the new message does not `reserved` that number.\n\n## Why it breaks consumers\nThe wire reads the deletion itself fine: readers skip the unknown number, or see the zero value. The danger is the next change: a later field that takes the free number is read by every old reader, and every old message on disk, as the deleted field. Different type, different meaning, no error: silent corruption. Generated code that used the field stops compiling too.\n\n## Example\n```proto\n// before\nmessage Order { string id = 1; string coupon = 2; }\n// after\nmessage Order { string id = 1; }\n```\n\n## How to evolve safely\nReserve the number and the name in the same change: `reserved 2; reserved \"coupon\";`.\n";
    PROTO_FIELD_DELETED_RESERVED = "P002" "proto-field-deleted-reserved" [V V] Warning,
        "A Protobuf field was deleted; its number is reserved.",
        ["FIELD_NO_DELETE"],
        "## What it does\nReports a deleted field whose number the new message reserves.\n\n## Why it breaks consumers\nThe wire stays safe (the number cannot be reused), but generated code and JSON that used the field's name break: buf's FILE and PACKAGE categories report it.\n\n## Example\n```proto\n// after\nmessage Order { reserved 2; reserved \"coupon\"; string id = 1; }\n```\n\n## How to evolve safely\nDeprecate first (`[deprecated = true]`), move readers off, then delete and reserve.\n";
    PROTO_ENUM_VALUE_DELETED = "P003" "proto-enum-value-deleted-unreserved" [V V] Error,
        "A Protobuf enum value was deleted without reserving its number.",
        ["ENUM_VALUE_NO_DELETE", "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED"],
        "## What it does\nReports an enum number that an enum (any enum of the files, nested and unused ones included) had and no longer has, when the new enum does not reserve it.\n\n## Why it breaks consumers\nOld data still holds the number: open enums read it as an unknown value, closed (proto2) enums drop it into unknown fields. A later value that reuses the number gives old data a new meaning.\n\n## Example\n```proto\n// before\nenum Status { STATUS_UNSPECIFIED = 0; STATUS_HELD = 3; }\n// after\nenum Status { STATUS_UNSPECIFIED = 0; }\n```\n\n## How to evolve safely\nReserve the number and the name: `reserved 3; reserved \"STATUS_HELD\";`.\n";
    PROTO_ENUM_VALUE_DELETED_RESERVED = "P004" "proto-enum-value-deleted-reserved" [V V] Warning,
        "A Protobuf enum value was deleted; its number is reserved.",
        ["ENUM_VALUE_NO_DELETE"],
        "## What it does\nReports a deleted enum value whose number the new enum reserves.\n\n## Why it breaks consumers\nThe number cannot be reused, but code and JSON that name the value break (buf's FILE and PACKAGE categories).\n\n## Example\n```proto\nenum Status { reserved 3; STATUS_UNSPECIFIED = 0; }\n```\n\n## How to evolve safely\nDeprecate the value first, then delete and reserve it.\n";
    PROTO_MESSAGE_DELETED = "P005" "proto-message-deleted" [V V] Error,
        "A Protobuf message was deleted from its file.",
        ["MESSAGE_NO_DELETE"],
        "## What it does\nReports a message (top-level or nested, used or not) that a file defined and no longer defines. It is located at the nearest enclosing message that is left, or at the file.\n\n## Why it breaks consumers\nCode generated from the file loses the type; any RPC, `Any` payload or other file that names it stops compiling or resolving.\n\n## Example\n```proto\n// before\nmessage Order { message Line { string sku = 1; } }\n// after\nmessage Order {}\n```\n\n## How to evolve safely\nDeprecate it (`option deprecated = true;`) and keep it until no one names it.\n";
    PROTO_CARDINALITY_CHANGED = "P006" "proto-field-cardinality-changed" [V V] Error,
        "A Protobuf field changed cardinality (optional, required, repeated, map, or its presence).",
        ["FIELD_SAME_CARDINALITY"],
        "## What it does\nReports a field whose cardinality differs, as buf tells them apart: optional with explicit presence, optional with implicit presence, required, repeated, map. Editions features count (`field_presence = LEGACY_REQUIRED` is required, `IMPLICIT` implicit presence).\n\n## Why it breaks consumers\nRepeated and singular fields encode differently (a reader of a singular field keeps only the last element); required fields fail parsing when absent; presence decides whether a reader can tell an unset field from its zero value, and generated accessors change with it.\n\n## Example\n```proto\nint32 qty = 1;            // before\nrepeated int32 qty = 1;   // after\n```\n\n## How to evolve safely\nAdd a new field with the new cardinality and deprecate the old one.\n";
    PROTO_JSON_NAME_CHANGED = "P007" "proto-field-json-name-changed" [V V] Error,
        "A Protobuf field's JSON name changed.",
        ["FIELD_SAME_JSON_NAME"],
        "## What it does\nReports a field whose JSON name (`json_name`, or the lowerCamel name derived from the field name) differs.\n\n## Why it breaks consumers\nThe binary wire is unaffected, but ProtoJSON writers and readers use the JSON name: JSON written before the change no longer maps to the field, and JSON consumers see a new key (buf's WIRE_JSON category).\n\n## Example\n```proto\nstring order_id = 1;                          // before: orderId\nstring order_id = 1 [json_name = \"id\"];       // after\n```\n\n## How to evolve safely\nKeep the JSON name; rename only in code.\n";
    PROTO_FIELD_RENAMED = "P008" "proto-field-renamed" [V V] Warning,
        "A Protobuf field (same number) changed its name.",
        ["FIELD_SAME_NAME"],
        "## What it does\nReports a field number whose name differs (for extensions, the full name).\n\n## Why it breaks consumers\nThe binary wire matches by number, so stored data reads. Generated code, text format, field masks and (unless `json_name` pins it) JSON use the name and break.\n\n## Example\n```proto\nstring sku = 3;        // before\nstring product = 3;    // after\n```\n\n## How to evolve safely\nAdd the new field under a new number, populate both, deprecate the old.\n";
    PROTO_TYPE_WIRE_INCOMPATIBLE = "P009" "proto-field-type-wire-incompatible" [V V] Error,
        "A Protobuf field changed to a type its old encoding does not read as.",
        ["FIELD_SAME_TYPE", "FIELD_WIRE_COMPATIBLE_TYPE", "FIELD_WIRE_JSON_COMPATIBLE_TYPE"],
        "## What it does\nReports a type change across the wire-compatible groups of the language guide: int32, int64, uint32, uint64 and bool read each other; sint32 and sint64; fixed32 and sfixed32; fixed64 and sfixed64; string may become bytes (not back: bytes need not be UTF-8); a message (length-delimited) and a group (delimited) do not; a message type changed for another; an enum changed for one with another name or fewer numbers.\n\n## Why it breaks consumers\nReaders decode the bytes with the old type: zig-zag and varint disagree, fixed widths disagree, a different message parses as garbage or fails.\n\n## Example\n```proto\nint32 qty = 1;     // before\nsint32 qty = 1;    // after\n```\n\n## How to evolve safely\nAdd a field with the new type under a new number; deprecate the old one.\n";
    PROTO_TYPE_JSON_INCOMPATIBLE = "P010" "proto-field-type-json-incompatible" [V V] Error,
        "A Protobuf field changed type within a wire group, but JSON prints the two differently.",
        ["FIELD_SAME_TYPE", "FIELD_WIRE_JSON_COMPATIBLE_TYPE"],
        "## What it does\nReports a wire-compatible type change that ProtoJSON does not carry: int32 to int64 (64-bit integers are JSON strings), bool to an integer, string to bytes (base64).\n\n## Why it breaks consumers\nBinary readers are fine; JSON readers get a string where they expected a number, or base64 where they expected text (buf's WIRE_JSON category).\n\n## Example\n```proto\nint32 qty = 1;    // before\nint64 qty = 1;    // after\n```\n\n## How to evolve safely\nFor JSON consumers, add a new field instead.\n";
    PROTO_TYPE_CHANGED = "P011" "proto-field-type-changed" [V V] Warning,
        "A Protobuf field changed to a type that reads the same on the wire and in JSON.",
        ["FIELD_SAME_TYPE"],
        "## What it does\nReports any other declared type change: int32 to uint32, fixed32 to sfixed32, an enum for a compatible enum of the same name.\n\n## Why it breaks consumers\nThe bytes and the JSON read, but values change meaning past the sign bit, and generated code changes type (buf's FILE and PACKAGE categories).\n\n## Example\n```proto\nint32 qty = 1;     // before\nuint32 qty = 1;    // after\n```\n\n## How to evolve safely\nCheck that no value crosses the range both types share.\n";
    PROTO_REQUIRED_FIELDS_CHANGED = "P012" "proto-required-fields-changed" [V V] Error,
        "A Protobuf message's set of required fields changed.",
        ["MESSAGE_SAME_REQUIRED_FIELDS"],
        "## What it does\nReports a required field (proto2 `required`, editions `LEGACY_REQUIRED`) that was added, removed or made optional.\n\n## Why it breaks consumers\nA parser rejects a message without all of its required fields. If either side does not know about one, messages written by the other fail to parse: required is forever.\n\n## Example\n```proto\nrequired string id = 1;    // added\n```\n\n## How to evolve safely\nDo not add or remove required fields; make new ones optional and validate in code.\n";
    PROTO_RESERVED_MESSAGE_DELETED = "P013" "proto-reserved-message-deleted" [V V] Error,
        "A Protobuf message no longer reserves a number or name it reserved.",
        ["RESERVED_MESSAGE_NO_DELETE"],
        "## What it does\nReports a `reserved` range of a message that the new message no longer covers in full, and a reserved name that is gone.\n\n## Why it breaks consumers\nReservations keep deleted numbers from coming back: without them a new field can reuse a number old data and old readers hold for something else.\n\n## Example\n```proto\nreserved 2 to 5;   // before\nreserved 2;        // after\n```\n\n## How to evolve safely\nKeep reservations for good.\n";
    PROTO_RESERVED_ENUM_DELETED = "P014" "proto-reserved-enum-deleted" [V V] Error,
        "A Protobuf enum no longer reserves a number or name it reserved.",
        ["RESERVED_ENUM_NO_DELETE"],
        "## What it does\nReports a reserved range of an enum no longer covered in full, or a reserved name that is gone.\n\n## Why it breaks consumers\nA value may then reuse a number that old data holds with another meaning.\n\n## Example\n```proto\nenum Status { reserved 3; STATUS_UNSPECIFIED = 0; }   // before\nenum Status { STATUS_UNSPECIFIED = 0; }               // after\n```\n\n## How to evolve safely\nKeep reservations for good.\n";
    PROTO_PACKAGE_CHANGED = "P015" "proto-package-changed" [V V] Error,
        "A Protobuf file changed its package.",
        ["FILE_SAME_PACKAGE"],
        "## What it does\nReports a file (matched by path) whose `package` differs, including a package added or removed.\n\n## Why it breaks consumers\nEvery type of the file gets a new full name: `Any` type URLs, gRPC method paths, and code that imports the generated package break.\n\n## Example\n```proto\npackage acme.v1;   // before\npackage acme.v2;   // after\n```\n\n## How to evolve safely\nCopy the definitions into a new file for the new package and keep the old one.\n";
    SLA_WEAKENED = "G001" "sla-weakened" [V V] Error,
        "A service-level promise got weaker (later, less often, shorter retention, lower availability).",
        ["slaProperties_updated"],
        "## What it does\nCompares each `slaProperties` entry (matched by `property`) as a promise: value and unit together, in the direction that makes it stronger for that property. Later or less often (`latency`, `freshness`, `frequency`, `errorRate`, `timeOfAvailability`, time to detect, notify or repair) is weaker; shorter or lower (`retention`, `availability`, `throughput`, `endOfSupport`, `endOfLife`) is weaker. `1 h → 90 min` is weaker, `1 h → 60 min` is no change.\n\n## Why it breaks consumers\nThe data reads the same, but consumers built schedules, dashboards and their own SLAs on the old promise. Consumers whose `relies_on.sla` names the property are listed as affected; with a consumer registry and nobody relying on it, the finding drops to a warning.\n\n## Example\n```yaml\nslaProperties:\n  - {property: latency, value: 1, unit: h}   # before\n  - {property: latency, value: 6, unit: h}   # after\n```\n\n## How to evolve safely\nAgree the new promise with the consumers who rely on it (`contrakt breaking` lists them), then change it, in a new major version if they pin one.\n";
    SLA_REMOVED = "G002" "sla-removed" [V V] Error,
        "A service-level property was removed.",
        ["slaProperties_removed"],
        "## What it does\nReports an `slaProperties` entry that is gone.\n\n## Why it breaks consumers\nA promise nobody checks any more: consumers whose `relies_on.sla` names it lose it silently (contrakt stops checking it after publish too).\n\n## Example\n```yaml\nslaProperties:\n  - {property: retention, value: 3, unit: y}   # removed\n```\n\n## How to evolve safely\nTell the consumers who rely on it first; keep it if anyone still does.\n";
    SLA_CHANGED = "G003" "sla-changed" [V V] Info,
        "A service-level property was added, strengthened, or changed in a way contrakt cannot order.",
        ["slaProperties_added", "slaProperties_updated"],
        "## What it does\nReports an SLA property added or made stronger (info), or changed in a way that has no order contrakt knows (an unknown property, a value it cannot read, another `element`): a warning, since it may be weaker.\n\n## Why it breaks consumers\nA stronger promise does not. An unreadable change may: check it.\n\n## Example\n```yaml\n- {property: latency, value: 6, unit: h}   # before\n- {property: latency, value: 1, unit: h}   # after\n```\n\n## How to evolve safely\nWrite values contrakt can read: a number and a `unit` (`ms`, `s`, `m`, `h`, `d`, `w`, `y`, `%`), or a date.\n";
    SERVER_CHANGED = "G004" "server-removed-or-moved" [V V] Error,
        "A server consumers read the data from was removed, or its location changed.",
        ["servers_removed", "servers_updated"],
        "## What it does\nReports a `servers` entry (matched by `server`) that is gone, or whose location changed: its type, host, port, database, schema, catalog, project, dataset, path, format, account, endpoint or topic.\n\n## Why it breaks consumers\nConsumers read from the server: the data is no longer where their jobs look. Every consumer of the contract is listed as affected.\n\n## Example\n```yaml\nservers:\n  - {server: prod, type: postgres, host: db1, database: sales}   # before\n  - {server: prod, type: postgres, host: db2, database: sales}   # after\n```\n\n## How to evolve safely\nPublish to both places, move the consumers, then retire the old server.\n";
    STATUS_CHANGED = "G005" "status-changed" [V V] Info,
        "The contract's status changed (a warning when it becomes deprecated or retired).",
        ["status_updated"],
        "## What it does\nReports a change of `status`; `deprecated` and `retired` are warnings.\n\n## Why it breaks consumers\nA deprecated contract is going away: its consumers need to plan a move.\n\n## Example\n`status: active → deprecated`\n\n## How to evolve safely\nSay what replaces it and when, and tell the consumers.\n";
    OWNERSHIP_CHANGED = "G006" "ownership-changed" [V V] Info,
        "The team, support channels or access roles changed.",
        ["team_updated", "support_updated", "roles_updated"],
        "## What it does\nReports changes to `team` (members and their roles, matched by `username`), `support` channels, and access `roles` of the contract or of a server.\n\n## Why it breaks consumers\nIt does not change the data, but alerts and questions go to the people listed here, and a removed role can take away a consumer's access.\n\n## Example\n```yaml\nteam:\n  members:\n    - {username: bob, role: engineer}   # before: bob's role\n    - {username: bob, role: owner}      # after\n```\n\n## How to evolve safely\nSafe; tell consumers whose access a role change touches.\n";
    CONTRACT_METADATA_CHANGED = "G007" "contract-metadata-changed" [V V] Info,
        "Other contract-level metadata changed (name, domain, version, description, price, tags, custom properties).",
        ["metadata-or-unknown-change"],
        "## What it does\nReports any other change outside `schema`: `name`, `domain`, `tenant`, `version`, `description` (purpose, usage, limitations), `price`, `tags`, contract-level `customProperties` and `authoritativeDefinitions`, server descriptions.\n\n## Why it breaks consumers\nIt does not; it is the changelog of the agreement.\n\n## Example\n`description.purpose` reworded.\n\n## How to evolve safely\nSafe.\n";
    BREAKING_WITHOUT_MAJOR = "V001" "breaking-without-major-bump" [V V] Error,
        "A breaking change was made without a new major version.",
        [],
        "## What it does\nReports a contract whose `version` did not get a new major number although the change breaks the mode.\n\n## Why it breaks consumers\nConsumers pin major versions (`versions: \">=1.0.0, <2.0.0\"`): a breaking minor release breaks them in place.\n\n## Example\n`version: 1.4.0 → 1.5.0` with a field removed.\n\n## How to evolve safely\nBump the major version (`2.0.0`); consumers pinned to 1.x are then told a new major version is coming.\n";
    MAJOR_WITHOUT_BREAKING = "V002" "major-bump-without-breaking" [V V] Info,
        "The major version was bumped although no change breaks the mode.",
        [],
        "## What it does\nNotes a major version bump with only compatible changes.\n\n## Why it breaks consumers\nIt does not, but consumers pinned to the old major version must update their range for nothing.\n\n## Example\n`1.4.0 → 2.0.0` adding a nullable field.\n\n## How to evolve safely\nUse a minor version for compatible changes.\n";
    WAIVER_EXPIRED = "W001" "waiver-expired" [V V] Error,
        "A waiver in contrakt.yaml is past its `until` date.",
        [],
        "## What it does\nReports a waiver whose `until` date has passed; the findings it covered are reported again.\n\n## Why it breaks consumers\nA waiver records that a breaking change was accepted for a while, with a reason. After its date nobody has re-checked that reason.\n\n## Example\n```yaml\nbreaking:\n  waivers:\n    - {rule: F004, path: orders.legacy_code, reason: consumers migrated, until: 2026-01-31}\n```\n\n## How to evolve safely\nRemove the waiver once the change has shipped, or extend it with a new reason.\n";
    WAIVER_UNUSED = "W002" "waiver-unused" [V V] Warning,
        "A waiver in contrakt.yaml matches no finding.",
        [],
        "## What it does\nReports a waiver that matched no finding of this run.\n\n## Why it breaks consumers\nIt does not; but a stale waiver would silently hide a future breaking change on the same path.\n\n## Example\nA waiver for `orders.legacy_code` after the field is gone.\n\n## How to evolve safely\nDelete it.\n";
}

// Rules are statics: two references are the same rule when they have the same code.
impl PartialEq for BreakingRule {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

/// Families of rules that `contrakt.yaml` selects together (`use: [WIRE]`), nested as buf's are:
/// selecting `SCHEMA` selects the `WIRE` rules too, and `SEMANTIC` every schema rule. `POLICY`
/// (versioning and waivers) stands apart: the gate keeps the version policy unless excepted by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// The data itself stops reading: removed or renamed fields, type, nullability and
    /// presence changes, enum values removed, content models that reject documents.
    Wire,
    /// The declared structure consumers build on: keys, constraints, new fields, order.
    Schema,
    /// What values mean: defaults, descriptions, tags, classification, partitioning, quality rules.
    Semantic,
    /// Versioning and waivers.
    Policy,
}

impl Category {
    pub const ALL: [Category; 4] = [Category::Wire, Category::Schema, Category::Semantic, Category::Policy];

    pub fn name(self) -> &'static str {
        match self {
            Category::Wire => "WIRE",
            Category::Schema => "SCHEMA",
            Category::Semantic => "SEMANTIC",
            Category::Policy => "POLICY",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(s))
    }

    /// Whether selecting `self` selects a rule of `rule`'s category (the nesting).
    pub fn includes(self, rule: Category) -> bool {
        match self {
            Category::Policy => rule == Category::Policy,
            _ => rule != Category::Policy && rule <= self,
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl BreakingRule {
    /// The rule's category; one table here rather than a column in the catalog, so the
    /// families read side by side.
    pub fn category(&self) -> Category {
        match self.code {
            "F002" | "F004" | "F005" | "F006" | "F008" | "F009" | "F010" | "F011" => Category::Wire,
            "E002" | "E003" | "S001" | "S003" | "S004" | "M004" | "C008" | "C009" => Category::Wire,
            c if c.starts_with('N') || c.starts_with('T') => Category::Wire,
            "P001" | "P003" | "P006" | "P009" | "P012" | "P013" | "P014" => Category::Wire,
            c if c.starts_with('V') || c.starts_with('W') => Category::Policy,
            "D001" | "D002" | "D003" | "K006" | "M001" | "M002" | "M003" | "M005" => Category::Semantic,
            c if c.starts_with('G') => Category::Semantic,
            _ => Category::Schema,
        }
    }
}

/// buf's own categories for the buf rules named in `aliases` (buf v1/v2 configuration):
/// `FILE` ⊇ `PACKAGE` ⊇ `WIRE_JSON` ⊇ `WIRE`, each listing its rules explicitly.
const BUF_CATEGORIES: &[(&str, &[&str])] = &[
    ("ENUM_VALUE_NO_DELETE", &["FILE", "PACKAGE"]),
    ("ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", &["WIRE_JSON", "WIRE"]),
    ("ENUM_VALUE_SAME_NAME", &["FILE", "PACKAGE", "WIRE_JSON"]),
    ("FIELD_NO_DELETE", &["FILE", "PACKAGE"]),
    ("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", &["WIRE_JSON", "WIRE"]),
    ("FIELD_SAME_CARDINALITY", &["FILE", "PACKAGE"]),
    ("FIELD_SAME_DEFAULT", &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
    ("FIELD_SAME_JSON_NAME", &["FILE", "PACKAGE", "WIRE_JSON"]),
    ("FIELD_SAME_NAME", &["FILE", "PACKAGE", "WIRE_JSON"]),
    ("FIELD_SAME_ONEOF", &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
    ("FIELD_SAME_TYPE", &["FILE", "PACKAGE"]),
    ("FIELD_WIRE_COMPATIBLE_TYPE", &["WIRE"]),
    ("FIELD_WIRE_JSON_COMPATIBLE_TYPE", &["WIRE_JSON"]),
    ("FILE_SAME_PACKAGE", &["FILE"]),
    ("MESSAGE_NO_DELETE", &["FILE"]),
    ("MESSAGE_SAME_REQUIRED_FIELDS", &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
    ("RESERVED_ENUM_NO_DELETE", &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
    ("RESERVED_MESSAGE_NO_DELETE", &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]),
];

impl BreakingRule {
    /// The buf categories whose checks this rule makes (through the buf rules in `aliases`).
    pub fn buf_categories(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = BUF_CATEGORIES
            .iter()
            .filter(|(rule, _)| self.aliases.contains(rule))
            .flat_map(|(_, cats)| cats.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether a `breaking.use`/`except` selector written in buf's terms picks this rule:
    /// `Some` for a buf category (`buf:WIRE`, `buf:WIRE_JSON`, and unprefixed `WIRE_JSON`,
    /// `PACKAGE`, `FILE`, which name nothing of contrakt's) or a buf rule name
    /// (`FIELD_NO_DELETE`); `None` when the selector is not buf's.
    pub fn buf_selects(&self, selector: &str) -> Option<bool> {
        let upper = selector.to_ascii_uppercase();
        let category = upper
            .strip_prefix("BUF:")
            .or_else(|| ["WIRE_JSON", "PACKAGE", "FILE"].contains(&upper.as_str()).then_some(upper.as_str()));
        if let Some(c) = category {
            return Some(self.buf_categories().contains(&c));
        }
        BUF_CATEGORIES.iter().any(|(rule, _)| *rule == upper).then(|| self.aliases.contains(&upper.as_str()))
    }
}

/// Finds a rule by code (`F004`, `CK-F004`) or slug, case-insensitively.
pub fn find(selector: &str) -> Option<&'static BreakingRule> {
    let s = selector.strip_prefix("CK-").or_else(|| selector.strip_prefix("ck-")).unwrap_or(selector);
    CATALOG.iter().copied().find(|r| r.code.eq_ignore_ascii_case(s) || r.slug.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_slugs_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for r in CATALOG {
            assert!(seen.insert(r.code) && seen.insert(r.slug), "{} repeats", r.code);
            assert!(
                r.code.len() == 4
                    && r.code.as_bytes()[0].is_ascii_uppercase()
                    && r.code[1..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                r.code
            );
            assert!(r.slug.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", r.slug);
            for h in ["## What it does", "## Why it breaks consumers", "## Example", "## How to evolve safely"] {
                assert!(r.docs.contains(h), "{} lacks {h}", r.code);
            }
            assert!(r.summary.ends_with('.') && !r.summary.contains('\n'), "{}", r.code);
        }
    }

    #[test]
    fn inverse_rules_swap_their_verdicts() {
        // The directional core: a change and its inverse swap backward and forward.
        let pairs = [
            (&BECAME_NON_NULLABLE, &BECAME_NULLABLE),
            (&BECAME_REQUIRED, &BECAME_OPTIONAL),
            (&TYPE_WIDENED, &TYPE_NARROWED),
            (&ENUM_VALUE_REMOVED, &ENUM_VALUE_ADDED),
            (&CONSTRAINT_TIGHTENED, &CONSTRAINT_LOOSENED),
            (&PATTERN_ADDED, &PATTERN_REMOVED),
            (&UNIQUE_ITEMS_ADDED, &UNIQUE_ITEMS_REMOVED),
            (&PRIMARY_KEY_ADDED, &PRIMARY_KEY_REMOVED),
            (&UNIQUE_ADDED, &UNIQUE_REMOVED),
            (&UNION_BRANCH_REMOVED, &UNION_BRANCH_ADDED),
            (&FIELD_ADDED_REQUIRED, &FIELD_REMOVED),
        ];
        for (a, b) in pairs {
            let resolve = |v: Verdict| if v == Verdict::Depends { Verdict::Breaking } else { v };
            assert_eq!(
                (resolve(a.backward), resolve(a.forward)),
                (resolve(b.forward), resolve(b.backward)),
                "{} vs {}",
                a.code,
                b.code
            );
        }
    }

    #[test]
    fn categories_nest_and_cover_the_catalog() {
        use Category::*;
        assert_eq!(FIELD_REMOVED.category(), Wire);
        assert_eq!(TYPE_WIDENED.category(), Wire);
        assert_eq!(PRIMARY_KEY_REMOVED.category(), Schema);
        assert_eq!(CONSTRAINT_TIGHTENED.category(), Schema);
        assert_eq!(DEFAULT_CHANGED.category(), Semantic);
        assert_eq!(find("V001").map(BreakingRule::category), Some(Policy));
        assert!(Schema.includes(Wire) && !Wire.includes(Schema) && Semantic.includes(Schema));
        assert!(!Semantic.includes(Policy) && Policy.includes(Policy) && !Policy.includes(Wire));
        // Every category holds rules, and every rule that breaks a direction by default sits
        // below SEMANTIC unless it is about meaning or policy.
        for c in Category::ALL {
            assert!(CATALOG.iter().any(|r| r.category() == c), "{c} is empty");
            assert_eq!(Category::parse(&c.name().to_lowercase()), Some(c));
        }
    }

    #[test]
    fn buf_categories_select_the_rules_that_make_buf_checks() {
        let picked = |sel: &str| -> Vec<&str> {
            CATALOG.iter().filter(|r| r.buf_selects(sel) == Some(true)).map(|r| r.code).collect()
        };
        // buf's WIRE: wire-breaking type changes, unreserved deletions, required fields and
        // reservations; WIRE_JSON adds JSON names and JSON-visible types; PACKAGE and FILE the rest.
        for (sel, yes, no) in [
            (
                "buf:WIRE",
                &["P001", "P003", "P009", "P012", "P013", "P014"][..],
                &["P002", "P004", "P007", "P008", "P010", "P011", "P015"][..],
            ),
            (
                "WIRE_JSON",
                &["P001", "P003", "P007", "P008", "P009", "P010", "P012"][..],
                &["P002", "P004", "P006", "P011", "P015"][..],
            ),
            ("buf:wire_json", &["P010"][..], &["P011"][..]),
            ("PACKAGE", &["P002", "P004", "P006", "P011"][..], &["P015", "P005"][..]),
            ("FILE", &["P005", "P015", "P011"][..], &[][..]),
            ("FIELD_NO_DELETE", &["P001", "P002"][..], &["P003", "F004"][..]),
        ] {
            let got = picked(sel);
            for c in yes {
                assert!(got.contains(c), "{sel} should select {c}: {got:?}");
            }
            for c in no {
                assert!(!got.contains(c), "{sel} should not select {c}: {got:?}");
            }
        }
        // Not buf's: contrakt's own selectors are left to the caller.
        assert_eq!(PROTO_FIELD_DELETED.buf_selects("WIRE"), None);
        assert_eq!(PROTO_FIELD_DELETED.buf_selects("F004"), None);
    }

    #[test]
    fn find_accepts_codes_prefixed_codes_and_slugs() {
        assert_eq!(find("F004").map(|r| r.slug), Some("field-removed"));
        assert_eq!(find("CK-F004").map(|r| r.slug), Some("field-removed"));
        assert_eq!(find("field-removed").map(|r| r.code), Some("F004"));
    }
}
