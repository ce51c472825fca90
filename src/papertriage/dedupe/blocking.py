"""Which pairs of entries are worth scoring at all: blocks of shared rare title words.

Every entry is filed under its `block_words` rarest title words (rarity counted over the whole
library), and once more for its subtitle alone; only entries that share a block are compared,
so the cost grows with the number of entries, not with its square.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from itertools import chain

from rapidfuzz import fuzz, process

from papertriage.dedupe.models import DedupeConfig, Entry, PairScore
from papertriage.dedupe.scoring import Features, judge, name_words, pair_score


class PairCodes:
    """Scored pairs packed into one int each, so that sorting them is sorting ints.

    A code sorts by title score (highest first), then by the two entry indexes: the order in
    which clustering takes the pairs. Millions of pairs then cost tens of bytes each.
    """

    def __init__(self, size: int) -> None:
        self.bits = max(1, (size - 1).bit_length())
        self.mask = (1 << self.bits) - 1
        self.codes: list[int] = []

    def add(self, i: int, j: int, score: float) -> None:
        if i > j:
            i, j = j, i
        tenths = round(round(score, 1) * 10)
        self.codes.append((((1000 - tenths) << self.bits | i) << self.bits) | j)

    def sorted(self) -> list[tuple[int, int, float]]:
        """Distinct pairs as (i, j, title score), most alike first."""
        bits, mask = self.bits, self.mask
        pairs = []
        previous = -1
        for code in sorted(self.codes):
            if code != previous:
                previous = code
                pairs.append(((code >> bits) & mask, code & mask, (1000 - (code >> 2 * bits)) / 10))
        return pairs


def title_keys(entries: Sequence[Entry]) -> list[str]:
    """The folded title of every entry."""
    from papertriage.normalize import fold

    return [fold(entry.title) for entry in entries]


def blocks(
    keys: Sequence[str],
    titles: Sequence[str],
    config: DedupeConfig,
    new: Collection[int] | None = None,
) -> list[list[int]]:
    """Entries filed under their `block_words` rarest words, once more for the subtitle alone.

    Words of a single title are skipped (they can pair nothing), and so are too common ones.
    All entries rank words by the same global rarity, so two titles that share all but two of
    their words each still share their rarest common word, and so a block. Filing the subtitle
    too catches a title that lost its name (`A^2E: ...` / `...`). With `new`, only the blocks
    of those entries are built: a pair with a new entry shares one of the new entry's words.
    """
    # words are split again where needed: a million lists of words would outweigh the titles
    frequency = Counter(chain.from_iterable(set(key.split()) for key in keys))
    limit = config.max_block

    def chosen(index: int) -> set[str]:
        ws = keys[index].split()
        usable = sorted(
            {w for w in ws if 1 < frequency[w] <= limit}, key=lambda w: (frequency[w], w)
        )
        picked = set(usable[: config.block_words])
        if " " in keys[index] and (count := name_words(titles[index])):
            sub = sorted(
                {w for w in ws[count:] if 1 < frequency[w] <= limit},
                key=lambda w: (frequency[w], w),
            )
            picked.update(sub[: config.block_words])
        return picked

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
            if not wanted.isdisjoint(key.split()):
                for word in chosen(index) & wanted:
                    postings[word].append(index)
    unique = dict.fromkeys(tuple(members) for members in postings.values() if len(members) > 1)
    return [list(members) for members in unique]


def block_pairs(
    block: list[int],
    keys: Sequence[str],
    markers: Sequence[tuple[str, ...]] | None,
    cutoff: float,
    absorb: float | None,
    out: PairCodes,
) -> None:
    """Add the pairs of one block whose titles score at least `cutoff` to `out`.

    With `absorb`, an entry at least that close to an earlier one (same markers) is compared
    through it only: paired with its absorbers alone and not offered to later entries. In a
    block of a hundred variants of one title, each is compared with the few distinct ones
    instead of all, and only those meet the variants of a look-alike paper: big groups and
    their neighbours stay linear.
    """
    choices: list[str] = []
    chosen: list[int] = []
    ratio = fuzz.ratio
    for index in block:
        key = keys[index]
        absorbed = False
        if len(choices) <= 4:
            found = [
                (other, score)
                for other, choice in zip(chosen, choices, strict=True)
                if (score := ratio(key, choice, score_cutoff=cutoff)) >= cutoff
            ]
        else:
            found = [
                (chosen[position], score)
                for _, score, position in process.extract(
                    key, choices, scorer=ratio, score_cutoff=cutoff, limit=None
                )
            ]
        if absorb is not None and markers is not None:
            mine = markers[index]
            absorbers = [
                (other, score)
                for other, score in found
                if score >= absorb and markers[other] == mine
            ]
            absorbed = bool(absorbers)
            if absorbed:
                found = absorbers
        for other, score in found:
            out.add(other, index, score)
        if not absorbed:
            choices.append(key)
            chosen.append(index)


def new_pairs(
    block: list[int], keys: Sequence[str], new: Collection[int], cutoff: float, out: PairCodes
) -> None:
    """Add the pairs of one block with at least one new entry (incremental dedupe) to `out`."""
    choices = [keys[index] for index in block]
    for index in block:
        if index not in new:
            continue
        for _, score, position in process.extract(
            keys[index], choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        ):
            other = block[position]
            if other != index:
                out.add(index, other, score)


def candidate_pairs(
    entries: Sequence[Entry], config: DedupeConfig | None = None, *, exhaustive: bool = False
) -> dict[tuple[str, str], PairScore]:
    """Every pair the deduper merges or proposes, before clustering, keyed by (a, b) ids.

    Blocked like `find_duplicates` but without its absorption shortcut; `exhaustive=True`
    compares all pairs instead, the reference that blocking recall is measured against.
    """
    config = config or DedupeConfig()
    keys = title_keys(entries)
    features = [Features(entry, key) for entry, key in zip(entries, keys, strict=True)]
    if exhaustive:
        groups = [list(range(len(keys)))]
    else:
        groups = blocks(keys, [entry.title for entry in entries], config)
    codes = PairCodes(len(keys))
    for block in groups:
        block_pairs(block, keys, None, config.candidate_title, None, codes)
    pairs = {}
    for i, j, title in codes.sorted():
        verdict = judge(features[i], features[j], title, config)
        if verdict is not None:
            pair = pair_score(features[i], features[j], title, verdict)
            pairs[pair.a, pair.b] = pair
    return pairs
