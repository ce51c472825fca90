"""Keeping the user's library safe: integrity checks, consistent backups, and the user's
decisions as a file of their own that can be applied to any library rebuilt from the dumps.

What came from the dumps can always be ingested again; what the user decided (statuses, notes,
manual tags, merges, splits, "not a duplicate") cannot, so it travels keyed by the stable ids
that come from normalised titles.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from .errors import PapertriageError, StoreError
from .library import TAXONOMY_META
from .models import Status
from .store import Store, now_iso
from .tagging import Taxonomy

DECISIONS_FORMAT: Literal["papertriage-decisions"] = "papertriage-decisions"
DECISIONS_VERSION = 1


# --- check --------------------------------------------------------------------------------


class Problem(BaseModel):
    check: str
    detail: str


class CheckReport(BaseModel):
    path: str
    schema_version: int
    papers: int
    checks: list[str]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_library(store: Store) -> CheckReport:
    """Everything that must hold in a healthy library; each failure is named."""
    conn = store.conn
    problems: list[Problem] = []
    checks: list[str] = []

    def record(name: str, rows: list[str]) -> None:
        checks.append(name)
        problems.extend(Problem(check=name, detail=row) for row in rows[:20])
        if len(rows) > 20:
            problems.append(Problem(check=name, detail=f"... and {len(rows) - 20} more"))

    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    record("integrity", [] if integrity == ["ok"] else integrity)
    record(
        "foreign keys",
        [
            f"{row[0]} row {row[1]} points to a missing {row[2]}"
            for row in conn.execute("PRAGMA foreign_key_check")
        ],
    )
    store.sync_search_index()
    indexed = conn.execute("SELECT count(*) FROM papers_fts").fetchone()[0]
    papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    missing = conn.execute(
        "SELECT p.id FROM papers p WHERE NOT EXISTS"
        " (SELECT 1 FROM papers_fts f WHERE f.rowid = p.sighting_id)"
    ).fetchall()
    stale = indexed - (papers - len(missing))
    record(
        "search index",
        [f"paper {row[0]} is not in the search index" for row in missing]
        + ([f"{stale} search entries belong to no paper"] if stale else []),
    )
    record(
        "ids",
        [
            f"id {row[0]} resolves to missing paper {row[1]}"
            for row in conn.execute(
                "SELECT v.id, v.paper_id FROM variants v WHERE NOT EXISTS"
                " (SELECT 1 FROM papers p WHERE p.id = v.paper_id)"
                " AND v.sighting_id IS NOT NULL"
            )
        ],
    )
    record(
        "sightings",
        [
            f"sighting {row[0]} belongs to paper {row[1]} but its title to {row[2]}"
            for row in conn.execute(
                "SELECT s.id, s.paper_id, v.paper_id FROM sightings s JOIN variants v"
                " ON v.key = s.key WHERE v.paper_id != s.paper_id LIMIT 100"
            )
        ],
    )
    record(
        "variants",
        [
            f"title {row[0]} should be represented by sighting {row[1]}, not {row[2]}"
            for row in conn.execute(
                "SELECT v.id, s.first, v.sighting_id FROM variants v JOIN"
                " (SELECT key, min(id) AS first FROM sightings GROUP BY key) s ON s.key = v.key"
                " WHERE v.sighting_id IS NOT s.first LIMIT 100"
            )
        ],
    )
    record(
        "arxiv ids",
        [
            f"paper {row[0]} has arXiv id {row[1]}, its responses say {row[2]}"
            for row in conn.execute(
                "SELECT p.id, p.arxiv_id, (SELECT group_concat(DISTINCT e.arxiv_id)"
                " FROM sightings g JOIN response_entries e ON e.sighting_id = g.id"
                " WHERE g.paper_id = p.id) AS ids FROM papers p"
                " WHERE ids IS NOT p.arxiv_id LIMIT 100"
            )
        ],
    )
    tagged = store.get_meta(TAXONOMY_META) is not None  # a library never tagged has no tags yet
    record(
        "tags",
        [
            f"paper {row[0]} was never tagged (an interrupted run?): run `papertriage retag`"
            for row in conn.execute(
                "SELECT id FROM papers WHERE tagged_with IS NULL AND ? ORDER BY id LIMIT 100",
                (tagged,),
            )
        ],
    )
    record(
        "summaries",
        [
            f"paper {row[0]} says seen {row[1]}, its sightings say {row[2]}"
            if row[1] != row[2]
            else f"paper {row[0]} shows sighting {row[3]}, which is not one of its own"
            for row in conn.execute(
                "SELECT p.id, p.seen, (SELECT count(*) FROM sightings s WHERE s.paper_id = p.id)"
                " AS n, p.sighting_id FROM papers p WHERE p.seen != n OR NOT EXISTS"
                " (SELECT 1 FROM sightings s WHERE s.id = p.sighting_id AND s.paper_id = p.id)"
                " LIMIT 100"
            )
        ],
    )
    return CheckReport(
        path=str(store.path),
        schema_version=store.version,
        papers=papers,
        checks=checks,
        problems=problems,
    )


# --- backup -------------------------------------------------------------------------------


def backup_library(store: Store, target: Path, *, overwrite: bool = False) -> int:
    """A consistent copy of the library, even while other processes use it (SQLite backup API).

    Written to a temporary file next to the target and renamed, so a failed backup never leaves
    a half-written file under the target's name. Returns the copy's size in bytes.
    """
    if target.exists() and not overwrite:
        raise PapertriageError(f"{target}: already exists (use --force to replace it)")
    if target.resolve() == store.path.resolve():
        raise PapertriageError(f"{target}: that is the library itself")
    partial = target.with_name(target.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        copy = sqlite3.connect(partial)
        try:
            store.conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        partial.replace(target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise PapertriageError(f"{target}: backup failed: {exc}") from None
    return target.stat().st_size


# --- decisions ----------------------------------------------------------------------------


class StatusDecision(BaseModel):
    paper: str
    arxiv_id: str | None = None
    """The paper's arXiv id, if known: an import finds the paper by it first, so a decision
    follows its paper to a library that knows it under another title."""
    status: Status
    note: str | None = None
    changed_at: str


class TagDecision(BaseModel):
    paper: str
    arxiv_id: str | None = None
    tag: str
    assigned: bool
    decided_at: str


class PairDecision(BaseModel):
    a: str
    b: str
    same: bool
    """True: the user merged them; false: "not a duplicate" (or split apart)."""
    decided_at: str


class Decisions(BaseModel):
    """Every decision of the user, keyed by stable paper ids (from normalised titles) and, for
    statuses and tags, by arXiv id where the paper has one."""

    format: Literal["papertriage-decisions"] = DECISIONS_FORMAT
    version: int = DECISIONS_VERSION
    exported_at: str = Field(default_factory=now_iso)
    statuses: list[StatusDecision] = []
    tags: list[TagDecision] = []
    pairs: list[PairDecision] = []


class ImportSummary(BaseModel):
    statuses: int
    tags: int
    merges: int
    """Titles merged into another paper now (pairs whose papers are both here)."""
    distinct: int
    unknown_papers: int
    """Decisions about papers this library does not have (yet): kept, and applied when they come."""


def export_decisions(store: Store) -> Decisions:
    conn = store.conn
    return Decisions(
        statuses=[
            StatusDecision(paper=r[0], status=r[1], note=r[2], changed_at=r[3], arxiv_id=r[4])
            for r in conn.execute(
                "SELECT s.paper_id, s.status, s.note, s.changed_at, p.arxiv_id FROM paper_status s"
                " LEFT JOIN papers p ON p.id = s.paper_id ORDER BY s.paper_id"
            )
        ],
        tags=[
            TagDecision(paper=r[0], tag=r[1], assigned=bool(r[2]), decided_at=r[3], arxiv_id=r[4])
            for r in conn.execute(
                "SELECT t.paper_id, t.tag, t.assigned, t.decided_at, p.arxiv_id"
                " FROM tag_decisions t LEFT JOIN papers p ON p.id = t.paper_id"
                " ORDER BY t.paper_id, t.tag"
            )
        ],
        pairs=[
            PairDecision(a=r[0], b=r[1], same=bool(r[2]), decided_at=r[3])
            for r in conn.execute("SELECT a, b, same, decided_at FROM dupe_decisions ORDER BY a, b")
        ],
    )


def read_decisions(path: Path) -> Decisions:
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise PapertriageError(f"{path}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PapertriageError(f"{path}: not a decisions file (not JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != DECISIONS_FORMAT:
        raise PapertriageError(f"{path}: not a papertriage decisions file")
    if data.get("version", 0) > DECISIONS_VERSION:
        raise PapertriageError(f"{path}: written by a newer papertriage; upgrade to import it")
    try:
        return Decisions.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PapertriageError(f"{path}: {where}: {first['msg']}") from None


def import_decisions(store: Store, decisions: Decisions, taxonomy: Taxonomy) -> ImportSummary:
    """Apply decisions to this library in one transaction; later decisions win over older ones.

    Decisions are stored under the ids they name, which every fresh library derives the same
    way from the titles; merges are redone here (or when both papers have arrived, by the next
    dedupe), and pairs the user split or called distinct are kept apart by the deduper.
    """
    from .merging import merge_decided, tag_papers

    conn = store.conn
    known = {row[0] for row in conn.execute("SELECT id FROM variants")}
    named = [item.arxiv_id for item in decisions.statuses] + [t.arxiv_id for t in decisions.tags]
    by_arxiv = store.arxiv_owners({arxiv for arxiv in named if arxiv})
    unknown = 0
    with store.atomic():
        for item in decisions.statuses:
            paper = by_arxiv.get(item.arxiv_id or "") or _paper_of(store, item.paper)
            unknown += item.paper not in known and item.arxiv_id not in by_arxiv
            conn.execute(
                "INSERT INTO paper_status (paper_id, status, note, changed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (paper_id) DO UPDATE SET"
                " status = excluded.status, note = excluded.note,"
                " changed_at = excluded.changed_at WHERE excluded.changed_at >= changed_at",
                (paper, item.status, item.note, item.changed_at),
            )
        for tag in decisions.tags:
            paper = by_arxiv.get(tag.arxiv_id or "") or _paper_of(store, tag.paper)
            unknown += tag.paper not in known and tag.arxiv_id not in by_arxiv
            conn.execute(
                "INSERT INTO tag_decisions (paper_id, tag, assigned, decided_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (paper_id, tag) DO UPDATE SET"
                " assigned = excluded.assigned, decided_at = excluded.decided_at"
                " WHERE excluded.decided_at >= decided_at",
                (paper, tag.tag, int(tag.assigned), tag.decided_at),
            )
        store.decide_pairs((pair.a, pair.b, pair.same, pair.decided_at) for pair in decisions.pairs)
        unknown += sum(pair.a not in known or pair.b not in known for pair in decisions.pairs)
        changed: list[str] = []
        for pair in decisions.pairs:
            if not pair.same:
                changed += _keep_apart(store, pair.a, pair.b)
        merges, targets = merge_decided(store)
        store.refresh_papers([*changed, *targets])
        tag_papers(store, taxonomy, [*changed, *targets])
    store.sync_search_index()
    return ImportSummary(
        statuses=len(decisions.statuses),
        tags=len(decisions.tags),
        merges=merges,
        distinct=sum(not pair.same for pair in decisions.pairs),
        unknown_papers=unknown,
    )


def _paper_of(store: Store, variant: str) -> str:
    """The paper a stable id belongs to here (itself when this library does not have it)."""
    row = store.conn.execute("SELECT paper_id FROM variants WHERE id = ?", (variant,)).fetchone()
    return str(row[0]) if row else variant


def _keep_apart(store: Store, a: str, b: str) -> list[str]:
    """If a distinct pair is merged in this library, take the later title back out; return the
    papers that changed."""
    papers = store.variant_paper_map([a, b])
    if len(papers) == 2 and papers[a] == papers[b]:
        leaving = b if b != papers[b] else a
        if store.shared_arxiv(leaving) is not None:
            return []  # one arXiv id: one paper, whatever the decision said
        old = store.detach_variant(leaving)
        store.refresh_papers([old, leaving])
        return [old, leaving]
    return []


def write_decisions(decisions: Decisions, path: Path) -> None:
    text = decisions.model_dump_json(indent=2)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(text + "\n", "utf-8")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"{path}: cannot write ({exc.strerror})") from None
