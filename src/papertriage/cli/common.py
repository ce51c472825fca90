"""What every command shares: the app, its options, error handling and the library."""

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar, cast

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__, lookup
from ..dates import parse_user_date
from ..errors import PapertriageError, UsageError, plain_words
from ..models import STATUSES, Status
from ..render import Format, error, show_choices
from ..store import PaperFilter, SortKey, Store, resolve_db_path

if TYPE_CHECKING:
    from ..tagging import Taxonomy

COUNT_MAX = 1_000_000_000
"""The largest count an option takes: far above any library, far below SQLite's integers."""

P = ParamSpec("P")
R = TypeVar("R")
CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])


class Command(TyperCommand):
    """A command whose usage line and help name its arguments by their metavars (`ID|TITLE
    WORDS...`), not by typer's `{paper}` and `<list[str]>`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        return pieces + [_argument_name(param) for param in _arguments(self, ctx)]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments = [(_argument_name(param), param.help or "") for param in _arguments(self, ctx)]
        options = [
            record
            for param in self.get_params(ctx)
            if param.param_type_name == "option" and (record := param.get_help_record(ctx))
        ]
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


_DASH = "\ue010"
"""Marks an argument that starts with a dash while the parser reads it."""


class DashWordsCommand(Command):
    """A command whose arguments may start with a dash (`tag ID -survey`, `search -agent`):
    only its own option names are options, so `-fusion` is not `-f usion` nor `-benchmarks`
    the `-h` inside it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        options = {
            name: param
            for param in self.get_params(ctx)
            if param.param_type_name == "option"
            for name in (*param.opts, *param.secondary_opts)
        }
        marked: list[str] = []
        value_next = False
        for arg in args:
            if arg == "--":
                marked.append(arg)
                continue
            if not value_next and arg[:1] == "-" and arg.split("=", 1)[0] not in options:
                arg = _DASH + arg
            option = None if value_next else options.get(arg)
            value_next = option is not None and not getattr(option, "is_flag", True)
            marked.append(arg)
        rest = super().parse_args(ctx, marked)
        for name, value in ctx.params.items():
            ctx.params[name] = _unmarked(value)
        return rest


def _unmarked(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_DASH):
        return value.removeprefix(_DASH)
    if isinstance(value, list | tuple):
        return type(value)(_unmarked(item) for item in value)
    return value


def _arguments(command: TyperCommand, ctx: Any) -> list[Any]:
    return [param for param in command.get_params(ctx) if param.param_type_name == "argument"]


def _argument_name(param: Any) -> str:
    name = str(param.metavar or param.name.upper() + ("..." if param.nargs != 1 else ""))
    return name if param.required else f"[{name}]"


class Group(TyperGroup):
    """The app's group: typer reports a bad option value in pydantic's words (`Value error,
    ...`, `Input should be ...`); this says it in the user's."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        with _plain_words():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _plain_words():
            return super().invoke(ctx)


@contextmanager
def _plain_words() -> Iterator[None]:
    try:
        yield
    except typer.BadParameter as exc:
        exc.message = _plain_message(exc)
        raise


def _plain_message(exc: typer.BadParameter) -> str:
    from pydantic import ValidationError

    cause = exc.__cause__
    if not isinstance(cause, ValidationError) or not cause.errors():
        return exc.message
    return plain_words(cause.errors()[0])


class App(typer.Typer):
    """A typer app whose commands are `Command`s."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[CommandFunction], CommandFunction]:
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)


