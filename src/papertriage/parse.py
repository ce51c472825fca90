"""Dump text -> Records.

A dump is what a user copies from the Daily Papers page: optional page chrome, a date line with no
year (`Sep 26`), then title and abstract paragraphs alternating, separated by blank lines. Users
paste several pages into one file, so chrome and date lines may come back later in the file; each
paper takes the date of the section it is in.

The parser streams (memory is bounded by a chunk of the file and one paragraph) and is a pure
function of the text it is given; `read_dump` adds only the reading of a file and where the
year comes from. It works a chunk of lines at a time with str methods, not line by line through
generators: parsing was a fifth of an ingest's time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import DumpError
from .models import Record

CHROME = frozenset(
    {
        "new",
        "get trending papers in your email inbox!",
        "subscribe",
        "daily papers",
        "byak and the research community",
    }
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_DATE_LINE = re.compile(
    r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:(?:st|nd|rd|th)?,?\s+(?P<year>\d{4}))?"
)
_FILE_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)")
_FILE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
# Every real title is at most 250 characters (the corpus's longest has 175) and has at most one
# sentence break inside (`Can LLMs Learn by Teaching? A Preliminary Study`), whatever it ends
# with. Only used to tell where the alternation of titles and abstracts broke, never to decide
# what a paragraph in its place is.
_TITLE_MAX = 250
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z(]")
_CHUNK = 1 << 18


Paragraph = tuple[str, int]
"""(text, line): a run of non-blank lines, whitespace collapsed, and the line it starts on.

