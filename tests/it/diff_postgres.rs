//! `contrakt diff CONTRACT postgres://…/DATABASE/SCHEMA.TABLE`: the registered contract against
//! the table deployed in a real PostgreSQL ([`crate::postgres`]), read from its catalog.

use crate::contrakt;

/// The orders table as the contract's own DDL export creates it, deployed without
/// `total_amount` (and without the foreign key to a table this database lacks).
fn deployed_orders() -> String {
    let pg = crate::postgres::server();
    let url = pg.create_database("diff_live");
    let ddl = contrakt(["export", "contracts/orders.odcs.yaml", "--to", "sql:postgres"]);
    ddl.assert_exit(0);
    let create: String = ddl.stdout.split(";\n").next().unwrap().to_string();
    let create: Vec<&str> = create
        .lines()
        .filter(|l| !l.trim_start().starts_with("total_amount") && !l.trim_start().starts_with("FOREIGN KEY"))
        .collect();
    let create = create.join("\n").replace("PRIMARY KEY (order_id),", "PRIMARY KEY (order_id)");
    pg.psql(&url, &create);
    url
}

#[test]
fn diff_against_a_postgres_table_names_the_consumers_a_drift_breaks() {
    let url = deployed_orders();
    let table = format!("orders={url}/public.orders_v1");
    let run = contrakt([
        "diff",
        "contracts/orders.odcs.yaml",
        &table,
        "--consumers",
        "contracts/consumers",
        "--format",
        "json",
    ]);
    run.assert_exit(1);
    let findings = run.findings();
    let removed = findings
        .iter()
        .find(|f| f["path"] == "orders.total_amount")
        .unwrap_or_else(|| panic!("no finding on orders.total_amount\n{run}"));
    assert_eq!(removed["code"], "F004", "required in the contract, gone from the table: {run}");
    assert_eq!(removed["level"], "error", "a consumer reads it: {run}");
    let affected: Vec<&str> =
        removed["affected_consumers"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(affected.contains(&"finance-revenue-dashboard"), "{run}");
    // The columns deployed as the contract says raise nothing.
    for same in ["orders.order_date", "orders.status", "orders.is_first_box", "orders.recipes_per_box"] {
        assert!(!findings.iter().any(|f| f["path"] == same), "{same} is as contracted: {run}");
    }
}

#[test]
fn a_postgres_url_is_refused_with_a_password_or_without_a_table() {
    let url = deployed_orders();
    let at_host = url.split_once("://").unwrap().1;
    let at_host = at_host.split_once('@').map_or(at_host, |(_, h)| h);
    let with_password = format!("postgres://someone:hunter2@{at_host}");
    let run = contrakt(["diff", "contracts/orders.odcs.yaml", &format!("{with_password}/public.orders_v1")]);
    run.assert_exit(2);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("CONTRAKT_PG_PASSWORD") && !said.contains("hunter2"), "{run}");
    let run = contrakt(["diff", "contracts/orders.odcs.yaml", &format!("{url}/public.nope")]);
    run.assert_exit(2);
    assert!(format!("{}{}", run.stdout, run.stderr).contains("public.nope"), "{run}");
}
