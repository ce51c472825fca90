"""Finding papers without changing the library: full-text search, and a paper by id, id prefix
or title words.

Kept apart from `library` (ingest, dedupe, tagging) so that the commands that only read start
without importing the write side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .errors import AmbiguousIdError, NotFoundError, SearchQueryError, UsageError
from .models import Paper, paper_links
from .normalize import fold
from .store import PaperFilter, Store


def check_source(store: Store, source: str | None) -> None:
    """Refuse a --source the library has no dump for, suggesting the closest name: a filter
    that can match nothing is a typo, not an answer."""
    if source is None or store.has_source(source):
        return
    from rapidfuzz import process

    name = Path(source).name
    best = process.extractOne(name, store.source_names(), score_cutoff=80)
    hint = f"; did you mean {best[0]}?" if best else ""
    raise NotFoundError(f"no dump named {name!r} in this library{hint}")


class SearchHit(BaseModel):
    """A paper found by `search`, with its title and an abstract snippet highlighted."""

    model_config = ConfigDict(defer_build=True)  # built when first used, as in `models`

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
