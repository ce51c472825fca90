"""The connection to a library file: opening it safely, migrating it, and transactions.

Opening never changes a file that is not a papertriage library, nor one from a newer version.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict

from ..errors import DiskFullError, LibraryBusyError, LibraryDamagedError, StoreError
from ..models import Paper, Status
from .schema import APPLICATION_ID, MIGRATIONS, Migration

SortKey = Literal["date", "title", "seen", "best", "upvotes"]
SightingRow = tuple[int, int, int, int, str | None, str | None, str, str, str, str]
"""(id, source_id, position, line, header_date, date, title, abstract, key, paper_id)"""
VariantState = tuple[str, str | None, int | None, bool]
"""(paper_id, first_seen, sighting_id, present) of a title key: its paper, its representative
sighting, and whether that paper is in the library (it is not once its last dump is gone)."""


_WAL_CHECKPOINT = 400 << 20
"""Bytes of WAL after which a commit checkpoints (see `_check_and_migrate`)."""
_CACHE = -262144
"""The page cache, in KiB (negative, as `PRAGMA cache_size` takes it): 256 MB."""
_SMALL_CACHE = -16384
"""The page cache for a pass over a whole table (`Store.small_cache`): 16 MB."""


def default_db_path() -> Path:
    """Where the library lives when neither --db nor PAPERTRIAGE_DB says otherwise."""
    from platformdirs import user_data_path

    return user_data_path("papertriage", appauthor=False) / "library.db"


def resolve_db_path(option: Path | None) -> Path:
    if option is not None:
        return option
    env = os.environ.get("PAPERTRIAGE_DB")
    return Path(env) if env else default_db_path()


def library_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """The store's own error for what SQLite reported, chosen by its result code (not by
    its message, which names tables and text the user gave)."""
    code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
    if code in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
        return DiskFullError(
            f"{path}: disk full (or failing) while writing; the failed step stored nothing"
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return LibraryBusyError(
            f"{path}: the library stayed busy (another papertriage is writing); try again"
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return LibraryDamagedError(
            f"{path}: not a usable papertriage library ({exc}); if it was one, restore it from"
            " a backup"
        )
    return StoreError(f"{path}: database error: {exc}")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class PaperFilter(BaseModel):
    """What `list` (and every command that selects papers) can filter on."""

    model_config = ConfigDict(defer_build=True)  # built when first used, as in `models`

    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None
    seen_min: int | None = None
    tags: list[str] = []
    """Papers with every one of these tags."""
    any_tags: list[str] = []
    """Papers with at least one of these tags."""
    untagged: bool = False
    statuses: list[Status] = []
    """Papers with any of these statuses."""
    ids: list[str] | None = None
    """Only these papers (e.g. search hits), in this order unless another sort is asked for."""
    limit: int | None = None
    sort: SortKey = "date"


YearFrom = Literal["line", "option", "name", "mtime", "papers"]
"""Where a dump's year came from: its date lines, --year, its name, or a guess (see below)."""
GUESSED: tuple[YearFrom, ...] = ("mtime", "papers")
"""A year guessed from the file's date, or from when the dump's papers were seen elsewhere."""


