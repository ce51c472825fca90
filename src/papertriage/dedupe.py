"""Find the entries of a library that are the same paper under slightly different titles.

Pure functions over `Entry` models, no I/O. Three steps, each measured in
`benchmarks/dedupe_quality.py`:

1. Blocking: every entry is filed under its rarest title words; only entries that share a block
   are compared, so the cost grows with the number of entries, not with its square.
2. Scoring: rapidfuzz on the folded titles, the abstract as a second signal, and guards for the
   ways two different papers look alike (version numbers, "Part I/II", a generic short title).
3. Clustering: union-find over the merge decisions, checked so that a chain A~B~C whose ends
   do not match is sent to review instead of being merged.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from papertriage.normalize import fold, strip_markup


class Entry(BaseModel):
    """One distinct title key of the library; exact-key repeats are already one entry."""

    model_config = ConfigDict(frozen=True)

    id: str
    """The paper id of the key."""
    title: str
    """A representative raw title."""
    abstract: str
    """A representative raw abstract (may be empty)."""


class DedupeConfig(BaseModel):
    """Every threshold of the deduper, in one place.

    Title scores are rapidfuzz `ratio` of the folded titles, 0-100. Abstract scores are the share
    of the shorter abstract's word triples found in the other one, 0-100, so an abstract cut short
    still scores 100. Defaults come from `benchmarks/dedupe_quality.py`.
    """

    model_config = ConfigDict(frozen=True)

    merge_title: float = Field(default=90.0, ge=0, le=100)
    """Typo-alike titles this alike merge unless the abstracts differ; with conflicting abstracts,
    titles this alike are still proposed for review."""
    sure_title: float = Field(default=90.0, ge=0, le=100)
    """Titles this alike that differ only by a typo merge without looking at the abstracts."""
    max_typos: int = Field(default=2, ge=0)
    """Letters two titles may differ by to count as a typo (one per 30 letters, at least one)."""
    review_title: float = Field(default=70.0, ge=0, le=100)
    """Titles at least this alike are proposed for review when nothing else decides."""
    candidate_title: float = Field(default=55.0, ge=0, le=100)
    """Pairs below this title score are never looked at: the floor of blocking and verification."""
    abstract_same: float = Field(default=60.0, ge=0, le=100)
    """Abstracts at least this alike make a revised title (above `candidate_title`) a merge."""
    abstract_conflict: float = Field(default=20.0, ge=0, le=100)
    """Abstracts below this are different papers: alike titles then only go to review."""
    min_abstract_words: int = Field(default=20, ge=3)
    """Shorter abstracts (a comment, a stub) say nothing either way."""
    cluster_title: float = Field(default=75.0, ge=0, le=100)
    """In a cluster of three or more, two members below this must also merge on their own."""
    block_words: int = Field(default=4, ge=1)
    """How many of its rarest title words file an entry into blocks."""
    max_block: int = Field(default=3000, ge=2)
    """Words shared by more entries than this are too common to block on."""
    absorb_title: float = Field(default=97.0, ge=0, le=100)
    """In a block, an entry this close to an earlier one is compared through it only."""


Decision = Literal["merge", "review"]


class PairScore(BaseModel):
    """The evidence about two entries and what the deduper made of it."""

    a: str
    b: str
    title_score: float
    abstract_score: float | None
    decision: Decision
    reason: str


class Cluster(BaseModel):
    """Entries merged into one paper, with the edges that joined them."""

    ids: list[str]
    pairs: list[PairScore]
    score: float
    """Lowest title similarity between any two members, 0-100."""


class DedupeResult(BaseModel):
    """Auto-merged clusters, and the review band of possible duplicates."""

    clusters: list[Cluster]
    candidates: list[PairScore]


_WORD = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\d+")
_DIGIT_WORD = re.compile(r"\S*\d\S*")
_ROMAN = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii", "xiii"})
_SERIES = frozenset({"part", "vol", "volume", "book", "chapter", "phase", "stage", "level"})


def series_markers(key: str) -> tuple[str, ...]:
    """The numbers and Roman numerals of a folded title, which tell a series or versions apart.

    `qwen2 5` vs `qwen3` or `part i` vs `part ii` differ by a few characters only, so no
    string similarity separates them; their markers do.
    """
    markers = _DIGITS.findall(key)
    words = key.split()
    for prev, word in zip(["", *words], words, strict=False):
        if word in _ROMAN or (word in {"i", "v", "x"} and prev in _SERIES):
            markers.append(word)
    return tuple(sorted(markers))


def abstract_shingles(abstract: str) -> frozenset[int]:
    """Hashed word triples of an abstract, insensitive to case, markup, wrapping and punctuation."""
    words = _WORD.findall(strip_markup(abstract).casefold())
    return frozenset(map(hash, zip(words, words[1:], words[2:], strict=False)))


def abstract_similarity(a: frozenset[int], b: frozenset[int], min_words: int) -> float | None:
    """Share of the shorter abstract's word triples present in the other, or None if too short.

    Containment rather than Jaccard, so that an abstract cut short or missing its last sentence
    still matches in full, while two different abstracts share only stock phrases.
    """
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if len(small) < min_words - 2:
        return None
    return round(100.0 * len(small & large) / len(small), 1)


def title_similarity(key_a: str, key_b: str) -> float:
    """Similarity of two folded titles, 0-100 (rapidfuzz `ratio`), rounded for stable output."""
    return round(fuzz.ratio(key_a, key_b), 1)


@dataclass
class _Features:
    """What scoring needs of an entry; the abstract part is computed only when asked."""

    entry: Entry
    key: str
    markers: tuple[str, ...]
    name_words: int
    """Words of the key that come from a name before a colon (`PRISM:`), 0 if none."""
    _shingles: frozenset[int] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, entry: Entry) -> _Features:
        key = fold(entry.title)
        match = _NAME_END.search(entry.title)
        name = entry.title[: match.start()] if match else ""
        words = len(fold(name).split()) if 0 < len(name.split()) <= 4 else 0
        return cls(entry, key, series_markers(key), words)

    @property
    def shingles(self) -> frozenset[int]:
        if self._shingles is None:
            self._shingles = abstract_shingles(self.entry.abstract)
        return self._shingles


_NAME_END = re.compile(r"\s*(?::|\s[-–—]\s|\.\s)\s*")


def _judge(
    x: _Features, y: _Features, title: float, config: DedupeConfig
) -> tuple[Decision, float | None, str] | None:
    """Decide one pair from its title score: (decision, abstract score, reason) or None.

    Titles decide alone only when they differ by a typo; otherwise the abstracts decide, and
    titles alone can at most propose the pair for review.
    """
    typo = x.markers == y.markers and _typo_only(x, y, config, 1)
    if typo and title >= config.sure_title and _typo_only(x, y, config, 0):
        return "merge", None, f"titles differ by a typo ({title:.0f}% alike)"
    abstract = abstract_similarity(x.shingles, y.shingles, config.min_abstract_words)
    conflict = abstract is not None and abstract < config.abstract_conflict
    same = abstract is not None and abstract >= config.abstract_same
    short, long_ = sorted((x, y), key=lambda f: (len(f.key), f.key))
    if (
        not conflict
        and len(short.key.split()) >= 4
        and long_.name_words
        and long_.key.split(maxsplit=long_.name_words)[-1] == short.key
    ):
        return "merge", abstract, "one title lost the name before its colon"
    if conflict:
        if title < config.merge_title:
            return None
        return "review", abstract, f"titles {title:.0f}% alike, abstracts only {abstract:.0f}%"
    if x.markers != y.markers:
        if same and _numbers_dropped(x, y):
            return "merge", abstract, f"same abstract ({abstract:.0f}%), a number dropped"
        if title < config.review_title:
            return None
        return "review", abstract, "titles alike but their numbers differ (version or part?)"
    if same:
        return "merge", abstract, f"same abstract ({abstract:.0f}%), titles {title:.0f}% alike"
    if typo and title >= config.merge_title and (abstract or _typo_only(x, y, config, 0)):
        return "merge", abstract, f"titles differ by a typo ({title:.0f}% alike)"
    if title >= config.review_title:
        return "review", abstract, f"titles {title:.0f}% alike, abstracts do not settle it"
    return None


def _typo_only(x: _Features, y: _Features, config: DedupeConfig, least: int) -> bool:
    """True when two titles differ by at most a few letters (spaces ignored), none in a number.

    One letter per 30 is allowed, up to `max_typos` and at least `least`: with `least=0` a short
    title (`A Survey of MoMa` / `MoA`) never counts as a typo.

    Different papers with near-equal titles differ by a word (`Nemotron 3 Ultra` / `Super`,
    `Qwen3-VL` / `Qwen3`) or a suffix to a number (`GPT-4o` / `GPT-4`); a typo does not.
    """
    if _DIGIT_WORD.findall(x.key) != _DIGIT_WORD.findall(y.key):
        return False
    a, b = x.key.replace(" ", ""), y.key.replace(" ", "")
    allowed = max(least, min(config.max_typos, min(len(a), len(b)) // 30))
    if allowed == 0:
        return a == b
    return OSA.distance(a, b, score_cutoff=allowed) <= allowed


def _numbers_dropped(x: _Features, y: _Features) -> bool:
    """True when one title's numbers are the other's minus some, none changed.

    A formula lost from a name (`$\\nabla^2$DFT` -> `DFT`) or a `3D` dropped in a revision
    removes numbers; a new version or part (`Qwen2.5` / `Qwen3`, `Part I` / `Part II`) changes them.
    """
    a, b = Counter(x.markers), Counter(y.markers)
    return a <= b or b <= a


def score_pair(a: Entry, b: Entry, config: DedupeConfig | None = None) -> PairScore | None:
    """Score two entries as `find_duplicates` would, e.g. to explain a manual merge.

    None when the pair is neither a merge nor worth reviewing (or is one entry twice).
    """
    config = config or DedupeConfig()
    if a.id == b.id:
        return None
    x, y = _Features.of(a), _Features.of(b)
    title = title_similarity(x.key, y.key)
    verdict = _judge(x, y, title, config)
    return None if verdict is None else _pair_score(x, y, title, verdict)


def _pair_score(
    x: _Features, y: _Features, title: float, verdict: tuple[Decision, float | None, str]
) -> PairScore:
    a, b = sorted((x.entry.id, y.entry.id))
    decision, abstract, reason = verdict
    return PairScore(
        a=a, b=b, title_score=title, abstract_score=abstract, decision=decision, reason=reason
    )


def _blocks(features: Sequence[_Features], config: DedupeConfig) -> list[list[int]]:
    """Entries filed under their `block_words` rarest words, once more for the subtitle alone.

    Words of a single title are skipped (they can pair nothing), and so are too common ones.
    All entries rank words by the same global rarity, so two titles that share all but two of
    their words each still share their rarest common word, and so a block. Filing the subtitle
    too catches a title that lost its name (`A^2E: ...` / `...`).
    """
    words = [f.key.split() for f in features]
    frequency = Counter(word for ws in words for word in set(ws))
    postings: defaultdict[str, set[int]] = defaultdict(set)

    def file(index: int, ws: Iterable[str]) -> None:
        usable = sorted(
            {w for w in ws if 1 < frequency[w] <= config.max_block},
            key=lambda w: (frequency[w], w),
        )
        for word in usable[: config.block_words]:
            postings[word].add(index)

    for index, (f, ws) in enumerate(zip(features, words, strict=True)):
        file(index, ws)
        if f.name_words:
            file(index, ws[f.name_words :])
    unique = {tuple(sorted(members)) for members in postings.values() if len(members) > 1}
    return [list(members) for members in sorted(unique)]


def _block_pairs(
    block: list[int],
    keys: Sequence[str],
    markers: Sequence[tuple[str, ...]],
    cutoff: float,
    absorb: float | None,
) -> Iterator[tuple[int, int, float]]:
    """Pairs of one block whose titles score at least `cutoff`, as (earlier, later, score).

    With `absorb`, an entry at least that close to an earlier one (same markers) is not offered
    to later entries: in a block of a hundred variants of one title, each is compared with the
    few distinct ones instead of all, which keeps big groups linear.
    """
    choices: list[str] = []
    chosen: list[int] = []
    for index in block:
        absorbed = False
        for _, score, position in process.extract(
            keys[index], choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        ):
            other = chosen[position]
            yield other, index, round(score, 1)
            if absorb is not None and score >= absorb and markers[other] == markers[index]:
                absorbed = True
        if not absorbed:
            choices.append(keys[index])
            chosen.append(index)


def _new_pairs(
    block: list[int], keys: Sequence[str], new: Collection[int], cutoff: float
) -> Iterator[tuple[int, int, float]]:
    """Pairs of one block with at least one new entry (incremental dedupe)."""
    choices = [keys[index] for index in block]
    for index in block:
        if index not in new:
            continue
        for _, score, position in process.extract(
            keys[index], choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        ):
            other = block[position]
            if other != index:
                yield min(index, other), max(index, other), round(score, 1)


def candidate_pairs(
    entries: Sequence[Entry], config: DedupeConfig | None = None, *, exhaustive: bool = False
) -> dict[tuple[str, str], PairScore]:
    """Every pair the deduper merges or proposes, before clustering, keyed by (a, b) ids.

    Blocked like `find_duplicates` but without its absorption shortcut; `exhaustive=True`
    compares all pairs instead, the reference that blocking recall is measured against.
    """
    config = config or DedupeConfig()
    features = [_Features.of(entry) for entry in entries]
    keys = [f.key for f in features]
    blocks = [list(range(len(keys)))] if exhaustive else _blocks(features, config)
    scores: dict[tuple[int, int], float] = {}
    for block in blocks:
        for i, j, title in _block_pairs(block, keys, [], config.candidate_title, None):
            scores[i, j] = title
    pairs = {}
    for (i, j), title in scores.items():
        verdict = _judge(features[i], features[j], title, config)
        if verdict is not None:
            pair = _pair_score(features[i], features[j], title, verdict)
            pairs[pair.a, pair.b] = pair
    return pairs


class _UnionFind:
    """Disjoint sets over 0..n-1 with path halving."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class _Edge:
    i: int
    j: int
    pair: PairScore


