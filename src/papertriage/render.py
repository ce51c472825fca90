"""Everything the user sees: rich tables and panels for people, json/jsonl/csv for programs.

Data goes to stdout, messages and progress to stderr. Text that came from a dump is always shown
literally (never parsed as rich markup) and stripped of control characters.
"""

from __future__ import annotations

import csv
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
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .ingest import FileResult, IngestReport
from .library import MARK_END, MARK_START, SearchHit, TagExplanation
from .merging import Candidate, DedupeSummary, DuplicateGroup
from .models import PAPER_FIELDS, Paper, PaperDetail
from .safety import CheckReport
from .store import Stats
from .tagging import EvalReport, Taxonomy


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


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_csv_cell(item) for item in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in columns])


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


def panel(body: Text | Table | str, title: Text | str) -> Panel:
    return Panel.fit(body, title=title, title_align="left")


def print_data(renderable: Any) -> None:
    stdout_console().print(renderable)


@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, shown only to a person at a terminal."""
    console = stderr_console()
    if not enabled or not console.is_terminal:
        yield lambda done, total: None
        return
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


# --- views of the core's results ---------------------------------------------------------


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "-"


def short_id(paper_id: str) -> str:
    return paper_id[:8]


def show_ingest_report(report: IngestReport, fmt: Format, dedupe: DedupeSummary) -> None:
    results = [result.model_dump() for result in report.files]
    totals = {**_ingest_totals(report), "merged": dedupe.merged, "candidates": dedupe.candidates}
    if fmt is Format.json:
        write_json({"files": results, "totals": totals})
        return
    if fmt is not Format.table:
        emit(results, fmt, list(FileResult.model_fields), new_table)
        return
    for result in report.rejected:
        where = f"{result.path}:{result.line}" if result.line else result.path
        error(f"{where}: {result.error}")
    table = new_table(
        "files",
        "records",
        "new papers",
        "already known",
        "merged",
        "to review",
        "unchanged",
        "rejected",
    )
    table.add_row(
        str(totals["files"]),
        str(totals["records"]),
        str(totals["new_papers"]),
        str(totals["known"]),
        str(totals["merged"]),
        str(totals["candidates"]),
        str(totals["unchanged"]),
        str(totals["rejected"]),
    )
    print_data(table)
    if report.rejected:
        rejected = new_table("rejected file", "line", "reason", title="Rejected (nothing stored)")
        for result in report.rejected:
            rejected.add_row(
                literal(result.path), str(result.line or ""), literal(result.error or "")
            )
        print_data(rejected)


def _ingest_totals(report: IngestReport) -> dict[str, int]:
    def count(*statuses: str) -> int:
        return sum(result.status in statuses for result in report.files)

    return {
        "files": len(report.files),
        "ingested": count("ingested", "replaced"),
        "unchanged": count("unchanged", "duplicate"),
        "rejected": count("rejected"),
        "records": report.total("records"),
        "new_papers": report.total("new_papers"),
        "known": report.total("known"),
    }


_STATUS_STYLE = {
    "new": "bold",
    "read": "dim",
    "starred": "bold yellow",
    "later": "blue",
    "skipped": "dim",
}
_STATUS_MARK = {"new": "•", "read": "✓", "starred": "★", "later": "⏲", "skipped": "✗"}


def _status_mark(status: str) -> Text:
    return Text(_STATUS_MARK.get(status, "?"), style=_STATUS_STYLE.get(status, ""))


PAPER_COLUMNS = list(PAPER_FIELDS)


def show_papers(papers: Sequence[Paper], fmt: Format) -> None:
    def table() -> Table:
        view = new_table("id", "last seen", "seen", "", "title", "tags")
        view.columns[4].overflow = "fold"
        view.columns[4].ratio = 3
        view.columns[5].ratio = 1
        for paper in papers:
            view.add_row(
                short_id(paper.id),
                _day(paper.last_seen),
                str(paper.seen),
                _status_mark(paper.status),
                literal(paper.title),
                literal(", ".join(paper.tags), style="cyan"),
            )
        view.caption = f"{len(papers)} papers"
        return view

    emit([paper.model_dump(mode="json") for paper in papers], fmt, PAPER_COLUMNS, table)


def show_paper(detail: PaperDetail, fmt: Format) -> None:
    data = detail.model_dump(mode="json")
    for sighting in data["sightings"]:
        del sighting["abstract"]
    if fmt is Format.json:
        write_json(data)
        return
    if fmt is Format.jsonl:
        write_jsonl([data])
        return
    if fmt is Format.csv:
        rows = [{"id": detail.id, **sighting} for sighting in data["sightings"]]
        write_csv(rows, ["id", "source", "date", "position", "line", "title"])
        return
    body = Text()
    body.append(clean(detail.title), style="bold")
    body.append(f"\n{detail.id} · seen {detail.seen}× · ")
    body.append(f"{_day(detail.first_seen)} → {_day(detail.last_seen)}\n", style="dim")
    body.append("tags: ", style="dim")
    if detail.tags:
        for index, name in enumerate(detail.tags):
            body.append(", " if index else "")
            body.append(clean(name), style="cyan")
            if detail.tag_origins.get(name) == "user":
                body.append(" (yours)", style="dim")
    else:
        body.append("none", style="dim")
    body.append("\nstatus: ", style="dim")
    body.append(detail.status, style=_STATUS_STYLE.get(detail.status, ""))
    if detail.note:
        body.append("  note: ", style="dim")
        body.append(clean(detail.note), style="italic")
    body.append("\n\n")
    body.append(clean(detail.abstract))
    sightings = new_table("dump", "date", "position", "line", "title as seen")
    for sighting in detail.sightings:
        sightings.add_row(
            literal(sighting.source),
            _day(sighting.date),
            str(sighting.position),
            str(sighting.line),
            literal("same" if sighting.title == detail.title else sighting.title),
        )
    console = stdout_console()
    console.print(Panel(body, title=f"paper {detail.id}", title_align="left"))
    console.print(sightings)


def show_stats(summary: Stats, fmt: Format) -> None:
    data = summary.model_dump(mode="json")
    for paper in data["most_seen"]:
        del paper["abstract"]
    if fmt in (Format.json, Format.jsonl):
        if fmt is Format.json:
            write_json(data)
        else:
            write_jsonl([data])
        return
    if fmt is Format.csv:
        rows: list[dict[str, Any]] = [
            {"metric": key, "value": data[key]}
            for key in ("papers", "sightings", "sources", "first_date", "last_date", "repeated")
        ]
        for group in ("per_status", "per_tag", "dumps_per_month"):
            rows += [{"metric": f"{group}.{k}", "value": v} for k, v in data[group].items()]
        write_csv(rows, ["metric", "value"])
        return
    overview = new_table("papers", "sightings", "dumps", "seen more than once", "dates")
    overview.add_row(
        str(summary.papers),
        str(summary.sightings),
        str(summary.sources),
        str(summary.repeated),
        f"{_day(summary.first_date)} → {_day(summary.last_date)}",
    )
    console = stdout_console()
    console.print(overview)
    statuses = {status: summary.per_status.get(status, 0) for status in _STATUS_MARK}
    console.print(_bars("Papers by status", statuses))
    if summary.per_tag:
        console.print(_bars("Papers by tag", summary.per_tag))
    if summary.dumps_per_month:
        console.print(_bars("Dumps by month", summary.dumps_per_month))
    if summary.most_seen:
        most = new_table("id", "seen", "last seen", "title", title="Seen in the most dumps")
        most.columns[3].overflow = "fold"
        for paper in summary.most_seen:
            most.add_row(
                short_id(paper.id), str(paper.seen), _day(paper.last_seen), literal(paper.title)
            )
        console.print(most)


def _bars(title: str, counts: Mapping[str, int], width: int = 40) -> Table:
    """A small horizontal bar chart as a table: label, count, bar."""
    view = new_table("", "", "", title=title)
    view.show_header = False
    top = max(counts.values(), default=0) or 1
    for label, count in counts.items():
        filled = round(width * count / top)
        bar = Text("█" * filled or ("▏" if count else ""), style="cyan")
        view.add_row(literal(label), str(count), bar)
    return view


def show_tags(taxonomy: Taxonomy, counts: Mapping[str, tuple[int, int]], fmt: Format) -> None:
    """Every tag with its description and paper count (tags only the user gave are listed too)."""
    rows: list[dict[str, Any]] = []
    for name, tag in taxonomy.tags.items():
        papers, yours = counts.get(name, (0, 0))
        rows.append(
            {
                "tag": name,
                "description": tag.description,
                "papers": papers,
                "by_user": yours,
                "enabled": tag.enabled,
            }
        )
    for name, (papers, yours) in sorted(counts.items()):
        if name not in taxonomy.tags:
            rows.append(
                {
                    "tag": name,
                    "description": "",
                    "papers": papers,
                    "by_user": yours,
                    "enabled": False,
                }
            )

    def table() -> Table:
        view = new_table("tag", "papers", "description")
        view.columns[2].overflow = "fold"
        for row in rows:
            count = str(row["papers"]) + (f" ({row['by_user']} yours)" if row["by_user"] else "")
            style = "cyan" if row["enabled"] else "dim strike"
            view.add_row(Text(row["tag"], style=style), count, literal(row["description"]))
        return view

    emit(rows, fmt, ["tag", "papers", "by_user", "enabled", "description"], table)


def show_explanation(explanation: TagExplanation, fmt: Format) -> None:
    data = explanation.model_dump(mode="json")
    if fmt in (Format.json, Format.jsonl):
        (write_json if fmt is Format.json else lambda d: write_jsonl([d]))(data)
        return
    if fmt is Format.csv:
        rows = [
            {
                "tag": score.tag,
                "score": score.score,
                "threshold": score.threshold,
                "assigned": score.assigned,
                "field": hit.field,
                "rule": hit.rule,
                "weight": hit.weight,
                "matched": hit.matched,
            }
            for score in explanation.scores
            for hit in score.hits
        ]
        write_csv(
            rows, ["tag", "score", "threshold", "assigned", "field", "rule", "weight", "matched"]
        )
        return
    console = stdout_console()
    console.print(Text(clean(explanation.title), style="bold"))
    console.print(Text(f"{explanation.paper_id}", style="dim"))
    view = new_table("tag", "score", "rules that fired (weight, field: matched text)", "result")
    view.columns[2].overflow = "fold"
    for score in explanation.scores:
        hits = Text()
        for index, hit in enumerate(score.hits):
            if index:
                hits.append("\n")
            hits.append(f"{hit.weight:+g} ", style="green" if hit.weight > 0 else "red")
            hits.append(clean(hit.rule))
            hits.append(f"  {hit.field}: ", style="dim")
            hits.append(clean(hit.matched), style="italic")
        if score.via:
            hits.append(("\n" if score.hits else "") + score.via, style="dim")
        decided = explanation.decisions.get(score.tag)
        result = _tag_result(score.assigned, decided)
        view.add_row(score.tag, f"{score.score:g} / {score.threshold:g}", hits, result)
    for name, assigned in sorted(explanation.decisions.items()):
        if all(score.tag != name for score in explanation.scores):
            view.add_row(
                name, "-", Text("no rule fired", style="dim"), _tag_result(False, assigned)
            )
    console.print(view)


def _tag_result(by_rules: bool, decided: bool | None) -> Text:
    if decided is True:
        return Text("added by you", style="bold cyan")
    if decided is False:
        return Text("removed by you", style="bold red")
    return Text("tagged", style="cyan") if by_rules else Text("not tagged", style="dim")


def show_evaluation(report: EvalReport, fmt: Format, misses: int) -> None:
    data = report.model_dump(mode="json")
    if fmt is Format.json:
        write_json(data)
        return
    if fmt is Format.jsonl:
        write_jsonl(data["per_tag"])
        return
    if fmt is Format.csv:
        write_csv(
            data["per_tag"], ["tag", "precision", "recall", "f1", "support", "tp", "fp", "fn"]
        )
        return
    view = new_table("tag", "precision", "recall", "F1", "support", title="Tagger vs gold labels")
    for row in report.per_tag:
        view.add_row(
            row.tag, f"{row.precision:.2f}", f"{row.recall:.2f}", f"{row.f1:.2f}", str(row.support)
        )
    view.add_section()
    view.add_row(
        Text("micro", style="bold"),
        f"{report.micro_precision:.2f}",
        f"{report.micro_recall:.2f}",
        Text(f"{report.micro_f1:.3f}", style="bold"),
        "",
    )
    view.add_row(Text("macro", style="bold"), "", "", f"{report.macro_f1:.3f}", "")
    console = stdout_console()
    console.print(view)
    console.print(
        Text(
            f"{report.evaluated} papers evaluated, {len(report.unmatched)} gold titles not in"
            " the library",
            style="dim",
        )
    )
    if report.misses and misses:
        worst = new_table("title", "missing", "extra", title="Worst misses")
        worst.columns[0].overflow = "fold"
        for miss in report.misses[:misses]:
            worst.add_row(
                literal(miss.title),
                Text(", ".join(miss.missing), style="red"),
                Text(", ".join(miss.extra), style="yellow"),
            )
        console.print(worst)


def show_paper_tags(paper_id: str, tags: Mapping[str, str], fmt: Format) -> None:
    data = {"id": paper_id, "tags": sorted(tags), "tag_origins": dict(tags)}
    if fmt is Format.json:
        write_json(data)
    elif fmt is Format.jsonl:
        write_jsonl([data])
    elif fmt is Format.csv:
        write_csv(
            [{"id": paper_id, "tag": t, "origin": o} for t, o in tags.items()],
            ["id", "tag", "origin"],
        )
    else:
        line = Text(f"{short_id(paper_id)}: ")
        for index, (name, origin) in enumerate(sorted(tags.items())):
            line.append(", " if index else "")
            line.append(name, style="cyan")
            if origin == "user":
                line.append(" (yours)", style="dim")
        if not tags:
            line.append("no tags", style="dim")
        stdout_console().print(line)


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def show_duplicates(groups: Sequence[DuplicateGroup], fmt: Format) -> None:
    """Each duplicated paper: the titles it was seen under, where, and why they merged."""
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
                _day(member.date),
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
    console.print(Text(f"{len(groups)} papers seen more than once", style="dim"))


def show_candidates(candidates: Sequence[Candidate], fmt: Format) -> None:
    """Possible duplicates, each with the commands that settle it."""

    def table() -> Table:
        view = new_table("ids", "titles", "title", "abstract", "why not merged")
        view.columns[1].overflow = "fold"
        view.columns[4].overflow = "fold"
        for pair in candidates:
            view.add_row(
                f"{short_id(pair.a)}\n{short_id(pair.b)}",
                literal(f"{pair.title_a}\n{pair.title_b}"),
                _score(pair.title_score),
                _score(pair.abstract_score),
                literal(pair.reason),
            )
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


def show_choices(choices: Sequence[tuple[str, str]]) -> None:
    """Papers a title fragment could mean, on stderr, for the user to pick by id."""
    view = new_table("id", "title")
    for paper, title in choices:
        view.add_row(short_id(paper), literal(title))
    stderr_console().print(view)


def show_triage_paper(paper: PaperDetail, remaining: int, keys: str) -> None:
    """One paper of `next`, on stderr: the session's screen is not data."""
    body = Text()
    body.append(clean(paper.title), style="bold")
    body.append(f"\nseen {paper.seen}× · last {_day(paper.last_seen)} · ", style="dim")
    body.append(", ".join(paper.tags) or "no tags", style="cyan")
    body.append("\n\n")
    body.append(clean(paper.abstract))
    console = stderr_console()
    console.print(
        Panel(body, title=f"{short_id(paper.id)} · {remaining} new left", title_align="left")
    )
    console.print(Text(keys, style="dim"))


