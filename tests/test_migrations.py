"""Every schema version's library upgrades to the current one without losing anything."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from papertriage.errors import StoreError
from papertriage.store import MIGRATIONS, Store

from .conftest import Cli

SCHEMAS = Path(__file__).resolve().parent / "fixtures" / "schemas"
VERSIONS = sorted(int(path.stem[1:]) for path in SCHEMAS.glob("v*.db"))


def test_there_is_a_fixture_for_every_version() -> None:
    assert list(range(1, len(MIGRATIONS) + 1)) == VERSIONS


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_upgrade_keeps_everything(version: int, tmp_path: Path, cli: Cli) -> None:
    library = tmp_path / f"v{version}.db"
    shutil.copy(SCHEMAS / f"v{version}.db", library)
    sightings = _rows(library, "SELECT title, abstract, position FROM sightings ORDER BY id")
    papers = _rows(library, "SELECT id, seen FROM papers ORDER BY id")
    decisions = _rows(library, "SELECT * FROM tag_decisions") if version >= 2 else []
    statuses = (
        _rows(library, "SELECT paper_id, status, note FROM paper_status") if version >= 4 else []
    )
    tags = _rows(library, "SELECT * FROM paper_tags ORDER BY 1, 2") if version >= 2 else []
    variants_sql = "SELECT id, key, paper_id, deduped FROM variants ORDER BY rowid"
    variants = _rows(library, variants_sql) if version >= 3 else []
    merges = _rows(library, "SELECT * FROM merges ORDER BY id") if version >= 3 else []

    with Store(library) as store:
        assert store.version == len(MIGRATIONS)
    assert (
        _rows(library, "SELECT title, abstract, position FROM sightings ORDER BY id") == sightings
    )
    assert _rows(library, "SELECT id, seen FROM papers ORDER BY id") == papers
    if version >= 2:
        assert _rows(library, "SELECT * FROM tag_decisions") == decisions
    if version >= 4:
        assert _rows(library, "SELECT paper_id, status, note FROM paper_status") == statuses
    if version >= 3:
        assert _rows(library, variants_sql) == variants
        assert _rows(library, "SELECT * FROM merges ORDER BY id") == merges
    if version >= 2:
        assert _rows(library, "SELECT * FROM paper_tags ORDER BY 1, 2") == tags

    # The upgraded library works: check, search, list with tags, and a further ingest.
    assert cli("check", "--db", str(library)).exit_code == 0
    found = json.loads(cli("search", "agent", "--db", str(library), "-f", "json").stdout)
    assert found
    listed = json.loads(cli("list", "--db", str(library), "-f", "json").stdout)
    assert {paper["id"] for paper in listed} == {row[0] for row in papers}
    result = cli(
        "ingest", str(SCHEMAS.parent.parent.parent / "fixtures" / "dumps"), "--db", str(library)
    )
    assert result.exit_code == 0, result.stderr
    assert cli("check", "--db", str(library)).exit_code == 0
    if version >= 2:
        kept = _rows(library, "SELECT paper_id, tag, assigned FROM tag_decisions")
        assert kept == [(row[0], row[1], row[2]) for row in decisions]


def test_a_migration_that_would_break_foreign_keys_is_refused(tmp_path: Path) -> None:
    """Migrations run with foreign keys off; what they leave is checked before it commits."""
    library = tmp_path / "v5.db"
    shutil.copy(SCHEMAS / "v5.db", library)
    before = library.read_bytes()

    def orphan_sightings(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM sources")

    with pytest.raises(StoreError, match="would break its sightings table"):
        Store(library, [*MIGRATIONS[:5], orphan_sightings])
    with Store(library, MIGRATIONS[:5]) as store:
        assert store.version == 5
        assert store.conn.execute("SELECT count(*) FROM sources").fetchone()[0] > 0
    assert len(library.read_bytes()) == len(before)
