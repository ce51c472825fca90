"""Commands that bring papers in and show them: ingest, list, show, stats, export."""

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .. import lookup, render
from ..errors import PapertriageError
from ..render import Format, progress_bars
from ..store import resolve_db_path
from .common import (
    COUNT_MAX,
    AnyTagOption,
    ConfigOption,
    DbOption,
    FormatOption,
    LimitOption,
    PaperWords,
    SeenMinOption,
    SinceOption,
    SortOption,
    SourceOption,
    StatusOption,
    TagFilter,
    TaxonomyOption,
    ThresholdOption,
    UntaggedOption,
    UntilOption,
    app,
    find_paper,
    handles_errors,
    library_taxonomy,
    open_store,
    paper_filter,
)

TABLE_LIMIT = 30
"""Papers a `list` table shows unless told: thousands of rows take seconds to lay out and no one
reads them (gh shows 30 too)."""


@app.command()
@handles_errors
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help="Dump files and API responses, directories to search for *.txt dumps and *.json"
            " responses, or - for a dump on standard input.",
            exists=False,
        ),
    ],
    year: Annotated[
        int | None,
        typer.Option(
            metavar="YYYY",
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
    from .. import library
    from ..ingest import save_paste

    tax = library_taxonomy(taxonomy, db)
    dedupe = library.resolve_dedupe_config(config, threshold)
    if Path("-") in paths:
        pasted = save_paste(sys.stdin.buffer.read(), resolve_db_path(db).parent / "pastes")
        paths = [pasted if path == Path("-") else path for path in paths]
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
    source: SourceOption = None,
    seen_min: SeenMinOption = None,
    tag: TagFilter = None,
    any_tag: AnyTagOption = None,
    untagged: UntaggedOption = False,
    status: StatusOption = None,
    limit: LimitOption = None,
    sort: SortOption = "date",
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The library, newest first, filtered by date, dump, repetition and tags.

    A table shows 30 papers unless --limit says otherwise; other formats show every one.
    """
    by_tags = bool(tag or any_tag or untagged)
    tax = library_taxonomy(taxonomy, db) if by_tags else None
    if limit is None and fmt is Format.table:
        limit = TABLE_LIMIT
    where = paper_filter(
        tax, since, until, source, seen_min, tag, any_tag, untagged, status, limit, sort
    )
    with open_store(db) as store:
        lookup.check_source(store, where.source)
        papers = store.list_papers(where)
        total = store.count_papers(where) if len(papers) == where.limit else len(papers)
        if tax is not None:
            from .. import library

            if library.tags_are_stale(store, tax):
                render.warn("tags were assigned with another taxonomy; run `papertriage retag`")
    render.show_papers(papers, fmt, total)


@app.command()
@handles_errors
def show(
    paper: PaperWords,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """One paper: title, abstract, tags, status and every sighting."""
    with open_store(db) as store:
        detail = store.paper_detail(find_paper(store, paper))
    render.show_paper(detail, fmt)


@app.command()
@handles_errors
def stats(
    top: Annotated[
        int,
        typer.Option(
            metavar="N", min=0, max=COUNT_MAX, help="How many most-repeated papers to show."
        ),
    ] = 10,
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
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE instead of stdout.",
            dir_okay=False,
        ),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    source: SourceOption = None,
    seen_min: SeenMinOption = None,
    tag: TagFilter = None,
    any_tag: AnyTagOption = None,
    untagged: UntaggedOption = False,
    status: StatusOption = None,
    limit: LimitOption = None,
    sort: SortOption = "date",
    formula_guard: Annotated[
        bool,
        typer.Option(
            help="CSV: prefix cells a spreadsheet would run as formulas (=, +, -, @) with '."
        ),
    ] = True,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --output file if it exists.")
    ] = False,
    title: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Markdown: the digest's heading.")
    ] = None,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
) -> None:
    """Export papers (filters as in `list`): BibTeX, a markdown digest grouped by tag, CSV, JSON."""
    from .. import export

    tax = library_taxonomy(taxonomy, db)
    where = paper_filter(
        tax, since, until, source, seen_min, tag, any_tag, untagged, status, limit, sort
    )
    prose = fmt in (ExportFormat.bibtex, ExportFormat.markdown)
    with open_store(db) as store:
        lookup.check_source(store, where.source)
        papers = store.list_papers(where)
        # The prose formats say where each paper was seen; the tables have `list`'s shape.
        details = [store.paper_detail(paper.id) for paper in papers] if prose else []
    text = io.StringIO(newline="")
    if fmt is ExportFormat.bibtex:
        export.write_bibtex(details, text)
    elif fmt is ExportFormat.markdown:
        export.write_markdown(details, text, taxonomy=tax, title=title, since=where.since)
    elif fmt is ExportFormat.csv:
        export.write_csv(papers, text, formula_guard=formula_guard)
    elif fmt is ExportFormat.json:
        export.write_json(papers, text)
    else:
        export.write_jsonl(papers, text)
    if output is None:
        sys.stdout.write(text.getvalue())
    else:
        _write_file(output, text.getvalue(), replace=force)
        render.info(f"exported {len(papers)} papers to {output}")


def _write_file(path: Path, text: str, *, replace: bool) -> None:
    """Write a file whole or not at all (through a temporary file beside it), refusing to
    replace one unless told, as `backup` does."""
    if path.exists() and not replace:
        raise PapertriageError(f"{path}: already exists (use --force to replace it)")
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PapertriageError(f"{path}: cannot write there ({exc.strerror or exc})") from None
