"""Commands that keep the library safe: check, backup, decisions export/import."""

from pathlib import Path
from typing import Annotated

import typer

from .. import render
from ..render import Format
from .common import (
    App,
    DbOption,
    FormatOption,
    TaxonomyOption,
    app,
    handles_errors,
    library_taxonomy,
    open_store,
)


@app.command()
@handles_errors
def check(db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Check the library (integrity, foreign keys, search index, ids, tags); exit 1 on any
    problem."""
    from .. import safety

    with open_store(db) as store:
        report = safety.check_library(store)
    render.show_check(report, fmt)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@handles_errors
def backup(
    target: Annotated[
        Path, typer.Argument(metavar="FILE", help="Where to write the copy.", dir_okay=False)
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace TARGET if it exists.")] = False,
    db: DbOption = None,
) -> None:
    """A consistent copy of the library, safe to take while papertriage is running."""
    from .. import safety

    with open_store(db) as store:
        size = safety.backup_library(store, target, overwrite=force)
    render.info(f"backed up to {target} ({size / 1e6:.1f} MB)")


decisions_app = App(
    help="Your decisions (statuses, notes, tags, merges, splits) as a file of their own.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(decisions_app, name="decisions")


@decisions_app.command("export")
@handles_errors
def decisions_export(
    target: Annotated[
        Path, typer.Argument(metavar="FILE", help="JSON file to write ('-' for stdout).")
    ],
    db: DbOption = None,
) -> None:
    """Write every decision you made, keyed by stable paper ids."""
    from .. import safety

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
    source: Annotated[
        Path, typer.Argument(metavar="FILE", help="A file written by `decisions export`.")
    ],
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
) -> None:
    """Apply exported decisions to this library (e.g. one rebuilt from the dumps)."""
    from .. import library, safety

    decisions = safety.read_decisions(source)
    tax = library_taxonomy(taxonomy, db)
    with open_store(db, create=True) as store:
        summary = safety.import_decisions(store, decisions, library.tagger(store, tax))
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