def find_duplicates(
    entries: Sequence[Entry],
    config: DedupeConfig | None = None,
    *,
    distinct: Iterable[tuple[str, str]] = (),
    new_ids: Collection[str] | None = None,
) -> DedupeResult:
    """Cluster the entries that are one paper; list the pairs a person should look at.

    `entries` come oldest first and keep that order inside each cluster. `distinct` pairs were
    judged different by the user: never merged, never proposed. With `new_ids`, only pairs with
    at least one new entry are considered (incremental ingest).
    """
    config = config or DedupeConfig()
    features = [_Features.of(entry) for entry in entries]
    keys = [f.key for f in features]
    markers = [f.markers for f in features]
    apart = {frozenset(pair) for pair in distinct}
    blocks = _blocks(features, config)
    scores: dict[tuple[int, int], float] = {}
    if new_ids is None:
        for block in blocks:
            for i, j, title in _block_pairs(
                block, keys, markers, config.candidate_title, config.absorb_title
            ):
                scores[i, j] = title
    else:
        new = {index for index, entry in enumerate(entries) if entry.id in new_ids}
        for block in blocks:
            if not new.isdisjoint(block):
                for i, j, title in _new_pairs(block, keys, new, config.candidate_title):
                    scores[i, j] = title
    merges: list[_Edge] = []
    reviews: list[_Edge] = []
    for (i, j), title in sorted(scores.items()):
        if frozenset((entries[i].id, entries[j].id)) in apart or entries[i].id == entries[j].id:
            continue
        verdict = _judge(features[i], features[j], title, config)
        if verdict is not None:
            edge = _Edge(i, j, _pair_score(features[i], features[j], title, verdict))
            (merges if verdict[0] == "merge" else reviews).append(edge)
    clusters, rejected = _cluster(features, merges, apart, config)
    return DedupeResult(clusters=clusters, candidates=_review(clusters, reviews + rejected))


