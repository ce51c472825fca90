"""The `papertriage` command: options in, one call into the core, rendering out."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from . import __version__, render
from .dates import parse_user_date
from .errors import PapertriageError
from .ingest import ingest_paths
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
SinceOption = Annotated[
    str | None,
    typer.Option(help="Only papers seen on or after DATE (YYYY-MM-DD, YYYY-MM, 7d, 2w ...)."),
]
UntilOption = Annotated[str | None, typer.Option(help="Only papers first seen on or before DATE.")]


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
            error(f"database error: {exc}")
            raise typer.Exit(1) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None

    return wrapper


def _user_date(text: str | None) -> dt.date | None:
    return parse_user_date(text) if text is not None else None


def _source_argument(text: str | None) -> str | None:
    """A dump named on the command line: its stored (absolute) path if it exists, else a name."""
    if text is None:
        return None
    path = Path(text)
    return str(path.resolve()) if path.is_file() else text


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
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Parse dumps and store their papers. Re-ingesting is harmless."""
    with open_store(db, create=True) as store, progress_bar("Ingesting") as update:
        report = ingest_paths(
            store, paths, year, progress=lambda done, total, _result: update(done, total)
        )
    render.show_ingest_report(report, fmt)
    if report.rejected:
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
    limit: Annotated[int | None, typer.Option(min=0, help="Show at most N papers.")] = None,
    sort: Annotated[
        SortKey, typer.Option(help="Order: date (newest first), title, seen.")
    ] = "date",
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The library, newest first."""
    where = PaperFilter(
        since=_user_date(since),
        until=_user_date(until),
        source=_source_argument(source),
        seen_min=seen_min,
        limit=limit,
        sort=sort,
    )
    with open_store(db) as store:
        papers = store.list_papers(where)
    render.show_papers(papers, fmt)


@app.command()
@handles_errors
def show(
    paper: Annotated[str, typer.Argument(help="Paper id or a unique prefix of one.")],
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """One paper: title, abstract and every sighting."""
    with open_store(db) as store:
        detail = store.paper_detail(store.resolve_id(paper))
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


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return app(args=argv, prog_name="papertriage")
