"""Operations on a whole library that combine the store with tagging (and dedupe).

The CLI calls these; each write is its own short transaction, and anything left undone by an
interrupted run (papers not yet tagged with the current taxonomy) is picked up by the next one.
Dedupe, ingest and fetch are imported by the functions that use them: a command that filters by
tag needs the taxonomy, not them (finding papers is in `lookup`).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from .errors import ConfigError, NotFoundError, UsageError, plain_words
from .faults import pause_point
from .normalize import paper_id, title_key
from .store import Store
from .system import usable_cores
from .tagging import (
    Corrections,
    EvalReport,
    Mode,
    Tagger,
    TaggerPool,
    TagScore,
    Taxonomy,
    evaluate,
    learnable,
    load_gold,
    load_taxonomy,
    taxonomy_from_text,
)

if TYPE_CHECKING:
    from .dedupe import DedupeConfig
    from .fetch import FetchConfig
    from .ingest import FileResult, IngestReport
    from .merging import DedupeSummary

Progress = Callable[[int, int], None]
_TAG_BATCH = 1000
_BACKGROUND = 400
_POOL_AT = 20_000
"""Papers to tag from which worker processes pay for their start (about a second)."""
_MAX_WORKERS = 4
TAXONOMY_META = "taxonomy"
USER_TAXONOMY_META = "user_taxonomy"


def config_dir() -> Path:
    """The user's papertriage config directory (taxonomy.toml, config.toml)."""
    from platformdirs import user_config_path

    return user_config_path("papertriage", appauthor=False)


def resolve_taxonomy(option: Path | None, store: Store | None = None) -> Taxonomy:
    """--taxonomy, else $PAPERTRIAGE_TAXONOMY, else the taxonomy the library was last tagged
    with by one of those, else the user's taxonomy.toml, else the default.

    A taxonomy given by option or variable is marked to be remembered (`remember_taxonomy`):
    a library tagged with a user's tags keeps them without the option on every command.
    """
    if option is None and os.environ.get("PAPERTRIAGE_TAXONOMY"):
        option = Path(os.environ["PAPERTRIAGE_TAXONOMY"])
    if option is not None:
        taxonomy = load_taxonomy(option)
        taxonomy._explicit = True
        return taxonomy
    if store is not None and (remembered := store.get_meta(USER_TAXONOMY_META)) is not None:
        return taxonomy_from_text(remembered, "the library's remembered taxonomy")
    candidate = config_dir() / "taxonomy.toml"
    return load_taxonomy(candidate if candidate.is_file() else None)


def remember_taxonomy(store: Store, taxonomy: Taxonomy, *, forget: bool = False) -> None:
    """Keep a taxonomy given by option or variable as the library's own (see
    `resolve_taxonomy`); with `forget`, go back to the config file or the default."""
    with store.atomic():
        if forget:
            store.delete_meta(USER_TAXONOMY_META)
        elif taxonomy._explicit and taxonomy.user_text is not None:
            store.set_meta(USER_TAXONOMY_META, taxonomy.user_text)


def resolve_dedupe_config(option: Path | None, threshold: float | None = None) -> DedupeConfig:
    """Dedupe thresholds: defaults, overlaid by the `[dedupe]` table of the config file
    (--config, else $PAPERTRIAGE_CONFIG, else config.toml in the user config directory), and
    --threshold last: the title similarity (0-100) at which titles merge on their own."""
    from .dedupe import DedupeConfig

    option, values = _config_table(option, "dedupe", DedupeConfig)
    if threshold is not None:
        values["merge_title"] = values["sure_title"] = threshold
    return _validated(DedupeConfig, values, option, "dedupe")


def resolve_fetch_config(option: Path | None) -> FetchConfig:
    """Where and how to fetch: defaults, the `[fetch]` table of the config file (as for
    dedupe), and $PAPERTRIAGE_API_URL last for the site's base URL."""
    from .fetch import FetchConfig

    option, values = _config_table(option, "fetch", FetchConfig)
    if os.environ.get("PAPERTRIAGE_API_URL"):
        values["base_url"] = os.environ["PAPERTRIAGE_API_URL"]
    return _validated(FetchConfig, values, option, "fetch")


