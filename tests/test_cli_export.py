"""Export through the CLI, and data that tries to be markup, escapes or formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .conftest import DUMPS, FIXTURES, Cli
from .readers import parse

HOSTILE = FIXTURES / "hostile" / "hostile-2025.txt"


@pytest.fixture(autouse=True)
def seeded(cli: Cli) -> None:
    assert cli("ingest", str(DUMPS), "--year", "2025").exit_code == 0


def test_bibtex_of_the_whole_library_parses(cli: Cli) -> None:
    result = cli("export", "--format", "bibtex")
    assert result.exit_code == 0, result.stderr
    entries = parse(result.stdout)
    assert len(entries) == 146
    keys = [entry["ID"] for entry in entries]
    assert len(set(keys)) == 146
    again = parse(cli("export", "--format", "bibtex").stdout)
    assert [entry["ID"] for entry in again] == keys  # stable


def test_export_filters_and_output_file(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "deep.json"
    result = cli("export", "-f", "json", "--tag", "deep-research", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and "exported" in result.stderr
    papers = json.loads(target.read_text())
    assert papers and all("deep-research" in p["tags"] for p in papers)
    jsonl = cli("export", "-f", "jsonl", "--seen-min", "2").stdout.splitlines()
    assert len(jsonl) == 14


def test_markdown_digest_groups_by_tag(cli: Cli) -> None:
    cli(
        "mark", str(json.loads(cli("list", "-f", "json", "--limit", "1").stdout)[0]["id"]), "--star"
    )
    result = cli("export", "--since", "2025-09-20", "--tag", "survey")
    assert result.exit_code == 0, result.stderr
    digest = result.stdout
    assert digest.startswith("# Papers digest")
    assert "## survey" in digest and "**Seen in:**" in digest and "**Tags:**" in digest
    assert "2025-09-26" in digest


def test_csv_formula_guard(cli: Cli) -> None:
    cli("ingest", str(HOSTILE))
    guarded = list(csv.DictReader(io.StringIO(cli("export", "-f", "csv").stdout)))
    formula = next(row for row in guarded if "HYPERLINK" in row["title"])
    assert formula["title"].startswith("'=") and formula["abstract"].startswith("'+")
    raw = list(csv.DictReader(io.StringIO(cli("export", "-f", "csv", "--no-formula-guard").stdout)))
    formula = next(row for row in raw if "HYPERLINK" in row["title"])
    assert formula["title"].startswith("=")


def test_bad_export_options(cli: Cli) -> None:
    assert cli("export", "-f", "docx").exit_code == 2
    unknown = cli("export", "--tag", "deep-reserch")
    assert unknown.exit_code == 1 and "did you mean deep-research" in unknown.stderr


def test_hostile_titles_are_shown_literally(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # no folding, so each title is on one line
    assert cli("ingest", str(HOSTILE)).exit_code == 0
    listed = cli("list", "--since", "2025-09-26", "--limit", "0")
    assert "[bold red]Totally[/]" in listed.stdout
    assert "[link=https://evil.example]" in listed.stdout
    for output in (listed.stdout, cli("search", "escape").stdout, cli("export").stdout):
        assert "\x1b" not in output and "\x07" not in output and "\x08" not in output
    paper = json.loads(cli("search", "Totally Normal", "-f", "json").stdout)[0]["id"]
    shown = cli("show", paper).stdout
    assert "[bold red]Totally[/]" in shown and "[red]inside[/red]" in shown
    escaped = json.loads(cli("search", "escape", "-f", "json").stdout)[0]["id"]
    shown = cli("show", escaped)
    assert "\x1b" not in shown.stdout and "red" in shown.stdout
    digest = cli("export", "--since", "2025-09-26").stdout
    assert "<script>" not in digest and "\\[bold red\\]" in digest


@pytest.mark.parametrize("command", [["list"], ["search", "escape OR normal OR hyperlink"]])
def test_every_command_writes_csv_with_the_formula_guard_and_whole_rows(
    cli: Cli, command: list[str]
) -> None:
    """One CSV writer: `list` and `search` guard formulas as `export` does, and a note with a
    bare carriage return stays in its row."""
    assert cli("ingest", str(HOSTILE)).exit_code == 0
    listed = json.loads(cli("list", "-f", "json").stdout)
    formula = next(paper for paper in listed if "HYPERLINK" in paper["title"])
    assert cli("mark", formula["id"], "--read", "--note", "=1+1\rsecond line").exit_code == 0
    result = cli(*command, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    shown = [row for row in rows if row["id"] == formula["id"]]
    assert len(shown) == 1, result.stdout
    assert shown[0]["title"].startswith("'=") and shown[0]["note"] == "'=1+1\rsecond line"
    assert all(row["id"] and row["status"] for row in rows)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_export_for_programs_has_the_shape_of_list(cli: Cli, fmt: str) -> None:
    """As the README says: `export` in json, jsonl and csv is `list` in that format (no
    sightings, whose abstracts doubled the corpus export), whatever the filters."""
    for filters in ([], ["--tag", "deep-research", "--sort", "title"]):
        exported = cli("export", "-f", fmt, *filters)
        assert exported.exit_code == 0, exported.stderr
        assert exported.stdout == cli("list", "-f", fmt, *filters).stdout
