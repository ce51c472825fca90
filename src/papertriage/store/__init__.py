"""The SQLite library: one `Store` owns one connection and every SQL statement.

Writers go through `atomic()`, which takes the write lock up front (BEGIN IMMEDIATE) so that
two processes never deadlock half-way through a transaction. The statements are grouped by what
they are about; `Store` is all of them on one connection.
"""

from .base import (
    GUESSED,
    PaperFilter,
    SightingRow,
    SortKey,
    SourceRow,
    Stats,
    YearFrom,
    default_db_path,
    now_iso,
    resolve_db_path,
)
from .dupes import DupeQueries
from .papers import PaperQueries
from .responses import ResponseEntryRow, ResponseQueries
from .safety import SafetyQueries
from .schema import APPLICATION_ID, MIGRATIONS, Migration


class Store(PaperQueries, DupeQueries, SafetyQueries, ResponseQueries):
    """A papertriage library in one SQLite file."""


__all__ = [
    "APPLICATION_ID",
    "GUESSED",
    "MIGRATIONS",
    "Migration",
    "PaperFilter",
    "ResponseEntryRow",
    "SightingRow",
    "SortKey",
    "SourceRow",
    "Stats",
    "Store",
    "YearFrom",
    "default_db_path",
    "now_iso",
    "resolve_db_path",
]
