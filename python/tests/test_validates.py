from __future__ import annotations

import pytest

import contrakt
from conftest import DATA, NOW, ORDERS


@pytest.mark.pyarrow
def test_validates_returns_good_frames_and_stops_bad_ones() -> None:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    @contrakt.validates(ORDERS, object="orders", now=NOW)
    def raw_orders():
        return pq.read_table(DATA / "orders" / "orders.parquet")

    with pytest.raises(contrakt.ContractViolationError) as e:
        raw_orders()
    assert e.value.result.failures

    @contrakt.validates(ORDERS, object="orders", now=NOW, fail_on="error")
    def clean_orders():
        t = pq.read_table(DATA / "orders" / "orders.parquet")
        ok = pc.and_(pc.not_equal(t["status"], "lost"), pc.greater_equal(t["total_amount"], 0))
        ok = pc.and_(ok, pc.invert(pc.is_in(t["box_plan"], value_set=__import__("pyarrow").array(["N/A"]))))
        t = t.filter(ok)
        # Drop the repeated order id (row 5000 repeats row 4999's).
        seen: set[str] = set()
        first = []
        for i, v in enumerate(t["order_id"].to_pylist()):
            if v not in seen:
                seen.add(v)
                first.append(i)
        return t.take(first)

    frame = clean_orders()
    assert frame.num_rows < 10200
    assert clean_orders.__name__ == "clean_orders"


def test_a_broken_contract_fails_at_decoration() -> None:
    with pytest.raises(contrakt.ContractNotFoundError):
        contrakt.validates("no/such.odcs.yaml")
