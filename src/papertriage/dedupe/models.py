"""The deduper's inputs, settings and results: the models other layers read and write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One distinct title key of the library; exact-key repeats are already one entry.

    A plain slotted dataclass, not a pydantic model: a run holds one per distinct title, a
    million in a big library, and a model took 870 bytes each where this takes 88.
    """

    id: str
    """The paper id of the key."""
    title: str
    """A representative raw title."""
    abstract: str
    """A representative raw abstract (may be empty)."""
    key: str | None = None
    """The folded title (`fold(title)`) if known: the library stores it, so that a run over a
    million titles need not fold them all again."""
    arxiv_id: str | None = None
    """The arXiv id of its paper, if a response gave one: entries with different ids are
    different papers, never merged."""


class DedupeConfig(BaseModel):
    """Every threshold of the deduper, in one place.

    Title scores are rapidfuzz `ratio` of the folded titles, 0-100. Abstract scores are the share
    of the shorter abstract's word triples found in the other one, 0-100, so an abstract cut short
    still scores 100. Defaults come from `benchmarks/dedupe_quality.py`.
    """

    model_config = ConfigDict(frozen=True)

    merge_title: float = Field(default=90.0, ge=0, le=100)
    """Typo-alike titles this alike merge unless the abstracts differ; with conflicting abstracts,
    titles this alike are still proposed for review."""
    sure_title: float = Field(default=90.0, ge=0, le=100)
    """Titles this alike that differ only by a typo merge without looking at the abstracts."""
    max_typos: int = Field(default=2, ge=0)
    """Letters two titles may differ by to count as a typo (one per 30 letters, at least one)."""
    review_title: float = Field(default=70.0, ge=0, le=100)
    """Titles at least this alike are proposed for review when nothing else decides."""
    candidate_title: float = Field(default=55.0, gt=0, le=100)
    """Pairs below this title score are never looked at: the floor of blocking and verification."""
    abstract_same: float = Field(default=60.0, ge=0, le=100)
    """Abstracts at least this alike make a revised title (above `candidate_title`) a merge."""
    abstract_conflict: float = Field(default=20.0, ge=0, le=100)
    """Abstracts below this are different papers: alike titles then only go to review."""
    min_abstract_words: int = Field(default=20, ge=3)
    """Shorter abstracts (a comment, a stub) say nothing either way."""
    cluster_title: float = Field(default=75.0, ge=0, le=100)
    """In a cluster of three or more, two members below this must also merge on their own."""
    block_words: int = Field(default=4, ge=1)
    """How many of its rarest title words file an entry into blocks."""
    max_block: int = Field(default=3000, ge=2)
    """Words shared by more entries than this are too common to block on."""
    absorb_title: float = Field(default=97.0, ge=0, le=100)
    """In a block, an entry this close to an earlier one is compared through it only."""


Decision = Literal["merge", "review"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PairScore:
    """The evidence about two entries and what the deduper made of it.

    Plain dataclasses here too: a version-heavy library proposes a review pair per title.
    """

    a: str
    b: str
    title_score: float
    abstract_score: float | None
    decision: Decision
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster:
    """Entries merged into one paper, with the edges that joined them."""

    ids: list[str]
    pairs: list[PairScore]
    score: float
    """Lowest title similarity between any two members, 0-100."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupeResult:
    """Auto-merged clusters, and the review band of possible duplicates."""

    clusters: list[Cluster]
    candidates: list[PairScore]
