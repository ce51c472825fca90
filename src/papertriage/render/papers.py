"""Views of papers: ingest reports, listings, one paper, stats, search hits, triage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..lookup import MARK_END, MARK_START, SearchHit
from ..models import Paper, PaperDetail, paper_links, short_authors
from ..store import Stats
from .base import (
    PAPER_COLUMNS,
    STATUS_MARK,
    STATUS_STYLE,
    Format,
    clean,
    day,
    emit,
    error,
    info,
    literal,
    new_table,
    print_data,
    short_id,
    status_mark,
    stderr_console,
    stdout_console,
    warn,
    write_csv,
    write_json,
    write_jsonl,
)

if TYPE_CHECKING:
    from ..fetch import Day
    from ..ingest import IngestReport
    from ..merging import DedupeSummary

_GUESSED_FROM = {
    "mtime": "the latest weekday with that date on or before the file's date",
    "papers": "when their papers were first seen in dumps with a known year",
}


def _years(years: Sequence[int]) -> str:
    return "/".join(map(str, years)) or "-"


def _warn_about_years(report: IngestReport) -> None:
    """Name every dump whose year was guessed or changed: a wrong date must never be silent."""
    guesses = []
    for how, why in _GUESSED_FROM.items():
        files = [result for result in report.files if result.year_from == how]
        if files:
            named = ", ".join(f"{result.path} {_years(result.years)}" for result in files)
            guesses.append(f"{named} ({why})")
    if guesses:
        count = sum(result.year_from in _GUESSED_FROM for result in report.files)
        warn(
            f"no year in the name or date lines of {count} dump{'s' * (count > 1)}, so it was"
            f" guessed: {'; '.join(guesses)}; if wrong, ingest {'them' if count > 1 else 'it'}"
            " again with --year"
        )
    redated = [result for result in report.files if result.status == "redated"]
    if redated:
        info(
            "re-dated with --year: "
            + ", ".join(
                f"{result.path} {_years(result.years_before)} → {_years(result.years)}"
                for result in redated
            )
        )
    if report.redated:
        warn(
            f"re-dated {len(report.redated)} dump{'s' * (len(report.redated) > 1)} ingested"
            f" before, from {_GUESSED_FROM['papers']}: "
            + ", ".join(
                f"{dump.path} {_years(dump.years_before)} → {_years(dump.years)}"
                for dump in report.redated
            )
        )


def show_ingest_report(report: IngestReport, fmt: Format, dedupe: DedupeSummary) -> None:
    results = [result.model_dump() for result in report.files]
    totals = {**_ingest_totals(report), "merged": dedupe.merged, "candidates": dedupe.candidates}
    _warn_about_years(report)
    for result in report.files:
        for cut in result.skipped:
            shown = cut.title if len(cut.title) <= 80 else cut.title[:77] + "..."
            warn(
                f'{result.path}:{cut.line}: title "{shown}" has no abstract where a page ends'
                " (cut short?): skipped"
            )
    if fmt is Format.json:
        write_json(
            {
                "files": results,
                "totals": totals,
                "redated": [dump.model_dump() for dump in report.redated],
            }
        )
        return
    if fmt is not Format.table:
        from ..ingest import FileResult

        emit(results, fmt, list(FileResult.model_fields), new_table)
        return
    for result in report.rejected:
        where = f"{result.path}:{result.line}" if result.line else result.path
        error(f"{where}: {result.error}")
    table = new_table(
        "files", "records", "new", "known", "merged", "to review", "unchanged", "rejected"
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
        "redated": count("redated"),
        "unchanged": count("unchanged", "duplicate"),
        "rejected": count("rejected"),
        "records": report.total("records"),
        "new_papers": report.total("new_papers"),
        "known": report.total("known"),
    }


def show_fetched_day(day: Day) -> None:
    """What fetching one day did, as a message: the data is the ingest report that follows."""
    said = {
        "fetched": f"fetched, {day.papers} papers",
        "had": "fetched before",
        "empty": "no papers (yet): nothing kept",
    }[day.status]
    info(f"{day.date.isoformat()}: {said}")


def show_papers(papers: Sequence[Paper], fmt: Format, total: int | None = None) -> None:
    """Papers as a table or for programs; a table cut short says how many more there are."""

    def table() -> Table:
        view = new_table("id", "last seen", "seen", "", "title", "tags")
        view.columns[4].overflow = "fold"
        view.columns[4].ratio = 3
        view.columns[5].ratio = 1
        for paper in papers:
            view.add_row(
                short_id(paper.id),
                day(paper.last_seen),
                str(paper.seen),
                status_mark(paper.status),
                literal(paper.title),
                literal(", ".join(paper.tags), style="cyan"),
            )
        more = (total or len(papers)) - len(papers)
        view.caption = (
            f"{len(papers)} of {len(papers) + more} papers; {more} more: --limit N (0: all)"
            if more > 0
            else f"{len(papers)} papers"
        )
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
    _identity(body, detail)
    body.append(f"\n{detail.id} · seen {detail.seen}× · ")
    body.append(f"{day(detail.first_seen)} → {day(detail.last_seen)}\n", style="dim")
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
    body.append(detail.status, style=STATUS_STYLE.get(detail.status, ""))
    if detail.note:
        body.append("  note: ", style="dim")
        body.append(clean(detail.note), style="italic")
    body.append("\n\n")
    body.append(clean(detail.abstract))
    sightings = new_table("dump", "date", "position", "line", "title as seen")
    for sighting in detail.sightings:
        sightings.add_row(
            literal(sighting.source),
            day(sighting.date),
            str(sighting.position),
            str(sighting.line or "-"),
            literal("same" if sighting.title == detail.title else sighting.title),
        )
    console = stdout_console()
    console.print(Panel(body, title=f"paper {detail.id}", title_align="left"))
    console.print(sightings)


def _identity(body: Text, paper: Paper) -> None:
    """The authors (shortened when long) and links of a paper known by its arXiv id."""
    if paper.authors:
        body.append("\n" + clean(short_authors(paper.authors)), style="italic")
    if paper.arxiv_id is None:
        return
    details = [f"arXiv {paper.arxiv_id}"]
    if paper.published is not None:
        details.append(f"published {paper.published.isoformat()}")
    if paper.upvotes is not None:
        details.append(f"{paper.upvotes} upvotes")
    if paper.github is not None:
        stars = f" ({paper.github_stars} stars)" if paper.github_stars is not None else ""
        details.append(clean(paper.github) + stars)
    body.append("\n" + " · ".join(details), style="dim")
    for link in paper_links(paper.arxiv_id):
        body.append("\n")
        body.append(link, style=f"link {link}")


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
        f"{day(summary.first_date)} → {day(summary.last_date)}",
    )
    console = stdout_console()
    console.print(overview)
    statuses = {status: summary.per_status.get(status, 0) for status in STATUS_MARK}
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
                short_id(paper.id), str(paper.seen), day(paper.last_seen), literal(paper.title)
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


def show_choices(choices: Sequence[tuple[str, str]]) -> None:
    """Papers a title fragment could mean, on stderr, for the user to pick by id."""
    view = new_table("id", "title")
    for paper, title in choices:
        view.add_row(short_id(paper), literal(title))
    stderr_console().print(view, soft_wrap=False)


def show_triage_paper(
    paper: PaperDetail, remaining: int, keys: str, message: str = "", *, whole: bool = False
) -> None:
    """One paper of `next`, on stderr: the session's screen is not data.

    At a terminal each paper is drawn on a cleared screen, its abstract cut to what fits (the
    id, title and tags stay in sight; `whole` shows all of it), with the last key's message
    below it. Elsewhere (a pipe, a script) each screen is printed after the last, whole.
    """
    console = stderr_console()
    head = Text()
    head.append(clean(paper.title), style="bold")
    _identity(head, paper)
    head.append(f"\nseen {paper.seen}× · last {day(paper.last_seen)} · ", style="dim")
    head.append(", ".join(paper.tags) or "no tags", style="cyan")
    abstract = Text(clean(paper.abstract))
    if console.is_terminal:
        console.clear()
        if not whole:
            abstract = _fitted(console, head, abstract)
    body = head + Text("\n\n") + abstract
    # Messages on stderr never wrap (one line each); the paper itself must.
    console.print(
        Panel(body, title=f"{short_id(paper.id)} · {remaining} new left", title_align="left"),
        soft_wrap=False,
    )
    if message:
        console.print(Text(clean(message)))
    console.print(Text(keys, style="dim"))


_MORE = "… a: the whole abstract"


def _fitted(console: Console, head: Text, abstract: Text) -> Text:
    """The abstract cut to the lines a screen has left under the head of the panel, the
    panel's borders, a message and the keys."""
    options = console.options.update_width(max(console.width - 4, 10))
    room = max(console.height - len(console.render_lines(head, options)) - 1 - 2 - 2, 1)
    lines = console.render_lines(abstract, options, pad=False)
    if len(lines) <= room:
        return abstract
    kept = ["".join(segment.text for segment in line).rstrip() for line in lines[: room - 1]]
    return Text("\n".join(kept) + "\n") + Text(_MORE, style="dim")


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
        view = new_table("id", "last seen", "seen", "", "title / snippet", "tags")
        view.columns[4].overflow = "fold"
        view.columns[4].ratio = 4
        view.columns[5].ratio = 1
        for hit in hits:
            cell = _highlighted(hit.title)
            cell.append("\n")
            cell.append_text(_highlighted(hit.snippet))
            view.add_row(
                short_id(hit.paper.id),
                day(hit.paper.last_seen),
                str(hit.paper.seen),
                status_mark(hit.paper.status),
                cell,
                literal(", ".join(hit.paper.tags), style="cyan"),
            )
        view.caption = f"{len(hits)} papers"
        return view

    emit(rows, fmt, [*PAPER_COLUMNS, "rank", "snippet"], table)
