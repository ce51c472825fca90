"""Commands that bring papers in and show them: ingest, list, show, stats, export."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .. import export, library, render
from ..render import Format, progress_bars
from ..store import SortKey
from .common import (
    ConfigOption,
    DbOption,
    FormatOption,
    SinceOption,
    StatusOption,
    TagFilter,
    TaxonomyOption,
    ThresholdOption,
    UntilOption,
    app,
    handles_errors,
    open_store,
    paper_filter,
)


@app.command()
@handles_errors
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Dump files and API responses, or directories to search for *.txt dumps and"
            " *.json responses.",
            exists=False,
        ),
    ],
    year: Annotated[
        int | None,
        typer.Option(
            min=1900,
            max=2999,
            help="Year of the dumps' date lines; re-dates dumps already ingested [default: from"
            " the file name, else guessed from the dump's papers or the file's date].",
        ),
    ] = None,
    taxonomy: TaxonomyOption = None,
    config: ConfigOption = None,
    threshold: ThresholdOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Parse dumps, store their papers, merge duplicates and tag what is new.

    Re-ingesting is harmless.
    """
    tax = library.resolve_taxonomy(taxonomy)
    dedupe = library.resolve_dedupe_config(config, threshold)
    with open_store(db, create=True) as store, progress_bars() as stage:
        on_file = stage("Ingesting")
        outcome = library.ingest(
            store,
            paths,
            tax,
            dedupe,
            year,
            on_file=lambda done, total, _result: on_file(done, total),
            on_tag=stage("Tagging"),
        )
    render.show_ingest_report(outcome.report, fmt, outcome.dedupe)
    if outcome.report.rejected:
        raise typer.Exit(1)


@app.command("list")
@handles_errors
def list_papers(
    since: SinceOption = None,
    until: UntilOption = None,
    source: Annotated[
        str | None, typer.Option(help="Only papers seen in this dump (file name or path).")
    ] = None,
    seen_min: Annotated[
        int | None, typer.Option(min=1, help="Only papers seen in at least N dumps.")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="Only papers with this tag (repeatable: all of them)."),
    ] = None,
    any_tag: Annotated[
        list[str] | None, typer.Option("--any-tag", help="Only papers with any of these tags.")
    ] = None,
    untagged: Annotated[bool, typer.Option(help="Only papers with no tag at all.")] = False,
    status: StatusOption = None,
    limit: Annotated[int | None, typer.Option(min=0, help="Show at most N papers.")] = None,
    sort: Annotated[
        SortKey,
        typer.Option(help="Order: date (newest first), title, seen, best, upvotes (most first)."),
    ] = "date",
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The library, newest first, filtered by date, dump, repetition and tags."""
    by_tags = bool(tag or any_tag or untagged)
    tax = library.resolve_taxonomy(taxonomy) if by_tags else None
    where = paper_filter(
        tax, since, until, source, seen_min, tag, any_tag, untagged, status, limit, sort
    )
    with open_store(db) as store:
        papers = store.list_papers(where)
        if tax is not None and library.tags_are_stale(store, tax):
            render.warn("tags were assigned with another taxonomy; run `papertriage retag`")
    render.show_papers(papers, fmt)


@app.command()
@handles_errors
def show(
    paper: Annotated[
        str, typer.Argument(help="Paper id, a unique prefix of one, or words of its title.")
    ],
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """One paper: title, abstract, tags, status and every sighting."""
    with open_store(db) as store:
        try:
            paper_id = library.find_paper(store, paper)
        except library.AmbiguousTitle as exc:
            render.show_choices(exc.choices)
            raise
        detail = store.paper_detail(paper_id)
    render.show_paper(detail, fmt)


@app.command()
@handles_errors
def stats(
    top: Annotated[int, typer.Option(min=0, help="How many most-repeated papers to show.")] = 10,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Papers, sightings, sources, date range and the most repeated papers."""
    with open_store(db) as store:
        summary = store.stats(top=top)
    render.show_stats(summary, fmt)


class ExportFormat(StrEnum):
    bibtex = "bibtex"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"


@app.command("export")
@handles_errors
def export_papers(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="bibtex, csv, json, jsonl or markdown.")
    ] = ExportFormat.markdown,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE instead of stdout.", dir_okay=False),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    source: Annotated[str | None, typer.Option(help="Only papers seen in this dump.")] = None,
    seen_min: Annotated[int | None, typer.Option(min=1, help="Only papers seen N+ times.")] = None,
    tag: TagFilter = None,
    any_tag: Annotated[
        list[str] | None, typer.Option("--any-tag", help="Only papers with any of these tags.")
    ] = None,
    untagged: Annotated[bool, typer.Option(help="Only papers with no tag at all.")] = False,
    status: StatusOption = None,
    limit: Annotated[int | None, typer.Option(min=0, help="At most N papers.")] = None,
    sort: Annotated[
        SortKey, typer.Option(help="Order: date, title, seen, best, upvotes.")
    ] = "date",
    formula_guard: Annotated[
        bool,
        typer.Option(
            help="CSV: prefix cells a spreadsheet would run as formulas (=, +, -, @) with '."
        ),
    ] = True,
    title: Annotated[str | None, typer.Option(help="Markdown: the digest's heading.")] = None,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
) -> None:
    """Export papers (filters as in `list`): BibTeX, a markdown digest grouped by tag, CSV, JSON."""
    tax = library.resolve_taxonomy(taxonomy)
    where = paper_filter(
        tax, since, until, source, seen_min, tag, any_tag, untagged, status, limit, sort
    )
    with open_store(db) as store:
        papers = [store.paper_detail(paper.id) for paper in store.list_papers(where)]
    text = io.StringIO(newline="")
    if fmt is ExportFormat.bibtex:
        export.write_bibtex(papers, text)
    elif fmt is ExportFormat.markdown:
        export.write_markdown(papers, text, taxonomy=tax, title=title, since=where.since)
    elif fmt is ExportFormat.csv:
        export.write_csv(papers, text, formula_guard=formula_guard)
    elif fmt is ExportFormat.json:
        export.write_json(papers, text)
    else:
        export.write_jsonl(papers, text)
    if output is None:
        sys.stdout.write(text.getvalue())
    else:
        partial = output.with_name(output.name + ".partial")
        with partial.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text.getvalue())
        partial.replace(output)
        render.info(f"exported {len(papers)} papers to {output}")
