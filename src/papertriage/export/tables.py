"""Tables for programs and spreadsheets: CSV (with a formula guard), JSON and JSONL.

Kept apart from the prose formats: these write the papers' values as they are, escaping only what
a spreadsheet would run.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from ..models import PAPER_FIELDS, Paper

CSV_COLUMNS = PAPER_FIELDS
# OWASP's list: a spreadsheet reads a cell starting with these as a formula (or, for tab and
# carriage return, as one after it trims them).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guard(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _cell(value: object, formula_guard: bool) -> str:
    """A value as CSV text: lists joined with `; `, dates ISO, nothing empty. Only text is
    guarded: a number (`-3.2`, a search rank) is no formula and must stay a number."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(_cell(item, False) for item in value)
    elif isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _guard(value) if formula_guard else value
    return str(value)


def write_table(
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    out: TextIO,
    *,
    formula_guard: bool = True,
) -> None:
    """The CSV writer of every command: a header row, then one row per item.

    With `formula_guard` (the default) a text cell that a spreadsheet would run as a formula gets
    a leading `'`, so a title like `=HYPERLINK(...)` from a dump stays text; programs that want
    the exact values turn it off. Rows end in CRLF (RFC 4180), which also makes the writer quote
    a cell holding a lone CR; open a file for it with `newline=""`, as for any csv writer.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column), formula_guard) for column in columns])


def write_csv(papers: Sequence[Paper], out: TextIO, *, formula_guard: bool = True) -> None:
    """One row per paper, for spreadsheets (see `write_table`)."""
    rows = (paper.model_dump() for paper in papers)
    write_table(rows, CSV_COLUMNS, out, formula_guard=formula_guard)


def write_json(papers: Sequence[Paper], out: TextIO) -> None:
    """One JSON array of the papers as the models dump them: `list`'s shape for `Paper`s."""
    data = [paper.model_dump(mode="json") for paper in papers]
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_jsonl(papers: Sequence[Paper], out: TextIO) -> None:
    """One paper per line, for streaming tools (`jq -c`, pandas `read_json(lines=True)`)."""
    for paper in papers:
        out.write(json.dumps(paper.model_dump(mode="json"), ensure_ascii=False) + "\n")
