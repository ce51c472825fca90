"""Golden files: the exact JSON (and jsonl/csv) of every command that has --format json, on the
fixtures/dumps library (with fixtures/dupes, so that duplicates and candidates exist).

The README promises these shapes are stable; a change to one shows up here as a diff of the
file in tests/golden/. When the change is meant, write the files again and review the diff:

    PAPERTRIAGE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

Volatile values are replaced before comparing, visibly: the temporary directory by `<tmp>`,
the repository by `<repo>`, times of day (`2026-01-02T03:04:05+00:00`) by `<time>`.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from .conftest import DUMPS, FIXTURES, ROOT, SHARED, Cli

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("PAPERTRIAGE_UPDATE_GOLDEN") == "1"
GOLD_TAGS = SHARED / "gold" / "seed-tags.jsonl"
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")

SURVEY = "47ef4b76"
"""A Comprehensive Survey of Deep Research (fixtures/dumps, seen twice)."""
QWEN, QWEN2 = "9d92849a", "eaaad086"
"""Qwen2.5 Technical Report and Qwen2 Technical Report: the review candidate of fixtures/dupes."""
SEED = str(DUMPS / "000_2b9e3ea4e6b592bd.txt")

# name -> (commands run first on a copy of the library, the command whose output is pinned)
CASES: dict[str, tuple[list[list[str]], list[str]]] = {
    "list.json": ([], ["list", "-f", "json", "--limit", "10"]),
    "list.jsonl": ([], ["list", "-f", "jsonl", "--sort", "title", "--limit", "5"]),
    "list.csv": ([], ["list", "-f", "csv", "--sort", "title", "--limit", "5"]),
    "show.json": ([], ["show", SURVEY, "-f", "json"]),
    "stats.json": ([], ["stats", "-f", "json"]),
    "export.json": ([], ["export", "-f", "json", "--tag", "deep-research"]),
    "export.jsonl": ([], ["export", "-f", "jsonl", "--tag", "deep-research"]),
    "export.csv": ([], ["export", "-f", "csv", "--tag", "deep-research"]),
    "dupes.json": ([], ["dupes", "-f", "json"]),
    "dupes-candidates.json": ([], ["dupes", "--candidates", "-f", "json"]),
    "check.json": ([], ["check", "-f", "json"]),
    "tags.json": ([], ["tags", "-f", "json"]),
    "tags-explain.json": ([], ["tags", "explain", SURVEY, "-f", "json"]),
    "tags-eval.json": ([], ["tags", "eval", str(GOLD_TAGS), "--misses", "3", "-f", "json"]),
    "search.json": ([], ["search", "deep research", "--limit", "3", "-f", "json"]),
    "search.jsonl": ([], ["search", "deep research", "--limit", "3", "-f", "jsonl"]),
    "tag.json": ([], ["tag", SURVEY, "+efficiency", "-survey", "-f", "json"]),
    "merge.json": ([], ["merge", QWEN, QWEN2, "-f", "json"]),
    "split.json": ([["merge", QWEN, QWEN2]], ["split", QWEN2, "-f", "json"]),
    "ingest-again.json": ([], ["ingest", SEED, "--year", "2025", "-f", "json"]),
    "decisions.json": (
        [["mark", SURVEY, "--star", "--note", "read first"], ["tag", SURVEY, "+efficiency"]],
        ["decisions", "export", "-"],
    ),
}


def normalise(text: str, tmp: Path) -> str:
    """The output with what differs between runs and machines replaced by placeholders."""
    text = text.replace(str(tmp), "<tmp>").replace(str(ROOT), "<repo>")
    return _TIME.sub("<time>", text)


def compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))  # CSV rows keep their CRLF
        return
    assert path.exists(), f"{path} is missing: run with PAPERTRIAGE_UPDATE_GOLDEN=1 to write it"
    assert text == path.read_bytes().decode("utf-8"), (
        f"{name} changed; if on purpose, run with PAPERTRIAGE_UPDATE_GOLDEN=1 and review the diff"
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The fixtures library, and the output of the ingest that built it."""
    folder = tmp_path_factory.mktemp("golden")
    db = folder / "library.db"
    with pytest.MonkeyPatch.context() as env:  # as the `library` fixture does for each test
        env.setenv("XDG_CONFIG_HOME", str(folder / "config"))
        for name in ("PAPERTRIAGE_TAXONOMY", "PAPERTRIAGE_CONFIG"):
            env.delenv(name, raising=False)
        result = Cli()(
            "ingest",
            str(DUMPS),
            str(FIXTURES / "dupes"),
            "--year",
            "2025",
            "--db",
            str(db),
            "-f",
            "json",
        )
    assert result.exit_code == 0, result.stderr
    return db, normalise(result.stdout_bytes.decode("utf-8"), folder)


def test_ingest_json(base: tuple[Path, str]) -> None:
    compare("ingest.json", base[1])


@pytest.mark.parametrize("name", list(CASES))
def test_command_output(name: str, base: tuple[Path, str], tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "library.db"
    shutil.copy(base[0], db)
    setup, command = CASES[name]
    for step in setup:
        assert cli(*step, "--db", str(db)).exit_code == 0, step
    result = cli(*command, "--db", str(db))
    assert result.exit_code == 0, result.stderr
    # The bytes written: click's `stdout` turns CRLF (CSV rows) into LF.
    compare(name, normalise(result.stdout_bytes.decode("utf-8"), tmp_path))


def test_every_golden_file_belongs_to_a_case() -> None:
    """A file left behind by a renamed or removed case would pin nothing."""
    assert sorted(path.name for path in GOLDEN.iterdir()) == sorted([*CASES, "ingest.json"])
