"""How alike two entries are, and what that makes them: merge, review, or nothing.

Everything an entry needs for scoring is computed once per entry (`Features`); the costly part,
the abstract's word triples, only for the entries of a pair that gets that far.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from papertriage.dedupe.models import Decision, DedupeConfig, Entry, PairScore
from papertriage.normalize import ASCII_FOLD, fold, strip_markup

ABSTRACT_WORD = re.compile(r"[^\W_]+")
"""A word of an abstract, as its shingles and its opening read it."""
_DIGITS = re.compile(r"\d+")
_ROMAN = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii", "xiii"})
_SERIES = frozenset({"part", "vol", "volume", "book", "chapter", "phase", "stage", "level"})
_NAME_END = re.compile(r"\s*(?::|\s[-–—]\s|\.\s)\s*")

Verdict = tuple[Decision, float | None, str]
"""A decision on a pair: (decision, abstract score or None, reason)."""


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


def series_template(key: str) -> str:
    """A folded title with each of its `series_markers` blanked to `#`: the numbered versions
    of one title (`world model v3`, `world model v4`) share it, and nothing else does."""
    words = key.split()
    return " ".join(
        "#"
        if word in _ROMAN or (word in {"i", "v", "x"} and prev in _SERIES)
        else _DIGITS.sub("#", word)
        for prev, word in zip(["", *words], words, strict=False)
    )


def digit_words(key: str) -> tuple[str, ...]:
    """The words of a folded title that hold a digit, in order.

    Split, not one regex over the title: `\\S*\\d\\S*` backtracks through every word from every
    letter, 2 s of a million-record dedupe.
    """
    if _DIGITS.search(key) is None:
        return ()
    return tuple(word for word in key.split() if _DIGITS.search(word))


def abstract_words(text: str) -> list[str]:
    """The words of an abstract (`ABSTRACT_WORD`), casefolded, markup stripped.

    ASCII text takes a byte-table shortcut with the same result (pinned by a test), four
    times faster than the regex: a million-record dedupe reads hundreds of thousands.
    """
    text = strip_markup(text)
    if text.isascii():
        return text.encode().translate(ASCII_FOLD).decode().split()
    return ABSTRACT_WORD.findall(text.casefold())


if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Shingles = npt.NDArray[np.int64]
    """Hashed word triples of an abstract, sorted, each once."""

# numpy is imported by the functions that use it: it costs every command a quarter of a
# second at startup, and only a dedupe needs it.

_MIX = (-0x61C8864680B583EB, 0x632BE59BD9B4E019)
"""Odd 64-bit multipliers that mix three word hashes into one triple hash (wrapping)."""


def abstract_shingles(abstract: str) -> Shingles:
    """Hashed word triples of an abstract, insensitive to case, markup, wrapping and punctuation.

    Each word is hashed once and the triples are mixed as arrays: hashing a tuple per triple
    was most of a million-record dedupe's clustering time.
    """
    import numpy as np

    words = abstract_words(abstract)
    if len(words) < 3:
        return np.empty(0, dtype=np.int64)
    hashes = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
    return sorted_distinct(hashes[:-2] * _MIX[0] + hashes[1:-1] * _MIX[1] + hashes[2:])


def sorted_distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The values sorted, each once (in place). Sorting and comparing neighbours: numpy's
    `unique` hashes, several times slower on these ints."""
    import numpy as np

    values.sort()
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


SKETCH_BITS = 2047
"""Mask of the triple hashes kept in a sketch: a 2048-bit map, about 270 bytes an abstract."""


def abstract_sketch(shingles: Shingles) -> tuple[int, int]:
    """How many distinct word triples an abstract has, and a bit map of their hashes.

    A triple of one abstract whose bit is not set in the other's map is surely missing from the
    other, so the map bounds containment from above and proves most conflicts for the price of
    one `&` of two small ints, with no set kept per entry.
    """
    import numpy as np

    bitmap = np.zeros(SKETCH_BITS + 1, dtype=bool)
    bitmap[shingles & SKETCH_BITS] = True
    packed = np.packbits(bitmap, bitorder="little")
    return len(shingles), int.from_bytes(packed.tobytes(), "little")


def abstract_similarity(a: Shingles, b: Shingles, min_words: int) -> float | None:
    """Share of the shorter abstract's word triples present in the other, or None if too short.

    Containment rather than Jaccard, so that an abstract cut short or missing its last sentence
    still matches in full, while two different abstracts share only stock phrases.
    """
    import numpy as np

    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if len(small) < min_words - 2:
        return None
    found = np.searchsorted(large, small)  # both sorted: where each triple would be
    found[found == len(large)] = 0  # past the end: surely not there
    shared = int(np.count_nonzero(large[found] == small))
    return round(100.0 * shared / len(small), 1)


