"""How one rule finds its text: the prepared form of a paper's text, and a rule's compiled matcher.

Rules run ~100 times a paper, so each matcher carries prefilters read off its regex: `anchors`,
substrings that every match contains (a cheap `in` test before the regex engine), and `needs`,
the words every match contains, which `FastScorer` indexes. Both are conservative: when a
pattern is not understood, nothing is skipped. For `FastScorer` a rule is also split into its
alternatives (`branches`), each with its own needs.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# The regex parser of the standard library, used only to read what a rule's matches need;
# any pattern it cannot read is simply never skipped (see `_needs`).
_sre_parser: Any = importlib.import_module("re._parser")

# Unicode dashes become ASCII hyphens so that one `-` in a rule covers them all.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
# Characters a literal anchor may contain: matching on them with `in` is exact after casefold.
_ANCHOR_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 -")
_MIN_ANCHOR = 2


_ESCAPE = re.compile(r"\\.")


def is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def prepare_text(text: str) -> str:
    """The form rules are matched against: casefolded, with every dash turned into `-`."""
    if text.isascii():  # the same, faster: no dashes to turn, and casefold is lower
        return text.lower()
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
        if op is _sre_parser.LITERAL and is_word_char(chr(value)):
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
        if is_word_char(char):
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


_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def _split(source: str) -> tuple[list[str], int]:
    """The alternatives of `source` up to the `)` that closes its first level (or the end),
    and the index where they end."""
    parts: list[str] = []
    depth = start = i = 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _skip_class(source, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
        i += 1
    parts.append(source[start:i])
    return parts, i


_MAX_BRANCHES = 64


def _branches(source: str) -> list[str]:
    """A regex as alternatives: `a|b` gives `a` and `b`, and `(?:a|b)c` gives `ac` and `bc`.

    A rule matches at a word start exactly when one of its alternatives does, and each
    alternative alone has its own literal prefix (which the engine scans for quickly) and its
    own needed words. Patterns that refer to groups by number or name are not split.
    """
    if _GROUP_REFERENCE.search(source):
        return [source]
    branches: list[str] = []
    for part in _split(source)[0]:
        if part.startswith("(?:"):
            inner, end = _split(part[3:])
            rest = part[3 + end + 1 :]
            if len(inner) > 1 and not rest.startswith(("?", "*", "+", "{")):
                for alternative in inner:
                    branches += _branches(alternative + rest)
                continue
        branches.append(part)
    return branches if len(branches) <= _MAX_BRANCHES else [source]


def _strings(nodes: list[Any]) -> set[str] | None:
    """Every text a parsed regex matches, when it is a small finite set of literal texts."""
    texts = {""}
    for op, value in nodes:
        options: set[str] | None
        if op is _sre_parser.LITERAL:
            options = {chr(value)}
        elif op is _sre_parser.IN and all(kind is _sre_parser.LITERAL for kind, _ in value):
            options = {chr(code) for _, code in value}
        elif op is _sre_parser.BRANCH:
            options = set()
            for branch in value[1]:
                if (texts_of_branch := _strings(list(branch))) is None:
                    return None
                options |= texts_of_branch
        elif op is _sre_parser.SUBPATTERN and not value[1] and not value[2]:
            options = _strings(list(value[3]))
        elif op is _sre_parser.MAX_REPEAT and value[:2] == (0, 1):
            options = _strings(list(value[2]))
            options = None if options is None else options | {""}
        else:
            return None
        if options is None:
            return None
        texts = {text + option for text in texts for option in options}
        if len(texts) > _MAX_ALTERNATIVES:
            return None
    return texts


_WORD_CLASS = [(_sre_parser.IN, [(_sre_parser.CATEGORY, _sre_parser.CATEGORY_WORD)])]


def _whole_words(source: str) -> frozenset[str] | None:
    """The words a regex matches, when it matches exactly a few whole words (`agents?\\b`,
    `mamba(?:s|es)?(?!\\w)`): starting at a word start, it matches where one of them is a word of
    the text, so the word index alone decides it."""
    nodes = list(_sre_parser.parse(source))
    if not nodes:
        return None
    op, value = nodes[-1]
    if not (
        (op is _sre_parser.AT and value is _sre_parser.AT_BOUNDARY)
        or (op is _sre_parser.ASSERT_NOT and value[0] == 1 and list(value[1]) == _WORD_CLASS)
    ):
        return None
    texts = _strings(nodes[:-1])
    if not texts or not all(text and all(map(is_word_char, text)) for text in texts):
        return None
    return frozenset(texts)


# An alternative of a rule: its regex, what its matches need, and the whole words it matches
# when that is all it matches (see `_whole_words`).
Branch = tuple[re.Pattern[str], Needs | None, frozenset[str] | None]


class Matcher:
    """A compiled rule: a plain object, as the fast path calls it ~100 times a paper.

    `branches` are its alternatives (see `_branches`), each compiled with what its matches
    need, for `FastScorer`; `regex` is the whole rule, for `search`.
    """

    __slots__ = ("anchors", "branches", "regex")

    def __init__(
        self, regex: re.Pattern[str], anchors: Anchors, branches: tuple[Branch, ...]
    ) -> None:
        self.regex = regex
        self.anchors = tuple(anchors) if anchors is not None else ()
        self.branches = branches

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
            if start == 0 or not is_word_char(text[start - 1]):
                return match.group(0)
            pos = start + 1
        return None


def compile_matcher(phrase: str | None, regex: str | None) -> Matcher:
    """The matcher of a rule given by exactly one of `phrase` or `regex`.

    Raises ValueError naming the rule's key, for the taxonomy's validation message.
    """
    anchors: Anchors
    if phrase is not None:
        words = phrase.casefold().replace("-", " ").split()
        if not words:
            raise ValueError("phrase: must not be empty")
        source = _phrase_regex(phrase.casefold())
        anchor = max(words, key=len)
        anchors = frozenset([anchor]) if set(anchor) <= _ANCHOR_CHARS else None
    else:
        assert regex is not None
        source = regex
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
    plain = compiled.flags == re.UNICODE  # no flags: branches and words read it as written
    parts = _branches(source) if plain else [source]
    branches = tuple(
        (
            re.compile(part) if len(parts) > 1 else compiled,
            _needs(part),
            _whole_words(part) if plain else None,
        )
        for part in parts
    )
    return Matcher(compiled, None if verbose else anchors, branches)
