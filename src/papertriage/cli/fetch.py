"""The command that downloads Daily Papers API responses and ingests them: fetch."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from .. import render
from ..errors import UsageError
from ..render import Format, progress_bars
from .common import (
    ConfigOption,
    DbOption,
    FormatOption,
    TaxonomyOption,
    app,
    handles_errors,
    library_taxonomy,
    open_store,
    user_date,
)


def _chosen_days(date: str | None, since: str | None) -> list[dt.date]:
    from .. import fetch

    if date is not None and since is not None:
        raise UsageError("give --date or --since, not both")
    today = dt.date.today()
    if date is not None:
        day = user_date(date)
        assert day is not None
        if day > today:
            raise UsageError(f"{day} is in the future: nothing to fetch yet")
        return [day]
    first = user_date(since) or today
    if first > today:
        raise UsageError(f"{first} is in the future: nothing to fetch yet")
    return fetch.days_between(first, today)


@app.command("fetch")
@handles_errors
def fetch_command(
    date: Annotated[
        str | None,
        typer.Option(
            metavar="DATE", help="The day to fetch (YYYY-MM-DD, yesterday ...) [default: today]."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="DATE", help="Fetch every weekday from DATE (YYYY-MM-DD, 7d, 2w ...) to today."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Download days fetched before again.")
    ] = False,
    into: Annotated[
        Path | None,
        typer.Option(
            help="Where responses are kept [default: PAPERTRIAGE_RESPONSES, else responses/ in"
            " the user data directory].",
            show_default=False,
            file_okay=False,
        ),
    ] = None,
    taxonomy: TaxonomyOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Download the Daily Papers days not fetched yet, keep each response, and ingest them.

    The site is https://huggingface.co unless [fetch] base_url in config.toml or
    PAPERTRIAGE_API_URL says otherwise.
    """
    from .. import fetch, library

    days = _chosen_days(date, since)
    settings = library.resolve_fetch_config(config)
    tax = library_taxonomy(taxonomy, db)
    dedupe = library.resolve_dedupe_config(config)
    directory = into or fetch.responses_dir()
    done, failure = fetch.fetch_days(
        days, directory, settings, force=force, on_day=render.show_fetched_day
    )
    paths = [Path(day.path) for day in done if day.path is not None]
    if paths:
        with open_store(db, create=True) as store, progress_bars() as stage:
            outcome = library.ingest(store, paths, tax, dedupe, on_tag=stage("Tagging"))
        render.show_ingest_report(outcome.report, fmt, outcome.dedupe)
    if failure is not None:
        raise failure
    if paths and outcome.report.rejected:
        raise typer.Exit(1)
