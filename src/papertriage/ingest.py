"""Files -> parse -> store, one transaction per file.

A file either lands whole or not at all: a bad file writes nothing, and the other files of the
run still ingest. Reading and parsing (`prepare`) needs no store, so on a big run a worker
process does it for the next files while this one stores.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import warnings
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel

from .errors import DumpError
from .faults import pause_point
from .normalize import paper_id, title_key
from .parse import (
    Paragraph,
    RawRecord,
    date_from_papers,
    named_date,
    named_year,
    parse_date_line,
    read_dump_rows,
)
from .responses import EntryMeta, is_response, parse_response
from .store import GUESSED, SightingRow, SourceRow, Store, YearFrom
from .system import usable_cores

Status = Literal["ingested", "replaced", "redated", "unchanged", "duplicate", "rejected"]
_BATCH = 2000
_PARSE_WHOLE = 8 << 20
_READ_AHEAD_FILES = 32
"""Fewer files than this are read in this process: a worker takes ~0.2 s to start."""
_IN_FLIGHT = 8
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_EXTENSIONS = (".txt", ".json")
"""What a directory's dumps and API responses are named; what they are is told by content."""


class FileResult(BaseModel):
    """What happened to one dump file."""

    path: str
    status: Status
    records: int = 0
    new_papers: int = 0
    known: int = 0
    """Records of papers the library already had before this file."""
    error: str | None = None
    line: int | None = None
    same_as: str | None = None
    year_from: YearFrom | None = None
    """Where the year of its date lines came from (None: it has none)."""
    years: list[int] = []
    """The years its date lines were given."""
    years_before: list[int] = []
    """The years they had before, when --year re-dated it (status `redated`)."""
    skipped: list[SkippedTitle] = []


class SkippedTitle(BaseModel):
    """A title with no abstract where a page of the dump ends: cut short, not a paper."""

    line: int
    title: str


class Redated(BaseModel):
    """A dump ingested before whose guessed year this run changed: its papers were seen since
    in dumps whose year is known."""

    path: str
    years_before: list[int]
    years: list[int]


class IngestReport(BaseModel):
    files: list[FileResult]
    redated: list[Redated] = []

    def total(self, field: Literal["records", "new_papers", "known"]) -> int:
        return sum(getattr(result, field) for result in self.files)

    @property
    def rejected(self) -> list[FileResult]:
        return [result for result in self.files if result.status == "rejected"]


class DumpFile(NamedTuple):
    """A dump file to ingest."""

    path: Path
    """As given (or found in a given directory): what messages show."""
    resolved: str
    """Its real path: what the library knows it by."""


def collect_dump_files(paths: Iterable[Path]) -> tuple[list[DumpFile], list[FileResult]]:
    """Expand directories into their `*.txt` dumps and `*.json` responses (recursively, sorted);
    report missing paths."""
    files: list[DumpFile] = []
    problems: list[FileResult] = []
    seen: set[str] = set()
    real_dirs: dict[str, str] = {}
    for path in paths:
        if path.is_dir():
            found = _dumps_under(path)
            if not found:
                problems.append(
                    FileResult(
                        path=str(path),
                        status="rejected",
                        error="no *.txt dumps or *.json responses found",
                    )
                )
        elif path.exists():
            found = [DumpFile(path, _real_path(path, real_dirs))]
        else:
            problems.append(
                FileResult(path=str(path), status="rejected", error="no such file or directory")
            )
            found = []
        for file in found:
            if file.resolved not in seen:
                seen.add(file.resolved)
                files.append(file)
    return files, problems


def _real_path(path: Path, real_dirs: dict[str, str]) -> str:
    """A file's real path, its directory resolved once for all the files given in it."""
    if path.is_symlink():
        return os.path.realpath(path)
    directory = os.path.dirname(path) or "."
    real = real_dirs.get(directory)
    if real is None:
        real = real_dirs[directory] = os.path.realpath(directory)
    return os.path.join(real, path.name)


