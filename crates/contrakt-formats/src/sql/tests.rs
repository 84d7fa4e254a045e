use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::tests::{fixture, text_at};
use crate::{load, load_str};

fn sql(text: &str) -> Result<Schema, Error> {
    load_str("t.sql", text, Format::SqlDdl)
}

fn err(text: &str, dialect: Option<&str>) -> String {
    match load_sql("t.sql", text, dialect) {
        Ok(s) => panic!("expected an error, got {s:#?}"),
        Err(e) => e.to_string(),
    }
}

fn field<'a>(fields: &'a [Field], name: &str) -> &'a Field {
    fields.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no field {name}"))
}

fn meta<'a>(f: &'a Field, key: &str) -> Option<&'a str> {
    f.metadata.get(key).map(String::as_str)
}

#[test]
fn postgres_orders_fixture_lowers_to_the_expected_ir() {
    let path = fixture("sql/orders.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    let s = load(&path, None).unwrap();
    assert_eq!(s.record_model, RecordModel::ByNameStrict);
    assert!(s.qualified_paths);
    let names: Vec<&str> = s.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["orders", "order_items"]);
    let o = &s.objects[0];
    assert_eq!(o.physical_name.as_deref(), Some("commerce.orders"));
    assert_eq!(o.kind.as_deref(), Some("table"));
    assert_eq!(o.pointer, "/tables/commerce.orders");
    assert_eq!(
        o.description.as_deref(),
        Some("One row per box order; a subscription produces one order per delivery week.")
    );
    assert_eq!(o.primary_key, vec!["order_id"]);
    assert_eq!(o.fields.len(), 16);
    let f = |n| field(&o.fields, n);

    let id = f("order_id");
    assert_eq!(id.data_type, DataType::Uuid);
    assert!(!id.nullable && id.required);
    assert_eq!(id.primary_key_position, Some(1));
    assert_eq!(id.description.as_deref(), Some("Surrogate key generated at checkout."));
    assert_eq!(id.pointer, "/tables/commerce.orders/columns/0");
    assert_eq!(text_at(&text, id.span), "order_id        UUID PRIMARY KEY");
    assert_eq!(meta(id, "physicalType"), Some("UUID"));

    assert_eq!(meta(f("customer_id"), "references"), Some("commerce.customers(customer_id)"));
    let plan = f("box_plan");
    assert_eq!(
        (plan.data_type.clone(), plan.constraints.max_length, plan.nullable),
        (DataType::String, Some(5), false)
    );
    assert_eq!(meta(plan, "check"), Some("box_plan ~ '^[24]P-[2-5]R$'"));
    assert_eq!(text_at(&text, plan.span), "box_plan        VARCHAR(5) NOT NULL CHECK (box_plan ~ '^[24]P-[2-5]R$')");
    let recipes = f("recipes_per_box");
    assert_eq!(recipes.data_type, DataType::int(16));
    assert_eq!(recipes.default, Some(json!(3)));
    assert_eq!(meta(recipes, "check"), Some("recipes_per_box BETWEEN 2 AND 5"));
    assert_eq!(f("order_date").data_type, DataType::Date);
    let total = f("total_amount");
    assert_eq!(total.data_type, DataType::Decimal { precision: Some(12), scale: Some(2) });
    assert_eq!(total.default, Some(json!(0.0)));
    assert_eq!(f("currency").constraints.max_length, Some(3));
    assert_eq!(f("currency").default, Some(json!("GBP")));
    assert_eq!(f("status").default, Some(json!("pending")), "a cast literal is still that literal");
    assert_eq!(f("is_first_box").default, Some(json!(false)));
    let promo = f("promo_codes");
    assert_eq!(promo.data_type.to_string(), "list<string>");
    assert!(promo.nullable, "columns are nullable unless NOT NULL");
    assert_eq!((f("payment").data_type.clone(), f("payment").nullable), (DataType::Any, true));
    assert_eq!(f("discount_pence").default, Some(json!(-150)));
    assert!(f("external_ref").unique);
    let created = f("created_at");
    assert_eq!(created.data_type, DataType::Timestamp { unit: None, timezone: Some(true) });
    assert_eq!(created.default, Some(json!("now()")), "expressions as their SQL text");
    assert_eq!(meta(created, "check"), Some("updated_at >= created_at"), "table CHECKs go to the columns they name");
    assert_eq!(f("updated_at").data_type, created.data_type);
    assert_eq!(f("updated_at").default, Some(json!("CURRENT_TIMESTAMP")));

    let items = &s.objects[1];
    assert_eq!(items.primary_key, vec!["order_id", "line_no"], "composite keys in key order");
    assert_eq!(field(&items.fields, "line_no").primary_key_position, Some(2));
    let fks: Vec<(&[String], &[String])> = items.foreign_keys.iter().map(|k| (&k.from[..], &k.to[..])).collect();
    assert_eq!(
        fks,
        [(&["order_id".to_string()][..], &["orders.order_id".to_string()][..])],
        "foreign keys name the referenced table unqualified, as ODCS `to` does"
    );
    let orders_fks: Vec<(&[String], &[String])> =
        s.objects[0].foreign_keys.iter().map(|k| (&k.from[..], &k.to[..])).collect();
    assert_eq!(
        orders_fks,
        [(&["customer_id".to_string()][..], &["customers.customer_id".to_string()][..])],
        "a column's REFERENCES is a one-column foreign key"
    );
    assert_eq!(text_at(&text, field(&items.fields, "unit_price").span), "unit_price DECIMAL(8,2)");

    let paths: Vec<String> = s.walk().iter().map(|(p, _)| p.to_string()).collect();
    assert!(paths.contains(&"order_items.quantity".to_string()), "{paths:?}");
}

