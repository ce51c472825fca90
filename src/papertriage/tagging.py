"""Topic tagging: taxonomy loading, rule scoring, explanations and evaluation against gold labels.

A tag is a set of weighted rules (phrases or regexes). A paper's score for a tag is the sum of the
weights of the rules that match its title or abstract; a title match counts `title_factor` times
the rule's weight, because a topic named in the title is the paper's subject, while the abstract
also mentions side topics. The tag is assigned when the score reaches the tag's threshold, and an
assigned tag assigns the tags it `implies`. No I/O here except reading taxonomy and gold files.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from papertriage.errors import PapertriageError, TaxonomyError
from papertriage.normalize import title_key

FieldName = Literal["title", "abstract"]

# Bump when the scoring itself changes, so stores that saved an older fingerprint retag.
ENGINE_VERSION = 1

# The regex parser of the standard library, used only to read what a rule's matches start with;
# any pattern it cannot read is simply never skipped (see `_leads`).
_sre_parser: Any = importlib.import_module("re._parser")

# Unicode dashes become ASCII hyphens so that one `-` in a rule covers them all.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
# Characters a literal anchor may contain: matching on them with `in` is exact after casefold.
_ANCHOR_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 -")
_MIN_ANCHOR = 2


_ESCAPE = re.compile(r"\\.")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def prepare_text(text: str) -> str:
    """The form rules are matched against: casefolded, with every dash turned into `-`."""
    return text.casefold().translate(_DASHES)


def _phrase_regex(phrase: str) -> str:
    """Whole words, any run of spaces or hyphens between them, and a plural on the last word."""
    words = phrase.replace("-", " ").split()
    body = r"[\s\-]+".join(re.escape(word) for word in words)
    return rf"{body}(?:s|es)?(?!\w)"


def _skip_class(pattern: str, start: int) -> int:
    """Index just past the character class that opens at `start`."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _skip_quantifier(pattern: str, i: int) -> tuple[bool, bool, int]:
    """At a possible quantifier: (the atom may be absent, it may repeat, index after it)."""
    if i >= len(pattern) or pattern[i] not in "?*+{":
        return False, False, i
    char = pattern[i]
    i = pattern.index("}", i) + 1 if char == "{" else i + 1
    if i < len(pattern) and pattern[i] in "?+":  # lazy or possessive
        i += 1
    return char != "+", True, i


Anchors = frozenset[str] | None


def _best(candidates: list[frozenset[str]]) -> Anchors:
    """The candidate whose shortest text is longest: the most selective prefilter."""
    useful = [c for c in candidates if c and min(map(len, c)) >= _MIN_ANCHOR]
    return max(useful, key=lambda c: min(map(len, c))) if useful else None


def _parse_anchors(pattern: str, i: int) -> tuple[Anchors, int]:
    """Anchors of the alternation starting at `i`, up to the `)` that closes it or the end.

    A set of texts such that every match contains at least one of them, or None when no such
    set is known. Conservative: anything unusual (escapes, classes, lookarounds) ends a literal.
    """
    branches: list[Anchors] = []
    candidates: list[frozenset[str]] = []
    run = ""
    while i < len(pattern) and pattern[i] != ")":
        char = pattern[i]
        if char == "|":
            candidates.append(frozenset([run.strip()]))
            branches.append(_best(candidates))
            candidates, run = [], ""
            i += 1
            continue
        group: Anchors = None
        if char == "\\":
            i += 2
        elif char == "[":
            i = _skip_class(pattern, i)
        elif char == "(":
            plain = True
            if pattern.startswith("(?:", i):
                start = i + 3
            elif pattern.startswith("(?P<", i):
                start = pattern.index(">", i) + 1
            elif pattern.startswith("(?", i):  # lookarounds and flags: nothing is required
                start, plain = i + 2, False
            else:
                start = i + 1
            group, i = _parse_anchors(pattern, start)
            group = group if plain else None
            i += 1
        elif char.lower() in _ANCHOR_CHARS and char != "-":
            optional, repeats, after = _skip_quantifier(pattern, i + 1)
            if not optional:
                run += char.lower()
            if optional or repeats:
                candidates.append(frozenset([run.strip()]))
                run = ""
            i = after
            continue
        else:
            i += 1
        candidates.append(frozenset([run.strip()]))
        run = ""
        optional, _, i = _skip_quantifier(pattern, i)
        if group is not None and not optional:
            candidates.append(group)
    candidates.append(frozenset([run.strip()]))
    branches.append(_best(candidates))
    if any(branch is None for branch in branches):
        return None, i
    return frozenset().union(*(b for b in branches if b is not None)), i