def _cluster(
    features: Sequence[_Features],
    merges: list[_Edge],
    apart: set[frozenset[str]],
    config: DedupeConfig,
) -> tuple[list[Cluster], list[_Edge]]:
    """Union the merge edges, then keep only groups whose members all belong together.

    A group that would chain two members that neither look alike nor merge on their own is
    rebuilt edge by edge, strongest first, refusing every edge that would join incompatible
    members; refused edges go to review.
    """
    sets = _UnionFind(len(features))
    for edge in merges:
        sets.union(edge.i, edge.j)
    groups: defaultdict[int, list[_Edge]] = defaultdict(list)
    for edge in merges:
        groups[sets.find(edge.i)].append(edge)
    clusters: list[Cluster] = []
    refused: list[_Edge] = []
    for root in sorted(groups):
        edges = groups[root]
        if len(edges) == 1:
            only = edges[0]
            clusters.append(
                _make_cluster(features, edges, {(only.i, only.j): only.pair.title_score})
            )
            continue
        members = sorted({index for edge in edges for index in (edge.i, edge.j)})
        titles = _title_matrix(features, members)

        def compatible(p: int, q: int, titles: dict[tuple[int, int], float] = titles) -> bool:
            x, y = features[p], features[q]
            if frozenset((x.entry.id, y.entry.id)) in apart:
                return False
            title = titles[min(p, q), max(p, q)]
            if title >= config.cluster_title and x.markers == y.markers:
                return True
            verdict = _judge(x, y, title, config)
            return verdict is not None and verdict[0] == "merge"

        if all(compatible(p, q) for p, q in combinations(members, 2)):
            clusters.append(_make_cluster(features, edges, titles))
            continue
        owner = {index: index for index in members}
        group = {index: [index] for index in members}
        kept: defaultdict[int, list[_Edge]] = defaultdict(list)
        for edge in sorted(edges, key=lambda e: (-e.pair.title_score, e.i, e.j)):
            gi, gj = owner[edge.i], owner[edge.j]
            if gi != gj and not all(compatible(p, q) for p in group[gi] for q in group[gj]):
                pair = edge.pair.model_copy(
                    update={
                        "decision": "review",
                        "reason": "not merged: it would chain titles that do not match",
                    }
                )
                refused.append(_Edge(edge.i, edge.j, pair))
                continue
            if gi != gj:
                gi, gj = min(gi, gj), max(gi, gj)
                for index in group.pop(gj):
                    owner[index] = gi
                    group[gi].append(index)
                kept[gi].extend(kept.pop(gj, []))
            kept[gi].append(edge)
        clusters.extend(_make_cluster(features, kept[g], titles) for g in sorted(kept))
    order = {f.entry.id: index for index, f in enumerate(features)}
    clusters.sort(key=lambda cluster: order[cluster.ids[0]])
    return clusters, refused


