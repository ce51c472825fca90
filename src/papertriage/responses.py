"""Daily Papers API responses -> records, as `parse` makes them of text dumps.

A response (`https://huggingface.co/api/daily_papers?date=YYYY-MM-DD`) is a JSON array with an
entry per featured paper, by upvotes: its title, abstract, arXiv id, authors, dates, upvotes,
GitHub repository and keywords. Archived responses have quirks that real users' files have too,
all taken here: entries stored as strings holding a Python repr of the entry, the array wrapped
in an object (`{"status", "date", "count", "data": [...]}`), and titles and abstracts with
arXiv's line wraps. Pure, like `parse`: bytes in, records out, a `DumpError` for a file that is
not a response.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from typing import Any

from .errors import DumpError
from .parse import RawRecord

EntryMeta = tuple[str, str, str | None, int | None, str | None, int | None, str | None]
"""(arXiv id, authors as a JSON array, publication date, upvotes, GitHub repository, its stars,
keywords as a JSON array or None) of one entry: what a response says beyond title and abstract.
A plain tuple, as records are: an ingest makes one per entry."""

_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*[\[{]")
_ARXIV = re.compile(
    r"(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v\d+)?", re.IGNORECASE | re.ASCII
)


def is_response(data: bytes) -> bool:
    """Whether a file's content starts like JSON (`[` or `{`): a response, not a text dump."""
    return _START.match(data) is not None


def arxiv_id(text: str) -> str | None:
    """The arXiv id in `text` (`2509.21268`, `arXiv:2509.21268v2`), without its version."""
    found = _ARXIV.fullmatch(text.strip())
    return found[1] if found else None


def _one_line(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _day(value: object) -> dt.date | None:
    """The date of an ISO timestamp (`2025-09-26T00:35:18.352Z`), or None."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _entry(item: object, rank: int, source: str) -> dict[str, Any]:
    """An entry as a dict, read back from a Python repr where the archive stored one."""
    if isinstance(item, str):
        try:
            item = ast.literal_eval(item)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise DumpError(
                source, f"entry {rank} is a string that is not a Python repr of an entry"
            ) from None
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise DumpError(
            source, f"entry {rank} has no paper object: not a Daily Papers API response"
        )
    return item


def _entries(data: bytes, source: str) -> tuple[list[object], dt.date | None]:
    """The entries of a response and the day it names (a wrapped one does)."""
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError as exc:
        raise DumpError(
            source, f"not valid JSON ({exc.msg}, column {exc.colno}): cut short?", exc.lineno
        ) from None
    except UnicodeDecodeError as exc:
        raise DumpError(source, f"not UTF-8 text (byte 0x{data[exc.start]:02x})") from None
    except RecursionError:
        raise DumpError(source, "JSON nested too deeply: not a Daily Papers API response") from None
    day = None
    if isinstance(parsed, dict):
        if not isinstance(parsed.get("data"), list):
            raise DumpError(
                source, 'a JSON object without a "data" list: not a Daily Papers API response'
            )
        day = _day(parsed.get("date"))
        parsed = parsed["data"]
    if not isinstance(parsed, list):
        raise DumpError(source, "JSON that is not a list of entries: not a Daily Papers response")
    return parsed, day


def parse_response(
    data: bytes, source: str, day: dt.date | None = None
) -> list[tuple[RawRecord, EntryMeta]]:
    """The papers of a response, in its order, each with what the response says about it.

    A record's date is the day the paper was featured: `submittedOnDailyAt`, else the day the
    response is for (`day`, from its file name, or the date a wrapped response names), else the
    paper's publication date; no year is guessed. Its position is its rank, its line 0 (an
    entry has no line of its own). Raises DumpError naming the entry at fault.
    """
    items, named = _entries(data, source)
    day = named or day
    papers: list[tuple[RawRecord, EntryMeta]] = []
    for rank, item in enumerate(items, start=1):
        entry = _entry(item, rank, source)
        paper: dict[str, Any] = entry["paper"]
        raw_id = paper.get("id")
        ident = arxiv_id(raw_id) if isinstance(raw_id, str) else None
        if ident is None:
            raise DumpError(source, f"entry {rank}: paper.id {raw_id!r} is not an arXiv id")
        title = _one_line(entry.get("title")) or _one_line(paper.get("title"))
        abstract = _one_line(paper.get("summary")) or _one_line(entry.get("summary"))
        if not title or not abstract:
            missing = "title" if not title else "abstract"
            raise DumpError(source, f"entry {rank} (arXiv {ident}) has no {missing}")
        authors = [
            name
            for author in paper.get("authors") or []
            if isinstance(author, dict) and (name := _one_line(author.get("name")))
        ]
        published = _day(paper.get("publishedAt"))
        date = _day(paper.get("submittedOnDailyAt")) or day or published
        repo = paper.get("githubRepo")
        keywords = paper.get("ai_keywords")
        if isinstance(keywords, list):
            keywords = [word for item in keywords if (word := _one_line(item))]
        papers.append(
            (
                (rank, 0, None, date, title, abstract),
                (
                    ident,
                    json.dumps(authors, ensure_ascii=False),
                    published.isoformat() if published else None,
                    _count(paper.get("upvotes")),
                    repo if isinstance(repo, str) and repo.startswith("https://") else None,
                    _count(paper.get("githubStars")),
                    json.dumps(keywords, ensure_ascii=False) if keywords else None,
                ),
            )
        )
    return papers
