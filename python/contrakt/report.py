"""What checks and diffs return: plain data (they pickle and compare), with notebook reprs."""

from __future__ import annotations

import builtins
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from . import _contrakt, _html
from .exceptions import BreakingChangeError, ContractViolationError

__all__ = ["ArrowTable", "CheckResult", "DiffFinding", "DiffReport", "Outcome", "PublishResult"]

_LEVELS = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Outcome:
    """One check's result: ``status`` is pass, fail, warn, error (could not run) or skipped."""

    id: str
    code: str
    kind: str
    status: str
    severity: str
    object: str
    message: str
    property: str | None = None
    value: float | None = None
    threshold: str | None = None
    unit: str | None = None
    failed_rows: int | None = None
    total_rows: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    name: str | None = None
    location: str | None = None
    # A segmented check (`contraktSegments`): ``by``, ``total``, ``failing``, the ``worst``
    # failing segments (each ``segment``, ``values``, ``status``, ``value``) and ``more_failing``.
    segments: dict[str, Any] | None = None

    @classmethod
    def _from_json(cls, r: dict[str, Any]) -> Outcome:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in r.items() if k in names})

    @builtins.property  # the field `property` shadows the builtin in this class body
    def passed(self) -> bool:
        return self.status == "pass"

    def fails_at(self, fail_on: str) -> bool:
        """Does this result fail a gate at ``fail_on``? Errors (could not run) always do."""
        if self.status == "error":
            return True
        return self.status in ("fail", "warn") and _LEVELS.get(self.severity, 2) >= _LEVELS[fail_on]

    def __str__(self) -> str:
        target = f"{self.object}.{self.property}" if self.property else self.object
        return f"{self.status:7} {self.code} {self.kind:16} {target}: {self.message} [{self.id}]"


