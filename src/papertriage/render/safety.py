"""The view of `check`: what was checked and what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from .base import (
    Format,
    literal,
    new_table,
    stdout_console,
    write_csv,
    write_json,
    write_jsonl,
)

if TYPE_CHECKING:
    from ..safety import CheckReport


def show_check(report: CheckReport, fmt: Format) -> None:
    data = {**report.model_dump(mode="json"), "ok": report.ok}
    if fmt is Format.json:
        write_json(data)
        return
    if fmt is Format.jsonl:
        write_jsonl([problem.model_dump() for problem in report.problems])
        return
    if fmt is Format.csv:
        write_csv([problem.model_dump() for problem in report.problems], ["check", "detail"])
        return
    view = new_table("check", "result")
    failed = {problem.check for problem in report.problems}
    for name in report.checks:
        view.add_row(
            name,
            Text("problems", style="bold red") if name in failed else Text("ok", style="green"),
        )
    console = stdout_console()
    console.print(view)
    for problem in report.problems:
        console.print(Text(f"{problem.check}: ", style="red") + literal(problem.detail))
    verdict = "library is healthy" if report.ok else f"{len(report.problems)} problems found"
    console.print(
        Text(
            f"{report.path} (schema {report.schema_version}, {report.papers} papers): {verdict}",
            style="dim",
        )
    )
