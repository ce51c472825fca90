"""Tables for programs and spreadsheets: CSV (with a formula guard), JSON and JSONL.

Kept apart from the prose formats: these write the papers' values as they are, escaping only what
a spreadsheet would run.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import TextIO

from ..models import PAPER_FIELDS, PaperDetail

CSV_COLUMNS = PAPER_FIELDS
# OWASP's list: a spreadsheet reads a cell starting with these as a formula (or, for tab and
# carriage return, as one after it trims them).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guard(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _csv_row(paper: PaperDetail) -> list[str]:
    return [
        paper.id,
        paper.title,
        paper.abstract,
        str(paper.seen),
        paper.first_seen.isoformat() if paper.first_seen is not None else "",
        paper.last_seen.isoformat() if paper.last_seen is not None else "",
        "; ".join(paper.sources),
        "; ".join(paper.tags),
        paper.status,
        paper.note or "",
        paper.arxiv_id or "",
        paper.url or "",
        "; ".join(paper.authors),
        paper.published.isoformat() if paper.published is not None else "",
        "" if paper.upvotes is None else str(paper.upvotes),
        paper.github or "",
        "" if paper.github_stars is None else str(paper.github_stars),
        "; ".join(paper.keywords),
    ]


def write_csv(papers: Sequence[PaperDetail], out: TextIO, *, formula_guard: bool = True) -> None:
    """One row per paper, lists joined with `; `, for spreadsheets.

    With `formula_guard` (the default) a cell that a spreadsheet would run as a formula gets a
    leading `'`, so a title like `=HYPERLINK(...)` from a dump stays text; programs that want the
    exact values turn it off. Rows end in CRLF (RFC 4180), which also makes the writer quote a
    cell holding a lone CR; open a file for it with `newline=""`, as for any csv writer.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for paper in papers:
        row = _csv_row(paper)
        writer.writerow([_guard(cell) for cell in row] if formula_guard else row)


def write_json(papers: Sequence[PaperDetail], out: TextIO) -> None:
    """One JSON array of the papers as the models dump them, sightings and tag origins included."""
    data = [paper.model_dump(mode="json") for paper in papers]
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_jsonl(papers: Sequence[PaperDetail], out: TextIO) -> None:
    """One paper per line, for streaming tools (`jq -c`, pandas `read_json(lines=True)`)."""
    for paper in papers:
        out.write(json.dumps(paper.model_dump(mode="json"), ensure_ascii=False) + "\n")
