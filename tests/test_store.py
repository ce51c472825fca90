"""The library file: creation, migrations, refusals, and ingest's transaction guarantees."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

import papertriage.ingest as ingest_module
from papertriage.errors import NotFoundError, StoreError
from papertriage.ingest import file_sha256, ingest_file, ingest_paths
from papertriage.library import tag_pending, tagger
from papertriage.normalize import paper_id, title_key
from papertriage.safety import check_library
from papertriage.store import APPLICATION_ID, MIGRATIONS, PaperFilter, Store
from papertriage.tagging import default_taxonomy

from .conftest import BAD, DUMPS, EDGE, FIXTURES

SEED = DUMPS / "000_2b9e3ea4e6b592bd.txt"


def counts(store: Store) -> tuple[int, int, int]:
    row = store.conn.execute(
        "SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM sightings),"
        " (SELECT count(*) FROM sources)"
    ).fetchone()
    return tuple(row)  # type: ignore[return-value]


def test_new_library_is_marked_and_current(library: Path) -> None:
    with Store(library) as store:
        assert store.version == len(MIGRATIONS)
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.conn.execute("PRAGMA secure_delete").fetchone()[0] == 0
        assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -262144  # KiB
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == 8192
        assert store.conn.execute("PRAGMA temp_store").fetchone()[0] == 0  # default: files
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 51200  # 400 MB


def test_a_library_keeps_the_page_size_it_was_made_with(library: Path) -> None:
    shutil.copy(Path(__file__).parent / "fixtures" / "schemas" / "v6.db", library)
    with Store(library) as store:  # made with 4 KB pages by an earlier papertriage
        ingest_file(store, SEED, 2025)
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 102400


def test_migrations_run_in_order_and_only_forward(library: Path) -> None:
    def add_notes(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE papers ADD COLUMN note TEXT")

    with Store(library) as store:
        ingest_file(store, SEED, 2025)
    with Store(library, [*MIGRATIONS, add_notes]) as upgraded:
        assert upgraded.version == len(MIGRATIONS) + 1
        assert counts(upgraded)[0] == 95
        upgraded.conn.execute("UPDATE papers SET note = 'x'")
    # Opening again with the same code does not re-run anything.
    with Store(library, [*MIGRATIONS, add_notes]) as again:
        assert again.conn.execute("SELECT count(*) FROM papers WHERE note = 'x'").fetchone()[0]


def test_newer_schema_is_refused_and_left_alone(library: Path) -> None:
    Store(library).close()
    conn = sqlite3.connect(library)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    before = library.read_bytes()
    with pytest.raises(StoreError, match="newer than this papertriage"):
        Store(library)
    assert library.read_bytes() == before


def test_foreign_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(StoreError, match="not a papertriage library"):
        Store(other)
    assert other.read_bytes() == before


def test_text_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a database\n" * 100)
    before = text.read_bytes()
    with pytest.raises(StoreError, match="not a usable papertriage library"):
        Store(text)
    assert text.read_bytes() == before


def test_missing_library_is_not_created_for_reading(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no library here yet"):
        Store(tmp_path / "nope.db", create=False)
    assert not (tmp_path / "nope.db").exists()


def test_ingest_is_idempotent(store: Store) -> None:
    first = ingest_paths(store, [DUMPS])
    assert [r.status for r in first.files] == ["ingested", "ingested"]
    assert counts(store) == (146, 160, 2)
    again = ingest_paths(store, [DUMPS])
    assert [r.status for r in again.files] == ["unchanged", "unchanged"]
    assert counts(store) == (146, 160, 2)


def test_same_content_at_another_path_changes_nothing(store: Store, tmp_path: Path) -> None:
    ingest_file(store, SEED, 2025)
    copy = tmp_path / "copy.txt"
    shutil.copy(SEED, copy)
    result = ingest_file(store, copy, 2025)
    assert result.status == "duplicate" and result.same_as == str(SEED.resolve())
    assert counts(store) == (95, 95, 1)


def test_changed_file_replaces_its_sightings(store: Store, tmp_path: Path) -> None:
    dump = tmp_path / "dump.txt"
    text = SEED.read_text()
    dump.write_text(text)
    ingest_file(store, dump, 2025)
    paragraphs = text.split("\n\n")
    # Drop the first paper (title + abstract) and ingest again.
    dropped_title = paragraphs[6]
    dump.write_text("\n\n".join(paragraphs[:6] + paragraphs[8:]))
    result = ingest_file(store, dump, 2025)
    assert result.status == "replaced" and result.records == 94
    assert counts(store) == (94, 94, 1)
    with pytest.raises(NotFoundError):
        store.resolve_id(paper_id(title_key(dropped_title)))


def test_bad_file_stores_nothing_and_keeps_what_was_there(store: Store, tmp_path: Path) -> None:
    ingest_file(store, SEED, 2025)
    before = counts(store)
    bad = tmp_path / "dump.txt"
    bad.write_text((BAD / "missing-abstract-2025.txt").read_text())
    result = ingest_file(store, bad, 2025)
    assert result.status == "rejected" and result.line == 17
    assert counts(store) == before


def test_changed_file_that_turns_bad_keeps_its_old_version(store: Store, tmp_path: Path) -> None:
    dump = tmp_path / "dump.txt"
    dump.write_text(SEED.read_text())
    ingest_file(store, dump, 2025)
    dump.write_text(SEED.read_text() + "\n\n" + "An abstract that lost its title. " * 3)
    assert ingest_file(store, dump, 2025).status == "rejected"
    assert counts(store) == (95, 95, 1)


def test_ids_are_stable_across_fresh_libraries(tmp_path: Path) -> None:
    ids = []
    for name in ("a.db", "b.db"):
        with Store(tmp_path / name) as store:
            ingest_paths(store, [DUMPS])
            ids.append({p.id for p in store.list_papers(PaperFilter())})
    assert ids[0] == ids[1]
    assert all(len(i) == 12 for i in ids[0])


def test_paper_summary_follows_sightings(store: Store) -> None:
    ingest_paths(store, [DUMPS], year=2025)
    both = store.list_papers(PaperFilter(seen_min=2))
    assert len(both) == 14
    detail = store.paper_detail(both[0].id)
    assert [s.source for s in detail.sightings] == sorted(
        ["000_2b9e3ea4e6b592bd.txt", "002_016c0d79b69ffb33.txt"], key=lambda n: n[:3] != "002"
    )
    assert detail.first_seen is not None and detail.last_seen is not None
    assert str(detail.first_seen) == "2025-09-05" and str(detail.last_seen) == "2025-09-26"


def test_same_paper_twice_in_one_dump(store: Store) -> None:
    ingest_file(store, EDGE / "two-pages-2025.txt")
    papers = store.list_papers(PaperFilter(sort="seen"))
    assert len(papers) == 3 and papers[0].seen == 2


def test_resolve_id_prefix(store: Store) -> None:
    ingest_paths(store, [DUMPS])
    some = store.list_papers(PaperFilter(limit=1))[0].id
    assert store.resolve_id(some[:8]) == some
    assert store.resolve_id(some.upper()) == some
    with pytest.raises(NotFoundError, match="ambiguous"):
        store.resolve_id(some[0])
    with pytest.raises(NotFoundError, match="no paper with id"):
        store.resolve_id("ffffffffffff0")
    with pytest.raises(NotFoundError, match="not a paper id"):
        store.resolve_id("x'; DROP TABLE papers; --")


def test_a_title_keeps_a_representative_sighting_through_replacements(
    store: Store, tmp_path: Path
) -> None:
    paragraphs = SEED.read_text().split("\n\n")
    title = paragraphs[6]
    key = title_key(title)
    first, other = tmp_path / "a-2025.txt", tmp_path / "b-2025.txt"
    first.write_text(SEED.read_text())
    other.write_text(f"Oct 2\n\n{title}\n\nThe same paper, as another dump had its abstract.\n")
    ingest_paths(store, [first, other], 2025)

    def text() -> list[str]:
        return [
            abstract
            for variant, _, _, abstract in store.variant_texts()
            if variant == paper_id(key)
        ]

    assert text() == [paragraphs[7]]
    first.write_text("\n\n".join(paragraphs[:6] + paragraphs[8:]))  # `first` loses the paper
    ingest_paths(store, [first], 2025)
    assert text() == ["The same paper, as another dump had its abstract."]
    other.write_text(f"Oct 2\n\n{paragraphs[8]}\n\n{paragraphs[9]}\n")  # and so does `other`
    ingest_paths(store, [other], 2025)
    assert text() == []
    first.write_text(SEED.read_text())  # back again
    ingest_paths(store, [first], 2025)
    assert text() == [paragraphs[7]]
    assert check_library(store).problems == []


def test_variant_texts_come_oldest_first_undated_last(store: Store, tmp_path: Path) -> None:
    abstract = "An abstract long enough to be one, for the paper named {}."
    dumps = {
        "undated-2025.txt": (None, ["Zeta Undated Paper"]),
        "late-2025.txt": ("Oct 9", ["Gamma Late Paper", "Alpha Late Paper"]),
        "early-2025.txt": ("Oct 2", ["Beta Early Paper"]),
    }
    for name, (date, titles) in dumps.items():
        paragraphs = [part for title in titles for part in (title, abstract.format(title))]
        (tmp_path / name).write_text("\n\n".join(([date] if date else []) + paragraphs) + "\n")
    for name in dumps:  # in this order: the undated dump's variant is the first row stored
        ingest_paths(store, [tmp_path / name])
    rows = store.variant_texts()
    assert [title for _, _, title, _ in rows] == [
        "Beta Early Paper",
        "Gamma Late Paper",  # same day: the order they were seen in
        "Alpha Late Paper",
        "Zeta Undated Paper",
    ]
    assert all(row[0] == paper_id(row[1]) and row[3] == abstract.format(row[2]) for row in rows)


def test_a_repeat_with_the_same_text_keeps_the_paper_as_it_was(
    store: Store, tmp_path: Path
) -> None:
    title, abstract = "Mamba: Linear-Time Sequence Modeling", "We study state space models."
    pid = paper_id(title_key(title))

    def ingest(name: str, day: int, text: str) -> None:
        (tmp_path / name).write_text(f"Oct {day}\n\n{title}\n\n{text}\n")
        assert ingest_paths(store, [tmp_path / name], 2025).rejected == []

    def state() -> tuple[int, str | None, str]:
        row = store.conn.execute(
            "SELECT sighting_id, tagged_with FROM papers WHERE id = ?", (pid,)
        ).fetchone()
        return row[0], row[1], store.paper_text(pid)[1]

    ingest("a.txt", 1, abstract)
    tag_pending(store, tagger(store, default_taxonomy()))
    store.sync_search_index()
    first = state()
    assert first[1] is not None
    ingest("b.txt", 2, abstract)  # the same text, seen again: nothing to re-index or retag
    assert state() == first and not store.search_index_pending()
    ingest("c.txt", 3, abstract + " Revised.")  # new text: shown, re-indexed, retagged
    moved = state()
    assert moved[0] != first[0] and moved[1] is None and moved[2].endswith("Revised.")
    assert store.search_index_pending()


def _sources_seen_by_another_connection(library: Path) -> int:
    conn = sqlite3.connect(library)
    try:
        return int(conn.execute("SELECT count(*) FROM sources").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize(("seconds", "visible"), [(0.0, [1, 2]), (3600.0, [0, 0])])
def test_grouped_files_commit_when_due_and_at_the_end(
    library: Path, seconds: float, visible: list[int]
) -> None:
    files = sorted(DUMPS.glob("*.txt"))
    seen = []
    with Store(library) as store, store.grouped(seconds) as commit_if_due:
        for file in files:
            ingest_file(store, file, 2025)
            commit_if_due()
            seen.append(_sources_seen_by_another_connection(library))
    assert seen == visible
    assert _sources_seen_by_another_connection(library) == 2


def test_a_failure_in_a_group_keeps_what_was_committed(library: Path) -> None:
    first, second = sorted(DUMPS.glob("*.txt"))
    with Store(library) as store:
        with pytest.raises(KeyboardInterrupt), store.grouped(3600.0):
            ingest_file(store, first, 2025)
            raise KeyboardInterrupt
        assert counts(store) == (0, 0, 0)
        with store.grouped(0.0) as commit_if_due:
            ingest_file(store, first, 2025)
            commit_if_due()
            with pytest.raises(KeyboardInterrupt), store.atomic():
                ingest_file(store, second, 2025)  # a savepoint inside the savepoint
                raise KeyboardInterrupt
        assert counts(store)[2] == 1


@pytest.mark.parametrize("streamed", [False, True])
def test_a_bad_file_in_a_group_writes_nothing_whether_parsed_whole_or_streamed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    if streamed:  # every file counts as too big to parse whole: it streams under a savepoint
        monkeypatch.setattr("papertriage.ingest._PARSE_WHOLE", 0)
    first, second = sorted(DUMPS.glob("*.txt"))
    folder = tmp_path / "dumps"
    folder.mkdir()
    shutil.copy(first, folder / "a-2025.txt")
    # A good start, then an abstract with no title at the end: found only after writing began.
    orphan = "\n\n" + "An abstract that lost its title. " * 3
    (folder / "b-2025.txt").write_text(second.read_text() + orphan)
    shutil.copy(second, folder / "c-2025.txt")
    report = ingest_paths(store, [folder])
    assert [result.status for result in report.files] == ["ingested", "rejected", "ingested"]
    clean = tmp_path / "clean.db"
    with Store(clean) as reference:
        ingest_paths(reference, [folder / "a-2025.txt", folder / "c-2025.txt"])
        assert counts(store) == counts(reference)
    assert check_library(store).problems == []


def _library_state(store: Store) -> tuple[list[tuple[object, ...]], ...]:
    return tuple(
        [tuple(row) for row in store.conn.execute(sql)]
        for sql in (
            "SELECT id, seen, first_seen, last_seen, arxiv_id FROM papers ORDER BY id",
            "SELECT name, records, header_date, date FROM sources ORDER BY name",
            "SELECT id, key, paper_id, first_seen FROM variants ORDER BY id",
        )
    )


@pytest.mark.parametrize("big", [False, True])
def test_reading_ahead_in_a_worker_gives_the_same_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, big: bool
) -> None:
    if big:  # every file too big to parse whole: the worker only hashes, the store streams
        monkeypatch.setattr("papertriage.ingest._PARSE_WHOLE", 0)
    paths = [DUMPS, EDGE, BAD, FIXTURES / "dupes", FIXTURES / "hostile", FIXTURES / "api"]
    paths.append(tmp_path / "missing")
    outcomes = []
    for read_ahead in (False, True):
        with Store(tmp_path / f"{read_ahead}.db") as store:
            report = ingest_paths(store, paths, 2025, read_ahead=read_ahead)
            again = ingest_paths(store, paths, 2025, read_ahead=read_ahead)
            outcomes.append(
                (
                    [
                        (Path(r.path).name, r.status, r.records, r.error, r.line)
                        for r in report.files
                    ],
                    {r.status for r in again.files} - {"unchanged", "rejected"},
                    _library_state(store),
                )
            )
            assert check_library(store).problems == []
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1] == set()
    assert {status for _, status, *_ in outcomes[0][0]} == {"ingested", "rejected"}


def test_unchanged_dumps_are_not_parsed_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_paths(store, [DUMPS], 2025, read_ahead=False)
    parsed: list[Path] = []
    real = ingest_module.read_dump_rows

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        parsed.append(path)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "read_dump_rows", counting)
    again = ingest_paths(store, [DUMPS], 2025, read_ahead=False)
    assert {result.status for result in again.files} == {"unchanged"} and parsed == []


def test_a_dump_that_changed_after_it_was_read_ahead_is_streamed(
    store: Store, tmp_path: Path
) -> None:
    dump = tmp_path / "dump-2025.txt"
    paragraphs = SEED.read_text().split("\n\n")
    dump.write_text("\n\n".join(paragraphs[:8]))
    ingest_file(store, dump, 2025)
    dump.write_text(SEED.read_text())
    # What a worker hands over when the file looked unchanged: a hash and no rows.
    result = ingest_file(store, dump, 2025, ingest_module.Prepared(file_sha256(dump), None))
    assert (result.status, result.records) == ("replaced", 95)
    assert counts(store) == (95, 95, 1)


_REAL_PREPARE = ingest_module.prepare
_TEST_PROCESS = os.getpid()
_DIE_ON: list[Path] = []


def _prepare_or_die(path: Path, *args: Any) -> ingest_module.Prepared:
    """`prepare`, except that a worker process dies on the files in `_DIE_ON`."""
    if os.getpid() != _TEST_PROCESS and path in _DIE_ON:
        os._exit(1)  # as the OOM killer would end it
    return _REAL_PREPARE(path, *args)


@pytest.mark.parametrize("failure", ["worker cannot start", "worker dies half-way"])
def test_a_failing_read_ahead_worker_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    files = sorted(DUMPS.glob("*.txt")) + sorted(EDGE.glob("*.txt"))
    if failure == "worker cannot start":

        def broken_setup(_: int) -> None:
            raise RuntimeError("no worker today")

        monkeypatch.setattr(ingest_module, "_worker_setup", broken_setup)
    else:
        monkeypatch.setattr(ingest_module, "prepare", _prepare_or_die)
        monkeypatch.setattr(sys.modules[__name__], "_DIE_ON", [files[2]])
    states = []
    for read_ahead in (True, False):
        with Store(tmp_path / f"{read_ahead}.db") as store:
            report = ingest_paths(store, files, 2025, read_ahead=read_ahead)
            assert [result.status for result in report.files] == ["ingested"] * len(files)
            states.append(_library_state(store))
    assert states[0] == states[1]


def test_directories_are_walked_like_rglob(tmp_path: Path) -> None:
    """Nested dumps in order, linked files taken, linked directories not entered."""
    from papertriage.ingest import collect_dump_files

    root = tmp_path / "dumps"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a").mkdir()
    for name in ("b/deep/z.txt", "b/y.txt", "a/x.txt", "top.txt", ".hidden.txt", "notes.md"):
        (root / name).write_text("x")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "linked.txt").write_text("x")
    (root / "link.txt").symlink_to(outside / "linked.txt")
    (root / "linked-dir").symlink_to(outside)
    files, problems = collect_dump_files([root, root / "a" / "x.txt"])
    assert not problems
    assert [file.path for file in files] == sorted(p for p in root.rglob("*.txt") if p.is_file())
    assert {file.path.name for file in files} == {
        "z.txt",
        "y.txt",
        "x.txt",
        "top.txt",
        ".hidden.txt",
        "link.txt",
    }
    assert all(file.resolved == str(file.path.resolve()) for file in files)
    given = [root / "b" / ".." / "top.txt", root / "link.txt", root / "linked-dir" / "linked.txt"]
    files, _ = collect_dump_files(given)
    assert [file.resolved for file in files] == [
        str(root / "top.txt"),
        str(outside / "linked.txt"),
    ]  # the link and the file in the linked directory are one file


def test_the_search_index_holds_exactly_what_papers_show(store: Store, tmp_path: Path) -> None:
    """New papers are queued a batch at a time (a range of sightings), changes one by one."""

    def indexed_as_shown() -> bool:
        store.sync_search_index()
        shown = {row[0] for row in store.conn.execute("SELECT sighting_id FROM papers")}
        index = {row[0] for row in store.conn.execute("SELECT rowid FROM papers_fts")}
        return shown == index and not store.search_index_pending()

    ingest_paths(store, [DUMPS], 2025, read_ahead=False)  # the second dump repeats 14 papers
    assert indexed_as_shown()
    dump = tmp_path / "later-2025.txt"
    paragraphs = SEED.read_text().split("\n\n")
    # A later dump with a paper seen before (with a revised abstract) and one new paper.
    dump.write_text(
        f"Dec 1\n\n{paragraphs[6]}\n\n{paragraphs[7]} Revised.\n\nA New Paper\n\n{paragraphs[9]}"
    )
    ingest_file(store, dump, 2025)
    assert indexed_as_shown()
    dump.write_text(f"Dec 1\n\n{paragraphs[6]}\n\n{paragraphs[7]}")  # replaced: one paper fewer
    ingest_file(store, dump, 2025)
    assert indexed_as_shown()
    assert check_library(store).ok


def test_a_paper_twice_in_one_new_dump_is_made_once_and_shows_its_newest_text(
    store: Store, tmp_path: Path
) -> None:
    """Made by a plain insert from its first sighting, then folded in like any repeat."""
    title = "Mamba: Linear-Time Sequence Modeling"
    older, newer = "Selective state spaces, first version. " * 3, "Zebrafish wording, revised. " * 3
    dump = tmp_path / "pages-2025.txt"
    dump.write_text(
        f"Sep 25\n\n{title}\n\n{older}\n\nSep 26\n\n{title}\n\n{newer}\n\n"
        f"Another Paper\n\n{older.replace('first', 'other')}"
    )
    result = ingest_file(store, dump, 2025)
    assert (result.records, result.new_papers, result.known) == (3, 2, 0)
    (paper,) = store.list_papers(PaperFilter(ids=[paper_id(title_key(title))]))
    assert (paper.seen, str(paper.first_seen), str(paper.last_seen)) == (
        2,
        "2025-09-25",
        "2025-09-26",
    )
    assert paper.abstract == newer.strip()
    store.sync_search_index()
    assert [hit[0] for hit in store.search("zebrafish")] == [paper.id]
    assert check_library(store).ok


def test_an_ingest_keeps_its_statement_journals_in_memory_and_only_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    add_sightings = store.add_sightings

    def recording(*args: Any) -> None:
        seen.append(store.conn.execute("PRAGMA temp_store").fetchone()[0])
        add_sightings(*args)

    monkeypatch.setattr(store, "add_sightings", recording)
    ingest_paths(store, [DUMPS])
    assert seen == [2, 2]  # memory, for each dump
    assert store.conn.execute("PRAGMA temp_store").fetchone()[0] == 0
    assert counts(store) == (146, 160, 2)


def test_sqlite_errors_become_the_stores_own_kinds_by_code(library: Path) -> None:
    """Kinds come from SQLite's result code: a message that merely says "disk full" is not one."""
    from papertriage.errors import LibraryBusyError, LibraryDamagedError

    Store(library).close()
    with pytest.raises(StoreError) as caught, Store(library) as store:
        store.conn.execute('SELECT * FROM "disk full"')
    assert type(caught.value) is StoreError
    assert str(caught.value).startswith(f"{library}: ")

    holder = sqlite3.connect(library, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(LibraryBusyError, match="busy"), Store(library) as store:
            store.conn.execute("PRAGMA busy_timeout = 0")
            with store.atomic():
                pass
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    damaged = library.with_name("damaged.db")
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4080)
    with pytest.raises(LibraryDamagedError, match=str(damaged)):
        Store(damaged)


