"""BibTeX for reference managers and LaTeX: field escaping, citation keys and `@misc` entries.

Dump text is data, not LaTeX: only what is plainly the author's LaTeX (balanced math, kernel
commands, accents) survives; everything else is escaped so it prints as written.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import TextIO

from ..models import PaperDetail, paper_links
from ..normalize import strip_markup
from .text import one_line


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Commands a LaTeX kernel defines in text mode: kept, because authors use them on purpose
# (`\textsc{AIEV-Instruct}`). Any other command (`\method`, `\ours`, `\url`) is an author's macro
# that the reader's document does not define, so its backslash is escaped instead.
_TEXT_COMMANDS = _words(
    "textbf textit textsc texttt textsf textrm textsl textup textmd textnormal emph underline "
    "textsuperscript textsubscript mbox bf it sc tt sf rm sl em LaTeX TeX LaTeXe ldots dots "
    "textendash textemdash textquoteleft textquoteright textquotedblleft textquotedblright "
    "ss ae AE oe OE o O l L aa AA i j S P dag ddag copyright pounds textregistered "
    "texttrademark textdegree textbullet textellipsis"
)
# Math-mode commands found in titles outside `$...$` (`\Delta`, `\times`): wrapped in
# `\ensuremath{}` so they print in text as well as in math.
_MATH_COMMANDS = _words(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
    "xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta "
    "Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega times infty nabla partial approx sim simeq "
    "leq geq le ge neq pm mp cdot circ star ast rightarrow leftarrow Rightarrow Leftarrow "
    "leftrightarrow to mapsto uparrow downarrow in notin subset supset cup cap forall exists "
    "neg ell hbar prime sum prod int"
)
_ACCENTS = frozenset("\"'`^~=.")
# Escapes that are already right in LaTeX and BibTeX alike.
_KEPT_ESCAPES = frozenset("%&$#_")
# Kernel commands that take an argument: kept only when a brace group follows, else (`\textbf{`
# whose closing brace the dump lost) `\textbf\textbraceleft{}` stops citation-js reading the file.
_ARGUMENT_COMMANDS = _words(
    "textbf textit textsc texttt textsf textrm textsl textup textmd textnormal emph underline "
    "textsuperscript textsubscript mbox"
)
# How each character that LaTeX or BibTeX would read as syntax is written as text, in the forms
# that pandoc, bibtexparser (pylatexenc), citation-js and biblatex-csl-converter all decode.
# `< > |` are plain characters to all of them and to BibTeX (`\textless{}` and `\textbar{}` are
# dropped by some); a caret has no form all four decode, `\textasciicircum{}` is read by three.
_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_TEXT_TRANSLATION = str.maketrans(_TEXT_SPECIALS)
# Characters that may start LaTeX the author meant (math, a command, a group).
_STRUCTURE = re.compile(r"[$\\{}]")
_COMMAND = re.compile(r"\\([A-Za-z]+)\*?")
# Inline math, by pandoc's rule: the opening `$` has a non-space to its right, the closing one a
# non-space to its left and no digit after it, so "$25 and $15" stays two dollar amounts.
_MATH = re.compile(r"\$(?=\S)((?:\\.|[^$\\])+?)(?<=\S)\$(?!\d)")
_MATH_BREAKERS = re.compile(r"(?<!\\)[%#&]")
# A word for case protection: letters and digits, joined by hyphens, dots or apostrophes.
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
_WORD_PART = re.compile(r"['’.\-]")
# Where a title's sentences start (a capital there says nothing), and the words long enough to
# tell sentence case from title case (`for`, `and` are lower-case in both).
_SENTENCE_ENDS = frozenset(":?!.;")
_LONG_WORD = 4

# A literal brace: `\{ \}` in pairs. BibTeX counts those as braces too, so a lone one is written
# as math (pandoc, bibtexparser and biblatex-csl-converter decode it; citation-js shows it as is).
_PAIRED_BRACE = {"{": r"\{", "}": r"\}"}
_LONE_BRACE = {"{": r"\ensuremath{\lbrace}", "}": r"\ensuremath{\rbrace}"}
_BRACE_SPLIT = re.compile(r"([{}])")
_LINE_BREAK = "\\\\"

# (kind, text): kind is "raw" (kept as written), "command" (a kernel command that wants a group
# after it), "open" and "close" (a group), "brace" (a literal brace) or "char" (text to escape).
_Token = tuple[str, str]


def _balanced(text: str) -> bool:
    """Whether braces balance the way BibTeX counts them: every brace, escaped or not."""
    depth = 0
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _tokens(text: str) -> list[_Token]:
    """Split text into what is kept verbatim (math, known commands, escapes), braces, and runs
    of characters to escape."""
    tokens: list[_Token] = []
    i, end = 0, len(text)
    while i < end:
        special = _STRUCTURE.search(text, i)
        if special is None:
            tokens.append(("char", text[i:]))
            break
        if special.start() > i:
            tokens.append(("char", text[i : special.start()]))
        i = special.start()
        char = text[i]
        if char == "$":
            math = _MATH.match(text, i)
            if (
                math is not None
                and _balanced(math.group(1))
                and not _MATH_BREAKERS.search(math.group(1))
            ):
                tokens.append(("raw", math.group(0)))
                i = math.end()
                continue
        elif char == "\\":
            command = _COMMAND.match(text, i)
            after = text[i + 1 : i + 2]
            if command is not None:
                name = command.group(1)
                if name in _TEXT_COMMANDS:
                    kind = "command" if name in _ARGUMENT_COMMANDS else "raw"
                    tokens.append((kind, command.group(0)))
                    i = command.end()
                    continue
                if name in _MATH_COMMANDS:
                    tokens.append(("raw", f"\\ensuremath{{{command.group(0)}}}"))
                    i = command.end()
                    continue
            elif after in _KEPT_ESCAPES:
                tokens.append(("raw", text[i : i + 2]))
                i += 2
                continue
            elif after in _ACCENTS and text[i + 2 : i + 3].isalpha():
                tokens.append(("raw", text[i : i + 3]))
                i += 3
                continue
            elif after in ("{", "}"):  # a literal brace: written as text, never as a group
                tokens.append(("brace", after))
                i += 2
                continue
        else:
            tokens.append(("open" if char == "{" else "close", char))
            i += 1
            continue
        tokens.append(("char", char))
        i += 1
    return tokens


def _match_braces(tokens: list[_Token]) -> None:
    """Turn group braces that have no partner into literal braces, commands that lost their group
    into text, then write each literal brace in the form its pairing allows."""
    opened: list[int] = []
    for index, (kind, text) in enumerate(tokens):
        if kind == "open":
            opened.append(index)
        elif kind == "close":
            if opened:
                opened.pop()
            else:
                tokens[index] = ("brace", text)
    for index in opened:
        tokens[index] = ("brace", "{")
    for index, (kind, text) in enumerate(tokens):
        if kind == "command":
            grouped = index + 1 < len(tokens) and tokens[index + 1][0] == "open"
            tokens[index] = ("raw" if grouped else "char", text)
    _pair_literal_braces(tokens)


def _pair_literal_braces(tokens: list[_Token]) -> None:
    opened: list[int] = []
    for index, (kind, text) in enumerate(tokens):
        if kind != "brace":
            continue
        if text == "{":
            opened.append(index)
        elif opened:
            tokens[opened.pop()] = ("raw", _PAIRED_BRACE["{"])
            tokens[index] = ("raw", _PAIRED_BRACE["}"])
        else:
            tokens[index] = ("raw", _LONE_BRACE["}"])
    for index in opened:
        tokens[index] = ("raw", _LONE_BRACE["{"])


def _needs_case_protection(word: str) -> bool:
    """Acronyms and mixed-case names (`LLaVA`, `GPT-4o`, `Qwen2.5`, `FürElise`, `3D`) and the
    pronoun `I`, which styles must not lower-case. Capitalised words, hyphenated ones included
    (`Vision-Language`), are left to the style's sentence case."""
    if word == "I":
        return True
    for part in _WORD_PART.split(word):
        if part[1:] != part[1:].lower() or (part[:1].isupper() and _DIGIT.search(part)):
            return True
    return False


