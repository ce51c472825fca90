"""The consoles, formats and writers every view uses.

Data goes to stdout, messages and progress to stderr. Text that came from a dump is always shown
literally (never parsed as rich markup) and stripped of control characters.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..models import PAPER_FIELDS


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Drop control characters (terminal escapes included) from text shown to a person."""
    return _CONTROL.sub("", text)


def literal(text: str, style: str = "") -> Text:
    """Text from a dump, safe to print: markup-like brackets stay brackets."""
    return Text(clean(text), style=style)


def _no_color() -> bool:
    return "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""


def stdout_console() -> Console:
    return Console(file=sys.stdout, no_color=_no_color(), highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    return Console(file=sys.stderr, no_color=_no_color(), highlight=False, soft_wrap=True)


def error(message: str) -> None:
    """The one-line error every failure ends in."""
    stderr_console().print(Text("error: ", style="bold red") + Text(clean(message)))


def warn(message: str) -> None:
    stderr_console().print(Text("warning: ", style="yellow") + Text(clean(message)))


def info(message: str) -> None:
    stderr_console().print(Text(clean(message), style="dim"))


def _json_default(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def write_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=_json_default)
    sys.stdout.write("\n")


def write_jsonl(rows: Sequence[Mapping[str, Any]]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")


def write_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Every command's CSV goes through the export's one writer (formula guard, CRLF rows),
    imported here: the export package brings the tagger, which a table or JSON does not need."""
    from ..export import write_table

    write_table(rows, columns, sys.stdout)


def emit(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    columns: Sequence[str],
    table: Callable[[], Table],
) -> None:
    """Print a listing in the chosen format; `table` builds the human view only when needed."""
    if fmt is Format.json:
        write_json(list(rows))
    elif fmt is Format.jsonl:
        write_jsonl(rows)
    elif fmt is Format.csv:
        write_csv(rows, columns)
    else:
        stdout_console().print(table())


def new_table(*columns: str, title: str | None = None) -> Table:
    table = Table(title=title, header_style="bold", show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column)
    return table


def print_data(renderable: Any) -> None:
    stdout_console().print(renderable)


@contextmanager
def progress_bars() -> Iterator[Callable[[str], Callable[[int, int], None]]]:
    """Progress bars on stderr for the stages of one command, shown only at a terminal.

    Yields `stage(description)`, which returns the `update(done, total)` of a bar that appears
    on its first update: rich shows one live display at a time, so every stage shares it.
    """
    console = stderr_console()
    if not console.is_terminal:
        yield lambda description: lambda done, total: None
        return
    # Here, not at the top: rich.progress took a tenth of start-up, and only bars need it.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:

        def stage(description: str) -> Callable[[int, int], None]:
            task: list[TaskID] = []

            def update(done: int, total: int) -> None:
                if not task:
                    task.append(progress.add_task(description, total=total))
                progress.update(task[0], completed=done, total=total)

            return update

        yield stage


# --- shared by the views ---------------------------------------------------------------


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else "-"


def short_id(paper_id: str) -> str:
    return paper_id[:8]


STATUS_STYLE = {
    "new": "bold",
    "read": "dim",
    "starred": "bold yellow",
    "later": "blue",
    "skipped": "dim",
}
STATUS_MARK = {"new": "•", "read": "✓", "starred": "★", "later": "⏲", "skipped": "✗"}


def status_mark(status: str) -> Text:
    return Text(STATUS_MARK.get(status, "?"), style=STATUS_STYLE.get(status, ""))


PAPER_COLUMNS = list(PAPER_FIELDS)