def test_an_ambiguous_id_is_its_own_error(store: Store) -> None:
    from papertriage.errors import AmbiguousIdError

    ingest_paths(store, [DUMPS])
    some = store.list_papers(PaperFilter(limit=1))[0].id
    with pytest.raises(AmbiguousIdError):
        store.resolve_id(some[0])


def test_only_the_store_speaks_sql() -> None:
    """Every SQL statement lives in store/: nothing else imports sqlite3 or runs a statement."""
    source = Path(__file__).resolve().parent.parent / "src" / "papertriage"
    speaking = [
        str(path.relative_to(source))
        for path in sorted(source.rglob("*.py"))
        if path.parent.name != "store"
        and ("sqlite3" in path.read_text("utf-8") or ".execute(" in path.read_text("utf-8"))
    ]
    assert speaking == []


def test_the_daily_queries_read_a_page_through_an_index(store: Store) -> None:
    """`list` (newest first), `next` (best first) and a count read what they show through the
    indexes of schema 9, not by sorting every paper (`USE TEMP B-TREE FOR ORDER BY`) or reading
    every paper's text; the plans are checked, as timings in tests would not be."""
    ingest_paths(store, [DUMPS])
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    store.list_papers(PaperFilter(limit=20))
    store.best_page(PaperFilter(statuses=["new"], limit=50))
    store.count_papers(PaperFilter(statuses=["new"]))
    store.conn.set_trace_callback(None)
    plans = [  # the steps of each statement itself, not of the subqueries of its columns
        [row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql) if row[1] == 0]
        for sql in statements
        if sql.startswith("SELECT")
    ]
    listing, page, count = plans
    assert "SCAN p USING INDEX papers_recent" in listing
    assert "SCAN p USING INDEX papers_seen" in page
    assert not any("FOR ORDER BY" in step and "RIGHT PART" not in step for step in listing + page)
    assert not any(step.startswith("SEARCH c") for step in count)