class ArrowTable:
    """An Arrow table from contrakt, exported through the Arrow PyCapsule interface: pass it to
    ``pyarrow.table()``, ``polars.DataFrame()`` or any Arrow consumer, or call a ``to_*``."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._native.__arrow_c_stream__(requested_schema)

    def __arrow_c_schema__(self) -> Any:
        return self._native.__arrow_c_schema__()

    @property
    def num_rows(self) -> int:
        return int(self._native.num_rows)

    def __len__(self) -> int:
        return self.num_rows

    def to_pyarrow(self) -> Any:
        import pyarrow as pa

        return pa.table(self)

    def to_pandas(self) -> Any:
        return self.to_pyarrow().to_pandas()

    def to_polars(self) -> Any:
        import polars as pl

        return pl.DataFrame(self)

    def __repr__(self) -> str:
        return f"ArrowTable({self.num_rows} rows)"


class CheckResult:
    """The result of :func:`contrakt.check` on one contract."""

    def __init__(self, report: dict[str, Any], fail_on: str = "error") -> None:
        self._json = report
        self.fail_on = fail_on
        runs = report.get("reports") or [{}]
        run = runs[0]
        self.contract: str = run.get("contract", "")
        self.contract_version: str = run.get("contract_version", "")
        self.file: str = run.get("file", "")
        self.now: str = run.get("now", "")
        self.objects: list[dict[str, Any]] = run.get("objects", [])
        self.results: list[Outcome] = [Outcome._from_json(r) for r in run.get("results", [])]
        self.duration_ms: int = run.get("duration_ms", 0)
        # Set by check(..., notify=True): the alert summary (``summary``, ``recorded``,
        # ``delivered``, ``dead_letters``), or ``error`` when alerts could not be routed.
        self.alerts: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        """No check failed at or above ``fail_on``, and every check could run."""
        return not self.failures

    @property
    def failures(self) -> list[Outcome]:
        """The results that fail the run at ``fail_on`` (and those that could not run)."""
        return [r for r in self.results if r.fails_at(self.fail_on)]

    @property
    def counts(self) -> dict[str, int]:
        out = {"total": len(self.results), "pass": 0, "fail": 0, "warn": 0, "error": 0, "skipped": 0}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    @property
    def failure_cases(self) -> ArrowTable:
        """The sampled failing rows of every failed check, one row each: ``check``, ``code``,
        ``status``, ``object``, ``property``, ``failure_case`` (the offending value) and ``row``
        (the sampled row as JSON)."""
        return ArrowTable(_contrakt.failure_cases(json.dumps(self._json)))

    def summary(self) -> str:
        """The run in a few lines: one per object, one per result that did not pass, totals."""
        lines = [f"contract {self.contract} (v{self.contract_version}) at {self.now}"]
        for o in self.objects:
            rows = "?" if o.get("rows") is None else o["rows"]
            extra = f": {o['error']}" if o.get("error") else ""
            lines.append(f"  object {o['object']}: {rows} rows from {o.get('source', '')}{extra}")
        lines += [f"    {r}" for r in self.results if r.status != "pass"]
        c = self.counts
        verdict = "passed" if self.passed else "failed"
        lines.append(
            f"  {verdict}: {c['total']} checks, {c['pass']} passed, {c['fail']} failed, {c['warn']} warned, "
            f"{c['error']} could not run, {c['skipped']} skipped"
        )
        return "\n".join(lines)

    def raise_for_failures(self) -> CheckResult:
        """Raises :class:`ContractViolationError` (carrying this result) unless it passed."""
        if not self.passed:
            shown = "\n".join(f"  {r}" for r in self.failures[:10])
            more = f"\n  … and {len(self.failures) - 10} more" if len(self.failures) > 10 else ""
            raise ContractViolationError(
                f"{len(self.failures)} checks of {self.contract} failed:\n{shown}{more}", result=self
            )
        return self

    def _rows(self) -> list[dict[str, Any]]:
        # Samples stay in `failure_cases`; a results frame has one flat row per check.
        return [{k: v for k, v in asdict(r).items() if k != "samples"} for r in self.results]

    def to_pandas(self) -> Any:
        """The results as a pandas DataFrame, one row per check (pandas imported lazily)."""
        import pandas as pd

        return pd.DataFrame(self._rows())

    def to_polars(self) -> Any:
        """The results as a polars DataFrame, one row per check (polars imported lazily)."""
        import polars as pl

        return pl.DataFrame(self._rows(), infer_schema_length=None)

    def to_json(self) -> str:
        """The report as JSON, the shape of ``contrakt check --format json``."""
        return json.dumps(self._json, indent=2)

    def to_dict(self) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(json.dumps(self._json))
        return copy

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        c = self.counts
        return (
            f"<CheckResult {self.contract} {'passed' if self.passed else 'FAILED'}: "
            f"{c['pass']}/{c['total']} passed, {c['fail']} failed, {c['warn']} warned, "
            f"{c['error']} could not run, {c['skipped']} skipped>"
        )

    def _repr_html_(self) -> str:
        return _html.check_result(self)


@dataclass(frozen=True)
class DiffFinding:
    """One change between two schemas, judged: its rule, the directions it breaks, who it hits."""

    code: str
    rule: str
    level: str
    path: str
    message: str
    breaking: bool = False
    breaks: list[str] = field(default_factory=list)
    affected_consumers: list[str] = field(default_factory=list)
    moving_consumers: list[str] = field(default_factory=list)
    old: Any = None
    new: Any = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    against: str | None = None

    @classmethod
    def _from_json(cls, f: dict[str, Any]) -> DiffFinding:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in f.items() if k in names})

    def __str__(self) -> str:
        who = f" (breaks {', '.join(self.affected_consumers)})" if self.affected_consumers else ""
        return f"{self.level}[{self.code} {self.rule}] {self.path}: {self.message}{who}"


class DiffReport:
    """The result of :func:`contrakt.diff`: the breaking-change gate's verdict and findings."""

    def __init__(self, report: dict[str, Any]) -> None:
        self._json = report
        self.mode: str = report.get("mode", "")
        self.compatible: bool = bool(report.get("compatible"))
        self.passed: bool = bool(report.get("passed"))
        self.summary: dict[str, int] = report.get("summary", {})
        self.findings: list[DiffFinding] = [DiffFinding._from_json(f) for f in report.get("findings", [])]

    @property
    def breaking(self) -> list[DiffFinding]:
        return [f for f in self.findings if f.breaking]

    @property
    def affected_consumers(self) -> list[str]:
        """Every consumer a breaking change touches, sorted."""
        return sorted({c for f in self.findings for c in f.affected_consumers})

    def raise_for_breaking(self) -> DiffReport:
        """Raises :class:`BreakingChangeError` (carrying this report) unless the gate passed."""
        if not self.passed:
            shown = "\n".join(f"  {f}" for f in self.findings if f.level == "error")
            raise BreakingChangeError(f"the change does not pass the {self.mode} gate:\n{shown}", report=self)
        return self

    def to_json(self) -> str:
        return json.dumps(self._json, indent=2)

    def to_dict(self) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(json.dumps(self._json))
        return copy

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<DiffReport mode={self.mode} {'passed' if self.passed else 'FAILED'}: "
            f"{s.get('breaking', 0)} breaking, {s.get('errors', 0)} errors, {s.get('warnings', 0)} warnings>"
        )

    def _repr_html_(self) -> str:
        return _html.diff_report(self)


class PublishResult:
    """What :func:`contrakt.publish` did: the staged data published, or refused (and why)."""

    def __init__(self, result: dict[str, Any], fail_on: str = "error") -> None:
        self.published: bool = result["published"]
        #: ``"published"`` or ``"refused"``.
        self.outcome: str = result["outcome"]
        #: Why the release was refused (``None`` when published).
        self.why: str | None = result.get("why")
        #: The release readers get now (``None`` when nothing was ever published).
        self.current: str | None = result.get("current")
        #: The release readers got before this one was published.
        self.previous: str | None = result.get("previous")
        #: The audit's result (the canary's, when the canary refused the release).
        self.check = CheckResult(result["check"], fail_on=fail_on)
        #: What alerting did (``notify=True``), as :attr:`CheckResult.alerts`.
        self.alerts: dict[str, Any] | None = result.get("alerts")
        #: Set when only the rows passing the row-level checks were published
        #: (``published_rows``, ``quarantined_rows``, ``quarantine``, ``max_failing_fraction``).
        self.partial: dict[str, Any] | None = result.get("partial")

    def __bool__(self) -> bool:
        return self.published

    def __repr__(self) -> str:
        if self.published:
            return f"<PublishResult published {self.current} (previous: {self.previous})>"
        return f"<PublishResult refused: {self.why}; readers still get {self.current}>"
