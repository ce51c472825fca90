"""The SQLite library: connection, schema migrations, and every SQL statement.

One `Store` owns one connection. Writers go through `atomic()`, which takes the write lock up
front (BEGIN IMMEDIATE) so that two processes never deadlock half-way through a transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from .errors import NotFoundError, StoreError
from .models import Paper, PaperDetail, Sighting, Status

APPLICATION_ID = 0x50545247  # "PTRG": marks a file as a papertriage library
SortKey = Literal["date", "title", "seen", "best"]
SightingRow = tuple[int, int, int, int, str | None, str | None, str, str, str, str]
"""(id, source_id, position, line, header_date, date, title, abstract, key, paper_id)"""

_V1 = """
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    header_date TEXT,
    date TEXT,
    records INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE INDEX sources_sha256 ON sources(sha256);
CREATE TABLE papers (
    id TEXT PRIMARY KEY,
    -- The sighting whose title and abstract the paper shows: text is stored once, there.
    sighting_id INTEGER REFERENCES sightings(id) ON DELETE SET NULL,
    seen INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX papers_last_seen ON papers(last_seen);
CREATE TABLE sightings (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    line INTEGER NOT NULL,
    header_date TEXT,
    date TEXT,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    key TEXT NOT NULL,
    paper_id TEXT NOT NULL REFERENCES papers(id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (source_id, position)
);
CREATE INDEX sightings_paper ON sightings(paper_id);
CREATE INDEX sightings_key ON sightings(key);
"""

# Tags: what the rules assign is derived data (recomputed by retag, dropped with its paper);
# what the user decided is kept on its own, keyed by the stable paper id, and never cascades.
_V2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
ALTER TABLE papers ADD COLUMN tagged_with TEXT;
CREATE TABLE paper_tags (
    paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (paper_id, tag)
) WITHOUT ROWID;
CREATE INDEX paper_tags_tag ON paper_tags(tag);
CREATE TABLE tag_decisions (
    paper_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    assigned INTEGER NOT NULL CHECK (assigned IN (0, 1)),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (paper_id, tag)
) WITHOUT ROWID;
CREATE VIEW effective_tags (paper_id, tag, origin) AS
    SELECT t.paper_id, t.tag, 'rule' FROM paper_tags t
    WHERE NOT EXISTS (
        SELECT 1 FROM tag_decisions d WHERE d.paper_id = t.paper_id AND d.tag = t.tag)
    UNION ALL
    SELECT d.paper_id, d.tag, 'user' FROM tag_decisions d WHERE d.assigned = 1;
"""

# Dedupe: every distinct title key is a variant belonging to one paper. A variant's own id
# (from its key) keeps resolving to the paper it was merged into, so ids in notes never break.
# Merges are logged with their evidence; the user's word on a pair is kept apart and wins.
_V3 = """
CREATE TABLE variants (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    paper_id TEXT NOT NULL,
    first_seen TEXT,
    deduped INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX variants_paper ON variants(paper_id);
CREATE INDEX variants_pending ON variants(deduped) WHERE deduped = 0;
INSERT INTO variants (id, key, paper_id, first_seen)
    SELECT paper_id, key, paper_id, min(date) FROM sightings GROUP BY key;
CREATE TABLE merges (
    id INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL,
    variant_id TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('auto', 'user')),
    title_score REAL,
    abstract_score REAL,
    reason TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    undone_at TEXT
);
CREATE INDEX merges_paper ON merges(paper_id);
CREATE INDEX merges_variant ON merges(variant_id);
CREATE TABLE dupe_decisions (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    same INTEGER NOT NULL CHECK (same IN (0, 1)),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
) WITHOUT ROWID;
CREATE TABLE dupe_candidates (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    title_score REAL NOT NULL,
    abstract_score REAL,
    reason TEXT NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
) WITHOUT ROWID;
"""

# Triage and search. Status and notes are the user's (no cascade; history kept for undo). The
# search index holds each paper's canonical text under its canonical sighting's id, and triggers
# keep it in step whenever a paper appears, changes its canonical sighting, or goes.
_V4 = """
CREATE TABLE paper_status (
    paper_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('new', 'read', 'starred', 'later', 'skipped')),
    note TEXT,
    changed_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX paper_status_status ON paper_status(status);
CREATE TABLE status_history (
    id INTEGER PRIMARY KEY,
    batch INTEGER NOT NULL,
    paper_id TEXT NOT NULL,
    old_status TEXT,
    old_note TEXT,
    new_status TEXT NOT NULL,
    new_note TEXT,
    changed_at TEXT NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX status_history_batch ON status_history(batch);
CREATE INDEX papers_sighting ON papers(sighting_id);
CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, abstract, tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO papers_fts (rowid, title, abstract)
    SELECT c.id, c.title, c.abstract FROM papers p JOIN sightings c ON c.id = p.sighting_id;
-- Triggers only queue the change: indexing in one batch per command is far cheaper than per
-- file, and a queue left by an interrupted run is synced before the next search.
CREATE TABLE fts_queue (old_rowid INTEGER, new_rowid INTEGER);
CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers WHEN new.sighting_id IS NOT NULL
BEGIN
    INSERT INTO fts_queue VALUES (NULL, new.sighting_id);
END;
CREATE TRIGGER papers_fts_update AFTER UPDATE OF sighting_id ON papers
    WHEN old.sighting_id IS NOT new.sighting_id
BEGIN
    INSERT INTO fts_queue VALUES (old.sighting_id, new.sighting_id);
END;
CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers WHEN old.sighting_id IS NOT NULL
BEGIN
    INSERT INTO fts_queue VALUES (old.sighting_id, NULL);
END;
"""

Migration = Callable[[sqlite3.Connection], None]


def _script(sql: str) -> Migration:
    """A migration made of plain SQL statements, run inside the migration's transaction."""

    def run(conn: sqlite3.Connection) -> None:
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                conn.execute(statement)
                statement = ""
        if statement.strip():
            conn.execute(statement)

    return run


# MIGRATIONS[i] upgrades a library from schema version i to i + 1. Only ever append.
MIGRATIONS: list[Migration] = [_script(_V1), _script(_V2), _script(_V3), _script(_V4)]


def default_db_path() -> Path:
    """Where the library lives when neither --db nor PAPERTRIAGE_DB says otherwise."""
    from platformdirs import user_data_path

    return user_data_path("papertriage", appauthor=False) / "library.db"


def resolve_db_path(option: Path | None) -> Path:
    if option is not None:
        return option
    env = os.environ.get("PAPERTRIAGE_DB")
    return Path(env) if env else default_db_path()


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class PaperFilter(BaseModel):
    """What `list` (and every command that selects papers) can filter on."""

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


class SourceRow(BaseModel):
    id: int
    path: str
    name: str
    sha256: str


class Stats(BaseModel):
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


class Store:
    """A papertriage library in one SQLite file."""

    def __init__(
        self, path: Path, migrations: Sequence[Migration] = MIGRATIONS, *, create: bool = True
    ) -> None:
        self.path = path
        self._migrations = migrations
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
        except sqlite3.OperationalError:
            # Busy, disk full, I/O: the CLI says what happened; the file itself is fine.
            self.conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{path}: not a usable papertriage library ({exc})") from None
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
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < target:
            with self.atomic():
                # Another process may have migrated while we waited for the lock.
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                for step in range(version, target):
                    self._migrations[step](conn)
                    conn.execute(f"PRAGMA user_version = {step + 1}")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One write transaction: everything inside lands, or nothing does."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- sources -------------------------------------------------------------------------

    def source_by_path(self, path: str) -> SourceRow | None:
        row = self.conn.execute(
            "SELECT id, path, name, sha256 FROM sources WHERE path = ?", (path,)
        ).fetchone()
        return SourceRow(**dict(row)) if row else None

    def source_by_sha256(self, sha256: str) -> SourceRow | None:
        row = self.conn.execute(
            "SELECT id, path, name, sha256 FROM sources WHERE sha256 = ? LIMIT 1", (sha256,)
        ).fetchone()
        return SourceRow(**dict(row)) if row else None

    def delete_source(self, source_id: int) -> list[str]:
        """Remove a source and its sightings; return the papers they belonged to."""
        papers = [
            row[0]
            for row in self.conn.execute(
                "SELECT DISTINCT paper_id FROM sightings WHERE source_id = ?", (source_id,)
            )
        ]
        self.conn.execute("DELETE FROM sightings WHERE source_id = ?", (source_id,))
        self.conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))
        return papers

    def add_source(self, path: str, name: str, sha256: str) -> int:
        cursor = self.conn.execute(
            "INSERT INTO sources (path, name, sha256, records, ingested_at) VALUES (?, ?, ?, 0, ?)",
            (path, name, sha256, now_iso()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_source(
        self, source_id: int, records: int, header_date: str | None, date: dt.date | None
    ) -> None:
        self.conn.execute(
            "UPDATE sources SET records = ?, header_date = ?, date = ? WHERE id = ?",
            (records, header_date, date.isoformat() if date else None, source_id),
        )

    # --- papers and sightings ------------------------------------------------------------

    def existing_papers(self, paper_ids: Iterable[str]) -> set[str]:
        """Which of these ids the library has, in one query."""
        ids = json.dumps(list(paper_ids))
        rows = self.conn.execute(
            "SELECT id FROM papers WHERE id IN (SELECT value FROM json_each(?))", (ids,)
        )
        return {row[0] for row in rows}

    def next_sighting_id(self) -> int:
        """The id the next sighting gets; only meaningful inside a write transaction."""
        return int(
            self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM sightings").fetchone()[0]
        )

    def add_sightings(self, rows: Sequence[SightingRow]) -> None:
        """Store sightings and fold each into its paper's summary (created if new).

        Summaries are updated incrementally here; `refresh_papers` recomputes them from scratch
        when sightings are removed. A sighting at least as new as the paper's last one becomes
        the one whose title and abstract the paper shows (ties: the later one, as in refresh).
        """
        self.conn.executemany(
            "INSERT INTO sightings (id, source_id, position, line, header_date, date, title,"
            " abstract, key, paper_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        created = now_iso()
        self.conn.executemany(
            """
            INSERT INTO papers (id, sighting_id, seen, first_seen, last_seen, created_at)
            VALUES (?, ?, 1, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
              seen = seen + 1,
              first_seen = CASE WHEN first_seen IS NULL OR excluded.first_seen < first_seen
                           THEN coalesce(excluded.first_seen, first_seen) ELSE first_seen END,
              last_seen = CASE WHEN last_seen IS NULL OR excluded.last_seen > last_seen
                          THEN coalesce(excluded.last_seen, last_seen) ELSE last_seen END,
              sighting_id = CASE WHEN excluded.last_seen >= last_seen OR last_seen IS NULL
                            THEN excluded.sighting_id ELSE sighting_id END,
              tagged_with = CASE WHEN excluded.last_seen >= last_seen OR last_seen IS NULL
                            THEN NULL ELSE tagged_with END
            """,
            ((r[9], r[0], r[5], r[5], created) for r in rows),
        )

    def refresh_papers(self, paper_ids: Iterable[str]) -> None:
        """Recompute what a paper shows from its sightings; drop papers left with none.

        The canonical title and abstract are those of the newest sighting, since a revised
        title is the one the authors settled on.
        """
        conn = self.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched (id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM temp.touched")
        conn.executemany("INSERT OR IGNORE INTO temp.touched VALUES (?)", ((p,) for p in paper_ids))
        conn.execute(
            """
            UPDATE papers SET
              seen = (SELECT count(*) FROM sightings g WHERE g.paper_id = papers.id),
              first_seen = (SELECT min(date) FROM sightings g WHERE g.paper_id = papers.id),
              last_seen = (SELECT max(date) FROM sightings g WHERE g.paper_id = papers.id),
              sighting_id = (SELECT id FROM sightings g WHERE g.paper_id = papers.id
                             ORDER BY g.date IS NULL, g.date DESC, g.id DESC LIMIT 1),
              tagged_with = NULL
            WHERE id IN (SELECT id FROM temp.touched)
            """
        )
        conn.execute("DELETE FROM papers WHERE id IN (SELECT id FROM temp.touched) AND seen = 0")

    def resolve_variant(self, text: str) -> tuple[str, str]:
        """(variant id, paper id) for a full id or unique prefix, like git.

        Any id a paper ever had resolves: a merged paper's other ids lead to it.
        """
        prefix = text.strip().lower()
        if not prefix or any(ch not in "0123456789abcdef" for ch in prefix):
            raise NotFoundError(f"{text!r} is not a paper id (ids are hex, e.g. 3f2a9c1b)")
        rows = self.conn.execute(
            "SELECT v.id, v.paper_id FROM variants v JOIN papers p ON p.id = v.paper_id"
            " WHERE v.id >= ? AND v.id < ? ORDER BY v.id LIMIT 50",
            (prefix, prefix + "g"),
        ).fetchall()
        papers = sorted({row[1] for row in rows})
        if not papers:
            raise NotFoundError(f"no paper with id {text}")
        if len(papers) > 1:
            shown = ", ".join(papers[:5])
            raise NotFoundError(f"id prefix {text} is ambiguous: {shown}; give more characters")
        exact = [row for row in rows if row[0] == prefix]
        chosen = exact[0] if exact else (rows[0] if len(rows) == 1 else (papers[0], papers[0]))
        return str(chosen[0]), str(chosen[1])

    def resolve_id(self, text: str) -> str:
        """A paper id from any id it ever had, or a unique prefix of one."""
        return self.resolve_variant(text)[1]

    def _paper(self, row: sqlite3.Row) -> Paper:
        names = row["sources"].split("\x1f") if row["sources"] else []
        tags = row["tags"].split("\x1f") if row["tags"] else []
        return Paper(
            id=row["id"],
            title=row["title"],
            abstract=row["abstract"],
            seen=row["seen"],
            first_seen=_date(row["first_seen"]),
            last_seen=_date(row["last_seen"]),
            sources=names,
            tags=tags,
            status=row["status"],
            note=row["note"],
        )

    _PAPER_COLUMNS = """
        p.id, c.title, c.abstract, p.seen, p.first_seen, p.last_seen,
        (SELECT group_concat(name, char(31)) FROM (
            SELECT DISTINCT s.name FROM sightings g JOIN sources s ON s.id = g.source_id
            WHERE g.paper_id = p.id ORDER BY s.name)) AS sources,
        (SELECT group_concat(tag, char(31)) FROM (
            SELECT tag FROM effective_tags e WHERE e.paper_id = p.id ORDER BY tag)) AS tags,
        coalesce(st.status, 'new') AS status, st.note AS note
    """

    _PAPERS = (
        "papers p JOIN sightings c ON c.id = p.sighting_id"
        " LEFT JOIN paper_status st ON st.paper_id = p.id"
    )

    def list_papers(self, where: PaperFilter) -> list[Paper]:
        clauses: list[str] = []
        params: list[Any] = []
        if where.since is not None:
            clauses.append("p.last_seen >= ?")
            params.append(where.since.isoformat())
        if where.until is not None:
            clauses.append("p.first_seen <= ?")
            params.append(where.until.isoformat())
        if where.seen_min is not None:
            clauses.append("p.seen >= ?")
            params.append(where.seen_min)
        if where.source is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM sightings g JOIN sources s ON s.id = g.source_id"
                " WHERE g.paper_id = p.id AND (s.path = ? OR s.name = ?))"
            )
            params += [where.source, where.source]
        for tag in where.tags:
            clauses.append(
                "EXISTS (SELECT 1 FROM effective_tags e WHERE e.paper_id = p.id AND e.tag = ?)"
            )
            params.append(tag)
        if where.any_tags:
            marks = ", ".join("?" * len(where.any_tags))
            clauses.append(
                "EXISTS (SELECT 1 FROM effective_tags e WHERE e.paper_id = p.id"
                f" AND e.tag IN ({marks}))"
            )
            params += where.any_tags
        if where.untagged:
            clauses.append("NOT EXISTS (SELECT 1 FROM effective_tags e WHERE e.paper_id = p.id)")
        if where.statuses:
            marks = ", ".join("?" * len(where.statuses))
            clauses.append(f"coalesce(st.status, 'new') IN ({marks})")
            params += where.statuses
        if where.ids is not None:
            clauses.append("p.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(where.ids))
        order = {
            "date": "p.last_seen IS NULL, p.last_seen DESC, p.seen DESC, c.title",
            "title": "c.title COLLATE NOCASE, p.id",
            "seen": "p.seen DESC, p.last_seen DESC, c.title",
            # Triage order: seen in most dumps, then newest.
            "best": "p.seen DESC, p.last_seen IS NULL, p.last_seen DESC, p.id",
        }[where.sort]
        sql = f"SELECT {self._PAPER_COLUMNS} FROM {self._PAPERS}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += f" ORDER BY {order}"
        if where.limit is not None:
            sql += " LIMIT ?"
            params.append(where.limit)
        return [self._paper(row) for row in self.conn.execute(sql, params)]

    def paper_detail(self, paper_id: str) -> PaperDetail:
        row = self.conn.execute(
            f"SELECT {self._PAPER_COLUMNS} FROM {self._PAPERS} WHERE p.id = ?", (paper_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no paper with id {paper_id}")
        sightings = [
            Sighting(
                source=s["name"],
                date=_date(s["date"]),
                position=s["position"],
                line=s["line"],
                title=s["title"],
                abstract=s["abstract"],
            )
            for s in self.conn.execute(
                "SELECT s.name, g.date, g.position, g.line, g.title, g.abstract"
                " FROM sightings g JOIN sources s ON s.id = g.source_id"
                " WHERE g.paper_id = ? ORDER BY g.date IS NULL, g.date, s.name, g.position",
                (paper_id,),
            )
        ]
        return PaperDetail(
            **self._paper(row).model_dump(),
            sightings=sightings,
            tag_origins=self.paper_tags(paper_id),
        )

    def stats(self, top: int = 10) -> Stats:
        conn = self.conn
        papers, repeated, first, last = conn.execute(
            "SELECT count(*), sum(seen > 1), min(first_seen), max(last_seen) FROM papers"
        ).fetchone()
        sightings = conn.execute("SELECT count(*) FROM sightings").fetchone()[0]
        sources = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
        most = self.list_papers(PaperFilter(seen_min=2, sort="seen", limit=top))
        return Stats(
            papers=papers,
            sightings=sightings,
            sources=sources,
            first_date=_date(first),
            last_date=_date(last),
            repeated=repeated or 0,
            most_seen=most,
            per_status=self.status_counts(),
            per_tag={tag: count for tag, (count, _) in sorted(self.tag_counts().items())},
            dumps_per_month=dict(self.dumps_per_month()),
        )

    # --- tags ----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def papers_to_tag(
        self, fingerprint: str | None, limit: int, after: str = ""
    ) -> list[tuple[str, str, str]]:
        """(id, title, abstract) of papers not tagged with this taxonomy, by id after `after`.

        With fingerprint None, every paper: a full retag.
        """
        sql = (
            "SELECT p.id, c.title, c.abstract FROM papers p JOIN sightings c"
            " ON c.id = p.sighting_id WHERE p.id > ?"
        )
        params: list[Any] = [after]
        if fingerprint is not None:
            sql += " AND (p.tagged_with IS NULL OR p.tagged_with != ?)"
            params.append(fingerprint)
        sql += " ORDER BY p.id LIMIT ?"
        params.append(limit)
        return [(r[0], r[1], r[2]) for r in self.conn.execute(sql, params)]

    def count_papers_to_tag(self, fingerprint: str | None) -> int:
        if fingerprint is None:
            return int(self.conn.execute("SELECT count(*) FROM papers").fetchone()[0])
        row = self.conn.execute(
            "SELECT count(*) FROM papers WHERE tagged_with IS NULL OR tagged_with != ?",
            (fingerprint,),
        ).fetchone()
        return int(row[0])

    def set_rule_tags(self, fingerprint: str, tagged: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Replace the rule-assigned tags of these papers and mark them tagged."""
        conn = self.conn
        ids = [(paper,) for paper, _ in tagged]
        conn.executemany("DELETE FROM paper_tags WHERE paper_id = ?", ids)
        conn.executemany(
            "INSERT INTO paper_tags (paper_id, tag) VALUES (?, ?)",
            [(paper, tag) for paper, tags in tagged for tag in tags],
        )
        conn.executemany(
            "UPDATE papers SET tagged_with = ? WHERE id = ?",
            [(fingerprint, paper) for paper, _ in tagged],
        )

    def tag_counts(self) -> dict[str, tuple[int, int]]:
        """Per tag: (papers with it, of which by the user's decision)."""
        rows = self.conn.execute(
            "SELECT tag, count(*), sum(origin = 'user') FROM effective_tags e"
            " WHERE EXISTS (SELECT 1 FROM papers p WHERE p.id = e.paper_id) GROUP BY tag"
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    def paper_tags(self, paper_id: str) -> dict[str, str]:
        """Effective tags of a paper with where each came from (`rule` or `user`)."""
        rows = self.conn.execute(
            "SELECT tag, origin FROM effective_tags WHERE paper_id = ? ORDER BY tag", (paper_id,)
        )
        return {row[0]: row[1] for row in rows}

    def tag_decisions(self, paper_id: str) -> dict[str, bool]:
        rows = self.conn.execute(
            "SELECT tag, assigned FROM tag_decisions WHERE paper_id = ?", (paper_id,)
        )
        return {row[0]: bool(row[1]) for row in rows}

    def decide_tags(self, paper_id: str, decisions: Mapping[str, bool | None]) -> None:
        """Record the user's tag decisions: True adds, False removes, None defers to the rules."""
        now = now_iso()
        for tag, assigned in decisions.items():
            if assigned is None:
                self.conn.execute(
                    "DELETE FROM tag_decisions WHERE paper_id = ? AND tag = ?", (paper_id, tag)
                )
            else:
                self.conn.execute(
                    "INSERT INTO tag_decisions (paper_id, tag, assigned, decided_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (paper_id, tag) DO UPDATE SET"
                    " assigned = excluded.assigned, decided_at = excluded.decided_at",
                    (paper_id, tag, int(assigned), now),
                )

    def papers_by_key(self, keys: Iterable[str]) -> dict[str, str]:
        """Paper ids of sightings with these title keys (for matching gold labels by title)."""
        found: dict[str, str] = {}
        for key in keys:
            row = self.conn.execute(
                "SELECT paper_id FROM sightings WHERE key = ? LIMIT 1", (key,)
            ).fetchone()
            if row:
                found[key] = row[0]
        return found

    def paper_text(self, paper_id: str) -> tuple[str, str]:
        row = self.conn.execute(
            "SELECT c.title, c.abstract FROM papers p JOIN sightings c ON c.id = p.sighting_id"
            " WHERE p.id = ?",
            (paper_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no paper with id {paper_id}")
        return row[0], row[1]

    # --- variants and dedupe ---------------------------------------------------------------

    def variant_papers(self, keys: Iterable[str]) -> dict[str, str]:
        """The paper each known title key belongs to, in one query."""
        rows = self.conn.execute(
            "SELECT key, paper_id FROM variants WHERE key IN (SELECT value FROM json_each(?))",
            (json.dumps(list(keys)),),
        )
        return {row[0]: row[1] for row in rows}

    def add_variants(self, rows: Iterable[tuple[str, str, str, str | None]]) -> None:
        """Record (id, key, paper id, date) for title keys; a known key keeps its paper."""
        self.conn.executemany(
            "INSERT INTO variants (id, key, paper_id, first_seen) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET first_seen = CASE"
            " WHEN first_seen IS NULL OR excluded.first_seen < first_seen"
            " THEN coalesce(excluded.first_seen, first_seen) ELSE first_seen END",
            rows,
        )

    def pending_variants(self) -> set[str]:
        rows = self.conn.execute("SELECT id FROM variants WHERE deduped = 0")
        return {row[0] for row in rows}

    def mark_deduped(self) -> None:
        self.conn.execute("UPDATE variants SET deduped = 1 WHERE deduped = 0")

    def variant_texts(self) -> Iterator[tuple[str, str, str]]:
        """(variant id, title, abstract) of every variant still seen, oldest first.

        The text is that of the variant's earliest sighting.
        """
        return (
            (row[0], row[1], row[2])
            for row in self.conn.execute(
                "SELECT v.id, s.title, s.abstract FROM variants v JOIN sightings s"
                " ON s.id = (SELECT min(g.id) FROM sightings g WHERE g.key = v.key)"
                " ORDER BY v.first_seen IS NULL, v.first_seen, v.rowid"
            )
        )

    def variant_paper_map(self, variant_ids: Iterable[str]) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT id, paper_id FROM variants WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(variant_ids)),),
        )
        return {row[0]: row[1] for row in rows}

    def paper_variants(self, paper_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT id FROM variants WHERE paper_id = ? ORDER BY first_seen IS NULL, first_seen,"
            " rowid",
            (paper_id,),
        )
        return [row[0] for row in rows]

    def oldest_paper(self, paper_ids: Iterable[str]) -> str:
        """The paper first seen earliest (ties: created first, then id): it keeps its id."""
        row = self.conn.execute(
            "SELECT id FROM papers WHERE id IN (SELECT value FROM json_each(?))"
            " ORDER BY first_seen IS NULL, first_seen, created_at, id LIMIT 1",
            (json.dumps(list(paper_ids)),),
        ).fetchone()
        if row is None:
            raise NotFoundError("none of these papers is in the library")
        return str(row[0])

    def move_paper(self, source: str, target: str) -> list[str]:
        """Fold paper `source` into `target`; return the variants that moved.

        The user's tag decisions, status and note on `source` carry over where `target` has
        none; they are also kept under `source`, so a later split gives them back.
        """
        moved = [
            row[0]
            for row in self.conn.execute("SELECT id FROM variants WHERE paper_id = ?", (source,))
        ]
        self.conn.execute("UPDATE variants SET paper_id = ? WHERE paper_id = ?", (target, source))
        self.conn.execute("UPDATE sightings SET paper_id = ? WHERE paper_id = ?", (target, source))
        self.conn.execute(
            "INSERT OR IGNORE INTO tag_decisions (paper_id, tag, assigned, decided_at)"
            " SELECT ?, tag, assigned, decided_at FROM tag_decisions WHERE paper_id = ?",
            (target, source),
        )
        self.conn.execute(
            "INSERT OR IGNORE INTO paper_status (paper_id, status, note, changed_at)"
            " SELECT ?, status, note, changed_at FROM paper_status WHERE paper_id = ?",
            (target, source),
        )
        self.conn.execute("DELETE FROM papers WHERE id = ?", (source,))
        return moved

    def detach_variant(self, variant_id: str) -> str:
        """Make a variant its own paper again (under its own id); return the paper it left."""
        row = self.conn.execute(
            "SELECT key, paper_id FROM variants WHERE id = ?", (variant_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no paper with id {variant_id}")
        key, old = row
        self.conn.execute("UPDATE variants SET paper_id = id WHERE id = ?", (variant_id,))
        self.conn.execute(
            "INSERT OR IGNORE INTO papers (id, created_at) VALUES (?, ?)", (variant_id, now_iso())
        )
        self.conn.execute("UPDATE sightings SET paper_id = ? WHERE key = ?", (variant_id, key))
        self.conn.execute(
            "UPDATE merges SET undone_at = ? WHERE variant_id = ? AND undone_at IS NULL",
            (now_iso(), variant_id),
        )
        return str(old)

    def log_merge(
        self,
        paper_id: str,
        variant_id: str,
        origin: Literal["auto", "user"],
        title_score: float | None,
        abstract_score: float | None,
        reason: str,
    ) -> None:
        self.conn.execute(
            "INSERT INTO merges (paper_id, variant_id, origin, title_score, abstract_score,"
            " reason, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (paper_id, variant_id, origin, title_score, abstract_score, reason, now_iso()),
        )

    def merge_log(self, paper_id: str) -> list[sqlite3.Row]:
        """The merges in force that built this paper, oldest first."""
        return self.conn.execute(
            "SELECT m.variant_id, m.origin, m.title_score, m.abstract_score, m.reason,"
            " m.merged_at FROM merges m JOIN variants v ON v.id = m.variant_id"
            " WHERE v.paper_id = ? AND m.undone_at IS NULL ORDER BY m.id",
            (paper_id,),
        ).fetchall()

    def decide_pair(self, a: str, b: str, same: bool) -> None:
        low, high = sorted((a, b))
        self.conn.execute(
            "INSERT INTO dupe_decisions (a, b, same, decided_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (a, b) DO UPDATE SET same = excluded.same,"
            " decided_at = excluded.decided_at",
            (low, high, int(same), now_iso()),
        )
        self.conn.execute("DELETE FROM dupe_candidates WHERE a = ? AND b = ?", (low, high))

    def distinct_pairs(self) -> list[tuple[str, str]]:
        rows = self.conn.execute("SELECT a, b FROM dupe_decisions WHERE same = 0")
        return [(row[0], row[1]) for row in rows]

    def add_candidates(self, rows: Iterable[tuple[str, str, float, float | None, str]]) -> None:
        """Remember possible duplicates for review, unless the user already decided the pair."""
        self.conn.executemany(
            "INSERT INTO dupe_candidates (a, b, title_score, abstract_score, reason)"
            " SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS"
            " (SELECT 1 FROM dupe_decisions d WHERE d.a = ?1 AND d.b = ?2)"
            " ON CONFLICT (a, b) DO UPDATE SET title_score = excluded.title_score,"
            " abstract_score = excluded.abstract_score, reason = excluded.reason",
            rows,
        )

    def candidates(self) -> list[sqlite3.Row]:
        """Open review pairs: the two variants are still in different papers."""
        return self.conn.execute(
            "SELECT c.a, c.b, va.paper_id AS paper_a, vb.paper_id AS paper_b, c.title_score,"
            " c.abstract_score, c.reason FROM dupe_candidates c"
            " JOIN variants va ON va.id = c.a JOIN variants vb ON vb.id = c.b"
            " JOIN papers pa ON pa.id = va.paper_id JOIN papers pb ON pb.id = vb.paper_id"
            " WHERE va.paper_id != vb.paper_id ORDER BY c.title_score DESC, c.a, c.b"
        ).fetchall()

    def variant_title(self, variant_id: str) -> str:
        row = self.conn.execute(
            "SELECT s.title FROM variants v JOIN sightings s ON s.key = v.key WHERE v.id = ?"
            " ORDER BY s.id LIMIT 1",
            (variant_id,),
        ).fetchone()
        return str(row[0]) if row else ""

    def duplicated_papers(self, min_seen: int) -> list[str]:
        """Papers seen at least `min_seen` times, most seen first."""
        rows = self.conn.execute(
            "SELECT id FROM papers WHERE seen >= ? ORDER BY seen DESC, last_seen DESC, id",
            (min_seen,),
        )
        return [row[0] for row in rows]

    def sightings_with_keys(self, paper_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT s.name AS source, g.date, g.position, g.line, g.title, g.key"
            " FROM sightings g JOIN sources s ON s.id = g.source_id WHERE g.paper_id = ?"
            " ORDER BY g.date IS NULL, g.date, s.name, g.position",
            (paper_id,),
        ).fetchall()

    # --- search ------------------------------------------------------------------------------

    def search_index_pending(self) -> bool:
        return self.conn.execute("SELECT 1 FROM fts_queue LIMIT 1").fetchone() is not None

    def sync_search_index(self) -> None:
        """Bring the search index in step with the papers' canonical text (one transaction)."""
        if not self.search_index_pending():
            return
        with self.atomic():
            conn = self.conn
            conn.execute(
                "DELETE FROM papers_fts WHERE rowid IN"
                " (SELECT old_rowid FROM fts_queue UNION SELECT new_rowid FROM fts_queue)"
            )
            conn.execute(
                "INSERT INTO papers_fts (rowid, title, abstract)"
                " SELECT c.id, c.title, c.abstract FROM papers p JOIN sightings c"
                " ON c.id = p.sighting_id WHERE p.sighting_id IN"
                " (SELECT new_rowid FROM fts_queue WHERE new_rowid IS NOT NULL)"
            )
            conn.execute("DELETE FROM fts_queue")

    # --- triage --------------------------------------------------------------------------

    def set_status(
        self, paper_ids: Sequence[str], status: Status | None, note: str | None, *, keep_note: bool
    ) -> int:
        """Change status and/or note of papers as one undoable step; returns the step number.

        `status` None keeps each paper's status; `keep_note` keeps each paper's note.
        """
        conn = self.conn
        batch = int(
            conn.execute("SELECT coalesce(max(batch), 0) + 1 FROM status_history").fetchone()[0]
        )
        now = now_iso()
        for paper in paper_ids:
            row = conn.execute(
                "SELECT status, note FROM paper_status WHERE paper_id = ?", (paper,)
            ).fetchone()
            old_status, old_note = (row[0], row[1]) if row else (None, None)
            new_status = status or old_status or "new"
            new_note = old_note if keep_note else note
            conn.execute(
                "INSERT INTO paper_status (paper_id, status, note, changed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET status = excluded.status,"
                " note = excluded.note, changed_at = excluded.changed_at",
                (paper, new_status, new_note, now),
            )
            conn.execute(
                "INSERT INTO status_history (batch, paper_id, old_status, old_note, new_status,"
                " new_note, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (batch, paper, old_status, old_note, new_status, new_note, now),
            )
        return batch

    def undo_status(self) -> list[tuple[str, str, str]]:
        """Undo the latest status step not yet undone: [(paper, status now, status before)]."""
        conn = self.conn
        row = conn.execute("SELECT max(batch) FROM status_history WHERE undone = 0").fetchone()
        if row[0] is None:
            return []
        batch = row[0]
        undone = []
        for entry in conn.execute(
            "SELECT paper_id, old_status, old_note, new_status FROM status_history"
            " WHERE batch = ? ORDER BY id DESC",
            (batch,),
        ).fetchall():
            paper, old_status, old_note, new_status = entry
            if old_status is None:
                conn.execute("DELETE FROM paper_status WHERE paper_id = ?", (paper,))
            else:
                conn.execute(
                    "UPDATE paper_status SET status = ?, note = ?, changed_at = ?"
                    " WHERE paper_id = ?",
                    (old_status, old_note, now_iso(), paper),
                )
            undone.append((paper, old_status or "new", new_status))
        conn.execute("UPDATE status_history SET undone = 1 WHERE batch = ?", (batch,))
        return undone

    def status_counts(self) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT coalesce(st.status, 'new'), count(*) FROM papers p"
            " LEFT JOIN paper_status st ON st.paper_id = p.id GROUP BY 1"
        )
        return {row[0]: row[1] for row in rows}

    def dumps_per_month(self) -> list[tuple[str, int]]:
        rows = self.conn.execute(
            "SELECT substr(date, 1, 7) AS month, count(*) FROM sources WHERE date IS NOT NULL"
            " GROUP BY month ORDER BY month"
        )
        return [(row[0], row[1]) for row in rows]

    def search(self, query: str, limit: int | None) -> list[tuple[str, float, str, str]]:
        """(paper id, rank, highlighted title, abstract snippet), best first.

        bm25 weighs a title match ten times an abstract match. Highlights are marked with the
        private-use characters U+E000 (start) and U+E001 (end) for the renderer to style.
        """
        sql = (
            "SELECT p.id, bm25(papers_fts, 10.0, 1.0) AS rank,"
            " highlight(papers_fts, 0, char(57344), char(57345)),"
            " snippet(papers_fts, 1, char(57344), char(57345), '…', 24)"
            " FROM papers_fts JOIN papers p ON p.sighting_id = papers_fts.rowid"
            " WHERE papers_fts MATCH ? ORDER BY rank"
        )
        params: list[Any] = [query]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [(r[0], r[1], r[2], r[3]) for r in self.conn.execute(sql, params)]

    def titles(self) -> list[tuple[str, str]]:
        """(paper id, title) of every paper, for matching a title fragment."""
        return [
            (row[0], row[1])
            for row in self.conn.execute(
                "SELECT p.id, c.title FROM papers p JOIN sightings c ON c.id = p.sighting_id"
            )
        ]
