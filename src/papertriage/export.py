"""Writers that turn papers into files other programs read: BibTeX, a markdown digest, CSV, JSON.

Pure: each writer takes papers and a text stream and writes to nothing else, so the CLI decides
where the output goes (stdout or `-o FILE`) and tests can write to a `StringIO`. Titles and
abstracts come from web pages pasted into dumps, so every format treats them as data: escaped for
LaTeX, markdown and spreadsheets, never trusted as markup.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import TextIO

from .models import PAPER_FIELDS, PaperDetail, Status
from .normalize import strip_markup
from .tagging import TagScore, Taxonomy, score_paper

# Control characters (terminal escapes included) never belong in an export; tabs and newlines
# become spaces, as every field of these formats is one line of prose.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if text.isprintable() else " ".join(_CONTROL.sub("", text).split())


# --- BibTeX --------------------------------------------------------------------------------


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
# How each character that LaTeX or BibTeX would read as syntax is written as text. Braces are
# only escaped when unbalanced; `\{` is no use for that, as BibTeX counts it as a brace too.
_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
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

_Token = tuple[str, str]  # (kind, text): kind is "raw", "open", "close" or "char"


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
                    tokens.append(("raw", command.group(0)))
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
                tokens.append(("char", after))
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
    """Turn braces that have no partner into characters, so they are escaped, not counted."""
    opened: list[int] = []
    for index, (kind, text) in enumerate(tokens):
        if kind == "open":
            opened.append(index)
        elif kind == "close":
            if opened:
                opened.pop()
            else:
                tokens[index] = ("char", text)
    for index in opened:
        tokens[index] = ("char", "{")


def _needs_case_protection(word: str) -> bool:
    """Acronyms and brand names (`LLaVA`, `GPT-4o`, `Qwen2.5`, `FürElise`) that styles must not
    lower-case; a plain capitalised word (`Hierarchical`) is left to the style's sentence case."""
    rest = word[1:]
    if rest != rest.lower():
        return True
    return word[0].isupper() and _DIGIT.search(word) is not None


def _case_matters(raw: str) -> bool:
    """Math (`$L_2$`) and commands with capitals (`\\LaTeX`, `\\"U`) that a style's lower-casing
    would break; braced, BibTeX leaves them alone."""
    return raw.startswith("$") or raw != raw.lower()


def _escape_chars(text: str) -> str:
    return text.translate(_TEXT_TRANSLATION)


def _protect_run(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        if _needs_case_protection(match.group(0)):
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
    tokens = _tokens(_one_line(text))
    _match_braces(tokens)
    out: list[str] = []
    depth = 0
    run: list[str] = []

    def flush() -> None:
        if run:
            chunk = "".join(run)
            out.append(_protect_run(chunk) if protect_case else _escape_chars(chunk))
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


def _bibtex_entry(paper: PaperDetail, key: str) -> str:
    fields: list[tuple[str, str]] = [
        ("title", "{" + bibtex_text(paper.title, protect_case=True) + "}")
    ]
    if paper.first_seen is not None:
        fields.append(("year", f"{{{paper.first_seen.year}}}"))
        fields.append(("month", _MONTHS[paper.first_seen.month - 1]))
    fields.append(("howpublished", "{Hugging Face Daily Papers}"))
    if paper.tags:
        fields.append(("keywords", "{" + bibtex_text(", ".join(paper.tags)) + "}"))
    note = bibtex_text(paper.note or "")
    if note:
        fields.append(("annote", "{" + note + "}"))
    fields.append(("abstract", "{" + bibtex_text(paper.abstract) + "}"))
    fields.append(("papertriage-id", "{" + bibtex_text(paper.id) + "}"))
    fields.append(("papertriage-status", "{" + paper.status + "}"))
    body = "".join(f"  {name} = {value},\n" for name, value in fields)
    return f"@misc{{{key},\n{body}}}\n"


def write_bibtex(papers: Sequence[PaperDetail], out: TextIO) -> None:
    """One `@misc` entry per paper, for reference managers and LaTeX (UTF-8, kept as is).

    `@misc` because dumps carry neither authors nor an arXiv id, which `@article` and `@online`
    want; `howpublished` names the source. The user's note goes in `annote` (what Zotero, JabRef
    and Mendeley import as a note), not `note`, which every style prints in the reference list.
    """
    for index, (paper, key) in enumerate(zip(papers, bibtex_keys(papers), strict=True)):
        out.write(("\n" if index else "") + _bibtex_entry(paper, key))


# --- markdown ------------------------------------------------------------------------------

# Every ASCII punctuation mark CommonMark could read as inline syntax (emphasis, code, links,
# raw HTML, entities, GFM tables, strikethrough, math) gets a backslash; all are valid escapes.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>#|~&$!])")
# What could open a block when it starts a line: a list item, a thematic break, a setext line.
_MD_BLOCK_START = re.compile(r"^([-+=])|^(\d+)([.)])")
_ABSTRACT_LENGTH = 320
_HITS_SHOWN = 2
_SIGHTINGS_SHOWN = 6
_STATUS_MARK: dict[Status, str] = {
    "new": "new",
    "read": "✓ read",
    "starred": "★ starred",
    "later": "⏰ later",
    "skipped": "skipped",
}


def markdown_text(text: str) -> str:
    """Text shown literally in CommonMark: one line, every syntax character escaped."""
    return _MD_INLINE.sub(r"\\\1", _one_line(text))


def _md_block(text: str) -> str:
    """Like `markdown_text`, for text that starts a block (a quote line), where `- `, `1.`
    or `===` would otherwise start a list or a heading."""
    return _MD_BLOCK_START.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3),
        markdown_text(text),
    )