#[test]
fn bigquery_nested_types_partitioning_and_options() {
    let path = fixture("sql/orders_bigquery.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    for dialect in [None, Some("bigquery")] {
        let s = load_sql(&path.display().to_string(), &text, dialect).unwrap();
        let o = &s.objects[0];
        assert_eq!(o.name, "orders");
        assert_eq!(o.physical_name.as_deref(), Some("freshbox-analytics.commerce.orders"));
        assert_eq!(o.description.as_deref(), Some("One row per box order."));
        assert_eq!(o.partitioning, vec!["order_date"]);
        assert_eq!(field(&o.fields, "order_date").partition_position, Some(1));
        let id = field(&o.fields, "order_id");
        assert_eq!(id.description.as_deref(), Some("Surrogate key generated at checkout."));
        let items = field(&o.fields, "items");
        assert_eq!(items.data_type.to_string(), "list<struct<sku: string, quantity: int64, unit_price: decimal(8,2)>>");
        let DataType::List(item) = &items.data_type else { panic!() };
        let sku = &item.data_type.children()[0];
        assert_eq!(sku.pointer, "/tables/freshbox-analytics.commerce.orders/columns/2/items/fields/0");
        assert_eq!(text_at(&text, sku.span), "sku STRING");
        assert_eq!(text_at(&text, item.data_type.children()[2].span), "unit_price NUMERIC(8, 2)");
        let payment = field(&o.fields, "payment");
        assert_eq!(text_at(&text, payment.span), "payment STRUCT<method STRING, captured_at TIMESTAMP>");
        let created = field(&o.fields, "created_at");
        let expected = match dialect {
            // Named: BigQuery TIMESTAMP is an instant (microseconds, UTC).
            Some(_) => DataType::Timestamp { unit: Some(TimeUnit::Microsecond), timezone: Some(true) },
            // Unnamed: the generic dialect parses the file, and a bare TIMESTAMP has no zone.
            None => DataType::Timestamp { unit: None, timezone: Some(false) },
        };
        assert_eq!(created.data_type, expected, "{dialect:?}");
    }
}

