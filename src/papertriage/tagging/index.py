"""The fast path of `tag_paper`: a taxonomy's rules indexed by the words their matches need.

Kept apart from `score_paper`'s plain loop over every rule, which explains its result; this
index gives the same assignments while running only the regexes a paper could match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from itertools import chain
from typing import TYPE_CHECKING

from papertriage.tagging.matching import Matcher, is_word_char

if TYPE_CHECKING:
    from papertriage.tagging.taxonomy import PlannedTag


class _WordOnly(dict[int, int]):
    """`str.translate` table: word characters stay, every other character becomes a space."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        value = code if is_word_char(char) else 32
        self[code] = value
        return value


_WORD_ONLY = _WordOnly()


Search = Callable[..., "re.Match[str] | None"]  # a compiled regex's `search`
# A key feature's branches: those it alone finds, and (branch, need) of those it may find.
Keyed = tuple[frozenset[int], tuple[tuple[int, frozenset[str]], ...]]


class _Features(dict[bytes | str, tuple[str, ...]]):
    """A word's features, computed on first sight: a library's vocabulary is small, so after a
    few thousand papers nearly every word is a C-level lookup. Keys are words as `str`, or as
    ASCII `bytes` when they come from the model's tokens (see `FastScorer.scores`)."""

    LIMIT = 500_000

    def __init__(self, scorer: FastScorer) -> None:
        super().__init__()
        self.scorer = scorer

    def __missing__(self, word: bytes | str) -> tuple[str, ...]:
        found = self.scorer.word_features(word.decode("ascii") if isinstance(word, bytes) else word)
        if len(self) >= self.LIMIT:
            self.clear()
        self[word] = found
        return found


def words_of(text: str) -> list[str]:
    """The words of a prepared text: runs of word characters, as rules see them."""
    return text.translate(_WORD_ONLY).split()


