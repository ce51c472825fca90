"""The conventions a command-line user expects: -h, --db anywhere, completion, readable help,
errors in plain words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer.main

from papertriage.cli import app

from .conftest import DUMPS, Cli


def _command_paths() -> list[list[str]]:
    """Every command and subcommand, as the words a user types."""

    def walk(command: object, path: list[str]) -> list[list[str]]:
        found = [path]
        for name, sub in getattr(command, "commands", {}).items():
            found += walk(sub, [*path, name])
        return found

    return walk(typer.main.get_command(app), [])


def test_dash_h_is_help_everywhere(cli: Cli) -> None:
    for path in _command_paths():
        result = cli(*path, "-h")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: papertriage" in result.stdout


def test_db_before_the_subcommand(cli: Cli, library: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    assert cli("--db", str(other), "ingest", str(DUMPS)).exit_code == 0
    assert other.exists() and not library.exists()
    listed = cli("--db", str(other), "list", "-f", "json")
    assert listed.exit_code == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 146
    # The subcommand's own --db wins over the one before it.
    missing = cli("--db", str(other), "list", "--db", str(tmp_path / "none.db"))
    assert missing.exit_code == 1 and "none.db: no library here yet" in missing.stderr
    # Nested commands take it too.
    tags = cli("--db", str(other), "tags", "explain", "47ef4b76", "-f", "json")
    assert tags.exit_code == 0, tags.stderr


def test_shell_completion_is_offered(cli: Cli) -> None:
    help_text = cli("--help").stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


def test_help_shows_readable_metavars(cli: Cli) -> None:
    unreadable = re.compile(r"<list\[|<str>|<int range>|<float range>|<int>|\{[a-z_]+\}")
    for path in _command_paths():
        text = cli(*path, "--help").stdout
        assert not unreadable.search(text), (path, unreadable.findall(text))
    assert "Usage: papertriage ingest [OPTIONS] PATH..." in cli("ingest", "--help").stdout
    assert "--limit N" in cli("list", "--help").stdout


def test_bad_values_are_told_in_plain_words(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    for args, expected in (
        (["list", "--status", "bogus"], "'bogus' is not one of 'new', 'read'"),
        (["list", "--sort", "bogus"], "'bogus' is not one of 'date'"),
        (["list", "--seen-min", "1e20"], "'1e20' is not a whole number"),
        (["list", "--limit", "-1"], "-1 is below the smallest allowed, 0"),
        (["ingest", str(DUMPS), "--threshold", "ten"], "'ten' is not a number"),
        (["ingest", str(DUMPS), "--threshold", "101"], "101 is above the largest allowed, 100"),
    ):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert expected in result.stderr, (args, result.stderr)
        assert "Value error" not in result.stderr and "Input should" not in result.stderr


def test_no_mention_of_the_variable_when_db_is_given(cli: Cli, tmp_path: Path) -> None:
    for args in (["list", "--db", str(tmp_path)], ["--db", str(tmp_path), "list"]):
        result = cli(*args)
        assert result.exit_code != 0
        assert "PAPERTRIAGE_DB" not in result.stderr, result.stderr
        assert str(tmp_path) in result.stderr and "directory" in result.stderr


def test_ingest_dash_reads_a_dump_from_standard_input(cli: Cli, library: Path) -> None:
    dump = DUMPS / "000_2b9e3ea4e6b592bd.txt"
    result = cli("ingest", "-", "-f", "json", input=dump.read_text())
    assert result.exit_code == 0, result.output
    (file,) = json.loads(result.stdout)["files"]
    assert file["status"] == "ingested" and file["records"] == 95
    # Kept beside the library, named by its content, so it can be ingested again like any dump.
    saved = Path(file["path"])
    assert saved.parent == library.parent / "pastes" and saved.read_text() == dump.read_text()
    assert not any(char.isdigit() for char in saved.name)  # no digits to be read as a year
    again = cli("ingest", "-", "-f", "json", input=dump.read_text())
    assert json.loads(again.stdout)["files"][0]["status"] == "unchanged"
    assert len(json.loads(cli("list", "-f", "json").stdout)) == 95
    empty = cli("ingest", "-", input="")
    assert empty.exit_code == 1 and empty.stderr == "error: -: standard input is empty\n"


def test_files_with_bad_values_are_told_in_plain_words(cli: Cli, tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.json"
    decisions.write_text(
        json.dumps(
            {
                "format": "papertriage-decisions",
                "version": 1,
                "statuses": [{"paper": "9712c8c7c472", "status": "bogus", "note": None}],
            }
        )
    )
    result = cli("decisions", "import", str(decisions))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {decisions}: statuses.0.status: 'bogus' is not one of 'new', 'read', 'starred',"
        " 'later' or 'skipped'\n"
    )
    config = tmp_path / "config.toml"
    config.write_text("[dedupe]\nsure_title = 101\n")
    result = cli("ingest", str(DUMPS), "--config", str(config))
    assert result.stderr == (
        f"error: {config}: dedupe.sure_title: 101 is above the largest allowed, 100\n"
    )
