"""Every foundation command, driven the way a user types it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import BAD, DUMPS, EDGE, FIXTURES, Cli


def papers_json(cli: Cli, *args: str) -> list[dict[str, object]]:
    result = cli("list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def test_readme_main_job(cli: Cli) -> None:
    result = cli("ingest", str(DUMPS) + "/")
    assert result.exit_code == 0, result.stderr
    assert "146" in result.stdout and "160" in result.stdout
    papers = papers_json(cli)
    assert len(papers) == 146
    assert sum(p["seen"] == 2 for p in papers) == 14
    again = cli("ingest", str(DUMPS))
    assert again.exit_code == 0
    assert len(papers_json(cli)) == 146
    assert json.loads(cli("ingest", str(DUMPS), "-f", "json").stdout)["totals"]["unchanged"] == 2


def test_list_json_shape(cli: Cli) -> None:
    cli("ingest", str(DUMPS), "--year", "2025")
    paper = papers_json(cli)[0]
    assert set(paper) >= {"id", "title", "abstract", "seen", "first_seen", "last_seen", "sources"}
    assert paper["last_seen"] == "2025-09-26"
    assert isinstance(paper["sources"], list)


def test_list_filters_and_sorting(cli: Cli) -> None:
    cli("ingest", str(DUMPS), "--year", "2025")
    newest = papers_json(cli)
    assert newest[0]["last_seen"] >= newest[-1]["last_seen"]  # type: ignore[operator]
    assert len(papers_json(cli, "--seen-min", "2")) == 14
    assert len(papers_json(cli, "--since", "2025-09-20")) == 95
    assert len(papers_json(cli, "--until", "2025-09-05")) == 65
    assert len(papers_json(cli, "--source", "002_016c0d79b69ffb33.txt")) == 65
    assert len(papers_json(cli, "--source", str(DUMPS / "000_2b9e3ea4e6b592bd.txt"))) == 95
    assert len(papers_json(cli, "--limit", "3")) == 3
    titles = [p["title"] for p in papers_json(cli, "--sort", "title")]
    assert titles == sorted(titles, key=lambda t: str(t).casefold())
    seen = [p["seen"] for p in papers_json(cli, "--sort", "seen")]
    assert seen == sorted(seen, reverse=True)


def test_list_formats_carry_only_data(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    jsonl = cli("list", "--format", "jsonl")
    lines = jsonl.stdout.splitlines()
    assert len(lines) == 146 and all(json.loads(line)["id"] for line in lines)
    table = cli("list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert len(rows) == 146 and rows[0].keys() >= {"id", "title", "seen"}
    human = cli("list", "--limit", "2")
    assert "2 of 146 papers" in human.stdout and human.stderr == ""


def test_bad_option_values_are_clear(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    result = cli("list", "--since", "last tuesday")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: 'last tuesday' is not a date")
    assert cli("list", "--limit", "-1").exit_code == 2
    assert cli("list", "--sort", "popularity").exit_code == 2


def test_show_panel_and_json(cli: Cli) -> None:
    cli("ingest", str(DUMPS), "--year", "2025")
    both = papers_json(cli, "--seen-min", "2")[0]
    result = cli("show", str(both["id"])[:7])
    assert result.exit_code == 0, result.stderr
    assert str(both["title"])[:30] in result.stdout
    assert "000_2b9e3ea4e6b592bd.txt" in result.stdout
    data = json.loads(cli("show", str(both["id"]), "--format", "json").stdout)
    assert data["id"] == both["id"] and data["seen"] == 2
    assert [set(s) >= {"source", "date", "position", "title"} for s in data["sightings"]] == [
        True,
        True,
    ]
    assert {s["date"] for s in data["sightings"]} == {"2025-09-05", "2025-09-26"}


def test_show_unknown_and_ambiguous(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    unknown = cli("show", "ffffffffffff0")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: no paper with id")
    ambiguous = cli("show", "a")
    assert ambiguous.exit_code == 1 and "ambiguous" in ambiguous.stderr
    assert "Traceback" not in unknown.stderr + ambiguous.stderr


def test_stats(cli: Cli) -> None:
    cli("ingest", str(DUMPS), "--year", "2025")
    data = json.loads(cli("stats", "--format", "json").stdout)
    assert (data["papers"], data["sightings"], data["sources"], data["repeated"]) == (
        146,
        160,
        2,
        14,
    )
    assert (data["first_date"], data["last_date"]) == ("2025-09-05", "2025-09-26")
    assert len(data["most_seen"]) == 10 and data["most_seen"][0]["seen"] == 2
    human = cli("stats")
    assert "Seen in the most dumps" in human.stdout


def test_reading_commands_without_a_library(cli: Cli, library: Path) -> None:
    result = cli("list")
    assert result.exit_code == 1
    assert "no library here yet" in result.stderr
    assert not library.exists()


def test_bad_files_are_named_and_the_rest_ingests(cli: Cli) -> None:
    result = cli("ingest", str(DUMPS), str(BAD))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 8  # six dumps, a response cut short and JSON that is not a response
    assert any(f"{BAD / 'missing-abstract-2025.txt'}:17: title" in line for line in errors)
    assert any(f"{BAD / 'latin1-2025.txt'}:13: not UTF-8" in line for line in errors)
    assert "Traceback" not in result.stderr
    assert len(papers_json(cli)) == 146


def test_edge_dumps_ingest(cli: Cli) -> None:
    result = cli("ingest", str(EDGE), "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["totals"]["records"] == 3 + 1 + 3 + 2 + 4
    assert report["totals"]["rejected"] == 0
    cut = EDGE / "last-title-alone-2025.txt"
    assert f'{cut}:17: title "HDR-GS: Efficient High Dynamic' in result.stderr
    (skipped,) = [f["skipped"] for f in report["files"] if f["path"] == str(cut)]
    assert [s["line"] for s in skipped] == [17]


def test_missing_path(cli: Cli) -> None:
    result = cli("ingest", str(FIXTURES / "nope"))
    assert result.exit_code == 1
    assert "no such file or directory" in result.stderr


def test_unusable_library_file(cli: Cli, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not a database at all\n" * 50)
    result = cli("ingest", str(DUMPS), "--db", str(bogus))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and str(bogus) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_version_and_help(cli: Cli) -> None:
    assert cli("--version").stdout.startswith("papertriage ")
    for command in ("ingest", "list", "show", "stats"):
        result = cli(command, "--help")
        assert result.exit_code == 0 and "--db" in result.stdout


def test_console_script_honours_no_color_and_pipes(tmp_path: Path) -> None:
    env = {**os.environ, "PAPERTRIAGE_DB": str(tmp_path / "x.db"), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "papertriage", "ingest", str(DUMPS)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout + done.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "papertriage", "list", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(json.loads(listed.stdout)) == 146 and listed.stderr == ""


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_every_format_for_every_data_command(cli: Cli, fmt: str) -> None:
    cli("ingest", str(DUMPS))
    some = papers_json(cli, "--limit", "1")[0]["id"]
    for args in (["list"], ["show", str(some)], ["stats"]):
        result = cli(*args, "--format", fmt)
        assert result.exit_code == 0, (args, result.stderr)
        assert result.stdout.strip() and result.stderr == ""


def test_every_command_and_option_has_help() -> None:
    """Like sqlite-utils' test_docs: a command or option without help is a bug."""
    import typer.main

    from papertriage.cli import app

    def walk(command: object, path: str) -> list[str]:
        missing = []
        if not getattr(command, "help", None):
            missing.append(path)
        for param in getattr(command, "params", []):
            if getattr(param, "param_type_name", "") == "option" and not param.help:
                missing.append(f"{path} {param.opts[0]}")
        for name, sub in getattr(command, "commands", {}).items():
            missing += walk(sub, f"{path} {name}")
        return missing

    assert walk(typer.main.get_command(app), "papertriage") == []


