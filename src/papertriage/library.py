"""Operations on a whole library that combine the store with tagging (and dedupe).

The CLI calls these; each write is its own short transaction, and anything left undone by an
interrupted run (papers not yet tagged with the current taxonomy) is picked up by the next one.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

from .dedupe import DedupeConfig
from .errors import (
    AmbiguousIdError,
    ConfigError,
    NotFoundError,
    SearchQueryError,
    UsageError,
    plain_words,
)
from .faults import pause_point
from .fetch import FetchConfig
from .ingest import FileResult, IngestReport, ingest_paths
from .merging import DedupeSummary, dedupe_library
from .models import Paper, paper_links
from .normalize import fold, paper_id, title_key
from .store import PaperFilter, Store
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
    option, values = _config_table(option, "dedupe", DedupeConfig)
    if threshold is not None:
        values["merge_title"] = values["sure_title"] = threshold
    return _validated(DedupeConfig, values, option, "dedupe")


def resolve_fetch_config(option: Path | None) -> FetchConfig:
    """Where and how to fetch: defaults, the `[fetch]` table of the config file (as for
    dedupe), and $PAPERTRIAGE_API_URL last for the site's base URL."""
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


def check_source(store: Store, source: str | None) -> None:
    """Refuse a --source the library has no dump for, suggesting the closest name: a filter
    that can match nothing is a typo, not an answer."""
    from rapidfuzz import process

    if source is None or store.has_source(source):
        return
    name = Path(source).name
    best = process.extractOne(name, store.source_names(), score_cutoff=80)
    hint = f"; did you mean {best[0]}?" if best else ""
    raise NotFoundError(f"no dump named {name!r} in this library{hint}")


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


class IngestOutcome(BaseModel):
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


class SearchHit(BaseModel):
    """A paper found by `search`, with its title and an abstract snippet highlighted."""

    paper: Paper
    rank: float
    title: str
    snippet: str


MARK_START, MARK_END = "\ue000", "\ue001"
_FTS_SYNTAX = set('"*^:()') | {"AND", "OR", "NOT", "NEAR"}


