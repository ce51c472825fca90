"""Real processes against one library: kill -9 at any moment, concurrent writers and readers,
and a full disk. Whatever happens, the library stays consistent and a rerun converges."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import CORPUS, DUMPS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and rlimits")


def papertriage(
    *args: str, db: Path, pause_at: str | None = None, **kwargs: object
) -> subprocess.Popen[str]:
    """`papertriage ARGS` in a process of its own; with `pause_at`, it waits at that named
    point (`papertriage.faults`) to be killed there."""
    env = {**os.environ, "PAPERTRIAGE_DB": str(db), "NO_COLOR": "1"}
    env.pop("PAPERTRIAGE_TAXONOMY", None)
    env.pop("PAPERTRIAGE_CONFIG", None)
    env.pop("PAPERTRIAGE_PAUSE_AT", None)
    if pause_at is not None:
        env["PAPERTRIAGE_PAUSE_AT"] = pause_at
    return subprocess.Popen(
        [sys.executable, "-m", "papertriage", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def wait_for_line(process: subprocess.Popen[str], wanted: str) -> list[str]:
    """Read the process's stderr up to a line ending in `wanted` (all of it if none does)."""
    assert process.stderr is not None
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line.rstrip("\n"))
        if seen[-1].endswith(wanted):
            break
    return seen


def kill_when(process: subprocess.Popen[str], wanted: str) -> None:
    """SIGKILL the process once it says `wanted` on stderr, asserting it was still running
    then: a test that kills a process already finished tests nothing."""
    seen = wait_for_line(process, wanted)
    assert seen and seen[-1].endswith(wanted), f"never said {wanted!r}: {seen}"
    assert process.poll() is None, "it finished before the kill"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL


def kill_at(*args: str, db: Path, point: str) -> None:
    """Run `papertriage ARGS` and kill it -9 where it pauses at the named point."""
    kill_when(papertriage(*args, db=db, pause_at=point), f"paused at {point}")


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    process = papertriage(*args, db=db)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few hundred real dumps, copied so their names and mtimes are this test's own."""
    folder = tmp_path_factory.mktemp("dumps")
    for path in sorted((CORPUS / "dumps").glob("*.txt"))[:150]:
        shutil.copy(path, folder / path.name)
    for path in DUMPS.glob("*.txt"):
        shutil.copy(path, folder / f"seed-2025-{path.name}")
    return folder