def _dumps_under(directory: Path) -> list[DumpFile]:
    """Every `*.txt` and `*.json` file under a directory, sorted, as `Path.rglob` finds them.

    Symlinked directories are not entered; symlinked files are taken. A file's real path is
    its directory's plus its name unless it is a link: resolving each path would stat every
    component of it, the larger part of this walk.
    """
    found: list[DumpFile] = []
    pending = [(str(directory), os.path.realpath(directory))]
    while pending:
        shown, real = pending.pop()
        try:
            with os.scandir(shown) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, os.path.join(real, entry.name)))
                    elif entry.name.endswith(_EXTENSIONS) and entry.is_file():
                        resolved = (
                            os.path.realpath(entry.path)
                            if entry.is_symlink()
                            else os.path.join(real, entry.name)
                        )
                        found.append(DumpFile(Path(entry.path), resolved))
        except PermissionError:
            continue  # as rglob does: an unreadable directory holds no dumps we can read
    found.sort(key=lambda file: file.path)
    return found


_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def save_paste(data: bytes, directory: Path) -> Path:
    """A dump read from standard input, kept in `directory` (`pastes/` beside the library) so
    that it can be ingested again like any dump. Named by its content, in letters only: a run
    of digits in a name reads as a year."""
    if not data.strip():
        raise DumpError("-", "standard input is empty")
    name = f"pasted-{hashlib.sha256(data).hexdigest()[:16].translate(_LETTERS)}.txt"
    path = directory / name
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


PreparedRow = tuple[int, int, str | None, str | None, str, str, str, str]
"""(position, line, header date, date, title, abstract, title key, paper id) of one record."""


class Prepared(NamedTuple):
    """A dump read, hashed and (when small) parsed: everything ingest does without the store.

    Being plain data, it can be made in a worker process while the store is busy.
    """

    sha256: str | None
    """None: the file could not be read (`error` says why)."""
    rows: list[PreparedRow] | None
    """None: bad (`error` is set), or to be streamed if stored at all (too big to hold, or
    unchanged as far as the worker knew)."""
    error: tuple[str, int | None] | None = None
    """(reason, line) of a bad file."""
    skipped: tuple[Paragraph, ...] = ()
    """Titles without their abstract where a page was cut short (see `parse_paragraphs`)."""
    entries: list[EntryMeta] | None = None
    """What an API response says about each of its `rows` (None: the file is a dump)."""


def _prepared_rows(records: Iterable[RawRecord]) -> Iterator[PreparedRow]:
    last_date: dt.date | None = None
    iso: str | None = None
    for position, line, header, date, title, abstract in records:
        if date != last_date:  # a dump has one date line or a few
            last_date, iso = date, date.isoformat() if date else None
        key = title_key(title)
        yield (position, line, header, iso, title, abstract, key, paper_id(key))


def prepare(
    path: Path, year: int | None = None, shown: str | None = None, stored: str | None = None
) -> Prepared:
    """Hash a dump and, up to 8 MiB (any real dump), parse it whole.

    Parsed before anything is written, a bad file writes nothing, so it needs no savepoint.
    A small file is read once, so what is parsed is exactly what was hashed. Not parsed when
    its hash is `stored`'s, the hash the library has for it: it is unchanged.
    """
    try:
        data = path.read_bytes() if path.stat().st_size <= _PARSE_WHOLE else None
        if data is None and _starts_like_response(path):
            data = path.read_bytes()  # JSON is parsed whole, whatever its size
        sha256 = file_sha256(path) if data is None else hashlib.sha256(data).hexdigest()
    except OSError as exc:
        return Prepared(None, None, (f"cannot read file: {exc.strerror}", None))
    if data is None or sha256 == stored:
        return Prepared(sha256, None)
    if is_response(data) and (path.suffix == ".json" or _is_json(data)):
        return _prepare_response(path, shown or str(path), sha256, data)
    skipped: list[Paragraph] = []
    try:
        rows = list(_prepared_rows(read_dump_rows(path, year, shown, data, skipped)))
    except DumpError as exc:
        return Prepared(sha256, None, (exc.reason, exc.line))
    return Prepared(sha256, rows, skipped=tuple(skipped))


def _starts_like_response(path: Path) -> bool:
    """Whether a file starts like JSON: read only its start (a dump may be gigabytes)."""
    with path.open("rb") as handle:
        return is_response(handle.read(64))


def _is_json(data: bytes) -> bool:
    """Whether a file not named `.json` that starts like JSON is JSON: a dump's first title
    may start with `[` too (`[CLS] Tokens ...`)."""
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return True