def _title_matrix(
    features: Sequence[_Features], members: list[int]
) -> dict[tuple[int, int], float]:
    """Title scores of every pair of members (p < q), one rapidfuzz pass per member."""
    keys = [features[index].key for index in members]
    titles: dict[tuple[int, int], float] = {}
    for row, index in enumerate(members[:-1]):
        for _, score, column in process.extract(
            keys[row], keys[row + 1 :], scorer=fuzz.ratio, limit=None
        ):
            titles[index, members[row + 1 + column]] = round(score, 1)
    return titles


def _make_cluster(
    features: Sequence[_Features], edges: list[_Edge], titles: dict[tuple[int, int], float]
) -> Cluster:
    members = sorted({index for edge in edges for index in (edge.i, edge.j)})
    return Cluster(
        ids=[features[index].entry.id for index in members],
        pairs=[edge.pair for edge in sorted(edges, key=lambda e: (e.i, e.j))],
        score=min(titles[p, q] for p, q in combinations(members, 2)),
    )


def _review(clusters: list[Cluster], edges: list[_Edge]) -> list[PairScore]:
    """The review band: proposed pairs not already inside one cluster, most alike first."""
    cluster_of = {member: n for n, cluster in enumerate(clusters) for member in cluster.ids}
    pairs = {
        (edge.pair.a, edge.pair.b): edge.pair
        for edge in edges
        if cluster_of.get(edge.pair.a, -1) != cluster_of.get(edge.pair.b, -2)
    }
    return sorted(pairs.values(), key=lambda pair: (-pair.title_score, pair.a, pair.b))