def _config_table(
    option: Path | None, table: str, model: type[BaseModel]
) -> tuple[Path | None, dict[str, object]]:
    """The config file in use (--config, else $PAPERTRIAGE_CONFIG, else config.toml in the
    user config directory) and its table `table`, with every key one `model` knows."""
    import tomllib

    if option is None and os.environ.get("PAPERTRIAGE_CONFIG"):
        option = Path(os.environ["PAPERTRIAGE_CONFIG"])
    if option is None and (config_dir() / "config.toml").is_file():
        option = config_dir() / "config.toml"
    values: dict[str, object] = {}
    if option is not None:
        try:
            data = tomllib.loads(option.read_text("utf-8"))
        except OSError as exc:
            raise ConfigError(f"{option}: cannot read the config ({exc.strerror})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{option}: not valid TOML ({exc})") from None
        section = data.get(table, {})
        if not isinstance(section, dict):
            raise ConfigError(f"{option}: {table}: must be a table")
        for key in section:
            if key not in model.model_fields:
                known = ", ".join(model.model_fields)
                raise ConfigError(f"{option}: {table}.{key}: unknown setting (known: {known})")
        values.update(section)
    return option, values


Settings = TypeVar("Settings", bound=BaseModel)


def _validated(
    model: type[Settings], values: dict[str, object], option: Path | None, table: str
) -> Settings:
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        where = f"{option}: " if option is not None else ""
        raise ConfigError(f"{where}{table}.{key}: {plain_words(first)}") from None


def check_tags(taxonomy: Taxonomy, names: Sequence[str]) -> None:
    """Refuse tag names the taxonomy does not know, suggesting the closest one."""
    from rapidfuzz import process

    for name in names:
        if name not in taxonomy.tags:
            best = process.extractOne(name, list(taxonomy.tags), score_cutoff=60)
            hint = f"; did you mean {best[0]}?" if best else ""
            raise UsageError(f"unknown tag {name!r}{hint} (see `papertriage tags`)")


def tagger(store: Store, taxonomy: Taxonomy, mode: Mode = "both") -> Tagger:
    """The library's tagger: the taxonomy, the shipped model, and the user's tag decisions."""
    decided = store.decided_papers() if mode == "both" and taxonomy.model else []
    if not learnable(taxonomy, decided):  # the background is read only when it will be used
        return Tagger(taxonomy, mode=mode)
    corrections = Corrections(decided, store.background_texts(_BACKGROUND))
    return Tagger(taxonomy, corrections=corrections, mode=mode)


def tag_pending(
    store: Store, tagger: Tagger, *, everything: bool = False, progress: Progress | None = None
) -> int:
    """Tag every paper not yet tagged by this tagger (or every paper); return how many.

    A large run tags in worker processes (`TaggerPool`), a few batches ahead of the writes.
    """
    fingerprint = tagger.fingerprint()
    wanted = None if everything else fingerprint
    total = store.count_papers_to_tag(wanted)
    done = 0

    def write(rows: list[tuple[str, str, str]], tags: list[list[str]]) -> None:
        nonlocal done
        with store.atomic():
            store.set_rule_tags(
                fingerprint, [(row[0], t) for row, t in zip(rows, tags, strict=True)]
            )
            pause_point("tag")
        done += len(rows)
        if progress is not None:
            progress(done, total)

    pages = _pages(store, wanted)
    workers = min(usable_cores(), _MAX_WORKERS)
    if total < _POOL_AT or workers < 2:
        for rows in pages:
            write(rows, tagger.tag_batch([(title, abstract) for _, title, abstract in rows]))
    else:
        with TaggerPool(tagger, workers) as pool:
            ahead: deque[tuple[list[tuple[str, str, str]], Future[list[list[str]]]]] = deque()
            for rows in pages:
                ahead.append(
                    (rows, pool.submit([(title, abstract) for _, title, abstract in rows]))
                )
                if len(ahead) > 2 * workers:
                    rows_done, future = ahead.popleft()
                    write(rows_done, future.result())
            while ahead:
                rows_done, future = ahead.popleft()
                write(rows_done, future.result())
    with store.atomic():
        store.set_meta(TAXONOMY_META, fingerprint)
    return done


