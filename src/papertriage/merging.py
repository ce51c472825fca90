"""Duplicates in the library: run the deduper, apply its merges, and take the user's word.

The deduper (`dedupe.py`) only judges texts; this module turns its verdicts into merged papers,
logs every merge with its evidence, and keeps the user's decisions (merge, split, distinct) so
that no later run undoes them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, combinations
from typing import TYPE_CHECKING, Literal, NamedTuple

from pydantic import BaseModel

from .dedupe import (
    DedupeConfig,
    Entry,
    PairScore,
    collector_paused,
    find_duplicates,
    score_pair,
    title_similarity,
)
from .dedupe.blocking import Rarity, abstract_opening, abstract_openings
from .errors import UsageError
from .faults import pause_point
from .normalize import fold, paper_id
from .store import Store
from .tagging import Tagger

if TYPE_CHECKING:
    from .dedupe.index import TitleIndex


class DedupeSummary(BaseModel):
    """What one dedupe run changed."""

    considered: int
    """Variants (distinct titles) new since the last run, or all of them for a full run."""
    merged: int
    """Variants folded into another paper."""
    candidates: int
    """Possible duplicates proposed for review."""


_INDEX_FROM = 20_000
"""Titles from which a library keeps a `TitleIndex` for its incremental dedupes: below, reading
every title and abstract takes a fraction of a second."""
_INDEX_STALE = 0.1
"""Titles added since the index was made, as a share of those in it, at which it is made again
(with every title read once more), so that a day's dedupe keeps reading few titles."""


def _entries(store: Store, rows: list[tuple[str, str, str, str]] | None = None) -> list[Entry]:
    arxiv = store.variant_arxiv(None if rows is None else (row[0] for row in rows))
    return [
        Entry(id=variant, key=key, title=title, abstract=abstract, arxiv_id=arxiv.get(variant))
        for variant, key, title, abstract in (store.variant_texts() if rows is None else rows)
    ]


class _Part(NamedTuple):
    """The part of a library an incremental dedupe reads, with the whole library's counts."""

    entries: list[Entry]
    frequency: dict[str, int]
    openings: list[str | None]


def _nearby(store: Store, index: TitleIndex, pending: set[str], config: DedupeConfig) -> _Part:
    """The new titles, the titles added since the index, and the titles that share a block
    key with a new one: all that the new titles' blocks hold (see `blocks`)."""
    import numpy as np  # only when deduping a big library

    from .dedupe.index import opening_hash, variant_hex

    recent = store.variant_texts(after=index.upto)
    added = Counter(chain.from_iterable(set(row[1].split()) for row in recent))

    def count(word: str) -> int:
        return index.count(word) + added[word]

    new = [row for row in recent if row[0] in pending]
    rarity = Rarity({w: count(w) for row in new for w in row[1].split()}, config.max_block)
    wanted: set[str] = set()
    for _, key, title, abstract in new:
        wanted |= rarity.filed_under(key, title, abstract_opening(abstract), config.block_words)
    openings = {opening for opening in wanted if " " in opening}
    near = np.union1d(
        index.holders(wanted - openings), index.with_openings(map(opening_hash, openings))
    )
    rows = store.variant_texts(ids=map(variant_hex, near.tolist()), after=index.upto)
    frequency = {w: count(w) for w in set(chain.from_iterable(row[1].split() for row in rows))}
    return _Part(_entries(store, rows), frequency, abstract_openings([row[3] for row in rows]))


def _keep_index(
    store: Store,
    index: TitleIndex | None,
    entries: Sequence[Entry],
    openings: Sequence[str | None],
    config: DedupeConfig,
) -> None:
    """Make the library's title index if it has none and is big enough, or if many titles came
    since it was made; `entries` are every title of the library when `index` is None."""
    upto = store.last_variant()
    if index is not None:
        if store.variant_count() - index.size <= _INDEX_STALE * index.size:
            return
        entries = _entries(store)
        openings = abstract_openings([entry.abstract for entry in entries])
    if len(entries) < _INDEX_FROM:
        return
    from .dedupe.index import build_index

    keys = [entry.key or fold(entry.title) for entry in entries]
    made = build_index(upto, [e.id for e in entries], keys, openings, config.max_block)
    store.save_title_index(made.to_blobs())


def tag_papers(store: Store, tagger: Tagger, papers: Iterable[str]) -> None:
    """Tag these papers by what they show now, in the caller's transaction: a merge or split
    changes what a paper shows (or makes a new one), and its tags must follow at once."""
    ids = list(dict.fromkeys(papers))
    tags = tagger.tag_batch([store.paper_text(paper) for paper in ids])
    store.set_rule_tags(tagger.fingerprint(), list(zip(ids, tags, strict=True)))