A plain tuple: there is one per title and abstract, and even a named tuple costs a tenth of
the parse."""


RawRecord = tuple[int, int, str | None, dt.date | None, str, str]
"""(position, line, header date, date, title, abstract) of one paper: a `Record` unmade."""


@dataclass(frozen=True)
class DateContext:
    """Where the year of a date line comes from, strongest first."""

    year: int | None = None
    """From --year or a 4-digit year in the file name."""
    reference: dt.date | None = None
    """The file's modification date: a date line means the latest weekday with that date on or
    before it (see `latest_weekday`)."""
    fallback: dt.date | None = None
    """A full date in the file name, used when the dump has no date line at all."""


def reads_like_abstract(text: str) -> bool:
    """Too long for a title, or sentences: ends like one and has two sentence breaks inside."""
    return len(text) > _TITLE_MAX or (text[-1] in ".!?" and len(_SENTENCE_BREAK.findall(text)) >= 2)


def parse_date_line(text: str) -> tuple[int, int, int | None] | None:
    """(month, day, year or None) if the paragraph is a date line such as `Sep 26`."""
    if len(text) > 20:
        return None
    match = _DATE_LINE.fullmatch(text)
    if not match:
        return None
    month = _MONTHS.get(match["month"].lower())
    day = int(match["day"])
    if month is None or not 1 <= day <= 31:
        return None
    return month, day, int(match["year"]) if match["year"] else None


def _days(month: int, day: int, years: Iterable[int]) -> Iterator[dt.date]:
    """This month and day in each of these years that has it (Feb 29: leap years only)."""
    for year in years:
        try:
            yield dt.date(year, month, day)
        except ValueError:
            continue


def latest_weekday(month: int, day: int, reference: dt.date) -> dt.date:
    """The latest such day on or before `reference` (a day's grace for time zones) that is a
    weekday, else the latest such day. Raises ValueError when no year has it (Feb 30).

    A dump is saved on or after the day it shows, and Daily Papers appear Monday to Friday
    only (every one of the corpus's 580 days): `Sep 26` saved in December 2026 is 2025-09-26,
    a Friday, as 2026-09-26 is a Saturday.
    """
    latest = reference + dt.timedelta(days=1)
    days = [d for d in _days(month, day, range(latest.year, latest.year - 12, -1)) if d <= latest]
    if not days:
        raise ValueError(f"no year has month {month} day {day}")
    return next((d for d in days if d.weekday() < 5), days[0])


def date_from_papers(month: int, day: int, seen: Sequence[dt.date]) -> dt.date:
    """The first such day on or after the day by which nine in ten of a page's papers had been
    seen in dumps with known dates (less a day for time zones): a page lists papers already
    featured, a day or a few weeks before. One odd paper in ten does not move the page a year.
    """
    ordered = sorted(seen)
    by = ordered[max(0, -(-len(ordered) * 9 // 10) - 1)] - dt.timedelta(days=1)
    return next(d for d in _days(month, day, range(by.year, by.year + 9)) if d >= by)


def resolve_date(
    month: int, day: int, year: int | None, context: DateContext, source: str, line: int
) -> dt.date:
    """Give a yearless date line its year, or explain why it is not a date."""
    try:
        if year is not None:
            return dt.date(year, month, day)
        if context.year is not None:
            return dt.date(context.year, month, day)
        return latest_weekday(month, day, context.reference or dt.date.today())
    except ValueError:
        shown = f"{year or context.year or ''}".strip()
        raise DumpError(
            source, f"date line is not a real date: month {month} day {day} {shown}".rstrip(), line
        ) from None


_CHROME_MAX = max(map(len, CHROME))
_CONTROL_SPACE = ("\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")
"""The ASCII whitespace other than space and line ends."""


def _collapse(lines: list[str], check: bool) -> str:
    """Join a paragraph's (stripped) lines, all whitespace collapsed to single spaces.

    isprintable() is False for every whitespace character but the plain space, so it tells
    exactly whether there is more to collapse; it is also slow, and not needed for ASCII text
    from a chunk without control characters (`check` False).
    """
    text = lines[0] if len(lines) == 1 else " ".join(lines)
    if "  " in text or ((check or not text.isascii()) and not text.isprintable()):
        return " ".join(text.split())
    return text


def paragraphs(chunks: Iterable[str]) -> Iterator[Paragraph]:
    """Split text into paragraphs (runs of non-blank lines), whitespace collapsed.

    `chunks` are consecutive pieces of one text, each ending at a line end; a paragraph may
    run on from one chunk into the next. Lines end at LF, CRLF or a lone CR (old Mac files),
    as in Python's universal newlines; line numbers count them so.
    """
    run: list[str] = []
    start = 0
    number = 0
    for chunk in chunks:
        if "\r" in chunk:
            chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
        controls = any(char in chunk for char in _CONTROL_SPACE)
        # The first paragraph may have begun in the previous chunk: check it in full.
        check = True
        lines = chunk.split("\n")
        if chunk.endswith("\n"):
            lines.pop()  # the empty text after the last line end is not a line
        for line in lines:
            number += 1
            stripped = line.strip()
            if stripped:
                if not run:
                    start = number
                run.append(stripped)
            elif run:
                yield _collapse(run, check), start
                run = []
                check = controls
    if run:
        yield _collapse(run, True), start


def parse_paragraphs(
    paragraphs: Iterable[Paragraph],
    source: str,
    context: DateContext | None = None,
    skipped: list[Paragraph] | None = None,
) -> Iterator[RawRecord]:
    """Yield the papers of a dump's paragraphs, in order. Raises DumpError where the structure
    breaks, naming the paragraph's line.

    What a paragraph is comes from where it stands: after page chrome, a date line or an
    abstract comes a title, then its abstract (a title may end with `.`, `?` or `!`, an abstract
    may be short). `reads_like_abstract` only tells where the alternation broke: an abstract
    where a title should be, or after the title that follows a title (which has none then). A
    title with no abstract at the end of a page (a paste cut short) is not a paper: it is added
    to `skipped`, and the rest of the dump is kept. Records are plain tuples here: an ingest
    makes one per paper, and `read_dump` makes them into `Record`s for everyone else.
    """
    context = context or DateContext()
    header: str | None = None
    date: dt.date | None = context.fallback
    position = 0
    title: Paragraph | None = None
    pending: Paragraph | None = None  # a short abstract candidate, held until the next paragraph

    def no_abstract(title: Paragraph) -> DumpError:
        return DumpError(source, f'title "{_shown(title[0])}" has no abstract', title[1])

    def is_marker(text: str) -> bool:
        # casefold() never shortens a string, so a longer paragraph cannot be chrome.
        return (len(text) <= _CHROME_MAX and text.casefold() in CHROME) or (
            parse_date_line(text) is not None
        )

    for paragraph in paragraphs:
        text, line = paragraph
        prose = reads_like_abstract(text)  # most abstracts are long: one test, and no other
        if title is not None and pending is not None:
            # A short paragraph after a title is that title's abstract unless an abstract
            # follows it: then it is the next title and the first one has none.
            if prose:
                raise no_abstract(title)
            position += 1
            yield (position, title[1], header, date, title[0], pending[0])
            title, pending = None, None
        elif title is not None:
            if prose:
                position += 1
                yield (position, title[1], header, date, title[0], text)
                title = None
                continue
            if not is_marker(text):
                pending = paragraph
                continue
            if skipped is not None:  # the page was cut short after this title
                skipped.append(title)
            title = None
        if len(text) <= _CHROME_MAX and text.casefold() in CHROME:
            continue
        parsed = parse_date_line(text)
        if parsed is not None:
            month, day, year = parsed
            header = text
            date = resolve_date(month, day, year, context, source, line)
            continue
        if prose:
            raise DumpError(
                source,
                f"expected a paper title but found a paragraph that reads like an abstract"
                f" ({len(text)} characters): a title missing, or an abstract in two paragraphs?",
                line,
            )
        title = paragraph
    if title is not None:
        if pending is None:  # the paste ends after this title
            if skipped is not None:
                skipped.append(title)
        else:
            position += 1
            yield (position, title[1], header, date, title[0], pending[0])
    if position == 0:
        raise DumpError(source, "no papers found (expected title and abstract paragraphs)")


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def _records(rows: Iterable[RawRecord], source: str) -> Iterator[Record]:
    for position, line, header, date, title, abstract in rows:
        yield Record(
            title=title,
            abstract=abstract,
            source=source,
            header_date=header,
            date=date,
            position=position,
            line=line,
        )


def parse_text(
    text: str, source: str = "<text>", context: DateContext | None = None
) -> list[Record]:
    """Parse a whole dump held in memory (tests, stdin)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise DumpError(source, "empty file")
    return list(_records(parse_paragraphs(paragraphs([text]), source, context), source))


def named_year(path: Path) -> int | None:
    """A 4-digit year in the file's name (`2025-09-26.txt`, `daily-2025.txt`)."""
    found = _FILE_YEAR.search(path.name)
    return int(found[1]) if found else None


def named_date(path: Path) -> dt.date | None:
    """A full date in the file's name (`2025-09-26.txt`, `2025-09-26.json`), if real."""
    full = _FILE_DATE.search(path.name)
    if full is None:
        return None
    try:
        return dt.date(int(full[1]), int(full[2]), int(full[3]))
    except ValueError:
        return None


def date_context(path: Path, year: int | None = None) -> DateContext:
    """Where the dump's dates get their year: --year, the file name, else the file's mtime."""
    fallback = named_date(path)
    if year is None:
        year = named_year(path)
    reference: dt.date | None = None
    if year is None:  # only then is the mtime needed
        try:
            reference = dt.date.fromtimestamp(path.stat().st_mtime)
        except OSError:
            reference = None
    return DateContext(year=year, reference=reference, fallback=fallback)


def _file_blocks(path: Path, source: str) -> Iterator[bytes]:
    """A file's bytes, 256 KiB of whole lines at a time."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise DumpError(source, f"cannot read file: {exc.strerror or exc}") from None
    with handle:
        while lines := handle.readlines(_CHUNK):
            yield b"".join(lines)


def _line_ends(data: bytes) -> int:
    """How many lines end in `data` (at LF, CRLF or a lone CR, as the parser counts them)."""
    ends = data.count(b"\n")
    if b"\r" in data:
        ends += data.count(b"\r") - data.count(b"\r\n")
    return ends


def _decoded(blocks: Iterable[bytes], source: str) -> Iterator[str]:
    """Decode consecutive blocks of a file, each ending at a line end, as UTF-8 text.

    A NUL byte (a binary file) is reported with its line, an undecodable byte with its line
    and column; memory stays bounded by a block.
    """
    number = 0  # lines before this block
    empty = True
    previous = b""  # its lines are counted only if another block follows: most files are one
    for data in blocks:
        if previous:
            number += _line_ends(previous)
        if not previous and data.startswith(b"\xef\xbb\xbf"):  # a BOM opens the file
            data = data[3:]
        if b"\x00" in data:  # binary: say so, rather than which byte is not UTF-8
            at = data.index(b"\x00")
            raise DumpError(
                source,
                "binary file (contains NUL bytes), not a text dump",
                number + _line_ends(data[:at]) + 1,
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            start = max(data.rfind(b"\n", 0, exc.start), data.rfind(b"\r", 0, exc.start)) + 1
            raise DumpError(
                source,
                f"not UTF-8 text (byte 0x{data[exc.start]:02x} at column {exc.start - start + 1})",
                number + _line_ends(data[: exc.start]) + 1,
            ) from None
        if empty and not text.isspace():
            empty = False
        previous = data
        yield text
    if empty:
        raise DumpError(source, "empty file")


def read_dump_rows(
    path: Path,
    year: int | None = None,
    source: str | None = None,
    data: bytes | None = None,
    skipped: list[Paragraph] | None = None,
) -> Iterator[RawRecord]:
    """Stream the papers of one dump file as plain tuples (see `parse_paragraphs`, which adds
    titles cut off from their abstract to `skipped`).

    `data` is the file's content, if the caller has already read it whole.
    """
    name = source or str(path)
    blocks = _file_blocks(path, name) if data is None else [data]
    return parse_paragraphs(
        paragraphs(_decoded(blocks, name)), name, date_context(path, year), skipped
    )


def read_dump(path: Path, year: int | None = None, source: str | None = None) -> Iterator[Record]:
    """Stream the papers of one dump file. Raises DumpError naming the file and line."""
    name = source or str(path)
    return _records(read_dump_rows(path, year, name), name)
