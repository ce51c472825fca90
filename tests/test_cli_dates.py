"""The year of a dump whose date lines and name have none: guessed right, never silently, and
correctable with --year."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from papertriage.store import Store

from .conftest import CORPUS, DUMPS, Cli

CLONED = dt.datetime(2026, 12, 4, 15, 26).timestamp()
"""When the checkout these tests copy fixtures into was made: a fresh clone's file dates."""


def copies(source: Path, target: Path, pattern: str = "*.txt") -> Path:
    """The dumps of `source` copied into `target`, dated as a fresh clone dates them."""
    target.mkdir()
    for path in sorted(source.glob(pattern)):
        shutil.copy(path, target / path.name)
        os.utime(target / path.name, (CLONED, CLONED))
    return target


def source_dates(library: Path) -> dict[str, tuple[str, str]]:
    """(first date, where its year came from) of every dump in the library, by file name."""
    with Store(library) as store:
        rows = store.conn.execute("SELECT name, date, year_from FROM sources").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def trending_truth() -> dict[str, str]:
    truth = {}
    with (CORPUS / "manifests" / "trending.jsonl").open() as handle:
        for line in handle:
            entry = json.loads(line)
            truth[Path(entry["file"]).name] = entry["window_end"]
    return truth


def test_readme_first_command_dates_the_seed_dumps_in_their_year(cli: Cli, tmp_path: Path) -> None:
    """`Sep 26` saved in December 2026: 2026-09-26 is a Saturday, and Daily Papers appear on
    weekdays only, so the page is 2025-09-26 (a Friday), as the README shows."""
    dumps = copies(DUMPS, tmp_path / "dumps")
    result = cli("ingest", str(dumps))
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    for path in sorted(dumps.glob("*.txt")):
        assert f"{path} 2025" in warnings[0]
    assert "--year" in warnings[0]
    papers = json.loads(cli("list", "-f", "json").stdout)
    assert {p["last_seen"] for p in papers} == {"2025-09-05", "2025-09-26"}
    stats = json.loads(cli("stats", "-f", "json").stdout)
    assert (stats["first_date"], stats["last_date"]) == ("2025-09-05", "2025-09-26")


def test_a_year_from_the_name_or_option_is_no_guess(cli: Cli, tmp_path: Path) -> None:
    dumps = copies(DUMPS, tmp_path / "dumps")
    result = cli("ingest", str(dumps), "--year", "2025", "-f", "json")
    assert result.exit_code == 0 and "warning" not in result.stderr
    assert {f["year_from"] for f in json.loads(result.stdout)["files"]} == {"option"}


def test_trending_dumps_take_the_year_of_their_papers_whatever_comes_first(
    cli: Cli, tmp_path: Path, library: Path
) -> None:
    """The 40 corpus trending dumps (no year anywhere) ingested before the daily dumps, in one
    run and in two: each gets its true year from the dated dumps its papers are in."""
    trending = copies(CORPUS / "trending", tmp_path / "trending")
    truth = trending_truth()
    together = tmp_path / "together.db"
    result = cli("ingest", str(trending), str(CORPUS / "dumps"), "--db", str(together))
    assert result.exit_code == 0, result.stderr
    dates = source_dates(together)
    assert {name: dates[name] for name in truth} == {
        name: (date, "papers") for name, date in truth.items()
    }

    first = cli("ingest", str(trending), "-f", "json")
    assert first.exit_code == 0, first.stderr
    guessed = source_dates(library)
    assert {how for _, how in guessed.values()} == {"mtime"}
    assert sum(guessed[name][0] != date for name, date in truth.items()) >= 10
    second = cli("ingest", str(CORPUS / "dumps"), "-f", "json")
    assert second.exit_code == 0, second.stderr
    redated = [line for line in second.stderr.splitlines() if "re-dated" in line]
    assert len(redated) == 1 and "trending-001.txt 2026 → 2024" in redated[0]
    dates = source_dates(library)
    assert {name: dates[name][0] for name in truth} == truth
    week = json.loads(
        cli("list", "--source", "trending-001.txt", "--until", "2024-09-03", "-f", "json").stdout
    )
    assert len(week) == 17


def test_year_option_redates_a_dump_already_ingested(cli: Cli, tmp_path: Path) -> None:
    dumps = copies(CORPUS / "trending", tmp_path / "trending", "trending-001.txt")
    dump = dumps / "trending-001.txt"
    assert cli("ingest", str(dump)).exit_code == 0
    assert {p["last_seen"] for p in json.loads(cli("list", "-f", "json").stdout)} == {"2026-09-03"}
    result = cli("ingest", str(dump), "--year", "2024", "-f", "json")
    assert result.exit_code == 0, result.stderr
    (file,) = json.loads(result.stdout)["files"]
    assert (file["status"], file["years_before"], file["years"]) == ("redated", [2026], [2024])
    assert f"{dump} 2026 → 2024" in result.stderr
    papers = json.loads(cli("list", "-f", "json").stdout)
    assert {(p["first_seen"], p["last_seen"]) for p in papers} == {("2024-09-03", "2024-09-03")}
    assert json.loads(cli("stats", "-f", "json").stdout)["dumps_per_month"] == {"2024-09": 1}
    again = cli("ingest", str(dump), "--year", "2024", "-f", "json")
    assert json.loads(again.stdout)["files"][0]["status"] == "unchanged"
    assert cli("check").exit_code == 0


def test_a_year_the_date_line_cannot_have_is_refused_and_changes_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    dump = tmp_path / "leap.txt"
    dump.write_text("Feb 29\n\nA Title\n\n" + "An abstract of a paper. " * 10)
    assert cli("ingest", str(dump), "--year", "2024").exit_code == 0
    result = cli("ingest", str(dump), "--year", "2025")
    assert result.exit_code == 1
    assert f"error: {dump}:1: date line is not a real date" in result.stderr
    assert json.loads(cli("list", "-f", "json").stdout)[0]["last_seen"] == "2024-02-29"


@pytest.mark.parametrize(
    ("name", "header", "year_from"),
    [
        ("a-2024.txt", "Sep 3", "name"),
        ("b.txt", "Sep 3, 2024", "line"),
        ("c.txt", "Sep 3", "mtime"),
        ("d.txt", None, None),
    ],
)
def test_upgraded_libraries_know_which_years_were_guessed(
    tmp_path: Path, name: str, header: str | None, year_from: str | None
) -> None:
    """Before, a year missing from the name and the date lines came from the file's date."""
    import sqlite3

    from papertriage.store import MIGRATIONS

    path = tmp_path / "old.db"
    Store(path, MIGRATIONS[:6]).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO sources (path, name, sha256, header_date, records, ingested_at)"
        " VALUES (?, ?, '0', ?, 0, '2025')",
        (f"/x/{name}", name, header),
    )
    conn.commit()
    conn.close()
    assert source_dates(path)[name][1] == year_from