def dedupe_library(
    store: Store,
    config: DedupeConfig | None = None,
    *,
    full: bool = False,
    tagger: Tagger | None = None,
) -> DedupeSummary:
    """Merge what the deduper finds among new titles (or all titles), in one transaction.

    New titles are those not yet deduped: an interrupted run leaves them pending, and the next
    run picks them up. With `tagger`, merged papers are tagged in the same transaction;
    without, they wait for the caller's `tag_pending` (an ingest tags all it changed).
    """
    config = config or DedupeConfig()
    with store.atomic(), collector_paused():
        pending = store.pending_variants()
        if not pending and not full:
            return DedupeSummary(considered=0, merged=0, candidates=0)
        stored = None if full else store.title_index()
        index = None
        if stored is not None:
            from .dedupe.index import TitleIndex  # numpy: only when deduping a big library

            index = TitleIndex.from_blobs(stored)
        if index is not None:  # a big library: read the new titles and their neighbours
            entries, frequency, openings = _nearby(store, index, pending, config)
            new_ids: set[str] | None = pending
        else:
            entries = _entries(store)
            frequency = None
            openings = abstract_openings([entry.abstract for entry in entries])
            # When every title is new (a first ingest), the full run is the same question,
            # and its blocking can skip more pairs.
            everything = full or all(entry.id in pending for entry in entries)
            new_ids = None if everything else pending
        result = find_duplicates(
            entries,
            config,
            distinct=store.distinct_pairs(),
            new_ids=new_ids,
            frequency=frequency,
            openings=openings,
        )
        evidence: dict[str, PairScore] = {}
        for cluster in result.clusters:
            for pair in cluster.pairs:
                evidence.setdefault(pair.a, pair)
                evidence.setdefault(pair.b, pair)
        merged, targets = _merge_groups(
            store, [cluster.ids for cluster in result.clusters], evidence, "auto"
        )
        decided, decided_targets = merge_decided(store)
        merged += decided
        targets |= decided_targets
        # One recount for all merged papers: per cluster, it was most of the time at 1M records.
        store.refresh_papers(targets)
        if tagger is not None:
            tag_papers(store, tagger, targets)
        store.add_candidates(
            (pair.a, pair.b, pair.title_score, pair.abstract_score, pair.reason)
            for pair in result.candidates
        )
        store.mark_deduped()
        _keep_index(store, index, entries, openings, config)
        pause_point("dedupe")
    return DedupeSummary(
        considered=len(entries) if full else len(pending),
        merged=merged,
        candidates=len(result.candidates),
    )


def _merge_groups(
    store: Store,
    groups: Sequence[Sequence[str]],
    evidence: Mapping[str, PairScore],
    origin: Literal["auto", "user"],
) -> tuple[int, set[str]]:
    """Fold the papers of each group of variants into the oldest of them, logging each moved
    variant with its evidence (by variant id). Groups that share a paper become one.

    Returns how many variants moved and the papers they moved into, whose summaries the
    caller refreshes. All groups move in a few statements: a first dedupe of a million-record
    library merges tens of thousands.
    """
    paper_of = store.variant_paper_map(variant for group in groups for variant in group)
    parent: dict[str, str] = {}

    def root(paper: str) -> str:
        while (up := parent.setdefault(paper, paper)) != paper:
            parent[paper] = parent.setdefault(up, up)
            paper = up
        return paper

    for group in groups:
        papers = [paper_of[variant] for variant in group if variant in paper_of]
        for paper in papers[1:]:
            parent[root(paper)] = root(papers[0])
    together: dict[str, list[str]] = {}
    for paper in parent:
        together.setdefault(root(paper), []).append(paper)
    ages = store.paper_ages(parent)
    moves = []
    for papers in together.values():
        known = [paper for paper in papers if paper in ages]
        if len(known) > 1:
            target = min(known, key=ages.__getitem__)
            moves += [(source, target) for source in sorted(known) if source != target]
    target_of = dict(moves)
    logs = []
    for source, variants in store.move_papers(moves).items():
        for variant in variants:
            pair = evidence.get(variant)
            logs.append(
                (
                    target_of[source],
                    variant,
                    origin,
                    pair.title_score if pair else None,
                    pair.abstract_score if pair else None,
                    pair.reason if pair else "merged with its paper",
                )
            )
    store.log_merges(logs)
    return len(logs), set(target_of.values())


