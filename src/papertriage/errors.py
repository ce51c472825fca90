"""The project's exceptions: one-line messages that tell the user what went wrong and what to do.

The CLI prints `error: <message>` and exits 1 for any of these; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PapertriageError(Exception):
    """Base of every error the user is meant to see."""


class DumpError(PapertriageError):
    """A dump or response file could not be read or parsed; nothing of it is stored."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class StoreError(PapertriageError):
    """The library database cannot be opened or used."""


class DiskFullError(StoreError):
    """A write failed for want of space (or a failing disk); the failed step stored nothing."""


class LibraryBusyError(StoreError):
    """Another process held the library's write lock for longer than we wait."""


class LibraryDamagedError(StoreError):
    """The library file is not a database, or a damaged one."""


class NotFoundError(PapertriageError):
    """An id or name the user gave matches nothing (or more than one thing)."""


class AmbiguousIdError(NotFoundError):
    """An id prefix fits several papers; a longer one would choose."""


class UsageError(PapertriageError):
    """An option value that is well-formed for the shell but wrong for papertriage."""


class SearchQueryError(UsageError):
    """The search index refused a query (its FTS5 syntax is wrong); the message is SQLite's."""


class TaxonomyError(PapertriageError):
    """A taxonomy file is malformed; the message names the file and the key."""


class ConfigError(PapertriageError):
    """A configuration file is malformed; the message names the file and the key."""


def plain_words(error: Mapping[str, Any]) -> str:
    """One pydantic validation error in the user's words (`'1e20' is not a whole number`), not
    pydantic's (`Input should be a valid integer, unable to parse string as an integer`)."""
    value, kind, limits = error.get("input"), error["type"], error.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{value!r} is not a whole number"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"{value!r} is not a number"
    if kind == "greater_than_equal":
        return f"{value} is below the smallest allowed, {_number(limits['ge'])}"
    if kind == "less_than_equal":
        return f"{value} is above the largest allowed, {_number(limits['le'])}"
    if kind in ("literal_error", "enum"):
        return f"{value!r} is not one of {limits['expected']}"
    if kind in ("bool_parsing", "bool_type"):
        return f"{value!r} is not true or false"
    if kind == "string_type":
        return f"{value!r} is not text"
    return str(error["msg"]).removeprefix("Value error, ")


def _number(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
