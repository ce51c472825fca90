"""The pairs of blocked entries in bulk: scored per block on both cores, kept as int64 codes.

A million-record library holds millions of title pairs in its blocks. Scored and filtered one
at a time in Python they took most of a dedupe run; here each block's titles are scored at
once (rapidfuzz `cdist`), and the pairs found are packed codes, sorted, made distinct and
filtered as numpy arrays. Only the pairs left are judged one at a time, in `clustering`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel

from papertriage.dedupe.models import DedupeConfig
from papertriage.dedupe.scoring import (
    SKETCH_BITS,
    Features,
    series_markers,
    series_template,
    sorted_distinct,
)
from papertriage.system import usable_cores

Codes = npt.NDArray[np.int64]

_ROWS = 256
"""Titles of a block scored against the earlier ones at a time: a big block (3,000 titles) then
needs a few MB, and only the half of its matrix below the diagonal is scored."""
_SMALL = 8
"""Blocks this small are scored a pair at a time: numpy's cost per call would outweigh them
(most blocks of a 100k-record library)."""
_COMPACT_AT = 8_000_000
"""Codes collected before duplicates (a pair found in several blocks) are dropped."""
_SKETCH_ROWS = 1 << 14
"""Sketches made into array rows at a time (4 MB of bytes)."""
_FILTER_ROWS = 1 << 16
"""Pairs filtered at a time: each row gathers two 256-byte sketches (48 MB at once)."""


class PairCodes:
    """How a pair and its title score pack into one int64, and back.

    A code sorts by title score (highest first), then by the two entry indexes: the order in
    which clustering takes the pairs. Millions of pairs then cost 8 bytes each.
    """

    def __init__(self, size: int) -> None:
        self.bits = max(1, (size - 1).bit_length())
        if 2 * self.bits + 10 > 63:
            raise ValueError(f"too many titles to pair ({size:,})")
        self.mask = (1 << self.bits) - 1

    def pack(self, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], scores: np.ndarray) -> Codes:
        """Codes of the pairs (i[n], j[n]) with title scores `scores[n]` (0-100)."""
        low, high = np.minimum(i, j), np.maximum(i, j)
        return ((1000 - tenths(scores)) << (2 * self.bits)) | (low << self.bits) | high

    def code(self, i: int, j: int, score: float) -> int:
        """The code of one pair with title score `score`, as `pack` makes it."""
        low, high = (i, j) if i < j else (j, i)
        return (1000 - round(round(score, 1) * 10)) << (2 * self.bits) | low << self.bits | high

    def ends(self, codes: Codes) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The two entry indexes of each code, lower first."""
        return (codes >> self.bits) & self.mask, codes & self.mask

    def titles(self, codes: Codes) -> npt.NDArray[np.float64]:
        """The title score of each code, as `round(score, 1)`."""
        return (1000 - (codes >> (2 * self.bits))).astype(np.float64) / 10

    def decoded(self, codes: Codes) -> Iterator[tuple[int, int, float]]:
        """(i, j, title score) of each code, in the order given."""
        bits, mask = self.bits, self.mask
        for code in codes.tolist():
            yield (code >> bits) & mask, code & mask, (1000 - (code >> 2 * bits)) / 10


def tenths(scores: np.ndarray) -> npt.NDArray[np.int64]:
    """`round(round(score, 1) * 10)` of each score, as Python rounds them.

    numpy rounds `score * 10`, which may land on the other side of a half; the few scores that
    close to a half are rounded again by Python.
    """
    scaled = np.asarray(scores, dtype=np.float64) * 10
    result = np.rint(scaled).astype(np.int64)
    near = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    for at in near.tolist():
        result[at] = round(round(float(scores[at]), 1) * 10)
    return result


def _ids(values: Iterable[Hashable]) -> npt.NDArray[np.int64]:
    """A small int per value, equal ints for equal values."""
    seen: dict[Hashable, int] = {}
    return np.fromiter((seen.setdefault(value, len(seen)) for value in values), dtype=np.int64)