def _names(title: str) -> frozenset[str]:
    """Capitalised words inside a title written in sentence case (`Asking like Socrates`): there
    a capital marks a name. In a title-cased title a name cannot be told from any other word."""
    capitalised, lower, names = 0, 0, set()
    for match in _WORD.finditer(title):
        word = match.group(0)
        before = title[: match.start()].rstrip()
        if not before or before[-1] in _SENTENCE_ENDS or word[1:] != word[1:].lower():
            continue
        if word[0].isupper():
            names.add(word)
        if word.isalpha() and len(word) >= _LONG_WORD:
            capitalised += word[0].isupper()
            lower += word[0].islower()
    return frozenset(names) if lower > max(capitalised, 1) else frozenset()


def _case_matters(raw: str) -> bool:
    """Math (`$L_2$`) and commands with capitals (`\\LaTeX`, `\\"U`) that a style's lower-casing
    would break; braced, BibTeX leaves them alone."""
    return raw.startswith("$") or raw != raw.lower()


def _escape_chars(text: str) -> str:
    return text.translate(_TEXT_TRANSLATION)


def _protect_run(text: str, names: frozenset[str]) -> str:
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        if match.group(0) in names or _needs_case_protection(match.group(0)):
            out.append(_escape_chars(text[last : match.start()]))
            out.append("{" + _escape_chars(match.group(0)) + "}")
            last = match.end()
    out.append(_escape_chars(text[last:]))
    return "".join(out)


