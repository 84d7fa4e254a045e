//! The generator of `fixtures/data/`: the example registry's datasets, written by DataFusion
//! from SQL over `generate_series`, so every value is a function of the row number and the
//! files are byte-for-byte reproducible. The data keeps the contracts except for a handful of
//! injected violations, listed in `fixtures/data/README.md` with their exact counts, which the
//! `cli_check` tests assert.
//!
//! `fixture_data_is_current` regenerates into a temporary folder and compares; after changing
//! the generator, run it with `CONTRAKT_BLESS=1` to rewrite `fixtures/data/`.

use std::path::Path;

use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::execution::config::SessionConfig;
use datafusion::prelude::SessionContext;

use crate::repo;

/// Deterministic UUID-shaped text for row `n` in a namespace `salt` (distinct per salt, distinct
/// per row: the last group is an odd multiple of `n` modulo 2^48, a bijection).
fn uuid(n: &str, salt: u32) -> String {
    format!(
        "concat(lpad(to_hex(({n} * 2654435761 + {salt}) % 4294967296), 8, '0'), '-', lpad(to_hex(({n} + {salt}) % 65536), 4, '0'), '-4', lpad(to_hex(({n} * 31 + {salt}) % 4096), 3, '0'), '-8', lpad(to_hex(({n} * 17) % 4096), 3, '0'), '-', lpad(to_hex(({n} * 1103515245 + {salt}) % 281474976710656), 12, '0'))"
    )
}

/// Microsecond UTC timestamp from epoch seconds.
fn ts(secs: &str) -> String {
    format!("arrow_cast(to_timestamp_micros(({secs}) * 1000000), 'Timestamp(Microsecond, Some(\"UTC\"))')")
}

fn naive_ts(secs: &str) -> String {
    format!("to_timestamp_micros(({secs}) * 1000000)")
}

/// Days since the epoch as a date.
fn date(days: &str) -> String {
    format!("arrow_cast(CAST({days} AS INT), 'Date32')")
}

/// 2026-11-22T05:30:00Z, the newest update in the data; README checks at 06:00.
const SNAPSHOT: i64 = 1_795_325_400;
/// 2024-01-01 in days and seconds.
const DAY0: i64 = 19_723;
const T0: i64 = DAY0 * 86_400;

pub const ORDERS: i64 = 10_200;
pub const CUSTOMERS: i64 = 500;
pub const RECIPES: i64 = 60;

