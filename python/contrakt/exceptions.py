"""contrakt's exceptions. Every one derives from :class:`ContraktError`; they pickle (so they
cross process pools), and parse errors name the file, line and column."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ContraktError",
    "ContractParseError",
    "ContractNotFoundError",
    "ContraktUsageError",
    "CheckExecutionError",
    "DataConversionError",
    "ContractViolationError",
    "BreakingChangeError",
    "AlertWarning",
    "HistoryWarning",
]


class ContraktError(Exception):
    """Base class of every contrakt error."""

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        # In __dict__, which BaseException.__reduce__ pickles along with args.
        self.__dict__.update(details)

    def __str__(self) -> str:
        return self.message


class ContractParseError(ContraktError, ValueError):
    """A contract (or schema) cannot be read: bad YAML, not a contract, an invalid value."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    code: str | None = None


class ContractNotFoundError(ContraktError, FileNotFoundError):
    """A contract or schema path that does not exist."""

    file: str | None = None

    def __init__(self, message: str = "", **details: Any) -> None:
        ContraktError.__init__(self, message, **details)
        # OSError keeps its own args; keep them to the message so str() and pickling agree.
        self.args = (message,)


class ContraktUsageError(ContraktError, ValueError):
    """Arguments contrakt cannot use: an object the contract lacks, an unreadable time."""


class CheckExecutionError(ContraktError):
    """A check run could not happen: no data, unreadable data, a query engine failure."""


class DataConversionError(ContraktError, TypeError):
    """Data that cannot be read as Arrow: a pandas object column of mixed types, an unsupported
    dtype. The producer's own error is the ``__cause__``."""


class ContractViolationError(ContraktError):
    """Raised by :meth:`CheckResult.raise_for_failures`; ``.result`` is the CheckResult."""

    result: Any = None


class BreakingChangeError(ContraktError):
    """Raised by :meth:`DiffReport.raise_for_breaking`; ``.report`` is the DiffReport."""

    report: Any = None


class AlertWarning(UserWarning):
    """``check(..., notify=True)`` could not alert everyone: the alert settings are unusable, or
    some deliveries are still pending or were given up (``contrakt alerts list`` shows them).
    The check's result stands either way."""


class HistoryWarning(UserWarning):
    """``check`` ran, but the history store the registry's ``contrakt.yaml`` names (``history:``)
    could not record it, or its adaptive checks could not be judged, as ``contrakt check`` warns.
    The check's result stands either way."""