def bibtex_text(text: str, *, protect_case: bool = False) -> str:
    """`text` as the value of a braced BibTeX field that also compiles in LaTeX.

    Balanced math (`$\\nabla^2$`), kernel commands (`\\textsc{...}`), accents (`\\"u`) and balanced
    brace groups are the author's LaTeX and are kept; everything else that is syntax
    (`% & # _ $ ~ ^ \\ < > |`, unbalanced braces, unknown macros) is escaped so it prints as
    written. With `protect_case` (titles), words and LaTeX a style would wrongly lower-case get
    braces.
    """
    text = one_line(text)
    names = _names(text) if protect_case else frozenset()
    tokens = _tokens(text)
    _match_braces(tokens)
    out: list[str] = []
    depth = 0
    run: list[str] = []

    def flush() -> None:
        if run:
            chunk = "".join(run)
            out.append(_protect_run(chunk, names) if protect_case else _escape_chars(chunk))
            run.clear()

    for kind, value in tokens:
        if kind == "char" and depth == 0:
            run.append(value)
            continue
        flush()
        if kind == "char":
            out.append(_escape_chars(value))
        elif kind == "raw" and protect_case and depth == 0 and _case_matters(value):
            out.append("{" + value + "}")
        else:
            out.append(value)
            depth += (kind == "open") - (kind == "close")
    flush()
    return "".join(out)


def bibtex_note(text: str) -> str:
    """The user's note as the value of a braced field: plain text, not LaTeX, so every brace and
    special character is written to print as typed, and each line break as `\\\\` (which
    pandoc, bibtexparser and biblatex-csl-converter read back as one)."""
    tokens: list[_Token] = []
    for index, line in enumerate(text.strip().splitlines()):
        line = one_line(line)
        if index:
            # `\\[` and `\\*` are LaTeX's line break with an option; `\\{` would look like an
            # escaped brace to bibtexparser: a space keeps both apart.
            if line.startswith(("[", "*")):
                tokens.append(("raw", _LINE_BREAK + " {" + line[0] + "}"))
                line = line[1:]
            else:
                tokens.append(("raw", _LINE_BREAK))
        for piece in _BRACE_SPLIT.split(line):
            if piece:
                tokens.append(("brace" if piece in _PAIRED_BRACE else "char", piece))
    _pair_literal_braces(tokens)
    return "".join(value if kind == "raw" else _escape_chars(value) for kind, value in tokens)


_KEY_STOPWORDS = _words(
    "a an the of on in for to toward towards and or with without via from by at into onto is "
    "are be can do does what how why when where which who your you we our it its not all"
)
_KEY_WORD_LENGTH = 20
_KEY_HASH_LENGTH = 4
_HEX = re.compile(r"[0-9a-f]{12,}")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _key_word(title: str) -> str:
    """The first significant title word, folded to lower-case ASCII letters and digits."""
    folded = unicodedata.normalize("NFKD", strip_markup(title))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    for word in re.split(r"[^a-z0-9]+", ascii_text):
        if word and not word.isdigit() and word not in _KEY_STOPWORDS:
            return word[:_KEY_WORD_LENGTH]
    return "paper"


def _key_digest(paper_id: str) -> str:
    """Hex digits that identify the paper: its id itself when it is the usual sha1 prefix."""
    if _HEX.fullmatch(paper_id):
        return paper_id
    return hashlib.sha1(paper_id.encode("utf-8")).hexdigest()