#[test]
fn databricks_partitions_maps_and_comments() {
    let s = load(&fixture("sql/orders_databricks.sql"), None).unwrap();
    let o = &s.objects[0];
    assert_eq!(o.physical_name.as_deref(), Some("gold.orders"));
    assert_eq!(o.description.as_deref(), Some("One row per box order"));
    assert_eq!(o.partitioning, vec!["order_date"]);
    assert_eq!(field(&o.fields, "order_id").description.as_deref(), Some("Surrogate key generated at checkout."));
    assert_eq!(field(&o.fields, "attributes").data_type.to_string(), "map<string, string>");
    assert_eq!(field(&o.fields, "promo_codes").data_type.to_string(), "list<string>");

    // Hive declares partition columns only in PARTITIONED BY, with their types.
    let s = sql("CREATE TABLE events (id BIGINT) PARTITIONED BY (dt DATE, region STRING)").unwrap();
    let o = &s.objects[0];
    assert_eq!(o.partitioning, vec!["dt", "region"]);
    assert_eq!(field(&o.fields, "dt").data_type, DataType::Date);
    assert_eq!(field(&o.fields, "region").partition_position, Some(2));
    assert_eq!(field(&o.fields, "region").pointer, "/tables/events/columns/2");
}

#[test]
fn types_parse_physical_type_lacks_are_handled_here() {
    let s = load_sql(
        "t.sql",
        "CREATE TABLE t (a INT UNSIGNED, b BIGINT UNSIGNED, c TINYINT(3) UNSIGNED, d TIME WITH TIME ZONE, \
         e INTERVAL, f SMALLSERIAL, g MONEY, h ENUM('small', 'large'), i YEAR, j VARCHAR(20) CHARACTER SET utf8mb4)",
        Some("mysql"),
    );
    // MySQL does not know SMALLSERIAL/MONEY/TIME WITH TIME ZONE as types, but reads them as names.
    let s = s.unwrap();
    let f = |n| field(&s.objects[0].fields, n).data_type.clone();
    assert_eq!(f("a"), DataType::uint(32));
    assert_eq!(f("b"), DataType::uint(64));
    assert_eq!(f("c"), DataType::uint(8));
    assert_eq!(f("d"), DataType::Time { unit: None });
    assert_eq!(f("e"), DataType::Duration);
    assert_eq!(f("f"), DataType::int(16));
    assert_eq!(f("g"), DataType::Unknown("MONEY".into()), "kept verbatim when contrakt cannot interpret it");
    assert_eq!(f("h"), DataType::Enum { symbols: vec!["small".into(), "large".into()], default: None, open: false });
    assert_eq!(f("i"), DataType::int(16));
    assert_eq!(field(&s.objects[0].fields, "j").constraints.max_length, Some(20));

    let s =
        load_sql("t.sql", "CREATE TABLE t (s STRING(10), ts TIMESTAMP(3), a ARRAY<INT64>)", Some("BigQuery")).unwrap();
    let fields = &s.objects[0].fields;
    assert_eq!(field(fields, "s").constraints.max_length, Some(10));
    assert_eq!(
        field(fields, "ts").data_type,
        DataType::Timestamp { unit: Some(TimeUnit::Millisecond), timezone: Some(true) }
    );
    let s =
        sql("CREATE TABLE t (a TIMESTAMP(6) WITH TIME ZONE, b NUMERIC, c DOUBLE PRECISION, d BYTEA, e TEXT)").unwrap();
    let types: Vec<String> = s.objects[0].fields.iter().map(|f| f.data_type.to_string()).collect();
    assert_eq!(types, ["timestamp[us] with time zone", "decimal", "float64", "binary", "string"]);
}

#[test]
fn float_is_four_bytes_in_spark_and_eight_elsewhere() {
    for (dialect, bits) in [(Some("spark"), 32), (Some("databricks"), 32), (Some("postgresql"), 64), (None, 64)] {
        let s = load_sql("t.sql", "CREATE TABLE t (a FLOAT)", dialect).unwrap();
        assert_eq!(field(&s.objects[0].fields, "a").data_type, DataType::Float { bits: Some(bits) }, "{dialect:?}");
    }
    // Inside a STRUCT too (what `export --to sql --dialect spark` writes for a float32 member).
    let s = load_sql("t.sql", "CREATE TABLE t (s STRUCT<b: FLOAT>)", Some("spark")).unwrap();
    let DataType::Struct(members) = &field(&s.objects[0].fields, "s").data_type else { panic!("s is not a struct") };
    assert_eq!(members[0].data_type, DataType::Float { bits: Some(32) });
}

