"""The library's schema: every table, and the migrations that build it version by version.

MIGRATIONS[i] upgrades a library from schema version i to i + 1. Only ever append: a released
version's library is kept under tests/fixtures/schemas/ and must keep upgrading.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..parse import named_year, parse_date_line

APPLICATION_ID = 0x50545247  # "PTRG": marks a file as a papertriage library

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

# Ingest speed: an index on sightings.key cost a random page write per record. A variant now
# points at its representative (earliest) sighting instead, and a variant's sightings are found
# through its paper (sightings_paper), as they all belong to it.
_V5 = """
ALTER TABLE variants ADD COLUMN sighting_id INTEGER;
UPDATE variants SET sighting_id = (SELECT min(g.id) FROM sightings g WHERE g.key = variants.key);
DROP INDEX sightings_key;
"""

# Ingest speed, again. Papers become a WITHOUT ROWID table (one b-tree, not a table plus an index
# on its id) without a foreign key on the sighting they show: that key made each new paper wait
# for its sighting, and each such wait cost a scan when the paper came. The code that adds and
# removes sightings keeps `sighting_id` right, and `check` verifies it. Title variants are found
# by their id (a hash of the key), so the long keys lose their unique index. New papers are
# queued for the search index a batch at a time, as a range of sighting ids (`new_rowid` to
# `last_rowid`), by the one place that creates papers showing a sighting (`add_sightings`),
# not a row each by a trigger. Migrations run with foreign keys off, as rebuilding a table
# needs, and are checked before they commit.
_V6 = """
CREATE TABLE papers_v6 (
    id TEXT PRIMARY KEY,
    sighting_id INTEGER,
    seen INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    created_at TEXT NOT NULL,
    tagged_with TEXT
) WITHOUT ROWID;
INSERT INTO papers_v6 (id, sighting_id, seen, first_seen, last_seen, created_at, tagged_with)
    SELECT id, sighting_id, seen, first_seen, last_seen, created_at, tagged_with FROM papers;
DROP TABLE papers;
ALTER TABLE papers_v6 RENAME TO papers;
CREATE INDEX papers_last_seen ON papers(last_seen);
CREATE INDEX papers_sighting ON papers(sighting_id);
ALTER TABLE fts_queue ADD COLUMN last_rowid INTEGER;
CREATE TRIGGER papers_fts_update AFTER UPDATE OF sighting_id ON papers
    WHEN old.sighting_id IS NOT new.sighting_id
BEGIN
    INSERT INTO fts_queue (old_rowid, new_rowid) VALUES (old.sighting_id, new.sighting_id);
END;
CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers WHEN old.sighting_id IS NOT NULL
BEGIN
    INSERT INTO fts_queue (old_rowid, new_rowid) VALUES (old.sighting_id, NULL);
END;
CREATE TABLE variants_v6 (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    paper_id TEXT NOT NULL,
    first_seen TEXT,
    deduped INTEGER NOT NULL DEFAULT 0,
    sighting_id INTEGER
);
INSERT INTO variants_v6 (rowid, id, key, paper_id, first_seen, deduped, sighting_id)
    SELECT rowid, id, key, paper_id, first_seen, deduped, sighting_id FROM variants;
DROP TABLE variants;
ALTER TABLE variants_v6 RENAME TO variants;
CREATE INDEX variants_paper ON variants(paper_id);
CREATE INDEX variants_pending ON variants(deduped) WHERE deduped = 0;
"""

Migration = Callable[[sqlite3.Connection], None]


def _v7(conn: sqlite3.Connection) -> None:
    """Where each dump's year came from, so that a guessed year can be told and corrected.

    `line` (the date line has it), `option` (--year), `name` (the file name), or a guess:
    `mtime` (the file's date) or `papers` (when its papers were seen in dated dumps). Dumps
    ingested before took a year missing from their name from the file's date, a guess.
    """
    conn.execute("ALTER TABLE sources ADD COLUMN year_from TEXT")
    rows = conn.execute("SELECT id, name, header_date FROM sources").fetchall()
    for source, name, header in rows:
        line = parse_date_line(header) if header else None
        if named_year(Path(name)) is not None:
            origin: str | None = "name"
        elif line is None:
            origin = None
        else:
            origin = "mtime" if line[2] is None else "line"
        conn.execute("UPDATE sources SET year_from = ? WHERE id = ?", (origin, source))


# Papers with their identity: what each entry of a Daily Papers API response said about its
# paper (kept per sighting, so it goes with its file like the sighting), and the arXiv id of each
# paper, unique: two records with one id are one paper. Dumps carry no id: a paper seen only in
# dumps has none until a response about it arrives.
_V8 = """
ALTER TABLE papers ADD COLUMN arxiv_id TEXT;
CREATE UNIQUE INDEX papers_arxiv ON papers(arxiv_id) WHERE arxiv_id IS NOT NULL;
CREATE TABLE response_entries (
    sighting_id INTEGER PRIMARY KEY REFERENCES sightings(id) ON DELETE CASCADE,
    arxiv_id TEXT NOT NULL,
    authors TEXT NOT NULL,
    published TEXT,
    upvotes INTEGER,
    github_repo TEXT,
    github_stars INTEGER,
    keywords TEXT
);
CREATE INDEX response_entries_arxiv ON response_entries(arxiv_id);
"""

# Daily commands on a big library: `list` orders papers by when they were last seen, then how
# often; `next` (and `--sort seen`) by how often. With these indexes the first page comes at once,
# not after sorting every paper (at 230,000 papers: 0.5 s each, 90 ms for a day of 11,000 papers).
_V9 = """
CREATE INDEX papers_seen ON papers(seen);
DROP INDEX papers_last_seen;
CREATE INDEX papers_recent ON papers(last_seen, seen);
"""

# What an incremental dedupe needs of the titles it does not load (`dedupe/index.py`), as of
# variant `upto`; later variants are read from `variants`. A variant that goes, or shows
# another sighting (so maybe another abstract), drops it: the next dedupe makes it again.
_V10 = """
CREATE TABLE title_index (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL,
    size INTEGER NOT NULL,
    words BLOB NOT NULL,
    counts BLOB NOT NULL,
    starts BLOB NOT NULL,
    postings BLOB NOT NULL,
    openings BLOB NOT NULL,
    opening_titles BLOB NOT NULL
);
CREATE TRIGGER title_index_variant_gone AFTER DELETE ON variants
BEGIN
    DELETE FROM title_index;
END;
CREATE TRIGGER title_index_variant_moved AFTER UPDATE OF sighting_id ON variants
    WHEN old.sighting_id IS NOT new.sighting_id AND old.rowid <= (SELECT upto FROM title_index)
BEGIN
    DELETE FROM title_index;
END;
"""


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


MIGRATIONS: list[Migration] = [
    _script(_V1),
    _script(_V2),
    _script(_V3),
    _script(_V4),
    _script(_V5),
    _script(_V6),
    _v7,
    _script(_V8),
    _script(_V9),
    _script(_V10),
]
