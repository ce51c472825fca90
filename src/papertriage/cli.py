"""The `papertriage` command: options in, one call into the core, rendering out."""

from __future__ import annotations

import datetime as dt
import functools
import io
import sqlite3
import sys
from collections.abc import Callable, Generator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar, cast

import typer

from . import __version__, export, library, merging, render, safety, triage
from .dates import parse_user_date
from .errors import PapertriageError, UsageError
from .models import STATUSES, Status
from .render import Format, error, progress_bar
from .store import PaperFilter, SortKey, Store, resolve_db_path

app = typer.Typer(
    name="papertriage",
    help="Turn a pile of Hugging Face Daily Papers dumps into one clean, searchable library.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

P = ParamSpec("P")
R = TypeVar("R")

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar="PAPERTRIAGE_DB",
        help="Library file [default: PAPERTRIAGE_DB, else the user data directory].",
        show_default=False,
        dir_okay=False,
    ),
]
FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format: table for people, others for programs."),
]
TaxonomyOption = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy",
        envvar="PAPERTRIAGE_TAXONOMY",
        help="Taxonomy TOML overlaying the default [default: taxonomy.toml in the user config"
        " directory, if there is one].",
        show_default=False,
        dir_okay=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar="PAPERTRIAGE_CONFIG",
        help="Config TOML with a [dedupe] table of thresholds [default: config.toml in the user"
        " config directory, if there is one].",
        show_default=False,
        dir_okay=False,
    ),
]
ThresholdOption = Annotated[
    float | None,
    typer.Option(
        min=50,
        max=100,
        help="Title similarity (0-100) at which titles merge on their own [default: 90].",
        show_default=False,
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(help="Only papers seen on or after DATE (YYYY-MM-DD, YYYY-MM, 7d, 2w ...)."),
]
UntilOption = Annotated[str | None, typer.Option(help="Only papers first seen on or before DATE.")]
StatusChoice = StrEnum("StatusChoice", {status: status for status in STATUSES})  # type: ignore[misc]
StatusOption = Annotated[
    list[StatusChoice] | None,
    typer.Option("--status", help="Only papers with this status (repeatable: any of them)."),
]
TagFilter = Annotated[
    list[str] | None,
    typer.Option("--tag", "-t", help="Only papers with this tag (repeatable: all of them)."),
]


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the core's errors into `error: <message>` on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PapertriageError as exc:
            error(str(exc))
            raise typer.Exit(1) from None
        except sqlite3.Error as exc:
            db = kwargs.get("db")
            error(_database_message(resolve_db_path(db if isinstance(db, Path) else None), exc))
            raise typer.Exit(1) from None
        except OSError as exc:
            error(f"{exc.filename or 'file'}: {exc.strerror or exc}")
            raise typer.Exit(1) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None

    return wrapper


def _database_message(path: Path, exc: sqlite3.Error) -> str:
    """One line that says what happened to the library and what to do about it."""
    text = str(exc)
    if "full" in text or "disk I/O" in text:
        return f"{path}: disk full (or failing) while writing; the failed step stored nothing"
    if "locked" in text or "busy" in text:
        return f"{path}: the library stayed busy (another papertriage is writing); try again"
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return f"{path}: the library file is damaged ({text}); restore it from a backup"
    return f"{path}: database error: {text}"


def _user_date(text: str | None) -> dt.date | None:
    return parse_user_date(text) if text is not None else None


def _source_argument(text: str | None) -> str | None:
    """A dump named on the command line: its stored (absolute) path if it exists, else a name."""
    if text is None:
        return None
    path = Path(text)
    return str(path.resolve()) if path.is_file() else text


def _statuses(chosen: list[StatusChoice] | None) -> list[Status]:
    return [cast(Status, str(choice)) for choice in chosen or []]


def _paper_filter(
    taxonomy: Path | None,
    since: str | None,
    until: str | None,
    source: str | None,
    seen_min: int | None,
    tag: list[str] | None,
    any_tag: list[str] | None,
    untagged: bool,
    status: list[StatusChoice] | None,
    limit: int | None,
    sort: SortKey,
) -> PaperFilter:
    """The filters `list` and `export` share, checked (dates, tag names) and typed."""
    tags, any_tags = tag or [], any_tag or []
    if tags or any_tags:
        library.check_tags(library.resolve_taxonomy(taxonomy), tags + any_tags)
    return PaperFilter(
        since=_user_date(since),
        until=_user_date(until),
        source=_source_argument(source),
        seen_min=seen_min,
        tags=tags,
        any_tags=any_tags,
        untagged=untagged,
        statuses=_statuses(status),
        limit=limit,
        sort=sort,
    )


def open_store(db: Path | None, *, create: bool = False) -> Store:
    return Store(resolve_db_path(db), create=create)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"papertriage {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Turn a pile of Hugging Face Daily Papers dumps into one clean, searchable library."""


@app.command()
@handles_errors
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Dump files, or directories to search for *.txt dumps.", exists=False),
    ],
    year: Annotated[
        int | None,
        typer.Option(
            min=1900,
            max=2999,
            help="Year of the dumps' date lines [default: from file name/mtime].",
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
    with (
        open_store(db, create=True) as store,
        progress_bar("Ingesting") as on_file,
        progress_bar("Tagging") as on_tag,
    ):
        outcome = library.ingest(
            store,
            paths,
            tax,
            dedupe,
            year,
            on_file=lambda done, total, _result: on_file(done, total),
            on_tag=on_tag,
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
        SortKey, typer.Option(help="Order: date (newest first), title, seen.")
    ] = "date",
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The library, newest first, filtered by date, dump, repetition and tags."""
    where = _paper_filter(
        taxonomy, since, until, source, seen_min, tag, any_tag, untagged, status, limit, sort
    )
    with open_store(db) as store:
        papers = store.list_papers(where)
        if (where.tags or where.any_tags or untagged) and library.tags_are_stale(
            store, library.resolve_taxonomy(taxonomy)
        ):
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


@app.command()
@handles_errors
def dupes(
    candidates: Annotated[
        bool,
        typer.Option("--candidates", help="List the possible duplicates to review instead."),
    ] = False,
    min_seen: Annotated[int, typer.Option(min=2, help="Only papers seen at least N times.")] = 2,
    rescan: Annotated[
        bool,
        typer.Option(
            help="Run the deduper over the whole library first (e.g. after changing thresholds)."
        ),
    ] = False,
    config: ConfigOption = None,
    threshold: ThresholdOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Papers seen more than once: their variants, where each was seen, and why they merged."""
    with open_store(db) as store:
        if rescan:
            summary = merging.dedupe_library(
                store, library.resolve_dedupe_config(config, threshold), full=True
            )
            render.info(
                f"rescanned {summary.considered} titles: {summary.merged} merged,"
                f" {summary.candidates} to review"
            )
        if candidates:
            render.show_candidates(merging.review_candidates(store), fmt)
        else:
            render.show_duplicates(merging.duplicate_groups(store, min_seen), fmt)


@app.command()
@handles_errors
def merge(
    papers: Annotated[list[str], typer.Argument(help="Two or more paper ids (or prefixes).")],
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Merge papers that are the same paper; the oldest keeps its id, the others resolve to it."""
    with open_store(db) as store:
        kept = merging.merge_papers(store, papers)
        detail = store.paper_detail(kept)
    render.info(f"merged into {kept}")
    render.show_paper(detail, fmt)


@app.command()
@handles_errors
def split(
    paper: Annotated[
        str,
        typer.Argument(
            help="A merged paper's id (split all its titles apart) or one of its other ids"
            " (split that title out)."
        ),
    ],
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Undo a merge; the split titles are never merged again."""
    with open_store(db) as store:
        ids = merging.split_paper(store, paper)
        papers = [store.paper_detail(paper_id) for paper_id in ids]
    render.info(f"split into {len(ids)} papers")
    render.show_papers(papers, fmt)


@app.command()
@handles_errors
def distinct(
    first: Annotated[str, typer.Argument(help="A paper id (or prefix).")],
    second: Annotated[str, typer.Argument(help="Another paper id (or prefix).")],
    db: DbOption = None,
) -> None:
    """Say two papers are not duplicates: they are never merged or proposed again."""
    with open_store(db) as store:
        merging.mark_distinct(store, first, second)
    render.info("noted: not duplicates")


@app.command()
@handles_errors
def mark(
    papers: Annotated[list[str], typer.Argument(help="Paper ids (or unique prefixes).")],
    read: Annotated[bool, typer.Option("--read", help="Mark as read.")] = False,
    star: Annotated[bool, typer.Option("--star", help="Star: worth keeping.")] = False,
    later: Annotated[bool, typer.Option("--later", help="Snooze: read later.")] = False,
    skip: Annotated[bool, typer.Option("--skip", help="Not for me.")] = False,
    new: Annotated[bool, typer.Option("--new", help="Back to new.")] = False,
    note: Annotated[
        str | None, typer.Option(help="A note to keep with the papers ('' clears it).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Set the status (and note) of papers. `papertriage undo` takes it back."""
    chosen = [
        status
        for flag, status in (
            (read, "read"),
            (star, "starred"),
            (later, "later"),
            (skip, "skipped"),
            (new, "new"),
        )
        if flag
    ]
    if len(chosen) > 1:
        raise UsageError("choose one of --read, --star, --later, --skip, --new")
    with open_store(db) as store:
        ids = triage.mark(
            store,
            papers,
            chosen[0] if chosen else None,  # type: ignore[arg-type]
            note or None,
            keep_note=note is None,
        )
    render.info(
        f"marked {len(ids)} paper{'s' if len(ids) != 1 else ''}"
        + (f" {chosen[0]}" if chosen else "")
    )


@app.command()
@handles_errors
def undo(db: DbOption = None) -> None:
    """Take back the latest status change (repeat to go further back)."""
    with open_store(db) as store:
        restored = triage.undo(store)
    if not restored:
        render.info("nothing to undo")
    for paper, before, after in restored:
        render.info(f"{paper[:8]}: {after} undone, back to {before}")


@app.command("next")
@handles_errors
def next_paper(
    tag: TagFilter = None,
    since: SinceOption = None,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
) -> None:
    """Triage new papers one at a time, best first. Keys: r s k l n u q.

    At a terminal each key acts at once; otherwise keys are read one per line from standard input.
    """
    tags = tag or []
    if tags:
        library.check_tags(library.resolve_taxonomy(taxonomy), tags)
    where = PaperFilter(tags=tags, since=_user_date(since))
    with open_store(db) as store:
        session = triage.Session(store, where)
        _run_session(session)


def _keys() -> Generator[str, None, None]:
    """Key presses: raw single keys at a terminal, else one key per line of standard input."""
    if not sys.stdin.isatty():
        yield from sys.stdin
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        while key := sys.stdin.read(1):
            yield key
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _run_session(session: triage.Session) -> None:
    """Show a paper, take a key, save, repeat; every decision is stored as it is made."""
    if session.remaining == 0:
        render.info("no new papers to triage")
        return
    if not sys.stdin.isatty():
        render.info("standard input is not a terminal: reading one key per line")
    keys = _keys()
    try:
        while (paper := session.current()) is not None:
            render.show_triage_paper(paper, session.remaining, triage.HELP)
            key = next(keys, None)
            if key is None:
                render.info(f"end of input: stopped, {session.decided} decided")
                return
            step = session.press(key)
            render.info(step.message)
            if step.done:
                return
    except KeyboardInterrupt:
        render.info(f"interrupted: {session.decided} decided, all saved")
        return
    finally:
        keys.close()
    render.info(f"all done: {session.decided} decided")


@app.command()
@handles_errors
def search(
    query: Annotated[
        str,
        typer.Argument(
            help='Words, "exact phrases", prefix*, AND/OR/NOT, title:word (SQLite FTS5).'
        ),
    ],
    tag: TagFilter = None,
    status: StatusOption = None,
    since: SinceOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most N papers.")] = 20,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Full-text search over titles and abstracts, best match first."""
    tags = tag or []
    if tags:
        library.check_tags(library.resolve_taxonomy(taxonomy), tags)
    where = PaperFilter(tags=tags, statuses=status or [], since=_user_date(since), limit=limit)
    with open_store(db) as store:
        hits = library.search(store, query, where)
    render.show_search(hits, fmt)


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
    sort: Annotated[SortKey, typer.Option(help="Order: date, title, seen, best.")] = "date",
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
    where = _paper_filter(
        taxonomy, since, until, source, seen_min, tag, any_tag, untagged, status, limit, sort
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


@app.command()
@handles_errors
def check(db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Check the library (integrity, foreign keys, search index, ids); exit 1 on any problem."""
    with open_store(db) as store:
        report = safety.check_library(store)
    render.show_check(report, fmt)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@handles_errors
def backup(
    target: Annotated[Path, typer.Argument(help="Where to write the copy.", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace TARGET if it exists.")] = False,
    db: DbOption = None,
) -> None:
    """A consistent copy of the library, safe to take while papertriage is running."""
    with open_store(db) as store:
        size = safety.backup_library(store, target, overwrite=force)
    render.info(f"backed up to {target} ({size / 1e6:.1f} MB)")


decisions_app = typer.Typer(
    help="Your decisions (statuses, notes, tags, merges, splits) as a file of their own.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(decisions_app, name="decisions")


@decisions_app.command("export")
@handles_errors
def decisions_export(
    target: Annotated[Path, typer.Argument(help="JSON file to write ('-' for stdout).")],
    db: DbOption = None,
) -> None:
    """Write every decision you made, keyed by stable paper ids."""
    with open_store(db) as store:
        decisions = safety.export_decisions(store)
    if str(target) == "-":
        render.write_json(decisions.model_dump(mode="json"))
    else:
        safety.write_decisions(decisions, target)
    render.info(
        f"exported {len(decisions.statuses)} statuses, {len(decisions.tags)} tag decisions,"
        f" {len(decisions.pairs)} duplicate decisions"
    )


@decisions_app.command("import")
@handles_errors
def decisions_import(
    source: Annotated[Path, typer.Argument(help="A file written by `decisions export`.")],
    db: DbOption = None,
) -> None:
    """Apply exported decisions to this library (e.g. one rebuilt from the dumps)."""
    decisions = safety.read_decisions(source)
    with open_store(db, create=True) as store:
        summary = safety.import_decisions(store, decisions)
    render.info(
        f"imported {summary.statuses} statuses, {summary.tags} tag decisions,"
        f" {summary.merges} merges, {summary.distinct} not-duplicate pairs"
        + (
            f"; {summary.unknown_papers} are about papers not in this library yet"
            " (kept for when they arrive)"
            if summary.unknown_papers
            else ""
        )
    )


tags_app = typer.Typer(
    help="The topic tags: list them, explain a paper's tags, measure the tagger.",
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(tags_app, name="tags")


@tags_app.callback(invoke_without_command=True)
@handles_errors
def tags_overview(
    ctx: typer.Context,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Every tag with its description and how many papers have it."""
    if ctx.invoked_subcommand is not None:
        return
    tax = library.resolve_taxonomy(taxonomy)
    path = resolve_db_path(db)
    counts: dict[str, tuple[int, int]] = {}
    if path.exists():
        with open_store(db) as store:
            counts = store.tag_counts()
    render.show_tags(tax, counts, fmt)


@tags_app.command("explain")
@handles_errors
def tags_explain(
    paper: Annotated[str, typer.Argument(help="Paper id or a unique prefix of one.")],
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Which rules fired for each tag of a paper, with their scores."""
    tax = library.resolve_taxonomy(taxonomy)
    with open_store(db) as store:
        explanation = library.explain(store, tax, store.resolve_id(paper))
    render.show_explanation(explanation, fmt)


@tags_app.command("eval")
@handles_errors
def tags_eval(
    gold: Annotated[
        Path,
        typer.Argument(
            help='Gold labels: JSON lines {"title": ..., "tags": [...]}.', dir_okay=False
        ),
    ],
    misses: Annotated[int, typer.Option(min=0, help="How many of the worst misses to show.")] = 10,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Compare the tagger with gold labels for papers in the library."""
    tax = library.resolve_taxonomy(taxonomy)
    with open_store(db) as store:
        report = library.evaluate_gold(store, tax, gold)
    render.show_evaluation(report, fmt, misses)


@app.command()
@handles_errors
def retag(
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
) -> None:
    """Tag the whole library again, e.g. after changing the taxonomy. Your own tags stay."""
    tax = library.resolve_taxonomy(taxonomy)
    with open_store(db) as store, progress_bar("Tagging") as update:
        count = library.tag_pending(store, tax, everything=True, progress=update)
        counts = store.tag_counts()
    render.info(f"retagged {count} papers")
    render.show_tags(tax, counts, Format.table)


@app.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": False},
)
@handles_errors
def tag(
    paper: Annotated[str, typer.Argument(help="Paper id or a unique prefix of one.")],
    changes: Annotated[
        list[str],
        typer.Argument(
            help="+TAG adds a tag, -TAG removes it, =TAG leaves it to the rules again.",
            metavar="+TAG|-TAG|=TAG...",
        ),
    ],
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Decide a paper's tags yourself; your decision beats the tagger and survives retag."""
    tax = library.resolve_taxonomy(taxonomy)
    with open_store(db) as store:
        paper_id = store.resolve_id(paper)
        result = library.decide_tags(store, tax, paper_id, changes)
    render.show_paper_tags(paper_id, result, fmt)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return app(args=argv, prog_name="papertriage")
