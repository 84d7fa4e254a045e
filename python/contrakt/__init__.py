"""contrakt: data contracts, enforced.

>>> import contrakt
>>> result = contrakt.check(df, "contracts/orders.odcs.yaml")      # doctest: +SKIP
>>> result.raise_for_failures()                                     # doctest: +SKIP
"""

from ._api import check, diff, publish, rollback, validates
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
    "Finding",
    "HistoryWarning",
    "Outcome",
    "PublishResult",
    "SchemaObject",
    "__version__",
    "check",
    "diff",
    "load",
    "publish",
    "rollback",
    "validates",
]
