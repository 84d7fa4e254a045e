"""Notebook output: `__repr__` and `_repr_html_`, snapshotted on a fixed report."""

from __future__ import annotations

import os
from pathlib import Path

import contrakt

SNAPSHOTS = Path(__file__).parent / "snapshots"

REPORT = {
    "version": 1,
    "passed": False,
    "summary": {},
    "reports": [
        {
            "contract": "urn:test:orders",
            "contract_version": "1.0.0",
            "file": "orders.odcs.yaml",
            "now": "2026-11-22T06:00:00Z",
            "objects": [{"object": "orders", "source": "pyarrow.Table", "format": "arrow", "rows": 3}],
            "results": [
                {"id": "orders.id.required", "code": "Q201", "kind": "required", "object": "orders",
                 "property": "id", "status": "pass", "severity": "error", "value": 0.0, "threshold": "= 0",
                 "unit": "rows", "failed_rows": 0, "total_rows": 3, "message": "no nulls"},
                {"id": "orders_status_valid", "code": "Q303", "kind": "invalid-values", "object": "orders",
                 "property": "status", "status": "fail", "severity": "error", "value": 1.0, "threshold": "mustBe: 0",
                 "unit": "rows", "failed_rows": 1, "total_rows": 3,
                 "message": "1 of 3 rows invalid <script>alert(1)</script>",
                 "samples": [{"id": 1, "status": "lost & <gone>"}, {"id": 2, "status": "x" * 300},
                             {"id": 3, "status": "c"}, {"id": 4, "status": "d"}]},
                {"id": "orders_note", "code": "Q308", "kind": "text", "object": "orders", "status": "skipped",
                 "severity": "info", "value": None, "message": "a text rule is for people to check"},
            ],
            "duration_ms": 5,
        }
    ],
}


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("CONTRAKT_BLESS") or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; rerun with CONTRAKT_BLESS=1 and review the diff"


def test_check_result_repr_and_html() -> None:
    result = contrakt.CheckResult(REPORT)
    assert repr(result) == (
        "<CheckResult urn:test:orders FAILED: 1/3 passed, 1 failed, 0 warned, 0 could not run, 1 skipped>"
    )
    html = result._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html  # escaped
    assert "lost &amp; &lt;gone&gt;" in html
    assert "… 1 more" in html  # samples truncated to 3
    assert "x" * 300 not in html  # long cells cut
    assert html.index("Q303") < html.index("Q308") < html.index("Q201")  # failures first
    check_snapshot("check_result.html", html)


def test_diff_report_repr_and_html() -> None:
    report = contrakt.DiffReport(
        {
            "version": 1, "command": "diff", "mode": "full", "compatible": False, "passed": False,
            "summary": {"errors": 1, "warnings": 0, "infos": 0, "breaking": 1},
            "findings": [
                {"code": "F004", "rule": "field-removed", "level": "error", "path": "orders.currency",
                 "breaks": ["forward"], "breaking": True, "affected_consumers": ["finance"],
                 "moving_consumers": [], "message": "field `currency` was removed", "old": "string",
                 "new": None, "file": "old.odcs.yaml", "line": 278, "column": 9, "hint": None, "against": None}
            ],
        }
    )
    assert repr(report) == "<DiffReport mode=full FAILED: 1 breaking, 1 errors, 0 warnings>"
    assert report.affected_consumers == ["finance"]
    check_snapshot("diff_report.html", report._repr_html_())