def _pages(store: Store, wanted: str | None) -> Iterator[list[tuple[str, str, str]]]:
    """The papers to tag, a batch at a time, by id (a later batch never repeats an earlier one)."""
    after = ""
    while rows := store.papers_to_tag(wanted, _TAG_BATCH, after):
        yield rows
        after = rows[-1][0]


def tags_are_stale(store: Store, taxonomy: Taxonomy) -> bool:
    """True when the library's tags were assigned by another taxonomy, model or decisions."""
    used = store.get_meta(TAXONOMY_META)
    return used is not None and used != tagger(store, taxonomy).fingerprint()


@dataclass(frozen=True)
class IngestOutcome:
    report: IngestReport
    dedupe: DedupeSummary
    tagged: int


def ingest(
    store: Store,
    paths: Sequence[Path],
    taxonomy: Taxonomy,
    dedupe: DedupeConfig | None = None,
    year: int | None = None,
    on_file: Callable[[int, int, FileResult], None] | None = None,
    on_tag: Progress | None = None,
) -> IngestOutcome:
    """Ingest dumps, merge the new titles with the duplicates they have, then tag what changed."""
    from .ingest import ingest_paths
    from .merging import dedupe_library

    remember_taxonomy(store, taxonomy)
    report = ingest_paths(store, paths, year, on_file)
    merged = dedupe_library(store, dedupe)
    tagged = tag_pending(store, tagger(store, taxonomy), progress=on_tag)
    store.sync_search_index()
    return IngestOutcome(report=report, dedupe=merged, tagged=tagged)


class TagExplanation(BaseModel):
    """Why a paper has the tags it has: rules, model and the user's decisions."""

    paper_id: str
    title: str
    scores: list[TagScore]
    decisions: dict[str, bool]
    tags: dict[str, str]
    """The effective tags with their origin (`rule` or `user`)."""
    learned: list[str] = []
    """Tags whose model learned a correction from the user's decisions."""


def explain(store: Store, taxonomy: Taxonomy, paper_id: str) -> TagExplanation:
    title, abstract = store.paper_text(paper_id)
    decider = tagger(store, taxonomy)
    return TagExplanation(
        paper_id=paper_id,
        title=title,
        scores=decider.explain(title, abstract),
        decisions=store.tag_decisions(paper_id),
        tags=store.paper_tags(paper_id),
        learned=decider.learned,
    )


def evaluate_gold(
    store: Store, taxonomy: Taxonomy, gold_path: Path, mode: Mode = "both"
) -> EvalReport:
    """The tagger (not the user's decisions) against gold labels, matched by title."""
    gold = load_gold(gold_path)
    keys = {paper_id(key): key for key in {title_key(item.title) for item in gold}}
    found: list[tuple[str, str, str]] = []
    for variant, (paper, _, _, present) in store.variant_states(keys).items():
        if present:
            found.append((keys[variant], *store.paper_text(paper)))
    if not found:
        # Zeros for every tag would read as a tagger that finds nothing.
        raise NotFoundError(
            f"{gold_path}: none of its {len(keys)} titles is in this library (ingest their dumps"
            " first)"
        )
    decider = tagger(store, taxonomy, mode)
    tags = decider.tag_batch([(title, abstract) for _, title, abstract in found])
    predicted = {key: tagged for (key, _, _), tagged in zip(found, tags, strict=True)}
    return evaluate(predicted, gold, tag_order=list(taxonomy.tags))


def decide_tags(
    store: Store, taxonomy: Taxonomy, paper_id: str, changes: Sequence[str]
) -> dict[str, str]:
    """Apply `+tag` (add), `-tag` (remove) and `=tag` (back to the rules); return the result."""
    decisions: dict[str, bool | None] = {}
    for change in changes:
        sign, name = change[:1], change[1:]
        if sign not in "+-=" or not name:
            raise UsageError(
                f"{change!r}: write +TAG to add, -TAG to remove, =TAG to leave it to the rules"
            )
        decisions[name] = {"+": True, "-": False, "=": None}[sign]
    check_tags(taxonomy, list(decisions))
    with store.atomic():
        store.decide_tags(paper_id, decisions)
    return store.paper_tags(paper_id)
