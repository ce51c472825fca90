"""Views of duplicates: merged papers with their evidence, and candidates to review."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from .base import (
    Format,
    clean,
    day,
    emit,
    literal,
    new_table,
    short_id,
    stdout_console,
    write_csv,
    write_json,
    write_jsonl,
)

if TYPE_CHECKING:
    from ..merging import Candidate, DuplicateGroup


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def show_duplicates(
    groups: Sequence[DuplicateGroup], fmt: Format, *, hidden: int | None = None
) -> None:
    """Each duplicated paper: the titles it was seen under, where, and why they merged.

    `hidden` (None: every repeat is shown) counts the papers seen again under the same title.
    """
    data = [group.model_dump(mode="json") for group in groups]
    if fmt is Format.json:
        write_json(data)
        return
    if fmt is Format.jsonl:
        write_jsonl(data)
        return
    if fmt is Format.csv:
        rows = [
            {"id": group.id, "seen": group.seen, "score": group.score, **member.model_dump()}
            for group in groups
            for member in group.members
        ]
        write_csv(rows, ["id", "seen", "score", "source", "date", "position", "title", "variant"])
        return
    console = stdout_console()
    for group in groups:
        head = Text()
        head.append(short_id(group.id), style="bold")
        head.append(f"  seen {group.seen}×  ")
        head.append(f"title similarity {group.score:g}", style="dim")
        head.append("\n")
        head.append(clean(group.title), style="bold")
        view = new_table("dump", "date", "pos", "title as seen")
        view.columns[3].overflow = "fold"
        for member in group.members:
            view.add_row(
                literal(member.source),
                day(member.date),
                str(member.position),
                literal("same" if member.title == group.title else member.title),
            )
        console.print(head)
        console.print(view)
        for merge in group.merges:
            why = Text("  merged ", style="dim")
            why.append(short_id(merge.variant), style="bold")
            why.append(
                f" ({merge.origin}; title {_score(merge.title_score)},"
                f" abstract {_score(merge.abstract_score)}): ",
                style="dim",
            )
            why.append(clean(merge.reason))
            console.print(why)
        console.print()
    if hidden is None:
        summary = f"{len(groups)} papers seen more than once"
    else:
        summary = f"{len(groups)} papers seen under different titles"
        if hidden:
            summary += f" ({hidden} more under one title: --all)"
    console.print(Text(summary, style="dim"))


def show_candidates(candidates: Sequence[Candidate], fmt: Format) -> None:
    """Possible duplicates, each with the commands that settle it."""

    def table() -> Table:
        view = new_table("id", "title", "title %", "abstract %", "why not merged")
        view.columns[1].overflow = "fold"
        view.columns[4].overflow = "fold"
        for pair in candidates:
            # One row per paper, a rule between pairs: in one cell, wrapped titles ran together.
            view.add_row(
                short_id(pair.a),
                literal(pair.title_a),
                _score(pair.title_score),
                _score(pair.abstract_score),
                literal(pair.reason),
            )
            view.add_row(short_id(pair.b), literal(pair.title_b), end_section=True)
        view.caption = (
            f"{len(candidates)} to review: `papertriage merge A B` or `papertriage distinct A B`"
        )
        return view

    emit(
        [pair.model_dump(mode="json") for pair in candidates],
        fmt,
        ["a", "b", "title_a", "title_b", "title_score", "abstract_score", "reason"],
        table,
    )
