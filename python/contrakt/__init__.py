"""contrakt: data contracts, enforced.

>>> import contrakt
>>> result = contrakt.check(df, "contracts/orders.odcs.yaml")      # doctest: +SKIP
>>> result.raise_for_failures()                                     # doctest: +SKIP
"""

from ._api import check, diff, publish, rollback, validates
from ._workflows import (
    Exported,
    Imported,
    LintResult,
    SiteWritten,
    annotate,
    deliveries,
    events,
    export,
    history,
    import_schema,
    incidents,
    lint,
    retry_alerts,
    route_alerts,
    write_report,
)
from ._contrakt import __version__
from .contract import ArrowSchema, Contract, Finding, SchemaObject, load
from .exceptions import (
    AlertWarning,
    BreakingChangeError,
    CheckExecutionError,
    ContractNotFoundError,
    ContractParseError,
    ContractViolationError,
    ContraktError,
    ContraktUsageError,
    DataConversionError,
    HistoryWarning,
)
from .report import ArrowTable, CheckResult, DiffFinding, DiffReport, Outcome, PublishResult

__all__ = [
    "AlertWarning",
    "ArrowSchema",
    "ArrowTable",
    "BreakingChangeError",
    "CheckExecutionError",
    "CheckResult",
    "Contract",
    "ContractNotFoundError",
    "ContractParseError",
    "ContractViolationError",
    "ContraktError",
    "ContraktUsageError",
    "DataConversionError",
    "DiffFinding",
    "DiffReport",
    "Exported",
    "Finding",
    "HistoryWarning",
    "Imported",
    "LintResult",
    "Outcome",
    "PublishResult",
    "SchemaObject",
    "SiteWritten",
    "__version__",
    "annotate",
    "check",
    "deliveries",
    "diff",
    "events",
    "export",
    "history",
    "import_schema",
    "incidents",
    "lint",
    "load",
    "publish",
    "retry_alerts",
    "rollback",
    "route_alerts",
    "validates",
    "write_report",
]
