"""The fast path of `tag_paper`: a taxonomy's rules indexed by the words their matches need.

Kept apart from `score_paper`'s plain loop over every rule, which explains its result; this
index gives the same assignments while running only the regexes a paper could match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

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


class FastScorer:
    """A taxonomy's rules indexed by what their matches need, so that a paper only runs the
    regexes of rules whose needed words it contains (usually under a tenth of them).

    A paper's *features* are its words that some rule needs exactly, and `prefix*` for every rule
    prefix one of its words starts with; features are cached per word, as a library's
    vocabulary is small.
    """

    _CACHE_LIMIT = 500_000

    def __init__(self, plan: tuple[PlannedTag, ...]) -> None:
        self.tags = tuple((name, threshold) for name, threshold, _ in plan)
        self.matchers: list[Matcher] = []
        self.tag_of: list[int] = []
        self.weights: list[tuple[float, float]] = []
        # per field (title, abstract): rules that always run, and key feature -> candidates
        self.always: tuple[list[int], list[int]] = ([], [])
        self.keyed: tuple[dict[str, list[tuple[int, frozenset[str]]]], ...] = ({}, {})
        exact: set[str] = set()
        prefixes: set[str] = set()
        for position, (_, _, rules) in enumerate(plan):
            for _, matcher, title_weight, abstract_weight in rules:
                rule_id = len(self.matchers)
                self.matchers.append(matcher)
                self.tag_of.append(position)
                self.weights.append((title_weight, abstract_weight))
                for field, weight in enumerate((title_weight, abstract_weight)):
                    if not weight:
                        continue
                    if matcher.needs is None:
                        self.always[field].append(rule_id)
                        continue
                    for words, starts in matcher.needs:
                        need = words | {start + "*" for start in starts}
                        key = max(need, key=lambda feature: (len(feature), feature))
                        self.keyed[field].setdefault(key, []).append((rule_id, need))
                    exact.update(*(words for words, _ in matcher.needs))
                    prefixes.update(*(starts for _, starts in matcher.needs))
        self.exact = frozenset(exact)
        self.short = frozenset(prefix for prefix in prefixes if len(prefix) < 3)
        buckets: dict[str, list[str]] = {}
        for prefix in prefixes - self.short:
            buckets.setdefault(prefix[:3], []).append(prefix)
        self.buckets = {key: tuple(values) for key, values in buckets.items()}
        self.cache: dict[str, tuple[str, ...]] = {}

    def _word_features(self, word: str) -> tuple[str, ...]:
        features = [word] if word in self.exact else []
        for prefix in self.buckets.get(word[:3], ()):
            if word.startswith(prefix):
                features.append(prefix + "*")
        features.extend(word[:n] + "*" for n in (1, 2) if word[:n] in self.short)
        if len(self.cache) >= self._CACHE_LIMIT:
            self.cache.clear()
        self.cache[word] = found = tuple(features)
        return found

    def features(self, text: str) -> set[str]:
        """The features of a prepared text (see the class docstring)."""
        words = set(text.translate(_WORD_ONLY).split())
        cached = list(map(self.cache.get, words))  # one C-level pass; misses are rare
        if None in cached:  # a word with no features caches (), so test for None, not falsy
            cached = [
                found if found is not None else self._word_features(word)
                for word, found in zip(words, cached, strict=True)
            ]
        return set().union(*cast(list[tuple[str, ...]], cached))

    def assigned(self, title: str, abstract: str) -> set[str]:
        """The tags whose rules reach their thresholds (before `implies`)."""
        scores = self.scores(title, abstract)
        pairs = zip(self.tags, scores, strict=True)
        return {name for (name, threshold), score in pairs if score >= threshold}

    def scores(self, title: str, abstract: str) -> list[float]:
        """Every planned tag's rule score, in plan order, rounded as `score_paper` rounds."""
        hits: list[tuple[int, int]] = []
        for field, text in enumerate((title, abstract)):
            features = self.features(text)
            candidates = set(self.always[field])
            keyed = self.keyed[field]
            for feature in features:
                for rule_id, need in keyed.get(feature, ()):
                    if need <= features:
                        candidates.add(rule_id)
            matchers = self.matchers
            hits.extend((rule_id, field) for rule_id in candidates if matchers[rule_id].found(text))
        hits.sort()  # add weights in rule order, as score_paper does, for identical sums
        scores = [0.0] * len(self.tags)
        for rule_id, field in hits:
            scores[self.tag_of[rule_id]] += self.weights[rule_id][field]
        return [round(score, 6) for score in scores]
