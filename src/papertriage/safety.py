"""Keeping the user's library safe: integrity checks, consistent backups, and the user's
decisions as a file of their own that can be applied to any library rebuilt from the dumps.

What came from the dumps can always be ingested again; what the user decided (statuses, notes,
manual tags, merges, splits, "not a duplicate") cannot, so it travels keyed by the stable ids
that come from normalised titles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from .errors import PapertriageError, StoreError, plain_words
from .faults import pause_point
from .library import TAXONOMY_META
from .models import Status
from .store import Store, now_iso
from .tagging import Tagger

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
    problems: list[Problem] = []
    checks: list[str] = []

    def record(name: str, rows: list[str]) -> None:
        checks.append(name)
        problems.extend(Problem(check=name, detail=row) for row in rows[:20])
        if len(rows) > 20:
            problems.append(Problem(check=name, detail=f"... and {len(rows) - 20} more"))

    record("integrity", store.integrity_problems())
    pause_point("check")
    record(
        "foreign keys",
        [
            f"{table} row {row} points to a missing {missing}"
            for table, row, missing in store.broken_references()
        ],
    )
    store.sync_search_index()
    indexed, papers, missing = store.search_index_counts()
    stale = indexed - (papers - len(missing))
    record(
        "search index",
        [f"paper {paper} is not in the search index" for paper in missing]
        + ([f"{stale} search entries belong to no paper"] if stale else []),
    )
    record(
        "ids",
        [
            f"id {variant} resolves to missing paper {paper}"
            for variant, paper in store.dangling_ids()
        ],
    )
    record(
        "sightings",
        [
            f"sighting {sighting} belongs to paper {paper} but its title to {other}"
            for sighting, paper, other in store.misplaced_sightings()
        ],
    )
    record(
        "variants",
        [
            f"title {variant} should be represented by sighting {first}, not {named}"
            for variant, first, named in store.misrepresented_variants()
        ],
    )
    record(
        "arxiv ids",
        [
            f"paper {paper} has arXiv id {arxiv}, its responses say {said}"
            for paper, arxiv, said in store.mismatched_arxiv_ids()
        ],
    )
    tagged = store.get_meta(TAXONOMY_META) is not None  # a library never tagged has no tags yet
    record(
        "tags",
        [
            f"paper {paper} was never tagged (an interrupted run?): run `papertriage retag`"
            for paper in (store.untagged_papers() if tagged else [])
        ],
    )
    record(
        "summaries",
        [
            f"paper {paper} says seen {seen}, its sightings say {count}"
            if seen != count
            else f"paper {paper} shows sighting {shown}, which is not one of its own"
            for paper, seen, count, shown in store.wrong_summaries()
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
    """A consistent copy of the library, even while other processes use it; returns its size
    in bytes. A failed backup never leaves a half-written file under the target's name."""
    if target.exists() and not overwrite:
        raise PapertriageError(f"{target}: already exists (use --force to replace it)")
    if target.resolve() == store.path.resolve():
        raise PapertriageError(f"{target}: that is the library itself")
    store.backup_to(target)
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
    return Decisions(
        statuses=[
            StatusDecision(paper=paper, status=status, note=note, changed_at=at, arxiv_id=arxiv)
            for paper, status, note, at, arxiv in store.status_decisions()
        ],
        tags=[
            TagDecision(paper=paper, tag=tag, assigned=assigned, decided_at=at, arxiv_id=arxiv)
            for paper, tag, assigned, at, arxiv in store.all_tag_decisions()
        ],
        pairs=[
            PairDecision(a=a, b=b, same=same, decided_at=at)
            for a, b, same, at in store.pair_decisions()
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
        raise PapertriageError(f"{path}: {where}: {plain_words(first)}") from None


def import_decisions(store: Store, decisions: Decisions, tagger: Tagger) -> ImportSummary:
    """Apply decisions to this library in one transaction; later decisions win over older ones.

    Decisions are stored under the ids they name, which every fresh library derives the same
    way from the titles; merges are redone here (or when both papers have arrived, by the next
    dedupe), and pairs the user split or called distinct are kept apart by the deduper.
    """
    from .merging import merge_decided, tag_papers

    known = store.variant_ids()
    named = [item.arxiv_id for item in decisions.statuses] + [t.arxiv_id for t in decisions.tags]
    by_arxiv = store.arxiv_owners({arxiv for arxiv in named if arxiv})

    def owner(paper: str, arxiv_id: str | None) -> str:
        """The paper a decision is about here: by its arXiv id first, else by its stable id."""
        return by_arxiv.get(arxiv_id or "") or store.paper_of(paper)

    unknown = sum(
        item.paper not in known and item.arxiv_id not in by_arxiv for item in decisions.statuses
    ) + sum(tag.paper not in known and tag.arxiv_id not in by_arxiv for tag in decisions.tags)
    with store.atomic():
        store.import_statuses(
            (owner(item.paper, item.arxiv_id), item.status, item.note, item.changed_at)
            for item in decisions.statuses
        )
        store.import_tag_decisions(
            (owner(tag.paper, tag.arxiv_id), tag.tag, tag.assigned, tag.decided_at)
            for tag in decisions.tags
        )
        store.decide_pairs((pair.a, pair.b, pair.same, pair.decided_at) for pair in decisions.pairs)
        unknown += sum(pair.a not in known or pair.b not in known for pair in decisions.pairs)
        changed: list[str] = []
        for pair in decisions.pairs:
            if not pair.same:
                changed += _keep_apart(store, pair.a, pair.b)
        merges, targets = merge_decided(store)
        store.refresh_papers([*changed, *targets])
        tag_papers(store, tagger, [*changed, *targets])
    store.sync_search_index()
    return ImportSummary(
        statuses=len(decisions.statuses),
        tags=len(decisions.tags),
        merges=merges,
        distinct=sum(not pair.same for pair in decisions.pairs),
        unknown_papers=unknown,
    )


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