fn datasets() -> Vec<(&'static str, String)> {
    let pick = |n: &str, values: &[&str]| {
        let list = values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
        format!("make_array({list})[{n} % {} + 1]", values.len())
    };
    let span = SNAPSHOT - T0;
    let orders = format!(
        "SELECT
            CASE WHEN n = 5000 THEN {prev_id} ELSE {order_id} END AS order_id,
            {customer_id} AS customer_id,
            CASE WHEN n IN (1234, 7777) THEN 'N/A' ELSE {plan} END AS box_plan,
            CAST(2 + n % 4 AS SMALLINT) AS recipes_per_box,
            {order_date} AS order_date,
            {delivery_week} AS delivery_week,
            CAST(CASE WHEN n = 4242 THEN -12.5 ELSE 29.99 + (n % 40) END AS DECIMAL(12, 2)) AS total_amount,
            CASE WHEN n % 9 = 0 THEN 'EUR' ELSE 'GBP' END AS currency,
            CASE WHEN n IN (3391, 6782, 10173) THEN 'lost' ELSE {status} END AS status,
            n % 10 = 1 AS is_first_box,
            CASE WHEN n % 4 = 0 THEN NULL WHEN n % 4 = 1 THEN make_array('WELCOME60') ELSE make_array('SPRING10', 'FREESHIP') END AS promo_codes,
            named_struct('method', {method}, 'provider_reference', concat('ch_', lpad(to_hex(n * 7919), 12, '0')), 'captured_at', {created}) AS payment,
            {created} AS created_at,
            CASE WHEN n IN (100, 200, 300, 400) THEN {before} ELSE {updated} END AS updated_at
        FROM (SELECT value AS n FROM generate_series(1, {ORDERS}))",
        prev_id = uuid("(n - 1)", 1),
        order_id = uuid("n", 1),
        customer_id = uuid(&format!("(n % {CUSTOMERS} + 1)"), 2),
        plan = pick("n", &["2P-2R", "2P-3R", "2P-4R", "4P-3R", "4P-4R"]),
        order_date = date(&format!("{DAY0} + n * {} / {ORDERS}", span / 86_400)),
        delivery_week = date(&format!("{DAY0} + ((n * {} / {ORDERS}) / 7) * 7 + 7", span / 86_400)),
        status = pick("n", &["confirmed", "packed", "shipped", "delivered", "delivered", "delivered", "cancelled"]),
        method = pick("n", &["card", "paypal", "apple_pay"]),
        created = ts(&format!("{SNAPSHOT} - ({ORDERS} - n) * {} - 3600", span / ORDERS)),
        updated = ts(&format!("{SNAPSHOT} - ({ORDERS} - n) * {}", span / ORDERS)),
        before = ts(&format!("{SNAPSHOT} - ({ORDERS} - n) * {} - 7200", span / ORDERS)),
    );
    let customers = format!(
        "SELECT
            {customer_id} AS customer_id,
            CASE WHEN n IN (17, 18) THEN concat('user', n, '.example.com') ELSE concat('user', n, '@example.com') END AS email,
            CASE WHEN n % 5 = 0 THEN NULL ELSE concat('+4477009', lpad(CAST(n AS VARCHAR), 5, '0')) END AS phone,
            {postcode} AS postcode,
            CASE WHEN n = 3 THEN {early} ELSE {signup} END AS signup_date,
            CASE WHEN n % 6 = 0 THEN NULL ELSE {plan} END AS subscription_plan,
            {sub_status} AS subscription_status,
            n % 3 <> 0 AS marketing_opt_in,
            named_struct('email', n % 3 <> 0, 'sms', n % 3 = 1, 'updated_at', {created}) AS consent,
            CASE WHEN n % 4 = 0 THEN make_array('vegetarian') ELSE make_array('none') END AS dietary_preferences,
            CAST(n % 40 AS INT) AS lifetime_orders,
            {created} AS created_at,
            {updated} AS updated_at
        FROM (SELECT value AS n FROM generate_series(1, {CUSTOMERS}))",
        customer_id = uuid("n", 2),
        postcode = pick("n", &["SW1A 1AA", "EC1A 1BB", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT"]),
        early = date("17896"),
        signup = date(&format!("{} + n", 17_897 + 30)),
        plan = pick("n", &["2P-2R", "2P-3R", "2P-4R", "4P-3R", "4P-4R"]),
        sub_status = pick("n", &["active", "active", "paused", "cancelled"]),
        created = ts(&format!("{} + n * 86400", 17_897 * 86_400)),
        updated = ts(&format!("{SNAPSHOT} - n * 60")),
    );
    let items = format!(
        "SELECT
            CASE WHEN o IN (9001, 9002) THEN {orphan} ELSE {order_id} END AS order_id,
            CAST(line AS SMALLINT) AS line_number,
            concat('RCP-', lpad(CAST(100000 + (o * 7 + line) % {RECIPES} AS VARCHAR), 6, '0')) AS recipe_id,
            {week} AS delivery_week,
            CAST(CASE WHEN o % 3 = 0 THEN 4 ELSE 2 END AS TINYINT) AS servings,
            CAST(1 AS INT) AS quantity,
            CAST(4.99 + (o % 5) AS DECIMAL(10, 2)) AS unit_price,
            CAST(4.99 + (o % 5) AS DECIMAL(12, 2)) AS line_total,
            line = 3 AS is_add_on,
            CASE WHEN line = 1 THEN make_array('extra_protein') ELSE make_array('no_chilli', 'double_veg') END AS customisations,
            named_struct('discount_amount', CAST(0 AS DECIMAL(10, 2)), 'vat_rate', CAST(0.2 AS DECIMAL(4, 3)), 'promo_code', CAST(NULL AS VARCHAR)) AS pricing,
            {created} AS created_at
        FROM (SELECT o, line FROM (SELECT value AS o FROM generate_series(1, {ORDERS})) CROSS JOIN (SELECT value AS line FROM generate_series(1, 3)) ORDER BY o, line)",
        orphan = uuid("(o + 100000)", 1),
        order_id = uuid("o", 1),
        week = date(&format!("{DAY0} + ((o * {} / {ORDERS}) / 7) * 7 + 7", span / 86_400)),
        created = ts(&format!("{SNAPSHOT} - ({ORDERS} - o) * {} - 3000", span / ORDERS)),
    );
    let deliveries = format!(
        "SELECT
            {delivery_id} AS delivery_id,
            {order_id} AS order_id,
            {carrier} AS carrier,
            CASE WHEN n % 10 = 0 THEN NULL ELSE concat('TRK', lpad(CAST(n * 37 AS VARCHAR), 9, '0')) END AS tracking_number,
            {day} AS delivery_date,
            named_struct('window_start', '08:00', 'window_end', '18:00') AS delivery_window,
            named_struct('line1', concat(n, ' High Street'), 'line2', CAST(NULL AS VARCHAR), 'city', 'London', 'postcode', 'SW1A 1AA', 'country_code', 'GB') AS address,
            CASE WHEN n % 11 = 0 THEN 'scheduled' ELSE 'delivered' END AS status,
            CASE WHEN n % 11 = 0 OR n IN (50, 60) THEN NULL ELSE {delivered} END AS delivered_at,
            CAST(CASE WHEN n = 77 THEN 7 ELSE 1 END AS TINYINT UNSIGNED) AS attempt_count,
            n % 13 <> 0 AS cold_chain_ok,
            {updated} AS updated_at
        FROM (SELECT value AS n FROM generate_series(1, {ORDERS}, 2))",
        delivery_id = uuid("n", 3),
        order_id = uuid("n", 1),
        carrier = pick("n", &["dpd", "royal_mail", "evri", "in_house"]),
        day = date(&format!("{} + n * 600 / {ORDERS}", SNAPSHOT / 86_400 - 600)),
        delivered = naive_ts(&format!("({} + n * 600 / {ORDERS}) * 86400 + 43200", SNAPSHOT / 86_400 - 600)),
        updated = naive_ts(&format!("{SNAPSHOT} - ({ORDERS} - n) * 30")),
    );
    let recipes = format!(
        "SELECT
            concat('RCP-', lpad(CAST(100000 + n - 1 AS VARCHAR), 6, '0')) AS recipe_id,
            concat('Recipe ', n) AS title,
            {cuisine} AS cuisine,
            CAST(15 + (n * 7) % 40 AS SMALLINT) AS prep_minutes,
            CASE WHEN n % 15 = 0 THEN NULL ELSE CAST(450 + n * 10 AS INT) END AS calories,
            n % 3 = 0 AS is_vegetarian,
            CASE WHEN n = 44 THEN make_array('gluten', 'nuts') ELSE make_array('gluten', 'milk') END AS allergens,
            make_array(named_struct('sku', concat('ING-', lpad(CAST(n AS VARCHAR), 5, '0')), 'name', 'onion', 'quantity', CAST(1.5 AS DECIMAL(8, 2)), 'unit', 'piece')) AS ingredients,
            named_struct('protein_g', CAST(30.5 AS DECIMAL(6, 1)), 'carbs_g', CAST(55.0 AS DECIMAL(6, 1)), 'fat_g', CAST(20.0 AS DECIMAL(6, 1))) AS nutrition,
            CAST(CASE WHEN n % 10 = 0 THEN 3.5 ELSE 0 END AS DECIMAL(6, 2)) AS price_supplement,
            {published} AS published_at,
            {updated} AS updated_at
        FROM (SELECT value AS n FROM generate_series(1, {RECIPES}))",
        cuisine = pick("n", &["british", "italian", "indian", "mexican", "thai", "korean", "japanese"]),
        published = ts(&format!("{T0} + n * 86400")),
        updated = ts(&format!("{SNAPSHOT} - n * 600")),
    );
    let menu = format!(
        "SELECT
            {week} AS delivery_week,
            concat('RCP-', lpad(CAST(100000 + (w * 11 + slot) % {RECIPES} AS VARCHAR), 6, '0')) AS recipe_id,
            CAST(slot AS SMALLINT) AS menu_slot,
            slot > 25 AS is_premium,
            CASE WHEN slot % 5 = 0 THEN NULL ELSE CAST(500 + slot AS INT) END AS stock_limit,
            {added} AS added_at
        FROM (SELECT w, slot FROM (SELECT value AS w FROM generate_series(0, 3)) CROSS JOIN (SELECT value AS slot FROM generate_series(1, 30)) ORDER BY w, slot)",
        week = date(&format!("{} + w * 7", SNAPSHOT / 86_400 - 21)),
        added = ts(&format!("{SNAPSHOT} - (4 - w) * 7 * 86400 + slot")),
    );
    // Staged releases of deliveries for `contrakt publish` (fixtures/data/README.md): the next
    // load with delivery 77's attempts corrected, and one where every 7th delivery took 9.
    let fixed = deliveries.replace("WHEN n = 77 THEN 7", "WHEN n = 77 THEN 2");
    let broken = deliveries.replace("WHEN n = 77 THEN 7", "WHEN n % 7 = 0 THEN 9");
    // And one where every 97th delivery took 9 (53 of 5,100 above the maximum): few enough to hold back and
    // publish the rest (`publish --quarantine`, docs/quarantine.md).
    let partial = deliveries.replace("WHEN n = 77 THEN 7", "WHEN n % 97 = 0 THEN 9");
    assert!(fixed != deliveries && broken != deliveries, "the staged variants must differ from the published data");
    assert!(partial != deliveries, "the staged variants must differ from the published data");
    vec![
        ("staged/deliveries-fixed/deliveries.parquet", fixed),
        ("staged/deliveries-broken/deliveries.parquet", broken),
        ("staged/deliveries-partial/deliveries.parquet", partial),
        ("orders/orders.parquet", orders),
        ("customers/synthetic-customers.parquet", customers),
        ("order_items/order_items.parquet", items),
        ("deliveries/deliveries.parquet", deliveries),
        ("recipes/recipes.parquet", recipes),
        ("weekly_menu/weekly_menu.parquet", menu),
    ]
}

/// Writes every dataset under `dir`.
pub async fn generate(dir: &Path) {
    // One partition: rows stay in generation order and files are reproducible.
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    for (file, sql) in datasets() {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let df = ctx.sql(&sql).await.unwrap_or_else(|e| panic!("{file}: {e}"));
        df.write_parquet(path.to_str().unwrap(), DataFrameWriteOptions::new().with_single_file_output(true), None)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

#[test]
fn fixture_data_is_current() {
    let committed = repo().join("fixtures/data");
    if std::env::var_os("CONTRAKT_BLESS").is_some() {
        runtime().block_on(generate(&committed));
        return;
    }
    let fresh = tempfile::tempdir().unwrap();
    runtime().block_on(generate(fresh.path()));
    for (file, _) in datasets() {
        let a = std::fs::read(fresh.path().join(file)).unwrap();
        let b = std::fs::read(committed.join(file))
            .unwrap_or_else(|_| panic!("fixtures/data/{file} is missing: run the test with CONTRAKT_BLESS=1"));
        assert!(a == b, "fixtures/data/{file} is stale: rerun this test with CONTRAKT_BLESS=1 and commit the result");
    }
}