app = App(
    name="papertriage",
    help="Turn a pile of Hugging Face Daily Papers dumps into one clean, searchable library.",
    cls=Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Library file [default: $PAPERTRIAGE_DB, else library.db in the user data directory].",
        metavar="FILE",
        show_default=False,
        dir_okay=False,
    ),
]
"""Not typer's `envvar`: `resolve_db_path` reads $PAPERTRIAGE_DB, so a --db given before the
subcommand beats it and no message about a --db given names the variable."""
FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format: table for people, others for programs."),
]
TaxonomyOption = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy",
        metavar="FILE",
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
        metavar="FILE",
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
        metavar="0-100",
        min=50,
        max=100,
        help="Title similarity (0-100) at which titles merge on their own [default: 90].",
        show_default=False,
    ),
]
# The filters of `list`, `export` and `search` (and `next`): one definition each, so their help
# and checks cannot drift apart.
SinceOption = Annotated[
    str | None,
    typer.Option(
        metavar="DATE",
        help="Only papers seen on or after DATE (YYYY-MM-DD, YYYY-MM, today, yesterday, 7d, 2w,"
        " 3m, 1y).",
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        metavar="DATE",
        help="Only papers seen on or before DATE; with --since, seen between the two.",
    ),
]
SourceOption = Annotated[
    str | None,
    typer.Option(metavar="FILE", help="Only papers seen in this dump (file name or path)."),
]
SeenMinOption = Annotated[
    int | None,
    typer.Option(metavar="N", min=1, max=COUNT_MAX, help="Only papers seen at least N times."),
]
StatusChoice = StrEnum("StatusChoice", {status: status for status in STATUSES})  # type: ignore[misc]
StatusOption = Annotated[
    list[StatusChoice] | None,
    typer.Option(
        "--status",
        metavar="STATUS",
        help="Only papers with this status: new, read, starred, later or skipped (repeatable:"
        " any of them).",
    ),
]
TagFilter = Annotated[
    list[str] | None,
    typer.Option(
        "--tag", "-t", metavar="TAG", help="Only papers with this tag (repeatable: all of them)."
    ),
]
AnyTagOption = Annotated[
    list[str] | None,
    typer.Option(
        "--any-tag", metavar="TAG", help="Only papers with this tag (repeatable: any of them)."
    ),
]
UntaggedOption = Annotated[bool, typer.Option(help="Only papers with no tag at all.")]
LimitOption = Annotated[
    int | None,
    typer.Option(metavar="N", min=0, max=COUNT_MAX, help="Show at most N papers (0: all)."),
]
SortOption = Annotated[
    SortKey,
    typer.Option(
        help="Order: date (newest first), title, seen (most first), best (seen most, then most"
        " upvoted, then newest: the order of `next`), upvotes (most first)."
    ),
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
        except BrokenPipeError:
            _drop_stdout()
            raise typer.Exit(1) from None
        except OSError as exc:
            error(f"{exc.filename or 'file'}: {exc.strerror or exc}")
            raise typer.Exit(1) from None

    return wrapper


def _drop_stdout() -> None:
    """The reader of stdout went away (`| head`): send what is left, Python's flush at exit
    included, nowhere, and end quietly with 1, as click and rich do."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


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
    tax: "Taxonomy | None",
    since: str | None,
    until: str | None,
    source: str | None,
    seen_min: int | None,
    tag: list[str] | None,
    any_tag: list[str] | None,
    untagged: bool,
    status: list[StatusChoice] | None,
    limit: int | None,
    sort: SortKey = "date",
) -> PaperFilter:
    """The filters `list`, `export` and `search` share, checked (dates, tag names) and typed.

    `tax` (the resolved taxonomy) is needed only when tags are filtered on.
    """
    tags, any_tags = tag or [], any_tag or []
    if tags or any_tags:
        assert tax is not None, "tag filters need the taxonomy to check them against"
        from .. import library

        library.check_tags(tax, tags + any_tags)
    first, last = user_date(since), user_date(until)
    if first is not None and last is not None and first > last:
        raise UsageError(f"--since {since} is after --until {until}: nothing can be seen between")
    return PaperFilter(
        since=first,
        until=last,
        source=source_argument(source),
        seen_min=seen_min,
        tags=tags,
        any_tags=any_tags,
        untagged=untagged,
        statuses=statuses(status),
        limit=limit or None,
        sort=sort,
    )


def _paper_words(words: list[str]) -> list[str]:
    if not words or not all(word.strip() for word in words):
        raise typer.BadParameter("give a paper id or words of its title")
    return words


PaperWords = Annotated[
    list[str],
    typer.Argument(
        metavar="ID|TITLE WORDS...",
        help="Paper id, a unique prefix of one, or words of its title (no quotes needed).",
        callback=_paper_words,
    ),
]
PapersWords = Annotated[
    list[str],
    typer.Argument(
        metavar="ID|TITLE...",
        help="Paper ids (or unique prefixes), or titles: a run of words that are not ids is one"
        " paper's title; quote titles to name several.",
        callback=_paper_words,
    ),
]


def find_paper(store: Store, words: list[str]) -> str:
    """The paper the words name; when several titles fit, they are listed to choose from."""
    try:
        return lookup.find_paper(store, " ".join(words))
    except lookup.AmbiguousTitle as exc:
        show_choices(exc.choices)
        raise


def find_papers(store: Store, words: list[str]) -> list[str]:
    """The papers the words name (see `lookup.find_papers`), choices listed as above."""
    try:
        return lookup.find_papers(store, words)
    except lookup.AmbiguousTitle as exc:
        show_choices(exc.choices)
        raise


def open_store(db: Path | None, *, create: bool = False) -> Store:
    return Store(resolve_db_path(db), create=create)


def library_taxonomy(option: Path | None, db: Path | None) -> "Taxonomy":
    """The taxonomy a command uses: as `library.resolve_taxonomy`, with the one the library
    remembers when it exists (commands that resolve it before they open the library)."""
    from .. import library

    if resolve_db_path(db).exists():
        with open_store(db) as store:
            return library.resolve_taxonomy(option, store)
    return library.resolve_taxonomy(option)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"papertriage {__version__}")
        raise typer.Exit()


def _db_defaults(command: Any, db: Path) -> dict[str, Any]:
    """A default map giving every command under `command` this --db."""
    defaults: dict[str, Any] = {"db": db}
    for name, sub in getattr(command, "commands", {}).items():
        defaults[name] = _db_defaults(sub, db)
    return defaults


@app.callback()
def main_options(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Turn a pile of Hugging Face Daily Papers dumps into one clean, searchable library."""
    if db is not None:
        ctx.default_map = _db_defaults(ctx.command, db)