class Abstracts:
    """What one run makes of abstract texts, each text once: variants share their abstracts.

    Sketches are kept for every text asked; word triples only for the texts of pairs that need
    an exact score, at about 1.3 KB a text.
    """

    __slots__ = ("_shingles", "_sketches")

    def __init__(self) -> None:
        self._sketches: dict[str, tuple[int, int]] = {}
        self._shingles: dict[str, Shingles] = {}

    def sketch(self, text: str) -> tuple[int, int]:
        """`abstract_sketch` of the text."""
        found = self._sketches.get(text)
        if found is None:
            shingles = self._shingles.get(text)
            found = abstract_sketch(abstract_shingles(text) if shingles is None else shingles)
            self._sketches[text] = found
        return found

    def shingles(self, text: str) -> Shingles:
        """`abstract_shingles` of the text."""
        found = self._shingles.get(text)
        if found is None:
            found = self._shingles[text] = abstract_shingles(text)
        return found


def title_similarity(key_a: str, key_b: str) -> float:
    """Similarity of two folded titles, 0-100 (rapidfuzz `ratio`), rounded for stable output."""
    return round(fuzz.ratio(key_a, key_b), 1)


def name_words(title: str) -> int:
    """Words of the folded title that come from a name before a colon (`PRISM:`), 0 if none."""
    match = _NAME_END.search(title)
    name = title[: match.start()] if match else ""
    return len(fold(name).split()) if 0 < len(name.split()) <= 4 else 0


class Features:
    """What scoring needs of an entry, computed once; the abstract part only when first asked."""

    __slots__ = (
        "_name_words",
        "_sketch",
        "abstracts",
        "compact",
        "digit_words",
        "entry",
        "key",
        "markers",
    )

    def __init__(
        self, entry: Entry, key: str | None = None, abstracts: Abstracts | None = None
    ) -> None:
        self.entry = entry
        self.key = fold(entry.title) if key is None else key
        self.markers = series_markers(self.key)
        self.digit_words: tuple[str, ...] | None = None
        self.compact: str | None = None
        self._name_words: int | None = None
        self.abstracts = Abstracts() if abstracts is None else abstracts
        """Shared by the entries of one run."""
        self._sketch: tuple[int, int] | None = None

    @property
    def name_words(self) -> int:
        """`name_words` of the title, asked only of pairs that get that far."""
        if self._name_words is None:
            self._name_words = name_words(self.entry.title)
        return self._name_words

    def name(self) -> list[str]:
        """The words of the title's name before a colon (none without one)."""
        count = self.name_words
        return self.key.split(maxsplit=count)[:count] if count else []

    @property
    def sketch(self) -> tuple[int, int]:
        if self._sketch is None:
            self._sketch = self.abstracts.sketch(self.entry.abstract)
        return self._sketch

    def typo_parts(self) -> tuple[tuple[str, ...], str]:
        """The words holding a digit, and the key without spaces: what `typo_only` compares."""
        if self.compact is None:
            self.digit_words = digit_words(self.key)
            self.compact = self.key.replace(" ", "")
        assert self.digit_words is not None
        return self.digit_words, self.compact


def judge(x: Features, y: Features, title: float, config: DedupeConfig) -> Verdict | None:
    """Decide one pair from its title score: (decision, abstract score, reason) or None.

    Titles decide alone only when they differ by a typo; otherwise the abstracts decide, and
    titles alone can at most propose the pair for review.
    """
    if _typo_merge(x, y, title, config):
        return "merge", None, f"titles differ by a typo ({title:.0f}% alike)"
    # Below `merge_title`, or under other names, abstracts in conflict make the pair nothing:
    # then a conflict the sketches prove needs no exact score (see `pairs.dismissed`).
    abstract = _abstract_score(x, y, config, title < config.merge_title or other_names(x, y))
    if abstract == -1.0:
        return None  # a sure conflict, and nothing to propose
    conflict = abstract is not None and abstract < config.abstract_conflict
    same = abstract is not None and abstract >= config.abstract_same
    short, long_ = sorted((x, y), key=lambda f: (len(f.key), f.key))
    if (
        not conflict
        and long_.name_words
        and len(short.key.split()) >= 4
        and long_.key.split(maxsplit=long_.name_words)[-1] == short.key
    ):
        return "merge", abstract, "one title lost the name before its colon"
    if conflict:
        if title < config.merge_title or other_names(x, y):
            return None
        return "review", abstract, f"titles {title:.0f}% alike, abstracts only {abstract:.0f}%"
    if x.markers != y.markers:
        if same and numbers_dropped(x, y):
            return "merge", abstract, f"same abstract ({abstract:.0f}%), a number dropped"
        if title < config.review_title:
            return None
        return "review", abstract, "titles alike but their numbers differ (version or part?)"
    if same:
        return "merge", abstract, f"same abstract ({abstract:.0f}%), titles {title:.0f}% alike"
    if (
        title >= config.merge_title
        and typo_only(x, y, config, 1)
        and (abstract or typo_only(x, y, config, 0))
    ):
        return "merge", abstract, f"titles differ by a typo ({title:.0f}% alike)"
    if title >= config.review_title:
        return "review", abstract, f"titles {title:.0f}% alike, abstracts do not settle it"
    return None


