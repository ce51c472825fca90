"""What every command shares: the app, its options, error handling and the library."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar, cast

import typer

from .. import __version__, library
from ..dates import parse_user_date
from ..errors import PapertriageError
from ..models import STATUSES, Status
from ..render import Format, error
from ..store import PaperFilter, SortKey, Store, resolve_db_path
from ..tagging import Taxonomy

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
        except OSError as exc:
            error(f"{exc.filename or 'file'}: {exc.strerror or exc}")
            raise typer.Exit(1) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None

    return wrapper


def user_date(text: str | None) -> dt.date | None:
    return parse_user_date(text) if text is not None else None


def source_argument(text: str | None) -> str | None:
    """A dump named on the command line: its stored (absolute) path if it exists, else a name."""
    if text is None:
        return None
    path = Path(text)
    return str(path.resolve()) if path.is_file() else text


def statuses(chosen: list[StatusChoice] | None) -> list[Status]:
    return [cast(Status, str(choice)) for choice in chosen or []]


def paper_filter(
    tax: Taxonomy | None,
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
    """The filters `list` and `export` share, checked (dates, tag names) and typed.

    `tax` (the resolved taxonomy) is needed only when tags are filtered on.
    """
    tags, any_tags = tag or [], any_tag or []
    if tags or any_tags:
        assert tax is not None, "tag filters need the taxonomy to check them against"
        library.check_tags(tax, tags + any_tags)
    return PaperFilter(
        since=user_date(since),
        until=user_date(until),
        source=source_argument(source),
        seen_min=seen_min,
        tags=tags,
        any_tags=any_tags,
        untagged=untagged,
        statuses=statuses(status),
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
