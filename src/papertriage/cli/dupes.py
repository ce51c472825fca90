"""Commands about duplicates: dupes, merge, split, distinct."""

from typing import Annotated

import typer

from .. import render
from ..render import Format
from .common import (
    COUNT_MAX,
    ConfigOption,
    DbOption,
    FormatOption,
    PapersWords,
    TaxonomyOption,
    ThresholdOption,
    app,
    find_papers,
    handles_errors,
    library_taxonomy,
    open_store,
)


@app.command()
@handles_errors
def dupes(
    candidates: Annotated[
        bool,
        typer.Option("--candidates", help="List the possible duplicates to review instead."),
    ] = False,
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="Every paper seen more than once, also those seen under one title."
        ),
    ] = False,
    min_seen: Annotated[
        int,
        typer.Option(metavar="N", min=2, max=COUNT_MAX, help="Only papers seen at least N times."),
    ] = 2,
    rescan: Annotated[
        bool,
        typer.Option(
            help="Run the deduper over the whole library first (e.g. after changing thresholds)."
        ),
    ] = False,
    config: ConfigOption = None,
    threshold: ThresholdOption = None,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Papers seen under different titles: their variants, where each was seen, and why they
    merged (--all: every paper seen more than once)."""
    from .. import library, merging

    with open_store(db) as store:
        if rescan:
            summary = merging.dedupe_library(
                store,
                library.resolve_dedupe_config(config, threshold),
                full=True,
                tagger=library.tagger(store, library.resolve_taxonomy(taxonomy, store)),
            )
            render.info(
                f"rescanned {summary.considered} titles: {summary.merged} merged,"
                f" {summary.candidates} to review"
            )
        if candidates:
            render.show_candidates(merging.review_candidates(store), fmt)
        else:
            groups = merging.duplicate_groups(store, min_seen, varied=not everything)
            hidden = 0 if everything else len(store.duplicated_papers(min_seen)) - len(groups)
            render.show_duplicates(groups, fmt, hidden=None if everything else hidden)


@app.command()
@handles_errors
def merge(
    papers: PapersWords,
    force: Annotated[
        bool, typer.Option("--force", help="Merge papers you called distinct before.")
    ] = False,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Merge papers that are the same paper; the oldest keeps its id, the others resolve to it."""
    from .. import library, merging

    tax = library_taxonomy(taxonomy, db)
    with open_store(db) as store:
        kept = merging.merge_papers(
            store, find_papers(store, papers), library.tagger(store, tax), force=force
        )
        detail = store.paper_detail(kept)
    render.info(f"merged into {kept}")
    render.show_paper(detail, fmt)


@app.command()
@handles_errors
def split(
    paper: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="A merged paper's id (split all its titles apart) or one of its other ids"
            " (split that title out).",
        ),
    ],
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Undo a merge; the split titles are never merged again."""
    from .. import library, merging

    tax = library_taxonomy(taxonomy, db)
    with open_store(db) as store:
        ids = merging.split_paper(store, paper, library.tagger(store, tax))
        papers = [store.paper_detail(paper_id) for paper_id in ids]
    render.info(f"split into {len(ids)} papers")
    render.show_papers(papers, fmt)


@app.command()
@handles_errors
def distinct(
    first: Annotated[str, typer.Argument(metavar="ID", help="A paper id (or prefix).")],
    second: Annotated[str, typer.Argument(metavar="ID", help="Another paper id (or prefix).")],
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
) -> None:
    """Say two papers are not duplicates: they are never merged or proposed again."""
    from .. import library, merging

    tax = library_taxonomy(taxonomy, db)
    with open_store(db) as store:
        merging.mark_distinct(store, first, second, library.tagger(store, tax))
    render.info("noted: not duplicates")
