"""From scored pairs to papers: guarded union of the merge decisions, and the review band.

Pairs are taken most alike first; a pair whose entries are already one paper is not even
judged, so a paper seen a hundred times costs about a hundred judgements, not thousands. Two
groups are joined only when every member of one is compatible with every member of the other,
so a chain A~B~C whose ends do not match goes to review instead of being merged.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from papertriage.dedupe.blocking import blocks, title_keys
from papertriage.dedupe.models import (
    Cluster,
    DedupeConfig,
    DedupeResult,
    Entry,
    PairScore,
)
from papertriage.dedupe.scoring import Abstracts, Features, Verdict, judge, pair_score

_CHAIN = "not merged: it would chain titles that do not match"


def _other_papers(a: str, b: str) -> str:
    return f"not merged: different arXiv ids ({a}, {b}) are different papers"


class _Group:
    """Entries joined so far, with what the compatibility check needs to stay cheap.

    `radius` bounds the edit (Indel) distance from the `center` title to any member's, so by
    the triangle inequality a newcomer close enough to the center is close enough to everyone.
    """

    __slots__ = (
        "arxiv",
        "center",
        "edges",
        "guarded",
        "markers",
        "members",
        "radius",
        "shortest",
    )

    def __init__(self, index: int, features: Features, guarded: bool) -> None:
        self.arxiv = features.entry.arxiv_id
        self.members = [index]
        self.center = index
        self.radius = 0
        self.shortest = len(features.key)
        self.markers: tuple[str, ...] | None = features.markers
        self.guarded = guarded
        self.edges: list[tuple[int, int, float, Verdict]] = []


class _Clusterer:
    """Guarded union of merge decisions over entries whose features are made on demand."""

    def __init__(
        self,
        entries: Sequence[Entry],
        keys: Sequence[str],
        features: list[Features | None],
        abstracts: Abstracts,
        apart: set[frozenset[str]],
        config: DedupeConfig,
    ) -> None:
        self.entries = entries
        self.keys = keys
        self.features = features
        self.apart = apart
        self.guarded_ids = {ident for pair in apart for ident in pair}
        self.config = config
        self.group_of: dict[int, _Group] = {}
        self.abstracts = abstracts
        self.reviews: list[tuple[int, int, float, Verdict]] = []

    def feature(self, index: int) -> Features:
        found = self.features[index]
        if found is None:
            found = self.features[index] = Features(
                self.entries[index], self.keys[index], self.abstracts
            )
        return found

    def group(self, index: int) -> _Group:
        found = self.group_of.get(index)
        if found is None:
            guarded = self.entries[index].id in self.guarded_ids
            found = self.group_of[index] = _Group(index, self.feature(index), guarded)
        return found

    def take(self, i: int, j: int, title: float) -> None:
        """Judge one pair (most alike first) and merge, refuse or propose it."""
        a, b = self.group_of.get(i), self.group_of.get(j)
        if a is not None and a is b:
            return
        x, y = self.entries[i], self.entries[j]
        if x.id == y.id or (self.apart and frozenset((x.id, y.id)) in self.apart):
            return
        verdict = judge(self.feature(i), self.feature(j), title, self.config)
        if verdict is None:
            return
        if verdict[0] == "review":
            self.reviews.append((i, j, title, verdict))
            return
        a, b = self.group(i), self.group(j)
        if a.arxiv and b.arxiv and a.arxiv != b.arxiv:
            self.reviews.append(
                (i, j, title, ("review", verdict[1], _other_papers(a.arxiv, b.arxiv)))
            )
            return
        if len(a.members) < len(b.members):
            a, b = b, a
        distances = self.fits(a, b)
        if distances is None:
            self.reviews.append((i, j, title, ("review", verdict[1], _CHAIN)))
            return
        for index in b.members:
            self.group_of[index] = a
        a.members.extend(b.members)
        a.edges.extend(b.edges)
        a.edges.append((i, j, title, verdict))
        a.radius = max(a.radius, *distances)
        a.shortest = min(a.shortest, b.shortest)
        a.markers = a.markers if a.markers == b.markers else None
        a.guarded = a.guarded or b.guarded
        a.arxiv = a.arxiv or b.arxiv

    def fits(self, a: _Group, b: _Group) -> list[int] | None:
        """Whether every member of `b` is compatible with every member of `a`: the distances
        of `b`'s members from `a`'s center if so (for the new radius), None if not."""
        keys, config = self.keys, self.config
        center = keys[a.center]
        distances = []
        plain = not a.guarded and not b.guarded and a.markers is not None
        for q in b.members:
            key = keys[q]
            distance = Indel.distance(center, key)
            distances.append(distance)
            # ratio = 100 * (1 - d / (len(p) + len(q))) and d(p, q) <= radius + distance
            if (
                plain
                and a.markers == self.feature(q).markers
                and 100 * (a.shortest + len(key) - a.radius - distance)
                >= config.cluster_title * (a.shortest + len(key))
            ):
                continue
            if not all(self.compatible(p, q) for p in a.members):
                return None
        return distances

    def compatible(self, p: int, q: int) -> bool:
        """Two members may share a cluster: titles alike with the same numbers, or a merge."""
        x, y = self.feature(p), self.feature(q)
        if self.apart and frozenset((x.entry.id, y.entry.id)) in self.apart:
            return False
        title = round(fuzz.ratio(x.key, y.key), 1)
        if title >= self.config.cluster_title and x.markers == y.markers:
            return True
        verdict = judge(x, y, title, self.config)
        return verdict is not None and verdict[0] == "merge"

    def clusters(self) -> list[Cluster]:
        groups = {id(group): group for group in self.group_of.values() if len(group.members) > 1}
        made = []
        for group in groups.values():
            members = sorted(group.members)
            edges = sorted(group.edges, key=lambda edge: (edge[0], edge[1]))
            made.append(
                Cluster(
                    ids=[self.entries[index].id for index in members],
                    pairs=[self.pair(*edge) for edge in edges],
                    score=self.lowest_title(group, min(edge[2] for edge in edges)),
                )
            )
        order = {entry.id: index for index, entry in enumerate(self.entries)}
        made.sort(key=lambda cluster: order[cluster.ids[0]])
        return made

    def lowest_title(self, group: _Group, best: float) -> float:
        """The lowest title score between two members, without scoring every pair of a big
        group: members far from the center go first, and once the two farthest left are
        provably closer than the lowest score seen, the rest cannot go lower."""
        keys = [self.keys[index] for index in group.members]
        if len(keys) == 2:
            return best
        center = self.keys[group.center]
        distances = [int(Indel.distance(center, key)) for key in keys]
        order = sorted(range(len(keys)), key=lambda n: -distances[n])
        twice_shortest = 2 * min(map(len, keys))
        for rank, n in enumerate(order[:-1]):
            reach = distances[n] + distances[order[rank + 1]]
            if 100 * (twice_shortest - reach) >= best * twice_shortest:
                break
            others = [keys[m] for m in order[rank + 1 :]]
            scores = process.extract(keys[n], others, scorer=fuzz.ratio, limit=None)
            best = min(best, round(min(score for _, score, _ in scores), 1))
        return best

    def pair(self, i: int, j: int, title: float, verdict: Verdict) -> PairScore:
        return pair_score(self.feature(i), self.feature(j), title, verdict)

    def candidates(self) -> list[PairScore]:
        """The review band: proposed pairs not inside one cluster, most alike first."""
        group_of = self.group_of
        pairs = [
            self.pair(*edge)
            for edge in self.reviews
            if edge[0] not in group_of or group_of.get(edge[0]) is not group_of.get(edge[1])
        ]
        return sorted(pairs, key=lambda pair: (-pair.title_score, pair.a, pair.b))


def find_duplicates(
    entries: Sequence[Entry],
    config: DedupeConfig | None = None,
    *,
    distinct: Iterable[tuple[str, str]] = (),
    new_ids: Collection[str] | None = None,
    frequency: Mapping[str, int] | None = None,
    openings: Sequence[str | None] | None = None,
) -> DedupeResult:
    """Cluster the entries that are one paper; list the pairs a person should look at.

    `entries` come oldest first and keep that order inside each cluster. `distinct` pairs were
    judged different by the user: never merged, never proposed. With `new_ids`, only pairs with
    at least one new entry are considered (incremental ingest); then `entries` may be a part
    of a library (the new entries and their neighbours) with the whole library's word
    `frequency` (see `blocks`, which also takes the `openings` if made).
    """
    config = config or DedupeConfig()
    apart = {frozenset(pair) for pair in distinct}
    with collector_paused():
        return _find(entries, config, apart, new_ids, frequency, openings)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a while, as it was after.

    A dedupe run makes millions of small objects (rows, entries, pairs), none of them in a
    cycle: each collection would only rescan them all.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _find(
    entries: Sequence[Entry],
    config: DedupeConfig,
    apart: set[frozenset[str]],
    new_ids: Collection[str] | None,
    frequency: Mapping[str, int] | None,
    openings: Sequence[str | None] | None,
) -> DedupeResult:
    from papertriage.dedupe.pairs import (  # numpy: only when deduping
        PairCodes,
        candidate_codes,
        new_codes,
        thin_versions,
    )

    keys = title_keys(entries)
    titles = [entry.title for entry in entries]
    abstracts = [entry.abstract for entry in entries]
    features: list[Features | None] = [None] * len(entries)
    texts = Abstracts()
    codes = PairCodes(len(entries))
    if new_ids is None:
        every = [Features(entry, key, texts) for entry, key in zip(entries, keys, strict=True)]
        groups = blocks(keys, titles, abstracts, config, frequency=frequency, openings=openings)
        pairs = candidate_codes(groups, keys, every, codes, config, absorb=True)
        features[:] = every
    else:
        new = {index for index, entry in enumerate(entries) if entry.id in new_ids}
        groups = (
            blocks(keys, titles, abstracts, config, new, frequency=frequency, openings=openings)
            if new
            else []
        )
        pairs = thin_versions(new_codes(groups, keys, new, codes, config), codes, keys, abstracts)
    clusterer = _Clusterer(entries, keys, features, texts, apart, config)
    for i, j, title in codes.decoded(pairs):
        clusterer.take(i, j, title)
    return DedupeResult(clusters=clusterer.clusters(), candidates=clusterer.candidates())
