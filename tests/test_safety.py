"""The user's data stays safe: check, backup, decisions round trip, and refusal of bad files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .conftest import DUMPS, FIXTURES, Cli

DUPES = FIXTURES / "dupes"


def listed(cli: Cli, *args: str) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(cli("list", "-f", "json", *args).stdout)
    return data


def test_check_passes_on_a_healthy_library(cli: Cli) -> None:
    cli("ingest", str(DUMPS), str(DUPES))
    result = cli("check", "--format", "json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["ok"] and report["problems"] == []
    assert set(report["checks"]) >= {"integrity", "foreign keys", "search index", "ids"}


@pytest.mark.parametrize(
    ("damage", "check"),
    [
        (
            "DELETE FROM papers_fts WHERE rowid = (SELECT max(rowid) FROM papers_fts)",
            "search index",
        ),
        ("UPDATE papers SET seen = seen + 1 WHERE id = (SELECT min(id) FROM papers)", "summaries"),
        ("UPDATE variants SET paper_id = 'ffffffffffff' WHERE rowid = 1", "ids"),
        ("UPDATE variants SET sighting_id = NULL WHERE rowid = 1", "variants"),
        ("UPDATE variants SET sighting_id = sighting_id + 1 WHERE rowid = 1", "variants"),
        (
            "UPDATE papers SET sighting_id = (SELECT max(id) FROM sightings)"
            " WHERE id = (SELECT min(id) FROM papers)",
            "summaries",
        ),
        (
            "UPDATE papers SET sighting_id = 999999 WHERE id = (SELECT min(id) FROM papers)",
            "summaries",
        ),
        (
            "UPDATE papers SET arxiv_id = '2401.00001' WHERE id = (SELECT min(id) FROM papers)",
            "arxiv ids",
        ),
    ],
)
def test_check_finds_damage(cli: Cli, library: Path, damage: str, check: str) -> None:
    cli("ingest", str(DUMPS))
    conn = sqlite3.connect(library)
    conn.execute(damage)
    conn.commit()
    conn.close()
    result = cli("check", "--format", "json")
    assert result.exit_code == 1
    assert check in {p["check"] for p in json.loads(result.stdout)["problems"]}


def test_backup_is_a_working_library(cli: Cli, tmp_path: Path) -> None:
    cli("ingest", str(DUMPS))
    cli("mark", str(listed(cli)[0]["id"]), "--star")
    copy = tmp_path / "backup.db"
    assert cli("backup", str(copy)).exit_code == 0
    again = cli("backup", str(copy))
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert cli("backup", str(copy), "--force").exit_code == 0
    assert cli("check", "--db", str(copy)).exit_code == 0
    starred = json.loads(cli("list", "--db", str(copy), "--status", "starred", "-f", "json").stdout)
    assert len(starred) == 1


def test_backup_while_another_connection_writes(cli: Cli, library: Path, tmp_path: Path) -> None:
    cli("ingest", str(DUMPS))
    writer = sqlite3.connect(library, isolation_level=None)
    writer.execute("BEGIN")
    writer.execute("UPDATE meta SET value = value")
    result = cli("backup", str(tmp_path / "copy.db"))
    writer.execute("COMMIT")
    writer.close()
    assert result.exit_code == 0, result.stderr


def test_decisions_round_trip_through_a_rebuilt_library(
    cli: Cli, library: Path, tmp_path: Path
) -> None:
    cli("ingest", str(DUMPS), str(DUPES))
    papers = listed(cli)
    first, second = str(papers[0]["id"]), str(papers[1]["id"])
    cli("mark", first, "--star", "--note", "read this first")
    cli("mark", second, "--skip")
    cli("tag", first, "+security", "-survey")
    pair = json.loads(cli("dupes", "--candidates", "-f", "json").stdout)[0]
    cli("merge", pair["a"], pair["b"])
    auto = next(g for g in json.loads(cli("dupes", "-f", "json").stdout) if g["merges"])
    cli("split", auto["id"])
    before = {
        (p["id"], p["status"], p["note"], tuple(p["tags"]), p["seen"])  # type: ignore[arg-type]
        for p in listed(cli)
    }
    exported = tmp_path / "decisions.json"
    assert cli("decisions", "export", str(exported)).exit_code == 0
    data = json.loads(exported.read_text())
    assert data["format"] == "papertriage-decisions" and data["version"] == 1

    for leftover in library.parent.glob(library.name + "*"):
        leftover.unlink()
    cli("ingest", str(DUMPS), str(DUPES))
    result = cli("decisions", "import", str(exported))
    assert result.exit_code == 0, result.stderr
    after = {
        (p["id"], p["status"], p["note"], tuple(p["tags"]), p["seen"])  # type: ignore[arg-type]
        for p in listed(cli)
    }
    assert after == before
    assert cli("check").exit_code == 0


def test_decisions_for_papers_not_yet_ingested_wait_for_them(cli: Cli, tmp_path: Path) -> None:
    cli("ingest", str(DUMPS))
    paper = str(listed(cli)[0]["id"])
    cli("mark", paper, "--read")
    exported = tmp_path / "decisions.json"
    cli("decisions", "export", str(exported))
    other = tmp_path / "other.db"
    result = cli("decisions", "import", str(exported), "--db", str(other))
    assert result.exit_code == 0 and "not in this library yet" in result.stderr
    cli("ingest", str(DUMPS), "--db", str(other))
    read = json.loads(cli("list", "--db", str(other), "--status", "read", "-f", "json").stdout)
    assert [p["id"] for p in read] == [paper]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"format": "something-else"}', "not a papertriage decisions file"),
        ('{"format": "papertriage-decisions", "version": 99}', "newer papertriage"),
        (
            '{"format": "papertriage-decisions", "statuses": [{"paper": "x", "status": "done",'
            ' "changed_at": "2025"}]}',
            "statuses.0.status",
        ),
    ],
)
def test_bad_decision_files(cli: Cli, tmp_path: Path, content: str, message: str) -> None:
    cli("ingest", str(DUMPS))
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = cli("decisions", "import", str(bad))
    assert result.exit_code == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_truncated_library_is_refused_and_left_alone(cli: Cli, library: Path) -> None:
    cli("ingest", str(DUMPS))
    cli("check")  # checkpoints nothing by itself; close all connections first
    conn = sqlite3.connect(library)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = library.read_bytes()
    library.write_bytes(data[: len(data) // 3])
    for extra in library.parent.glob(library.name + "-*"):
        extra.unlink()
    before = library.read_bytes()
    for command in (["list"], ["ingest", str(DUMPS)], ["check"]):
        result = cli(*command)
        assert result.exit_code == 1, command
        assert result.stderr.startswith("error: ") and str(library) in result.stderr
        assert "Traceback" not in result.stderr
    assert library.read_bytes() == before


def test_corrupted_library_is_refused_and_left_alone(cli: Cli, library: Path) -> None:
    cli("ingest", str(DUMPS))
    conn = sqlite3.connect(library)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(library.read_bytes())
    data[16:24] = b"\xff" * 8  # page size and format bytes of the header
    library.write_bytes(bytes(data))
    before = library.read_bytes()
    result = cli("list")
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {library}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert library.read_bytes() == before


def test_merge_decisions_imported_before_their_papers_apply_when_they_arrive(
    cli: Cli, tmp_path: Path
) -> None:
    """A `same: true` pair imported into an empty library merges when both papers arrive, and
    a `distinct` pair keeps apart titles the deduper would merge on its own."""
    cli("ingest", str(DUPES))
    (pair,) = json.loads(cli("dupes", "--candidates", "-f", "json").stdout)
    assert cli("merge", pair["a"], pair["b"]).exit_code == 0
    typo = next(g for g in json.loads(cli("dupes", "-f", "json").stdout) if g["score"] < 99)
    first, second = {m["variant"] for m in typo["members"]}
    assert cli("distinct", first, second).exit_code == 0
    exported = tmp_path / "decisions.json"
    assert cli("decisions", "export", str(exported)).exit_code == 0

    other = tmp_path / "other.db"
    result = cli("decisions", "import", str(exported), "--db", str(other))
    assert result.exit_code == 0 and "not in this library yet" in result.stderr
    assert cli("ingest", str(DUPES), "--db", str(other)).exit_code == 0
    candidates = json.loads(cli("dupes", "--candidates", "--db", str(other), "-f", "json").stdout)
    assert candidates == []
    groups = json.loads(cli("dupes", "--db", str(other), "-f", "json").stdout)
    merged = next(
        g for g in groups if {pair["a"], pair["b"]} <= {m["variant"] for m in g["members"]}
    )
    assert [m["reason"] for m in merged["merges"]] == ["merged by you"]
    apart = {str(p["id"]) for p in listed(cli, "--db", str(other))}
    assert {first, second} <= apart
    assert cli("check", "--db", str(other)).exit_code == 0