def join_same_arxiv(
    store: Store, joined: Sequence[tuple[str, str, str]], same: Sequence[tuple[str, str, str]]
) -> None:
    """What one arXiv id makes of the papers a response names, in the caller's transaction.

    `joined` (paper, title, id): a new title the id brought to its paper (a revised title),
    logged as a merge so that `dupes` says why. `same` (paper, paper, id): two papers one id
    shows to be one, folded into the oldest, whatever their titles or the user's "not a
    duplicate": an id names one paper.
    """

    def score(a: str, b: str) -> float:
        return title_similarity(fold(a), fold(b))

    store.log_merges(
        (
            paper,
            variant,
            "auto",
            score(store.paper_text(paper)[0], store.variant_title(variant)),
            None,
            f"same arXiv id {arxiv}",
        )
        for paper, variant, arxiv in joined
    )
    groups: list[list[str]] = []
    evidence: dict[str, PairScore] = {}
    for a, b, arxiv in same:
        pair = PairScore(
            a=min(a, b),
            b=max(a, b),
            title_score=score(store.paper_text(a)[0], store.paper_text(b)[0]),
            abstract_score=None,
            decision="merge",
            reason=f"same arXiv id {arxiv}",
        )
        groups.append([a, b])
        for variant in (*store.paper_variants(a), *store.paper_variants(b)):
            evidence[variant] = pair
    if groups:
        store.refresh_papers(_merge_groups(store, groups, evidence, "auto")[1])


def _one_paper(store: Store, variant: str) -> None:
    """Refuse to take a title out of its paper when a response gave both the same arXiv id."""
    arxiv = store.shared_arxiv(variant)
    if arxiv is not None:
        raise UsageError(
            f"title {variant} and the rest of its paper are arXiv {arxiv}: one paper, not split"
        )


def merge_decided(store: Store) -> tuple[int, set[str]]:
    """Merge the pairs the user called one paper before both were in the library (imported
    decisions), unless another decision keeps their papers apart. Returns how many titles moved
    and the papers they moved into, whose summaries the caller refreshes."""
    groups: list[list[str]] = []
    evidence: dict[str, PairScore] = {}
    for a, b, paper_a, paper_b in store.decided_merges():
        if store.kept_apart(paper_a, paper_b) or len(store.papers_arxiv([paper_a, paper_b])) > 1:
            continue
        groups.append([a, b])
        title_a, title_b = fold(store.variant_title(a)), fold(store.variant_title(b))
        evidence[a] = evidence[b] = PairScore(
            a=a,
            b=b,
            title_score=title_similarity(title_a, title_b),
            abstract_score=None,
            decision="merge",
            reason="merged by you",
        )
    if not groups:
        return 0, set()
    return _merge_groups(store, groups, evidence, "user")


def merge_papers(
    store: Store,
    ids: Sequence[str],
    tagger: Tagger,
    config: DedupeConfig | None = None,
    *,
    force: bool = False,
) -> str:
    """The user's merge: these papers are one, tagged by what it shows. Returns the id the
    merged paper keeps.

    Papers the user called distinct merge only with `force`, which takes that word back.
    """
    papers = list(dict.fromkeys(store.resolve_id(text) for text in ids))
    if len(papers) < 2:
        raise UsageError("give at least two different papers to merge")
    arxiv = store.papers_arxiv(papers)
    if len(set(arxiv.values())) > 1:
        named = ", ".join(f"{paper} is arXiv {ident}" for paper, ident in sorted(arxiv.items()))
        raise UsageError(f"papers with different arXiv ids are different papers ({named})")
    apart = [(a, b) for a, b in combinations(papers, 2) if store.kept_apart(a, b)]
    if apart and not force:
        a, b = apart[0]
        raise UsageError(
            f"{a[:8]} and {b[:8]} were marked not duplicates (`papertriage distinct`); merge them"
            " anyway with --force"
        )
    with store.atomic():
        for a, b in apart:
            store.forget_distinct(a, b)
        target = store.oldest_paper(papers)
        kept_title, kept_abstract = store.paper_text(target)
        kept = Entry(id=target, title=kept_title, abstract=kept_abstract)
        evidence: dict[str, PairScore] = {}
        for paper in papers:
            if paper == target:
                continue
            title, abstract = store.paper_text(paper)
            # What the deduper would have said, so the log shows the scores it was overruled on.
            judged = score_pair(kept, Entry(id=paper, title=title, abstract=abstract), config)
            for variant in store.paper_variants(paper):
                evidence[variant] = PairScore(
                    a=min(target, variant),
                    b=max(target, variant),
                    title_score=judged.title_score
                    if judged
                    else title_similarity(fold(kept.title), fold(title)),
                    abstract_score=judged.abstract_score if judged else None,
                    decision="merge",
                    reason="merged by you",
                )
            store.decide_pair(target, paper, same=True)
        variants = [v for paper in papers for v in store.paper_variants(paper)]
        _merge_groups(store, [variants], evidence, "user")
        store.refresh_papers([target])
        tag_papers(store, tagger, [target])
        pause_point("merge")
    store.sync_search_index()
    return target