def _highlighted(text: str) -> Text:
    """Text with search highlights (between U+E000 and U+E001) in bold; data stays literal."""
    result = Text()
    inside = False
    for part in clean(text).replace(MARK_END, MARK_START).split(MARK_START):
        if part:
            result.append(part, style="bold yellow" if inside else "")
        inside = not inside
    return result


def _plain(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


def show_search(hits: Sequence[SearchHit], fmt: Format) -> None:
    rows = [
        {
            **hit.paper.model_dump(mode="json"),
            "rank": round(hit.rank, 3),
            "snippet": _plain(hit.snippet),
        }
        for hit in hits
    ]

    def table() -> Table:
        view = new_table("id", "seen", "", "title / snippet", "tags")
        view.columns[3].overflow = "fold"
        view.columns[3].ratio = 4
        view.columns[4].ratio = 1
        for hit in hits:
            cell = _highlighted(hit.title)
            cell.append("\n")
            cell.append_text(_highlighted(hit.snippet))
            view.add_row(
                short_id(hit.paper.id),
                str(hit.paper.seen),
                _status_mark(hit.paper.status),
                cell,
                literal(", ".join(hit.paper.tags), style="cyan"),
            )
        view.caption = f"{len(hits)} papers"
        return view

    emit(rows, fmt, [*PAPER_COLUMNS, "rank", "snippet"], table)


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