def _code(text: str) -> str:
    """A code span that holds `text` whatever backticks it contains."""
    text = _one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _trim(text: str, limit: int) -> str:
    text = _one_line(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else "?"


def _seen_where(paper: PaperDetail) -> str:
    """The dumps a paper was seen in and when: one `dump (date)` per sighting, oldest first."""
    seen: list[tuple[dt.date | None, str]] = []
    for sighting in sorted(paper.sightings, key=lambda s: (s.date or dt.date.max, s.source)):
        if (sighting.date, sighting.source) not in seen:
            seen.append((sighting.date, sighting.source))
    if not seen:
        seen = [(None, source) for source in paper.sources]
    parts = [
        _code(source) + (f" ({date.isoformat()})" if date is not None else "")
        for date, source in seen[:_SIGHTINGS_SHOWN]
    ]
    if len(seen) > _SIGHTINGS_SHOWN:
        parts.append(f"and {len(seen) - _SIGHTINGS_SHOWN} more")
    return ", ".join(parts) if parts else "no dump recorded"


def _why(tag: str, paper: PaperDetail, scores: dict[str, TagScore]) -> str:
    """A tag and, briefly, why the paper has it: yours, implied, or the strongest rule matches."""
    name = markdown_text(tag)
    if paper.tag_origins.get(tag) == "user":
        return f"{name} (yours)"
    score = scores.get(tag)
    if score is None:
        return f"{name} (by rules)"
    if score.via and not score.hits:
        return f"{name} ({markdown_text(score.via)})"
    hits = sorted((hit for hit in score.hits if hit.weight > 0), key=lambda hit: -hit.weight)
    shown = [f"“{markdown_text(hit.matched)}” in {hit.field}" for hit in hits[:_HITS_SHOWN]]
    if len(hits) > _HITS_SHOWN:
        shown.append(f"+{len(hits) - _HITS_SHOWN} more")
    if score.via:
        shown.append(markdown_text(score.via))
    return f"{name} ({', '.join(shown)})" if shown else f"{name} (by rules)"


def _sections(papers: Sequence[PaperDetail], taxonomy: Taxonomy) -> list[str | None]:
    """Tag sections in display order: the taxonomy's, then tags only users gave (by name), then
    None for untagged papers, each present only when a paper has it."""
    used = {tag for paper in papers for tag in paper.tags}
    order: list[str | None] = [tag for tag in taxonomy.tags if tag in used]
    order += sorted(used - set(taxonomy.tags))
    if any(not paper.tags for paper in papers):
        order.append(None)
    return order


def _tag_name(tag: str | None) -> str:
    return markdown_text(tag) if tag is not None else "untagged"


def _primary(paper: PaperDetail, order: dict[str | None, int]) -> str | None:
    return min(paper.tags, key=lambda tag: order[tag]) if paper.tags else None


def _paper_block(
    paper: PaperDetail, taxonomy: Taxonomy, order: dict[str | None, int]
) -> Iterator[str]:
    star = "★ " if paper.status == "starred" else ""
    yield f"### {star}{markdown_text(paper.title) or '(untitled)'}"
    yield ""
    meta = [_code(paper.id[:8]), _STATUS_MARK[paper.status], f"seen {paper.seen}×"]
    if paper.first_seen is not None or paper.last_seen is not None:
        first, last = _day(paper.first_seen), _day(paper.last_seen)
        meta.append(first if first == last else f"{first} → {last}")
    yield " · ".join(meta)
    yield ""
    yield f"- **Seen in:** {_seen_where(paper)}"
    if paper.tags:
        rule_tags = [tag for tag in paper.tags if paper.tag_origins.get(tag) != "user"]
        scores = (
            {score.tag: score for score in score_paper(taxonomy, paper.title, paper.abstract)}
            if rule_tags
            else {}
        )
        tags = sorted(paper.tags, key=lambda tag: order[tag])
        yield f"- **Tags:** {'; '.join(_why(tag, paper, scores) for tag in tags)}"
    note = markdown_text(paper.note or "")
    if note:
        yield f"- **Note:** {note}"
    abstract = _trim(paper.abstract, _ABSTRACT_LENGTH)
    if abstract:
        yield ""
        yield f"> {_md_block(abstract)}"
    yield ""


def _header(
    papers: Sequence[PaperDetail], title: str | None, since: dt.date | None
) -> Iterator[str]:
    """The title line and a line of counts. The span is `since` when given (a daily or weekly
    digest), else the papers' own first and last dates."""
    firsts = [p.first_seen for p in papers if p.first_seen is not None]
    lasts = [p.last_seen for p in papers if p.last_seen is not None]
    start = since or (min(firsts) if firsts else None)
    end = max(lasts) if lasts else None
    if since is not None:
        span = f"since {since.isoformat()}" + (f" (to {end.isoformat()})" if end else "")
    elif start is not None and end is not None:
        span = start.isoformat() if start == end else f"{start.isoformat()} → {end.isoformat()}"
    else:
        span = ""
    heading = markdown_text(title) if title else "Papers digest"
    yield f"# {heading}" + (f" · {span}" if span and not title else "")
    yield ""
    summary = f"{len(papers)} paper{'s' if len(papers) != 1 else ''}"
    if title and span:
        summary += f" {span}" if since is not None else f" seen {span}"
    statuses = [
        f"{number} {status}"
        for status in ("starred", "new", "later", "read", "skipped")
        if (number := sum(paper.status == status for paper in papers))
    ]
    yield summary + (f": {', '.join(statuses)}" if statuses else "")
    yield ""


def write_markdown(
    papers: Sequence[PaperDetail],
    out: TextIO,
    *,
    taxonomy: Taxonomy,
    title: str | None = None,
    since: dt.date | None = None,
) -> None:
    """A digest to read top to bottom, grouped by tag (taxonomy order, untagged last).

    Each paper is written out once, under its first tag, with its other tags listed; every other
    tag section ends with a one-line pointer to it. Repeating full entries under every tag made
    a digest of multi-tag papers read like a loop, while pointers keep each section complete.
    `since` only labels the header (the caller filters), and papers keep the caller's order.
    All text from dumps and users is escaped, so the digest renders as plain CommonMark.
    """
    lines = list(_header(papers, title, since))
    if not papers:
        lines += ["No papers.", ""]
    sections = _sections(papers, taxonomy)
    order = {tag: index for index, tag in enumerate(sections)}
    homes = [_primary(paper, order) for paper in papers]
    members: dict[str | None, list[int]] = {tag: [] for tag in sections}
    for index, paper in enumerate(papers):
        listed: list[str | None] = [*dict.fromkeys(paper.tags)] or [None]
        for name in listed:
            members[name].append(index)
    if len(sections) > 1:
        contents = [f"{_tag_name(tag)} ({len(members[tag])})" for tag in sections]
        lines += [f"**Tags:** {' · '.join(contents)}", ""]
    for tag in sections:
        lines += [f"## {_tag_name(tag)} ({len(members[tag])})", ""]
        definition = taxonomy.tags.get(tag) if tag is not None else None
        if definition is not None and definition.description:
            lines += [f"*{markdown_text(definition.description)}*", ""]
        for index in members[tag]:
            if homes[index] == tag:
                lines += _paper_block(papers[index], taxonomy, order)
        pointers = [
            f"- {_code(papers[index].id[:8])} {markdown_text(papers[index].title)}"
            f" (see {_tag_name(homes[index])})"
            for index in members[tag]
            if homes[index] != tag
        ]
        if pointers:
            lines += ["Also in this tag (written out under their first tag):", "", *pointers, ""]
    out.write("\n".join(lines).rstrip("\n") + "\n")


# --- CSV and JSON --------------------------------------------------------------------------

CSV_COLUMNS = PAPER_FIELDS
# OWASP's list: a spreadsheet reads a cell starting with these as a formula (or, for tab and
# carriage return, as one after it trims them).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guard(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _csv_row(paper: PaperDetail) -> list[str]:
    return [
        paper.id,
        paper.title,
        paper.abstract,
        str(paper.seen),
        paper.first_seen.isoformat() if paper.first_seen is not None else "",
        paper.last_seen.isoformat() if paper.last_seen is not None else "",
        "; ".join(paper.sources),
        "; ".join(paper.tags),
        paper.status,
        paper.note or "",
    ]


def write_csv(papers: Sequence[PaperDetail], out: TextIO, *, formula_guard: bool = True) -> None:
    """One row per paper, lists joined with `; `, for spreadsheets.

    With `formula_guard` (the default) a cell that a spreadsheet would run as a formula gets a
    leading `'`, so a title like `=HYPERLINK(...)` from a dump stays text; programs that want the
    exact values turn it off. Rows end in CRLF (RFC 4180), which also makes the writer quote a
    cell holding a lone CR; open a file for it with `newline=""`, as for any csv writer.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for paper in papers:
        row = _csv_row(paper)
        writer.writerow([_guard(cell) for cell in row] if formula_guard else row)


def write_json(papers: Sequence[PaperDetail], out: TextIO) -> None:
    """One JSON array of the papers as the models dump them, sightings and tag origins included."""
    data = [paper.model_dump(mode="json") for paper in papers]
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_jsonl(papers: Sequence[PaperDetail], out: TextIO) -> None:
    """One paper per line, for streaming tools (`jq -c`, pandas `read_json(lines=True)`)."""
    for paper in papers:
        out.write(json.dumps(paper.model_dump(mode="json"), ensure_ascii=False) + "\n")