def _key_parts(paper: PaperDetail) -> tuple[str, str]:
    year = str(paper.first_seen.year) if paper.first_seen is not None else ""
    return _key_word(paper.title) + year, _key_digest(paper.id)


def bibtex_key(paper: PaperDetail) -> str:
    """A citation key like `sketchvideo2025a3f2`: readable, ASCII, and the same in every run and
    every library, since the paper id comes from the normalised title alone."""
    stem, digest = _key_parts(paper)
    return stem + digest[:_KEY_HASH_LENGTH]


def bibtex_keys(papers: Sequence[PaperDetail]) -> list[str]:
    """The key of each paper, unique within the export.

    On a clash the paper with the smallest id keeps the plain key and the others take more digits
    of their ids (then a letter, for identical ids), so the result depends on the set of papers,
    not on their order.
    """
    keys = [bibtex_key(paper) for paper in papers]
    clashes: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        clashes.setdefault(key, []).append(index)
    taken = set(keys)
    for key in sorted(clashes):
        members = sorted(clashes[key], key=lambda index: papers[index].id)
        for index in members[1:]:
            stem, digest = _key_parts(papers[index])
            candidates = [stem + digest[:length] for length in (6, 8, 12, len(digest))]
            candidates += [stem + digest + chr(letter) for letter in range(ord("b"), ord("z") + 1)]
            counter = 2
            while all(candidate in taken for candidate in candidates):
                candidates = [f"{stem}{digest}-{counter}"]
                counter += 1
            keys[index] = next(candidate for candidate in candidates if candidate not in taken)
            taken.add(keys[index])
    return keys


_NAME_SYNTAX = re.compile(r",|\band\b", re.IGNORECASE)


def bibtex_author(name: str) -> str:
    """One author for BibTeX's `author` list: escaped, and braced whole when a comma or the word
    `and` would make BibTeX read it as another name or as `Last, First`."""
    text = bibtex_text(name)
    return "{" + text + "}" if _NAME_SYNTAX.search(text) else text


def _bibtex_entry(paper: PaperDetail, key: str) -> str:
    fields: list[tuple[str, str]] = [
        ("title", "{" + bibtex_text(paper.title, protect_case=True) + "}")
    ]
    if paper.authors:
        fields.append(("author", "{" + " and ".join(map(bibtex_author, paper.authors)) + "}"))
    dated = paper.published or paper.first_seen
    if dated is not None:
        fields.append(("year", f"{{{dated.year}}}"))
        fields.append(("month", _MONTHS[dated.month - 1]))
    if paper.arxiv_id is not None:
        fields.append(("eprint", "{" + bibtex_text(paper.arxiv_id) + "}"))
        fields.append(("archivePrefix", "{arXiv}"))
        fields.append(("url", "{" + paper_links(paper.arxiv_id)[1] + "}"))
    fields.append(("howpublished", "{Hugging Face Daily Papers}"))
    if paper.tags:
        fields.append(("keywords", "{" + bibtex_text(", ".join(paper.tags)) + "}"))
    note = bibtex_note(paper.note or "")
    if note:
        fields.append(("annote", "{" + note + "}"))
    fields.append(("abstract", "{" + bibtex_text(paper.abstract) + "}"))
    fields.append(("papertriage-id", "{" + bibtex_text(paper.id) + "}"))
    fields.append(("papertriage-status", "{" + paper.status + "}"))
    body = "".join(f"  {name} = {value},\n" for name, value in fields)
    return f"@misc{{{key},\n{body}}}\n"


def write_bibtex(papers: Sequence[PaperDetail], out: TextIO) -> None:
    """One `@misc` entry per paper, for reference managers and LaTeX (UTF-8, kept as is).

    `@misc`, as arXiv's own BibTeX is: with the arXiv id (from an API response) as `eprint` and
    `archivePrefix`, which biblatex and reference managers link, and the year of publication;
    a paper seen only in dumps has neither authors nor id, and the year it was first seen.
    `howpublished` names the source. The user's note goes in `annote` (what Zotero, JabRef
    and Mendeley import as a note), not `note`, which every style prints in the reference list.
    """
    for index, (paper, key) in enumerate(zip(papers, bibtex_keys(papers), strict=True)):
        out.write(("\n" if index else "") + _bibtex_entry(paper, key))
