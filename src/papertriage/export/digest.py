"""The markdown digest: papers grouped by tag, each saying why it has its tags.

Every piece of dump or user text is escaped, so the digest renders as plain CommonMark.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from typing import TextIO

from ..models import PaperDetail, Status, paper_links, short_authors
from ..tagging import TagScore, Taxonomy, score_paper
from .text import one_line

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
    return _MD_INLINE.sub(r"\\\1", one_line(text))


def _md_block(text: str) -> str:
    """Like `markdown_text`, for text that starts a block (a quote line), where `- `, `1.`
    or `===` would otherwise start a list or a heading."""
    return _MD_BLOCK_START.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3),
        markdown_text(text),
    )


def _code(text: str) -> str:
    """A code span that holds `text` whatever backticks it contains."""
    text = one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _trim(text: str, limit: int) -> str:
    text = one_line(text)
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
    """A tag and, briefly, why the paper has it: yours, implied, the strongest rule matches, or
    the model when no rule matched."""
    name = markdown_text(tag)
    if paper.tag_origins.get(tag) == "user":
        return f"{name} (yours)"
    score = scores.get(tag)
    if score is None:
        return f"{name} (by the model)"
    if score.via and not score.hits:
        return f"{name} ({markdown_text(score.via)})"
    hits = sorted((hit for hit in score.hits if hit.weight > 0), key=lambda hit: -hit.weight)
    shown = [f"“{markdown_text(hit.matched)}” in {hit.field}" for hit in hits[:_HITS_SHOWN]]
    if len(hits) > _HITS_SHOWN:
        shown.append(f"+{len(hits) - _HITS_SHOWN} more")
    if score.via:
        shown.append(markdown_text(score.via))
    return f"{name} ({', '.join(shown)})" if shown else f"{name} (by the model)"


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
    if paper.authors:
        yield f"- **Authors:** {markdown_text(short_authors(paper.authors))}"
    if paper.arxiv_id is not None:
        hugging_face, arxiv = paper_links(paper.arxiv_id)
        yield f"- **Links:** [Hugging Face]({hugging_face}) · [arXiv {paper.arxiv_id}]({arxiv})"
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
