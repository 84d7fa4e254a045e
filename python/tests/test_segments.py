"""Segmented checks and reconciliation through `contrakt.check`: the example registry's
`orders_per_market` (by currency) and `items_match_orders` (order lines against orders), and a
frame whose one segment fails."""

from __future__ import annotations

import pytest

import contrakt
from conftest import CONTRACTS, NOW, ORDERS, by_id


def test_the_example_segmented_rule_names_its_segments() -> None:
    r = by_id(contrakt.check(None, ORDERS, now=NOW))["orders_per_market"]
    assert r.status == "pass" and r.value == 10200.0
    assert r.segments is not None
    assert (r.segments["by"], r.segments["total"], r.segments["failing"]) == (["currency"], 2, 0)
    assert r.message.endswith("all 2 segments by currency pass")


def test_the_example_reconciliation_reads_the_other_contract() -> None:
    items = CONTRACTS / "order-items.odcs.yaml"
    r = by_id(contrakt.check(None, items, now=NOW))["items_match_orders"]
    assert (r.code, r.status, r.value) == ("Q701", "pass", 0.0)
    assert "distinct order_id 10200 vs 10199" in r.message
    assert "3 keys of 10200 only in `order_items`" in r.message


@pytest.mark.pyarrow
def test_a_failing_segment_of_a_frame(orders_table) -> None:
    import pyarrow.compute as pc

    # Keep only 500 of the EUR orders: EUR (1133 in the data) drops under the rule's 1000.
    eur = pc.equal(orders_table["currency"], "EUR")
    keep = pc.or_(pc.invert(eur), pc.less(pc.cumulative_sum(pc.cast(eur, "int64")), 501))
    r = by_id(contrakt.check(orders_table.filter(keep), ORDERS, now=NOW))["orders_per_market"]
    assert r.status == "fail", r.message
    assert r.segments["failing"] == 1
    worst = r.segments["worst"][0]
    assert (worst["segment"], worst["values"], worst["value"]) == ("currency=EUR", {"currency": "EUR"}, 500.0)
    assert r.message.startswith("1 of 2 segments by currency fail (the contract says > 1000 for each): currency=EUR (500 rows)")


SEGMENTED = """apiVersion: v3.1.0
kind: DataContract
version: 1.0.0
status: active
id: urn:t:orders
schema:
  - name: orders
    properties:
      - {name: order_id, logicalType: string, primaryKey: true}
      - {name: country, logicalType: string}
      - name: status
        logicalType: string
        quality:
          - id: status_nulls_per_country
            metric: nullValues
            unit: percent
            mustBeLessOrEqualTo: 10
            customProperties:
              - {property: contraktSegments, value: [country]}
"""


def test_a_check_failing_only_in_a_segment_shows_that_segments_rows(tmp_path) -> None:
    # FR: 40 orders with a status; DE: 10, the first 3 without one (30% of DE, 6% of all).
    rows = [f"f{i:02},FR,placed" for i in range(40)] + [f"d{i:02},DE,{'' if i < 3 else 'placed'}" for i in range(10)]
    (tmp_path / "orders.csv").write_text("order_id,country,status\n" + "\n".join(rows) + "\n")
    (tmp_path / "orders.yaml").write_text(SEGMENTED)
    r = by_id(contrakt.check(tmp_path / "orders.csv", tmp_path / "orders.yaml", sample=2, now=NOW))[
        "status_nulls_per_country"
    ]
    assert r.status == "fail" and r.value == 6.0, r.message
    assert r.samples == [
        {"order_id": "d00", "status": None, "segment": "country=DE"},
        {"order_id": "d01", "status": None, "segment": "country=DE"},
    ]


def _registry_across(tmp_path, postgres, database: str, items: list[tuple[int, float]]):
    server = postgres.entry(database)
    (tmp_path / "contrakt.yaml").write_text('version: 1\ncontracts: ["*.odcs.yaml"]\n')
    (tmp_path / "orders.odcs.yaml").write_text(
        "apiVersion: v3.1.0\nkind: DataContract\nversion: 1.0.0\nstatus: active\nid: urn:t:orders\n"
        f"servers:\n  - {server}\nschema:\n  - name: orders\n    properties:\n"
        "      - {name: order_id, logicalType: integer}\n      - {name: amount, logicalType: number}\n"
    )
    (tmp_path / "items.csv").write_text("order_id,line_total\n" + "".join(f"{o},{t}\n" for o, t in items))
    (tmp_path / "items.odcs.yaml").write_text(
        "apiVersion: v3.1.0\nkind: DataContract\nversion: 1.0.0\nstatus: active\nid: urn:t:items\n"
        "servers:\n  - {server: local, type: local, path: items.csv, format: csv}\n"
        "schema:\n  - name: items\n    properties:\n"
        "      - {name: order_id, logicalType: integer}\n      - {name: line_total, logicalType: number}\n"
        "    customProperties:\n      - property: contraktReconcile\n        value:\n"
        "          {id: items_match_orders, with: orders, rowCount: true,"
        " sum: [{column: line_total, with: amount}], keys: order_id}\n"
    )
    return tmp_path / "items.odcs.yaml"


def test_a_file_reconciles_with_a_postgres_table(postgres, tmp_path, monkeypatch) -> None:
    database = postgres.create_database("reconcile")
    postgres.psql(
        database,
        "CREATE SCHEMA s; CREATE TABLE s.orders (order_id int8, amount numeric(10,2));"
        "INSERT INTO s.orders SELECT g, 10 FROM generate_series(1, 50) g;",
    )
    postgres.sign_in(monkeypatch)
    # Order 50 is missing from the file, order 77 only there.
    items = _registry_across(tmp_path, postgres, database, [(o, 10.0) for o in [*range(1, 50), 77]])
    r = by_id(contrakt.check(None, items, now=NOW))["items_match_orders"]
    assert (r.code, r.status, r.value) == ("Q701", "fail", 2.0), r.message
    assert r.message == (
        "against `orders` (exact): rows 50 vs 50 (equal); sum(line_total) vs sum(amount) 500 vs 500 (equal); "
        "1 key of 50 only in `items`, e.g. 77 (outside the tolerance); "
        "1 key of 50 only in `orders`, e.g. 50 (outside the tolerance)"
    )
    assert r.samples == [{"only_in": "items", "order_id": 77}, {"only_in": "orders", "order_id": 50}]

    # Equal datasets pass.
    items = _registry_across(tmp_path, postgres, database, [(o, 10.0) for o in range(1, 51)])
    r = by_id(contrakt.check(None, items, now=NOW))["items_match_orders"]
    assert (r.status, r.value) == ("pass", 0.0), r.message