def _prepare_response(path: Path, shown: str, sha256: str, data: bytes) -> Prepared:
    """A Daily Papers API response parsed whole: its papers as rows, and what it says of each."""
    try:
        parsed = parse_response(data, shown, named_date(path))
    except DumpError as exc:
        return Prepared(sha256, None, (exc.reason, exc.line))
    rows = list(_prepared_rows(record for record, _ in parsed))
    return Prepared(sha256, rows, entries=[meta for _, meta in parsed])


class FileSource(NamedTuple):
    """A dump file as the store records it."""

    path: Path
    shown: str
    resolved: str
    sha256: str


def ingest_file(
    store: Store,
    path: Path,
    year: int | None = None,
    prepared: Prepared | None = None,
    resolved: str | None = None,
) -> FileResult:
    """Ingest one dump in one transaction. Never raises for a bad file: it is reported.

    `prepared` is what `prepare` made of the file, if it ran ahead (`ingest_paths` does).
    """
    shown = str(path)
    resolved = resolved or os.path.realpath(path)
    if prepared is None:
        stored = store.source_by_path(resolved)
        prepared = prepare(path, year, shown, stored.sha256 if stored else None)
    if prepared.sha256 is None:
        assert prepared.error is not None
        return FileResult(path=shown, status="rejected", error=prepared.error[0])
    streamed = prepared.rows is None and prepared.error is None
    try:
        with store.atomic(savepoint=streamed):
            # Checked inside the write lock, so two runs on the same file cannot both store it.
            previous = store.source_by_path(resolved)
            unchanged = previous if previous and previous.sha256 == prepared.sha256 else None
            if unchanged and (year is None or _dated_in(store, unchanged, year)):
                return FileResult(path=shown, status="unchanged")
            twin = store.source_by_sha256(prepared.sha256)
            if twin is not None and previous is None:
                return FileResult(path=shown, status="duplicate", same_as=twin.path)
            if prepared.error is not None:
                raise DumpError(shown, *prepared.error)
            response = prepared
            if prepared.rows is None and _starts_like_response(path):
                response = prepare(path, year, shown)  # a response changed since it was hashed
                if response.error is not None:
                    raise DumpError(shown, *response.error)
            if response.entries is not None and response.rows is not None and response.sha256:
                file = FileSource(path, shown, resolved, response.sha256)
                return _store_response(store, response.rows, response.entries, file, previous)
            rows = prepared.rows
            skipped = list(prepared.skipped) if rows is not None else []
            records = (
                _prepared_rows(read_dump_rows(path, year, shown, skipped=skipped))
                if rows is None
                else rows
            )
            if unchanged:
                return _redate(store, records, shown, unchanged)
            result = _store_records(
                store,
                records,
                FileSource(path=path, shown=shown, resolved=resolved, sha256=prepared.sha256),
                previous,
                "option" if year is not None else "name" if named_year(path) else None,
            )
            result.skipped = [SkippedTitle(line=line, title=title) for title, line in skipped]
            return result
    except DumpError as exc:
        return FileResult(path=shown, status="rejected", error=exc.reason, line=exc.line)


def _dated_in(store: Store, source: SourceRow, year: int) -> bool:
    """Whether an unchanged dump's date lines without a year of their own are in `year`
    already: then --year changes nothing, and it need not be read again."""
    dates = store.source_dates(source.id)
    if not all(
        date.startswith(f"{year:04d}-")
        for header, date in dates.items()
        if (line := parse_date_line(header)) is not None and line[2] is None
    ):
        return False
    if source.year_from in GUESSED:  # the guess was right: now it is known
        store.redate_source(source.id, {}, "option")
    return True


def _years(dates: Iterable[str | None]) -> list[int]:
    return sorted({int(date[:4]) for date in dates if date})


def _redate(
    store: Store, rows: Iterable[PreparedRow], shown: str, previous: SourceRow
) -> FileResult:
    """Give an unchanged dump the dates --year gives its date lines (it is not stored again;
    `_dated_in` found some that change)."""
    dates: dict[str, str] = {}
    for row in rows:
        if row[2] is not None and row[3] is not None:
            dates.setdefault(row[2], row[3])
    before = store.source_dates(previous.id)
    changed = {header: date for header, date in dates.items() if before.get(header) != date}
    store.refresh_papers(store.redate_source(previous.id, changed, "option"))
    return FileResult(
        path=shown,
        status="redated",
        year_from="option",
        years=_years(dates.values()),
        years_before=_years(before.values()),
    )


