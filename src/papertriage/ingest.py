"""Files -> parse -> store, one transaction per file.

A file either lands whole or not at all: a parse error half-way rolls back everything that file
wrote, and the other files of the run still ingest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel

from .errors import DumpError
from .models import Record
from .normalize import paper_id, title_key
from .parse import read_dump
from .store import SightingRow, SourceRow, Store

Status = Literal["ingested", "replaced", "unchanged", "duplicate", "rejected"]
_BATCH = 2000
_PARSE_WHOLE = 8 << 20


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


class IngestReport(BaseModel):
    files: list[FileResult]

    def total(self, field: Literal["records", "new_papers", "known"]) -> int:
        return sum(getattr(result, field) for result in self.files)

    @property
    def rejected(self) -> list[FileResult]:
        return [result for result in self.files if result.status == "rejected"]


def collect_dump_files(paths: Iterable[Path]) -> tuple[list[Path], list[FileResult]]:
    """Expand directories into their `*.txt` dumps (recursively, sorted); report missing paths."""
    files: list[Path] = []
    problems: list[FileResult] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not found:
                problems.append(
                    FileResult(path=str(path), status="rejected", error="no *.txt dumps found")
                )
        elif path.exists():
            found = [path]
        else:
            problems.append(
                FileResult(path=str(path), status="rejected", error="no such file or directory")
            )
            found = []
        for file in found:
            resolved = file.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(file)
    return files, problems


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FileSource(NamedTuple):
    """A dump file as the store records it."""

    path: Path
    shown: str
    resolved: str
    sha256: str


def ingest_file(store: Store, path: Path, year: int | None = None) -> FileResult:
    """Ingest one dump in one transaction. Never raises for a bad file: it is reported.

    A dump of up to 8 MiB (any real one) is parsed whole before anything is written, so a bad
    one writes nothing and needs no savepoint; a bigger one streams, and a savepoint undoes it.
    """
    shown = str(path)
    resolved = str(path.resolve())
    try:
        sha256 = file_sha256(path)
        whole = path.stat().st_size <= _PARSE_WHOLE
    except OSError as exc:
        return FileResult(path=shown, status="rejected", error=f"cannot read file: {exc.strerror}")
    try:
        with store.atomic(savepoint=not whole):
            # Checked inside the write lock, so two runs on the same file cannot both store it.
            previous = store.source_by_path(resolved)
            if previous is not None and previous.sha256 == sha256:
                return FileResult(path=shown, status="unchanged")
            twin = store.source_by_sha256(sha256)
            if twin is not None and previous is None:
                return FileResult(path=shown, status="duplicate", same_as=twin.path)
            records = read_dump(path, year, source=shown)
            return _store_records(
                store,
                list(records) if whole else records,
                FileSource(path=path, shown=shown, resolved=resolved, sha256=sha256),
                previous,
            )
    except DumpError as exc:
        return FileResult(path=shown, status="rejected", error=exc.reason, line=exc.line)


def _store_records(
    store: Store, records: Iterable[Record], file: FileSource, previous: SourceRow | None
) -> FileResult:
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
    first_date = None

    def flush() -> None:
        nonlocal known
        _assign_variants(store, batch)
        ids = {row[9] for row in batch}
        existing = store.existing_papers(ids - new_papers)
        for row in batch:
            if row[9] in existing:
                known += 1
            elif row[9] not in new_papers:
                new_papers.add(row[9])
        store.add_sightings(batch)
        batch.clear()

    for record in records:
        if count == 0:
            header, first_date = record.header_date, record.date
        key = title_key(record.title)
        batch.append(
            (
                next_id + count,
                source_id,
                record.position,
                record.line,
                record.header_date,
                record.date.isoformat() if record.date else None,
                record.title,
                record.abstract,
                key,
                paper_id(key),
            )
        )
        count += 1
        if len(batch) >= _BATCH:
            flush()
    flush()
    store.finish_source(source_id, count, header, first_date)
    if removed:
        store.refresh_papers(removed)
    return FileResult(
        path=file.shown,
        status="replaced" if previous is not None else "ingested",
        records=count,
        new_papers=len(new_papers),
        known=known,
    )


def _assign_variants(store: Store, batch: list[SightingRow]) -> None:
    """Give each row the paper its title key belongs to, and record new or changed keys.

    A key seen before keeps the paper it was merged into. Only new keys and keys whose first
    date or representative sighting changes are written: most records are repeats, and every
    write here is a random page in a large index.
    """
    states = store.variant_states({row[8] for row in batch})
    new: list[tuple[str, str, str, str | None, int]] = []
    changed: set[str] = set()
    for index, row in enumerate(batch):
        sighting, date, key = row[0], row[5], row[8]
        state = states.get(key)
        if state is None:
            states[key] = (row[9], date, sighting)
            new.append((paper_id(key), key, row[9], date, sighting))
            continue
        paper, first, representative = state
        if paper != row[9]:
            batch[index] = (*row[:9], paper)
        earlier = date is not None and (first is None or date < first)
        if earlier or representative is None:
            states[key] = (paper, date if earlier else first, representative or sighting)
            changed.add(key)
    store.add_variants(new)
    store.update_variants((states[key][1], states[key][2], key) for key in changed)


def ingest_paths(
    store: Store,
    paths: Sequence[Path],
    year: int | None = None,
    progress: Callable[[int, int, FileResult], None] | None = None,
) -> IngestReport:
    """Ingest files and directories; bad files are reported, the rest still land.

    Each file is one transaction (a savepoint in a group committed every half second).
    `progress(done, total, result)` is called after each file, for progress bars.
    """
    files, problems = collect_dump_files(paths)
    results = list(problems)
    with store.grouped() as commit_if_due:
        for done, file in enumerate(files, start=1):
            result = ingest_file(store, file, year)
            commit_if_due()
            results.append(result)
            if progress is not None:
                progress(done, len(files), result)
    return IngestReport(files=results)
