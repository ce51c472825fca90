"""Commands about tags: tags (list, explain, eval), retag, tag."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .. import render
from ..errors import UsageError
from ..render import Format, progress_bars
from ..store import resolve_db_path
from .common import (
    COUNT_MAX,
    App,
    DashWordsCommand,
    DbOption,
    FormatOption,
    PaperWords,
    TaxonomyOption,
    app,
    find_paper,
    handles_errors,
    open_store,
)


class EvalMode(StrEnum):
    both = "both"
    rules = "rules"
    model = "model"


tags_app = App(
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
    from .. import library

    if ctx.invoked_subcommand is not None:
        return
    path = resolve_db_path(db)
    counts: dict[str, tuple[int, int]] = {}
    if path.exists():
        with open_store(db) as store:
            tax = library.resolve_taxonomy(taxonomy, store)
            counts = store.tag_counts()
    else:
        tax = library.resolve_taxonomy(taxonomy)
    render.show_tags(tax, counts, fmt)


@tags_app.command("explain")
@handles_errors
def tags_explain(
    paper: PaperWords,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Which rules fired for each tag of a paper, with their scores."""
    from .. import library

    with open_store(db) as store:
        tax = library.resolve_taxonomy(taxonomy, store)
        explanation = library.explain(store, tax, find_paper(store, paper))
    render.show_explanation(explanation, fmt)


@tags_app.command("eval")
@handles_errors
def tags_eval(
    gold: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help='Gold labels: JSON lines {"title": ..., "tags": [...]}.',
            dir_okay=False,
        ),
    ],
    misses: Annotated[
        int,
        typer.Option(
            metavar="N", min=0, max=COUNT_MAX, help="How many of the worst misses to show."
        ),
    ] = 10,
    mode: Annotated[
        EvalMode,
        typer.Option(help="Measure the rules and model together, or one side alone."),
    ] = EvalMode.both,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Compare the tagger with gold labels for papers in the library."""
    from .. import library

    with open_store(db) as store:
        tax = library.resolve_taxonomy(taxonomy, store)
        report = library.evaluate_gold(store, tax, gold, mode.value)
    render.show_evaluation(report, fmt, misses)


@app.command()
@handles_errors
def retag(
    taxonomy: TaxonomyOption = None,
    default_taxonomy: Annotated[
        bool,
        typer.Option(
            "--default-taxonomy",
            help="Forget the taxonomy this library was tagged with (given by --taxonomy"
            " before) and use your taxonomy.toml, else the default.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Tag the whole library again (after changing the taxonomy); your own tags stay.

    A taxonomy given with --taxonomy is remembered by the library: later commands use it
    without the option.
    """
    from .. import library

    with open_store(db) as store, progress_bars() as stage:
        if default_taxonomy:
            library.remember_taxonomy(store, library.resolve_taxonomy(None), forget=True)
        tax = library.resolve_taxonomy(taxonomy, store)
        library.remember_taxonomy(store, tax)
        decider = library.tagger(store, tax)
        count = library.tag_pending(store, decider, everything=True, progress=stage("Tagging"))
        counts = store.tag_counts()
    render.info(f"retagged {count} papers")
    render.show_tags(tax, counts, Format.table)


@app.command(cls=DashWordsCommand)
@handles_errors
def tag(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="ID|TITLE WORDS... +TAG|-TAG|=TAG...",
            help="The paper (id, prefix or title words), then +TAG to add a tag, -TAG to remove"
            " it, =TAG to leave it to the rules again.",
        ),
    ],
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Decide a paper's tags yourself; your decision beats the tagger and survives retag."""
    from .. import library

    first_change = next(
        (index for index, word in enumerate(words) if word[:1] in ("+", "-", "=")), len(words)
    )
    paper, changes = words[:first_change], words[first_change:]
    if not paper or not changes:
        raise UsageError(
            "give the paper, then its tag changes: +TAG to add, -TAG to remove, =TAG to leave it"
            " to the rules"
        )
    with open_store(db) as store:
        tax = library.resolve_taxonomy(taxonomy, store)
        paper_id = find_paper(store, paper)
        result = library.decide_tags(store, tax, paper_id, changes)
    render.show_paper_tags(paper_id, result, fmt)