def _store_records(
    store: Store,
    rows: Iterable[PreparedRow],
    file: FileSource,
    previous: SourceRow | None,
    year_from: YearFrom | None,
) -> FileResult:
    """Store a dump's records. `year_from` is where its year came from if not its date lines
    (--year or its name); a date line with no year of its own otherwise had it guessed."""
    removed: list[str] = []
    if previous is not None:
        removed = store.delete_source(previous.id)
    source_id = store.add_source(file.resolved, file.path.name, file.sha256)
    next_id = store.next_sighting_id()
    batch: list[SightingRow] = []
    new_papers: set[str] = set()
    known = 0
    count = 0
    header: str | None = None
    first_date: str | None = None

    def flush() -> None:
        nonlocal known
        present = _assign_variants(store, batch)
        created: set[str] = set()
        for row in batch:
            paper = row[9]
            if paper in new_papers:
                continue
            if paper in present:
                known += 1
            else:
                created.add(paper)
        store.add_sightings(batch, created)
        new_papers.update(created)
        batch.clear()

    headers: set[str] = set()
    for row in rows:
        if count == 0:
            header, first_date = row[2], row[3]
        if row[2] is not None:
            headers.add(row[2])
        batch.append((next_id + count, source_id, *row))
        count += 1
        if len(batch) >= _BATCH:
            flush()
    flush()
    if not headers:
        year_from = None
    elif year_from is None:
        lines = (parse_date_line(text) for text in headers)
        year_from = "mtime" if any(line and line[2] is None for line in lines) else "line"
    store.finish_source(source_id, count, header, first_date, year_from)
    if removed:
        store.refresh_papers(removed)
    return FileResult(
        path=file.shown,
        status="replaced" if previous is not None else "ingested",
        records=count,
        new_papers=len(new_papers),
        known=known,
    )


def _store_response(
    store: Store,
    rows: Sequence[PreparedRow],
    entries: Sequence[EntryMeta],
    file: FileSource,
    previous: SourceRow | None,
) -> FileResult:
    """Store a response's entries: sightings as a dump's records are, with what it says of
    each paper, and each paper known by its arXiv id (see `_assign_arxiv`)."""
    from .merging import join_same_arxiv

    removed = store.delete_source(previous.id) if previous is not None else []
    source_id = store.add_source(file.resolved, file.path.name, file.sha256)
    next_id = store.next_sighting_id()
    batch: list[SightingRow] = [
        (next_id + index, source_id, *row) for index, row in enumerate(rows)
    ]
    identity = _assign_arxiv(store, batch, [meta[0] for meta in entries])
    store.add_sightings(batch, identity.created)
    store.add_response_entries((row[0], *meta) for row, meta in zip(batch, entries, strict=True))
    store.claim_arxiv(identity.gained)
    join_same_arxiv(store, identity.joined, identity.same)
    store.finish_source(source_id, len(batch), None, batch[0][5] if batch else None, None)
    if removed:
        store.refresh_papers(removed)
    return FileResult(
        path=file.shown,
        status="replaced" if previous is not None else "ingested",
        records=len(batch),
        new_papers=len(identity.created),
        known=identity.known,
    )


class _Identity(NamedTuple):
    """Where the entries of a response went (see `_assign_arxiv`)."""

    created: set[str]
    """Papers new to the library."""
    known: int
    """Entries of papers the library had."""
    gained: dict[str, str]
    """The arXiv id each paper without one gains, by paper."""
    joined: list[tuple[str, str, str]]
    """(paper, title variant, arXiv id): a title new to the library, of a paper known by its id."""
    same: list[tuple[str, str, str]]
    """(paper, paper, arXiv id): two papers of the library that one id shows to be one."""