def split_paper(store: Store, text: str, tagger: Tagger) -> list[str]:
    """Undo merges: an alias id splits that title out; a paper id splits every title apart.

    The user's split is remembered as "not duplicates", so no later run merges them again.
    Every paper that results is tagged by what it shows, in the same transaction. Returns
    their ids.
    """
    variant, paper = store.resolve_variant(text)
    members = store.paper_variants(paper)
    if len(members) < 2:
        raise UsageError(f"paper {paper} is not a merge of several titles: nothing to split")
    with store.atomic():
        leaving = [variant] if variant != paper else [m for m in members if m != paper]
        for gone in leaving:
            _one_paper(store, gone)
            store.detach_variant(gone)
            for other in members:
                if other != gone:
                    store.decide_pair(gone, other, same=False)
        store.refresh_papers([paper, *leaving])
        tag_papers(store, tagger, [paper, *leaving])
        pause_point("split")
    store.sync_search_index()
    return [paper, *leaving]


def mark_distinct(store: Store, first: str, second: str, tagger: Tagger) -> None:
    """The user's "not a duplicate": never merged, never proposed again. A title taken back
    out of a merge is tagged as a split one is."""
    variant_a, paper_a = store.resolve_variant(first)
    variant_b, paper_b = store.resolve_variant(second)
    if variant_a == variant_b:
        raise UsageError("give two different papers")
    with store.atomic():
        if paper_a == paper_b:
            # They were merged: take the named title back out.
            leaving = variant_b if variant_b != paper_a else variant_a
            _one_paper(store, leaving)
            store.detach_variant(leaving)
            store.refresh_papers([paper_a, leaving])
            tag_papers(store, tagger, [paper_a, leaving])
        members_a = store.paper_variants(store.resolve_id(variant_a))
        members_b = store.paper_variants(store.resolve_id(variant_b))
        for a, b in {(a, b) for a in members_a for b in members_b if a != b}:
            store.decide_pair(a, b, same=False)
    store.sync_search_index()


# --- what `dupes` shows ----------------------------------------------------------------------


class Member(BaseModel):
    """One sighting of a duplicated paper."""

    source: str
    date: dt.date | None
    position: int
    title: str
    variant: str
    """The id of this title on its own (an alias of the paper when merged)."""


class MergeReason(BaseModel):
    variant: str
    title: str
    origin: str
    title_score: float | None
    abstract_score: float | None
    reason: str


class DuplicateGroup(BaseModel):
    id: str
    title: str
    seen: int
    score: float
    """Lowest title similarity between the titles it was seen under (100: all equal)."""
    members: list[Member]
    merges: list[MergeReason]


def duplicate_groups(
    store: Store, min_seen: int = 2, *, varied: bool = False
) -> list[DuplicateGroup]:
    """Every paper seen at least `min_seen` times (`varied`: under more than one title), with
    its variants and why they merged."""
    groups: list[DuplicateGroup] = []
    for paper in store.duplicated_papers(min_seen, varied=varied):
        rows = store.sightings_with_keys(paper)
        title, _ = store.paper_text(paper)
        members = [
            Member(
                source=row["source"],
                date=dt.date.fromisoformat(row["date"]) if row["date"] else None,
                position=row["position"],
                title=row["title"],
                variant=paper_id(row["key"]),
            )
            for row in rows
        ]
        keys = sorted({row["key"] for row in rows})
        score = min(
            (title_similarity(a, b) for a, b in combinations(keys, 2)),
            default=100.0,
        )
        merges = [
            MergeReason(
                variant=row["variant_id"],
                title=store.variant_title(row["variant_id"]),
                origin=row["origin"],
                title_score=row["title_score"],
                abstract_score=row["abstract_score"],
                reason=row["reason"],
            )
            for row in store.merge_log(paper)
        ]
        groups.append(
            DuplicateGroup(
                id=paper,
                title=title,
                seen=len(members),
                score=round(score, 1),
                members=members,
                merges=merges,
            )
        )
    return groups


class Candidate(BaseModel):
    """A pair the deduper was not sure about: the user decides."""

    a: str
    b: str
    title_a: str
    title_b: str
    title_score: float
    abstract_score: float | None
    reason: str


def review_candidates(store: Store) -> list[Candidate]:
    return [
        Candidate(
            a=row["paper_a"],
            b=row["paper_b"],
            title_a=store.variant_title(row["a"]),
            title_b=store.variant_title(row["b"]),
            title_score=row["title_score"],
            abstract_score=row["abstract_score"],
            reason=row["reason"],
        )
        for row in store.candidates()
    ]