class FastScorer:
    """A taxonomy's rules indexed by what their matches need, so that a paper only runs the
    regexes of rules whose needed words it contains (usually under a tenth of them).

    The unit is a rule's branch (a top-level alternative, see `Matcher`): a paper runs only the
    branches whose words it has. A paper's *features* are its words that some branch needs
    exactly, and `prefix*` for every prefix one of its words starts with. A branch is keyed by
    one feature of each of its needs: found at once when that feature is the whole need, else
    when the rest is there too. A branch that matches only a few whole words (`agents?\\b`) is
    keyed by those words and runs no regex: a paper has one of them exactly when it matches.
    """

    def __init__(self, plan: tuple[PlannedTag, ...]) -> None:
        self.tags = tuple((name, threshold) for name, threshold, _ in plan)
        self.matchers: list[Matcher] = []
        self.tag_of: list[int] = []
        self.weights: list[tuple[float, float]] = []
        # per branch, its rule and its regex's search (None: the index alone decides it)
        self.branches: list[tuple[int, Search | None]] = []
        always: tuple[set[int], set[int]] = (set(), set())
        direct: tuple[dict[str, set[int]], ...] = ({}, {})
        checked: tuple[dict[str, list[tuple[int, frozenset[str]]]], ...] = ({}, {})
        exact: set[str] = set()
        prefixes: set[str] = set()
        for position, (_, _, rules) in enumerate(plan):
            for _, matcher, title_weight, abstract_weight in rules:
                rule_id = len(self.matchers)
                self.matchers.append(matcher)
                self.tag_of.append(position)
                self.weights.append((title_weight, abstract_weight))
                for regex, needs, whole_words in matcher.branches:
                    unit = len(self.branches)
                    if whole_words is not None:  # found exactly when one of its words is there
                        needs = tuple((frozenset([word]), frozenset()) for word in whole_words)
                    self.branches.append((rule_id, None if whole_words else regex.search))
                    for field, weight in enumerate((title_weight, abstract_weight)):
                        if not weight:
                            continue
                        if needs is None:
                            always[field].add(unit)
                            continue
                        for words, starts in needs:
                            need = words | {start + "*" for start in starts}
                            key = max(need, key=lambda feature: (len(feature), feature))
                            if len(need) == 1:
                                direct[field].setdefault(key, set()).add(unit)
                            else:
                                checked[field].setdefault(key, []).append((unit, need))
                        exact.update(*(words for words, _ in needs))
                        prefixes.update(*(starts for _, starts in needs))
        # per field (title, abstract): branches that always run, and per key feature the
        # branches it alone finds and those whose need must be checked
        self.always = (frozenset(always[0]), frozenset(always[1]))
        self.keyed: tuple[dict[str, Keyed], ...] = tuple(
            {
                key: (frozenset(direct[field].get(key, ())), tuple(checked[field].get(key, ())))
                for key in direct[field].keys() | checked[field].keys()
            }
            for field in (0, 1)
        )
        self.keys = tuple(frozenset(keyed) for keyed in self.keyed)
        self.exact = frozenset(exact)
        self.short = frozenset(prefix for prefix in prefixes if len(prefix) < 3)
        buckets: dict[str, list[str]] = {}
        for prefix in prefixes - self.short:
            buckets.setdefault(prefix[:3], []).append(prefix)
        self.buckets = {key: tuple(values) for key, values in buckets.items()}
        self.cache = _Features(self)

    def word_features(self, word: str) -> tuple[str, ...]:
        """The features of one word (see the class docstring)."""
        features = [word] if word in self.exact else []
        for prefix in self.buckets.get(word[:3], ()):
            if word.startswith(prefix):
                features.append(prefix + "*")
        features.extend(word[:n] + "*" for n in (1, 2) if word[:n] in self.short)
        return tuple(features)

    def features(self, words: Iterable[bytes | str]) -> set[str]:
        """The features of a text, from its words (see the class docstring)."""
        return set(chain.from_iterable(map(self.cache.__getitem__, words)))

    def assigned(self, title: str, abstract: str) -> set[str]:
        """The tags whose rules reach their thresholds (before `implies`)."""
        scores = self.scores(title, abstract)
        pairs = zip(self.tags, scores, strict=True)
        return {name for (name, threshold), score in pairs if score >= threshold}

    def scores(
        self,
        title: str,
        abstract: str,
        words: tuple[Iterable[bytes | str] | None, Iterable[bytes | str] | None] = (None, None),
    ) -> list[float]:
        """Every planned tag's rule score, in plan order, rounded as `score_paper` rounds.

        `title` and `abstract` are prepared texts; `words` may give their words when the caller
        has them already (the model's tokens of an ASCII text without `_` are exactly its words).
        """
        hits: list[tuple[int, int]] = []
        branches = self.branches
        for field, text in enumerate((title, abstract)):
            given = words[field]
            features = self.features(words_of(text) if given is None else given)
            candidates = set(self.always[field])
            keyed = self.keyed[field]
            for feature in features.intersection(self.keys[field]):
                units, pairs = keyed[feature]
                candidates |= units
                for unit, need in pairs:
                    if need <= features:
                        candidates.add(unit)
            matched: set[int] = set()
            for unit in candidates:
                rule_id, search = branches[unit]
                if rule_id in matched:
                    continue
                if search is None:
                    matched.add(rule_id)
                    continue
                match = search(text)  # a match must start a word, as in `Matcher.search`
                while match is not None:
                    start = match.start()
                    if start == 0 or not ((char := text[start - 1]).isalnum() or char == "_"):
                        matched.add(rule_id)
                        break
                    match = search(text, start + 1)
            hits.extend((rule_id, field) for rule_id in matched)
        scores = [0.0] * len(self.tags)
        if not hits:
            return scores
        hits.sort()  # add weights in rule order, as score_paper does, for identical sums
        tag_of, weights = self.tag_of, self.weights
        for rule_id, field in hits:
            scores[tag_of[rule_id]] += weights[rule_id][field]
        return [round(score, 6) if score else score for score in scores]