def _assign_arxiv(store: Store, batch: list[SightingRow], ids: Sequence[str]) -> _Identity:
    """Give each entry its paper: the arXiv id is the strongest key.

    An entry goes to the paper its title belongs to, as a dump's record does, and that paper
    gains the id; a title new to the library goes to the paper that has the id already (a
    revised title stays one paper). When the id and the title name two papers (a title first
    seen in a dump, now given to a paper known by its id), they are one: `same`. Records with
    two different ids are never one paper: a title that belongs to a paper with another id
    becomes a title variant of its own, keyed by title and id.
    """
    states = store.variant_states({row[9] for row in batch})
    owners = store.arxiv_owners(set(ids))
    held = store.papers_arxiv({state[0] for state in states.values()})
    present = {state[0] for state in states.values() if state[3]} | set(owners.values())
    new: list[tuple[str, str, str, str | None, int]] = []
    changed: set[str] = set()
    identity = _Identity(set(), 0, {}, [], [])
    known = 0
    for index, arxiv in enumerate(ids):
        row = batch[index]
        sighting, date, key, variant = row[0], row[5], row[8], row[9]
        state = states.get(variant)
        if state is not None and held.get(state[0], arxiv) != arxiv:
            key = f"{key} arXiv:{arxiv}"  # fold() never makes capitals or colons: no title's key
            variant = paper_id(key)
            state = states.get(variant) or store.variant_states([variant]).get(variant)
        owner = owners.get(arxiv)
        if state is None:
            paper = owner or variant
            states[variant] = (paper, date, sighting, True)
            new.append((variant, key, paper, date, sighting))
            if owner is not None:
                identity.joined.append((owner, variant, arxiv))
        else:
            paper, first, representative, live = state
            earlier = date is not None and (first is None or date < first)
            if earlier or representative is None:
                first = date if earlier else first
                states[variant] = (paper, first, representative or sighting, live)
                changed.add(variant)
            if owner is not None and owner != paper:
                identity.same.append((paper, owner, arxiv))
        if owner is None:
            owners[arxiv] = paper
            held[paper] = arxiv
            identity.gained[paper] = arxiv
        batch[index] = (*row[:8], key, paper)
        if paper in present:
            known += 1
        else:
            identity.created.add(paper)
    if new:
        store.add_variants(new)
    if changed:
        store.update_variants((states[v][1], states[v][2], v) for v in changed)
    return identity._replace(known=known)


def _assign_variants(store: Store, batch: list[SightingRow]) -> set[str]:
    """Give each row the paper its title variant belongs to, and record new or changed ones.

    A variant seen before keeps the paper it was merged into. Only new variants and those whose
    first date or representative sighting changes are written: most records are repeats, and
    every write here is a random page in a large index. Returns the papers the library already
    has. A row comes with its title's own id as its paper (see `prepare`): the variant's id.
    """
    states = store.variant_states({row[9] for row in batch})
    present = {state[0] for state in states.values() if state[3]}
    new: list[tuple[str, str, str, str | None, int]] = []
    changed: set[str] = set()
    for index, row in enumerate(batch):
        sighting, date, key, variant = row[0], row[5], row[8], row[9]
        state = states.get(variant)
        if state is None:
            states[variant] = (variant, date, sighting, False)
            new.append((variant, key, variant, date, sighting))
            continue
        paper, first, representative, live = state
        if paper != variant:
            batch[index] = (*row[:9], paper)
        earlier = date is not None and (first is None or date < first)
        if earlier or representative is None:
            states[variant] = (paper, date if earlier else first, representative or sighting, live)
            changed.add(variant)
    if new:
        store.add_variants(new)
    if changed:
        store.update_variants((states[v][1], states[v][2], v) for v in changed)
    return present


def ingest_paths(
    store: Store,
    paths: Sequence[Path],
    year: int | None = None,
    progress: Callable[[int, int, FileResult], None] | None = None,
    *,
    read_ahead: bool | None = None,
) -> IngestReport:
    """Ingest files and directories; bad files are reported, the rest still land.

    Each file is one transaction, in a group committed every two seconds.
    With `read_ahead` (default: when there are many files and a second core), a worker process
    reads, hashes and parses the next files while this one stores. `progress(done, total,
    result)` is called after each file, for progress bars.
    """
    files, problems = collect_dump_files(paths)
    results = list(problems)
    if read_ahead is None:
        read_ahead = len(files) >= _READ_AHEAD_FILES and usable_cores() > 1
    # Only where fork is safe and cheap: spawn would re-run the caller's main module.
    read_ahead = read_ahead and sys.platform.startswith("linux")
    stored = store.source_hashes()
    prepared = (_prepare_ahead if read_ahead else _prepare_here)(files, year, stored)
    written: list[tuple[FileResult, str]] = []
    try:
        with store.journals_in_memory(), store.grouped() as commit_if_due:
            for done, file in enumerate(files, start=1):
                result = ingest_file(store, file.path, year, next(prepared), file.resolved)
                pause_point("ingest-file")
                commit_if_due()
                if result.status in ("ingested", "replaced"):
                    written.append((result, file.resolved))
                results.append(result)
                if progress is not None:
                    progress(done, len(files), result)
    finally:
        prepared.close()
    if not written and not any(result.status == "redated" for result in results):
        return IngestReport(files=results)
    with store.atomic():
        changed = redate_guessed(store)
        ours: set[int] = set()
        for result, path in written:
            source = store.source_by_path(path)
            if source is not None:
                ours.add(source.id)
                result.year_from = source.year_from
                result.years = _years(store.source_dates(source.id).values())
    return IngestReport(
        files=results,
        redated=[
            Redated(path=name, years_before=before, years=after)
            for source, (name, before, after) in changed.items()
            if source not in ours
        ],
    )