def _regex_anchors(pattern: str) -> Anchors:
    """Texts every match of `pattern` contains one of, to skip the regex engine cheaply.

    The engine is slow on patterns that start with `\\b`; a substring test is not.
    """
    anchors, _ = _parse_anchors(pattern, 0)
    return anchors


class _WordOnly(dict[int, int]):
    """`str.translate` table: word characters stay, every other character becomes a space."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        value = code if _is_word_char(char) else 32
        self[code] = value
        return value


_WORD_ONLY = _WordOnly()

# What a rule's matches need, as alternatives: each is the words that every match of that
# alternative contains exactly, and the prefixes that some of its words start with.
Needs = tuple[tuple[frozenset[str], frozenset[str]], ...]
_MAX_ALTERNATIVES = 64


class _Gap:
    """Any number (0 or more) of further repetitions of `body`, in a node list."""

    __slots__ = ("body",)

    def __init__(self, body: list[Any]) -> None:
        self.body = body


# A walk through a pattern: the word read so far (None: not known to have started at a word
# start), and the (word, exact) requirements collected before it.
_State = tuple[str | None, tuple[tuple[str, bool], ...]]


def _class_kind(items: list[tuple[Any, Any]]) -> str | list[str]:
    """A character class as `"break"` (only non-word characters), a few word letters, or `"?"`."""
    letters: list[str] = []
    breaks = 0
    for op, value in items:
        if op is _sre_parser.LITERAL and _is_word_char(chr(value)):
            letters.append(chr(value))
        elif op is _sre_parser.LITERAL or (
            op is _sre_parser.CATEGORY
            and value in (_sre_parser.CATEGORY_SPACE, _sre_parser.CATEGORY_NOT_WORD)
        ):
            breaks += 1
        else:
            return "?"
    if letters and breaks:
        return "?"
    if breaks:
        return "break"
    return letters if len(letters) <= 4 else "?"


def _close(state: _State, exact: bool, after: str | None) -> _State:
    """End the current word (as an exact word or a prefix) and move to position `after`."""
    word, needs = state
    return (after, (*needs, (word, exact)) if word else needs)


def _walk(nodes: list[Any], state: _State) -> set[_State]:
    """Every state in which a match of `nodes`, entered in `state`, can end (a superset)."""
    if not nodes:
        return {state}
    node, rest = nodes[0], nodes[1:]
    word, _ = state
    if isinstance(node, _Gap):
        if word is not None and all(end == word for end, _ in _walk(node.body, (word, ()))):
            return _walk(rest, state)  # every repetition ends where it began (a word start)
        return _walk(rest, _close(state, False, None))
    op, value = node
    alternatives: list[list[Any]]
    if op is _sre_parser.LITERAL:
        char = chr(value)
        if _is_word_char(char):
            return _walk(rest, (word + char if word is not None else None, state[1]))
        return _walk(rest, _close(state, True, ""))
    if op is _sre_parser.AT and value is _sre_parser.AT_BOUNDARY:
        return _walk(rest, _close(state, True, None) if word else state)
    if op in (_sre_parser.AT, _sre_parser.ASSERT, _sre_parser.ASSERT_NOT):
        return _walk(rest, state)  # consumes nothing; dropping the condition is safe
    if op is _sre_parser.IN:
        kind = _class_kind(list(value))
        if kind == "break":
            return _walk(rest, _close(state, True, ""))
        if kind == "?":
            return _walk(rest, _close(state, False, None))
        alternatives = [[(_sre_parser.LITERAL, ord(letter)), *rest] for letter in kind]
    elif op is _sre_parser.SUBPATTERN:
        _, add_flags, del_flags, body = value
        if add_flags or del_flags:
            return _walk(rest, _close(state, False, None))
        alternatives = [[*body, *rest]]
    elif op is _sre_parser.BRANCH:
        alternatives = [[*branch, *rest] for branch in value[1]]
    elif op in (_sre_parser.MAX_REPEAT, _sre_parser.MIN_REPEAT, _sre_parser.POSSESSIVE_REPEAT):
        low, high, body = value
        body = list(body)
        more = [] if high == 1 else [_Gap(body)]
        alternatives = [[*body, *more, *rest]] + ([rest] if low == 0 else [])
    else:
        return _walk(rest, _close(state, False, None))
    ends: set[_State] = set()
    for alternative in alternatives:
        ends |= _walk(alternative, state)
        if len(ends) > _MAX_ALTERNATIVES:
            raise _TooComplex
    return ends


class _TooComplex(Exception):
    """A pattern with too many alternatives to be worth prefiltering."""


def _needs(source: str) -> Needs | None:
    """What every match of the regex `source` needs in a text, or None when nothing is known."""
    try:
        parsed = _sre_parser.parse(source)
        if parsed.state.flags & ~(re.UNICODE | re.VERBOSE):
            return None
        ends = _walk(list(parsed), ("", ()))
    except Exception:  # too complex, or another Python's parser: prefilter nothing, stay exact
        return None
    alternatives = set()
    for end in ends:
        _, needs = _close(end, False, None)
        if not needs:
            return None
        alternatives.add(
            (
                frozenset(word for word, exact in needs if exact),
                frozenset(word for word, exact in needs if not exact),
            )
        )
    return tuple(sorted(alternatives, key=lambda need: (sorted(need[0]), sorted(need[1]))))


class _Matcher:
    """A compiled rule: a plain object, as the fast path calls it ~100 times a paper."""

    __slots__ = ("anchors", "needs", "regex")

    def __init__(self, regex: re.Pattern[str], anchors: Anchors, needs: Needs | None) -> None:
        self.regex = regex
        self.anchors = tuple(anchors) if anchors is not None else ()
        self.needs = needs

    def found(self, text: str) -> bool:
        """Whether a match in `text` starts a word: `search` without its prefilter, for rules
        that `_FastScorer` has already found candidates."""
        pos = 0
        search = self.regex.search
        while (match := search(text, pos)) is not None:
            start = match.start()
            if start == 0 or not _is_word_char(text[start - 1]):
                return True
            pos = start + 1
        return False

    def search(self, text: str) -> str | None:
        """The first match in `text` (prepared) that starts a word, or None."""
        if self.anchors:
            for anchor in self.anchors:
                if anchor in text:
                    break
            else:
                return None
        pos = 0
        while (match := self.regex.search(text, pos)) is not None:
            start = match.start()
            if start == 0 or not _is_word_char(text[start - 1]):
                return match.group(0)
            pos = start + 1
        return None


class Rule(BaseModel):
    """One piece of evidence for a tag: a phrase or a regex, and what a match is worth.

    Both match from the start of a word, in lower-cased text. Negative weights mark evidence
    against the tag (a survey that merely lists agents as one topic); `field` limits a rule to
    the title or the abstract.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    phrase: str | None = None
    regex: str | None = None
    weight: float
    field: Literal["any", "title", "abstract"] = "any"

    _matcher: _Matcher = PrivateAttr()

    @model_validator(mode="after")
    def _compile(self) -> Rule:
        if (self.phrase is None) == (self.regex is None):
            raise ValueError("give exactly one of `phrase` or `regex`")
        if self.weight == 0:
            raise ValueError("weight: must not be 0")
        anchors: Anchors
        if self.phrase is not None:
            words = self.phrase.casefold().replace("-", " ").split()
            if not words:
                raise ValueError("phrase: must not be empty")
            source = _phrase_regex(self.phrase.casefold())
            anchor = max(words, key=len)
            anchors = frozenset([anchor]) if set(anchor) <= _ANCHOR_CHARS else None
        else:
            assert self.regex is not None
            source = self.regex
            if any(char.isupper() for char in _ESCAPE.sub("", source)):
                raise ValueError("regex: write it in lower case (rules see lower-cased text)")
            anchors = _regex_anchors(source)
        try:
            compiled = re.compile(source)
        except re.error as exc:
            raise ValueError(f"regex: not a valid regular expression ({exc})") from None
        if compiled.search(""):
            raise ValueError("regex: matches the empty text, so it would match every paper")
        verbose = bool(compiled.flags & re.VERBOSE)
        self._matcher = _Matcher(compiled, None if verbose else anchors, _needs(source))
        return self

    @property
    def pattern(self) -> str:
        """The rule as a person reads it: `"phrase"` or `/regex/`."""
        return f'"{self.phrase}"' if self.phrase is not None else f"/{self.regex}/"

    def search(self, text: str) -> str | None:
        """The text this rule matches in `text` (as `prepare_text` returns it), or None."""
        return self._matcher.search(text)