def test_commands_start_without_numpy() -> None:
    """numpy costs a quarter of a second at startup; only a dedupe needs it."""
    code = "import sys, papertriage.cli; assert 'numpy' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


_RUN_THEN_LIST_MODULES = """
import sys
from papertriage.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(*sorted(sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["list", "--limit", "20"],
        ["search", "reasoning"],
        ["show", "reasoning"],
        ["show", "PAPER"],
        ["next"],
    ],
)
def test_read_commands_start_without_the_write_side(
    cli: Cli, library: Path, args: list[str]
) -> None:
    """Start-up is most of a daily command on a big library (issue 17): the commands that only
    read leave dedupe, merging, ingest, fetch and tagging (pydantic models built at import)
    unimported."""
    assert cli("ingest", str(DUMPS)).exit_code == 0
    paper = papers_json(cli)[0]["id"]
    argv = [str(paper) if arg == "PAPER" else arg for arg in args]
    ran = subprocess.run(
        [sys.executable, "-c", _RUN_THEN_LIST_MODULES, *argv],
        input="q\n",
        capture_output=True,
        text=True,
        check=True,
    )
    modules = ran.stderr.split()
    assert "papertriage.cli" in modules, ran.stderr
    write_side = ["dedupe", "merging", "ingest", "fetch", "tagging"]
    loaded = [
        name for name in ["numpy"] + [f"papertriage.{n}" for n in write_side] if name in modules
    ]
    assert loaded == [], f"{' '.join(argv)} imported {loaded}"


def test_show_title_words_that_read_like_an_id_error(cli: Cli) -> None:
    """A title word such as `ambiguous` is looked up as a title, whatever the id lookup said."""
    from .conftest import CORPUS

    assert cli("ingest", str(CORPUS / "dumps" / "2025-06-17.txt")).exit_code == 0
    result = cli("show", "ambiguous", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "Ambiguous Pronouns" in json.loads(result.stdout)["title"]
