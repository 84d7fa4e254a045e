from __future__ import annotations

import pickle

import pytest

import contrakt
from conftest import CONTRACTS, ORDERS

MINIMAL = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:test:tiny
version: 1.2.0
status: active
schema:
  - name: things
    properties:
      - name: thing_id
        logicalType: integer
        required: true
        unique: true
      - name: label
        logicalType: string
"""


def test_load_a_registry_contract() -> None:
    c = contrakt.load(ORDERS)
    assert c.id == "urn:contrakt:meal-kit:orders"
    assert c.version == "1.4.0"
    assert [o.name for o in c.objects] == ["orders"]
    assert "order_id" in c.object("orders").columns
    assert c.file.endswith("orders.odcs.yaml")
    # Quality rules of the object and of its properties, each naming where it sits.
    rules = {r.get("id") or r.get("name"): r for r in c.quality_rules}
    assert rules["orders_status_valid"]["object"] == "orders"
    assert c.owners, "the example contracts name their team"
    d = c.to_dict()
    assert d["id"] == c.id and d["schema"][0]["name"] == "orders"
    assert "Contract(id='urn:contrakt:meal-kit:orders'" in repr(c)


def test_load_text_and_str_paths() -> None:
    c = contrakt.load(MINIMAL)
    assert (c.id, c.version, c.file) == ("urn:test:tiny", "1.2.0", "<string>")
    assert contrakt.load(str(ORDERS)).id == "urn:contrakt:meal-kit:orders"
    assert contrakt.load(c) is c
    with pytest.raises(KeyError, match="no object 'nope'"):
        c.object("nope")


def test_lint_clean_and_dirty() -> None:
    assert [f for f in contrakt.load(ORDERS).lint() if f.level == "error"] == []
    dirty = MINIMAL.replace("name: label", "name: thing_id")
    findings = contrakt.load(dirty).lint()
    dup = [f for f in findings if f.code == "L101"]
    assert dup, findings
    assert dup[0].line is not None and dup[0].column is not None
    assert "thing_id" in dup[0].message


def test_contracts_pickle() -> None:
    for c in (contrakt.load(ORDERS), contrakt.load(MINIMAL)):
        back = pickle.loads(pickle.dumps(c))
        assert (back.id, back.version, back.file) == (c.id, c.version, c.file)


def test_every_registry_contract_loads() -> None:
    for path in CONTRACTS.glob("*.odcs.yaml"):
        assert contrakt.load(path).objects


def test_consumers_of_a_contract(tmp_path) -> None:
    consumers = contrakt.load(ORDERS).consumers()
    ids = {c["id"] for c in consumers}
    assert "finance-revenue-dashboard" in ids
    assert all(any(u["contract"] == "urn:contrakt:meal-kit:orders" for u in c["uses"]) for c in consumers)
    assert contrakt.load(MINIMAL).consumers() == []  # text: no registry
    assert contrakt.load(ORDERS).consumers(tmp_path) == []
    (tmp_path / "bad.yaml").write_text("apiVersion: contrakt/v1\nkind: Consumer\nid: x\nunknown: 1\n")
    with pytest.raises(contrakt.ContractParseError):
        contrakt.load(ORDERS).consumers(tmp_path)
