from __future__ import annotations

import pickle

import pytest

import contrakt
from conftest import CONTRACTS, ORDERS, REPO


def test_identical_contracts_pass() -> None:
    report = contrakt.diff(ORDERS, ORDERS)
    assert report.passed and report.compatible and report.findings == []
    assert report.raise_for_breaking() is report


def test_a_removed_column_breaks_its_consumers(tmp_path) -> None:
    text = ORDERS.read_text()
    changed = tmp_path / "orders.odcs.yaml"
    # Drop `total_amount`, which the finance dashboard reads, and bump nothing.
    lines = text.splitlines(keepends=True)
    start = next(i for i, l in enumerate(lines) if l.strip() == "name: total_amount")
    # The property block starts at the `- ` line above and ends before the next sibling.
    begin = max(i for i in range(start + 1) if lines[i].lstrip().startswith("- ") and i <= start)
    indent = len(lines[begin]) - len(lines[begin].lstrip())
    end = next(
        i for i in range(start + 1, len(lines))
        if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) <= indent
    )
    changed.write_text("".join(lines[:begin] + lines[end:]))
    report = contrakt.diff(ORDERS, changed, consumers=CONTRACTS / "consumers")
    assert not report.passed and not report.compatible
    removed = [f for f in report.findings if f.code == "F004"]
    assert removed and removed[0].path == "orders.total_amount" and removed[0].breaking
    assert "finance-revenue-dashboard" in report.affected_consumers
    assert any(f.code == "V001" for f in report.findings)  # breaking without a major bump
    with pytest.raises(contrakt.BreakingChangeError) as e:
        report.raise_for_breaking()
    assert e.value.report is report and "F004" in str(e.value)
    back = pickle.loads(pickle.dumps(e.value))
    assert back.report.findings == report.findings
    assert "F004" in report._repr_html_()


def test_contract_objects_and_rule_fixtures() -> None:
    pair = REPO / "fixtures" / "breaking" / "C001"
    old, new = contrakt.load(pair / "before.odcs.yaml"), contrakt.load(pair / "after.odcs.yaml")
    by_path = contrakt.diff(pair / "before.odcs.yaml", pair / "after.odcs.yaml", mode="none")
    by_object = contrakt.diff(old, new, mode="none")
    assert by_path.findings == by_object.findings
    assert by_object.mode == "none"


def test_other_formats_and_bad_input(tmp_path) -> None:
    (tmp_path / "a.sql").write_text("CREATE TABLE t (id BIGINT NOT NULL, name TEXT);")
    (tmp_path / "b.sql").write_text("CREATE TABLE t (id INT NOT NULL);")
    report = contrakt.diff(tmp_path / "a.sql", tmp_path / "b.sql")
    assert not report.passed and {f.path for f in report.breaking} >= {"t.name"}
    with pytest.raises(contrakt.ContraktUsageError, match="unknown mode"):
        contrakt.diff(ORDERS, ORDERS, mode="sideways")
    with pytest.raises(contrakt.ContractNotFoundError):
        contrakt.diff(ORDERS, tmp_path / "missing.odcs.yaml")
