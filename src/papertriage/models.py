"""Typed records passed between the core modules and the CLI.

Models build their validators when first used (`defer_build`), not at import: the first build
costs pydantic tens of milliseconds, which `--help` and a failed lookup need not pay.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["new", "read", "starred", "later", "skipped"]
STATUSES: tuple[Status, ...] = ("new", "read", "starred", "later", "skipped")


class Record(BaseModel):
    """One paper as one dump lists it: a title paragraph and its abstract paragraph."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    title: str
    abstract: str
    source: str
    header_date: str | None
    """The date line of the dump section the paper is in, as written (`Sep 26`)."""
    date: dt.date | None
    """`header_date` resolved to a full date (year from the line, --year or the file name, else
    guessed from the file's date; an ingest may guess again from the dump's papers)."""
    position: int
    """1-based position of the paper in the dump."""
    line: int
    """1-based line number of the title in the dump."""


class Sighting(BaseModel):
    """Where a paper was seen: one record of one dump, as stored."""

    model_config = ConfigDict(defer_build=True)

    source: str
    date: dt.date | None
    position: int
    line: int
    title: str
    abstract: str


class Paper(BaseModel):
    """A paper of the library: the canonical text and a summary of where it was seen."""

    model_config = ConfigDict(defer_build=True)

    id: str
    title: str
    abstract: str
    seen: int
    first_seen: dt.date | None
    last_seen: dt.date | None
    sources: list[str]
    tags: list[str] = []
    status: Status = "new"
    note: str | None = None
    arxiv_id: str | None = None
    """From a Daily Papers API response about it; a paper seen only in dumps has none."""
    url: str | None = None
    """Its Hugging Face page, when its arXiv id is known."""
    authors: list[str] = []
    """In the paper's order, from the newest response about it."""
    published: dt.date | None = None
    """When arXiv published it."""
    upvotes: int | None = None
    """The most any response gave it."""
    github: str | None = None
    github_stars: int | None = None
    keywords: list[str] = []
    """Hugging Face's keywords for it, where a response gives them."""


def short_authors(authors: list[str], most: int = 6) -> str:
    """Authors as a reader scans them: a short list whole, a long one (up to 664 names in the
    corpus) as its first names and how many more."""
    if len(authors) <= most:
        return ", ".join(authors)
    return f"{', '.join(authors[: most - 1])} and {len(authors) - most + 1} more"


def paper_links(arxiv_id: str) -> tuple[str, str]:
    """Where a paper is read: its Hugging Face page and its arXiv abstract page."""
    return f"https://huggingface.co/papers/{arxiv_id}", f"https://arxiv.org/abs/{arxiv_id}"


PAPER_FIELDS: tuple[str, ...] = tuple(Paper.model_fields)
"""The columns of a paper in CSV output, in order."""


class PaperDetail(Paper):
    """A paper with every sighting, for `show`."""

    sightings: list[Sighting]
    tag_origins: dict[str, str] = {}
    """Where each tag came from: `rule` (the tagger) or `user`."""