class SourceRow(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: int
    path: str
    name: str
    sha256: str
    year_from: YearFrom | None


class Stats(BaseModel):
    model_config = ConfigDict(defer_build=True)

    papers: int
    sightings: int
    sources: int
    first_date: dt.date | None
    last_date: dt.date | None
    repeated: int
    """Papers seen more than once."""
    most_seen: list[Paper]
    per_status: dict[str, int]
    per_tag: dict[str, int]
    dumps_per_month: dict[str, int]


class StoreBase:
    """A papertriage library file: its connection, checks, migrations and transactions."""

    def __init__(
        self, path: Path, migrations: Sequence[Migration] = MIGRATIONS, *, create: bool = True
    ) -> None:
        self.path = path
        self._migrations = migrations
        self._grouped = False
        exists = path.exists() and path.stat().st_size > 0
        if not exists and not create:
            raise StoreError(f"{path}: no library here yet (run `papertriage ingest` first)")
        if not exists:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the library: {exc}") from None
        self.conn.row_factory = sqlite3.Row
        try:
            self._check_and_migrate()
        except sqlite3.Error as exc:
            self.conn.close()
            raise library_error(path, exc) from None
        except StoreError:
            self.conn.close()
            raise

    def _check_and_migrate(self) -> None:
        conn = self.conn
        conn.execute("PRAGMA busy_timeout = 30000")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if has_tables and app_id != APPLICATION_ID:
            raise StoreError(
                f"{self.path}: not a papertriage library (another program's SQLite file);"
                " use --db to choose another path"
            )
        target = len(self._migrations)
        if version > target:
            raise StoreError(
                f"{self.path}: library is schema version {version}, newer than this papertriage"
                f" understands ({target}); upgrade papertriage"
            )
        if not has_tables:
            # A new library gets 8 KB pages, not 4: a sighting (title and abstract, ~1.3 KB)
            # wastes less of one and the b-trees are shallower (corpus ingest 0.66 -> 0.54 s,
            # 1M records 85 -> 78 s; 16 KB made a first dedupe's merges rewrite too much). A
            # file keeps the page size it was made with.
            conn.execute("PRAGMA page_size = 8192")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoint (copy the WAL into the file, with two fsyncs) every ~400 MB rather than
        # every 4 MB: the commits of an ingest rewrite the same index pages over and over, and a
        # checkpoint writes each page back once however many commits changed it. Closing the
        # last connection checkpoints and removes the WAL; after a checkpoint mid-run, the WAL
        # file is cut back to 64 MB. Index pages stay cached.
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute(f"PRAGMA wal_autocheckpoint = {_WAL_CHECKPOINT // page_size}")
        conn.execute("PRAGMA journal_size_limit = 67108864")
        # A 256 MB page cache (allocated only as used): the indexes on hex ids and dates take
        # random pages, about 130 MB of them in a million-record library; with 64 MB, pages
        # were evicted and read again, or spilled to the WAL mid-transaction (1M-record
        # ingest: 124 s -> 97 s, `benchmarks/dedupe_scale.py`).
        conn.execute(f"PRAGMA cache_size = {_CACHE}")
        # Some builds (Debian's) zero deleted content on every page write; a paper library
        # has nothing to shred, and b-tree inserts move cells all the time.
        conn.execute("PRAGMA secure_delete = OFF")
        if version < target:
            # Foreign keys off, as SQLite's procedure for rebuilding a table asks (dropping the
            # old table would otherwise cascade); whether they all still hold is checked
            # before the migration commits.
            conn.execute("PRAGMA foreign_keys = OFF")
            with self.atomic():
                # Another process may have migrated while we waited for the lock.
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                for step in range(version, target):
                    self._migrations[step](conn)
                    conn.execute(f"PRAGMA user_version = {step + 1}")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                broken = conn.execute("PRAGMA foreign_key_check").fetchone()
                if broken is not None:
                    raise StoreError(
                        f"{self.path}: upgrading the library would break its {broken[0]} table"
                        f" (row {broken[1]} points to a missing {broken[2]}); nothing was changed"
                    )
        conn.execute("PRAGMA foreign_keys = ON")

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the library; an SQLite error from its use leaves as the store's own kind."""
        self.close()
        if isinstance(exc, sqlite3.Error):
            raise library_error(self.path, exc) from None

    @contextmanager
    def atomic(self, *, savepoint: bool = True) -> Iterator[None]:
        """One write transaction: everything inside lands, or nothing does.

        Inside `grouped()` it is a savepoint, a transaction nested in the group's: it still
        lands whole or not at all, and its failure undoes nothing else. Savepoints copy every
        page they change, so work that cannot fail half-way on bad input (it was checked
        first) passes `savepoint=False` and joins the group's transaction directly; should it
        fail anyway (disk full), the whole group is rolled back.
        """
        if self._grouped:
            if not savepoint:
                yield
                return
            self.conn.execute("SAVEPOINT atomic")
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:  # an I/O error may have ended the group already
                    self.conn.execute("ROLLBACK TO atomic")
                    self.conn.execute("RELEASE atomic")
                raise
            self.conn.execute("RELEASE atomic")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def journals_in_memory(self) -> Iterator[None]:
        """Temporary files (statement journals) in memory for a while, not on disk.

        For ingest: the upsert that folds a repeat into its paper keeps a statement journal (a
        copy of each page it changes, as a trigger may follow), and past 64 KB SQLite spilled it
        to a temporary file, a write per page (1M-record ingest: 81 s -> 74 s). Not for
        everything: a statement changing many rows (a big dedupe's merges) would hold a copy
        of every page it changes in memory, 400 MB at 1M. Call it outside a transaction.
        """
        self.conn.execute("PRAGMA temp_store = MEMORY")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA temp_store = DEFAULT")

    @contextmanager
    def small_cache(self) -> Iterator[None]:
        """A 16 MB page cache for a while: for one pass over a whole table (every abstract),
        which would fill the cache with pages it never reads again and push the process's
        memory up by the cache's 256 MB."""
        self.conn.execute(f"PRAGMA cache_size = {_SMALL_CACHE}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size = {_CACHE}")

    @contextmanager
    def grouped(self, seconds: float = 2.0) -> Iterator[Callable[[], None]]:
        """Commit many `atomic()` units together, at most `seconds` apart.

        A commit rewrites every index page its transaction touched, so committing each small
        dump on its own cost most of an ingest's time. Call the yielded function between
        units: it commits once `seconds` have passed. A crash loses at most that much work
        (or one unit, if longer), never part of a unit; other writers wait no longer either.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        self._grouped = True
        started = time.monotonic()

        def commit_if_due() -> None:
            nonlocal started
            if time.monotonic() - started >= seconds:
                self.conn.execute("COMMIT")
                self.conn.execute("BEGIN IMMEDIATE")
                started = time.monotonic()

        try:
            yield commit_if_due
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._grouped = False
        self.conn.execute("COMMIT")
