"""Notebook HTML for results: a compact table with status badges, value against threshold,
failing rows and a few samples. Escaped, truncated, no JavaScript."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report import CheckResult, DiffReport

MAX_ROWS = 40
MAX_SAMPLES = 3
MAX_CELL = 120

_COLORS = {
    "pass": "#1a7f37",
    "fail": "#cf222e",
    "warn": "#9a6700",
    "error": "#8250df",
    "skipped": "#6e7781",
    "breaking": "#cf222e",
    "warning": "#9a6700",
    "info": "#6e7781",
}

_STYLE = (
    "<style>.contrakt td,.contrakt th{text-align:left;vertical-align:top;padding:2px 8px}"
    ".contrakt .badge{color:#fff;border-radius:4px;padding:0 6px;font-size:0.85em;font-weight:bold}"
    ".contrakt code{font-size:0.85em}</style>"
)


def _cut(text: Any, limit: int = MAX_CELL) -> str:
    s = "" if text is None else str(text)
    return escape(s if len(s) <= limit else s[: limit - 1] + "…")


def _badge(status: str) -> str:
    color = _COLORS.get(status, "#6e7781")
    return f'<span class="badge" style="background:{color}">{escape(status)}</span>'


def _rows(rows: list[str], total: int, width: int) -> str:
    if total > len(rows):
        rows.append(f'<tr><td colspan="{width}">… {total - len(rows)} more</td></tr>')
    return "".join(rows)


def check_result(result: CheckResult) -> str:
    c = result.counts
    verdict = _badge("pass" if result.passed else "fail")
    head = (
        f"<div class=\"contrakt\">{_STYLE}<p>{verdict} <b>{escape(result.contract)}</b> "
        f"v{escape(result.contract_version)} at {escape(result.now)}: {c['total']} checks, {c['pass']} passed, "
        f"{c['fail']} failed, {c['warn']} warned, {c['error']} could not run, {c['skipped']} skipped</p>"
    )
    # Failures first, then the rest, in contract order within each group.
    order = {"fail": 0, "error": 1, "warn": 2, "skipped": 3, "pass": 4}
    shown = sorted(result.results, key=lambda r: order.get(r.status, 5))
    rows = []
    for r in shown[:MAX_ROWS]:
        target = f"{r.object}.{r.property}" if r.property else r.object
        value = "" if r.value is None else f"{r.value:g}"
        failing = "" if r.failed_rows is None else f"{r.failed_rows}"
        if r.total_rows is not None and r.failed_rows is not None:
            failing += f" of {r.total_rows}"
        samples = "<br>".join(
            f"<code>{_cut(json.dumps(s, default=str))}</code>" for s in r.samples[:MAX_SAMPLES]
        )
        if len(r.samples) > MAX_SAMPLES:
            samples += f"<br>… {len(r.samples) - MAX_SAMPLES} more"
        rows.append(
            f"<tr><td>{_badge(r.status)}</td><td>{escape(r.code)} {escape(r.kind)}</td><td>{_cut(target)}</td>"
            f"<td>{escape(value)}</td><td>{_cut(r.threshold)}</td><td>{escape(failing)}</td>"
            f"<td>{_cut(r.message)}{'<br>' + samples if samples else ''}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>status</th><th>check</th><th>target</th><th>value</th><th>threshold</th>"
        f"<th>failing rows</th><th>details</th></tr></thead><tbody>{_rows(rows, len(shown), 7)}</tbody></table>"
    )
    return head + table + "</div>"


def diff_report(report: DiffReport) -> str:
    s = report.summary
    head = (
        f"<div class=\"contrakt\">{_STYLE}<p>{_badge('pass' if report.passed else 'fail')} diff, mode "
        f"<b>{escape(report.mode)}</b>: {'compatible' if report.compatible else 'not compatible'}; "
        f"{s.get('breaking', 0)} breaking, {s.get('errors', 0)} errors, {s.get('warnings', 0)} warnings</p>"
    )
    rows = []
    for f in report.findings[:MAX_ROWS]:
        where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")
        rows.append(
            f"<tr><td>{_badge('breaking' if f.breaking else f.level)}</td><td>{escape(f.code)} {escape(f.rule)}</td>"
            f"<td>{_cut(f.path)}</td><td>{_cut(f.message)}</td><td>{_cut(', '.join(f.affected_consumers))}</td>"
            f"<td>{_cut(where)}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>level</th><th>rule</th><th>path</th><th>change</th><th>breaks consumers</th>"
        f"<th>where</th></tr></thead><tbody>{_rows(rows, len(report.findings), 6)}</tbody></table>"
    )
    return head + table + "</div>"
