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
