"""Operations on a whole library that combine the store with tagging (and dedupe).

The CLI calls these; each write is its own short transaction, and anything left undone by an
interrupted run (papers not yet tagged with the current taxonomy) is picked up by the next one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

from .dedupe import DedupeConfig
from .errors import ConfigError, NotFoundError, UsageError
from .fetch import FetchConfig
from .ingest import FileResult, IngestReport, ingest_paths
from .merging import DedupeSummary, dedupe_library
from .models import Paper, paper_links
from .normalize import fold, paper_id, title_key
from .store import PaperFilter, Store
from .tagging import (
    EvalReport,
    TagScore,
    Taxonomy,
    evaluate,
    load_gold,
    load_taxonomy,
    score_paper,
    tag_paper,
)

Progress = Callable[[int, int], None]
_TAG_BATCH = 1000
TAXONOMY_META = "taxonomy"


def config_dir() -> Path:
    """The user's papertriage config directory (taxonomy.toml, config.toml)."""
    from platformdirs import user_config_path

    return user_config_path("papertriage", appauthor=False)


def resolve_taxonomy(option: Path | None) -> Taxonomy:
    """--taxonomy, else $PAPERTRIAGE_TAXONOMY, else the user's taxonomy.toml, else the default."""
    if option is None and os.environ.get("PAPERTRIAGE_TAXONOMY"):
        option = Path(os.environ["PAPERTRIAGE_TAXONOMY"])
    if option is None:
        candidate = config_dir() / "taxonomy.toml"
        option = candidate if candidate.is_file() else None
    return load_taxonomy(option)


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
        raise ConfigError(f"{where}{table}.{key}: {first['msg']}") from None


def check_tags(taxonomy: Taxonomy, names: Sequence[str]) -> None:
    """Refuse tag names the taxonomy does not know, suggesting the closest one."""
    from rapidfuzz import process

    for name in names:
        if name not in taxonomy.tags:
            best = process.extractOne(name, list(taxonomy.tags), score_cutoff=60)
            hint = f"; did you mean {best[0]}?" if best else ""
            raise UsageError(f"unknown tag {name!r}{hint} (see `papertriage tags`)")


def tag_pending(
    store: Store, taxonomy: Taxonomy, *, everything: bool = False, progress: Progress | None = None
) -> int:
    """Tag every paper not yet tagged with this taxonomy (or every paper); return how many."""
    fingerprint = taxonomy.fingerprint()
    wanted = None if everything else fingerprint
    total = store.count_papers_to_tag(wanted)
    done = 0
    after = ""
    while rows := store.papers_to_tag(wanted, _TAG_BATCH, after):
        tagged = [(paper, tag_paper(taxonomy, title, abstract)) for paper, title, abstract in rows]
        with store.atomic():
            store.set_rule_tags(fingerprint, tagged)
        after = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(done, total)
    with store.atomic():
        store.set_meta(TAXONOMY_META, fingerprint)
    return done


def tags_are_stale(store: Store, taxonomy: Taxonomy) -> bool:
    """True when the library's rule tags were assigned with another taxonomy."""
    used = store.get_meta(TAXONOMY_META)
    return used is not None and used != taxonomy.fingerprint()


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
    report = ingest_paths(store, paths, year, on_file)
    merged = dedupe_library(store, dedupe)
    tagged = tag_pending(store, taxonomy, progress=on_tag)
    store.sync_search_index()
    return IngestOutcome(report=report, dedupe=merged, tagged=tagged)


class TagExplanation(BaseModel):
    """Why a paper has the tags it has: the rules' scores and the user's decisions."""

    paper_id: str
    title: str
    scores: list[TagScore]
    decisions: dict[str, bool]
    tags: dict[str, str]
    """The effective tags with their origin (`rule` or `user`)."""


def explain(store: Store, taxonomy: Taxonomy, paper_id: str) -> TagExplanation:
    title, abstract = store.paper_text(paper_id)
    return TagExplanation(
        paper_id=paper_id,
        title=title,
        scores=score_paper(taxonomy, title, abstract),
        decisions=store.tag_decisions(paper_id),
        tags=store.paper_tags(paper_id),
    )


def evaluate_gold(store: Store, taxonomy: Taxonomy, gold_path: Path) -> EvalReport:
    """The tagger's rules (not the user's decisions) against gold labels, matched by title."""
    gold = load_gold(gold_path)
    keys = {paper_id(key): key for key in {title_key(item.title) for item in gold}}
    predicted: dict[str, list[str]] = {}
    for variant, (paper, _, _, present) in store.variant_states(keys).items():
        if not present:
            continue
        title, abstract = store.paper_text(paper)
        predicted[keys[variant]] = tag_paper(taxonomy, title, abstract)
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

    FTS5 syntax works: "exact phrases", prefix*, AND/OR/NOT, title:word. Plain words with
    punctuation are quoted for the user; a malformed query with operators is refused clearly.
    `author:Name` (or `author:"First Last"`) keeps the papers with such an author; alone, it
    lists them newest first, their authors as the snippet.
    """
    import sqlite3

    text = query.strip()
    if not text:
        raise UsageError("the search query is empty")
    names = [found[1] or found[2] for found in _AUTHOR.finditer(text)]
    by_author = _by_authors(store, names) if names else None
    text = _AUTHOR.sub(" ", text).strip()
    if by_author is not None and not text:
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
    store.sync_search_index()
    uses_syntax = any(token in _FTS_SYNTAX for token in text.split()) or any(
        char in text for char in '"*^()'
    )
    try:
        hits = store.search(text, None)
    except sqlite3.OperationalError as exc:
        if uses_syntax:
            raise UsageError(
                f'bad search query {query!r}: {exc}; quote phrases with "...", use AND OR NOT'
            ) from None
        hits = store.search(_plain_words(text), None)
    if by_author is not None:
        hits = [hit for hit in hits if hit[0] in by_author]
    if not hits:
        return []
    order = {paper: index for index, (paper, *_rest) in enumerate(hits)}
    chosen = where.model_copy(update={"ids": list(order), "limit": None})
    papers = sorted(store.list_papers(chosen), key=lambda paper: order[paper.id])
    if where.limit is not None:
        papers = papers[: where.limit]
    details = {paper: (rank, title, snippet) for paper, rank, title, snippet in hits}
    return [
        SearchHit(
            paper=paper,
            rank=details[paper.id][0],
            title=details[paper.id][1],
            snippet=details[paper.id][2],
        )
        for paper in papers
    ]


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
    except NotFoundError as exc:
        if "ambiguous" in str(exc) or (len(text) >= 12 and _is_hex(text)):
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

    def word_score(paper: str) -> float:
        title_words = folded[paper].split() or [""]
        return sum(max(fuzz.ratio(w, t) for t in title_words) for w in words) / len(words)

    scored = sorted(((word_score(paper), paper) for _, _, paper in rough), reverse=True)
    scored = [(score, paper) for score, paper in scored if score >= 75]
    if not scored:
        raise NotFoundError(f"no paper id or title matches {text!r}")
    if len(scored) == 1 or scored[0][0] - scored[1][0] >= 8:
        return str(scored[0][1])
    raise AmbiguousTitle(text, [(paper, titles[paper]) for _, paper in scored[:5]])


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdef" for char in text.lower())
