"""Exceptions raised by the larder package: one class per error category of the library."""

from __future__ import annotations


class LarderError(Exception):
    """An error of the Larder library: ``category`` (``invalid_input``, ``not_found``,
    ``conflict``, ``storage``, ``io``), its ``message`` and, for refused data,
    ``problems`` (dicts with file, line, column, value, reason and the CLI's ``text`` line)
    and ``total_problems``."""

    def __init__(self, category: str, message: str, problems=(), total_problems: int = 0):
        self.category = category
        self.message = message
        self.problems = list(problems)
        self.total_problems = total_problems
        super().__init__("\n".join([message] + [p["text"] for p in self.problems]))


class InvalidInputError(LarderError, ValueError):
    """Input that cannot be used as given: a malformed reference, time, argument or definitions file."""


class ValidationError(InvalidInputError):
    """Data refused by validation (an input: nothing was written; a spine: nothing was
    retrieved). ``problems`` lists the first 20
    problems as the CLI prints them (``FILE:LINE: column C: value "V": reason``)."""


class NotFoundError(LarderError, LookupError):
    """A view, version, feature, feature set or entity that does not exist."""


class ConflictError(LarderError):
    """A request refused because of what is already there."""


class StorageError(LarderError):
    """The store itself: missing, damaged, read-only, busy, or an SQLite failure."""


class LarderIOError(LarderError, OSError):
    """A file other than the store cannot be read or written."""


class BackfillFailedError(LarderError):
    """A backfill over intervals (``FeatureStore.backfill_intervals``) left intervals not
    committed: ``report`` is the whole report, ``failed`` the intervals not committed (each
    with ``start``, ``end``, ``outcome`` ``failed`` or ``not_run``, and ``message``). The other
    intervals are committed; running the backfill again computes only the missing ones."""

    def __init__(self, report: dict, failed: list):
        self.report = report
        self.failed = failed
        lines = [f"{i['start']}/{i['end']}: {i['outcome']}" + (f": {i['message']}" if i["message"] else "") for i in failed]
        super().__init__("invalid_input", f"{len(failed)} of {len(report['intervals'])} intervals not committed", ())
        self.args = ("\n".join([self.message] + lines),)


_BY_CATEGORY = {
    "invalid_input": InvalidInputError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "io": LarderIOError,
}


def from_json(error: dict) -> LarderError:
    """The exception for the library's error JSON (``larder_last_error``)."""
    category = error.get("category", "storage")
    problems = error.get("problems", [])
    if category == "invalid_input" and problems:
        cls = ValidationError
    else:
        cls = _BY_CATEGORY.get(category, StorageError)
    return cls(category, error.get("message", "unknown error"), problems, error.get("total_problems", 0))