#[test]
fn spans_survive_quotes_comments_and_comparisons() {
    let text = "CREATE TABLE \"Odd Table\" (\n  \"a, b\" INT NOT NULL, -- a comment, with a comma\n  c INT CHECK (c < 5 AND c > 0),\n  d STRUCT<x INT, y ARRAY<STRUCT<z INT>>> /* trailing, comment */\n)";
    let s = sql(text).unwrap();
    let o = &s.objects[0];
    assert_eq!(o.name, "Odd Table");
    assert_eq!(o.pointer, "/tables/Odd Table");
    assert_eq!(text_at(text, o.fields[0].span), "\"a, b\" INT NOT NULL");
    assert_eq!(o.fields[0].name, "a, b");
    assert_eq!(text_at(text, o.fields[1].span), "c INT CHECK (c < 5 AND c > 0)");
    assert_eq!(text_at(text, o.fields[2].span), "d STRUCT<x INT, y ARRAY<STRUCT<z INT>>> /* trailing, comment */");
    let y = &o.fields[2].data_type.children()[1];
    assert_eq!(text_at(text, y.span), "y ARRAY<STRUCT<z INT>>");
}

#[test]
fn comment_statements_and_other_statements() {
    let s = sql(
        "CREATE TABLE s.t (a INT);\nINSERT INTO s.t VALUES (1);\nCOMMENT ON COLUMN s.t.a IS 'The a.';\nCOMMENT ON TABLE t IS 'The t.';",
    );
    let s = s.unwrap();
    assert_eq!(s.objects[0].description.as_deref(), Some("The t."));
    assert_eq!(s.objects[0].fields[0].description.as_deref(), Some("The a."));
}

#[test]
fn pg_dump_style_alter_table_declares_keys_and_constraints() {
    let s = load_sql(
        "dump.sql",
        "SET statement_timeout = 0;\n\
         CREATE TABLE public.orders (\n    order_id uuid,\n    status character varying(16),\n    total numeric(12,2)\n);\n\
         ALTER TABLE public.orders OWNER TO app;\n\
         ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (order_id);\n\
         ALTER TABLE ONLY public.orders ALTER COLUMN status SET DEFAULT 'pending'::character varying;\n\
         ALTER TABLE public.orders ALTER COLUMN total SET NOT NULL;\n\
         ALTER TABLE public.orders ADD COLUMN note text;\n\
         ALTER TABLE ONLY public.other ADD CONSTRAINT other_pkey PRIMARY KEY (id);\n",
        Some("postgresql"),
    )
    .unwrap();
    let o = &s.objects[0];
    assert_eq!(o.primary_key, vec!["order_id"]);
    let f = |n| field(&o.fields, n);
    assert_eq!((f("order_id").primary_key_position, f("order_id").nullable), (Some(1), false));
    assert_eq!(f("status").default, Some(json!("pending")));
    assert_eq!(f("status").constraints.max_length, Some(16));
    assert!(!f("total").nullable);
    assert_eq!(f("note").pointer, "/tables/public.orders/columns/3");
    let e = err("CREATE TABLE t (a INT);\nALTER TABLE t ADD PRIMARY KEY (b);", Some("postgresql"));
    assert!(e.contains("t.sql:2:32: invalid SQL DDL schema: PRIMARY KEY names the column `b`"), "{e}");
}

#[test]
fn tables_of_the_same_name_in_two_schemas_keep_qualified_names() {
    let s = sql("CREATE TABLE staging.orders (a INT);\nCREATE TABLE prod.orders (a INT);\nCREATE TABLE prod.items (b INT);\nCOMMENT ON TABLE prod.orders IS 'Live.';").unwrap();
    let names: Vec<&str> = s.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["staging.orders", "prod.orders", "items"]);
    assert_eq!(s.objects[1].description.as_deref(), Some("Live."));
    assert_eq!(s.objects[0].description, None);
}