class EntryTable:
    """What the bulk filter reads of every entry, one array row each.

    Names are kept as a 64-bit map of their words' hashes: maps that share no bit prove that the
    names share no word; maps that do share one prove nothing, and the pair is kept.
    """

    def __init__(self, features: Sequence[Features]) -> None:
        count = len(features)
        self.markers = _ids(feature.markers for feature in features)
        parts = [feature.typo_parts() for feature in features]
        self.digits = _ids(digits for digits, _ in parts)
        self.compact = [compact for _, compact in parts]
        self.lengths = np.fromiter(map(len, self.compact), dtype=np.int64, count=count)
        self.abstracts = _ids(feature.entry.abstract for feature in features)
        # Sketches are made only for the entries of pairs (`ensure`): most titles of a library
        # of distinct papers are in none, and an abstract's sketch costs ~40 us. One row per
        # distinct abstract (`abstracts` indexes them): versions share one. Rows not made stay
        # untouched zeros, which take no memory.
        self.features = features
        self.first = np.unique(self.abstracts, return_index=True)[1]
        self.sizes = np.zeros(len(self.first), dtype=np.int64)
        self.sketches = np.zeros((len(self.first), (SKETCH_BITS + 1) // 64), dtype="<u8")
        self.known = np.zeros(len(self.first), dtype=bool)
        self.names = np.fromiter(
            (feature.name_words for feature in features), dtype=np.int64, count=count
        )
        self.name_maps = np.fromiter(
            (_word_map(feature) for feature in features), dtype=np.uint64, count=count
        )
        # Numbered versions of a title with one abstract are one group; any other title is its own.
        self.versions = _ids(
            (series_template(feature.key), abstract) if feature.markers else index
            for index, (feature, abstract) in enumerate(
                zip(features, self.abstracts.tolist(), strict=True)
            )
        )

    def ensure(self, entries: npt.NDArray[np.int64]) -> None:
        """Make the sketches of these entries' abstracts, if not made yet."""
        texts = np.unique(self.abstracts[entries])
        texts = texts[~self.known[texts]]
        width = (SKETCH_BITS + 1) // 8
        for start in range(0, len(texts), _SKETCH_ROWS):  # not all as bytes at once
            part = texts[start : start + _SKETCH_ROWS]
            made = [self.features[at].sketch for at in self.first[part].tolist()]
            self.sizes[part] = [size for size, _ in made]
            joined = b"".join(bits.to_bytes(width, "little") for _, bits in made)
            self.sketches[part] = np.frombuffer(joined, dtype="<u8").reshape(len(part), width // 8)
        self.known[texts] = True


def _word_map(feature: Features) -> int:
    """A 64-bit map of the hashes of the words of a title's name (0 without a name)."""
    found = 0
    for word in feature.name():
        found |= 1 << (hash(word) & 63)
    return found


def block_codes(
    blocks: Iterable[Sequence[int]],
    keys: Sequence[str],
    codes: PairCodes,
    config: DedupeConfig,
    markers: npt.NDArray[np.int64] | None = None,
    table: EntryTable | None = None,
) -> Codes:
    """The distinct pairs inside blocks whose titles score at least `candidate_title`, sorted.

    With `markers` (`EntryTable.markers`), an entry at least `absorb_title` close to an earlier
    one of its block with the same numbers is compared through it only: paired with its
    absorbers alone and not offered to later entries. In a block of a hundred variants of one
    title, each is compared with the few distinct ones instead of all, and only those meet the
    variants of a look-alike paper: big groups and their neighbours stay linear.

    With the `table`, a block holding numbered versions of one title scores only the pairs that
    `_VersionScores` cannot prove below the cutoff or `dismissed`.
    """

    def pairs_of(block: Sequence[int], versioned: bool = False) -> Codes:
        members = np.asarray(block, dtype=np.int64)
        texts = [keys[index] for index in block]
        chosen = np.ones(len(texts), dtype=bool)
        numbers = None if markers is None else markers[members]
        versions = _VersionScores(texts, members, table, config) if versioned and table else None
        parts = []
        for start in range(0, len(texts), _ROWS):
            stop = min(len(texts), start + _ROWS)
            earlier = np.tri(stop - start, stop, start - 1, dtype=bool)  # column < row's entry
            if versions is None:
                scores = _cdist(texts[start:stop], texts[:stop], config.candidate_title)
            else:
                scores = versions.rows(start, stop, earlier)
            keep = (scores > 0) & earlier
            if numbers is not None:
                alike = (scores >= config.absorb_title) & earlier
                alike &= numbers[start:stop, None] == numbers[None, :stop]
                for row in np.flatnonzero(alike.any(axis=1)).tolist():
                    if (alike[row] & chosen[:stop]).any():
                        chosen[start + row] = False
                keep &= chosen[None, :stop] & (chosen[start:stop, None] | alike)
            rows, columns = np.nonzero(keep)
            parts.append(codes.pack(members[start + rows], members[columns], scores[rows, columns]))
        return np.concatenate(parts)

    numbers_of = None if markers is None else markers.tolist()
    ratio, cutoff = fuzz.ratio, config.candidate_title

    def pairs_by_one(block: Sequence[int]) -> Iterator[int]:
        """`pairs_of` a small block, a pair at a time."""
        chosen: list[int] = []
        for index in block:
            key = keys[index]
            found = [
                (other, score)
                for other in chosen
                if (score := ratio(key, keys[other], score_cutoff=cutoff))
            ]
            if numbers_of is not None:
                mine = numbers_of[index]
                absorbers = [
                    (other, score)
                    for other, score in found
                    if score >= config.absorb_title and numbers_of[other] == mine
                ]
                if absorbers:
                    yield from (codes.code(other, index, score) for other, score in absorbers)
                    continue
            chosen.append(index)
            yield from (codes.code(other, index, score) for other, score in found)

    blocks = list(blocks)
    big = [block for block in blocks if len(block) > _SMALL]
    versioned = [table is not None and _VersionScores.wanted(block, table) for block in big]
    if table is not None:
        # `_VersionScores` reads the sketches of its blocks' entries from the scoring threads.
        held = chain.from_iterable(b for b, v in zip(big, versioned, strict=True) if v)
        table.ensure(np.fromiter(held, dtype=np.int64))
    found = _Collected()
    # Blocks are independent, and `cdist` and numpy let go of the GIL: one thread per core
    # for the big blocks, while this one takes the small ones.
    with ThreadPoolExecutor(usable_cores()) as pool:
        parts = pool.map(pairs_of, big, versioned)
        small = [block for block in blocks if len(block) <= _SMALL]
        found.add(np.fromiter(chain.from_iterable(map(pairs_by_one, small)), dtype=np.int64))
        for part in parts:
            found.add(part)
    return found.distinct()


class _VersionScores:
    """`_cdist` of a block's rows with the entries before them, for blocks that hold numbered
    versions of a title with one abstract (`Title (v1)` ... `Title (v18)`): only the pairs
    that may reach the cutoff and may survive `dismissed` are scored (the others are 0).

    Versions lie a few edits from their group's first one, its head. By the triangle
    inequality, two entries are at least their heads' distance minus both entries' distances
    from them apart (Indel, which `fuzz.ratio` normalises), which bounds their score from
    above: groups far apart are not scored, and neither are groups whose abstracts conflict
    (one abstract per group: its head's) below `merge_title`, which `dismissed` would drop.
    Without it, a block of 100 titles in 18 versions each scored 1.6 million pairs.
    """

    def __init__(
        self,
        texts: list[str],
        members: npt.NDArray[np.int64],
        table: EntryTable,
        config: DedupeConfig,
    ) -> None:
        self.texts = texts
        self.cutoff = config.candidate_title
        firsts, self.group = np.unique(
            table.versions[members], return_index=True, return_inverse=True
        )[1:]
        heads = [texts[at] for at in firsts.tolist()]
        self.apart = process.cdist(heads, heads, scorer=Indel.distance, dtype=np.int64, workers=1)
        self.radius = np.asarray(
            process.cpdist(
                texts, [heads[at] for at in self.group.tolist()], scorer=Indel.distance, workers=1
            ),
            dtype=np.int64,
        )
        self.lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        # [g, h]: the abstracts of groups g and h conflict, g's entry being the earlier one
        # (the block's order), as `dismissed` asks `_conflict` (which is not symmetric).
        low, high = np.meshgrid(members[firsts], members[firsts], indexing="ij")
        conflict = _conflict(low.ravel(), high.ravel(), table, config).reshape(low.shape)
        self.dismissed_below = np.where(conflict, min(config.merge_title, config.sure_title), 0)

    @staticmethod
    def wanted(block: Sequence[int], table: EntryTable) -> bool:
        """Whether two titles of a block are versions of one."""
        members = np.asarray(block, dtype=np.int64)
        return len(np.unique(table.versions[members])) < len(block)

    def rows(self, start: int, stop: int, wanted: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        """Scores of rows start:stop with columns :stop, 0 below the cutoff; computed only where
        `wanted` (the rest are 0 too)."""
        row, column = self.group[start:stop, None], self.group[None, :stop]
        least = self.apart[row, column]
        least -= self.radius[start:stop, None] + self.radius[None, :stop]
        np.maximum(least, 0, out=least)
        length = self.lengths[start:stop, None] + self.lengths[None, :stop]
        # ratio = 100 (1 - distance / length): at most this, at least `least` edits apart
        best = 100.0 * (1.0 - least / np.maximum(length, 1)) + 1e-6
        hits = np.nonzero(
            wanted & (best >= self.cutoff) & (best >= self.dismissed_below[column, row])
        )
        scores = np.zeros((stop - start, stop), dtype=np.float64)
        if len(hits[0]):
            texts = self.texts
            scores[hits] = process.cpdist(
                [texts[start + at] for at in hits[0].tolist()],
                [texts[at] for at in hits[1].tolist()],
                scorer=fuzz.ratio,
                score_cutoff=self.cutoff,
                dtype=np.float64,
                workers=1,
            )
        return scores


def new_codes(
    blocks: Iterable[Sequence[int]],
    keys: Sequence[str],
    new: Collection[int],
    codes: PairCodes,
    config: DedupeConfig,
) -> Codes:
    """The distinct pairs with at least one `new` entry inside blocks (incremental dedupe), and
    the `prefix_pairs` among them."""
    found = _Collected()
    for block in blocks:
        members = np.asarray(block, dtype=np.int64)
        rows = np.fromiter((at for at, index in enumerate(block) if index in new), dtype=np.int64)
        texts = [keys[index] for index in block]
        scores = _cdist([texts[at] for at in rows.tolist()], texts, config.candidate_title)
        scores[np.arange(len(rows)), rows] = 0  # not with itself
        hit_rows, columns = np.nonzero(scores)
        found.add(codes.pack(members[rows[hit_rows]], members[columns], scores[hit_rows, columns]))
        cut = _block_prefixes(texts, rows.tolist(), config.candidate_title)
        found.add(np.fromiter((codes.code(block[m], block[n], s) for m, n, s in cut), np.int64))
    return found.distinct()


def prefix_pairs(keys: Sequence[str], cutoff: float) -> Iterator[tuple[int, int, float]]:
    """(i, j, title score) of every title `keys[i]` that is `keys[j]` cut after a word, too
    short to score `cutoff` against it: a name without its subtitle (`surveyx` / `surveyx
    academic survey automation via large language models`).

    Blocks are not scored that low, so these pairs are found apart, by lookup; the abstracts
    then decide them as any other pair.
    """
    index = {key: at for at, key in enumerate(keys)}
    for j, key in enumerate(keys):
        for at in _cuts(key, cutoff):
            i = index.get(key[:at])
            if i is not None and (score := fuzz.ratio(key[:at], key)) < cutoff:
                yield i, j, score


def _cuts(key: str, cutoff: float) -> Iterator[int]:
    """Where a key may be cut after a word for the rest to score below `cutoff` against it.

    A prefix of `p` of `n` characters scores `200 p / (p + n)`: below the cutoff only while
    `p < n * cutoff / (200 - cutoff)` (checked again by the caller on the few found).
    """
    limit = len(key) * cutoff / (200 - cutoff)
    at = key.find(" ")
    while 0 < at <= limit:
        yield at
        at = key.find(" ", at + 1)


def _block_prefixes(
    texts: Sequence[str], rows: Sequence[int], cutoff: float
) -> Iterator[tuple[int, int, float]]:
    """`prefix_pairs` of one block with one of the entries at `rows`, as positions in it.

    One pass over the block: each title is looked up among the cuts of the rows' titles, and
    tested for starting with one of them.
    """
    cuts: defaultdict[str, list[int]] = defaultdict(list)  # namesakes share their name
    for n in rows:
        for at in _cuts(texts[n], cutoff):
            cuts[texts[n][:at]].append(n)
    heads = {texts[n] + " ": n for n in rows}
    starts = tuple(heads)
    for m, text in enumerate(texts):
        for n in cuts.get(text, ()):
            if (score := fuzz.ratio(text, texts[n])) < cutoff:
                yield m, n, score
        if text.startswith(starts):
            for head, n in heads.items():
                if text.startswith(head) and (score := fuzz.ratio(texts[n], text)) < cutoff:
                    yield n, m, score


def _cdist(queries: list[str], choices: list[str], cutoff: float) -> npt.NDArray[np.float64]:
    """`fuzz.ratio` of every query with every choice, 0 below `cutoff` (which is above 0)."""
    return process.cdist(
        queries, choices, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.float64, workers=1
    )


class _Collected:
    """Codes gathered block by block; a pair found in several blocks is kept once."""

    def __init__(self) -> None:
        self.parts: list[Codes] = []
        self.size = 0

    def add(self, part: Codes) -> None:
        self.parts.append(part)
        self.size += len(part)
        if self.size >= _COMPACT_AT:
            self.parts = [self.distinct()]
            self.size = len(self.parts[0])

    def distinct(self) -> Codes:
        """The codes so far, sorted, each once."""
        if not self.parts:
            return np.empty(0, dtype=np.int64)
        return sorted_distinct(np.concatenate(self.parts))


def candidate_codes(
    blocks: Iterable[Sequence[int]],
    keys: Sequence[str],
    features: Sequence[Features],
    codes: PairCodes,
    config: DedupeConfig,
    absorb: bool,
) -> Codes:
    """`block_codes` (absorbing look-alikes if `absorb`) and `prefix_pairs`, without the pairs
    `dismissed` and those `thin_versions` drops: the pairs a full run judges. The entry arrays
    are let go before the judging starts."""
    table = EntryTable(features)
    found = block_codes(blocks, keys, codes, config, table.markers if absorb else None, table)
    cut = prefix_pairs(keys, config.candidate_title)
    cut_codes = np.fromiter((codes.code(*pair) for pair in cut), dtype=np.int64)
    if len(cut_codes):
        found = sorted_distinct(np.concatenate([found, cut_codes]))
    found = found[~dismissed(found, codes, table, config)]
    low, high = codes.ends(found)
    maybe = table.abstracts[low] == table.abstracts[high]
    maybe &= table.markers[low] != table.markers[high]
    abstracts = [feature.entry.abstract for feature in features]
    return thin_versions(found, codes, keys, abstracts, maybe)


def thin_versions(
    pairs: Codes,
    codes: PairCodes,
    keys: Sequence[str],
    abstracts: Sequence[str],
    maybe: npt.NDArray[np.bool_] | None = None,
) -> Codes:
    """The pairs without those that link numbered versions of one title with one abstract
    (`Title (v3)`, `Title (v4)`) twice: each version keeps its most alike earlier one only.

    Such pairs are only ever proposed for review (their numbers differ, and neither title's
    numbers are the other's minus some), never merged, so 18 versions made 153 pairs to review
    where 17 link them all, and a version-heavy library millions. `maybe` marks the pairs that
    may be such (same abstract, other numbers), when known; the rest are checked here.
    """
    at = np.arange(len(pairs)) if maybe is None else np.flatnonzero(maybe)
    if not len(at):
        return pairs
    low, high = codes.ends(pairs[at])
    # Each entry's version group and numbers as small ints: millions of pairs compare arrays.
    family = np.full(len(keys), -1, dtype=np.int64)
    numbers = np.full(len(keys), -1, dtype=np.int64)
    families: dict[tuple[str, str], int] = {}
    markers: dict[tuple[str, ...], int] = {}
    for index in np.unique(np.concatenate([low, high])).tolist():
        key = keys[index]
        group = (abstracts[index], series_template(key))
        family[index] = families.setdefault(group, len(families))
        numbers[index] = markers.setdefault(series_markers(key), len(markers))
    versions = (family[low] == family[high]) & (numbers[low] != numbers[high])
    at, high = at[versions], high[versions]
    # Pairs come most alike first: a version's first pair is its most alike earlier version.
    _, first = np.unique(high, return_index=True)
    again = np.ones(len(at), dtype=bool)
    again[first] = False
    keep = np.ones(len(pairs), dtype=bool)
    keep[at[again]] = False
    return pairs[keep]


def dismissed(
    pairs: Codes, codes: PairCodes, table: EntryTable, config: DedupeConfig
) -> npt.NDArray[np.bool_]:
    """Which pairs `judge` surely says nothing of, as the sketches alone prove.

    Those are the pairs whose abstracts conflict, titles below `merge_title` or under names
    with no word in common, and no typo-only difference: between look-alike papers seen many
    times (`FooNet: X`, `BarLM: X`, with other abstracts) most pairs. Conservative: a pair it
    cannot settle from the arrays is kept, and judged.
    """
    out = np.zeros(len(pairs), dtype=bool)
    for start in range(0, len(pairs), _FILTER_ROWS):
        part = pairs[start : start + _FILTER_ROWS]
        low, high = codes.ends(part)
        table.ensure(np.concatenate([low, high]))
        title = codes.titles(part)
        other_names = (table.names[low] > 0) & (table.names[high] > 0)
        other_names &= (table.name_maps[low] & table.name_maps[high]) == 0
        may_drop = (title < config.merge_title) | other_names
        drop = may_drop & _conflict(low, high, table, config)
        typo = drop & (title >= config.sure_title) & (table.markers[low] == table.markers[high])
        typo &= table.digits[low] == table.digits[high]
        at = np.flatnonzero(typo)
        if len(at):
            drop[at[_typo_only(low[at], high[at], table, config)]] = False
        out[start : start + len(part)] = drop
    return out


def _conflict(
    low: npt.NDArray[np.int64], high: npt.NDArray[np.int64], table: EntryTable, config: DedupeConfig
) -> npt.NDArray[np.bool_]:
    """`conflict_proved` of each pair, from the sketch arrays."""
    sketches, text = table.sketches, table.abstracts
    size_low, size_high = table.sizes[text[low]], table.sizes[text[high]]
    low_smaller = size_low <= size_high
    small = np.where(low_smaller, low, high)
    large = np.where(low_smaller, high, low)
    size = np.minimum(size_low, size_high)
    missing = np.bitwise_count(sketches[text[small]] & ~sketches[text[large]]).sum(axis=1)
    share = 100.0 * (size - missing) / np.maximum(size, 1)
    proved: npt.NDArray[np.bool_] = tenths(share) / 10 < config.abstract_conflict
    proved &= size >= config.min_abstract_words - 2  # as `conflict_proved` rounds and checks
    proved &= table.abstracts[low] != table.abstracts[high]
    return proved


def _typo_only(
    low: npt.NDArray[np.int64], high: npt.NDArray[np.int64], table: EntryTable, config: DedupeConfig
) -> npt.NDArray[np.bool_]:
    """`typo_only(x, y, config, 0)` of pairs whose digit words already match."""
    compact = table.compact
    distance = process.cpdist(
        [compact[at] for at in low.tolist()],
        [compact[at] for at in high.tolist()],
        scorer=OSA.distance,
        score_cutoff=config.max_typos,
        workers=-1,
    )
    shorter = np.minimum(table.lengths[low], table.lengths[high])
    allowed = np.minimum(config.max_typos, shorter // 30)
    alike: npt.NDArray[np.bool_] = np.asarray(distance) <= allowed
    return alike
