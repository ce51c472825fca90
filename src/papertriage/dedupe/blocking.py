"""Which pairs of entries are worth scoring at all: blocks of shared rare title words.

Every entry is filed under its `block_words` rarest title words (rarity counted over the whole
library), once more for its subtitle alone, and under the opening words of its abstract; only
entries that share a block are compared, so the cost grows with the number of entries, not
with its square.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from itertools import chain

from papertriage.dedupe.models import DedupeConfig, Entry, PairScore
from papertriage.dedupe.scoring import (
    Abstracts,
    Features,
    abstract_words,
    judge,
    name_words,
    pair_score,
)

OPENING_WORDS = 12
"""Words of an abstract's opening that file it: fewer are shared by different papers' stock
openings (`reinforcement learning with verifiable rewards rlvr has emerged as a`)."""


def title_keys(entries: Sequence[Entry]) -> list[str]:
    """The folded title of every entry (its `key`, when it came with one)."""
    from papertriage.normalize import fold

    return [fold(entry.title) if entry.key is None else entry.key for entry in entries]


def abstract_opening(abstract: str) -> str | None:
    """The first `OPENING_WORDS` words of an abstract, as `abstract_shingles` reads them.

    A block key for what the title words miss: titles with a typo in every rare word
    (`neeural menamorphosis` / `neurol metamorphhosis`) but one abstract, which a cut-short
    copy shares too. None when the abstract is too short to tell papers apart.
    """
    head = abstract[: 40 * OPENING_WORDS]  # markup is local: a cut only spoils the last word
    words = abstract_words(head)
    if len(words) <= OPENING_WORDS:
        return None
    return " ".join(words[:OPENING_WORDS])


def abstract_openings(abstracts: Sequence[str]) -> list[str | None]:
    """`abstract_opening` of each abstract, each distinct text once (variants share them)."""
    by_text: dict[str, str | None] = {}
    openings = []
    for abstract in abstracts:
        if abstract not in by_text:
            by_text[abstract] = abstract_opening(abstract)
        openings.append(by_text[abstract])
    return openings


class Rarity:
    """The words usable as block keys (held by 2 to `limit` titles), rarest first (ties by the
    word), and what files a title under them."""

    __slots__ = ("by_rarity", "rank")

    def __init__(self, frequency: Mapping[str, int], limit: int) -> None:
        self.by_rarity = sorted(
            (w for w, n in frequency.items() if 1 < n <= limit), key=lambda w: (frequency[w], w)
        )
        self.rank = {word: at for at, word in enumerate(self.by_rarity)}
        """Each word's place, so that each title sorts small ints."""

    def filed_under(self, key: str, title: str, opening: str | None, most: int) -> set[str]:
        """The block keys of one title: its `most` rarest words, as many of its subtitle's
        (after a name before a colon), and its abstract's opening."""
        rank, by_rarity = self.rank, self.by_rarity
        ws = key.split()
        picked = {by_rarity[at] for at in sorted({rank[w] for w in ws if w in rank})[:most]}
        if " " in key and (count := name_words(title)):
            sub = sorted({rank[w] for w in ws[count:] if w in rank})[:most]
            picked.update(by_rarity[at] for at in sub)
        if opening is not None:
            picked.add(opening)
        return picked


def blocks(
    keys: Sequence[str],
    titles: Sequence[str],
    abstracts: Sequence[str],
    config: DedupeConfig,
    new: Collection[int] | None = None,
    *,
    frequency: Mapping[str, int] | None = None,
    openings: Sequence[str | None] | None = None,
) -> list[tuple[int, ...]]:
    """Entries filed under their `block_words` rarest words, once more for the subtitle alone,
    and under their abstract's opening.

    Words of a single title are skipped (they can pair nothing), and so are too common ones.
    All entries rank words by the same global rarity, so two titles that share all but two of
    their words each still share their rarest common word, and so a block. Filing the subtitle
    too catches a title that lost its name (`A^2E: ...` / `...`); the abstract's opening, titles
    typo'd in more words than that (an opening has spaces, so it is never taken for a word).
    With `new`, only the blocks of those entries are built: a pair with a new entry shares one
    of the new entry's keys. `frequency` (titles holding each word) is counted over `keys`
    unless given: an incremental run over a part of a library gives the whole library's.
    `openings` are `abstract_openings(abstracts)`, if already made.
    """
    if frequency is None:
        # words are split again where needed: a million lists of words would outweigh titles
        frequency = Counter(chain.from_iterable(set(key.split()) for key in keys))
    limit = config.max_block
    if openings is None:
        openings = abstract_openings(abstracts)

    rarity = Rarity(frequency, limit)
    most = config.block_words

    def chosen(index: int) -> set[str]:
        return rarity.filed_under(keys[index], titles[index], openings[index], most)

    postings: defaultdict[str, list[int]] = defaultdict(list)
    if new is None:
        for index in range(len(keys)):
            for word in chosen(index):
                postings[word].append(index)
    else:
        wanted: set[str] = set()
        for index in sorted(new):
            wanted |= chosen(index)
        for index, key in enumerate(keys):
            if not wanted.isdisjoint(key.split()) or openings[index] in wanted:
                for word in chosen(index) & wanted:
                    postings[word].append(index)
    unique: dict[tuple[int, ...], None] = {}  # a title's words are often another's too
    while postings:
        members = postings.popitem()[1]
        if 1 < len(members) <= limit:
            unique[tuple(members)] = None
    return list(unique)


def candidate_pairs(
    entries: Sequence[Entry], config: DedupeConfig | None = None, *, exhaustive: bool = False
) -> dict[tuple[str, str], PairScore]:
    """Every pair the deduper merges or proposes, before clustering, keyed by (a, b) ids.

    Blocked like `find_duplicates` but without its absorption shortcut; `exhaustive=True`
    compares all pairs instead, the reference that blocking recall is measured against.
    """
    from papertriage.dedupe.pairs import PairCodes, candidate_codes  # numpy: only when deduping

    config = config or DedupeConfig()
    keys = title_keys(entries)
    texts = Abstracts()
    features = [Features(entry, key, texts) for entry, key in zip(entries, keys, strict=True)]
    if exhaustive:
        groups = [tuple(range(len(keys)))]
    else:
        titles = [entry.title for entry in entries]
        groups = blocks(keys, titles, [entry.abstract for entry in entries], config)
    codes = PairCodes(len(keys))
    pairs = {}
    found = candidate_codes(groups, keys, features, codes, config, absorb=False)
    for i, j, title in codes.decoded(found):
        verdict = judge(features[i], features[j], title, config)
        if verdict is not None:
            pair = pair_score(features[i], features[j], title, verdict)
            pairs[pair.a, pair.b] = pair
    return pairs