#[test]
fn invalid_ddl_gives_precise_errors() {
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            "CREATE TABLE t (\n  a INT,\n  b INT NOT NUL\n);",
            None,
            "t.sql:3:9: SQL DDL syntax error: Expected: ',' or ')' after column definition, found: NOT (tried the generic, postgresql, bigquery, snowflake, databricks, hive, spark, mysql dialects; generic got furthest)",
        ),
        (
            "CREATE TABLE t (a INT,, b INT)",
            Some("postgresql"),
            "t.sql:1:23: SQL DDL syntax error: Expected: column name or constraint definition, found: , (postgresql dialect)",
        ),
        (
            "CREATE TABLE t (\n  a INT,\n  PRIMARY KEY (id)\n)",
            None,
            "t.sql:3:16: invalid SQL DDL schema: PRIMARY KEY names the column `id`, which the table `t` does not define",
        ),
        (
            "CREATE TABLE t (\n  a INT,\n  A TEXT\n)",
            None,
            "t.sql:3:3: invalid SQL DDL schema: the table `t` defines the column `A` twice (first as `a`)",
        ),
        (
            "CREATE TABLE t (a INT PRIMARY KEY, b INT, PRIMARY KEY (b))",
            None,
            "the table `t` declares more than one primary key",
        ),
        (
            "CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)",
            None,
            "t.sql:1:36: invalid SQL DDL schema: the table `t` declares PRIMARY KEY on more than one column",
        ),
        ("CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b, a))", None, "the PRIMARY KEY of `t` lists `a` twice"),
        (
            "CREATE TABLE t (a INT);\nCREATE TABLE t (b INT);",
            None,
            "t.sql:2:14: invalid SQL DDL schema: the table `t` is created twice",
        ),
        (
            "CREATE INDEX i ON t (a);",
            None,
            "t.sql: unsupported SQL DDL schema: no CREATE TABLE statement found (1 other statements)",
        ),
        ("", None, "no CREATE TABLE statement found (0 other statements)"),
        ("CREATE TABLE t AS SELECT 1 AS a", None, "`CREATE TABLE t AS SELECT …` lists no columns"),
        ("CREATE TABLE t (a INT)", Some("cobol"), "unknown SQL dialect `cobol`"),
        ("CREATE TABLE t (a 'unterminated", None, "t.sql:1:20: SQL DDL syntax error: Unterminated string literal"),
    ];
    for (text, dialect, expected) in cases {
        let e = err(text, *dialect);
        assert!(e.contains(expected), "for {text}\n  got: {e}\n want: {expected}");
    }
    let deep = format!("CREATE TABLE t (a {}INT{})", "STRUCT<x ".repeat(40), ">".repeat(40));
    assert!(err(&deep, None).contains("brackets nest deeper than 32 levels"));
}

/// Text built from DDL's own vocabulary, so the generator reaches past the tokenizer.
fn ddl_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "CREATE TABLE",
            "t",
            "a",
            "b",
            "(",
            ")",
            ",",
            ";",
            "INT",
            "VARCHAR(3)",
            "STRUCT<",
            "ARRAY<",
            "MAP<",
            ">",
            "NOT NULL",
            "NULL",
            "PRIMARY KEY",
            "UNIQUE",
            "DEFAULT",
            "1",
            "'x'",
            "-",
            "CHECK",
            "<",
            "COMMENT",
            "REFERENCES",
            "PARTITIONED BY",
            "PARTITION BY",
            "OPTIONS(description=\"d\")",
            "CONSTRAINT",
            "\"q\"",
            "`x.y`",
            "TIMESTAMP",
            "COMMENT ON COLUMN t.a IS 'c'",
        ]),
        0..40,
    )
    .prop_map(|words| words.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::tests::cases(128), ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = sql(&s);
    }

    #[test]
    fn never_panics_on_ddl_shaped_text(s in ddl_soup()) {
        let _ = sql(&s);
    }
}
