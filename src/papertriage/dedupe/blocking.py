"""Which pairs of entries are worth scoring at all: blocks of shared rare title words.

Every entry is filed under its `block_words` rarest title words (rarity counted over the whole
library), once more for its subtitle alone, and under the opening words of its abstract; only
entries that share a block are compared, so the cost grows with the number of entries, not
with its square.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import chain, islice

from rapidfuzz import fuzz, process

from papertriage.dedupe.models import DedupeConfig, Entry, PairScore
from papertriage.dedupe.scoring import (
    ABSTRACT_WORD,
    Features,
    conflict_proved,
    judge,
    name_words,
    pair_score,
)
from papertriage.normalize import strip_markup

OPENING_WORDS = 12
"""Words of an abstract's opening that file it: fewer are shared by different papers' stock
openings (`reinforcement learning with verifiable rewards rlvr has emerged as a`)."""


class PairCodes:
    """Scored pairs packed into one int each, so that sorting them is sorting ints.

    A code sorts by title score (highest first), then by the two entry indexes: the order in
    which clustering takes the pairs. Millions of pairs then cost tens of bytes each.
    """

    def __init__(self, size: int) -> None:
        self.bits = max(1, (size - 1).bit_length())
        self.mask = (1 << self.bits) - 1
        self.codes: list[int] = []

    def add(self, j: int, found: Iterable[tuple[int, float]]) -> None:
        """Add the pairs of entry `j` with each (entry, title score) found for it."""
        bits, codes = self.bits, self.codes
        for i, score in found:
            low, high = (i, j) if i < j else (j, i)
            tenths = round(round(score, 1) * 10)
            codes.append((((1000 - tenths) << bits | low) << bits) | high)

    def sorted(self) -> Iterator[tuple[int, int, float]]:
        """Distinct pairs as (i, j, title score), most alike first; the codes are used up.

        Sorted in place and decoded one at a time: tuples for millions of pairs would weigh
        several times the codes.
        """
        bits, mask = self.bits, self.mask
        codes, self.codes = self.codes, []
        codes.sort()
        previous = -1
        for code in codes:
            if code != previous:
                previous = code
                yield (code >> bits) & mask, code & mask, (1000 - (code >> 2 * bits)) / 10


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
    words = [
        m.group()
        for m in islice(ABSTRACT_WORD.finditer(strip_markup(head).casefold()), OPENING_WORDS + 1)
    ]
    if len(words) <= OPENING_WORDS:
        return None
    return " ".join(words[:OPENING_WORDS])


def blocks(
    keys: Sequence[str],
    titles: Sequence[str],
    abstracts: Sequence[str],
    config: DedupeConfig,
    new: Collection[int] | None = None,
) -> list[tuple[int, ...]]:
    """Entries filed under their `block_words` rarest words, once more for the subtitle alone,
    and under their abstract's opening.

    Words of a single title are skipped (they can pair nothing), and so are too common ones.
    All entries rank words by the same global rarity, so two titles that share all but two of
    their words each still share their rarest common word, and so a block. Filing the subtitle
    too catches a title that lost its name (`A^2E: ...` / `...`); the abstract's opening, titles
    typo'd in more words than that (an opening has spaces, so it is never taken for a word).
    With `new`, only the blocks of those entries are built: a pair with a new entry shares one
    of the new entry's keys.
    """
    # words are split again where needed: a million lists of words would outweigh the titles
    frequency = Counter(chain.from_iterable(set(key.split()) for key in keys))
    limit = config.max_block
    by_text: dict[str, str | None] = {}  # variants share abstract texts
    openings = []
    for abstract in abstracts:
        if abstract not in by_text:
            by_text[abstract] = abstract_opening(abstract)
        openings.append(by_text[abstract])
    del by_text

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
        if (opening := openings[index]) is not None:
            picked.add(opening)
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
            if not wanted.isdisjoint(key.split()) or openings[index] in wanted:
                for word in chosen(index) & wanted:
                    postings[word].append(index)
    frequency.clear()
    unique: dict[tuple[int, ...], None] = {}  # a title's words are often another's too
    while postings:
        members = postings.popitem()[1]
        if 1 < len(members) <= limit:
            unique[tuple(members)] = None
    return list(unique)


def block_pairs(
    block: Sequence[int],
    keys: Sequence[str],
    features: Sequence[Features],
    config: DedupeConfig,
    absorb: bool,
    out: PairCodes,
) -> None:
    """Add the pairs of one block whose titles score at least `candidate_title` to `out`.

    Pairs below `merge_title` whose abstracts surely conflict are left out: judging would drop
    them, and between look-alike papers seen many times they are most of the pairs.

    With `absorb`, an entry at least `absorb_title` close to an earlier one (same markers) is
    compared through it only: paired with its absorbers alone and not offered to later entries.
    In a block of a hundred variants of one title, each is compared with the few distinct ones
    instead of all, and only those meet the variants of a look-alike paper: big groups and
    their neighbours stay linear.
    """
    choices: list[str] = []
    chosen: list[int] = []
    ratio = fuzz.ratio
    cutoff, floor = config.candidate_title, config.merge_title
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
        mine = features[index]
        if absorb:
            absorbers = [
                (other, score)
                for other, score in found
                if score >= config.absorb_title and features[other].markers == mine.markers
            ]
            absorbed = bool(absorbers)
            if absorbed:
                found = absorbers
        out.add(
            index,
            (
                (other, score)
                for other, score in found
                if score >= floor or not conflict_proved(mine, features[other], config)
            ),
        )
        if not absorbed:
            choices.append(key)
            chosen.append(index)


def new_pairs(
    block: Sequence[int], keys: Sequence[str], new: Collection[int], cutoff: float, out: PairCodes
) -> None:
    """Add the pairs of one block with at least one new entry (incremental dedupe) to `out`."""
    choices = [keys[index] for index in block]
    for index in block:
        if index in new:
            found = process.extract(
                keys[index], choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            )
            out.add(index, ((block[at], score) for _, score, at in found if block[at] != index))


def candidate_pairs(
    entries: Sequence[Entry], config: DedupeConfig | None = None, *, exhaustive: bool = False
) -> dict[tuple[str, str], PairScore]:
    """Every pair the deduper merges or proposes, before clustering, keyed by (a, b) ids.

    Blocked like `find_duplicates` but without its absorption shortcut; `exhaustive=True`
    compares all pairs instead, the reference that blocking recall is measured against.
    """
    config = config or DedupeConfig()
    keys = title_keys(entries)
    sketches: dict[str, tuple[int, int]] = {}
    features = [Features(entry, key, sketches) for entry, key in zip(entries, keys, strict=True)]
    if exhaustive:
        groups = [tuple(range(len(keys)))]
    else:
        titles = [entry.title for entry in entries]
        groups = blocks(keys, titles, [entry.abstract for entry in entries], config)
    codes = PairCodes(len(keys))
    for block in groups:
        block_pairs(block, keys, features, config, False, codes)
    pairs = {}
    for i, j, title in codes.sorted():
        verdict = judge(features[i], features[j], title, config)
        if verdict is not None:
            pair = pair_score(features[i], features[j], title, verdict)
            pairs[pair.a, pair.b] = pair
    return pairs
