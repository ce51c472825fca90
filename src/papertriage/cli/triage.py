"""Commands for deciding what to read: mark, undo, next, search."""

import sys
from collections.abc import Generator
from typing import Annotated

import typer

from .. import lookup, render, triage
from ..errors import UsageError
from ..render import Format
from ..store import PaperFilter
from .common import (
    AnyTagOption,
    DashWordsCommand,
    DbOption,
    FormatOption,
    LimitOption,
    PapersWords,
    SeenMinOption,
    SinceOption,
    SourceOption,
    StatusOption,
    TagFilter,
    TaxonomyOption,
    UntaggedOption,
    UntilOption,
    app,
    find_papers,
    handles_errors,
    library_taxonomy,
    open_store,
    paper_filter,
    user_date,
)


@app.command()
@handles_errors
def mark(
    papers: PapersWords,
    read: Annotated[bool, typer.Option("--read", help="Mark as read.")] = False,
    star: Annotated[bool, typer.Option("--star", help="Star: worth keeping.")] = False,
    later: Annotated[bool, typer.Option("--later", help="Snooze: read later.")] = False,
    skip: Annotated[bool, typer.Option("--skip", help="Not for me.")] = False,
    new: Annotated[bool, typer.Option("--new", help="Back to new.")] = False,
    note: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="A note to keep with the papers ('' clears it)."),
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
            find_papers(store, papers),
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


@app.command("open")
@handles_errors
def open_paper(
    paper: Annotated[
        str, typer.Argument(help="Paper id, a unique prefix of one, or words of its title.")
    ],
    arxiv: Annotated[
        bool, typer.Option("--arxiv", help="Its arXiv page, not its Hugging Face page.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Open a paper's page in the browser (its link is printed too)."""
    with open_store(db) as store:
        try:
            link = lookup.paper_link(store, paper, "arxiv" if arxiv else "hf")
        except lookup.AmbiguousTitle as exc:
            render.show_choices(exc.choices)
            raise
    typer.echo(link)
    _browse(link)


def _browse(link: str) -> None:
    """Open a link in the user's browser; say so when there is none (a server, a container)."""
    import webbrowser

    if not webbrowser.open(link):
        render.warn("no browser found: open the link yourself")


@app.command("next")
@handles_errors
def next_paper(
    tag: TagFilter = None,
    since: SinceOption = None,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
) -> None:
    """Triage new papers one at a time, best first. Keys: r s k l n o u q.

    At a terminal each key acts at once; otherwise keys are read one per line from standard input.
    """
    tags = tag or []
    if tags:
        from .. import library

        library.check_tags(library_taxonomy(taxonomy, db), tags)
    where = PaperFilter(tags=tags, since=user_date(since))
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
    message = ""
    redraw = True
    try:
        while (paper := session.current()) is not None:
            if redraw:
                render.show_triage_paper(
                    paper, session.remaining, triage.HELP, message, whole=session.whole_abstract
                )
            key = next(keys, None)
            if key is None:
                render.info(f"end of input: stopped, {session.decided} decided")
                return
            step = session.press(key)
            if step.link is not None:
                _browse(step.link)
            if step.done:
                render.info(step.message)
                return
            redraw = step.redraw
            message = step.message if redraw else message
    except KeyboardInterrupt:
        render.info(f"interrupted: {session.decided} decided, all saved")
        return
    finally:
        keys.close()
    render.info(f"all done: {session.decided} decided")


@app.command(cls=DashWordsCommand)
@handles_errors
def search(
    query: Annotated[
        list[str],
        typer.Argument(
            metavar="QUERY...",
            help='Words (no quotes needed), -word to leave out, "exact phrases", prefix*,'
            " AND/OR/NOT, title:word (SQLite FTS5).",
        ),
    ],
    since: SinceOption = None,
    until: UntilOption = None,
    source: SourceOption = None,
    seen_min: SeenMinOption = None,
    tag: TagFilter = None,
    any_tag: AnyTagOption = None,
    untagged: UntaggedOption = False,
    status: StatusOption = None,
    limit: LimitOption = 20,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Full-text search over titles and abstracts, best match first."""
    tax = library_taxonomy(taxonomy, db) if tag or any_tag else None
    where = paper_filter(tax, since, until, source, seen_min, tag, any_tag, untagged, status, limit)
    with open_store(db) as store:
        lookup.check_source(store, where.source)
        hits = lookup.search(store, " ".join(query), where)
    render.show_search(hits, fmt)