def _typo_merge(x: Features, y: Features, title: float, config: DedupeConfig) -> bool:
    """The titles alone make the pair a merge: alike, same numbers, a typo apart."""
    # typo_only(0) implies typo_only(1); the edit distance is only paid for alike titles
    return title >= config.sure_title and x.markers == y.markers and typo_only(x, y, config, 0)


def other_names(x: Features, y: Features) -> bool:
    """True when both titles open with a name before a colon and the names share no word.

    `FooBench: A Benchmark for X` and `BarBench: A Benchmark for X` with different abstracts
    are two papers, not one to review; `Nemotron 3 Ultra:` and `Nemotron 3 Super:` are kin.
    """
    if not x.name_words or not y.name_words:
        return False
    return set(x.name()).isdisjoint(y.name())


def conflict_proved(x: Features, y: Features, config: DedupeConfig) -> bool:
    """True when the sketches alone prove the abstracts conflict."""
    (size_x, bits_x), (size_y, bits_y) = x.sketch, y.sketch
    if min(size_x, size_y) < config.min_abstract_words - 2 or x.entry.abstract == y.entry.abstract:
        return False
    size, bits, other = (size_x, bits_x, bits_y) if size_x <= size_y else (size_y, bits_y, bits_x)
    return round(100.0 * (size - (bits & ~other).bit_count()) / size, 1) < config.abstract_conflict


def _abstract_score(x: Features, y: Features, config: DedupeConfig, may_skip: bool) -> float | None:
    """`abstract_similarity` of two entries, from their sketches where they settle it.

    With `may_skip`, -1.0 when the sketches prove a conflict (the exact score is not shown).
    """
    if may_skip and conflict_proved(x, y, config):
        return -1.0
    if min(x.sketch[0], y.sketch[0]) < config.min_abstract_words - 2:
        return None
    if x.entry.abstract == y.entry.abstract:
        return 100.0
    texts = x.abstracts
    return abstract_similarity(
        texts.shingles(x.entry.abstract),
        texts.shingles(y.entry.abstract),
        config.min_abstract_words,
    )


def typo_only(x: Features, y: Features, config: DedupeConfig, least: int) -> bool:
    """True when two titles differ by at most a few letters (spaces ignored), none in a number.

    One letter per 30 is allowed, up to `max_typos` and at least `least`: with `least=0` a short
    title (`A Survey of MoMa` / `MoA`) never counts as a typo.

    Different papers with near-equal titles differ by a word (`Nemotron 3 Ultra` / `Super`,
    `Qwen3-VL` / `Qwen3`) or a suffix to a number (`GPT-4o` / `GPT-4`); a typo does not.
    """
    digits_x, a = x.typo_parts()
    digits_y, b = y.typo_parts()
    if digits_x != digits_y:
        return False
    allowed = max(least, min(config.max_typos, min(len(a), len(b)) // 30))
    if allowed == 0:
        return a == b
    return OSA.distance(a, b, score_cutoff=allowed) <= allowed


def numbers_dropped(x: Features, y: Features) -> bool:
    """True when one title's numbers are the other's minus some, none changed.

    A formula lost from a name (`$\\nabla^2$DFT` -> `DFT`) or a `3D` dropped in a revision
    removes numbers; a new version or part (`Qwen2.5` / `Qwen3`, `Part I` / `Part II`) changes them.
    """
    a, b = Counter(x.markers), Counter(y.markers)
    return a <= b or b <= a


def pair_score(x: Features, y: Features, title: float, verdict: Verdict) -> PairScore:
    """The public record of one judged pair, ids in order."""
    a, b = sorted((x.entry.id, y.entry.id))
    decision, abstract, reason = verdict
    return PairScore(
        a=a, b=b, title_score=title, abstract_score=abstract, decision=decision, reason=reason
    )


def score_pair(a: Entry, b: Entry, config: DedupeConfig | None = None) -> PairScore | None:
    """Score two entries as `find_duplicates` would, e.g. to explain a manual merge.

    None when the pair is neither a merge nor worth reviewing (or is one entry twice).
    """
    config = config or DedupeConfig()
    if a.id == b.id:
        return None
    texts = Abstracts()
    x, y = Features(a, abstracts=texts), Features(b, abstracts=texts)
    title = title_similarity(x.key, y.key)
    verdict = judge(x, y, title, config)
    return None if verdict is None else pair_score(x, y, title, verdict)