# One tag ready to score: name, threshold, and per rule (rule, matcher, title and abstract
# weight; 0 where the rule does not apply).
_PlannedTag = tuple[str, float, tuple[tuple[Rule, _Matcher, float, float], ...]]


class TagDef(BaseModel):
    """A tag of the taxonomy: what it means, how it is recognised, and what it brings along."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    rules: list[Rule] = Field(default_factory=list)
    threshold: float = Field(default=3.0, gt=0)
    enabled: bool = True
    implies: list[str] = Field(default_factory=list)


class Taxonomy(BaseModel):
    """The tags in display order, and how much a title match outweighs an abstract match."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title_factor: float = Field(default=2.0, ge=1)
    tags: dict[str, TagDef]

    _plan: tuple[_PlannedTag, ...] | None = PrivateAttr(default=None)
    _scorer: _FastScorer | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_links(self) -> Taxonomy:
        for name, tag in self.tags.items():
            if tag.name != name:
                raise ValueError(f"tags.{name}.name: must be {name!r}")
            for target in tag.implies:
                if target not in self.tags:
                    raise ValueError(f"tags.{name}.implies: unknown tag {target!r}")
        return self

    def enabled(self) -> list[TagDef]:
        return [tag for tag in self.tags.values() if tag.enabled]

    def plan(self) -> tuple[_PlannedTag, ...]:
        """The enabled tags flattened for scoring, built once (a taxonomy is not changed)."""
        if self._plan is None:
            self._plan = tuple(
                (
                    tag.name,
                    tag.threshold,
                    tuple(
                        (
                            rule,
                            rule._matcher,
                            rule.weight * self.title_factor if rule.field != "abstract" else 0.0,
                            rule.weight if rule.field != "title" else 0.0,
                        )
                        for rule in tag.rules
                    ),
                )
                for tag in self.enabled()
            )
        return self._plan

    def scorer(self) -> _FastScorer:
        """The enabled rules indexed by the words they need, for `tag_paper`, built once."""
        if self._scorer is None:
            self._scorer = _FastScorer(self.plan())
        return self._scorer

    def fingerprint(self) -> str:
        """A hash of everything that decides tags, so a store knows when to retag.

        Descriptions are left out: rewording a description must not retag a library.
        """
        effective = {
            "engine": ENGINE_VERSION,
            "title_factor": self.title_factor,
            "tags": [
                {
                    "name": tag.name,
                    "threshold": tag.threshold,
                    "implies": tag.implies,
                    "rules": [rule.model_dump() for rule in tag.rules],
                }
                for tag in self.enabled()
            ],
        }
        blob = json.dumps(effective, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


class _FastScorer:
    """A taxonomy's rules indexed by what their matches need, so that a paper only runs the
    regexes of rules whose needed words it contains (usually under a tenth of them).

    A paper's *features* are its words that some rule needs exactly, and `prefix*` for every rule
    prefix one of its words starts with; features are cached per word, as a library's
    vocabulary is small.
    """

    _CACHE_LIMIT = 500_000

    def __init__(self, plan: tuple[_PlannedTag, ...]) -> None:
        self.tags = tuple((name, threshold) for name, threshold, _ in plan)
        self.matchers: list[_Matcher] = []
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
        if None in cached:
            cached = [self.cache.get(word) or self._word_features(word) for word in words]
        return set().union(*cast(list[tuple[str, ...]], cached))

    def assigned(self, title: str, abstract: str) -> set[str]:
        """The tags whose rules reach their thresholds (before `implies`)."""
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
        return {
            name
            for (name, threshold), score in zip(self.tags, scores, strict=True)
            if round(score, 6) >= threshold
        }


# --- loading -------------------------------------------------------------------------------


def _key_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith(("function-after", "function-before")):
            path += f".{part}" if path else part
    return path


def _error_message(filename: str, exc: ValidationError) -> str:
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    elif error["type"] == "missing":
        message = "required field is missing"
    elif error["type"] in ("float_parsing", "float_type"):
        message = "must be a number"
    key = _key_path(error["loc"])
    if not key and ": " in message:  # taxonomy-wide checks name the key themselves
        key, message = message.split(": ", 1)
    return f"{filename}: {key}: {message}" if key else f"{filename}: {message}"


def _read_toml(text: str, filename: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{filename}: not valid TOML ({exc})") from None


def _build(data: dict[str, Any], filename: str) -> Taxonomy:
    tags = data.get("tags")
    if not isinstance(tags, dict):
        raise TaxonomyError(f"{filename}: tags: must be a table of tags ([tags.NAME])")
    raw = dict(data)
    raw["tags"] = {
        name: {"name": name, **body} if isinstance(body, dict) else body
        for name, body in tags.items()
    }
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        raise TaxonomyError(_error_message(filename, exc)) from None


_DEFAULT: Taxonomy | None = None


def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with papertriage (`taxonomy.toml` in the package)."""
    global _DEFAULT
    if _DEFAULT is None:
        text = resources.files("papertriage").joinpath("taxonomy.toml").read_text("utf-8")
        _DEFAULT = _build(_read_toml(text, "taxonomy.toml"), "taxonomy.toml")
    return _DEFAULT.model_copy(deep=True)


def _merge(base: dict[str, Any], user: dict[str, Any], filename: str) -> dict[str, Any]:
    """Overlay a user taxonomy: new tags are added, given keys of known tags replace the
    default's, and `extra_rules` appends rules to a known tag instead of replacing them."""
    merged = {**base, **{key: value for key, value in user.items() if key != "tags"}}
    tags: dict[str, Any] = {name: dict(body) for name, body in base["tags"].items()}
    user_tags = user.get("tags", {})
    if not isinstance(user_tags, dict):
        raise TaxonomyError(f"{filename}: tags: must be a table of tags ([tags.NAME])")
    for name, body in user_tags.items():
        if not isinstance(body, dict):
            raise TaxonomyError(f"{filename}: tags.{name}: must be a table")
        body = dict(body)
        extra = body.pop("extra_rules", [])
        if not isinstance(extra, list):
            raise TaxonomyError(f"{filename}: tags.{name}.extra_rules: must be a list of rules")
        target = tags.setdefault(name, {})
        target.update(body)
        target["rules"] = [*target.get("rules", []), *extra]
    merged["tags"] = tags
    return merged


def load_taxonomy(user_file: Path | None) -> Taxonomy:
    """The default taxonomy, overlaid with the user's file when one is given.

    A user file holds only what differs: `[tags.NEW]` adds a tag, `[tags.efficiency]` with
    `threshold = 4` or `enabled = false` changes or disables a default one.
    """
    if user_file is None:
        return default_taxonomy()
    filename = str(user_file)
    try:
        text = user_file.read_text("utf-8")
    except OSError as exc:
        raise TaxonomyError(f"{filename}: cannot read the taxonomy ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise TaxonomyError(f"{filename}: not UTF-8 text") from None
    user = _read_toml(text, filename)
    base = resources.files("papertriage").joinpath("taxonomy.toml").read_text("utf-8")
    return _build(_merge(_read_toml(base, "taxonomy.toml"), user, filename), filename)


# --- scoring -------------------------------------------------------------------------------


class RuleHit(BaseModel):
    """One rule that matched one field of a paper, with what it added to the score."""

    rule: str
    field: FieldName
    weight: float
    matched: str


class TagScore(BaseModel):
    """How a tag was decided for one paper: the evidence, the sum, and the bar it had to reach."""

    tag: str
    score: float
    threshold: float
    assigned: bool
    hits: list[RuleHit]
    via: str | None = None


def _implied(tax: Taxonomy, assigned: Iterable[str]) -> dict[str, str]:
    """Tags brought in by `implies` (transitively), each with the tag that brought it."""
    via: dict[str, str] = {}
    stack = list(assigned)
    seen = set(stack)
    while stack:
        source = stack.pop()
        for target in tax.tags[source].implies:
            if target not in seen and tax.tags[target].enabled:
                seen.add(target)
                via[target] = source
                stack.append(target)
    return via


def tag_paper(tax: Taxonomy, title: str, abstract: str) -> list[str]:
    """The tags a paper gets, in taxonomy order. The fast path: no explanations are built."""
    assigned = tax.scorer().assigned(prepare_text(title), prepare_text(abstract))
    assigned.update(_implied(tax, assigned))
    return [name for name in tax.tags if name in assigned]


def score_paper(tax: Taxonomy, title: str, abstract: str) -> list[TagScore]:
    """Every enabled tag with any evidence or assignment, in taxonomy order, with its rule hits.

    What `tags explain` shows; `tag_paper` gives the same assignments faster.
    """
    texts: tuple[tuple[FieldName, str], ...] = (
        ("title", prepare_text(title)),
        ("abstract", prepare_text(abstract)),
    )
    scores: dict[str, TagScore] = {}
    for name, threshold, rules in tax.plan():
        hits = []
        for rule, matcher, title_weight, abstract_weight in rules:
            for (field, text), weight in zip(texts, (title_weight, abstract_weight), strict=True):
                if weight and (matched := matcher.search(text)) is not None:
                    hits.append(
                        RuleHit(rule=rule.pattern, field=field, weight=weight, matched=matched)
                    )
        if hits:
            total = round(sum(hit.weight for hit in hits), 6)
            scores[name] = TagScore(
                tag=name, score=total, threshold=threshold, assigned=total >= threshold, hits=hits
            )
    assigned = [name for name, score in scores.items() if score.assigned]
    for target, source in _implied(tax, assigned).items():
        score = scores.setdefault(
            target,
            TagScore(
                tag=target, score=0.0, threshold=tax.tags[target].threshold, assigned=False, hits=[]
            ),
        )
        score.assigned = True
        score.via = f"implied by {source}"
    return [scores[name] for name in tax.tags if name in scores]


# --- evaluation ----------------------------------------------------------------------------


class GoldItem(BaseModel):
    """A paper's title and the tags a person gave it."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1)
    tags: list[str]


def load_gold(path: Path) -> list[GoldItem]:
    """Gold labels from JSONL, one `{"title", "tags"}` object a line; blank lines are skipped."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise PapertriageError(f"{path}: cannot read the gold file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise PapertriageError(f"{path}: not UTF-8 text") from None
    items: list[GoldItem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(GoldItem.model_validate_json(line))
        except ValidationError as exc:
            error = exc.errors()[0]
            key = _key_path(error["loc"])
            message = "not valid JSON" if error["type"] == "json_invalid" else error["msg"]
            where = f"{key}: " if key else ""
            raise PapertriageError(
                f'{path}:{number}: {where}{message} (expected {{"title": ..., "tags": [...]}})'
            ) from None
    return items


class TagEval(BaseModel):
    """Agreement with the gold labels for one tag."""

    tag: str
    precision: float
    recall: float
    f1: float
    support: int
    tp: int
    fp: int
    fn: int


class Miss(BaseModel):
    """A gold paper the tagger got wrong: the tags it missed and the ones it added."""

    title: str
    missing: list[str]
    extra: list[str]


class EvalReport(BaseModel):
    """Per-tag and averaged agreement, and the papers that disagree most, worst first."""

    per_tag: list[TagEval]
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    misses: list[Miss]
    evaluated: int
    unmatched: list[str]


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(
    predicted: Mapping[str, Sequence[str]],
    gold: Sequence[GoldItem],
    tag_order: Sequence[str] = (),
) -> EvalReport:
    """Compare predicted tags (keyed by `title_key(title)`) with gold labels.

    Gold titles with no prediction are listed as unmatched and left out of every count, so a
    missing paper is not mistaken for a paper with no tags. Tags are reported in `tag_order`,
    then any others by name; the macro average covers every tag that is in gold or predicted.
    """
    counts: dict[str, list[int]] = {}  # tag -> [tp, fp, fn]
    misses: list[Miss] = []
    unmatched: list[str] = []
    evaluated = 0
    for item in gold:
        key = title_key(item.title)
        if key not in predicted:
            unmatched.append(item.title)
            continue
        evaluated += 1
        want, got = set(item.tags), set(predicted[key])
        for tag in want | got:
            row = counts.setdefault(tag, [0, 0, 0])
            row[0 if tag in want and tag in got else 1 if tag in got else 2] += 1
        if want != got:
            misses.append(
                Miss(title=item.title, missing=sorted(want - got), extra=sorted(got - want))
            )
    position = {tag: index for index, tag in enumerate(tag_order)}
    names = sorted(counts, key=lambda tag: (position.get(tag, len(position)), tag))
    per_tag = []
    for tag in names:
        tp, fp, fn = counts[tag]
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        per_tag.append(
            TagEval(
                tag=tag,
                precision=precision,
                recall=recall,
                f1=_f1(precision, recall),
                support=tp + fn,
                tp=tp,
                fp=fp,
                fn=fn,
            )
        )
    tp = sum(row.tp for row in per_tag)
    micro_p = _ratio(tp, tp + sum(row.fp for row in per_tag))
    micro_r = _ratio(tp, tp + sum(row.fn for row in per_tag))
    misses.sort(key=lambda miss: -(len(miss.missing) + len(miss.extra)))
    return EvalReport(
        per_tag=per_tag,
        micro_precision=micro_p,
        micro_recall=micro_r,
        micro_f1=_f1(micro_p, micro_r),
        macro_f1=_ratio(sum(row.f1 for row in per_tag), len(per_tag)),
        misses=misses,
        evaluated=evaluated,
        unmatched=unmatched,
    )