def redate_guessed(store: Store) -> dict[int, tuple[str, list[int], list[int]]]:
    """Guess again the year of each dump whose year was guessed, from when its papers were
    first seen in dumps whose year is known (`date_from_papers`), and re-date those it changes.

    Run after each ingest, so that a dump ingested before the dated dumps that tell its year
    (in the same run or an earlier one) gets it. Returns (name, years before, years after) of
    each re-dated dump, by source id.
    """
    changed: dict[int, tuple[str, list[int], list[int]]] = {}
    for source, name, year_from in store.guessed_sources():
        seen: dict[str, list[dt.date]] = {}
        for header, first in store.source_evidence(source):
            if first is not None:
                seen.setdefault(header, []).append(dt.date.fromisoformat(first))
        before = store.source_dates(source)
        after = dict(before)
        for header, dates in seen.items():
            line = parse_date_line(header)
            if line is not None and line[2] is None:  # a date line with no year of its own
                after[header] = date_from_papers(line[0], line[1], dates).isoformat()
        moved = {header: date for header, date in after.items() if before[header] != date}
        if moved:
            store.refresh_papers(store.redate_source(source, moved, "papers"))
            changed[source] = (name, _years(before.values()), _years(after.values()))
        elif year_from != "papers" and any(
            (line := parse_date_line(header)) is not None and line[2] is None for header in seen
        ):
            store.redate_source(source, {}, "papers")  # the guess was right: now it is known
    return changed


def _arguments(
    file: DumpFile, year: int | None, stored: Mapping[str, str]
) -> tuple[Path, int | None, str, str | None]:
    """`prepare`'s arguments for a file: `stored` maps the library's dumps to their hashes."""
    return file.path, year, str(file.path), stored.get(file.resolved)


def _prepare_here(
    files: Sequence[DumpFile], year: int | None, stored: Mapping[str, str]
) -> Generator[Prepared, None, None]:
    """`prepare` each file in this process, as the caller gets to it."""
    return (prepare(*_arguments(file, year, stored)) for file in files)


def _worker_setup(parent: int) -> None:
    """Tie the read-ahead worker to its parent: it must never outlive it or speak for it.

    Killed with its parent (even by kill -9), it cannot linger holding the terminal's pipes;
    Ctrl-C is the parent's to handle (it stops the worker), so the worker prints no traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _prepare_ahead(
    files: Sequence[DumpFile], year: int | None, stored: Mapping[str, str]
) -> Generator[Prepared, None, None]:
    """`prepare` each file in a worker process, in order, a few files ahead of the caller.

    `stored` maps the library's dumps (resolved paths) to their hashes, so that unchanged
    files are not parsed; should one change meanwhile, the caller streams it itself.

    Only a few are in flight at once, so memory stays bounded however slowly the caller
    stores them. Closing the generator stops the worker. Should the worker not start or die
    (no processes left, the OOM killer), the rest is prepared here: slower, never lost.
    """

    done = 0
    try:
        # The forked worker only reads and parses files and leaves through os._exit: it never
        # touches the library's connection, the terminal or any lock another thread may hold.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_setup,
                initargs=(os.getpid(),),
            )
            started = pool.submit(os.getpid)  # start the worker inside the filter
        with pool:
            started.result()
            pending: deque[Future[Prepared]] = deque()
            queued = iter(files)
            try:
                while True:
                    while len(pending) < _IN_FLIGHT and (file := next(queued, None)) is not None:
                        pending.append(pool.submit(prepare, *_arguments(file, year, stored)))
                    if not pending:
                        return
                    result = pending.popleft().result()
                    done += 1
                    yield result
            finally:
                for future in pending:
                    future.cancel()
    except (OSError, BrokenProcessPool):
        yield from _prepare_here(files[done:], year, stored)