def snapshot(db: Path) -> dict[str, object]:
    """What a user sees of a library: papers, what they show, their sightings and tags."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        papers = conn.execute(
            "SELECT p.id, p.seen, p.first_seen, p.last_seen, c.title FROM papers p"
            " JOIN sightings c ON c.id = p.sighting_id ORDER BY p.id"
        ).fetchall()
        sightings = conn.execute(
            "SELECT s.path, g.position, g.paper_id FROM sightings g JOIN sources s"
            " ON s.id = g.source_id ORDER BY s.path, g.position"
        ).fetchall()
        tags = conn.execute("SELECT paper_id, tag FROM paper_tags ORDER BY 1, 2").fetchall()
        indexed = conn.execute("SELECT count(*) FROM papers_fts").fetchone()[0]
        queued = conn.execute("SELECT count(*) FROM fts_queue").fetchone()[0]
    finally:
        conn.close()
    return {
        "papers": papers,
        "sightings": sightings,
        "tags": tags,
        "index": indexed if not queued else None,
    }


@pytest.fixture(scope="module")
def clean(dumps: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    db = tmp_path_factory.mktemp("clean") / "library.db"
    result = run("ingest", str(dumps), db=db)
    assert result.returncode == 0, result.stderr
    assert run("search", "agents", db=db).returncode == 0  # syncs the index like any reader
    return snapshot(db)


@pytest.mark.parametrize(
    "point",
    # Storing the first dumps, the last ones, inside the dedupe's and the tagging's transactions.
    ["ingest-file:3", "ingest-file:140", "dedupe", "tag:2"],
)
def test_kill_during_ingest_then_rerun_equals_a_clean_run(
    dumps: Path, clean: dict[str, object], tmp_path: Path, point: str
) -> None:
    db = tmp_path / "library.db"
    kill_at("ingest", str(dumps), db=db, point=point)
    if db.exists():
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Killed before the schema was committed, the library is simply still empty.
        created = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sources'").fetchone()
        # Every dump is wholly stored or not at all.
        for records, stored in (
            []
            if created is None
            else conn.execute(
                "SELECT s.records, (SELECT count(*) FROM sightings g WHERE g.source_id = s.id)"
                " FROM sources s"
            )
        ):
            assert records == stored
        conn.close()
    result = run("ingest", str(dumps), db=db)
    assert result.returncode == 0, result.stderr
    assert run("search", "agents", db=db).returncode == 0
    assert snapshot(db) == clean


def _children(pid: int) -> list[int]:
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    )
    return [int(child) for child in listed.stdout.split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the read-ahead worker")
def test_ctrl_c_during_ingest_stops_both_processes_quietly(
    dumps: Path, clean: dict[str, object], tmp_path: Path
) -> None:
    db = tmp_path / "library.db"
    # Its own process group, so the signal reaches the worker too, as Ctrl-C at a terminal does.
    process = papertriage("ingest", str(dumps), db=db, start_new_session=True)
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while not workers and process.poll() is None and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.05)
    assert workers, "the ingest ended before its read-ahead worker was seen"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "Traceback" not in stderr
    assert not any(Path(f"/proc/{worker}").exists() for worker in workers)
    result = run("ingest", str(dumps), db=db)
    assert result.returncode == 0, result.stderr
    assert run("search", "agents", db=db).returncode == 0
    assert snapshot(db) == clean


@pytest.mark.parametrize(
    ("command", "point"),
    [(("retag",), "tag:2"), (("dupes", "--rescan"), "dedupe"), (("check",), "check")],
    ids=["retag", "dupes", "check"],
)
def test_kill_during_library_commands(
    dumps: Path, clean: dict[str, object], tmp_path: Path, command: tuple[str, ...], point: str
) -> None:
    db = tmp_path / "library.db"
    assert run("ingest", str(dumps), db=db).returncode == 0
    kill_at(*command, db=db, point=point)
    assert run(*command, db=db).returncode == 0
    assert run("search", "agents", db=db).returncode == 0
    assert snapshot(db) == clean


def test_kill_during_next_keeps_every_decision_made(dumps: Path, tmp_path: Path) -> None:
    db = tmp_path / "library.db"
    assert run("ingest", str(DUMPS), db=db).returncode == 0
    process = papertriage("next", db=db, stdin=subprocess.PIPE)
    assert process.stdin is not None
    process.stdin.write("r\ns\n")
    process.stdin.flush()
    # Killed once it has said the second decision is saved, waiting for the next key.
    kill_when(process, ": starred")
    conn = sqlite3.connect(db)
    statuses = sorted(row[0] for row in conn.execute("SELECT status FROM paper_status"))
    conn.close()
    assert statuses == ["read", "starred"]


def test_two_ingests_at_once_with_readers(
    dumps: Path, clean: dict[str, object], tmp_path: Path
) -> None:
    files = sorted(dumps.glob("*.txt"))
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for index, path in enumerate(files):
        # Overlapping halves: some dumps are ingested by both processes at once.
        if index < len(files) * 2 // 3:
            os.link(path, first / path.name)
        if index >= len(files) // 3:
            os.link(path, second / path.name)
    db = tmp_path / "library.db"
    writers = [papertriage("ingest", str(folder), db=db) for folder in (first, second)]
    reads = failures = 0
    while any(writer.poll() is None for writer in writers):
        if db.exists():
            reader = run("list", "--limit", "5", "--format", "json", db=db)
            reads += 1
            if reader.returncode != 0 and "no library here yet" not in reader.stderr:
                failures += 1
                print(reader.stderr)
    outputs = [writer.communicate(timeout=300) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], outputs
    assert failures == 0 and reads > 0
    # Same dumps, other paths: the sightings differ only by where the files lie.
    together = snapshot(db)
    assert together["papers"] == clean["papers"]
    assert together["tags"] == clean["tags"]


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_disk_full_is_a_clear_error_and_loses_nothing(dumps: Path, tmp_path: Path) -> None:
    db = tmp_path / "library.db"
    assert run("ingest", str(DUMPS), db=db).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = snapshot(db)
    limit = db.stat().st_size + 256 * 1024
    process = papertriage("ingest", str(dumps), db=db, preexec_fn=lambda: _limit_file_size(limit))
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 1
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert lines and "disk full" in lines[-1], stderr
    assert "Traceback" not in stderr
    assert run("check", db=db).returncode == 0
    after = snapshot(db)
    assert set(before["papers"]) <= set(after["papers"])  # type: ignore[arg-type]


def test_kill_during_merge_and_split_leaves_the_pair_as_it_was(tmp_path: Path) -> None:
    from .conftest import FIXTURES

    db = tmp_path / "library.db"
    assert run("ingest", str(FIXTURES / "dupes"), db=db).returncode == 0
    conn = sqlite3.connect(db)
    a, b = conn.execute("SELECT a, b FROM dupe_candidates").fetchone()
    conn.close()

    def papers_of_the_pair() -> int:
        assert run("check", db=db).returncode == 0
        conn = sqlite3.connect(db)
        count: int = conn.execute(
            "SELECT count(DISTINCT paper_id) FROM variants WHERE id IN (?, ?)", (a, b)
        ).fetchone()[0]
        conn.close()
        return count

    # Killed inside its transaction, a merge or a split leaves the pair as it was.
    kill_at("merge", a, b, db=db, point="merge")
    assert papers_of_the_pair() == 2
    assert run("merge", a, b, db=db).returncode == 0
    assert papers_of_the_pair() == 1
    kill_at("split", a, db=db, point="split")
    assert papers_of_the_pair() == 1
    assert run("split", a, db=db).returncode == 0
    assert papers_of_the_pair() == 2