def _plain_words(query: str) -> str:
    """A query of plain words as FTS5 phrases, so `deep-research` or `GPT-4o` just work."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in query.split())


_TOKEN = re.compile(r'-?"[^"]*"?|\S+')
"""A word or a quoted phrase, either maybe after a minus."""


def _split_query(text: str) -> tuple[str, list[str]]:
    """The words to look for and the words or phrases after a minus, to leave out."""
    wanted: list[str] = []
    excluded: list[str] = []
    for token in _TOKEN.findall(text):
        if token.startswith("-") and len(token) > 1:
            excluded.append(token[1:])
        elif token != "-":
            wanted.append(token)
    return " ".join(wanted), excluded


def _leaving_out(query: str, excluded: Sequence[str]) -> str:
    if not excluded:
        return query
    phrases = " OR ".join(
        word if word.startswith('"') else '"' + word.replace('"', '""') + '"' for word in excluded
    )
    return f"({query}) NOT ({phrases})"


_AUTHOR = re.compile(r'(?<!\S)author:(?:"([^"]*)"|(\S*))', re.IGNORECASE)


def _by_authors(store: Store, names: Sequence[str]) -> dict[str, list[str]]:
    """Papers with an author for each of these names (every word of a name is a word of the
    author's, case and accents aside), with the authors that matched, by paper."""
    wanted = [set(fold(name).split()) for name in names]
    if not all(wanted):
        raise UsageError('author: needs a name, e.g. author:Hinton or author:"Geoffrey Hinton"')
    found: dict[str, list[str]] = {}
    for paper, authors in store.paper_authors():
        words = [set(fold(author).split()) for author in authors]
        matched = [
            next((author for author, have in zip(authors, words, strict=True) if want <= have), "")
            for want in wanted
        ]
        if all(matched):
            found[paper] = matched
    return found


def _marked(authors: Sequence[str], matched: Sequence[str]) -> str:
    """A paper's authors with those a search matched highlighted, as FTS5 marks its snippets."""
    return ", ".join(
        f"{MARK_START}{author}{MARK_END}" if author in matched else author for author in authors
    )


def search(store: Store, query: str, where: PaperFilter) -> list[SearchHit]:
    """Full-text search, best first (bm25, titles weighted above abstracts), then filtered.

    FTS5 syntax works: "exact phrases", prefix*, AND/OR/NOT, title:word; -word (or
    -"a phrase") leaves papers out. Plain words with punctuation are quoted for the user; a
    malformed query with operators is refused in words, not in FTS5's. `author:Name` (or
    `author:"First Last"`) keeps the papers with such an author; alone, it lists them newest
    first, their authors as the snippet.
    """
    if not query.strip():
        raise UsageError("the search query is empty")
    names = [found[1] or found[2] for found in _AUTHOR.finditer(query)]
    by_author = _by_authors(store, names) if names else None
    text, excluded = _split_query(_AUTHOR.sub(" ", query).strip())
    if by_author is not None and not text and not excluded:
        chosen = where.model_copy(update={"ids": list(by_author)})
        return [
            SearchHit(
                paper=paper,
                rank=0.0,
                title=paper.title,
                snippet=_marked(paper.authors, by_author[paper.id]),
            )
            for paper in store.list_papers(chosen)
        ]
    if not text:
        raise UsageError(
            "nothing to search for: -word leaves papers out, give a word to look for too"
        )
    store.sync_search_index()
    uses_syntax = any(token in _FTS_SYNTAX for token in text.split()) or any(
        char in text for char in '"*^()'
    )
    try:
        fts_query = _leaving_out(text, excluded)
        hits = store.search(fts_query)
    except SearchQueryError:
        if uses_syntax or any(word.startswith('"') for word in excluded):
            raise UsageError(
                f"cannot read the search query {query!r}: check its quotes and parentheses, and"
                " put words on both sides of AND, OR and NOT"
            ) from None
        fts_query = _leaving_out(_plain_words(text), excluded)
        hits = store.search(fts_query)
    if by_author is not None:
        hits = [hit for hit in hits if hit[0] in by_author]
    ranks = dict(hits)
    shown = _first_matching(store, [paper for paper, _ in hits], where)
    marks = store.search_marks(fts_query, shown)
    chosen = where.model_copy(update={"ids": shown, "limit": None})
    papers = {paper.id: paper for paper in store.list_papers(chosen)}
    return [
        SearchHit(
            paper=papers[paper],
            rank=ranks[paper],
            title=marks[paper][0],
            snippet=marks[paper][1],
        )
        for paper in shown
    ]


def _first_matching(store: Store, ranked: list[str], where: PaperFilter) -> list[str]:
    """The first `where.limit` papers of a ranking that the filter keeps, in its order.

    Checked a growing slice at a time, ids only: summaries are read for the papers shown, and a
    search that matches a fifth of a big library usually fills its page from the first slice.
    """
    kept: list[str] = []
    start, size = 0, 100
    while start < len(ranked) and (where.limit is None or len(kept) < where.limit):
        chunk = ranked[start : start + size]
        matching = store.matching_ids(where.model_copy(update={"ids": chunk}))
        kept += [paper for paper in chunk if paper in matching]
        start, size = start + size, size * 2
    return kept[: where.limit]


_TYPO = 80
"""How alike (0-100) each word must be to a word of a title for a title with a typo to match."""


class AmbiguousTitle(UsageError):
    """A title fragment matches several papers about equally well."""

    def __init__(self, text: str, choices: list[tuple[str, str]]) -> None:
        self.choices = choices
        super().__init__(f"{text!r} matches several papers: give one of the ids listed above")


def paper_link(store: Store, text: str, site: Literal["hf", "arxiv"] = "hf") -> str:
    """The page of a paper (by id, prefix or title words) on Hugging Face or arXiv."""
    paper = store.paper_detail(find_paper(store, text))
    if paper.arxiv_id is None:
        raise NotFoundError(
            f"paper {paper.id} has no arXiv id yet (seen only in dumps): ingest or fetch an API"
            " response about it"
        )
    hugging_face, arxiv = paper_links(paper.arxiv_id)
    return arxiv if site == "arxiv" else hugging_face


def find_paper(store: Store, text: str) -> str:
    """A paper by id, id prefix or any id it ever had; else by the best-matching title."""
    from rapidfuzz import fuzz, process, utils

    try:
        return store.resolve_id(text)
    except AmbiguousIdError:
        raise
    except NotFoundError:
        if len(text) >= 12 and _is_hex(text):
            raise
    titles = dict(store.titles())
    if not titles:
        raise NotFoundError(f"no paper matches {text!r}")
    # Titles holding every word of the fragment come first; fuzzy matching covers typos.
    words = fold(text).split()
    folded = {paper: fold(title) for paper, title in titles.items()}
    containing = {
        paper: titles[paper]
        for paper, title in folded.items()
        if all(word in title.split() or word in title for word in words)
    }
    if containing:
        ranked = process.extract(
            text, containing, scorer=fuzz.WRatio, processor=utils.default_process, limit=5
        )
        if len(ranked) == 1:
            return str(ranked[0][2])
        raise AmbiguousTitle(text, [(str(paper), str(title)) for title, _, paper in ranked])
    # No title has every word: allow typos, word by word, among the closest titles.
    rough = process.extract(
        text, titles, scorer=fuzz.WRatio, processor=utils.default_process, limit=50
    )

    def word_scores(paper: str) -> list[float]:
        title_words = folded[paper].split() or [""]
        return [max(fuzz.ratio(w, t) for t in title_words) for w in words]

    # Every word must be a typo of a title word: on average was not enough ("nosuchthing" is 78%
    # like "nothing", which opened "Magpie: ... with Nothing").
    scored = sorted(
        (
            (sum(scores) / len(scores), paper)
            for _, _, paper in rough
            if min(scores := word_scores(paper)) >= _TYPO
        ),
        reverse=True,
    )
    if not scored:
        raise NotFoundError(f"no paper id or title matches {text!r}")
    if len(scored) == 1 or scored[0][0] - scored[1][0] >= 8:
        return str(scored[0][1])
    raise AmbiguousTitle(text, [(paper, titles[paper]) for _, paper in scored[:5]])


def find_papers(store: Store, words: Sequence[str]) -> list[str]:
    """Papers named by command-line words: an id (or unique prefix) or a quoted title is one
    paper each; a run of other words is the title of one (`mark 9712c8c7 mamba selective`)."""
    papers: list[str] = []
    run: list[str] = []
    for word in words:
        if " " in word.strip() or _is_id(store, word):
            if run:
                papers.append(find_paper(store, " ".join(run)))
                run = []
            papers.append(find_paper(store, word))
        else:
            run.append(word)
    if run:
        papers.append(find_paper(store, " ".join(run)))
    return list(dict.fromkeys(papers))


def _is_id(store: Store, word: str) -> bool:
    """Whether a word is a paper id: hex of 4 or more digits that resolves to one paper. `face`
    is a word unless a paper's id starts with it; an ambiguous prefix alone is refused as such
    by `find_paper`."""
    if len(word) < 4 or not _is_hex(word):
        return False
    try:
        store.resolve_id(word)
    except NotFoundError:
        return False
    return True


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdef" for char in text.lower())
